"""The package installs into a fresh virtual environment and its two commands answer --help."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
INSTALLED_BIN = Path(sys.executable).parent


@pytest.mark.parametrize("command", ["longrun", "longrun-tui"])
def test_help_from_the_installed_environment(command: str) -> None:
    proc = subprocess.run([str(INSTALLED_BIN / command), "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"usage: {command}")


def test_fresh_virtualenv_install_gives_working_commands(tmp_path: Path) -> None:
    """`pip install .` (not editable) into a new environment: what a user on a login node does."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    pip = env_dir / "bin" / "pip"
    install = subprocess.run(
        [str(pip), "install", "-q", "--disable-pip-version-check", str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    for command in ("longrun", "longrun-tui"):
        proc = subprocess.run(
            [str(env_dir / "bin" / command), "--help"], capture_output=True, text=True, timeout=60, cwd=tmp_path
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith(f"usage: {command}")
