"""Workflows on the real test cluster, as alice: the sample workflows run end to end, an upstream job
that times out and is resubmitted still releases its dependents (and never too early), and reinit
after a failed job re-runs exactly that job and its dependents. Each test has its own registry and
supervisor, so the tests run concurrently (xdist)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_user_dir, wait_until
from tests.slurm.chain_helpers import events, longrun, stop_supervisor, submitted_ids
from tests.slurm.test_tui_actions import drive_as_alice

SAMPLES = Path(__file__).parents[2] / "sample_workflows"


@pytest.fixture
def wf_dir(request: pytest.FixtureRequest) -> Iterator[Path]:
    path = make_user_dir("alice", "wf-" + request.node.name[5:30])
    yield path
    stop_supervisor(path)


def copy_samples(directory: Path) -> None:
    for item in SAMPLES.iterdir():
        target = directory / item.name
        if item.is_dir():
            shutil.copytree(item, target)
        else:
            shutil.copy2(item, target)
    subprocess.run(["chown", "-R", "alice:alice", str(directory)], check=True, timeout=10)


def write_file(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o755)
    shutil.chown(path, "alice", "alice")


def submit(directory: Path, file: str) -> dict[str, str]:
    proc = longrun("alice", directory, "workflow", "submit", file, "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return {c["job"]: c["chain_id"] for c in json.loads(proc.stdout)["chains"]}


def status(directory: Path, name: str) -> dict[str, dict[str, Any]]:
    proc = longrun("alice", directory, "workflow", "status", name, "--json", env={"LONGRUN_NO_AUTOSTART": "1"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return {row["job"]: row for row in json.loads(proc.stdout)["jobs"]}


def wait_final(directory: Path, name: str, timeout: float) -> dict[str, dict[str, Any]]:
    def final() -> dict[str, dict[str, Any]] | None:
        rows = status(directory, name)
        stopped = [r for r in rows.values() if r["state"] == "STOPPED"]
        if stopped:
            raise AssertionError(f"workflow {name} has stopped jobs: {stopped}")
        return rows if all(r["state"] == "DONE" for r in rows.values()) else None

    return wait_until(final, timeout, interval=3, what=f"workflow {name} to finish")  # type: ignore[return-value]


def sacct_times(job_ids: list[str]) -> dict[str, tuple[datetime, datetime, str]]:
    """job id -> (Start, End, State) from accounting."""
    proc = subprocess.run(
        ["sacct", "-X", "-n", "-P", "-j", ",".join(job_ids), "-o", "JobID,Start,End,State"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    out = {}
    for line in proc.stdout.splitlines():
        job_id, start, end, state = line.split("|")
        out[job_id] = (datetime.fromisoformat(start), datetime.fromisoformat(end), state.split()[0])
    return out


def assert_after(directory: Path, chains: dict[str, str], upstream: str, downstream: str) -> None:
    """Every link of `downstream` starts after the last link of `upstream` ended."""
    up_ids, down_ids = submitted_ids(directory, chains[upstream]), submitted_ids(directory, chains[downstream])
    times = sacct_times(up_ids + down_ids)
    last_end = times[up_ids[-1]][1]
    for job_id in down_ids:
        assert times[job_id][0] >= last_end, f"{downstream} job {job_id} started before {upstream} ended"


def decisions(directory: Path, chain_id: str) -> list[str]:
    return [f"{e['outcome']}: {e['reason']}" for e in events(directory, chain_id) if e["type"] == "decision"]


def test_ml_pipeline_runs_end_to_end(wf_dir: Path) -> None:
    copy_samples(wf_dir)
    chains = submit(wf_dir, "ml_pipeline.yaml")
    assert list(chains) == ["preprocess", "train_model", "evaluate"]
    rows = wait_final(wf_dir, "ml_pipeline", timeout=330)
    metrics = json.loads((wf_dir / "output" / "ml_pipeline" / "metrics.json").read_text())
    assert metrics["steps"] == 125
    train = submitted_ids(wf_dir, chains["train_model"])
    assert len(train) >= 3 and metrics["train_links"] == len(train), (train, metrics)
    assert rows["train_model"]["attempt"] == len(train)
    continued = [d for d in decisions(wf_dir, chains["train_model"]) if d.startswith("continue")]
    assert len(continued) >= 2, decisions(wf_dir, chains["train_model"])
    assert_after(wf_dir, chains, "preprocess", "train_model")
    assert_after(wf_dir, chains, "train_model", "evaluate")
    for job in ("preprocess", "evaluate"):
        assert len(submitted_ids(wf_dir, chains[job])) == 1


def test_bash_checkpoint_runs_end_to_end(wf_dir: Path) -> None:
    copy_samples(wf_dir)
    chains = submit(wf_dir, "bash_checkpoint.yaml")
    wait_final(wf_dir, "bash_checkpoint", timeout=300)
    out = wf_dir / "output" / "bash_checkpoint"
    assert (out / "report.txt").read_text().strip() == "count reached 75"
    assert len(submitted_ids(wf_dir, chains["count"])) >= 2  # survived at least one time-out
    assert_after(wf_dir, chains, "count", "report")


def test_param_sweep_fans_out_and_in(wf_dir: Path) -> None:
    copy_samples(wf_dir)
    chains = submit(wf_dir, "param_sweep.yaml")
    assert len(chains) == 6
    wait_final(wf_dir, "param_sweep", timeout=300)
    summary = json.loads((wf_dir / "output" / "param_sweep" / "summary.json").read_text())
    assert sorted(r["lr"] for r in summary["results"]) == [0.001, 0.01, 0.1, 1.0]
    assert summary["best"]["lr"] == 0.1
    sweeps = [name for name in chains if name.startswith("sweep_")]
    for name in sweeps:
        assert_after(wf_dir, chains, "prepare", name)
        assert_after(wf_dir, chains, name, "gather")


TIMEOUT_WORKFLOW = """\
name: timeout_release
jobs:
  - name: slow
    command: bash slow.sh
    supports_termination: true
  - name: after
    command: bash after.sh
    depends_on: [slow]
