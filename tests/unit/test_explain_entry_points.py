"""`longrun explain` and the dashboard's Diagnosis pane run one pipeline: same answers, same Slurm data.

Every real ending in tests/captures/endings/ is replayed: sacct's capture parsed as the client
parses it (its delimiter and fields), scontrol's through the client's own argv and parser, the
captured log and the captured script put back where scontrol said they were (under tmp_path
instead of the capture's directory). The CLI's entry (`gather`) and the dashboard's
(`FocusExplainer`, given the accounting its poll fetched) must give the same kind, title, fix and
evidence, from sacct alone (after MinJobAge) and with the controller's record.
"""

from __future__ import annotations

import getpass
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from app.explain.focus import FocusExplainer
from app.explain.gather import diagnose_gathered, find_chain, gather
from app.model.chain import ChainSpec
from app.model.states import JobState
from app.registry import Registry
from app.slurm.client import SlurmClient
from app.slurm.errors import SlurmUnavailable, UnknownJob
from app.slurm.records import AccountingMap, ControllerJob, JobAccounting
from app.slurm.runner import CommandResult, CommandRunner, classify_failure
from app.slurm.sacct import parse_sacct
from tests.captures import capture_text, parse_sacct_capture, sacct_layout
from tests.events import record

CAPTURES = Path(__file__).resolve().parents[1] / "captures"
ENDINGS = CAPTURES / "endings"
KEYS = sorted(p.name.split(".")[0] for p in ENDINGS.glob("*.sacct.txt"))
NOT_HELD = (CAPTURES / "scontrol_invalid_id.stderr").read_text()  # scontrol's answer after MinJobAge


class Replay(CommandRunner):
    """Answers `scontrol show job` with captured text (or "Invalid job id" once it is None)."""

    def __init__(self, scontrol: str | None) -> None:
        super().__init__()
        self.scontrol = scontrol
        self.argvs: list[tuple[str, ...]] = []

    def run(self, argv: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: str | None = None,
            timeout: float | None = None, check: bool = True) -> CommandResult:  # fmt: skip
        self.argvs.append(tuple(argv))
        if argv[:3] == ["scontrol", "show", "job"] and self.scontrol is not None:
            return CommandResult(tuple(argv), 0, self.scontrol, "")
        raise classify_failure(argv, 1, NOT_HELD)


class ReplayClient(SlurmClient):
    """The project's client with sacct answered from a capture (counted as a call, as sacct is)."""

    def __init__(self, runner: Replay, accounting: AccountingMap) -> None:
        super().__init__(runner=runner)
        self.replay, self.found = runner, accounting

    def accounting(self, job_ids: Sequence[str]) -> AccountingMap:
        self.replay.argvs.append(("sacct", *job_ids))
        return AccountingMap((k, v) for k, v in self.found.items() if k in job_ids or k.split("_")[0] in job_ids)


def ending(key: str, where: Path, held: bool) -> tuple[ReplayClient, JobAccounting]:
    """The capture of `key` with its files (log, script) put back under `where`."""
    name = f"endings/{key}.sacct.txt"
    (accounting,) = parse_sacct_capture(name).values()
    original = accounting.job.work_dir
    assert original is not None
    delimiter, fields = sacct_layout(name)
    found = parse_sacct(capture_text(name).replace(original, str(where)), delimiter, fields)
    scontrol_file = ENDINGS / f"{key}.scontrol.txt"
    scontrol = scontrol_file.read_text().replace(original, str(where)) if held and scontrol_file.exists() else None
    log = ENDINGS / f"{key}.log"
    if log.exists():
        (where / f"{accounting.job_id}.out").write_text(log.read_text())
    submission = (ENDINGS / f"{key}.sbatch.cmd").read_text()
    script_name = Path(re.findall(r"^sbatch .* (\S+)$", submission, re.MULTILINE)[0]).name
    body = submission.split("# script:\n", 1)[1]
    (where / script_name).write_text("".join(line[4:] + "\n" for line in body.splitlines()))
    return ReplayClient(Replay(scontrol), found), found[accounting.job_id]


@pytest.mark.parametrize("held", [False, True], ids=["sacct-only", "held"])
@pytest.mark.parametrize("key", KEYS)
def test_both_entry_points_give_the_same_diagnosis(key: str, held: bool, tmp_path: Path) -> None:
    client, accounting = ending(key, tmp_path, held)
    cli = diagnose_gathered(gather(client, accounting.job_id))
    sacct_calls = sum(1 for a in client.replay.argvs if a[0] == "sacct")
    shown = FocusExplainer(client.show_job).diagnosis(accounting)
    assert shown is not None
    assert sum(1 for a in client.replay.argvs if a[0] == "sacct") == sacct_calls, "the dashboard asked sacct again"
    assert (shown.kind, shown.title, shown.suggestion, dict(shown.fix_options)) == (
        cli.kind.value, cli.title, cli.suggestion, cli.fix_options,
    )  # fmt: skip
    details = "".join(f"\n{line}" for line in cli.details())
    assert shown.evidence == tuple(str(e) for e in cli.evidence)
    assert shown.explanation == cli.explanation + (f"\n{details}" if details else "")


