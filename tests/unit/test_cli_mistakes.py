"""The command line catches a new user's mistakes: options after the script, longrun's options
after sbatch's, misspelt options; every sub-command's --help has a description and an example."""

from __future__ import annotations

import argparse
import contextlib
import re
from pathlib import Path

import pytest

from app.cli import build_parser, main
from app.commands.longrun_args import UsageError
from app.commands.submit import USAGE, guard_notes, parse_submit_argv, with_option_hint
from app.model.policy import Policy


def test_sbatch_options_after_the_script_are_refused_unless_a_double_dash_follows_it() -> None:
    with pytest.raises(UsageError, match=r"--mem=64M --time=2 after the script job.sh would go to the script"):
        parse_submit_argv(["job.sh", "--mem=64M", "--time=2"])
    with pytest.raises(UsageError, match="--max-restarts"):
        parse_submit_argv(["job.sh", "--max-restarts", "3"])
    req = parse_submit_argv(["--time=1", "job.sh", "--", "--mem=64M", "--", "x"])
    assert req.sbatch_options == ["--time=1"] and req.args == ["--mem=64M", "--", "x"]
    # a program's own everyday options are not taken for sbatch's
    req = parse_submit_argv(["job.sh", "--output", "out/", "--verbose", "--name", "x", "-t", "5"])
    assert req.args == ["--output", "out/", "--verbose", "--name", "x", "-t", "5"]


def test_longrun_options_after_sbatch_ones_say_the_order_to_write() -> None:
    with pytest.raises(UsageError) as caught:
        parse_submit_argv(["--time=1", "--max-restarts", "2", "job.sh", "a"])
    message = str(caught.value)
    assert "longrun's options come before sbatch's: --max-restarts after --time=1" in message
    assert "longrun submit --max-restarts 2 --time=1 job.sh a" in message
    with pytest.raises(UsageError, match=re.escape("longrun submit --name x -p debug --mem 1G job.sh")):
        parse_submit_argv(["-p", "debug", "--name", "x", "--mem", "1G", "job.sh"])


@pytest.mark.parametrize(
    ("argv", "suggestion"),
    [
        (["--max-restart", "2", "job.sh"], "--max-restarts"),
        (["--min-link-second=5", "job.sh"], "--min-link-seconds"),
        (["--grow-memory", "1.5", "job.sh"], "--grow-mem"),
        (["--time=1", "--resubmit-erly", "job.sh"], "--resubmit-early"),
    ],
)
def test_misspelt_longrun_options_get_did_you_mean(argv: list[str], suggestion: str) -> None:
    with pytest.raises(UsageError, match=f"did you mean {suggestion} "):
        parse_submit_argv(argv)


def test_sbatch_refusing_a_misspelt_option_gets_did_you_mean() -> None:
    refusal = "sbatch refused: sbatch: unrecognized option '--partion=debug'"
    assert with_option_hint(refusal).endswith("(did you mean --partition?)")
    assert with_option_hint("sbatch refused: Invalid partition name specified") == (
        "sbatch refused: Invalid partition name specified"
    )


def test_sbatch_abbreviations_and_values_are_read_as_sbatch_reads_them() -> None:
    req = parse_submit_argv(["--part", "debug", "-c4", "--mem", "1G", "-J", "job.sh", "real.sh", "x"])
    assert req.sbatch_options == ["--part", "debug", "-c4", "--mem", "1G", "-J", "job.sh"]
    assert req.script == "real.sh" and req.args == ["x"]


def test_the_guard_notes_say_what_the_guard_does_with_short_limits() -> None:
    (note,) = guard_notes(["--time=1", "--signal=B:TERM@20"], Policy(), explicit=False)
    assert "cannot tell a short link from a healthy one" in note
    (note,) = guard_notes(["--time=3", "--signal=B:TERM@20"], Policy(min_link_seconds=150), explicit=True)
    assert "only links shorter than 120 s count as short" in note
    assert guard_notes(["--time=3", "--signal=B:TERM@20"], Policy(min_link_seconds=150), explicit=False) == []
    assert guard_notes(["--time=60"], Policy(), explicit=False) == []
    assert guard_notes([], Policy(), explicit=True) == []


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_sub_command_help_has_a_description_and_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    commands = _subcommands(build_parser())
    assert {"submit", "status", "cancel", "stop", "signal", "resubmit", "reinit", "archive", "share"} <= set(commands)
    for name in commands:
        with pytest.raises(SystemExit) if name not in ("submit", "resubmit", "reinit") else contextlib.nullcontext():
            main([name, "--help"])
        text = capsys.readouterr().out
        assert "example" in text, f"longrun {name} --help has no example"
        lines = [line for line in text.splitlines() if line.strip()]
        prose = [line for line in lines[1:] if not line.startswith((" ", "usage", "options", "positional"))]
        assert len(prose) >= 2, f"longrun {name} --help has no description: {text[:300]}"
    assert "--min-link-seconds" in USAGE and "--grow-mem" in USAGE


def test_cli_refusals_are_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["submit", "/nonexistent/job.sh", "--mem=1G"]) == 2
    err = capsys.readouterr().err
    assert "error: --mem=1G after the script" in err and "Traceback" not in err
    assert main(["submit", "--max-restart", "2", "job.sh"]) == 2
    assert "did you mean --max-restarts" in capsys.readouterr().err


def test_the_guard_notes_read_the_scripts_sbatch_lines(tmp_path: Path) -> None:
    script = tmp_path / "job.sh"
    script.write_text("#!/bin/bash\n#SBATCH --time=1 --signal=B:TERM@20\nsleep 1\n")
    (note,) = guard_notes([], Policy(), explicit=False, script=str(script))
    assert "with --time=1 and --signal=...@20" in note
    assert guard_notes(["--time=600"], Policy(), explicit=False, script=str(script)) == [], "the command line wins"
