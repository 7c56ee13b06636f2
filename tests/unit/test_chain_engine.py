"""The supervisor's per-chain step without Slurm calls: endings recorded and decided from given
accounting rows, a vanished job stops the chain, and the no-progress history is counted right."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.model.chain import ChainSpec, ChainState
from app.model.exit_status import ExitStatus
from app.model.policy import Policy
from app.model.states import JobState
from app.model.units import Duration
from app.registry import Registry, derive
from app.registry.events import ObservedEnd
from app.slurm.client import SlurmClient
from app.slurm.records import JobAccounting, SacctRow
from app.supervisor.endings import history
from app.supervisor.engine import FAST_POLL, SUPERVISED_POLL, CycleReport, Supervisor
from tests.captures import parse_sacct_capture
from tests.events import record


def setup(tmp_path: Path, policy: Policy | None = None) -> tuple[Registry, Supervisor, SlurmClient]:
    reg = Registry(tmp_path)
    spec = ChainSpec(chain_id="c1", name="n", owner="alice", script="/bin/true", workdir=str(tmp_path),
                     policy=policy or Policy(max_restarts=0))  # fmt: skip
    reg.create_chain(spec)
    record(reg, "c1", "submit_intent", attempt=1)
    record(reg, "c1", "submitted", attempt=1, job_id="41")
    slurm = SlurmClient()
    return reg, Supervisor(reg, slurm, "alice"), slurm


def row(state: JobState, code: int = 0, elapsed: int = 40) -> JobAccounting:
    return JobAccounting(SacctRow(
        job_id="41", step=None, name="n", state=state, cancelled_by_uid=None, exit_status=ExitStatus(code),
        elapsed=Duration(elapsed), time_limit=Duration(60), start=datetime(2026, 1, 1), end=datetime(2026, 1, 1),
    ))  # fmt: skip


def test_failed_ending_is_recorded_and_stops(tmp_path: Path) -> None:
    reg, sup, slurm = setup(tmp_path)
    status = sup.fresh("c1")
    sup.step(status, {"41": row(JobState.FAILED, 3)}, {}, None, lambda _c: None, CycleReport())
    st = derive(reg.load_spec("c1"), reg.read_events("c1"))
    assert st.state is ChainState.STOPPED and st.reason == "failed with exit code 3"
    assert st.links[0].ending == "exit 3" and st.links[0].ended
    assert slurm.calls == 0


def test_restart_limit_zero_stops_a_timeout(tmp_path: Path) -> None:
    reg, sup, slurm = setup(tmp_path)
    sup.step(sup.fresh("c1"), {"41": row(JobState.TIMEOUT)}, {}, None, lambda _c: None, CycleReport())
    st = derive(reg.load_spec("c1"), reg.read_events("c1"))
    assert st.state is ChainState.STOPPED and st.reason is not None and "restart limit reached (0)" in st.reason
    assert slurm.calls == 0


def test_a_running_link_is_left_alone_until_the_next_queue_listing(tmp_path: Path) -> None:
    """No fast polling near the time limit: the wrapper's marker or the 30-s listing tells the end."""
    reg, sup, _ = setup(tmp_path)
    poll = sup.step(sup.fresh("c1"), {"41": row(JobState.RUNNING, elapsed=59)}, {}, None, lambda _c: None,
                    CycleReport())  # fmt: skip
    assert poll == SUPERVISED_POLL
    assert derive(reg.load_spec("c1"), reg.read_events("c1")).state is ChainState.RUNNING


def test_vanished_job_stops_the_chain(tmp_path: Path) -> None:
    reg, sup, slurm = setup(tmp_path)
    assert not sup.vanished(datetime.now(UTC) - timedelta(seconds=30))
    assert sup.vanished(datetime.now(UTC) - timedelta(hours=1))
    events = reg.read_events("c1")
    events[-1] = replace(events[-1], t=datetime.now(UTC) - timedelta(hours=1))
    status = derive(reg.load_spec("c1"), events)
    sup.step(status, {}, {}, None, lambda _c: None, CycleReport())
    st = derive(reg.load_spec("c1"), reg.read_events("c1"))
    assert st.state is ChainState.STOPPED and "unknown to sacct and squeue" in (st.reason or "")
    assert slurm.calls == 0


def test_short_links_are_counted_for_the_no_progress_guard(tmp_path: Path) -> None:
    reg, sup, _ = setup(tmp_path, Policy(min_link_seconds=60, short_links_allowed=2))
    record(reg, "c1", "observed_end", attempt=1, job_id="41", state="FAILED", exit="75:0", elapsed=5,
           ending="exit 75")  # fmt: skip
    record(reg, "c1", "decision", attempt=1, outcome="continue", reason="checkpointed (exit 75)")
    record(reg, "c1", "submit_intent", attempt=2)
    record(reg, "c1", "submitted", attempt=2, job_id="42")
    status = sup.fresh("c1")
    found = history(status, status.links[-1])
    assert found.short_links_before == 1 and found.restarts_used == 1 and found.continue_code_seen


def test_a_final_placeholder_row_waits_for_the_real_one(tmp_path: Path) -> None:
    """slurmdbd's stand-in row (real capture) has no ReqMem or Timelimit: --grow-mem needs them."""
    reg, sup, slurm = setup(tmp_path)
    placeholder = parse_sacct_capture("sacct_placeholder_completed.txt")["240"]
    assert placeholder.job.partition is None and placeholder.requested_memory is None
    just_ended = JobAccounting(replace(placeholder.job, end=datetime.now()), placeholder.steps)
    poll = sup.step(sup.fresh("c1"), {"41": just_ended}, {}, None, lambda _c: None, CycleReport())
    assert poll == FAST_POLL
    assert not [e for e in reg.read_events("c1") if isinstance(e, ObservedEnd)]
    real = JobAccounting(replace(just_ended.job, partition="debug"), placeholder.steps)
    sup.step(sup.fresh("c1"), {"41": real}, {}, None, lambda _c: None, CycleReport())
    assert derive(reg.load_spec("c1"), reg.read_events("c1")).links[0].ended
    assert slurm.calls == 0


def test_a_placeholder_that_stays_is_taken_as_it_is(tmp_path: Path) -> None:
    reg, sup, _ = setup(tmp_path)
    placeholder = parse_sacct_capture("sacct_placeholder_completed.txt")["240"]  # ended 2026-11-22
    sup.step(sup.fresh("c1"), {"41": placeholder}, {}, None, lambda _c: None, CycleReport())
    st = derive(reg.load_spec("c1"), reg.read_events("c1"))
    assert st.links[0].ended and st.state is ChainState.DONE
