"""Issue 16 item 1 on the real cluster, with two users: alice prepares a shared sticky directory
(mode 1777) for bob's workflow: a `.longrun/` with symlinks to a file of bob's, where longrun used
to write the generated scripts, and a `logs/` of her own. bob's `workflow submit` must not write
through any of it, his scripts live in his registry where alice cannot touch them, and a later
link never runs a script other than the one recorded at submit.

On the code before this work the victim file became bob's 0755 job script (written through the
symlink) and the job output went into alice's directory."""

from __future__ import annotations

import json
import os
import shutil
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import WORK_ROOT, run_as, wait_until
from tests.slurm.chain_helpers import events, longrun, stop_supervisor, submitted_ids

WORKFLOW = """\
name: shared wf
jobs:
  - name: step
    command: {command}
    failure_handler: again
failure_handlers:
  - name: again
    rules:
      - {{exit_codes: [10], max_retries: 2}}
slurm_schedulers:
  - name: own_output
    partition: debug
    walltime: "00:05:00"
    extra: {extra}
"""


@pytest.fixture
def shared(bob_dir: Path) -> Iterator[Path]:
    path = WORK_ROOT / f"shared-{uuid.uuid4().hex[:8]}"
    path.mkdir()
    os.chmod(path, 0o1777)
    yield path
    stop_supervisor(bob_dir)
    shutil.rmtree(path, ignore_errors=True)


def alice_prepares(shared: Path, victim: Path) -> None:
    """What a colleague can do in a sticky directory before bob submits there."""
    script = (
        f"mkdir -m 777 {shared}/.longrun {shared}/logs && "
        f"for n in shared_wf.step.sh shared_wf.step.sh.tmp 'shared wf.step.sh' step.sh; do "
        f'ln -s {victim} "{shared}/.longrun/$n"; done'
    )
    run_as("alice", ["bash", "-c", script], check=True)


def test_a_colleagues_planted_directories_are_never_written_through(shared: Path, bob_dir: Path) -> None:
    victim = bob_dir / "private.txt"
    victim.write_text("bob's data\n")
    shutil.chown(victim, "bob", "bob")
    victim.chmod(0o600)
    alice_prepares(shared, victim)
    wf = shared / "wf.yaml"

    def bob_writes(command: str, extra: str) -> None:
        wf.write_text(WORKFLOW.format(command=command, extra=json.dumps(extra)))
        shutil.chown(wf, "bob", "bob")

    bob_writes("echo hi", "--time=2")
    refused = longrun("bob", shared, "workflow", "submit", "wf.yaml", home=bob_dir / "reg")
    assert refused.returncode == 1
    assert "logs belongs to uid" in refused.stderr and "could redirect your jobs' output" in refused.stderr
    assert not (bob_dir / "reg" / "chains").exists() or not list((bob_dir / "reg" / "chains").iterdir())

    go = bob_dir / "go"
    bob_writes(f"while [ ! -e {go} ]; do sleep 1; done; exit 10", f"--output={bob_dir}/%x-%j.out")
    proc = longrun("bob", shared, "workflow", "submit", "wf.yaml", "--json", home=bob_dir / "reg")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    chain_id = json.loads(proc.stdout)["chains"][0]["chain_id"]

    assert victim.read_text() == "bob's data\n" and stat.S_IMODE(victim.stat().st_mode) == 0o600
    assert sorted(p.name for p in (shared / ".longrun").iterdir()) == sorted(
        ["shared_wf.step.sh", "shared_wf.step.sh.tmp", "shared wf.step.sh", "step.sh"]
    )
    assert all((shared / ".longrun" / n).is_symlink() for n in os.listdir(shared / ".longrun"))
    spec = json.loads((bob_dir / "reg" / "chains" / chain_id / "spec.json").read_text())["spec"]
    script = Path(spec["script"])
    assert script.parent.parent == bob_dir / "reg" / "workflows" and spec["script_sha256"]
    assert stat.S_IMODE(script.parent.stat().st_mode) == 0o700 and script.stat().st_uid == victim.stat().st_uid
    for attempt in (["cat", str(script)], ["bash", "-c", f"echo 'echo pwned' >> '{script}'"]):
        assert run_as("alice", attempt).returncode != 0  # alice can neither read nor change it

    # Whoever manages to replace the script (here root, standing in for any way around the modes):
    # the retry link is refused before sbatch instead of running the replacement as bob.
    pwned = bob_dir / "pwned"
    script.write_text(f"#!/bin/bash\ntouch {pwned}\n")
    go.touch()

    def stopped() -> dict[str, object] | None:
        status = longrun("bob", shared, "workflow", "status", "shared wf", "--json", home=bob_dir / "reg",
                         env={"LONGRUN_NO_AUTOSTART": "1"})  # fmt: skip
        rows = json.loads(status.stdout)["jobs"] if status.returncode == 0 else []
        return rows[0] if rows and rows[0]["state"] == "STOPPED" else None

    row = wait_until(stopped, 240, interval=3, what="the chain to stop at the changed script")
    assert "changed since it was submitted" in str(row["reason"])  # type: ignore[index]
    # The retry link is refused (link 1 ran the script as submitted), or, when the script was replaced
    # before link 1 started, link 1's wrapper refused to run it (a chain continued inside Slurm reads
    # the script when the link starts; sbatch of a supervised chain had copied it).
    decided = [e["reason"] for e in events(bob_dir, chain_id) if e["type"] == "decision"]
    not_run = [e["attempt"] for e in events(bob_dir, chain_id) if e["type"] == "run_refused"]
    assert (decided, not_run) in ((["retry after exit code 10 (1 of 2)"], [2]), ([], [1])), (decided, not_run)
    # No link after the refused one: in Slurm the refused retry was queued behind link 1 (its
    # wrapper refused it) and the job queued behind it was cancelled; a supervised chain refuses
    # it before sbatch.
    assert len(submitted_ids(bob_dir, chain_id)) <= not_run[0], submitted_ids(bob_dir, chain_id)
    assert not pwned.exists()
