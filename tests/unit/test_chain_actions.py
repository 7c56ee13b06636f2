"""Actions through the service layer, without Slurm: the job the person saw, chains by name,
stop, new settings for the next links, archive. Every refusal happens before any Slurm call
and writes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest

from app.explain.scripts import forget_scripts
from app.model.chain import ChainSpec, ChainState
from app.model.exit_status import ExitStatus
from app.model.outcome import LinkEnding, LinkOutcome, decide
from app.model.policy import Policy
from app.model.states import JobState
from app.model.units import Duration
from app.registry import Registry
from app.services import ActionRefused, Services, current_user
from app.services.actions import warning_signal
from app.services.creation import names_its_job
from app.slurm.client import SlurmClient
from app.supervisor.endings import history
from tests.events import record

REPO = Path(__file__).resolve().parents[2]


def make_chain(reg: Registry, chain_id: str, name: str | None = None, owner: str = "alice", **policy: object) -> None:
    reg.create_chain(ChainSpec(
        chain_id=chain_id, name=name or f"n-{chain_id}", owner=owner, script="/x/job.sh", workdir="/x",
        sbatch_options=("--time=1", "--mem=1G", "--signal=B:USR1@30", "-o", "logs/%j.out"),
        policy=Policy(max_restarts=4, **policy), created=datetime(2026, 1, 1, tzinfo=UTC),  # type: ignore[arg-type]
    ))  # fmt: skip


def link(reg: Registry, chain_id: str, attempt: int, job_id: str, end: str | None = None, **decision: str) -> None:
    record(reg, chain_id, "submit_intent", attempt=attempt)
    record(reg, chain_id, "submitted", attempt=attempt, job_id=job_id)
    if end is not None:
        record(reg, chain_id, "observed_end", attempt=attempt, job_id=job_id, state=end, exit="75:0",
                         elapsed=40, time_limit=60, ending="exit 75", end="2026-01-02T10:00:00+00:00")  # fmt: skip
    if decision:
        record(reg, chain_id, "decision", attempt=attempt, **decision)


def moved_on(tmp_path: Path) -> tuple[Registry, Services, SlurmClient]:
    """Chain a1: job 120 checkpointed and ended; job 125 is its live link now."""
    reg = Registry(tmp_path)
    make_chain(reg, "a1")
    link(reg, "a1", 1, "120", "FAILED", outcome="continue", reason="checkpointed (exit 75)")
    link(reg, "a1", 2, "125")
    slurm = SlurmClient()
    return reg, Services(viewer="alice", slurm=slurm, home=tmp_path), slurm


def test_an_action_on_the_job_the_person_saw_is_refused_once_the_chain_moved_on(tmp_path: Path) -> None:
    reg, services, slurm = moved_on(tmp_path)
    before = reg.read_events("a1")
    for call in (partial(services.cancel, "a1", job_id="120"), partial(services.stop, "a1", job_id="120"),
                 partial(services.signal, "a1", "TERM", job_id="120"),
                 partial(services.signal, "n-a1", "USR1", full=True, job_id="120")):  # fmt: skip
        with pytest.raises(ActionRefused, match=r"the chain moved on to job 125 \(job 120 has ended\)"):
            call()
    assert slurm.calls == 0, "refused before any Slurm call"
    assert reg.read_events("a1") == before, "and nothing written"


def test_a_pinned_job_of_a_chain_without_live_link_is_refused(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    make_chain(reg, "a1")
    link(reg, "a1", 1, "120", "FAILED", outcome="needs_person", reason="failed with exit code 3")
    slurm = SlurmClient()
    services = Services(viewer="alice", slurm=slurm, home=tmp_path)
    with pytest.raises(ActionRefused, match="job 120 has ended; chain a1 is STOPPED with no live job"):
        services.signal("a1", "USR1", job_id="120")
    with pytest.raises(ActionRefused, match="chain a1 is stopped: nothing to stop"):
        services.stop("a1")
    assert slurm.calls == 0


def test_a_chain_is_named_by_its_id_or_its_unique_name(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    make_chain(reg, "a1", name="train")
    make_chain(reg, "b2", name="sweep[lr=3e-4]")
    make_chain(reg, "c3", name="sweep[lr=3e-4]")
    make_chain(reg, "a1x", name="a1")  # a name that is another chain's id: the id wins
    services = Services(viewer="alice", slurm=SlurmClient(), home=tmp_path)
    assert services.resolve("train") == "a1" and services.resolve("a1") == "a1" and services.resolve("b2") == "b2"
    with pytest.raises(
        ActionRefused, match=r"2 of your chains are named sweep\[lr=3e-4\]: b2, c3; give the chain's id"
    ):
        services.resolve("sweep[lr=3e-4]")
    with pytest.raises(ActionRefused, match="no chain nope in your registry"):
        services.archive("nope")
    with pytest.raises(ActionRefused, match="chain a1 is waiting: only a finished chain can be archived"):
        services.archive("train")


def test_a_stop_turns_the_links_continue_into_a_stop(tmp_path: Path) -> None:
    reg, _services, _slurm = moved_on(tmp_path)
    record(reg, "a1", "stop_requested", by="alice", job_id="125")
    status = reg.status("a1")
    assert status.state is ChainState.RUNNING and status.reason == "stopping: alice asked it to checkpoint and stop"
    so_far = history(status, status.links[-1])
    assert so_far.stop_requested_by == "alice"
    ending = LinkEnding(JobState.FAILED, ExitStatus(75, 0), Duration(20), Duration(60), warning_seconds=30)
    decision = decide(ending, status.spec.policy, so_far)
    assert decision.outcome is LinkOutcome.NEEDS_PERSON
    assert decision.reason == "stopped by alice; the link ended: checkpointed (exit 75)"
    finished = decide(LinkEnding(JobState.COMPLETED, ExitStatus(0, 0), Duration(20), Duration(600)),
                      status.spec.policy, so_far)  # fmt: skip
    assert finished.outcome is LinkOutcome.FINISHED, "a link that finished the work ends the chain DONE"
    record(reg, "a1", "observed_end", attempt=2, job_id="125", state="FAILED", exit="75:0", elapsed=20)
    record(reg, "a1", "decision", attempt=2, outcome=decision.outcome.value, reason=decision.reason)
    status = reg.status("a1")
    assert status.state is ChainState.STOPPED and status.reason == decision.reason
    record(reg, "a1", "resubmit_requested", by="alice")
    assert reg.status("a1").stop_requested_by is None, "a resubmit goes on"


def test_a_stop_without_live_link_stops_at_once(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    make_chain(reg, "a1")
    record(reg, "a1", "stop_requested", by="alice")
    status = reg.status("a1")
    assert status.state is ChainState.STOPPED and status.reason == "stopped by alice"


def test_new_settings_apply_to_the_next_links_and_are_in_the_history(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    make_chain(reg, "a1", grow_mem_factor=2.0)
    link(reg, "a1", 1, "120", "OUT_OF_MEMORY", outcome="needs_person", reason="out of memory")
    record(reg, "a1", "decision", attempt=1, outcome="needs_person", reason="oom", new_memory=2 << 30)
    services = Services(viewer="alice", slurm=SlurmClient(), home=tmp_path)
    status = reg.status("a1")
    assert status.next_options == ("--mem=2G",)
    event = services.settings_event(status, ["--mem-per-cpu=3G", "-t", "2:00:00"], {"max_restarts": 10})
    assert event is not None and event.by == "alice"
    assert event.sbatch_options == ("--signal=B:USR1@30", "-o", "logs/%j.out", "--mem-per-cpu=3G", "-t",
                                    "2:00:00"), "each given option replaces the chain's same one"  # fmt: skip
    assert event.policy == {"max_restarts": 10}
    reg.append("a1", event)
    status = reg.status("a1")
    assert status.spec.sbatch_options == event.sbatch_options and status.spec.policy.max_restarts == 10
    assert status.next_options == (), "the grown --mem gave way to the person's memory option"
    assert reg.load_spec("a1").policy.max_restarts == 4, "spec.json is never rewritten"
    (change,) = status.changes
    assert change.by == "alice" and change.describe() == "--mem-per-cpu=3G -t 2:00:00; max_restarts 10"
    assert services.settings_event(status, [], {"max_restarts": 10}) is None, "no change, no event"


@pytest.mark.parametrize(
    ("options", "policy", "message"),
    [
        (["--output=x.out"], {}, "--output cannot change between links"),
        (["-o", "x.out"], {}, "--output cannot change"),
        (["--mem"], {}, "--mem needs a value"),
        (["--memory=2G"], {}, "--memory=2G is not an sbatch option"),
        (["job.sh"], {}, "not an sbatch option: job.sh"),
        ([], {"grow_mem_factor": float("nan")}, "grow_mem_factor"),
        ([], {"max_restarts": -1}, "max_restarts"),
        ([], {"colour": 1}, "not a chain policy setting: colour"),
    ],
)
def test_bad_new_settings_are_refused_before_anything_is_written(
    tmp_path: Path, options: list[str], policy: dict[str, object], message: str
) -> None:
    reg = Registry(tmp_path)
    make_chain(reg, "a1")
    link(reg, "a1", 1, "120", "FAILED", outcome="needs_person", reason="failed")
    slurm = SlurmClient()
    services = Services(viewer="alice", slurm=slurm, home=tmp_path)
    before = reg.read_events("a1")
    with pytest.raises(ActionRefused, match=message):
        services.resubmit("a1", options, policy)
    assert reg.read_events("a1") == before and slurm.calls == 0


def run_cli(home: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LONGRUN_HOME": str(home), "LONGRUN_NO_AUTOSTART": "1"}
    return subprocess.run([sys.executable, "-m", "app.cli", *argv], capture_output=True, text=True, env=env,
                          timeout=60, cwd=REPO)  # fmt: skip


def test_archived_chains_leave_status_and_come_back(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    me = current_user()  # the command runs as whoever runs the tests
    make_chain(reg, "old", name="old-run", owner=me)
    make_chain(reg, "new", name="new-run", owner=me)
    make_chain(reg, "bad", name="failed-run", owner=me)
    for chain_id, day in (("old", 1), ("new", 30)):
        record(reg, chain_id, "submit_intent", attempt=1)
        record(reg, chain_id, "submitted", attempt=1, job_id=f"{day}")
        record(reg, chain_id, "observed_end", attempt=1, job_id=f"{day}", state="COMPLETED", exit="0:0",
                         end=(datetime.now(UTC) - timedelta(days=40 - day)).isoformat())  # fmt: skip
        record(reg, chain_id, "decision", attempt=1, outcome="finished", reason="completed")
    link(reg, "bad", 1, "7", "FAILED", outcome="needs_person", reason="failed with exit code 3")
    proc = run_cli(tmp_path, "archive", "--done", "--older-than", "14d")
    assert proc.returncode == 0 and "archived 1 chain: old" in proc.stdout, proc.stderr
    proc = run_cli(tmp_path, "archive", "failed-run")
    assert proc.returncode == 0, proc.stderr
    listed = {c["chain_id"] for c in json.loads(run_cli(tmp_path, "status", "--json").stdout)}
    assert listed == {"new"}
    archived = json.loads(run_cli(tmp_path, "status", "--archived", "--json").stdout)
    assert {c["chain_id"] for c in archived} == {"old", "bad"} and all(c["archived"] for c in archived)
    assert (tmp_path / "chains" / "old" / "spec.json").exists(), "kept on disk"
    again = run_cli(tmp_path, "archive", "old")
    assert again.returncode == 2 and "already archived" in again.stderr
    assert run_cli(tmp_path, "archive", "--undo", "old").returncode == 0
    assert {c["chain_id"] for c in json.loads(run_cli(tmp_path, "status", "--json").stdout)} == {"new", "old"}
    record(reg, "bad", "reinit", by=me)
    assert reg.status("bad").archived is False, "a reinit brings a chain back"
    usage = run_cli(tmp_path, "archive", "--done")
    assert usage.returncode == 2 and "--older-than" in usage.stderr


def test_status_json_shows_settings_changes_and_stopping(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    make_chain(reg, "a1")
    link(reg, "a1", 1, "120", "FAILED", outcome="needs_person", reason="failed")
    record(reg, "a1", "settings_changed", by="alice", given=["--mem=2G"], sbatch_options=["--mem=2G"],
                     policy={"min_link_seconds": 5})  # fmt: skip
    (chain,) = json.loads(run_cli(tmp_path, "status", "--json").stdout)
    (change,) = chain["changes"]
    assert change["by"] == "alice" and change["options"] == ["--mem=2G"] and change["policy"] == {"min_link_seconds": 5}
    assert chain["stopping"] is False and chain["archived"] is False


def test_the_stop_signal_is_the_chains_warning_signal(tmp_path: Path) -> None:
    script = tmp_path / "job.sh"
    script.write_text("#!/bin/bash\n#SBATCH --signal=R:SIGUSR2@300\nsleep 1\n")
    assert warning_signal(["--time=5"], str(script)) == ("USR2", False), "the script's #SBATCH line: to the steps"
    assert warning_signal(["--signal=B:USR1@60"], str(script)) == ("USR1", True), "the command line wins"
    assert warning_signal(["--signal=10"], None) == ("10", False)
    assert warning_signal([], None) == ("TERM", True), "no --signal: TERM to the batch shell"


def test_name_sets_the_job_name_unless_the_person_or_the_script_does(tmp_path: Path) -> None:
    script = tmp_path / "job.sh"
    script.write_text("#!/bin/bash\nsleep 1\n")
    assert not names_its_job(["--time=5"], script)
    assert names_its_job(["-J", "x"], script) and names_its_job(["--job=x"], script)
    script.write_text("#!/bin/bash\n#SBATCH --job-name=mine\nsleep 1\n")
    forget_scripts()
    assert names_its_job([], script)