slurm_schedulers:
  - name: short
    partition: debug
    walltime: "1"
    # not the default @60: on a 1-minute job that may come at once, before slow.sh sets its trap
    extra: "--signal=B:TERM@10"
"""
SLOW = """\
#!/bin/bash
# No handler: the time limit ends the first job (TIMEOUT); progress is kept in a file.
trap '' TERM
n=$(cat progress 2>/dev/null || echo 0)
while [ "$n" -lt 80 ]; do n=$((n + 1)); echo "$n" > progress; sleep 1; done
"""
AFTER = """\
#!/bin/bash
echo "after saw progress $(cat progress)" > after.txt
"""


def test_timed_out_upstream_still_releases_dependents(wf_dir: Path) -> None:
    write_file(wf_dir / "wf.yaml", TIMEOUT_WORKFLOW)
    write_file(wf_dir / "slow.sh", SLOW)
    write_file(wf_dir / "after.sh", AFTER)
    chains = submit(wf_dir, "wf.yaml")
    rows = wait_final(wf_dir, "timeout_release", timeout=300)
    slow = submitted_ids(wf_dir, chains["slow"])
    assert len(slow) >= 2 and rows["slow"]["attempt"] == len(slow)
    assert sacct_times(slow)[slow[0]][2] == "TIMEOUT"
    assert (wf_dir / "after.txt").read_text().strip() == "after saw progress 80"
    assert_after(wf_dir, chains, "slow", "after")


REINIT_WORKFLOW = """\
name: reinit_check
jobs:
  - name: a
    command: bash job.sh
  - name: b
    command: bash job.sh --fail-unless-fixed
    depends_on: [a]
  - name: c
    command: bash job.sh
    depends_on: [b]
  - name: d
    command: bash job.sh
    depends_on: [a]
slurm_schedulers:
  - name: short
    partition: debug
    walltime: "2"
"""
REINIT_JOB = """\
#!/bin/bash
echo "$LONGRUN_WORKFLOW_JOB $SLURM_JOB_ID" >> runs.txt
if [ "$1" = --fail-unless-fixed ] && [ ! -e fixed ]; then echo "not fixed yet"; exit 3; fi
"""


@pytest.mark.parametrize("via", ["cli", "dashboard"])
def test_reinit_reruns_exactly_the_failed_job_and_its_dependents(wf_dir: Path, via: str) -> None:
    write_file(wf_dir / "wf.yaml", REINIT_WORKFLOW)
    write_file(wf_dir / "job.sh", REINIT_JOB)
    chains = submit(wf_dir, "wf.yaml")

    def settled() -> dict[str, dict[str, Any]] | None:
        rows = status(wf_dir, "reinit_check")
        done = {"a": "DONE", "b": "STOPPED", "c": "WAITING", "d": "DONE"}
        return rows if all(rows[j]["state"] == s for j, s in done.items()) else None

    rows = wait_until(settled, 200, interval=3, what="b to fail and c to be held")
    assert isinstance(rows, dict)
    assert rows["c"]["reason"].startswith("upstream b stopped: failed with exit code 3")  # status names jobs

    dry = longrun("alice", wf_dir, "workflow", "reinit", "reinit_check", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    actions = {s["job"]: s["action"] for s in json.loads(dry.stdout)["steps"]}
    assert actions == {"a": "keep", "b": "reinit", "c": "replace", "d": "keep"}
    assert status(wf_dir, "reinit_check")["b"]["state"] == "STOPPED"  # the dry run changed nothing

    write_file(wf_dir / "fixed", "")
    if via == "cli":
        proc = longrun("alice", wf_dir, "workflow", "reinit", "reinit_check")
        assert proc.returncode == 0, proc.stdout + proc.stderr
    else:  # `i` on the workflow's heading, confirmed with `y`
        shown = drive_as_alice(wf_dir, "reinit-workflow", "reinit_check")
        assert not shown["errors"], shown
        assert any(m.startswith("reinit workflow reinit_check: workflow reinit_check: b: ") for m in shown["messages"])
    final = wait_final(wf_dir, "reinit_check", timeout=200)
    runs = [line.split()[0] for line in (wf_dir / "runs.txt").read_text().splitlines()]
    assert sorted(runs) == ["a", "b", "b", "c", "d"], runs
    assert final["b"]["attempt"] == 2 and final["b"]["chain_id"] == chains["b"]  # same chain, next attempt
    assert final["c"]["chain_id"] != chains["c"]  # a new chain that waited for b again
    new_chains = {**chains, "c": final["c"]["chain_id"]}
    assert_after(wf_dir, new_chains, "b", "c")

    again = longrun("alice", wf_dir, "workflow", "reinit", "reinit_check")
    assert again.returncode == 0 and "nothing to do" in again.stdout, again.stdout
