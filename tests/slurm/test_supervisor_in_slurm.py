"""Chains continued inside Slurm (issue 15) on the real cluster: a chain completes through a
preemption after every process of its user outside Slurm was killed; its link wrapper killed at
every point of its work never gives two running links nor loses the chain; cancel takes the queued
successor along; --notify runs wherever the chain stops; a supervisor killed with -9 is replaced
by the next `longrun status` at once."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.registry import Registry
from app.supervisor.lease import lock_path, read_heartbeat
from tests.conftest import make_user_dir, run_as, wait_until, write_script
from tests.slurm.chain_helpers import (
    copy_job,
    final_state,
    longrun,
    processes_outside_slurm,
    queued_ids,
    status,
    submit,
    submitted_ids,
)
from tests.slurm.test_supervisor import link_running, lr2_exclusive

QUIET = {"LONGRUN_NO_AUTOSTART": "1"}  # watching the chain must not start a supervisor


@pytest.fixture
def chain_dir(request: pytest.FixtureRequest) -> Iterator[Path]:
    path = make_user_dir("alice", request.node.name[:30].replace("[", "_").replace("]", ""))
    yield path
    for pid in processes_outside_slurm(path / "reg"):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    cancel_chain_jobs(path)


def cancel_chain_jobs(directory: Path) -> None:
    """scancel whatever this test's chains left queued (by the job ids its registry recorded)."""
    chains = directory / "reg" / "chains"
    ids = []
    for log in chains.glob("*/events.jsonl") if chains.is_dir() else []:
        ids += [json.loads(x)["job_id"] for x in log.read_text().splitlines() if '"submitted"' in x]
    if ids:
        subprocess.run(["scancel", *ids], capture_output=True, timeout=30)


