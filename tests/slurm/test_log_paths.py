"""Log paths as Slurm resolves them, on the real cluster: one answer for status, explain and the dashboard.

A new user's script carries its own `#SBATCH --output=DIR/out/train-%j.out` and `--error=...`:
the dashboard showed "waiting for .../slurm-N.out", `status --json` named that wrong file and the
Diagnosis quoted nothing (issue 11.2). And a log that is a FIFO or a device hung `longrun
explain` and the dashboard's poll (issue 16.5).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from tests.captures.endings.scenarios import controller_forgot, explain, wait_ended
from tests.conftest import run_as, wait_until, write_script
from tests.slurm.chain_helpers import status, stop_supervisor, submit

# What the dashboard's poll worker computes for a job (app.tui.polling: ChainService.snapshot, which
# resolves every link's log and diagnoses the selected job), run as the viewing user, as JSON.
DASHBOARD = """
import json, sys
from app.services import Services
job = sys.argv[1]
snapshot = Services().snapshot(sys.argv[2], job)
links = [link for chain in snapshot.chains for link in chain.links if link.job_id == job]
shown = snapshot.focus.diagnosis if snapshot.focus else None
print(json.dumps({"log_path": links[0].log_path if links else None,
                  "stderr_path": links[0].stderr_path if links else None,
                  "kind": shown.kind if shown else None, "evidence": list(shown.evidence) if shown else []}))
"""


def dashboard(user: str, job_id: str, owner: str, home: Path) -> dict[str, Any]:
    proc = run_as(user, ["python", "-c", DASHBOARD, job_id, owner], env={"LONGRUN_HOME": str(home),
                  "LONGRUN_NO_AUTOSTART": "1"}, timeout=60)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def explain_with_home(user: str, job_id: str, home: Path) -> dict[str, Any]:
    proc = run_as(user, ["longrun", "explain", job_id, "--json"], env={"LONGRUN_HOME": str(home)}, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def test_a_scripts_own_sbatch_output_and_error_are_the_log_everywhere(alice_dir: Path) -> None:
    out = alice_dir / "out"
    out.mkdir()
    shutil.chown(out, "alice", "alice")
    write_script(alice_dir, "train.sh", (
        "#!/bin/bash\n"
        f"#SBATCH --output={out}/train-%j.out\n"
        f"#SBATCH --error={out}/train-%j.err\n"
        "#SBATCH --time=5\n"
        "echo 'starting step 1'\n"
        "echo 'error: loss is nan at step 1' >&2\n"
        "exit 3\n"
    ), owner="alice")  # fmt: skip
    home = alice_dir / "reg"
    try:
        chain_id, job_id = submit("alice", alice_dir, "--max-restarts", "0", "train.sh")
        wait_ended([job_id], 300)
        real_out, real_err = f"{out}/train-{job_id}.out", f"{out}/train-{job_id}.err"
        assert Path(real_out).read_text() == "starting step 1\n" and "loss is nan" in Path(real_err).read_text()
        # the line number: 1, or 2 after the link wrapper's own first line (its `longrun:` lines go to stderr)
        quoted = f"train-{job_id}.err:{2 if 'longrun:' in Path(real_err).read_text() else 1}: error: loss is nan"

        link = status("alice", alice_dir, chain_id)["links"][0]
        assert (link["log_path"], link["stderr_path"]) == (real_out, real_err)

        seen = dashboard("alice", job_id, "alice", home)
        assert (seen["log_path"], seen["stderr_path"]) == (real_out, real_err)
        assert seen["kind"] == "exit_code" and any(quoted in line for line in seen["evidence"]), seen

        held = explain_with_home("alice", job_id, home)
        assert [(log["path"], log["guessed"]) for log in held["logs"]] == [(real_out, False), (real_err, False)]
        assert any(e["source"] == "log" and quoted in f"{e['item']}: {e['value']}" for e in
                   held["diagnosis"]["evidence"])  # fmt: skip

        # Once the controller forgot the job, the chain's script (its #SBATCH lines) still names the files.
        wait_until(lambda: controller_forgot(job_id), 180, 2, what="the controller to forget the job (MinJobAge)")
        late = explain_with_home("alice", job_id, home)
        assert [(log["path"], log["guessed"]) for log in late["logs"]] == [(real_out, False), (real_err, False)]
        assert late["diagnosis"]["kind"] == "exit_code"
        assert dashboard("alice", job_id, "alice", home)["log_path"] == real_out
    finally:
        stop_supervisor(alice_dir)


def test_a_fifo_or_a_device_as_a_colleagues_log_never_hangs_explain(alice_dir: Path, bob_dir: Path) -> None:
    # Slurm's default name: the same file whether scontrol still tells it or it is guessed later.
    script = write_script(alice_dir, "quick.sh", "#!/bin/bash\necho done\n", owner="alice")
    job_id = run_as("alice", ["sbatch", "--parsable", "-D", str(alice_dir), str(script)], check=True).stdout.strip()
    wait_ended([job_id], 300)
    log = alice_dir / f"slurm-{job_id}.out"
    assert log.read_text() == "done\n"
    run_as("alice", ["rm", str(log)], check=True)
    run_as("alice", ["mkfifo", "-m", "0644", str(log)], check=True)
    as_bob = explain("bob", job_id)  # run_as's timeout fails the test if explain blocks on the FIFO
    fifo = as_bob["logs"][0]
    assert fifo["path"] == str(log) and fifo["problem"].startswith("not a regular file (a FIFO)")
    seen = dashboard("bob", job_id, "alice", bob_dir / "reg")
    assert seen["kind"] == "completed" and any("not a regular file (a FIFO)" in e for e in seen["evidence"]), seen
    run_as("alice", ["rm", str(log)], check=True)
    run_as("alice", ["ln", "-s", "/dev/zero", str(log)], check=True)
    device = explain("bob", job_id)["logs"][0]
    # A name Slurm told (scontrol) is followed and found to be a device; a guessed name is not followed.
    followed = "a symbolic link (not followed for a guessed name)"
    expected = followed if device["guessed"] else "not a regular file (a device)"
    assert device["path"] == str(log) and device["problem"].startswith(expected)
    # After MinJobAge the name is Slurm's default guessed in the working directory: still no hang.
    wait_until(lambda: controller_forgot(job_id), 180, 2, what="the controller to forget the job (MinJobAge)")
    late = explain("bob", job_id)["logs"][0]
    assert late["guessed"] and late["problem"].startswith("a symbolic link (not followed for a guessed name)")
    run_as("alice", ["rm", str(log)], check=True)
    run_as("alice", ["mkfifo", "-m", "0644", str(log)], check=True)
    late = explain("bob", job_id)["logs"][0]
    assert late["guessed"] and late["problem"].startswith("not a regular file (a FIFO)")
