"""Inert text: every control character of a user's, Slurm's or a file's string shown as an escape."""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from app.console import literal
from app.model.text import has_control, inert
from tests.hostile import HOSTILE_NAMES, RAW_CONTROL


def test_control_sequences_become_visible_escapes() -> None:
    assert inert("\x1b]0;T\x07x") == "\\x1b]0;T\\x07x"
    assert inert("\x9b31m") == "\\x9b31m"
    assert inert("a\nb\tc") == "a\\nb\\tc"
    assert inert("a\nb\tc\r", multiline=True) == "a\nb\tc\\r"
    assert inert("bad\udcffbyte") == "bad\\xffbyte", "an undecodable byte (surrogateescape) shows as its value"
    assert inert("plain [text] é") == "plain [text] é"
    assert has_control("a\nb") and not has_control("ab")


@given(st.text())
def test_nothing_inert_returns_can_act_on_a_terminal(text: str) -> None:
    out = Console(file=io.StringIO(), force_terminal=False, width=200, highlight=False)
    out.print(literal(text), soft_wrap=True)
    printed = out.file.getvalue()  # type: ignore[attr-defined]
    assert not RAW_CONTROL.search(printed.encode("utf-8", "surrogateescape"))
    assert printed[:-1] == inert(text), "shown as written: no markup read, nothing dropped"


def test_every_hostile_name_prints_as_written() -> None:
    for key, name in HOSTILE_NAMES.items():
        out = Console(file=io.StringIO(), force_terminal=False, width=20_000, highlight=False)
        out.print(literal(name), soft_wrap=True)
        printed = out.file.getvalue().rstrip("\n")  # type: ignore[attr-defined]
        assert printed == inert(name), key
        assert not RAW_CONTROL.search(printed.encode()), key
