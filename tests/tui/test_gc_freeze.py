"""The dashboard freezes what its first big snapshot built, once (app/tui/polling.py _freeze_history):
with 10,000 finished chains a full garbage collection otherwise stops the UI for half a second
every few dozen refreshes (measured by the perf branch)."""

from __future__ import annotations

import gc
from datetime import UTC, datetime

import pytest

from app.tui import polling
from app.tui.polling import PollingApp
from app.views import DashboardSnapshot
from tests.tui.fake_services import sample_chains


def snapshot(count: int) -> DashboardSnapshot:
    view = sample_chains()[0]
    return DashboardSnapshot(chains=(view,) * count, focus=None, health=None, taken_at=datetime.now(UTC),
                             viewed_user="alice", cluster=None)  # fmt: skip


def test_the_first_big_snapshot_is_frozen_once_and_small_ones_never(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def collect(*_args: object) -> int:
        calls.append("collect")
        return 0

    monkeypatch.setattr(gc, "collect", collect)
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    app = PollingApp()
    app._freeze_history(snapshot(polling.FREEZE_FROM - 1))
    assert calls == [], "a small registry: nothing to gain"
    app._freeze_history(snapshot(polling.FREEZE_FROM))
    assert calls == ["collect", "freeze"], "garbage collected first, then the rest frozen"
    app._freeze_history(snapshot(polling.FREEZE_FROM * 2))
    assert calls == ["collect", "freeze"], "once"
