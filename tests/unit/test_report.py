"""`longrun report` on a real chain captured from the test cluster (tests/captures/chain_report, made
by make_chain_capture.py: four links that checkpoint at the warning signal, progress in the log,
2 CPUs with one busy, 100 MB held of 400M): the JSON keys and values, and the printed report with
its timeline as snapshots (report_100.txt, report_60.txt next to the capture; set
LONGRUN_UPDATE_SNAPSHOTS=1 to write them again after a deliberate change, and read the diff).

The runner is fake only in where its text comes from: the chain's own sacct capture, in the
delimiter of each call.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pytest
from rich.console import Console

from app.commands.report import CHAIN_KEYS, LINK_KEYS, REPORT_KEYS, render, report_json
from app.model.usage import job_usage
from app.services import ChainReport, Services
from app.slurm.client import SlurmClient
from app.slurm.runner import CommandResult
from app.slurm.sacct import parse_sacct
from tests.captures import CAPTURES, capture_argv
from tests.captures.replay import ReplayRunner, call_delimiter

CAPTURE = CAPTURES / "chain_report"
NOW = datetime(2026, 12, 1, 18, 10, 0)
UPDATE = os.environ.get("LONGRUN_UPDATE_SNAPSHOTS") == "1"


def capture_delimiter() -> str:
    delimiter = call_delimiter(capture_argv("chain_report/sacct.txt"))
    assert delimiter is not None
    return delimiter


class CapturedChain(ReplayRunner):
    """sacct answers with the chain's capture in the call's delimiter; squeue/sstat are not expected
    (the chain has ended) and fail the test if called."""

    def answer(self, argv: Sequence[str]) -> CommandResult:
        assert argv[0] == "sacct", argv
        delimiter = call_delimiter(argv)
        assert delimiter is not None
        text = (CAPTURE / "sacct.txt").read_text().replace(capture_delimiter(), delimiter)
        return CommandResult(tuple(argv), 0, text, "")


def chain_id() -> str:
    return str(json.loads((CAPTURE / "spec.json").read_text())["spec"]["chain_id"])


@pytest.fixture
def captured(tmp_path: Path) -> tuple[Services, CapturedChain]:
    return services_with_captured_chain(tmp_path)


def services_with_captured_chain(tmp_path: Path) -> tuple[Services, CapturedChain]:
    """A registry holding the captured chain; its log where the spec's `-o` now points."""
    data = json.loads((CAPTURE / "spec.json").read_text())
    spec = data["spec"]
    options = spec["sbatch_options"]
    options[options.index("-o") + 1] = str(tmp_path / "run.log")
    spec["workdir"] = str(tmp_path)
    chain_dir = tmp_path / "reg" / "chains" / spec["chain_id"]
    chain_dir.mkdir(parents=True)
    (chain_dir / "spec.json").write_text(json.dumps(data))
    shutil.copy(CAPTURE / "events.jsonl", chain_dir / "events.jsonl")
    shutil.copy(CAPTURE / "run.log", tmp_path / "run.log")
    runner = CapturedChain()
    return Services(viewer="alice", slurm=SlurmClient(runner=runner), home=tmp_path / "reg"), runner


def make_report(services: Services) -> ChainReport:
    return services.report(chain_id(), now=NOW)


