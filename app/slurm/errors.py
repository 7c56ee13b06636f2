"""Errors of Slurm calls as types, so callers can tell an outage from a refusal from a typo."""

from __future__ import annotations


class SlurmError(Exception):
    """Base of every error a Slurm call can raise; `str()` is a message for a person."""


class SlurmUnavailable(SlurmError):
    """Slurm could not be reached (controller or slurmdbd down, command missing)."""


class SlurmTimeout(SlurmUnavailable):
    """A Slurm command did not answer within its timeout."""


class PermissionDenied(SlurmError):
    """Slurm refused: the job belongs to someone else (`Access/permission denied`)."""


class UnknownJob(SlurmError):
    """No such job id (`Invalid job id specified`), or not in accounting."""


class SubmissionRejected(SlurmError):
    """sbatch refused the job; the message is Slurm's own."""


class SlurmParseError(SlurmError):
    """A Slurm command printed something we cannot read; keeps the offending text."""

    def __init__(self, message: str, text: str = "") -> None:
        super().__init__(message)
        self.text = text


class SlurmCommandError(SlurmError):
    """Any other non-zero exit of a Slurm command."""
