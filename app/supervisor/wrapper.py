"""The link wrapper: what runs in every job of a wrapped chain, on the compute node, as its owner.

`chains/<id>/link` (app/supervisor/launcher.py) calls main(HOME, CHAIN, ATTEMPT). Under the
chain's lock, with the same code the supervisor uses (endings.record_end / decide_recorded,
links.submit_link / queue_successor), the wrapper of a chain continued inside Slurm:

 1. makes sure a job is queued after this one (`--dependency=afterany`), so that whatever happens
    to this job from here on, the next one decides;
 2. records how the link before it ended (one sacct) and decides, unless that is recorded already;
 3. runs the chain's script (this job is the chain's next link), or ends: the chain finished or
    needs a person (the job queued after it is cancelled, and --notify runs), or the next link
    needs other sbatch options (grown --mem: this job queues the right one and withdraws).

Then it runs the script as a child, forwards the signals meant for the batch shell, and when the
script ends records a `link_exited` marker (the supervisor sees it with a stat, no Slurm call),
queues the job after its successor (so that the successor, too, is never alone), and exits as the
script did. A supervised chain's wrapper (MODE_SUPERVISOR) skips 1 and 2.

Every decision is one `longrun:` line in the job's log (stderr: the log unless the job has its own
--error file). Exit statuses of the wrapper's own:
0 when it ended the chain or handed over on purpose, 2 for a bad command line, 3 when it could not
decide (Slurm or the registry did not answer; the job after it tries again).
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from app.model.chain import ChainState, ChainStatus, Link
from app.model.exit_status import ExitStatus
from app.registry import LockBusy, Registry, RegistryError, UnknownChain
from app.registry import events as ev
from app.registry.scripts import verify_script
from app.slurm.client import SlurmClient, default_client
from app.slurm.errors import SlurmError
from app.slurm.records import JobAccounting
from app.supervisor.downstream import release_downstream
from app.supervisor.endings import awaiting_real_row, decide_recorded, observe_end
from app.supervisor.links import cancel_successors, queue_successor, submit_link, withdraw_queued
from app.supervisor.notify import notify_due, run_notify
from app.supervisor.progress import link_log_path, progress_now
from app.supervisor.work import run_work

LOCK_PATIENCE = 120.0  # seconds to wait for the chain's lock (a supervisor or a command holds it briefly)
ENDING_PATIENCE = 90.0  # seconds to wait for accounting's final record of the link before this one
KILL_PLAN = "LONGRUN_TEST_WRAPPER_KILL"  # test-only: "point:attempt,..." where the wrapper SIGKILLs itself


def say(text: str) -> None:
    """One line for the person reading the job's log: on stderr, which is the log unless the job
    has its own --error file, so that the script's standard output stays its own."""
    sys.stderr.write(f"longrun: {text}\n")
    sys.stderr.flush()


@dataclass(frozen=True)
class Plan:
    """What the wrapper decided under the lock: run the work as `link`, or not (and why)."""

    run: bool
    why: str
    status: ChainStatus | None = None
    link: Link | None = None
    exit_code: int = 0


