"""What a dashboard refresh adds (app/services/live_facts.py, through Services.snapshot), on the calls
of one real refresh captured together (tests/captures/refresh_*: a running job holding 200 MB, a job
waiting for --begin) and a real finished chain (tests/captures/chain_report).

The runner is fake only in where its text comes from: each command's capture, in the delimiter of
the call. Chains are written to the registry as events.jsonl lines of its format version 1.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest

from app.model.units import MemorySize
from app.services import Services
from app.services.live_facts import NOT_OWNER
from app.slurm.client import SlurmClient
from app.slurm.runner import CommandResult
from tests.captures import CAPTURES, capture_argv, capture_text
from tests.captures.replay import ReplayRunner, call_delimiter

REFRESH_IDS = capture_argv("refresh_sacct.txt")[-1].split(",")  # running, pending
RUNNING, PENDING = REFRESH_IDS
REPORT = CAPTURES / "chain_report"
REPORT_IDS = [json.loads(line)["job_id"] for line in (REPORT / "events.jsonl").read_text().splitlines()
              if json.loads(line)["type"] == "submitted"]  # fmt: skip


class OneRefresh(ReplayRunner):
    """sacct: the refresh's capture and the finished chain's (only the rows of the ids asked for);
    squeue --start and sstat: the refresh's captures; scontrol (the diagnosis of the selected job):
    the controller's answer for a job it has forgotten."""

    def answer(self, argv: Sequence[str]) -> CommandResult:
        ids = set(argv[list(argv).index("-j") + 1].split(",")) if "-j" in argv else set()
        wanted = call_delimiter(argv)
        if argv[0] == "sacct":
            text = ""
            for name in ("refresh_sacct.txt", "chain_report/sacct.txt"):
                captured = call_delimiter(capture_argv(name))
                assert captured is not None and wanted is not None
                rows = capture_text(name).replace(captured, wanted)
                text += "".join(line + "\n" for line in rows.splitlines() if line.split(wanted)[0].split(".")[0] in ids)
            return CommandResult(tuple(argv), 0, text, "")
        if argv[0] == "squeue" and "--start" in argv:
            captured = call_delimiter(capture_argv("refresh_squeue_start.txt"))
            assert captured is not None and wanted is not None
            return CommandResult(tuple(argv), 0, capture_text("refresh_squeue_start.txt").replace(captured, wanted), "")
        if argv[0] == "sstat":
            return CommandResult(tuple(argv), 0, capture_text("refresh_sstat.txt"), "")
        if argv[0] == "scontrol":  # the diagnosis's: the controller has forgotten the job (a real answer)
            return CommandResult(tuple(argv), 1, "", capture_text("scontrol_invalid_id.stderr"))
        raise AssertionError(f"unexpected Slurm call {argv}")

    def asked(self, command: str) -> list[list[str]]:
        return [a for a in self.argvs if a[0] == command and ("--start" in a) == (command == "squeue")]


