"""In-Slurm continuation without Slurm: how queued successors become links (derive), the decision
on a link whose work never started, the launcher's header, the change journal, --notify's
environment, job-count limits from sacctmgr's output, and the supervisor's light polling."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.model.chain import MODE_SLURM, ChainSpec, ChainState
from app.model.exit_status import ExitStatus
from app.model.outcome import ChainHistory, LinkEnding, LinkOutcome, decide
from app.model.policy import Policy
from app.model.states import JobState
from app.registry import Registry
from app.registry.journal import JOURNAL, changes_since, current_mark, note_change
from app.slurm.client import SlurmClient
from app.slurm.sacctmgr import parse_limits
from app.supervisor.doctor import _logind_setting
from app.supervisor.engine import Supervisor
from app.supervisor.launcher import LauncherError, launcher_text, script_header
from app.supervisor.notify import notify_due, notify_environment
from app.supervisor.work import script_argv
from tests.events import record

PY = sys.executable


def slurm_chain(reg: Registry, chain_id: str = "c1", **policy: object) -> None:
    spec = ChainSpec(chain_id=chain_id, name="n", owner="alice", script="/bin/true", workdir=str(reg.home),
                     policy=Policy(**policy), mode=MODE_SLURM, launcher=PY)  # type: ignore[arg-type]  # fmt: skip
    reg.create_chain(spec)
    old = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()  # before any queue listing
    record(reg, chain_id, "submit_intent", attempt=1, t=old)
    record(reg, chain_id, "submitted", attempt=1, job_id="10", t=old)
    record(reg, chain_id, "submit_intent", attempt=2, after="10", t=old)
    record(reg, chain_id, "submitted", attempt=2, job_id="11", t=old)


def end(reg: Registry, attempt: int, job_id: str, state: str = "FAILED", exit_status: str = "75:0") -> None:
    record(reg, "c1", "observed_end", attempt=attempt, job_id=job_id, state=state, exit=exit_status, elapsed=30,
           ending="exit 75")  # fmt: skip


def test_a_queued_successor_is_no_link_until_the_link_before_it_continues(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    slurm_chain(reg)
    st = reg.status("c1")
    assert [lk.job_id for lk in st.links] == ["10"] and [s.job_id for s in st.successors] == ["11"]
    assert st.live_link is not None and st.live_link.job_id == "10" and st.state is ChainState.RUNNING
    assert st.known_jobs == {"10", "11"} and not st.settled
    end(reg, 1, "10")
    record(reg, "c1", "decision", attempt=1, outcome="continue", reason="checkpointed (exit 75)")
    st = reg.status("c1")
    assert [lk.job_id for lk in st.links] == ["10", "11"] and st.successors == ()
    assert st.state is ChainState.RUNNING and st.reason is None and st.restarts_used == 1


def test_a_stop_leaves_the_successor_stale_until_it_is_cancelled_or_withdrawn(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    slurm_chain(reg)
    end(reg, 1, "10", "COMPLETED", "0:0")
    record(reg, "c1", "decision", attempt=1, outcome="finished", reason="completed")
    st = reg.status("c1")
    assert st.state is ChainState.DONE and [s.job_id for s in st.stale_successors] == ["11"] and not st.settled
    record(reg, "c1", "withdrawn", job_id="11", reason="the chain is done")
    st = reg.status("c1")
    assert st.successors == () and st.settled and "11" in st.known_jobs


def test_a_successor_cancelled_before_it_ran_is_gone(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    slurm_chain(reg)
    record(reg, "c1", "cancel_requested", by="alice")
    record(reg, "c1", "cancelled", job_id="11")
    st = reg.status("c1")
    assert st.successors == () and st.state is ChainState.STOPPED


def test_a_replacement_queued_after_a_withdrawn_successor_is_the_next_link(tmp_path: Path) -> None:
    """Out of memory with --grow-mem: the successor withdraws and queues the link with the new --mem."""
    reg = replaced_with_grown_memory(tmp_path)
    record(reg, "c1", "submitted", attempt=2, job_id="12")
    st = reg.status("c1")
    assert [lk.job_id for lk in st.links] == ["10", "12"] and st.links[1].options == ("--mem=1G",)
    assert st.next_options == ("--mem=1G",) and st.state is ChainState.RUNNING


def test_work_started_and_the_exit_marker_are_recorded_on_the_link(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    slurm_chain(reg)
    record(reg, "c1", "work_started", attempt=1, job_id="10", host="lr1")
    record(reg, "c1", "link_exited", attempt=1, job_id="10", exit="75:0")
    link = reg.status("c1").links[0]
    assert link.work_started and link.state == "RUNNING" and link.exited == ExitStatus(75)


def ending(state: JobState, started: bool | None, code: int = 0, signal: int = 0) -> LinkEnding:
    return LinkEnding(state, ExitStatus(code, signal), work_started=started)


def test_a_link_whose_work_never_started_continues_three_times_at_most() -> None:
    killed = ending(JobState.FAILED, started=False, signal=9)
    first = decide(killed, Policy(), ChainHistory())
    assert first.outcome is LinkOutcome.CONTINUE and first.reason == "ended before its work started (FAILED signal 9)"
    third = decide(killed, Policy(), ChainHistory(unstarted_before=2))
    assert third.outcome is LinkOutcome.NEEDS_PERSON and "longrun doctor" in third.reason
    assert decide(killed, Policy(max_restarts=1), ChainHistory(restarts_used=1)).outcome is LinkOutcome.NEEDS_PERSON
    # without a wrapper (None) the work's own rules hold: signal 9 is a failure
    assert decide(ending(JobState.FAILED, None, signal=9), Policy(), ChainHistory()).outcome is LinkOutcome.NEEDS_PERSON
    # preempted or cancelled before the work started: the usual rules
    assert decide(ending(JobState.PREEMPTED, False), Policy(), ChainHistory()).reason == "preempted"
    assert decide(ending(JobState.CANCELLED, False), Policy(), ChainHistory()).outcome is LinkOutcome.CANCELLED


def test_the_launcher_carries_the_scripts_directives_byte_for_byte(tmp_path: Path) -> None:
    script = tmp_path / "train.sh"
    script.write_bytes(
        b"#!/bin/bash\n#SBATCH --time=1:00:00\r\n\n  # a comment \xff\n#SBATCH -J 'x y'\necho hi\n#SBATCH --mem=1G\n"
    )
    assert script_header(script) == b"#SBATCH --time=1:00:00\n\n  # a comment \xff\n#SBATCH -J 'x y'\n"
    text = launcher_text(PY, script)
    assert text.startswith(f"#!{PY}\n# -*- coding: latin-1 -*-\n#SBATCH --time=1:00:00\n".encode())
    assert b"--mem=1G" not in text, "sbatch stops at the first command: so does the launcher"
    launcher = tmp_path / "link"
    launcher.write_bytes(text)
    proc = subprocess.run([PY, str(launcher)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "SLURM_JOB_ID": ""})  # fmt: skip
    assert proc.returncode == 2 and "longrun: usage: link HOME CHAIN ATTEMPT" in proc.stderr, proc.stderr
    with pytest.raises(LauncherError, match="cannot be a #! line"):
        launcher_text("/opt/my env/bin/python", script)


def test_a_script_without_the_x_bit_runs_through_its_interpreter(tmp_path: Path) -> None:
    script = tmp_path / "job.py"
    script.write_text("#!/usr/bin/env python3 -u\nprint(1)\n")
    assert script_argv(str(script), ("a",)) == ["/usr/bin/env", "python3 -u", str(script), "a"]
    script.chmod(0o755)
    assert script_argv(str(script), ("a",)) == [str(script), "a"]


def test_the_journal_names_the_chains_changed_since_a_mark(tmp_path: Path) -> None:
    assert changes_since(tmp_path, None) == (None, None)
    note_change(tmp_path, "a", 0o640)
    mark = current_mark(tmp_path)
    assert changes_since(tmp_path, None)[1] is None, "no mark yet: read everything"
    note_change(tmp_path, "b", 0o640)
    note_change(tmp_path, "c", 0o640)
    with open(tmp_path / JOURNAL, "ab") as fh:
        fh.write(b"d")  # a line being written
    new, ids = changes_since(tmp_path, mark)
    assert ids == {"b", "c"} and new is not None
    assert changes_since(tmp_path, new)[1] == set()
    os.replace(tmp_path / JOURNAL, tmp_path / "old")
    note_change(tmp_path, "e", 0o640)
    assert changes_since(tmp_path, new)[1] is None, "rotated: read everything"


def test_statuses_sees_a_change_through_the_journal_without_touching_settled_chains(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    slurm_chain(reg)
    end(reg, 1, "10", "COMPLETED", "0:0")
    record(reg, "c1", "decision", attempt=1, outcome="finished", reason="completed")
    record(reg, "c1", "withdrawn", job_id="11")
    reg.statuses()
    settled = reg.statuses().chains["c1"]
    assert settled.settled
    events = tmp_path / "chains" / "c1" / "events.jsonl"
    os.chmod(events, 0)  # looking at it again would make it damaged: the journal says nothing changed
    try:
        again = reg.statuses()
        assert again.chains["c1"] is settled and not again.damaged
    finally:
        os.chmod(events, 0o640)
    other = Registry(tmp_path)  # another process reinits it: the journal tells
    record(other, "c1", "reinit", by="alice")
    assert reg.statuses().chains["c1"].state is ChainState.CONTINUING


def test_notify_is_due_once_per_ending_and_carries_the_facts(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    spec = ChainSpec(chain_id="c1", name="x [y]", owner="alice", script="/bin/true", notify=("true",))
    reg.create_chain(spec)
    record(reg, "c1", "submit_intent", attempt=1)
    record(reg, "c1", "submitted", attempt=1, job_id="10")
    assert not notify_due(reg.status("c1"))
    end(reg, 1, "10", "FAILED", "3:0")
    record(reg, "c1", "decision", attempt=1, outcome="needs_person", reason="failed with exit code 3")
    st = reg.status("c1")
    assert notify_due(st)
    env = notify_environment(st, None)
    assert env["LONGRUN_STATE"] == "STOPPED" and env["LONGRUN_REASON"] == "failed with exit code 3"
    assert env["LONGRUN_JOB_ID"] == "10" and env["LONGRUN_CHAIN_NAME"] == "x [y]"
    record(reg, "c1", "notified", attempt=1, status=0)
    assert not notify_due(reg.status("c1"))


def test_job_limits_are_the_tightest_of_associations_and_their_qos() -> None:
    assoc = "acct1|||100|normal,long\nacct2|gpu|8||normal\n"
    qos = "normal||50\nlong|4|\nother|1|1\n"
    limits = parse_limits(assoc, qos)
    assert (limits.max_jobs, limits.max_submit) == (4, 50)
    assert any("QOS long" in s for s in limits.sources) and not any("other" in s for s in limits.sources)
    assert parse_limits("", "normal||\n").max_submit is None


def test_logind_setting(tmp_path: Path) -> None:
    conf = tmp_path / "logind.conf"
    conf.write_text("[Login]\n#KillUserProcesses=no\n")
    assert _logind_setting(conf) == "no"
    conf.write_text("[Login]\nKillUserProcesses=yes\n")
    assert _logind_setting(conf) == "yes"
    assert _logind_setting(tmp_path / "missing") is None


class Listing(SlurmClient):
    """squeue answers with a fixed queue; sacct with nothing; counts the calls."""

    def __init__(self, queue: list[str]) -> None:
        super().__init__()
        self.listed = queue
        self.asked: list[list[str]] = []

    @property
    def calls(self) -> int:
        return len(self.asked)

    def queue(self, job_ids: object = None, user: object = None):  # type: ignore[no-untyped-def, override]
        from app.slurm.records import QueueRecord, RecordList

        self.asked.append(["squeue"])
        return RecordList([QueueRecord(j, "n", "alice", JobState.RUNNING) for j in self.listed])

    def accounting(self, job_ids):  # type: ignore[no-untyped-def, override]
        from app.slurm.records import AccountingMap

        self.asked.append(["sacct", *job_ids])
        return AccountingMap()


def test_the_supervisor_asks_slurm_twice_a_minute_at_most_for_any_number_of_chains(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    old = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    for n in range(50):
        spec = ChainSpec(chain_id=f"c{n}", name="n", owner="alice", script="/bin/true", launcher=PY)
        reg.create_chain(spec)
        record(reg, f"c{n}", "submit_intent", attempt=1, t=old)
        record(reg, f"c{n}", "submitted", attempt=1, job_id=str(100 + n), t=old)
    slurm = Listing([str(100 + n) for n in range(50)])
    sup = Supervisor(reg, slurm, "alice")
    first = sup.cycle()
    assert first.listed and slurm.asked == [["squeue"]], "one listing, and nothing ended: no sacct"
    for _ in range(5):
        assert not sup.cycle().listed, "the next listing is due in 30 s, not every cycle"
    assert slurm.asked == [["squeue"]]
    record(reg, "c7", "link_exited", attempt=1, job_id="107", exit="0:0")  # a wrapper reports an end
    sup.cycle()
    assert slurm.asked == [["squeue"], ["sacct", "107"]], "only the reported link is asked about"


def test_a_link_gone_while_its_successor_waits_in_the_queue_is_recorded_by_the_supervisor(tmp_path: Path) -> None:
    """The queued successor may wait for resources for hours: one sacct here tells the end now."""
    reg = Registry(tmp_path)
    slurm_chain(reg)
    slurm = Listing(["10", "11"])  # both queued: nothing to ask
    sup = Supervisor(reg, slurm, "alice")
    assert sup.cycle().listed and slurm.asked == [["squeue"]]
    sup.next_listing = 0.0
    slurm.listed = ["11"]  # the link ended; its successor is still queued
    sup.cycle()
    assert slurm.asked == [["squeue"], ["squeue"], ["sacct", "10"]]
    assert json.dumps(reg.status("c1").spec.mode) == '"slurm"'


def test_the_diagnosis_quotes_the_jobs_last_line_not_the_wrappers() -> None:
    from app.diagnose import LogTail
    from app.diagnose.logscan import last_lines

    tail = LogTail("/x/1.out", text="loss is nan\nlongrun: the script exited 3\n", first_line=1)
    assert [line.text for line in last_lines([tail])] == ["loss is nan"]


class Sbatch(SlurmClient):
    """sbatch hands out job ids from 20 on and scancel is recorded; nothing else is asked here."""

    def __init__(self) -> None:
        super().__init__()
        self.submitted: list[tuple[str, list[str]]] = []
        self.cancelled: list[str] = []

    def submit(self, script, args=(), options=(), env=None, cwd=None, **_: object):  # type: ignore[no-untyped-def, override]
        job_id = str(20 + len(self.submitted))
        self.submitted.append((job_id, list(options)))
        return job_id

    def cancel(self, job_id, signal=None, batch_only=False, full=False):  # type: ignore[no-untyped-def, override]
        self.cancelled.append(job_id)


def test_a_successor_that_needs_more_memory_leaves_one_link_queued_with_its_attempt(tmp_path: Path) -> None:
    """--grow-mem inside Slurm: link 1 (job 10) ran out of memory and was decided; its successor (job 11)
    must replace itself with a link of the grown --mem. The job link 1's wrapper queued behind job 11
    (job 12, old options) is withdrawn before job 11 is, so it never becomes the link; the replacement
    is attempt 2 (job 11 never ran the work), queued with exactly one successor."""
    from app.supervisor.wrapper import Wrapper

    reg = Registry(tmp_path)
    slurm_chain(reg)
    record(reg, "c1", "submit_intent", attempt=3, after="11")  # link 1's wrapper, after its script ended
    record(reg, "c1", "submitted", attempt=3, job_id="12")
    end(reg, 1, "10", "OUT_OF_MEMORY", "0:125")
    record(reg, "c1", "decision", attempt=1, outcome="continue", reason="out of memory: growing",
           new_memory=1 << 30)  # fmt: skip
    slurm = Sbatch()
    plan = Wrapper(reg, slurm, "c1", 2, "11").prepare()
    assert slurm.cancelled == ["12"]
    assert [(job, [o for o in options if not o.startswith(("--comment", "--open-mode"))]) for job, options
            in slurm.submitted] == [("20", ["--mem=1G", "--dependency=afterany:11"]),
                                    ("21", ["--mem=1G", "--dependency=afterany:20"])]  # fmt: skip
    st = reg.status("c1")
    assert [(lk.attempt, lk.job_id) for lk in st.links] == [(1, "10"), (2, "20")]
    assert [(s.attempt, s.job_id, s.after) for s in st.successors] == [(3, "21", "20")]
    assert st.links[1].options == ("--mem=1G",) and st.state is ChainState.RUNNING
    assert {"11", "12"} <= st.known_jobs
    assert not plan.run and "attempt 2" in plan.why and "--mem=1G" in plan.why, plan
    # the replacement, when it starts, is the chain's link and runs the work as attempt 2
    assert Wrapper(reg, Sbatch(), "c1", 2, "20").prepare().run


def test_the_successor_that_decides_is_recorded_as_the_decider_and_explain_names_it(tmp_path: Path) -> None:
    """Link 1 (job 10) timed out with its end recorded; its successor (job 11) decides: the decision
    records `job 11`, and the chain story names it (no log is read for that)."""
    from app.diagnose.chainstory import chain_story
    from app.supervisor.wrapper import Wrapper

    reg = Registry(tmp_path)
    slurm_chain(reg)
    end(reg, 1, "10", "TIMEOUT", "0:0")
    Wrapper(reg, Sbatch(), "c1", 2, "11").prepare()
    first = reg.status("c1").links[0]
    assert first.decision is not None and first.decided_by == "job 11"
    assert chain_story(reg.status("c1"), first).sentences()[1] == f"The successor job 11 decided: {first.decision}."


class Tagged(Listing):
    """squeue lists jobs with their longrun comments; sacct by comment finds nothing more; sbatch
    hands out job ids from 30 on."""

    def __init__(self, tagged: dict[str, str]) -> None:
        super().__init__(list(tagged))
        self.tags = tagged
        self.submitted: list[str] = []

    def queue(self, job_ids: object = None, user: object = None):  # type: ignore[no-untyped-def, override]
        from app.slurm.records import QueueRecord, RecordList

        self.asked.append(["squeue"])
        return RecordList([QueueRecord(j, "n", "alice", JobState.RUNNING, comment=c) for j, c in self.tags.items()])

    def accounting_for_user(self, *args: object, **kwargs: object):  # type: ignore[no-untyped-def, override]
        from app.slurm.records import RecordList

        self.asked.append(["sacct"])
        return RecordList([])

    def submit(self, script, args=(), options=(), env=None, cwd=None, **_: object):  # type: ignore[no-untyped-def, override]
        self.submitted.append(str(30 + len(self.submitted)))
        return self.submitted[-1]


def replaced_with_grown_memory(tmp_path: Path) -> Registry:
    """Job 11 replaced itself with attempt 2 of grown memory (the same tag, `longrun:c1:2`); the
    replacement's job id is not recorded yet (or never: its wrapper died)."""
    reg = Registry(tmp_path)
    slurm_chain(reg)
    end(reg, 1, "10", "OUT_OF_MEMORY", "0:125")
    record(reg, "c1", "decision", attempt=1, outcome="continue", reason="out of memory: growing", new_memory=1 << 30)
    record(reg, "c1", "withdrawn", job_id="11", reason="the next link needs --mem=1G")
    record(reg, "c1", "submit_intent", attempt=2, options=["--mem=1G"], after="11")
    return reg


def test_a_withdrawn_job_that_carries_an_intents_tag_is_never_taken_for_its_job(tmp_path: Path) -> None:
    reg = replaced_with_grown_memory(tmp_path / "a")
    only_withdrawn = Tagged({"11": "longrun:c1:2"})
    sup = Supervisor(reg, only_withdrawn, "alice")
    assert sup.reconcile_duplicates() == 0
    assert [lk.job_id for lk in reg.status("c1").links] == ["10", None], "reconcile did not take job 11"
    sup.cycle()
    assert only_withdrawn.submitted[:1] == ["30"], "the intent never reached Slurm: submitted again"
    assert [lk.job_id for lk in reg.status("c1").links] == ["10", "30"]
    reg = replaced_with_grown_memory(tmp_path / "b")
    Supervisor(reg, Tagged({"11": "longrun:c1:2", "20": "longrun:c1:2"}), "alice").reconcile_duplicates()
    assert [lk.job_id for lk in reg.status("c1").links] == ["10", "20"], "the replacement is the intent's job"
