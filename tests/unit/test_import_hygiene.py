"""Layering rules of DESIGN.md, enforced: no textual below the UI, no shell anywhere in app/."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
UI_MODULES = {"app.tui"}


def app_modules() -> list[str]:
    names = []
    for path in sorted((REPO / "app").rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if name not in UI_MODULES:
            names.append(name)
    return names


def test_backend_modules_never_import_textual() -> None:
    modules = app_modules()
    assert "app.cli" in modules and "app.slurm.records" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "leaked = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(leaked))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"textual imported by backend modules: {proc.stdout.strip()}"


def test_no_shell_in_app_or_widgets() -> None:
    offenders = []
    for folder in ("app", "widgets"):
        for path in (REPO / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.keyword) and node.arg == "shell":
                    if not (isinstance(node.value, ast.Constant) and node.value.value is False):
                        offenders.append(f"{path}:{node.value.lineno} shell=")
                if isinstance(node, ast.Attribute) and node.attr in ("system", "popen", "create_subprocess_shell"):
                    if isinstance(node.value, ast.Name) and node.value.id in ("os", "asyncio"):
                        offenders.append(f"{path}:{node.lineno} {node.value.id}.{node.attr}")
    assert offenders == []


def test_every_subprocess_call_in_app_has_a_timeout() -> None:
    missing = []
    for path in (REPO / "app").rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "subprocess"
                and node.func.attr in ("run", "check_output", "check_call", "call")
                and not any(k.arg == "timeout" for k in node.keywords)
            ):
                missing.append(f"{path}:{node.lineno}")
    assert missing == []
