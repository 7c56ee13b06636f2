"""sbatch: the argv of a submission and the reading of `--parsable` output (`id` or `id;cluster`)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.slurm.errors import SlurmParseError

_PARSABLE = re.compile(r"^(\d+(?:_\d+)?)(?:;(\S+))?$")


def sbatch_argv(script: str, args: Sequence[str] = (), options: Sequence[str] = ()) -> list[str]:
    """`sbatch --parsable OPTIONS SCRIPT ARGS`: options before the script, its arguments after."""
    return ["sbatch", "--parsable", *options, script, *args]


def parse_sbatch_output(stdout: str) -> tuple[str, str | None]:
    """(job id, cluster or None) from `sbatch --parsable`; the id is the last line that is one."""
    for line in reversed(stdout.splitlines()):
        match = _PARSABLE.match(line.strip())
        if match:
            return match.group(1), match.group(2)
    raise SlurmParseError(f"sbatch --parsable printed no job id: {stdout[:200]!r}", stdout)
