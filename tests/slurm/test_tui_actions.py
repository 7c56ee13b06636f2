"""The dashboard's actions on REAL chains of the test cluster, driven by Pilot.

The owner's scenarios run the app as alice (this module re-run with `python -m ... drive`, so that
cancel, signal, resubmit and reinit go to Slurm as the chain's owner, as they would on a login
node); the read-only case runs in-process as bob's view (`Services(viewer="bob")`). Each test makes
its own chain and registry, so the tests run in parallel.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import VENV, make_user_dir, run_as, wait_until, write_script

REPO = Path(__file__).resolve().parents[2]

TRAP_JOB = """#!/bin/bash
echo "link attempt=$LONGRUN_ATTEMPT job=$SLURM_JOB_ID"
trap 'echo "got USR1 in job $SLURM_JOB_ID"' USR1
for i in $(seq 1 240); do sleep 1; done
"""
FAIL_JOB = """#!/bin/bash
echo "link attempt=$LONGRUN_ATTEMPT job=$SLURM_JOB_ID"
sleep 2
exit 3
"""


# -- helpers (pytest side) ---------------------------------------------------------------------------
def longrun_as_alice(directory: Path, *argv: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return run_as("alice", ["longrun", *argv], cwd=directory, env={"LONGRUN_HOME": str(directory / "reg")},
                  timeout=timeout)  # fmt: skip


def submit_chain(directory: Path, script_text: str, name: str) -> tuple[str, str]:
    script = write_script(directory, f"{name}.sh", script_text, owner="alice")
    proc = longrun_as_alice(directory, "submit", "--json", "--name", name, "--time=5", "-o", f"{directory}/%j.out",
                            str(script))  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    return str(data["chain_id"]), str(data["job_id"])


def chain_status(directory: Path, chain_id: str) -> dict[str, Any]:
    proc = run_as("alice", ["longrun", "status", "--json"], cwd=directory,
                  env={"LONGRUN_HOME": str(directory / "reg"), "LONGRUN_NO_AUTOSTART": "1"}, timeout=60)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return next(c for c in json.loads(proc.stdout) if c["chain_id"] == chain_id)


def drive_as_alice(directory: Path, action: str, chain_id: str) -> dict[str, Any]:
    """Run the dashboard as alice under Pilot, do `action` on the chain, return what it showed."""
    argv = [str(VENV / "bin" / "python"), "-m", "tests.slurm.test_tui_actions", "drive", action, chain_id]
    proc = run_as("alice", argv, cwd=readable_tests_copy(directory), env={"LONGRUN_HOME": str(directory / "reg")},
                  timeout=400)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def readable_tests_copy(directory: Path) -> Path:
    """This module and its helpers where alice can import them: the checkout may be private (CI clones under /root)."""
    root = directory / "driver"
    files = ("tests/__init__.py", "tests/conftest.py", "tests/slurm/__init__.py", "tests/slurm/test_tui_actions.py")
    for relative in files:
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text((REPO / relative).read_text())
    for path in [root, *root.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    return root


def job_state(job_id: str) -> str:
    proc = subprocess.run(["sacct", "-n", "-X", "-P", "-o", "State", "-j", job_id], capture_output=True, text=True,
                          timeout=30)  # fmt: skip
    return proc.stdout.strip().splitlines()[0] if proc.stdout.strip() else ""


def stop_supervisor(directory: Path) -> None:
    heartbeat = directory / "reg" / "supervisor" / "heartbeat.json"
    try:
        os.kill(int(json.loads(heartbeat.read_text())["pid"]), 15)
    except (OSError, ValueError, KeyError):
        pass


@pytest.fixture
def chain_dir() -> Any:
    directory = make_user_dir("alice", "tui-actions")
    yield directory
    stop_supervisor(directory)


# -- tests -------------------------------------------------------------------------------------------
def test_signal_reaches_the_job_and_cancel_cancels_it(chain_dir: Path) -> None:
    chain_id, job_id = submit_chain(chain_dir, TRAP_JOB, "tui-signal")
    try:
        wait_until(lambda: job_state(job_id) == "RUNNING", timeout=300, what=f"job {job_id} running")
        shown = drive_as_alice(chain_dir, "signal", chain_id)
        assert shown["errors"] == [], shown
        assert any(f"sent USR1 to the batch shell of job {job_id}" in m for m in shown["messages"]), shown
        wait_until(lambda: "got USR1" in (chain_dir / f"{job_id}.out").read_text(), timeout=120, what="USR1 in log")
        assert any("got USR1" in line for line in shown["log"]), "the Log pane showed the job's answer"
        assert job_state(job_id) == "RUNNING"

        shown = drive_as_alice(chain_dir, "cancel", chain_id)
        assert shown["errors"] == [], shown
        assert any(f"cancelled job {job_id}" in m for m in shown["messages"]), shown
        wait_until(lambda: job_state(job_id).startswith("CANCELLED"), timeout=120, what=f"job {job_id} cancelled")
    finally:
        subprocess.run(["scancel", job_id], capture_output=True, timeout=30)


def test_reinit_and_resubmit_start_new_links(chain_dir: Path) -> None:
    chain_id, first = submit_chain(chain_dir, FAIL_JOB, "tui-relink")
    wait_until(lambda: chain_status(chain_dir, chain_id)["state"] == "STOPPED", timeout=300, interval=2,
               what="the chain stopped by exit 3")  # fmt: skip

    shown = drive_as_alice(chain_dir, "reinit", chain_id)
    assert shown["errors"] == [], shown
    links = chain_status(chain_dir, chain_id)["links"]
    assert len(links) == 2 and links[-1]["job_id"] not in (None, first), links
    assert any(f"as job {links[-1]['job_id']}" in m for m in shown["messages"]), shown
    wait_until(lambda: chain_status(chain_dir, chain_id)["state"] == "STOPPED", timeout=300, interval=2,
               what="the reinitialized chain stopped again")  # fmt: skip

    shown = drive_as_alice(chain_dir, "resubmit", chain_id)
    assert shown["errors"] == [], shown
    links = chain_status(chain_dir, chain_id)["links"]
    assert len(links) == 3, links
    assert any(f"as job {links[-1]['job_id']}" in m for m in shown["messages"]), shown


@pytest.mark.parametrize("source", ["registry", "accounting"])
def test_another_users_view_refuses_every_action_and_the_job_keeps_running(
    chain_dir: Path, source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bob views alice's chain, read from her registry or (when he cannot read it) rebuilt from Slurm
    accounting and the queue. Where alice's registry is looked up is fixed here: her real default
    registry may or may not exist on this machine, and must not decide which path is tested."""
    from app.services import ActionRefused, Services, discovery
    from app.slurm.client import SlurmClient
    from app.tui import LongrunApp
    from widgets.chain_list import ChainList

    chain_id, job_id = submit_chain(chain_dir, TRAP_JOB, "tui-readonly")
    try:
        wait_until(lambda: job_state(job_id) == "RUNNING", timeout=300, what=f"job {job_id} running")
        colleague_home = chain_dir / ("reg" if source == "registry" else "no-registry-here")
        monkeypatch.setattr(discovery, "default_home", lambda user=None: colleague_home)
        slurm = SlurmClient()
        services = Services(viewer="bob", slurm=slurm)
        app = LongrunApp(services, "alice", me="bob", interval=2.0, show_log=False)

        async def scenario() -> None:
            async with app.run_test(size=(120, 36)) as pilot:
                await _select(pilot, app, chain_id)
                chain = app.query_one(ChainList).selected_chain()
                assert chain is not None and chain.read_only and chain.owner == "alice"
                for action in ("resubmit", "cancel_chain", "signal", "reinit"):
                    assert app.check_action(action, ()) is None, action
                for key in ("r", "c", "s", "i"):
                    assert app.screen.active_bindings[key].enabled is False
                await pilot.press("c", "s", "i", "r")
                await pilot.pause(0.3)
                assert not app.screen.is_modal
                calls = slurm.calls
                for call in (partial(services.cancel, chain_id), partial(services.signal, chain_id, "KILL", True),
                             partial(services.resubmit, chain_id), partial(services.reinit, chain_id)):  # fmt: skip
                    with pytest.raises(ActionRefused):
                        call()
                assert slurm.calls == calls, "refused before any Slurm call"

        asyncio.run(scenario())
        time.sleep(2)
        assert job_state(job_id) == "RUNNING"
    finally:
        longrun_as_alice(chain_dir, "cancel", chain_id)
        subprocess.run(["scancel", job_id], capture_output=True, timeout=30)


