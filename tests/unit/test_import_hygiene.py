"""Layering rules of DESIGN.md, enforced: no textual below the UI, widgets see only the read model,
no shell anywhere in app/."""

from __future__ import annotations

import ast
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
UI_PACKAGE = "app.tui"


def modules_in(folder: str) -> list[str]:
    names = []
    for path in sorted((REPO / folder).rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        if parts[-1] == "__main__":
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def app_modules() -> list[str]:
    return [m for m in modules_in("app") if m != UI_PACKAGE and not m.startswith(UI_PACKAGE + ".")]


def loaded_by(*modules: str) -> set[str]:
    """Every module in sys.modules after importing `modules` in a fresh interpreter."""
    code = (
        f"import importlib, sys\nfor name in {list(modules)!r}:\n    importlib.import_module(name)\nprint(*sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return set(proc.stdout.split())


def test_backend_modules_never_import_textual_nor_widgets() -> None:
    modules = app_modules()
    assert "app.cli" in modules and "app.slurm.records" in modules and "app.services.reading" in modules
    loaded = loaded_by(*modules)
    leaked = sorted(m for m in loaded if m.split(".")[0] in ("textual", "widgets"))
    assert leaked == [], f"imported by backend modules: {leaked}"


# The Log pane follows a file itself: the follower and the safe opener (standard library only).
LOG_FOLLOWER = ("app.explain", "app.explain.files", "app.explain.follow")


def widget_may_load(module: str) -> bool:
    """Of the project: the read model (not its projection), the pure domain (for its enums), the
    pictures drawn from them (app.pictures: rich renderables), and the Log pane's file follower."""
    if module.split(".")[0] not in ("app", "widgets", "styles"):
        return True  # the standard library, textual, rich...
    allowed = ("app", "app.views", "app.model", "app.pictures", "styles", "widgets", *LOG_FOLLOWER)
    return module in allowed or module.startswith(("app.model.", "app.pictures.", "widgets."))


def test_widgets_load_only_the_read_model() -> None:
    """Each widget module in a fresh interpreter: no services, registry, slurm, supervisor, workflows,
    diagnose (they get data by messages, as views)."""
    widgets = modules_in("widgets")
    assert "widgets.step_table" in widgets and "widgets.dashboard" in widgets
    with ThreadPoolExecutor(max_workers=4) as pool:
        loaded = dict(zip(widgets, pool.map(loaded_by, widgets), strict=True))
    wrong = {widget: sorted(m for m in modules if not widget_may_load(m)) for widget, modules in loaded.items()}
    assert {w: m for w, m in wrong.items() if m} == {}
    assert "app.views" in loaded["widgets.dashboard"], "the check sees what a widget loads"


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


def test_the_projection_loads_nothing_that_does_io() -> None:
    """app.views.projection is pure: Slurm's record types are imported for typing only."""
    loaded = loaded_by("app.views.projection")
    impure = sorted(m for m in loaded if m.startswith(("app.slurm", "app.registry", "app.supervisor", "app.services",
                                                      "app.diagnose", "app.workflows", "textual")))  # fmt: skip
    assert impure == []
    assert "app.model.outcome" in loaded


def test_the_pictures_load_only_the_read_model_and_rich() -> None:
    """app.pictures draws for the CLI and the dashboard alike: no textual, nothing that does I/O."""
    pictures = modules_in("app/pictures")
    assert "app.pictures.timeline" in pictures
    loaded = loaded_by(*pictures)
    wrong = sorted(m for m in loaded if m.split(".")[0] in ("app", "textual") and not widget_may_load(m))
    assert wrong == [] and not any(m.split(".")[0] == "textual" for m in loaded)
    assert "rich.text" in loaded
