"""sbatch's options read as sbatch reads them (getopt_long), and a script's #SBATCH lines up to its first command.

The script rules were checked on Slurm 22.05 (tests/captures/patterns/: the `directives` and
`command_line_wins` cases: a trailing comment, a quoted value with a space, a line after the
first command that sbatch ignores).
"""

from __future__ import annotations

import pytest

from app.explain.sbatch_options import merged, parse_options, script_directives, split_directive


@pytest.mark.parametrize(
    ("argv", "output"),
    [
        (["-o", "a.out"], "a.out"),
        (["-oa.out"], "a.out"),
        (["--output=a.out"], "a.out"),
        (["--output", "a.out"], "a.out"),
        (["--out=a.out"], "a.out"),  # a unique abbreviation, as getopt_long allows
        (["-o", "first", "--output=last"], "last"),  # the last one wins
        (["--comment", "-o", "--mem=1G"], None),  # a value is never an option
        (["--comment=-o x"], None),
        (["-Ho", "h.out"], "h.out"),  # clustered: -H takes no value
        (["--", "-o", "x"], None),  # after `--` comes the script
        (["job.sh", "-o", "x"], None),  # the script's own arguments are not sbatch's
        (["--o=x"], None),  # ambiguous: --open-mode, --output, --overcommit, --oversubscribe
        (["--nice", "-o", "n.out"], "n.out"),  # --nice's value is optional, so never the next argument
        (["--unknown-thing=3", "-o", "u.out"], "u.out"),
    ],
)
def test_command_line_forms(argv: list[str], output: str | None) -> None:
    assert parse_options(argv).get("output") == output


def test_short_and_long_names_agree() -> None:
    found = parse_options(["-J", "n", "-e", "e.err", "-D", "dir", "-a", "1-3", "-t", "5"])
    assert found == {"job-name": "n", "error": "e.err", "chdir": "dir", "array": "1-3", "time": "5"}


def test_directives_stop_at_the_first_command() -> None:
    script = (
        "#!/bin/bash\n"
        "# comment\n"
        "\n"
        "#SBATCH --output=o-%j.out   # trailing comment\n"
        "#SBATCH -e 'with space %j.err' --job-name=\"q\"\n"
        "   # indented comment\n"
        "#SLURM --time=5\n"
        "module load x\n"
        "#SBATCH --output=ignored.out\n"
    )
    assert script_directives(script) == (
        "--output=o-%j.out", "-e", "with space %j.err", "--job-name=q", "--time=5",
    )  # fmt: skip


def test_directives_need_the_magic_word_at_the_line_start_and_stop_at_hetjob() -> None:
    assert script_directives("#!/bin/sh\n  #SBATCH -o indented.out\n#sbatch -o lower.out\ntrue\n") == ()
    assert script_directives("#!/bin/sh\n#SBATCH -o a.out\n#SBATCH hetjob\n#SBATCH -o b.out\n") == ("-o", "a.out")


@pytest.mark.parametrize(
    ("line", "args"),
    [
        (" -o a.out -J x", ["-o", "a.out", "-J", "x"]),
        (" --output=a\\ b.out", ["--output=a b.out"]),
        (" -o 'a b'#c", ["-o", "a b"]),
        (' -o "a#b"', ["-o", "a#b"]),
        ("   ", []),
        (" -o x\\", ["-o", "x"]),
    ],
)
def test_one_line_is_split_as_sbatch_splits_it(line: str, args: list[str]) -> None:
    assert split_directive(line) == args


def test_the_command_line_wins_over_the_script() -> None:
    found = merged(["-o", "cli.out"], ["-o", "script.out", "-e", "script.err"])
    assert found["output"] == ("cli.out", "command line") and found["error"] == ("script.err", "#SBATCH")