class Wrapper:
    def __init__(self, reg: Registry, slurm: SlurmClient, chain_id: str, attempt: int, job_id: str) -> None:
        self.reg = reg
        self.slurm = slurm
        self.chain_id = chain_id
        self.attempt = attempt
        self.job_id = job_id
        self.last_ending: JobAccounting | None = None  # the accounting this wrapper decided on

    # -- test hook ---------------------------------------------------------------------------
    def checkpoint(self, point: str) -> None:
        """Chaos tests: die here, once per point and attempt, when LONGRUN_TEST_WRAPPER_KILL names it."""
        plan = os.environ.get(KILL_PLAN, "")
        if f"{point}:{self.attempt}" not in plan.split(","):
            return
        marker = self.reg.home / f".killed-{point}-{self.attempt}"
        try:
            os.close(os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except OSError:
            return
        say(f"test hook: killing the wrapper at {point}")
        os.kill(os.getpid(), 9)

    # -- deciding ----------------------------------------------------------------------------
    def prepare(self) -> Plan:
        """Everything before the work, under the chain's lock."""
        with self.reg.chain_lock(self.chain_id, timeout=LOCK_PATIENCE):
            status = self.reg.status(self.chain_id)
            me = self.find_me(status)
            if me is None:
                return Plan(False, f"job {self.job_id} is not a link of chain {self.chain_id} (withdrawn or replaced)")
            if status.unknown_kinds:
                return Plan(False, "the chain has events of a newer longrun; this one leaves it alone", exit_code=3)
            if not self.in_line(status, me):
                return self.end(status, f"job {me.after} it was queued after is no longer part of the chain")
            if status.spec.in_slurm and not (status.cancel_requested or status.state.is_final):
                self.checkpoint("before_queue")
                status = self.ensure_successor(status, me)
                self.checkpoint("after_queue")
            decided = self.decide_before_me(status)
            if decided is None:
                why = "could not decide on the link before this one; the job after this one tries again"
                return Plan(False, why, exit_code=3)
            return self.choose(decided)

    def find_me(self, status: ChainStatus) -> Link | None:
        """This job among the chain's links and successors; an intent of this attempt without a job id
        (its submitter died right after sbatch) is this job, recorded now."""
        for link in (*status.links, *status.successors):
            if link.job_id == self.job_id:
                return link
        for link in (*status.links, *status.successors):
            if link.attempt == self.attempt and link.job_id is None:
                self.reg.append(self.chain_id, ev.Submitted(attempt=self.attempt, job_id=self.job_id, recovered=True))
                say(f"recorded this job as attempt {self.attempt} (its submitter stopped before it could)")
                return self.find_me(self.reg.status(self.chain_id))
        return None

    def in_line(self, status: ChainStatus, me: Link) -> bool:
        """This job is the chain's link, or queued after its last link or after one of its successors
        (not after a job the chain dropped: a reinit or a replacement came in between)."""
        if me in status.links:
            return True
        line = {s.job_id for s in status.successors} | ({status.links[-1].job_id} if status.links else set())
        return me.after in line

    def ensure_successor(self, status: ChainStatus, me: Link) -> ChainStatus:
        """Queue the job that runs after this one, unless one is queued already."""
        if any(s.after == self.job_id for s in status.successors):
            return status
        job_id = queue_successor(self.reg, self.slurm, status, me)
        if job_id:
            say(f"queued job {job_id} to run when this one ends (it decides how the chain goes on)")
        else:
            say("could not queue the job after this one; the chain goes on after it only if a longrun supervisor runs")
        return self.reg.status(self.chain_id)

    def decide_before_me(self, status: ChainStatus) -> ChainStatus | None:
        """Record and decide every link that ended before this job (normally the one just before it).
        None when that cannot be done now (accounting silent, or that link has not ended)."""
        for _ in range(len(status.links) + len(status.successors) + 2):
            self.withdraw_dead_successors(status)
            status = self.reg.status(self.chain_id)
            if any(link.job_id == self.job_id for link in status.links):
                return status  # this job is the chain's link now
            last = status.links[-1] if status.links else None
            if last is None or status.state.is_final or status.cancel_requested:
                return status
            if last.is_live:
                job = self.final_accounting(last.job_id) if last.job_id else None
                if job is None:
                    return None
                if not job.job.state.is_terminal:
                    self.hand_over(status, last, job)
                    return None
                self.say_ending(last, job)
                self.last_ending = job
                observe_end(self.reg, status, job)
                self.checkpoint("during_decision")
                status = self.reg.status(self.chain_id)
            if status.undecided_link is not None:
                link = status.undecided_link
                decision = decide_recorded(self.reg, status, by=f"job {self.job_id}")
                say(f"attempt {link.attempt} (job {link.job_id}): {decision.label} (decided by job {self.job_id})")
                status = self.reg.status(self.chain_id)
            elif last.decision is not None and not last.continued:
                return status
        return status

    def hand_over(self, status: ChainStatus, last: Link, job: JobAccounting) -> None:
        """The link before this one has not ended (Slurm requeued it, or the dependency was edited):
        never run a second link; queue a job after it again and withdraw this one."""
        say(f"attempt {last.attempt} (job {last.job_id}) is {job.job.state.name}, not ended: not running a second link")
        self.reg.append(self.chain_id, ev.Withdrawn(job_id=self.job_id, reason=f"job {last.job_id} had not ended"))
        status = self.reg.status(self.chain_id)
        if not any(s.after == last.job_id for s in status.successors):
            queued = queue_successor(self.reg, self.slurm, status, last)
            if queued:
                say(f"queued job {queued} to run when job {last.job_id} ends")

    def withdraw_dead_successors(self, status: ChainStatus) -> None:
        """Successors queued before this job ran before it (afterany) and left no decision: they are gone."""
        for link in status.successors:
            if link.job_id == self.job_id:
                break
            if link.job_id is not None and link.after != self.job_id:
                self.reg.append(self.chain_id, ev.Withdrawn(job_id=link.job_id, reason="ended without deciding"))

    def final_accounting(self, job_id: str) -> JobAccounting | None:
        """The link's final accounting record (one sacct, again while slurmdbd has only a placeholder)."""
        deadline = time.monotonic() + ENDING_PATIENCE
        seen: JobAccounting | None = None
        while True:
            try:
                seen = self.slurm.accounting([job_id]).get(job_id)
            except SlurmError as exc:
                say(f"sacct did not answer about job {job_id}: {exc}")
            if seen is not None and seen.job.state.is_terminal and not awaiting_real_row(seen):
                return seen
            if seen is not None and not seen.job.state.is_terminal and seen.job.state.name != "COMPLETING":
                return seen  # requeued or still running: the caller does not decide on it
            if time.monotonic() >= deadline:
                return seen if seen is not None and seen.job.state.is_terminal else None
            time.sleep(1.0)

    def say_ending(self, link: Link, job: JobAccounting) -> None:
        row = job.job
        say(f"attempt {link.attempt} (job {link.job_id}) ended {row.state.name} {row.exit_status}")

    def choose(self, status: ChainStatus) -> Plan:
        """Run the work as the chain's next link, or end (and tidy the queue)."""
        me = next((link for link in status.links if link.job_id == self.job_id), None)
        if me is None or status.links[-1] is not me or status.cancel_requested or status.state.is_final:
            why = f"the chain is {status.state.value.lower()}" + (f": {status.reason}" if status.reason else "")
            return self.end(status, why)
        if not me.is_live:
            return self.end(status, "this link is already recorded as ended")
        if tuple(me.options) != tuple(status.next_options):
            return self.requeue(status, me)
        if status.spec.script_sha256:
            problem = verify_script(status.spec.script, status.spec.script_sha256)
            if problem is not None:
                self.reg.append(self.chain_id, ev.RunRefused(attempt=me.attempt, error=problem, job_id=self.job_id))
                return self.end(self.reg.status(self.chain_id), problem)
        self.checkpoint("before_work")
        before = status.links[-2] if len(status.links) > 1 and status.spec.policy.progress_regex else None
        done = progress_now(status.spec, link_log_path(status.spec, before))
        started = ev.WorkStarted(attempt=me.attempt, job_id=self.job_id, host=socket.gethostname(),
                                 done_before=done.done if done is not None else None)  # fmt: skip
        self.reg.append(self.chain_id, started)
        return Plan(True, "", self.reg.status(self.chain_id), me)

    def end(self, status: ChainStatus, why: str) -> Plan:
        """Not running the work: withdraw this job; when the chain is over, cancel what was queued
        after it and run --notify."""
        if self.job_id in {s.job_id for s in status.successors}:
            self.reg.append(self.chain_id, ev.Withdrawn(job_id=self.job_id, reason=why))
            status = self.reg.status(self.chain_id)
        if status.stale_successors:
            try:
                gone = cancel_successors(self.reg, self.slurm, status, status.stale_successors)
            except SlurmError as exc:
                say(f"could not cancel the job(s) queued after this one ({exc}); each ends itself when it starts")
            else:
                if gone:
                    say(f"cancelled queued job {', '.join(gone)}: nothing left to run")
            status = self.reg.status(self.chain_id)
        if notify_due(status):
            code = run_notify(self.reg, status, self.last_ending, self.slurm)
            say(f"ran the --notify command (exit {code})" if code is not None else "the --notify command failed")
        if status.state is ChainState.DONE and status.spec.in_slurm:
            for chain_id, job_id in release_downstream(self.reg, self.slurm, self.chain_id):
                say(f"started chain {chain_id}, which waited for this one: job {job_id}")
        return Plan(False, why, status)

    def requeue(self, status: ChainStatus, me: Link) -> Plan:
        """The next link needs other sbatch options than this job was queued with (e.g. a grown --mem):
        queue it with them (after this job, so they never run together) and withdraw this one.

        This job is the one owner of the chain's queue here: the jobs queued behind it (with the old
        options) are withdrawn FIRST, so that none of them can become the chain's link once this job
        is withdrawn; the replacement then takes this job's attempt number (this job never ran the
        work), and is queued together with its own successor."""
        wanted = " ".join(status.next_options) or "the chain's own options"
        if status.successors:
            try:
                gone = withdraw_queued(
                    self.reg, self.slurm, status, status.successors, f"queued before the next link needed {wanted}"
                )
            except SlurmError as exc:
                say(f"could not cancel the job(s) queued after this one ({exc}); each ends itself when it starts")
            else:
                say(f"cancelled queued job {', '.join(gone)}: queued with the old options")
        self.reg.append(self.chain_id, ev.Withdrawn(job_id=self.job_id, reason=f"the next link needs {wanted}"))
        status = self.reg.status(self.chain_id)
        job_id = submit_link(self.reg, self.slurm, status, after=self.job_id)
        if job_id is None:
            return Plan(False, f"sbatch refused the next link with {wanted}: {self.reg.status(self.chain_id).reason}")
        return Plan(False, f"the next link (attempt {me.attempt}) needs {wanted}: queued it as job {job_id}")

    # -- after the work ------------------------------------------------------------------------
    def finished(self, link: Link, exit_status: ExitStatus) -> None:
        """The script ended: record the marker, then make sure the successor has a job after it."""
        try:
            self.reg.append(self.chain_id, ev.LinkExited(attempt=link.attempt, job_id=self.job_id, exit=exit_status))
        except RegistryError as exc:
            say(f"could not record the end in the registry: {exc}")
            return
        self.checkpoint("exit")
        try:
            with self.reg.chain_lock(self.chain_id, timeout=5.0):
                status = self.reg.status(self.chain_id)
                if not status.spec.in_slurm or status.cancel_requested or status.state.is_final:
                    return
                if status.stop_requested_by is not None:
                    return  # `longrun stop`: no link follows this one
                mine = [s for s in status.successors if s.after == self.job_id and s.job_id]
                if mine and not any(s.after == mine[0].job_id for s in status.successors):
                    queued = queue_successor(self.reg, self.slurm, status, mine[0])
                    if queued:
                        say(f"queued job {queued} to run when job {mine[0].job_id} ends (that one is never alone)")
        except (LockBusy, RegistryError, SlurmError) as exc:
            say(f"did not queue a second job ahead ({exc}); the next job queues it")


def parse_args(argv: list[str]) -> tuple[Path, str, int]:
    if len(argv) != 3 or not argv[2].isdigit():
        raise ValueError(f"usage: link HOME CHAIN ATTEMPT (got {json.dumps(argv)})")
    return Path(argv[0]), argv[1], int(argv[2])


def main(argv: list[str]) -> int:
    try:
        home, chain_id, attempt = parse_args(argv)
    except ValueError as exc:
        say(str(exc))
        return 2
    job_id = os.environ.get("SLURM_JOB_ID", "")
    if not job_id:
        say("not inside a Slurm job (no SLURM_JOB_ID): nothing to do")
        return 2
    wrapper = Wrapper(Registry(home), default_client(), chain_id, attempt, job_id)
    try:
        plan = wrapper.prepare()
    except UnknownChain:
        say(f"chain {chain_id} is not in {home} (removed?): not running anything")
        return 0
    except (LockBusy, RegistryError, SlurmError) as exc:
        say(f"could not decide ({exc}); the job after this one tries again")
        return 3
    if not plan.run or plan.status is None or plan.link is None:
        say(f"not running the work: {plan.why}")
        return plan.exit_code
    spec = plan.status.spec
    say(f"running attempt {plan.link.attempt} of chain {chain_id} ({spec.name}): {spec.script}")
    exit_status = run_work(plan.status, plan.link, say)
    wrapper.finished(plan.link, exit_status)
    if exit_status.signal:
        say(f"the script was ended by signal {exit_status.signal}")
    else:
        say(f"the script exited {exit_status.code}")
    return exit_as(exit_status)


def exit_as(status: ExitStatus) -> int:
    """Exit as the script did, so that Slurm records its exit code (or signal) for the job."""
    if status.signal:
        import signal

        sys.stdout.flush()
        signal.signal(status.signal, signal.SIG_DFL)
        os.kill(os.getpid(), status.signal)
        return 128 + status.signal
    return status.code
