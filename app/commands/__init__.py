"""The sub-commands of `longrun`, one module each; app/cli.py registers them in this order."""

from __future__ import annotations

from types import ModuleType

from app.commands import actions, chains, doctor, explain, report, share, submit, supervise, workflow

COMMAND_MODULES: list[ModuleType] = [submit, chains, report, actions, share, supervise, doctor, explain, workflow]
