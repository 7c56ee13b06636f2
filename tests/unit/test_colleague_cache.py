"""A colleague's registry is read as one's own: a chain is read again only when its event log
changed (one stat per chain per refresh), so a dashboard watching bob costs what bob's live chains
cost, not his history. Counted: the chains actually read (Registry.status) per discovery."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.model.chain import ChainSpec
from app.registry import Registry
from app.services import Services, discovery
from tests.events import record


def bobs_registry(home: Path, count: int) -> Registry:
    reg = Registry(home)
    for n in range(count):
        reg.create_chain(ChainSpec(chain_id=f"c{n}", name=f"run-{n}", owner="bob", script="/bin/true", workdir="/tmp"))
        record(reg, f"c{n}", "submit_intent", attempt=1)
        record(reg, f"c{n}", "submitted", attempt=1, job_id=str(1000 + n))
    return reg


def test_a_colleagues_unchanged_chains_are_not_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "bob"
    reg = bobs_registry(home, 20)
    monkeypatch.setattr(discovery, "default_home", lambda user: home)
    reads: list[str] = []
    real_status = Registry.status

    def counted(self: Registry, chain_id: str) -> object:
        reads.append(chain_id)
        return real_status(self, chain_id)

    monkeypatch.setattr(Registry, "status", counted)
    services = Services(viewer="alice", home=tmp_path / "alice")
    first = services.read_colleague("bob")
    assert len(first.chains) == 20 and len(reads) == 20
    reads.clear()
    again = services.read_colleague("bob")
    assert reads == [] and [s.chain_id for s in again.chains] == [s.chain_id for s in first.chains]
    record(reg, "c7", "observed_end", attempt=1, job_id="1007", state="COMPLETED", exit="0:0", ending="COMPLETED")
    record(reg, "c7", "decision", attempt=1, outcome="finished", reason="completed")
    third = services.read_colleague("bob")
    assert reads == ["c7"], "only the chain whose log changed"
    assert next(s for s in third.chains if s.chain_id == "c7").state.value == "DONE"