# -- the driver (runs as alice) ------------------------------------------------------------------------
async def _select(pilot: Any, app: Any, chain_id: str) -> None:
    from textual.widgets import Input

    from widgets.chain_list import ChainList

    chains = app.query_one(ChainList)
    deadline = time.monotonic() + 120
    while chains.chain(chain_id) is None:
        assert time.monotonic() < deadline, f"chain {chain_id} never appeared on the dashboard"
        await pilot.pause(0.2)
    app.dashboard.open_filter()
    app.query_one("#filter", Input).value = chain_id
    await pilot.pause(0.1)
    await pilot.press("enter")
    while (chains.selected_chain() is None or chains.selected_chain().chain_id != chain_id) and (
        time.monotonic() < deadline
    ):
        await pilot.pause(0.1)


async def _select_workflow(pilot: Any, app: Any, workflow: str) -> None:
    from textual.widgets import Input

    from widgets.chain_list import GROUP_PREFIX, ChainList

    chains = app.query_one(ChainList)
    deadline = time.monotonic() + 120
    while chains.selected_key() is None:
        assert time.monotonic() < deadline, "no chain ever appeared on the dashboard"
        await pilot.pause(0.2)
    app.dashboard.open_filter()
    app.query_one("#filter", Input).value = workflow
    await pilot.pause(0.1)
    await pilot.press("enter")
    chains.move_cursor(row=chains.get_row_index(GROUP_PREFIX + workflow))
    while (chains.selected_workflow() or ("",))[0] != workflow:
        assert time.monotonic() < deadline, f"the heading of workflow {workflow} could not be selected"
        await pilot.pause(0.1)