def test_report_json_keys_and_values(captured: tuple[Services, CapturedChain]) -> None:
    services, runner = captured
    data = report_json(make_report(services))
    assert len(runner.argvs) == 1, "one sacct call for every link of the chain"
    assert tuple(data) == REPORT_KEYS and tuple(data["chain"]) == CHAIN_KEYS
    assert all(tuple(link) == LINK_KEYS for link in data["links"])
    assert data["state"] == "DONE" and data["name"] == "train-resnet"
    events = [json.loads(line) for line in (CAPTURE / "events.jsonl").read_text().splitlines()]
    ids = [e["job_id"] for e in events if e["type"] == "submitted"]
    assert [link["job_id"] for link in data["links"]] == ids and len(ids) == 4
    accounting = parse_sacct((CAPTURE / "sacct.txt").read_text(), capture_delimiter())
    for link in data["links"]:
        usage = job_usage(accounting[link["job_id"]].job, accounting[link["job_id"]].steps)
        assert link["cpu_efficiency"] == usage.cpu_efficiency and link["mem_efficiency"] == usage.mem_efficiency
        assert link["peak_memory_per_node"] == (usage.peak_per_node.bytes if usage.peak_per_node else None)
        assert link["requested_memory_per_node"] == 400 * 1024**2 and link["cpus"] == 2
        row = accounting[link["job_id"]].job
        assert row.start is not None and row.submit is not None
        assert link["queue_wait_s"] == int((row.start - row.submit).total_seconds())
        assert link["run_s"] == (row.elapsed.seconds if row.elapsed else None)
        # one of the two CPUs was busy (less in the short last link): under half; 100 MB held of 400M
        assert 25 < link["cpu_efficiency"] < 55 and 20 < link["mem_efficiency"] < 50
    first, *others = data["links"]
    assert first["lost_before_s"] is None and all(lk["lost_before_s"] is not None for lk in others)
    previous_ends = [datetime.fromisoformat(lk["end"]) for lk in data["links"][:-1]]
    for link, previous_end in zip(others, previous_ends, strict=True):
        assert link["lost_before_s"] == int((datetime.fromisoformat(link["start"]) - previous_end).total_seconds())
    chain = data["chain"]
    assert chain["links"] == 4 and chain["run_s"] == sum(lk["run_s"] for lk in data["links"])
    assert chain["lost_s"] == sum(lk["lost_before_s"] for lk in others)
    assert chain["core_hours"] == round(sum(lk["core_seconds"] for lk in data["links"]) / 3600, 3)
    assert data["progress"] == {"done": 50.0, "total": 50.0, "percent": 100.0,
                                "rate_per_hour": pytest.approx(50 * 3600 / chain["run_s"])}  # fmt: skip
    assert data["eta"] == data["links"][-1]["end"], "a finished chain's finish is its last end"
    assert any("CPU efficiency" in a and "-c 1 instead of 2" in a for a in data["advice"]), data["advice"]
    assert data["live_memory"] is None


@pytest.mark.parametrize("width", [100, 60])
def test_printed_report_snapshot(captured: tuple[Services, CapturedChain], width: int) -> None:
    services, _ = captured
    console = Console(file=io.StringIO(), width=width, color_system=None, record=True)
    console.print(render(make_report(services), width))
    text = console.export_text()
    snapshot = CAPTURE / f"report_{width}.txt"
    if UPDATE or not snapshot.exists():
        snapshot.write_text(text)
    assert text == snapshot.read_text()
    assert all(len(line) <= width for line in text.splitlines())


def test_a_hostile_chain_name_is_printed_as_text(captured: tuple[Services, CapturedChain], tmp_path: Path) -> None:
    services, _ = captured
    spec_path = tmp_path / "reg" / "chains" / chain_id() / "spec.json"
    data = json.loads(spec_path.read_text())
    data["spec"]["name"] = "x[@click=app.quit]\x1b]0;owned\x07[bold]y\n"
    spec_path.write_text(json.dumps(data))
    console = Console(file=io.StringIO(), width=100, color_system="truecolor", force_terminal=True)
    console.print(render(make_report(services), 100))
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert "x[@click=app.quit]\\x1b]0;owned\\x07[bold]y\\n" in out
    assert "\x1b]0;owned" not in out and "\x07" not in out


def test_unknown_and_ambiguous_chains_are_refused(captured: tuple[Services, CapturedChain]) -> None:
    services, runner = captured
    from app.services import ActionRefused

    with pytest.raises(ActionRefused, match="alice has no chain 'nope'"):
        services.report("nope")
    assert services.report("train-resnet", now=NOW).chain.chain_id == chain_id(), "a unique name works"
    assert runner.argvs[-1][0] == "sacct"
