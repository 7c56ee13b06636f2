"""A CommandRunner that answers from captures instead of running Slurm: the base of the tests that
drive SlurmClient (and the service layer above it) on real output. Only where the text comes from
is fake; the client's argv, delimiters and parsing are the real ones."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from app.slurm.runner import CommandResult, CommandRunner, classify_failure
from tests.captures import CAPTURES


class ReplayRunner(CommandRunner):
    """Records every argv (`argvs`) and counts it; `answer(argv)` says what the command printed."""

    def __init__(self) -> None:
        super().__init__()
        self.argvs: list[list[str]] = []

    def answer(self, argv: Sequence[str]) -> CommandResult:
        raise NotImplementedError

    def run(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        timeout: float | None = None,
        check: bool = True,
    ) -> CommandResult:
        self.argvs.append(list(argv))
        self._calls += 1
        result = self.answer(argv)
        if check and result.returncode != 0:
            raise classify_failure(argv, result.returncode, result.stderr)
        return result


def recorded_status(name: str) -> int:
    """The exit status a capture's `.cmd` file recorded."""
    cmd = (CAPTURES / name).with_suffix(".cmd").read_text()
    return int(cmd.split("# exit status: ")[1].split("\n")[0])


def call_delimiter(argv: Sequence[str]) -> str | None:
    """The delimiter a sacct (`--delimiter=`) or squeue (`-o` format) call asked for."""
    for arg in argv:
        if arg.startswith("--delimiter="):
            return arg.removeprefix("--delimiter=")
    if "-o" in argv:
        form = argv[list(argv).index("-o") + 1]
        return form[form.index("%i") + 2 : form.index("%", form.index("%i") + 2)] if form.count("%") > 1 else None
    return None
