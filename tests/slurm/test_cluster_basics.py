"""The test cluster itself, as ordinary users see it: submit, queue, accounting, permissions.

These use plain Slurm commands on purpose: they check the cluster the project's script builds,
independently of the project's own Slurm layer.
"""

from __future__ import annotations

import os
import subprocess
import venv
from pathlib import Path

from tests.conftest import run_as, wait_until, write_script

US = "\x1f"
REPO = Path(__file__).resolve().parents[2]


def sacct_rows(user: str, job_id: str) -> list[list[str]]:
    proc = run_as(
        user,
        ["sacct", "-j", job_id, "-P", "-n", f"--delimiter={US}", "--format=JobID,User,State,ExitCode,MaxRSS,Comment"],
        check=True,
    )
    return [line.split(US) for line in proc.stdout.splitlines() if line]


def test_user_submits_sees_queue_and_reads_accounting_with_steps(alice_dir: Path) -> None:
    script = write_script(alice_dir, "work.sh", "#!/bin/bash\necho started\nsleep 4\necho done\n", owner="alice")
    submitted = run_as(
        "alice",
        [
            "sbatch",
            "--parsable",
            "-D",
            str(alice_dir),
            "-o",
            f"{alice_dir}/%j.out",
            "--comment=longrun:basics",
            str(script),
        ],
        check=True,
    )
    job_id = submitted.stdout.strip().split(";")[0]
    assert job_id.isdigit()

    queued = run_as("alice", ["squeue", "-h", "-j", job_id, "-o", "%i %u %T"], check=True).stdout.split()
    assert queued[:2] == [job_id, "alice"]
    assert queued[2] in ("PENDING", "RUNNING", "CONFIGURING", "COMPLETING")

    def finished() -> list[list[str]] | None:
        rows = sacct_rows("alice", job_id)
        # the whole record: a clean-clone run once read User=root for alice's just-ended job (slurmdbd
        # had not filled the record yet); the user is asserted below once accounting holds it
        complete = rows and rows[0][2] == "COMPLETED" and rows[0][1] != "root"
        return rows if complete and any(r[0] == f"{job_id}.batch" for r in rows) else None

    rows = wait_until(finished, 60, what=f"job {job_id} COMPLETED in accounting")
    assert isinstance(rows, list)
    job_row = rows[0]
    assert job_row[:4] == [job_id, "alice", "COMPLETED", "0:0"]
    assert job_row[5] == "longrun:basics", "AccountingStoreFlags=job_comment keeps the comment"
    batch = next(r for r in rows if r[0] == f"{job_id}.batch")
    assert batch[4].endswith(("K", "M")), f"MaxRSS is filled on the batch step: {batch}"
    assert (alice_dir / f"{job_id}.out").read_text() == "started\ndone\n"

    # A colleague reads the same accounting, and may not cancel the job.
    assert sacct_rows("bob", job_id)[0][:3] == [job_id, "alice", "COMPLETED"]


def test_colleague_cannot_cancel_a_running_job(alice_dir: Path) -> None:
    script = write_script(alice_dir, "sleep.sh", "#!/bin/bash\nsleep 120\n", owner="alice")
    job_id = run_as(
        "alice", ["sbatch", "--parsable", "-D", str(alice_dir), "-o", f"{alice_dir}/%j.out", str(script)], check=True
    ).stdout.strip()
    try:
        refused = run_as("bob", ["scancel", job_id])
        assert refused.returncode != 0
        assert "Access/permission denied" in refused.stderr
        state = run_as("bob", ["squeue", "-h", "-j", job_id, "-o", "%T"], check=True).stdout.strip()
        assert state in ("PENDING", "RUNNING")
    finally:
        run_as("alice", ["scancel", job_id])


def test_memory_limit_is_enforced_by_cgroups(alice_dir: Path) -> None:
    script = write_script(
        alice_dir,
        "hog.sh",
        "#!/usr/bin/python3\nimport time\nblock = bytearray(300 * 1024 * 1024)\ntime.sleep(5)\n",
        owner="alice",
    )
    job_id = run_as(
        "alice",
        ["sbatch", "--parsable", "--mem=100M", "-D", str(alice_dir), "-o", f"{alice_dir}/%j.out", str(script)],
        check=True,
    ).stdout.strip()

    def ended() -> list[str] | None:
        rows = sacct_rows("alice", job_id)
        return rows[0] if rows and rows[0][2] not in ("PENDING", "RUNNING", "") else None

    row = wait_until(ended, 60, what=f"job {job_id} to end")
    assert isinstance(row, list)
    assert row[2:4] == ["OUT_OF_MEMORY", "0:125"]


# The daemons only: `/usr/sbin/slurm` alone also matches the slurmstepd of every job that starts meanwhile.
DAEMONS = ["pgrep", "-f", "^/usr/sbin/slurm(ctld|dbd|d)( |$)"]


def test_cluster_script_is_idempotent() -> None:
    """A second `up` on a running cluster restarts nothing and rewrites no configuration."""
    conf = Path("/etc/slurm/slurm.conf")
    before_mtime = conf.stat().st_mtime_ns
    pids_before = subprocess.run(DAEMONS, capture_output=True, text=True).stdout.split()
    proc = subprocess.run(
        ["/usr/bin/python3", str(REPO / "scripts" / "test-cluster"), "up"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert conf.stat().st_mtime_ns == before_mtime
    pids_after = subprocess.run(DAEMONS, capture_output=True, text=True).stdout.split()
    assert sorted(pids_after) == sorted(pids_before)
    status = subprocess.run(
        ["/usr/bin/python3", str(REPO / "scripts" / "test-cluster"), "status"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert status.returncode == 0
    assert "slurmctld    running" in status.stdout
    assert "debug" in status.stdout and "urgent" in status.stdout


def test_cluster_script_refuses_non_root_with_a_clear_message() -> None:
    # Copy the script where alice can read it: the checkout may live under /root.
    target = Path("/tmp/longrun-tests/test-cluster-copy")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text((REPO / "scripts" / "test-cluster").read_text())
    os.chmod(target, 0o755)
    proc = run_as("alice", ["/usr/bin/python3", str(target), "up"])
    assert proc.returncode == 1
    assert "needs root" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_setup_remakes_a_virtual_environment_cut_off_before_pip(tmp_path: Path) -> None:
    """Ctrl-C during the first `scripts/setup` can leave python without pip; the next run must repair it."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    proc = subprocess.run(
        ["bash", str(REPO / "scripts" / "setup")],
        capture_output=True, text=True, timeout=600, env={**os.environ, "LONGRUN_VENV": str(env_dir)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert f"creating virtual environment {env_dir}" in proc.stdout
    help_text = subprocess.run([str(env_dir / "bin" / "longrun"), "--help"], capture_output=True, text=True, timeout=60)
    assert help_text.returncode == 0 and help_text.stdout.startswith("usage: longrun"), help_text.stderr
