"""Tables on an 80-column terminal (or a pipe): ids, states and sizes stay whole; names give way."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

import app.commands.explain as explain_command
from app.console import fitted_table, table_width
from app.diagnose import diagnose
from app.explain.gather import Gathered
from tests.captures import parse_sacct_capture

ENDINGS = Path(__file__).resolve().parents[1] / "captures" / "endings"


def narrow_console() -> Console:
    return Console(width=80, file=io.StringIO(), record=True, color_system=None)


def test_explain_table_keeps_ids_states_and_memory_whole_at_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    accounting = next(iter(parse_sacct_capture("endings/cancelled.sacct.txt").values()))
    console = narrow_console()
    monkeypatch.setattr(explain_command, "stdout", console)
    gathered = Gathered(accounting.job_id, accounting, None, (), None, ())
    explain_command.render(gathered, diagnose(accounting))
    text = console.export_text()
    table = text[text.index("accounting (sacct)") :]
    for whole in ("405.batch", "CANCELLED by 1001", "ReqMem", "200M", "388K", "00:00:05"):
        assert whole in table, table
    assert max(len(line) for line in text.splitlines()) <= 80


def test_only_the_flexible_column_shrinks() -> None:
    headers = ["CHAIN", "NAME", "STATE"]
    rows = [["e6deb56e", "param_sweep.sweep_lr0.001_with_a_long_suffix", "CONTINUING"]]
    console = Console(width=40, file=io.StringIO(), record=True, color_system=None)
    console.print(fitted_table(headers, rows, "NAME", "ellipsis", box=None))
    text = console.export_text()
    assert "e6deb56e" in text and "CONTINUING" in text and "…" in text
    assert table_width(headers, rows) == 8 + 44 + 10 + 3 * 2
