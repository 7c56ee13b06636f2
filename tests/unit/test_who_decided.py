"""Who decided on a link's ending (app/explain/decider.py), as `longrun explain` says it: the job
queued after the link (its wrapper's line in its log), the supervisor (its log), or nobody known."""

from __future__ import annotations

from pathlib import Path

from app.diagnose.chainstory import SUPERVISOR, chain_story
from app.explain.decider import who_decided
from app.model.chain import MODE_SLURM, MODE_SUPERVISOR, ChainSpec, ChainState, ChainStatus, Link

DECIDED = "continue: checkpointed (exit 75)"


def chain(tmp_path: Path, mode: str = MODE_SLURM, output: str = "%j.out") -> ChainStatus:
    spec = ChainSpec(chain_id="c1", name="n", owner="alice", script=str(tmp_path / "job.sh"), workdir=str(tmp_path),
                     sbatch_options=("-o", str(tmp_path / output)), mode=mode, launcher="/usr/bin/python3")  # fmt: skip
    first = Link(attempt=1, job_id="100", state="COMPLETED", ended=True, decision=DECIDED)
    second = Link(attempt=2, job_id="101", state="RUNNING", after="100")
    return ChainStatus(spec=spec, state=ChainState.RUNNING, reason=None, links=(first, second),
                       known_jobs=frozenset({"100", "101", "102"}))  # fmt: skip


def test_the_job_queued_after_the_link_said_in_its_log_that_it_decided(tmp_path: Path) -> None:
    status = chain(tmp_path)
    (tmp_path / "101.out").write_text(
        "longrun: queued job 102 to run when this one ends (it decides how the chain goes on)\n"
        f"longrun: attempt 1 (job 100): {DECIDED} (decided by job 101)\nstep 4\n"
    )
    assert who_decided(status, status.links[0], tmp_path / "reg") == "job 101"
    story = chain_story(status, status.links[0], "job 101")
    assert f"The successor job 101 decided: {DECIDED}." in story.sentences()
    assert story.as_json()["decided_by"] == "job 101"


def test_a_log_shared_by_every_link_names_the_deciding_job_in_the_line(tmp_path: Path) -> None:
    status = chain(tmp_path, output="all.out")
    (tmp_path / "all.out").write_text(f"step 1\nlongrun: attempt 1 (job 100): {DECIDED} (decided by job 102)\n")
    assert who_decided(status, status.links[0], None) == "job 102"


def test_a_line_naming_a_job_the_chain_never_queued_after_the_link_is_not_believed(tmp_path: Path) -> None:
    """The script writes into the same log: `longrun:` lines in it are text anyone could print."""
    status = chain(tmp_path)
    (tmp_path / "101.out").write_text(f"longrun: attempt 1 (job 100): {DECIDED} (decided by job 99999)\n")
    assert who_decided(status, status.links[0], None) is None
    story = chain_story(status, status.links[0], None)
    assert "The job queued after it or the supervisor (neither log says which) decided" in story.sentences()[1]


def test_the_supervisor_decided_when_its_log_says_so_or_the_chain_is_supervised(tmp_path: Path) -> None:
    status = chain(tmp_path)
    (tmp_path / "reg" / "supervisor").mkdir(parents=True)
    (tmp_path / "reg" / "supervisor" / "log").write_text("12:00:01 c1: job 100 ended exit 75 -> continue: ...\n")
    assert who_decided(status, status.links[0], tmp_path / "reg") == SUPERVISOR
    supervised = chain(tmp_path, mode=MODE_SUPERVISOR)
    assert who_decided(supervised, supervised.links[0], None) is None  # no log is read: only the supervisor decides
    assert f"The supervisor decided: {DECIDED}." in chain_story(supervised, supervised.links[0], None).sentences()
    assert who_decided(status, status.links[1], None) is None  # not decided yet


def test_the_search_stops_where_a_later_links_work_began(tmp_path: Path) -> None:
    """A log shared by every link: the decision on link 1 comes before link 2's work, never after it."""
    status = chain(tmp_path, output="all.out")
    (tmp_path / "all.out").write_text(
        "longrun: running attempt 2 of chain c1 (n): /x/job.sh\n"
        f"longrun: attempt 1 (job 100): {DECIDED} (decided by job 102)\n"
    )
    assert who_decided(status, status.links[0], None) is None