def write_chain(home: Path, chain_id: str, events: list[dict[str, object]], **spec: object) -> None:
    directory = home / "chains" / chain_id
    directory.mkdir(parents=True)
    body = {"chain_id": chain_id, "name": f"n-{chain_id}", "owner": "alice", "script": "/x/job.sh",
            "workdir": "/x", "sbatch_options": ["--time=2", "-o", "/x/%j.out"],
            "created": "2026-12-01T18:00:00+00:00", **spec}  # fmt: skip
    (directory / "spec.json").write_text(json.dumps({"schema": 1, "spec": body}))
    lines = [{"t": "2026-12-01T18:00:00+00:00", "type": "created", "v": 1}]
    lines += [{"t": "2026-12-01T18:00:01+00:00", "v": 1, **event} for event in events]
    (directory / "events.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))


def submitted(attempt: int, job_id: str) -> list[dict[str, object]]:
    return [{"type": "submit_intent", "attempt": attempt, "options": []},
            {"type": "submitted", "attempt": attempt, "job_id": job_id}]  # fmt: skip


@pytest.fixture
def services(tmp_path: Path) -> tuple[Services, OneRefresh]:
    home = tmp_path / "reg"
    write_chain(home, "run", submitted(1, RUNNING))
    write_chain(home, "wait", submitted(1, PENDING))
    data = json.loads((REPORT / "spec.json").read_text())
    done = home / "chains" / data["spec"]["chain_id"]
    done.mkdir(parents=True)
    shutil.copy(REPORT / "spec.json", done / "spec.json")
    shutil.copy(REPORT / "events.jsonl", done / "events.jsonl")
    runner = OneRefresh()
    return Services(viewer="alice", slurm=SlurmClient(runner=runner), home=home), runner


def test_a_refresh_with_a_running_and_a_pending_link(services: tuple[Services, OneRefresh]) -> None:
    service, runner = services
    snap = service.snapshot("alice", RUNNING)
    assert [a[0] for a in runner.argvs] == ["sacct", "squeue", "sstat", "scontrol"], "one call each"
    assert set(runner.asked("sacct")[0][-1].split(",")) == {RUNNING, PENDING}
    assert runner.asked("squeue")[0][-1] == PENDING, "only the pending link is asked about"
    assert runner.asked("sstat")[0][-1] == RUNNING, "only the selected running link"
    views = {v.chain_id: v for v in snap.chains}
    waiting = views["wait"].links[0]
    assert waiting.waiting_for == "BeginTime: its --begin time is in the future"
    assert waiting.expected_start is not None and waiting.expected_start.isoformat() == "2026-12-01T20:22:26"
    assert snap.focus is not None and snap.focus.live_memory is not None
    memory = snap.focus.live_memory
    assert memory.now_per_node == MemorySize(207960 * 1024) and memory.requested_per_node == MemorySize.parse("400M")
    assert snap.focus.live_memory_problem is None and snap.focus.usage is not None
    running = views["run"]
    assert running.economics is not None and running.economics.links[0].run_s is not None


def test_the_selected_chains_history_is_read_once(services: tuple[Services, OneRefresh]) -> None:
    service, runner = services
    first = service.snapshot("alice", REPORT_IDS[-1])
    asked = set(runner.asked("sacct")[0][-1].split(","))
    assert set(REPORT_IDS) <= asked, "the selected chain's ended links, in the same sacct call"
    done = next(v for v in first.chains if v.economics and len(v.economics.links) == 4)
    assert done.economics is not None and all(e.cpu_efficiency is not None for e in done.economics.links)
    assert done.advice and "CPU efficiency" in done.advice[0]
    assert [a[0] for a in runner.argvs].count("sstat") == 0, "an ended link: no sstat"
    again = service.snapshot("alice", REPORT_IDS[0])
    asked_again = set(runner.asked("sacct")[1][-1].split(","))
    assert asked_again == {RUNNING, PENDING, REPORT_IDS[0]} - set(REPORT_IDS[1:]), "only what is not kept"
    kept = next(v for v in again.chains if v.economics and len(v.economics.links) == 4)
    assert kept.economics is not None
    assert [e.cpu_efficiency for e in kept.economics.links] == [e.cpu_efficiency for e in done.economics.links], (
        "the efficiencies of links not asked for again come from what was kept"
    )


def test_no_pending_link_no_squeue(tmp_path: Path) -> None:
    home = tmp_path / "reg"
    write_chain(home, "run", submitted(1, RUNNING))
    runner = OneRefresh()
    Services(viewer="alice", slurm=SlurmClient(runner=runner), home=home).snapshot("alice")
    assert [a[0] for a in runner.argvs] == ["sacct"], "nothing pending, nothing selected: one call"


def test_a_finished_chains_economics_are_made_once(services: tuple[Services, OneRefresh]) -> None:
    service, _ = services
    first = {v.chain_id: v for v in service.snapshot("alice").chains}
    again = {v.chain_id: v for v in service.snapshot("alice").chains}
    done = next(cid for cid, v in first.items() if v.state.is_final)
    assert first[done].economics is not None and again[done].economics is first[done].economics
    assert again["run"].economics is not first["run"].economics, "a live chain's are made again (they grow)"


def test_another_users_running_job_is_not_asked_to_sstat(tmp_path: Path) -> None:
    """sstat refuses anyone but the owner (tests/captures/sstat_denied.stderr): it is not asked."""
    home = tmp_path / "reg"
    write_chain(home, "run", submitted(1, RUNNING))
    runner = OneRefresh()
    snap = Services(viewer="bob", slurm=SlurmClient(runner=runner), home=home).snapshot("bob", RUNNING)
    assert "sstat" not in [a[0] for a in runner.argvs]
    assert snap.focus is not None and snap.focus.live_memory is None
    assert snap.focus.live_memory_problem == NOT_OWNER
