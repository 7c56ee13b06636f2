"""`longrun workflow status` shows workflow, job and chain names and reasons inert (app/model/text
through app.console.literal), like every other command: a name holding an OSC title sequence, a
screen clear or rich markup is printed as visible escapes, never acted on nor parsed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from app.model.chain import ChainSpec
from app.model.outcome import LinkOutcome
from app.registry import Registry
from tests.conftest import VENV
from tests.events import record

WORKFLOW = "wf [/x] \x1b]0;WF\x07"
JOB = "prep[bold]\x1b[2J\x9bq"
REASON = "boom \x1b]52;c;aGk=\x07 [@click=app.quit]"


def test_hostile_names_are_printed_inert(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    spec = ChainSpec(chain_id="c-wf1", name=JOB, owner=os.environ.get("USER", "root"), script="/bin/true",
                     workdir=str(tmp_path), workflow=WORKFLOW)  # fmt: skip
    reg.create_chain(spec)
    record(reg, "c-wf1", "submit_intent", attempt=1)
    record(reg, "c-wf1", "submitted", attempt=1, job_id="4242")
    record(reg, "c-wf1", "observed_end", attempt=1, job_id="4242", state="FAILED", exit="1:0", ending="exit 1")
    record(reg, "c-wf1", "decision", attempt=1, outcome=LinkOutcome.NEEDS_PERSON.value, reason=REASON)
    env = {**os.environ, "LONGRUN_HOME": str(tmp_path), "LONGRUN_NO_AUTOSTART": "1", "COLUMNS": "250"}
    proc = subprocess.run([str(VENV / "bin" / "longrun"), "workflow", "status", WORKFLOW],
                          capture_output=True, timeout=120, env=env)  # fmt: skip
    out = proc.stdout.decode("utf-8", "replace")
    assert proc.returncode == 0, proc.stderr
    assert not any(ch in out for ch in ("\x1b", "\x07", "\x9b")), repr(out)
    assert "wf [/x] \\x1b]0;WF\\x07" in out  # the title: the workflow's name as given, its controls spelt out
    assert "prep[bold]\\x1b[2J\\x9bq" in out and "[@click=app.quit]" in out  # markup shown, not applied