@pytest.mark.parametrize(("key", "code", "signal"), [("exit137", 137, "SIGKILL"), ("exit152", 152, "SIGXCPU")])
def test_the_dashboard_knows_137_and_152_from_the_controller(key: str, code: int, signal: str, tmp_path: Path) -> None:
    """It said "Exit 9 or 137: accounting cannot tell" for these, while `longrun explain` knew."""
    client, accounting = ending(key, tmp_path, held=True)
    gathered, found = FocusExplainer(client.show_job).explain(accounting)
    assert found.kind.value == "exit_signal" and found.exit_codes == (code,) and found.signal == signal
    assert gathered.logs[0].path == f"{tmp_path}/{accounting.job_id}.out" and gathered.logs[0].readable


def test_the_dashboard_cites_exact_line_numbers_in_a_long_log(tmp_path: Path) -> None:
    """On a 5,001-line log the dashboard quoted `big.out:2339`; `longrun explain` said `:5001`."""
    client, accounting = ending("exit3", tmp_path, held=True)
    assert client.replay.scontrol is not None
    big = tmp_path / "big.out"
    big.write_text("".join(f"step {i} done\n" for i in range(1, 5001)) + "error: input.csv has no header\n")
    client.replay.scontrol = re.sub(r"(?m)^(\s*Std(?:Out|Err))=.*$", rf"\1={big}", client.replay.scontrol)
    shown = FocusExplainer(client.show_job).diagnosis(accounting)
    assert shown is not None and "log big.out:5001: error: input.csv has no header" in shown.evidence
    cli = diagnose_gathered(gather(client, accounting.job_id))
    assert shown.evidence == tuple(str(e) for e in cli.evidence)


def test_an_ended_jobs_controller_record_is_asked_for_once(tmp_path: Path) -> None:
    client, accounting = ending("exit137", tmp_path, held=True)
    explainer = FocusExplainer(client.show_job)
    first = explainer.diagnosis(accounting)
    client.replay.scontrol = None  # MinJobAge passed: the controller forgot the job
    for _ in range(5):
        assert explainer.diagnosis(accounting) == first
    assert explainer.controller_calls == 1  # the record taken after the end is final: kept
    forgotten = FocusExplainer(client.show_job)
    forgotten.diagnosis(accounting)
    forgotten.diagnosis(accounting)
    assert forgotten.controller_calls == 1  # "not held any more" is final too


def test_a_live_jobs_controller_record_is_asked_for_again_only_when_sacct_changes(tmp_path: Path) -> None:
    client, ended = ending("completed", tmp_path, held=True)
    running = JobAccounting(replace(ended.job, state=JobState.RUNNING, end=None, reason="None"), ended.steps)
    calls: list[str] = []
    record = client.show_job(ended.job_id)

    def show_job(job_id: str) -> ControllerJob:
        calls.append(job_id)
        return replace(record, state=JobState.RUNNING) if len(calls) == 1 else record

    explainer = FocusExplainer(show_job)
    for _ in range(3):
        shown = explainer.diagnosis(running)
        assert shown is not None and shown.kind == "running"
    assert len(calls) == 1
    assert (done := explainer.diagnosis(ended)) is not None and done.kind == "completed"
    explainer.diagnosis(ended)
    assert len(calls) == 2


def test_an_unreachable_controller_is_a_note_and_asked_again_next_time(tmp_path: Path) -> None:
    _client, accounting = ending("exit3", tmp_path, held=True)
    calls: list[str] = []

    def down(job_id: str) -> ControllerJob:
        calls.append(job_id)
        raise SlurmUnavailable("scontrol: error: Unable to contact slurm controller")

    explainer = FocusExplainer(down)
    gathered, found = explainer.explain(accounting)
    assert gathered.controller is None and "did not answer" in gathered.notes[0] and found.kind.value == "exit_code"
    explainer.explain(accounting)
    assert len(calls) == 2


def test_the_cli_still_tells_an_unknown_job(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="not known to Slurm"):
        gather(ReplayClient(Replay(None), AccountingMap()), "424242")
    assert isinstance(classify_failure(["scontrol"], 1, NOT_HELD), UnknownJob)


def test_a_link_is_found_by_its_comment_tag_only_when_the_registry_agrees(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    me = getpass.getuser()
    monkeypatch.setenv("LONGRUN_HOME", str(tmp_path / "reg"))
    reg = Registry(tmp_path / "reg")
    reg.create_chain(ChainSpec("c1", "train", me, "/w/train.sh", sbatch_options=("-o", "t-%j.out"), workdir="/w"))
    record(reg, "c1", "submit_intent", attempt=1, options=["--mem=2G"])
    record(reg, "c1", "submitted", attempt=1, job_id="41")
    (accounting,) = parse_sacct_capture("endings/exit3.sacct.txt").values()

    def job(job_id: str, comment: str) -> JobAccounting:
        return JobAccounting(replace(accounting.job, job_id=job_id, user=me, comment=comment), ())

    found = find_chain(job("41", "longrun:c1:1"), None)
    assert found is not None and found.status.chain_id == "c1" and found.link.options == ("--mem=2G",)
    assert find_chain(job("99", "longrun:c1:1"), None) is None  # a tag is text anyone can write
    assert find_chain(job("41", "longrun:c1:2"), None) is None
    assert find_chain(job("41", "longrun:nochain:1"), None) is None
    assert find_chain(job("41", "free text"), None) is None
    (tmp_path / "reg" / "chains" / "c1" / "spec.json").write_text('{"chain_id": "c1", "args": 5}')
    assert find_chain(job("41", "longrun:c1:1"), None) is None  # damaged: explained without the chain
