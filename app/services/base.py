"""What every part of the service layer shares: who is looking, their registry, the Slurm client."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

from app.registry import Registry
from app.slurm.client import SlurmClient, default_client


class ActionRefused(Exception):
    """An action that is not allowed (not the owner, no live link, chain done...); `str()` says why."""


def current_user() -> str:
    return pwd.getpwuid(os.getuid()).pw_name


class ServiceBase:
    """The viewer, their registry and a Slurm client made on first use (reading a registry needs none)."""

    def __init__(self, viewer: str | None = None, slurm: SlurmClient | None = None, home: Path | None = None) -> None:
        self.viewer = viewer or current_user()
        self._slurm = slurm
        self.registry = Registry(home)

    @property
    def slurm(self) -> SlurmClient:
        if self._slurm is None:
            self._slurm = default_client()
        return self._slurm
