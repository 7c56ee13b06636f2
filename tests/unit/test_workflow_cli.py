"""`longrun workflow validate` and `submit --dry-run` through the real argument parser (no Slurm needed)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.cli import main

DATA = Path(__file__).parent / "data" / "workflows"
SAMPLES = Path(__file__).parents[2] / "sample_workflows"


def test_validate_broken_file_lists_every_error_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    path = DATA / "broken" / "many.yaml"
    assert main(["workflow", "validate", str(path)]) == 1
    out, err = capsys.readouterr()
    lines = [line for line in out.splitlines() if line]
    assert lines[0] == f"{path}:5: error: job a depends on `zzz`, which is not a job of this workflow"
    assert f"{path}:10: error: job b: unknown key `comand`; did you mean `command`?" in lines
    assert len(lines) == 5
    assert "5 errors" in err


def test_validate_ok_file_prints_notes_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    path = DATA / "seed004_ml_training.yaml"
    assert main(["workflow", "validate", str(path)]) == 0
    out, _err = capsys.readouterr()
    assert f"{path}:39: note: action: `num_allocations` is accepted but not used" in out
    assert "ok: workflow ml_training_workflow, 3 jobs" in out


def test_validate_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["workflow", "validate", str(DATA / "broken" / "cycle.yaml"), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False
    assert data["problems"] == [
        {"severity": "error", "line": 5, "message": "dependency cycle: b -> d -> c -> b (each job depends on the next)"}
    ]


def test_validate_missing_file_is_a_clear_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["workflow", "validate", str(tmp_path / "nope.yaml")]) == 1
    out, _err = capsys.readouterr()
    assert "nope.yaml: error: cannot read the file" in out


@pytest.mark.parametrize("name", ["ml_pipeline.yaml", "bash_checkpoint.yaml", "param_sweep.yaml"])
def test_sample_workflows_validate(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["workflow", "validate", str(SAMPLES / name)]) == 0
    assert "error" not in capsys.readouterr().out


def test_dry_run_shows_options_and_submits_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    shutil.copy(SAMPLES / "ml_pipeline.yaml", tmp_path / "ml_pipeline.yaml")
    assert main(["workflow", "submit", str(tmp_path / "ml_pipeline.yaml"), "--dry-run", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    chains = {c["job"]: c for c in data["chains"]}
    assert list(chains) == ["preprocess", "train_model", "evaluate"]
    train = chains["train_model"]
    assert train["depends_on"] == ["preprocess"]
    assert "--signal=B:TERM@20" in train["sbatch_options"]
    assert "--time=1" in train["sbatch_options"]
    assert f"--output={tmp_path}/logs/%x-%j.out" in train["sbatch_options"]
    assert train["policy"]["max_restarts"] is None and train["policy"]["min_link_seconds"] == 13  # (60 - 20) // 3
    pre = chains["preprocess"]
    assert pre["policy"]["max_restarts"] == 0  # supports_termination: false -> a TIMEOUT stops it
    assert not any(o.startswith("--signal") for o in pre["sbatch_options"])
    assert not (tmp_path / ".longrun").exists()  # nothing written


def test_submit_refuses_a_broken_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["workflow", "submit", str(DATA / "broken" / "missing_dep.yaml")]) == 1
    out, err = capsys.readouterr()
    assert "missing_dep.yaml:8: error" in out and "nothing submitted" in err


def test_help_teaches_the_mapping(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["workflow", "submit", "--help"])
    out = capsys.readouterr().out
    assert "--cpus-per-task" in out and "--signal=B:TERM@60" in out and "exit 75" in out
