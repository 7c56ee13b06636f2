"""A corpus of damaged chain directories (issue 16 item 6), shared by the unit and cluster tests.

Each damage starts from a valid chain directory named `dmg-<name>` and breaks one thing. `good`
is a healthy chain whose link ended FAILED 3:0 with no decision recorded yet, so a supervisor
cycle has work to do on it without calling Slurm.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from app.model.chain import ChainSpec
from app.model.policy import Policy
from app.registry import Registry
from tests.events import record

DEEP = 100_000


def _spec(path: Path, edit: Callable[[dict[str, object]], None]) -> None:
    data = json.loads((path / "spec.json").read_text())
    edit(data)
    (path / "spec.json").write_text(json.dumps(data))


def _policy(**changes: object) -> Callable[[dict[str, object]], None]:
    def edit(data: dict[str, object]) -> None:
        spec = data["spec"]
        assert isinstance(spec, dict)
        spec["policy"].update(changes)

    return edit


def _event_line(path: Path, line: bytes) -> None:
    """A bad line in the MIDDLE of the log (a good one follows): not a torn tail."""
    with open(path / "events.jsonl", "ab") as fh:
        fh.write(line + b"\n" + b'{"type": "reinit", "by": "x", "v": 1}\n')


def _replace_with_dir(path: Path, name: str) -> None:
    (path / name).unlink()
    (path / name).mkdir()


def _replace_with_fifo(path: Path, name: str) -> None:
    (path / name).unlink()
    os.mkfifo(path / name)


def _dir_is_file(path: Path) -> None:
    shutil.rmtree(path)
    path.write_text("not a chain directory\n")


def _nan_policy(path: Path) -> None:
    text = (path / "spec.json").read_text().replace('"grow_mem_factor": null', '"grow_mem_factor": NaN')
    assert "NaN" in text
    (path / "spec.json").write_text(text)


DAMAGES: dict[str, Callable[[Path], object]] = {
    "schema_abc": lambda p: _spec(p, lambda d: d.update(schema="abc")),
    "spec_invalid_utf8": lambda p: (p / "spec.json").write_bytes(b'{"schema": 1, "spec": {"name": "\xff\xfe"}}'),
    "spec_is_a_directory": lambda p: _replace_with_dir(p, "spec.json"),
    "spec_nested_100k_deep": lambda p: (p / "spec.json").write_text("[" * DEEP + "]" * DEEP),
    "spec_is_a_fifo": lambda p: _replace_with_fifo(p, "spec.json"),
    "spec_missing": lambda p: (p / "spec.json").unlink(),
    "spec_not_an_object": lambda p: (p / "spec.json").write_text("[]"),
    "policy_grow_mem_nan": _nan_policy,
    "policy_max_restarts_negative": lambda p: _spec(p, _policy(max_restarts=-3)),
    "policy_min_link_seconds_1e99": lambda p: _spec(p, _policy(min_link_seconds=1e99)),
    "events_nested_100k_deep": lambda p: _event_line(p, b"[" * DEEP + b"]" * DEEP),
    "events_invalid_utf8": lambda p: _event_line(p, b'{"type": "reinit", "by": "\xff"}'),
    "events_missing_job_id": lambda p: _event_line(p, b'{"type": "submitted", "attempt": 1}'),
    "events_attempt_one": lambda p: _event_line(p, b'{"type": "submitted", "attempt": "one", "job_id": "5"}'),
    "events_unknown_outcome": lambda p: _event_line(p, b'{"type": "decision", "attempt": 1, "outcome": "retry"}'),
    "events_bad_timestamp": lambda p: _event_line(p, b'{"type": "reinit", "t": "yesterday at noon"}'),
    "events_is_a_directory": lambda p: _replace_with_dir(p, "events.jsonl"),
    "events_is_a_fifo": lambda p: _replace_with_fifo(p, "events.jsonl"),
    "chain_dir_is_a_file": _dir_is_file,
}


def make_chain(reg: Registry, chain_id: str, owner: str, workdir: Path) -> None:
    spec = ChainSpec(
        chain_id=chain_id,
        name=f"name-{chain_id}",
        owner=owner,
        script=str(workdir / "job.sh"),
        workdir=str(workdir),
        policy=Policy(max_restarts=2),
        created=datetime(2026, 1, 1, tzinfo=UTC),
    )
    reg.create_chain(spec)


def build(home: Path, owner: str, damages: list[str] | None = None) -> Registry:
    """A registry with `good`, `good.bak` (a copy of it: a copied chain directory) and one chain per damage."""
    reg = Registry(home)
    make_chain(reg, "good", owner, home)
    record(reg, "good", "submit_intent", attempt=1)
    record(reg, "good", "submitted", attempt=1, job_id="999999")
    record(reg, "good", "observed_end", attempt=1, job_id="999999", state="FAILED", exit="3:0", elapsed=5)
    shutil.copytree(reg.chain_dir("good"), reg.chains_dir / "good.bak")
    for name in damages if damages is not None else list(DAMAGES):
        chain_id = f"dmg-{name}"
        make_chain(reg, chain_id, owner, home)
        DAMAGES[name](reg.chain_dir(chain_id))
    return reg


def damaged_ids(damages: list[str] | None = None) -> set[str]:
    return {"good.bak", *(f"dmg-{n}" for n in (damages if damages is not None else DAMAGES))}
