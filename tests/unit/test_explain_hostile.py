"""Names nobody checked, in the new parts of a diagnosis: failed steps, the chain story, a pending
reason, an array's tasks. The names are the real ones of tests/captures/sacct_odd_names.txt
(terminal escapes, `[@click=...]`, newlines, 1,024 characters as slurmdbd kept them), put on real
step rows of tests/captures/diag/ (edited copies: Slurm names a step after its command, which a
user chooses). Text output shows them literally and never emits a raw escape; JSON keeps them whole.
"""

from __future__ import annotations

import io
import json
from dataclasses import replace

import pytest
from rich.console import Console

import app.commands.explain as explain_command
from app.diagnose import DiagnosisContext, diagnose
from app.diagnose.family import summarise_array
from app.explain.focus import diagnosis_result
from app.explain.gather import Gathered
from app.model.chain import ChainSpec, ChainState, ChainStatus, Link
from app.model.policy import Policy
from app.slurm.records import JobAccounting
from tests.captures import parse_sacct_capture

ODD = [
    acc.job.name for acc in parse_sacct_capture("sacct_odd_names.txt").values() if acc.job.name != "lrcap-alice-between"
]


def hostile_steps(name: str) -> JobAccounting:
    (accounting,) = parse_sacct_capture("diag/srun_false.sacct.txt").values()
    steps = tuple(replace(s, name=name) if s.step in ("0", "1") else s for s in accounting.steps)
    return JobAccounting(replace(accounting.job, name=name), steps)


def render(gathered: Gathered, monkeypatch: pytest.MonkeyPatch) -> str:
    console = Console(width=100, file=io.StringIO(), record=True, force_terminal=True, color_system="truecolor")
    monkeypatch.setattr(explain_command, "stdout", console)
    found = diagnose(gathered.accounting, gathered.controller, context=gathered.context)
    explain_command.render(gathered, found)
    return console.export_text(styles=False)


@pytest.mark.parametrize("name", ODD, ids=range(len(ODD)))
def test_hostile_step_and_chain_names_are_shown_literally(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    accounting = hostile_steps(name)
    spec = ChainSpec(chain_id="c1", name=name, owner="alice", script="/w/x.sh", policy=Policy(max_restarts=2))
    link = Link(attempt=1, job_id=accounting.job_id, state="COMPLETED", ended=True, decision=f"finished: {name}")
    status = ChainStatus(spec, ChainState.DONE, name, (link,))
    context = DiagnosisContext(chain=status, link=link)
    gathered = Gathered(accounting.job_id, accounting, None, (), None, (), context=context)
    found = diagnose(accounting, context=context)
    assert found.kind.value == "step_failed" and found.chain is not None
    assert json.loads(json.dumps(found.as_json()))["chain"]["name"] == name  # whole, unchanged
    assert any(name in line for line in found.details())
    text = render(gathered, monkeypatch)
    assert "\x1b]0;" not in text and "\x1b[2J" not in text  # no terminal title, no screen clear
    if "[@click" in name:
        assert "[@click=app.quit]" in text  # markup shown, not run
    shown = diagnosis_result(accounting.job_id, found)  # the pane shows it with markup=False
    assert name in shown.explanation


def test_a_hostile_pending_reason_and_dependency() -> None:
    (accounting,) = parse_sacct_capture("diag/begin.sacct.txt").values()
    for reason in ("[@click=app.quit]", "\x1b]0;x\x07", "ReqNodeNotAvail,_UnavailableNodes:[b]n[/b]", "x" * 10_000):
        found = diagnose(JobAccounting(replace(accounting.job, reason=reason)))
        assert found.pending is not None and found.pending.info is not None
        data = json.loads(json.dumps(found.as_json()))
        assert data["pending"]["reason_text"] == reason


def test_an_array_of_hostile_task_names() -> None:
    found = parse_sacct_capture("diag/array_mixed.sacct.txt")
    members = [
        JobAccounting(replace(acc.job, name=ODD[i % len(ODD)]), acc.steps) for i, acc in enumerate(found.values())
    ]
    summary = summarise_array("2334", members, lambda acc: diagnose(acc))
    assert summary.family is not None and sum(summary.family.counts().values()) == 4
    assert [m.job_id for m in summary.family.members] == list(found)  # ids, not names, identify tasks
