"""How the dashboard words an error for a person: one line, Slurm's and the service layer's as they are."""

from __future__ import annotations

from app.services import ActionRefused
from app.slurm.errors import SlurmError


def describe_error(error: BaseException | None) -> str:
    """One line; the exception's type is named only when it is not one of ours (a bug, an OS error)."""
    if error is None:
        return "unknown error"
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    if isinstance(error, SlurmError | ActionRefused):
        return text or type(error).__name__
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
