"""Facts from the local slurm.conf that cost no Slurm call (read once, cached)."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

DEFAULT_CONF = Path("/etc/slurm/slurm.conf")


@cache
def cluster_name() -> str | None:
    """ClusterName from $SLURM_CONF or /etc/slurm/slurm.conf; None when unreadable or unset."""
    if name := os.environ.get("SLURM_CLUSTER_NAME"):
        return name
    path = Path(os.environ.get("SLURM_CONF", DEFAULT_CONF))
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return None
    for line in lines:
        key, sep, value = line.split("#", 1)[0].partition("=")
        if sep and key.strip().lower() == "clustername" and value.strip():
            return value.strip()
    return None