class RunningWatch:
    """Samples the queue every half second: the most jobs of one chain RUNNING at once."""

    def __init__(self, chain_id: str) -> None:
        self.chain_id = chain_id
        self.most = 0
        self.seen: list[list[str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RunningWatch:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            proc = subprocess.run(["squeue", "-h", "-t", "R,CG", "-o", "%i|%k"], capture_output=True, text=True,
                                  timeout=30)  # fmt: skip
            running = [line.split("|")[0] for line in proc.stdout.splitlines()
                       if line.split("|", 1)[-1] .startswith(f"longrun:{self.chain_id}:")]  # fmt: skip
            if len(running) > 1:
                self.seen.append(running)
            self.most = max(self.most, len(running))
            self._stop.wait(0.5)


def steps_in(log: str) -> list[int]:
    return [int(m) for m in re.findall(r"^step (\d+)$", log, re.MULTILINE)]


def test_a_chain_goes_on_through_a_preemption_with_no_process_of_its_user_outside_slurm(
    chain_dir: Path, bob_dir: Path
) -> None:
    job = copy_job(chain_dir, "chunk_job.py", "alice")
    log = chain_dir / "run.log"
    total = 40
    with lr2_exclusive():
        chain_id, first = submit(
            "alice", chain_dir, "--min-link-seconds", "0", "-p", "preemptible", "-c", "8", "--time=5",
            "-o", str(log), str(job), str(chain_dir / "state"), str(total), "10", "0.5",
        )  # fmt: skip
        # As a person who logs out: everything of this user outside Slurm dies (the supervisor
        # `submit` started included); only this test's own processes are touched.
        killed = processes_outside_slurm(chain_dir / "reg")
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not processes_outside_slurm(chain_dir / "reg"), timeout=30, what="no process outside Slurm")
        registry = Registry(chain_dir / "reg", read_only=True)
        with RunningWatch(chain_id) as watch:
            wait_until(lambda: len(submitted_ids(chain_dir, chain_id)) >= 2 and link_running(chain_id)
                       and registry.status(chain_id).links[-1].work_started, timeout=240, interval=1,
                       what="the second link running")  # fmt: skip
            urgent = run_as("bob", ["sbatch", "--parsable", "-p", "urgent", "-c", "8", "--time=1", "-o", "/dev/null",
                                    "--wrap", "sleep 10"], cwd=bob_dir, check=True).stdout.strip()  # fmt: skip
            try:
                chain = wait_until(lambda: final_state("alice", chain_dir, chain_id), timeout=600, interval=3,
                                   what="the chain to finish")  # fmt: skip
            finally:
                subprocess.run(["scancel", urgent], capture_output=True, timeout=30)
    assert isinstance(chain, dict) and chain["state"] == "DONE", chain
    assert watch.most == 1 and not watch.seen, f"two running links at once: {watch.seen}"
    assert not processes_outside_slurm(chain_dir / "reg"), "no longrun process outside Slurm came back"
    assert not lock_path(registry).exists() or not _held(lock_path(registry)), "no supervisor ran"
    links = chain["links"]
    assert len(links) >= 4 and links[0]["job_id"] == first
    assert "PREEMPTED" in [lk["state"] for lk in links], links
    preempted = next(lk for lk in links if lk["state"] == "PREEMPTED")
    assert preempted["decision"] == "continue: preempted"
    assert [lk["decision"].split(":")[0] for lk in links] == ["continue"] * (len(links) - 1) + ["finished"]
    text = log.read_text()
    steps = steps_in(text)
    assert sorted(set(steps)) == list(range(1, total + 1)) and steps == sorted(steps), "no step lost or done twice"
    assert "longrun: attempt 1 (job " in text and ": continue: checkpointed (exit 75)" in text, text
    assert re.search(r"longrun: attempt \d+ \(job \d+\): continue: preempted", text), text
    assert "longrun: attempt" in text and "finished: completed" in text


def _held(path: Path) -> bool:
    import fcntl

    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


POINTS = "after_queue:2,during_decision:3,before_work:4,exit:5,before_queue:6"


def test_chaos_the_link_wrapper_killed_at_each_point_never_runs_two_links_nor_loses_the_chain(chain_dir: Path) -> None:
    """Kills (SIGKILL, by the wrapper's test hook) after queueing the next job, between recording the
    previous link's end and deciding, between deciding and running the work, after the work ended,
    and before queueing (reached only after the previous wrapper died before queueing ahead): the
    last leaves nothing queued, and the next `longrun status` revives the supervisor, which finishes."""
    job = copy_job(chain_dir, "chunk_job.py", "alice")
    log = chain_dir / "run.log"
    total = 24
    env = {**QUIET, "LONGRUN_TEST_WRAPPER_KILL": POINTS}
    chain_id, _ = submit("alice", chain_dir, "--min-link-seconds", "0", "--time=5", "-o", str(log),
                         str(job), str(chain_dir / "state"), str(total), "3", "0.3", env=env)  # fmt: skip
    home = chain_dir / "reg"
    with RunningWatch(chain_id) as watch:
        wait_until(lambda: (home / ".killed-before_queue-6").exists(), timeout=600, interval=2,
                   what="the wrapper of attempt 6 killed before queueing")  # fmt: skip

        def stalled() -> bool:
            proc = subprocess.run(["squeue", "-h", "-o", "%k"], capture_output=True, text=True, timeout=30)
            return not [c for c in proc.stdout.splitlines() if c.startswith(f"longrun:{chain_id}:")]

        wait_until(stalled, timeout=120, what="nothing of the chain left in the queue")
        chain = status("alice", chain_dir, chain_id)
        assert chain["state"] == "RUNNING", "stalled, not lost: the registry still holds the chain"
        assert not processes_outside_slurm(home), "no supervisor ran so far"
        revived = longrun("alice", chain_dir, "status")  # any command revives the supervisor
        assert revived.returncode == 0, revived.stderr
        done = wait_until(lambda: final_state("alice", chain_dir, chain_id), timeout=600, interval=3,
                          what="the chain to finish")  # fmt: skip
    assert isinstance(done, dict) and done["state"] == "DONE", done
    assert not watch.seen, f"two running links at once: {watch.seen}"
    for point in POINTS.split(","):
        name, attempt = point.split(":")
        assert (home / f".killed-{name}-{attempt}").exists(), f"the wrapper was never killed at {point}"
    steps = steps_in(log.read_text())
    assert steps == list(range(1, total + 1)), f"steps lost or repeated: {steps}"
    decisions = [lk["decision"] for lk in done["links"]]
    assert "continue: ended before its work started (FAILED signal 9)" in decisions, decisions
    assert decisions[-1] == "finished: completed"
    ids = [lk["job_id"] for lk in done["links"]]
    assert len(ids) == len(set(ids))


def test_cancel_takes_the_queued_successor_along(chain_dir: Path) -> None:
    job = copy_job(chain_dir, "exit_code.sh", "alice")
    chain_id, job_id = submit("alice", chain_dir, "--time=5", "-o", str(chain_dir / "%j.out"), str(job), "0", "300",
                              env=QUIET)  # fmt: skip
    seen = status("alice", chain_dir, chain_id)
    assert [lk["job_id"] for lk in seen["links"]] == [job_id]
    assert [lk["successor_of"] for lk in seen["queued"]] == [job_id], seen["queued"]
    successor = seen["queued"][0]["job_id"]
    assert seen["reason"] == f"next link queued as job {successor}: it decides when job {job_id} ends"
    proc = longrun("alice", chain_dir, "cancel", chain_id, env=QUIET)
    assert proc.returncode == 0, proc.stderr

    def gone() -> bool:
        out = subprocess.run(["squeue", "-h", "-j", f"{job_id},{successor}", "-o", "%i"], capture_output=True,
                             text=True, timeout=30).stdout.split()  # fmt: skip
        return not out

    wait_until(gone, timeout=60, what="the link and its queued successor to leave the queue")
    chain = status("alice", chain_dir, chain_id)
    assert chain["state"] == "STOPPED" and chain["reason"] == "cancelled by alice"
    assert [lk["job_id"] for lk in chain["links"]] == [job_id], "the successor is gone, nothing new"


HOOK = """#!/usr/bin/python3
import json, os, sys
keys = [k for k in os.environ if k.startswith("LONGRUN_")]
with open(sys.argv[1], "a") as fh:
    fh.write(json.dumps({k: os.environ[k] for k in keys}) + "\\n")
"""


@pytest.mark.parametrize("mode", ["slurm", "supervisor"])
def test_notify_runs_the_hook_with_the_chains_facts_when_it_stops(chain_dir: Path, mode: str) -> None:
    hook = write_script(chain_dir, "hook.py", HOOK, "alice")
    out = chain_dir / "notified.jsonl"
    job = copy_job(chain_dir, "exit_code.sh", "alice")
    env = QUIET if mode == "slurm" else {}  # a supervised chain needs its supervisor
    chain_id, job_id = submit("alice", chain_dir, "--mode", mode, "--notify", f"{hook} {out}", "--name",
                              "hook [me]", "--time=1", "-o", str(chain_dir / "%j.out"), str(job), "3", "1",
                              env=env)  # fmt: skip
    chain = wait_until(lambda: final_state("alice", chain_dir, chain_id), timeout=240, interval=2, what="stop")
    assert isinstance(chain, dict) and chain["state"] == "STOPPED"
    assert chain["attention"] == "failed with exit code 3"
    lines = wait_until(lambda: out.exists() and out.read_text().splitlines(), timeout=60, what="the hook's file")
    assert isinstance(lines, list) and len(lines) == 1, "notified once"
    facts = json.loads(lines[0])
    assert facts["LONGRUN_CHAIN_ID"] == chain_id and facts["LONGRUN_CHAIN_NAME"] == "hook [me]"
    assert facts["LONGRUN_STATE"] == "STOPPED" and facts["LONGRUN_REASON"] == "failed with exit code 3"
    assert facts["LONGRUN_JOB_ID"] == job_id
    assert facts["LONGRUN_DIAGNOSIS_TITLE"], facts
    # `explain` names who decided: inside Slurm (no supervisor ran) the job queued after the link
    shown = longrun("alice", chain_dir, "explain", job_id, env={**QUIET, "COLUMNS": "200"})
    told = json.loads(longrun("alice", chain_dir, "explain", "--json", job_id, env=QUIET).stdout)["diagnosis"]["chain"]
    if mode == "slurm":
        decider = told["decided_by"]
        assert re.fullmatch(r"job \d+", decider) and decider != f"job {job_id}", told
        assert decider.split()[1] in queued_ids(chain_dir, chain_id), "a job the chain queued"
        line = f"longrun: attempt 1 (job {job_id}): needs_person: failed with exit code 3 (decided by {decider})"
        assert line in (chain_dir / f"{decider.split()[1]}.out").read_text(), "as its log says"
        assert f"The successor {decider} decided: needs_person: failed with exit code 3." in shown.stdout, shown
    else:
        assert told["decided_by"] == "supervisor", told
        assert "The supervisor decided: needs_person: failed with exit code 3." in shown.stdout, shown
    time.sleep(5)
    assert len(out.read_text().splitlines()) == 1, "never twice"


def test_a_supervisor_killed_with_sigkill_is_replaced_by_the_next_longrun_status(chain_dir: Path) -> None:
    home = chain_dir / "reg"
    started = longrun("alice", chain_dir, "status")  # no chain yet: it starts the supervisor all the same
    assert started.returncode == 0, started.stderr
    registry = Registry(home, read_only=True)
    wait_until(lambda: read_heartbeat(registry), timeout=60, what="the first supervisor's heartbeat")
    beat = read_heartbeat(registry)
    assert beat is not None
    os.kill(beat.pid, signal.SIGKILL)
    wait_until(lambda: not _held(lock_path(registry)), timeout=30, what="the dead supervisor's lock to be free")
    began = time.monotonic()
    proc = longrun("alice", chain_dir, "status")
    took = time.monotonic() - began
    assert proc.returncode == 0, proc.stderr
    # The lock is held again by the time `longrun status` returns: the new supervisor inherited it.
    assert _held(lock_path(registry)), "a new supervisor holds the lock"
    assert "supervisor: not running" not in proc.stdout
    new = [pid for pid in processes_outside_slurm(home) if pid != beat.pid]
    assert new, "a new supervisor process runs"
    wait_until(lambda: (hb := read_heartbeat(registry)) is not None and hb.pid != beat.pid, timeout=120,
               what="the new supervisor's heartbeat")  # fmt: skip
    print(f"`longrun status` took {took:.1f} s and left a new supervisor holding the lock")


def test_a_chain_waiting_for_another_starts_when_it_finishes_with_no_supervisor(chain_dir: Path) -> None:
    job = copy_job(chain_dir, "exit_code.sh", "alice")
    out = ["-o", str(chain_dir / "%j.out"), "--time=1"]
    first, _ = submit("alice", chain_dir, "--name", "prep", *out, str(job), "0", "2", env=QUIET)
    then, none = submit("alice", chain_dir, "--after", first, "--name", "train", *out, str(job), "0", "1", env=QUIET)
    assert none is None
    done = wait_until(lambda: final_state("alice", chain_dir, then), timeout=240, interval=2, what="train to finish")
    assert isinstance(done, dict) and done["state"] == "DONE", done
    assert not processes_outside_slurm(chain_dir / "reg"), "no supervisor ran: the upstream's last job started it"
    upstream = status("alice", chain_dir, first)
    assert done["links"][0]["submit"] >= upstream["links"][0]["end"]
