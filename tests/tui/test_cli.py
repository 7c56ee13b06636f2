"""`longrun-tui` as a command: help, and a clear refusal of bad arguments (no traceback)."""

from __future__ import annotations

import subprocess

from tests.conftest import VENV

TUI = str(VENV / "bin" / "longrun-tui")


def test_help_describes_the_options() -> None:
    proc = subprocess.run([TUI, "--help"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0
    assert "--user" in proc.stdout and "--all" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_user_and_all_together_are_refused() -> None:
    proc = subprocess.run([TUI, "--user", "bob", "--all"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    assert "not allowed with argument" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_too_short_interval_is_refused() -> None:
    proc = subprocess.run([TUI, "--interval", "0.1"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    assert "at least 1 second" in proc.stderr
