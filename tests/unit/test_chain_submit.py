"""`longrun submit` argument splitting: longrun options, then sbatch options, then SCRIPT ARGS."""

from __future__ import annotations

import pytest

from app.commands.longrun_args import UsageError
from app.commands.submit import parse_submit_argv
from app.model.units import MemorySize


def test_split_longrun_sbatch_and_script() -> None:
    req = parse_submit_argv(
        ["--max-restarts", "5", "--grow-mem=1.5,8G", "--resubmit-early", "--name", "train",
         "-p", "debug", "--time=1", "--signal", "B:TERM@30", "-c4", "--requeue", "job.sh", "--epochs", "3"]
    )  # fmt: skip
    assert req.policy.max_restarts == 5
    assert req.policy.grow_mem_factor == 1.5 and req.policy.grow_mem_cap == MemorySize.parse("8G")
    assert req.policy.resubmit_completed_early and req.name == "train"
    assert req.sbatch_options == ["-p", "debug", "--time=1", "--signal", "B:TERM@30", "-c4", "--requeue"]
    assert req.script == "job.sh" and req.args == ["--epochs", "3"]


def test_double_dash_ends_longrun_options() -> None:
    req = parse_submit_argv(["--continue-exit-code", "99", "--", "--time=1", "job.sh"])
    assert req.policy.continue_exit_code == 99 and req.sbatch_options == ["--time=1"] and req.script == "job.sh"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--time=1"], "no job script"),
        (["--max-restarts", "x", "job.sh"], "whole number"),
        (["--max-restarts"], "needs a value"),
        (["--grow-mem", "0.5", "job.sh"], "more than 1"),
        (["--grow-mem", "a,b", "job.sh"], "FACTOR"),
        (["--continue-exit-code", "0", "job.sh"], "between 1 and 255"),
        (["-p"], "needs a value"),
        (["--wrap=hostname", "job.sh"], "--wrap"),
        (["--grow-mem", "nan", "job.sh"], "--grow-mem FACTOR must be a finite number, not nan"),
        (["--grow-mem", "inf", "job.sh"], "--grow-mem FACTOR must be a finite number, not inf"),
        (["--grow-mem", "-1", "job.sh"], "more than 1"),
        (["--grow-mem", "1e308", "job.sh"], "--grow-mem FACTOR must be more than 1 and at most 100"),
        (["--grow-mem", "2,0", "job.sh"], "--grow-mem CAP must be more than 0"),
        (["--max-restarts", "-3", "job.sh"], "--max-restarts cannot be negative"),
        (["--max-restarts", "99999999999", "job.sh"], "--max-restarts must be between 0 and 1,000,000"),
        (["--min-link-seconds", "1e99", "job.sh"], "--min-link-seconds needs a whole number"),
        (["--min-link-seconds", "99999999999", "job.sh"], "--min-link-seconds must be between 0 and 31,622,400"),
        (["--progress-file=", "job.sh"], "--progress-file must be a file name"),
    ],
)
def test_bad_input_is_a_usage_error(argv: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_submit_argv(argv)


def test_cli_bad_input_exits_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main

    assert main(["submit", "--max-restarts", "x", "job.sh"]) == 2
    assert "whole number" in capsys.readouterr().err
    assert main(["submit", "--time=1", "/nonexistent/job.sh"]) == 2
    assert "no such job script" in capsys.readouterr().err
