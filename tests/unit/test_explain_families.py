"""`longrun explain` (the CLI's gather) and the dashboard's FocusExplainer on the jobs of
tests/captures/diag/: an array from sbatch's id, a heterogeneous job from sbatch's id, a pending
array task, the partition looked up only when needed, the JSON of schema 2, and the pane's text.
Slurm answers from captures, through the client's own parsers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from app.commands.explain import SCHEMA_VERSION, as_json
from app.explain.focus import FocusExplainer
from app.explain.gather import diagnose_gathered, gather
from app.explain.partitions import PartitionCache
from app.slurm.client import SlurmClient
from app.slurm.jobid import parse_job_ref
from app.slurm.records import AccountingMap
from app.slurm.runner import CommandResult, CommandRunner, classify_failure
from tests.captures import capture_text, parse_sacct_capture

CAPTURES = Path(__file__).resolve().parents[1] / "captures"
NOT_HELD = (CAPTURES / "scontrol_invalid_id.stderr").read_text()


class Replay(CommandRunner):
    """scontrol answered from captures (None: the controller forgot the job); every call recorded."""

    def __init__(self, scontrol: str | None, partitions: str | None = None) -> None:
        super().__init__()
        self.scontrol, self.partitions = scontrol, partitions
        self.argvs: list[tuple[str, ...]] = []

    def run(self, argv: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: str | None = None,
            timeout: float | None = None, check: bool = True) -> CommandResult:  # fmt: skip
        self.argvs.append(tuple(argv))
        if list(argv[:3]) == ["scontrol", "show", "job"] and self.scontrol is not None:
            return CommandResult(tuple(argv), 0, self.scontrol, "")
        if list(argv[:4]) == ["scontrol", "-o", "show", "partition"] and self.partitions is not None:
            return CommandResult(tuple(argv), 0, self.partitions, "")
        raise classify_failure(argv, 1, NOT_HELD)


class Client(SlurmClient):
    """sacct answered from a capture: the records whose id (or base id) was asked for."""

    def __init__(self, key: str, held: bool) -> None:
        scontrol = capture_text(f"diag/{key}.scontrol.txt") if held else None
        super().__init__(runner=Replay(scontrol, capture_text("diag/partitions.scontrol.txt")))
        self.found = parse_sacct_capture(f"diag/{key}.sacct.txt")

    @property
    def replay(self) -> Replay:
        assert isinstance(self.runner, Replay)
        return self.runner

    def accounting(self, job_ids: Sequence[str]) -> AccountingMap:
        self.replay.argvs.append(("sacct", *job_ids))

        def asked(key: str) -> bool:
            ref = parse_job_ref(key)
            raw = self.found[key].job.job_id_raw
            return key in job_ids or raw in job_ids or (ref is not None and ref.base in job_ids)

        return AccountingMap((k, v) for k, v in self.found.items() if asked(k))

    def base(self) -> str:
        return next(iter(self.found)).split("_")[0].split("+")[0]


def explain_json(client: Client, job_id: str) -> dict[str, Any]:
    gathered = gather(client, job_id, PartitionCache(client.partitions))
    data = as_json(gathered, diagnose_gathered(gathered))
    json.dumps(data)  # it must serialise
    return data


def test_an_array_from_sbatchs_id_is_summarised_without_the_controller() -> None:
    client = Client("array_mixed", held=True)
    data = explain_json(client, client.base())
    assert data["schema_version"] == SCHEMA_VERSION == 2
    assert data["diagnosis"]["kind"] == "array" and data["state"] is None and data["steps"] == []
    family = data["diagnosis"]["family"]
    assert family["kind"] == "array" and family["counts"] == {"completed": 2, "exit_code": 1, "out_of_memory": 1}
    assert [m["job_id"].split("_")[1] for m in family["members"]] == ["1", "2", "3", "4"]
    assert not [a for a in client.replay.argvs if "job" in a], "an array summary asks no controller record"
    assert data["name"] == "lrd-array_mixed" and data["user"] == "alice"


def test_a_heterogeneous_job_from_sbatchs_id() -> None:
    client = Client("het", held=True)
    data = explain_json(client, client.base())
    assert data["job_id"] == client.base() and data["diagnosis"]["kind"] == "exit_code"
    assert [m["job_id"] for m in data["diagnosis"]["family"]["members"]] == [f"{client.base()}+0", f"{client.base()}+1"]
    assert data["controller_exit_code"] == "3:0"
    assert {s["step_id"] for s in data["steps"]} >= {f"{client.base()}+0.batch", f"{client.base()}+1.0"}
    one = explain_json(Client("het", held=False), f"{client.base()}+1")  # one component by its own id
    assert one["job_id"] == f"{client.base()}+1" and one["diagnosis"]["family"] is None


def test_a_pending_array_task_is_asked_of_scontrol_by_its_own_id() -> None:
    client = Client("array_limit", held=True)
    base = client.base()
    data = explain_json(client, f"{base}_3")  # sacct answers with the pending tasks' record N_[2-3%1]
    assert data["diagnosis"]["kind"] == "pending"
    assert data["diagnosis"]["pending"]["reason"] == "JobArrayTaskLimit"
    assert ("scontrol", "show", "job", f"{base}_3") in client.replay.argvs


def test_the_partition_is_asked_for_only_by_rules_that_need_it() -> None:
    client = Client("srun_false", held=False)
    explain_json(client, client.base())
    assert not [a for a in client.replay.argvs if "partition" in a]
    pending = Client("node_limit", held=True)
    data = explain_json(pending, pending.base())
    assert data["diagnosis"]["pending"]["reason"] == "PartitionNodeLimit"
    assert not [a for a in pending.replay.argvs if "partition" in a]


def test_the_pane_shows_what_the_cli_prints() -> None:
    client = Client("srun_false", held=True)
    gathered = gather(client, client.base())
    cli = diagnose_gathered(gathered)
    assert gathered.accounting is not None
    shown = FocusExplainer(client.show_job, partitions=client.partitions).diagnosis(gathered.accounting)
    assert shown is not None and shown.kind == "step_failed"
    for line in cli.details():
        assert line in shown.explanation
    assert shown.explanation.startswith(cli.explanation)


def test_a_dashboard_asks_for_partitions_once_per_ten_minutes() -> None:
    now = [0.0]
    calls: list[int] = []

    def fetch() -> dict[str, Any]:
        calls.append(1)
        return {}

    cache = PartitionCache(fetch, clock=lambda: now[0])
    for name in ("debug", "debug", "urgent", None):
        cache.get(name)
    assert len(calls) == 1
    now[0] = 601.0
    cache.get("debug")
    assert len(calls) == 2
