"""One unreadable row in a real sacct text, through SlurmClient, the supervisor and the dashboard's
service layer: the other jobs are read, decided and shown as always; the bad one is reported and
nothing decides on it.

The runner is fake only in where its text comes from: tests/captures/sacct_usage.txt (four jobs
from the test cluster) with the delimiter of the call put in, and one row edited the way a newer
Slurm or a damaged line would print it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.model.chain import ChainSpec, ChainState
from app.model.policy import Policy
from app.model.states import JobState
from app.registry import Registry, derive
from app.services import Services
from app.slurm.client import SlurmClient
from app.slurm.runner import CommandResult
from app.supervisor.engine import Supervisor
from tests.captures import capture_text, sacct_layout
from tests.captures.replay import ReplayRunner
from tests.events import record

CAPTURE = "sacct_usage.txt"
DELIMITER, FIELDS = sacct_layout(CAPTURE)
ROWS = capture_text(CAPTURE).rstrip("\n").split("\n")
JOBS = {line.split(DELIMITER)[1]: line.split(DELIMITER)[0] for line in ROWS if "." not in line.split(DELIMITER)[0]}
DAMAGED = "lrcap-four-tasks"
SUBMITTED = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()  # before the supervisor's queue listing


class CapturedSacct(ReplayRunner):
    """Answers every sacct call with the capture (in the call's own delimiter), edited by `edit`;
    squeue with an empty queue (every job of the capture has ended)."""

    def __init__(self, edit: Callable[[list[list[str]]], None]) -> None:
        super().__init__()
        self.edit = edit

    def answer(self, argv: Sequence[str]) -> CommandResult:
        if argv[0] == "squeue":
            return CommandResult(tuple(argv), 0, "", "")
        assert argv[0] == "sacct", argv
        delimiter = next(a.removeprefix("--delimiter=") for a in argv if a.startswith("--delimiter="))
        rows = [line.split(DELIMITER) for line in ROWS]
        self.edit(rows)
        return CommandResult(tuple(argv), 0, "".join(delimiter.join(r) + "\n" for r in rows), "")


def newer_state(rows: list[list[str]]) -> None:
    """The four-task job's row says a state this version has never seen."""
    for cells in rows:
        if cells[0] == JOBS[DAMAGED]:
            cells[FIELDS.index("State")] = "EXPEDITING"


def test_the_client_keeps_the_good_rows_and_reports_the_bad_one() -> None:
    client = SlurmClient(runner=CapturedSacct(newer_state))
    found = client.accounting(list(JOBS.values()))
    assert set(found) == set(JOBS.values()) and client.calls == 1
    assert [(p.job_id, p.message) for p in found.problems] == [
        (JOBS[DAMAGED], "state 'EXPEDITING' is unknown to this version")
    ]
    assert found[JOBS[DAMAGED]].job.state is JobState.UNKNOWN
    assert all(found[JOBS[n]].job.state is JobState.COMPLETED for n in JOBS if n != DAMAGED)
    assert found[JOBS["lrcap-one-task"]].usage.peak_per_node is not None, "usage of the others is there"


def chain(reg: Registry, chain_id: str, job_id: str) -> None:
    reg.create_chain(
        ChainSpec(chain_id=chain_id, name=chain_id, owner="alice", script="/bin/true", workdir="/tmp",
                  policy=Policy(max_restarts=0))
    )  # fmt: skip
    record(reg, chain_id, "submit_intent", attempt=1, t=SUBMITTED)
    record(reg, chain_id, "submitted", attempt=1, job_id=job_id, t=SUBMITTED)


def registry_with_a_chain_per_job(tmp_path: Path) -> Registry:
    reg = Registry(tmp_path)
    for name, job_id in JOBS.items():
        chain(reg, name, job_id)
    return reg


def test_the_supervisor_decides_the_others_and_waits_on_the_unreadable_one(tmp_path: Path) -> None:
    reg = registry_with_a_chain_per_job(tmp_path)
    runner = CapturedSacct(newer_state)
    report = Supervisor(reg, SlurmClient(runner=runner), "alice").cycle()
    assert report.ended == 3 and report.slurm_calls == 2  # the queue listing, then one sacct for the ended
    states = {name: derive(reg.load_spec(name), reg.read_events(name)).state for name in JOBS}
    assert states == {name: ChainState.RUNNING if name == DAMAGED else ChainState.DONE for name in JOBS}
    # A later poll that reads the row again (the edit gone) ends that chain too.
    runner.edit = lambda rows: None
    Supervisor(reg, SlurmClient(runner=runner), "alice").cycle()
    assert derive(reg.load_spec(DAMAGED), reg.read_events(DAMAGED)).state is ChainState.DONE


def test_the_dashboard_shows_every_chain(tmp_path: Path) -> None:
    registry_with_a_chain_per_job(tmp_path)
    services = Services(viewer="alice", slurm=SlurmClient(runner=CapturedSacct(newer_state)), home=tmp_path)
    snapshot = services.snapshot("alice", focus_job_id=JOBS[DAMAGED])
    links = {view.name: view.links[-1] for view in snapshot.chains}
    assert set(links) == set(JOBS)
    assert links[DAMAGED].state == "UNKNOWN" and links[DAMAGED].end is not None
    assert all(links[name].state == "COMPLETED" for name in JOBS if name != DAMAGED)
    assert snapshot.focus is not None and snapshot.focus.rows[0].state is JobState.UNKNOWN
    assert not snapshot.focus.ended, "an unknown state is not an ending"
