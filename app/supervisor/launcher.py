"""The file sbatch submits for a wrapped link: `chains/<id>/link` in the registry.

It is a Python script for the interpreter the chain was submitted with (`ChainSpec.launcher`, the
`sys.executable` of `longrun submit`: the user's own virtual environment), so that the wrapper in
the job runs the same longrun as the login node. Between its `#!` line and its code it carries
the header of the chain's job script, the comment lines up to its first command, byte for byte:
sbatch reads `#SBATCH` (and `#PBS`) directives exactly there, so the link gets the options the
script asks for, as if the script itself had been submitted. Comment lines are comments in
Python too; the latin-1 coding line lets any bytes through.
"""

from __future__ import annotations

import os
from pathlib import Path

LAUNCHER_FILE = "link"
MAX_HEADER_BYTES = 1 << 20  # a job script's directive block is a few lines
MAX_SHEBANG = 200  # Linux reads 256 bytes of a `#!` line; leave room

CODE = b"""\
# longrun: the chain's job script runs under longrun's link wrapper (app/supervisor/wrapper.py),
# which records the link in the chain's registry, queues the next link and says what it decided.
import sys
from app.supervisor.wrapper import main
sys.exit(main(sys.argv[1:]))
"""


class LauncherError(ValueError):
    """The chain cannot be wrapped (the interpreter's path cannot be a `#!` line, the script cannot be read)."""


def launcher_problem(python: str) -> str | None:
    """Why `python` cannot start the wrapper from a `#!` line; None when it can."""
    if not os.path.isabs(python):
        return f"the Python interpreter {python!r} is not an absolute path"
    if any(c.isspace() for c in python) or len(python.encode()) > MAX_SHEBANG:
        return f"the Python interpreter's path {python!r} cannot be a #! line (spaces, or too long)"
    if not os.access(python, os.X_OK):
        return f"the Python interpreter {python} cannot be run"
    return None


def script_header(script: Path) -> bytes:
    """The job script's lines after `#!` up to its first command: blank lines and comments, as sbatch reads them."""
    try:
        with open(script, "rb") as fh:
            data = fh.read(MAX_HEADER_BYTES)
    except OSError as exc:
        raise LauncherError(f"cannot read the job script {script}: {exc.strerror}") from None
    lines = data.split(b"\n")
    kept: list[bytes] = []
    for line in lines[1:] if lines and lines[0].startswith(b"#!") else lines:
        stripped = line.strip()
        if stripped and not stripped.startswith(b"#"):
            break
        if b"\0" in line:
            break  # sbatch stops at a NUL too; Python would refuse the file
        kept.append(line.rstrip(b"\r") if stripped else b"")
    while kept and not kept[-1]:
        kept.pop()
    return b"".join(line + b"\n" for line in kept)


def launcher_text(python: str, script: Path) -> bytes:
    """The whole launcher for a chain whose links run `script` with the interpreter `python`."""
    problem = launcher_problem(python)
    if problem is not None:
        raise LauncherError(problem)
    return b"#!" + python.encode() + b"\n# -*- coding: latin-1 -*-\n" + script_header(script) + CODE