def drive(action: str, chain_id: str) -> dict[str, Any]:
    from textual.widgets import Log

    from app.services import Services
    from app.tui import LongrunApp

    record: dict[str, list[str]] = {"messages": [], "errors": [], "log": []}

    class Recording(LongrunApp):
        def notify(self, message: str, *, title: str = "", severity: Any = "information", **kw: Any) -> None:
            if title:
                record["errors" if severity == "error" else "messages"].append(f"{title}: {message}")
            super().notify(message, title=title, severity=severity, **kw)

    me = os.environ.get("USER", "alice")
    app = Recording(Services(), me, me=me, interval=2.0, show_log=True)

    async def scenario() -> None:
        async with app.run_test(size=(140, 44)) as pilot:
            if action == "reinit-workflow":  # chain_id names the workflow
                await _select_workflow(pilot, app, chain_id)
            else:
                await _select(pilot, app, chain_id)
            keys = {"signal": ("s", "down", "enter"), "cancel": ("c", "y"), "reinit": ("i", "y"), "resubmit": ("r",),
                    "reinit-workflow": ("i",)}  # fmt: skip
            await pilot.press(*keys[action])
            if action in ("reinit-workflow", "resubmit"):  # the plan (the suggested options) is read in a
                opened_by = time.monotonic() + 120  # thread before the dialog opens
                while not app.screen.is_modal and time.monotonic() < opened_by:
                    await pilot.pause(0.1)
                await pilot.press("y" if action == "reinit-workflow" else "enter")
            if action == "signal":
                await pilot.click("#ok")
                await pilot.press("y")
            deadline = time.monotonic() + 120
            while not record["messages"] + record["errors"] and time.monotonic() < deadline:
                await pilot.pause(0.2)
            if action == "signal":
                pane = app.query_one("#log", Log)
                while not any("got USR1" in line for line in pane.lines) and time.monotonic() < deadline:
                    await pilot.pause(0.2)
                record["log"] = list(pane.lines)

    asyncio.run(scenario())
    return record


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "drive":
    print(json.dumps(drive(sys.argv[2], sys.argv[3])))
