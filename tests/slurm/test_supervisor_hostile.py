"""The supervisor against a colleague and a damaged registry, on the real cluster with two users
(issue 16 items 3, 4, 6 and 9): alice can open none of bob's locks and cannot freeze his chains;
a killed supervisor is reported down at once and revived; damaged chains are reported and
skipped while a real chain completes; a job of alice tagged with bob's chain id is alice's."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.registry import Registry
from app.services import Services
from app.slurm.client import SlurmClient
from tests.conftest import make_user_dir, run_as, wait_until
from tests.damage_corpus import build, damaged_ids, make_chain
from tests.slurm.chain_helpers import (
    copy_job,
    final_state,
    longrun,
    popen_as,
    status,
    stop,
    stop_supervisor,
    submit,
    submitted_ids,
    supervisor_log,
)

# alice walks bob's registry over and over, opens every file she can and holds an flock on each
GRAB_EVERYTHING = textwrap.dedent("""
    import fcntl, json, os, sys, time
    root, seconds, stop = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    held, refused, fds = set(), set(), []
    deadline = time.time() + seconds
    while time.time() < deadline and not os.path.exists(stop):
        for top in (root, os.path.join(root, "locks"), os.path.join(root, "supervisor")):
            try:
                os.listdir(top)
            except OSError:
                refused.add(top)
        for path in [os.path.join(root, "locks", "supervisor"), os.path.join(root, "supervisor", "lock")] + [
            os.path.join(d, n) for d, dirs, files in os.walk(root) for n in files + dirs
        ]:
            if path in held:
                continue
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            except OSError:
                refused.add(path)
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held.add(path)
                fds.append(fd)
            except OSError:
                os.close(fd)
        time.sleep(0.2)
    print(json.dumps({"held": sorted(held), "refused": sorted(refused)}))
