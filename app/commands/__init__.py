"""The sub-commands of `longrun`, one module each; app/cli.py registers them in this order."""

from __future__ import annotations

from types import ModuleType

COMMAND_MODULES: list[ModuleType] = []
