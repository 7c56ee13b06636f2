"""Workflow fields -> sbatch options, warning signal and the generated batch script."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from app.workflows.loader import load_workflow, load_workflow_text
from app.workflows.sbatch import DEFAULT_WARNING_SIGNAL, plan_job
from app.workflows.script import is_compound
from app.workflows.spec import Workflow

DATA = Path(__file__).parent / "data" / "workflows"


def workflow(text: str, where: Path = Path("/tmp/wf/wf.yaml")) -> Workflow:
    result = load_workflow_text(text, where, current_user="alice")
    assert result.errors == [], result.errors
    assert result.workflow is not None
    return result.workflow


def test_seed004_mapping() -> None:
    wf = load_workflow(DATA / "seed004_ml_training.yaml", current_user="alice").workflow
    assert wf is not None
    train = plan_job(wf, wf.job("train_model"))
    assert train.options == (
        "--job-name=ml_training_workflow.train_model",
        "--account=my_project",
        "--partition=gpu",
        "--nodes=1",
        "--cpus-per-task=8",
        "--mem=32G",
        "--gres=gpu:1",
        "--time=240",
    )
    assert train.warning_signal == "B:TERM@300"  # from the scheduler's extra
    pre = plan_job(wf, wf.job("preprocess"))
    assert pre.warning_signal is None  # supports_termination: false
    assert "--time=240" in pre.options and not any(o.startswith("--signal") for o in pre.options)


def test_runtime_rounds_up_to_minutes_and_is_capped_by_walltime() -> None:
    wf = workflow(
        "name: w\njobs:\n  - name: a\n    command: x\n    resource_requirements: {runtime: PT90S}\n"
        "  - name: b\n    command: x\n    supports_termination: true\n    resource_requirements: {runtime: PT3H}\n"
        "slurm_schedulers:\n  - name: s\n    walltime: '01:00:00'\n    extra: --qos=low --comment 'a b'\n"
    )
    a = plan_job(wf, wf.job("a"))
    assert "--time=2" in a.options  # 90 s -> 2 whole minutes
    assert a.options[-2:] == ("--qos=low", "--comment", "a b")[-2:]  # extra split like a shell, appended last
    assert "--qos=low" in a.options
    b = plan_job(wf, wf.job("b"))
    assert "--time=60" in b.options  # the walltime caps the runtime
    assert b.warning_signal == DEFAULT_WARNING_SIGNAL  # no --signal in extra
    assert any("several links" in n for n in b.notes)
    assert any("--signal=B:TERM@60" in n for n in b.notes)


def test_no_scheduler_gives_cluster_defaults() -> None:
    wf = workflow(
        "name: w\njobs:\n  - name: a\n    command: x\n    resource_requirements: {num_cpus: 2, memory: 1.5g}\n"
    )
    plan = plan_job(wf, wf.job("a"))
    assert plan.options == ("--job-name=w.a", "--cpus-per-task=2", "--mem=1536M")
    assert plan.time_limit is None


def test_signal_without_b_prefix_is_noted() -> None:
    wf = workflow(
        "name: w\njobs:\n  - name: a\n    command: x\n    supports_termination: true\n"
        "slurm_schedulers:\n  - name: s\n    extra: --signal USR1@90\n"
    )
    plan = plan_job(wf, wf.job("a"))
    assert plan.warning_signal == "USR1@90"
    assert any("has no `B:`" in n for n in plan.notes)
    assert not any("signal" in o for o in plan.options)


def test_simple_command_is_execed_in_the_workflow_directory() -> None:
    text = "name: w\njobs:\n  - name: a\n    command: python3 train.py --ckpt 'a b'\n"
    wf = workflow(text, Path("/data/my wf/x.yaml"))
    script = plan_job(wf, wf.job("a")).script
    lines = script.splitlines()
    assert lines[0] == "#!/bin/bash"
    assert "cd '/data/my wf' || exit 1" in lines
    assert lines[-1] == "exec python3 train.py --ckpt 'a b'"


def test_compound_detection() -> None:
    assert not is_compound("python3 train.py --x 1 > out.txt")
    assert not is_compound("FOO=1 python3 train.py")
    assert is_compound("prep && train")
    assert is_compound("a | b")
    assert is_compound("a; b")
    assert is_compound("cd x && ./run")
    assert is_compound("for i in 1 2; do echo $i; done")
    assert not is_compound("echo 'a && b'")


def exit_after_warning_signal(tmp_path: Path, command_prefix: str) -> tuple[int, Path]:
    """Run a workflow job whose command traps TERM (exit 75); send TERM to the batch shell as Slurm's
    --signal=B:TERM does, once the command runs; return the job's exit status and the trap's marker."""
    marker, started = tmp_path / "got-term", tmp_path / "started"
    child = tmp_path / "child.sh"
    child.write_text(
        f"#!/bin/bash\ntrap 'echo term > {marker}; exit 75' TERM\ntouch {started}\nwhile :; do sleep 0.1; done\n"
    )
    child.chmod(0o755)
    wf = workflow(f"name: w\njobs:\n  - name: a\n    command: {command_prefix}{child}\n", tmp_path / "wf.yaml")
    script = tmp_path / "job.sh"
    script.write_text(plan_job(wf, wf.job("a")).script)
    proc = subprocess.Popen(["/bin/bash", str(script)], start_new_session=True)
    try:
        # Signal only once the command runs (its trap set): under a loaded CI a fixed sleep was too short.
        deadline = time.monotonic() + 30
        while not started.exists():
            assert time.monotonic() < deadline, "the command did not start within 30 s"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGTERM)
        return proc.wait(timeout=10), marker
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_compound_command_passes_the_warning_signal_to_its_process_group(tmp_path: Path) -> None:
    status, marker = exit_after_warning_signal(tmp_path, "true && ")
    assert status == 75  # the command's own exit status comes back
    assert marker.read_text().strip() == "term"


def test_simple_command_receives_the_signal_directly(tmp_path: Path) -> None:
    status, marker = exit_after_warning_signal(tmp_path, "")
    assert status == 75 and marker.read_text().strip() == "term"