""")


@pytest.fixture
def bob_chains(request: pytest.FixtureRequest) -> Iterator[Path]:
    path = make_user_dir("bob", request.node.name[:30])
    yield path
    stop_supervisor(path)


def test_a_colleague_can_hold_none_of_your_locks_and_your_chains_go_on(bob_chains: Path, alice_dir: Path) -> None:
    env = {"LONGRUN_UMASK": "022"}  # bob lets colleagues read his registry
    job = copy_job(bob_chains, "first_link_exits.sh", "bob")
    chain_id, _ = submit("bob", bob_chains, "--min-link-seconds", "0", "--time=1", "-o", str(bob_chains / "%j.out"),
                         str(job), "5", env=env)  # fmt: skip
    script = alice_dir / "grab.py"
    script.write_text(GRAB_EVERYTHING)
    enough = alice_dir / "enough"
    alice = popen_as("alice", ["python3", str(script), str(bob_chains / "reg"), "600", str(enough)], {},
                     alice_dir / "grab.out")  # fmt: skip
    try:
        chain = wait_until(lambda: final_state("bob", bob_chains, chain_id), timeout=240, interval=2, what="done")
        assert isinstance(chain, dict) and chain["state"] == "DONE", chain
        assert len(chain["links"]) == 2
    finally:
        enough.touch()
        try:
            alice.wait(timeout=60)
        finally:
            stop(alice)
    grabbed = json.loads((alice_dir / "grab.out").read_text().splitlines()[-1])
    assert not [p for p in grabbed["held"] if "lock" in Path(p).name or "/locks" in p], grabbed["held"]
    assert str(bob_chains / "reg" / "locks") in grabbed["refused"]
    assert grabbed["held"], "alice could read the registry (the test did what it meant to)"
    assert "stayed locked" not in supervisor_log(bob_chains)


def test_a_killed_supervisor_is_reported_down_at_once_and_revived(bob_chains: Path) -> None:
    job = copy_job(bob_chains, "exit_code.sh", "bob")
    chain_id, _ = submit("bob", bob_chains, "--time=5", "-o", str(bob_chains / "%j.out"), str(job), "0", "240")
    heartbeat = bob_chains / "reg" / "supervisor" / "heartbeat.json"
    try:
        wait_until(heartbeat.exists, timeout=60, what="the supervisor's heartbeat")
        first = int(json.loads(heartbeat.read_text())["pid"])
        wait_until(lambda: "supervisor started" in supervisor_log(bob_chains), timeout=60, what="supervisor up")
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: not Path(f"/proc/{first}").exists() or _zombie(first), timeout=30, what="gone")
        seen = longrun("bob", bob_chains, "status", env={"LONGRUN_NO_AUTOSTART": "1"})
        assert "supervisor: not running" in seen.stdout, seen.stdout  # its heartbeat is seconds old
        started = time.monotonic()
        longrun("bob", bob_chains, "status")

        def revived() -> bool:
            try:
                pid = int(json.loads(heartbeat.read_text())["pid"])
            except (OSError, ValueError, KeyError):
                return False
            return pid != first and Path(f"/proc/{pid}").exists()

        wait_until(revived, timeout=60, interval=0.2, what="a new supervisor")
        print(f"new supervisor {time.monotonic() - started:.1f} s after `longrun status`")
        again = longrun("bob", bob_chains, "status", env={"LONGRUN_NO_AUTOSTART": "1"})
        assert "supervisor: not running" not in again.stdout
    finally:
        longrun("bob", bob_chains, "cancel", chain_id)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


def test_damaged_chains_are_reported_and_skipped_while_a_real_chain_completes(alice_dir: Path) -> None:
    home = alice_dir / "reg"
    build(home, "alice")
    make_chain(Registry(home), "dmg-unreadable", "alice", alice_dir)
    subprocess.run(["chown", "-R", "alice:alice", str(home)], check=True, timeout=60)
    os.chmod(home / "chains" / "dmg-unreadable" / "spec.json", 0)
    job = copy_job(alice_dir, "first_link_exits.sh", "alice")
    chain_id, _ = submit("alice", alice_dir, "--min-link-seconds", "0", "--time=1", "-o", str(alice_dir / "%j.out"),
                         str(job), "3")  # fmt: skip
    chain = wait_until(lambda: final_state("alice", alice_dir, chain_id, damaged=True), timeout=240, interval=2,
                       what="done")  # fmt: skip
    assert isinstance(chain, dict) and chain["state"] == "DONE" and len(chain["links"]) == 2, chain
    proc = longrun("alice", alice_dir, "status", env={"LONGRUN_NO_AUTOSTART": "1", "COLUMNS": "200"})
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    named = {line.split()[2].rstrip(":") for line in proc.stderr.splitlines() if line.startswith("error: chain ")}
    assert named == {*damaged_ids(), "dmg-unreadable"}, proc.stderr
    assert "dmg-unreadable: cannot read" in proc.stderr and "Permission denied" in proc.stderr
    log = supervisor_log(alice_dir)
    for chain in named:
        assert log.count(f"skipping chain {chain}:") == 1, f"{chain} must be logged once:\n{log}"
    stop_supervisor(alice_dir)


def test_cancel_after_the_job_left_the_controller_cancels_the_chain(alice_dir: Path) -> None:
    job = copy_job(alice_dir, "exit_code.sh", "alice")
    quiet = {"LONGRUN_NO_AUTOSTART": "1"}  # nobody records the end before the cancel
    chain_id, job_id = submit("alice", alice_dir, "--mode", "supervisor", "--time=1", "-o", str(alice_dir / "%j.out"),
                              str(job), "0", "1", env=quiet)  # fmt: skip

    def forgotten() -> bool:
        proc = subprocess.run(["scontrol", "show", "job", job_id], capture_output=True, text=True, timeout=30)
        return "Invalid job id" in proc.stderr

    wait_until(forgotten, timeout=600, interval=5, what=f"the controller to forget job {job_id} (MinJobAge)")
    proc = longrun("alice", alice_dir, "cancel", chain_id, env=quiet)
    assert proc.returncode == 0, proc.stderr
    assert f"chain {chain_id} cancelled" in proc.stdout and "already ended" in proc.stdout, proc.stdout
    chain = status("alice", alice_dir, chain_id)
    assert chain["state"] == "STOPPED" and chain["reason"] == "cancelled by alice"
    assert submitted_ids(alice_dir, chain_id) == [job_id]


def test_a_job_tagged_with_a_colleagues_chain_is_shown_as_its_own_users(bob_chains: Path, alice_dir: Path) -> None:
    job = copy_job(bob_chains, "exit_code.sh", "bob")
    quiet = {"LONGRUN_NO_AUTOSTART": "1"}
    chain_id, bob_job = submit("bob", bob_chains, "--time=2", "-o", str(bob_chains / "%j.out"), str(job), "0", "90",
                               env=quiet)  # fmt: skip
    forged = run_as("alice", ["sbatch", "--parsable", "--time=2", f"--comment=longrun:{chain_id}:9", "-o", "/dev/null",
                              "--wrap", "sleep 90"], cwd=alice_dir, check=True).stdout.strip()  # fmt: skip
    try:
        services = Services(viewer="root", slurm=SlurmClient(), home=alice_dir / "root-reg")
        views = [v for v in services.snapshot(None).chains if v.chain_id == chain_id]
        by_owner = {v.owner: [lk.job_id for lk in v.links] for v in views}
        assert by_owner == {"bob": [bob_job], "alice": [forged]}, by_owner
    finally:
        subprocess.run(["scancel", forged, bob_job], capture_output=True, timeout=30)


@pytest.mark.parametrize("home", ["/nonexistent", "/root"])
def test_an_unwritable_home_is_one_clear_line(alice_dir: Path, home: str) -> None:
    job = copy_job(alice_dir, "exit_code.sh", "alice")
    for argv in (["submit", str(job), "0"], ["supervise"], ["cancel", "abc"]):
        proc = run_as("alice", ["longrun", *argv], cwd=alice_dir, env={"HOME": home, "LONGRUN_NO_AUTOSTART": "1"})
        assert proc.returncode != 0 and "Traceback" not in proc.stderr, proc.stderr
        assert len([line for line in proc.stderr.splitlines() if line.startswith("error:")]) == 1, proc.stderr
        assert f"{home}/.local/state/longrun" in proc.stderr, proc.stderr
