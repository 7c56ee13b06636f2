"""Which mode a new chain gets: `longrun submit --mode`, else LONGRUN_MODE, else the user's config
file (`$XDG_CONFIG_HOME/longrun/config.toml`, default `~/.config/longrun/config.toml`, key `mode`),
else in-Slurm continuation. A site with a tight job-count limit sets `mode = "supervisor"` there.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from app.model.chain import MODE_SLURM, MODES

ENV = "LONGRUN_MODE"


class ModeError(ValueError):
    """A mode that does not exist, or a config file that cannot be read; `str()` says where."""


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME")
    return (Path(base) if base else Path.home() / ".config") / "longrun" / "config.toml"


def check_mode(value: object, where: str) -> str:
    if not isinstance(value, str) or value not in MODES:
        raise ModeError(f"{where}: mode must be one of {', '.join(MODES)}, not {value!r}")
    return value


def default_mode() -> str:
    """The mode for a chain submitted without --mode."""
    env = os.environ.get(ENV)
    if env:
        return check_mode(env, ENV)
    path = config_path()
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        return MODE_SLURM
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ModeError(f"cannot read {path}: {exc}") from None
    return check_mode(data.get("mode", MODE_SLURM), str(path))
