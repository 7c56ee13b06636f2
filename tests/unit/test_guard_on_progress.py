"""The no-progress guard on the chain's reported progress: the same reading as the progress shown
everywhere (app/supervisor/progress.py), recorded at each link's submit (`done_before`) and read
again at its end. A link that made progress is never "no progress", however short; a link after
which the log reports nothing new stops the chain; a progress file that holds no number is judged
by its size and mtime, as before."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from app.model.chain import ChainSpec, ChainState, ChainStatus, Link
from app.model.exit_status import ExitStatus
from app.model.outcome import ChainHistory, LinkEnding, LinkOutcome, decide
from app.model.policy import Policy
from app.model.states import JobState
from app.model.units import Duration
from app.supervisor.endings import history, progress_changed

PATTERN = r"step (?P<done>\d+)/(?P<total>\d+)"


def short_end() -> LinkEnding:
    return LinkEnding(JobState.FAILED, ExitStatus(75, 0), Duration(20), Duration(600))


def test_a_short_link_that_made_progress_is_not_no_progress() -> None:
    policy = Policy(progress_regex=PATTERN)
    moved = decide(short_end(), policy, ChainHistory(short_links_before=5, progress_changed=True))
    assert moved.outcome is LinkOutcome.CONTINUE
    unknown = decide(short_end(), policy, ChainHistory(short_links_before=2, progress_changed=None))
    assert unknown.outcome is LinkOutcome.NEEDS_PERSON and "3 links in a row" in unknown.reason
    stuck = decide(short_end(), policy, ChainHistory(progress_changed=False))
    assert stuck.outcome is LinkOutcome.NEEDS_PERSON
    assert stuck.reason == "no progress: the log reported no new progress (checkpointed (exit 75))"
    file_stuck = decide(short_end(), Policy(progress_file="p.txt"), ChainHistory(progress_changed=False))
    assert file_stuck.reason.startswith("no progress: p.txt did not change")


def chain(tmp_path: Path, links: list[Link], **policy: object) -> ChainStatus:
    spec = ChainSpec(chain_id="g1", name="guard", owner="alice", script=str(tmp_path / "job.sh"),
                     sbatch_options=("-o", str(tmp_path / "run.log")), workdir=str(tmp_path),
                     policy=Policy(**policy), created=datetime(2026, 12, 1, tzinfo=UTC))  # type: ignore[arg-type]  # fmt: skip
    return ChainStatus(spec=spec, state=ChainState.RUNNING, reason=None, links=tuple(links))


def link(attempt: int, done_before: float | None, elapsed: int = 20, decided: bool = True) -> Link:
    return Link(attempt=attempt, job_id=str(500 + attempt), state="FAILED", ended=True, elapsed=Duration(elapsed),
                time_limit=Duration(600), decision="continue: checkpointed (exit 75)" if decided else None,
                done_before=done_before)  # fmt: skip


def test_progress_changed_reads_the_log_at_the_end(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    log.write_text("step 4/10\nsaving\n")
    current = link(2, done_before=4.0, decided=False)
    status = chain(tmp_path, [link(1, None), current], progress_regex=PATTERN)
    assert progress_changed(status, current) is False, "still 4: nothing new"
    with log.open("a") as handle:
        handle.write("step 5/10\n" + "noise\n" * 200_000)  # a lot printed after the last progress line
    assert progress_changed(status, current) is True
    first = link(1, None, decided=False)
    assert progress_changed(chain(tmp_path, [first], progress_regex=PATTERN), first) is True, "from nothing to 5"
    log.write_text("no progress lines at all\n")
    assert progress_changed(status, current) is None, "the log tells nothing: the short-link rule decides"


def test_progress_files_with_and_without_numbers(tmp_path: Path) -> None:
    path = tmp_path / "p.txt"
    path.write_text("7/20\n")
    current = link(2, done_before=7.0, decided=False)
    status = chain(tmp_path, [link(1, None), current], progress_file="p.txt")
    assert progress_changed(status, current) is False
    path.write_text("8/20\n")
    assert progress_changed(status, current) is True
    path.write_text("a checkpoint name, not a number")
    stamp = os.stat(path)
    words = Link(attempt=2, job_id="502", progress_before=(stamp.st_mtime_ns, stamp.st_size))
    assert progress_changed(chain(tmp_path, [words], progress_file="p.txt"), words) is False, "unchanged file"
    path.write_text("another checkpoint name")
    assert progress_changed(chain(tmp_path, [words], progress_file="p.txt"), words) is True
    assert progress_changed(chain(tmp_path, [words]), words) is None, "no progress reported: not watched"


def test_a_run_of_short_links_is_broken_by_one_that_made_progress(tmp_path: Path) -> None:
    # links 1-3 short; 1 made progress (done 0 -> 3), 2 and 3 did not (3 -> 3 -> 3)
    links = [link(1, 0.0), link(2, 3.0), link(3, 3.0), link(4, 3.0, decided=False)]
    found = history(chain(tmp_path, links, progress_regex=PATTERN), links[-1])
    assert found.short_links_before == 2
    without = [link(1, None), link(2, None), link(3, None), link(4, None, decided=False)]
    assert history(chain(tmp_path, without), without[-1]).short_links_before == 3, "no progress reported: as before"
