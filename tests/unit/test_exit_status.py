"""Exit status `code:signal` and sacct's 128 offset (app/model/exit_status.py)."""

from __future__ import annotations

import pytest

from app.model.exit_status import (
    ExitStatus,
    ExitStatusParseError,
    signal_from_exit_code,
    signal_name,
)


def test_parse() -> None:
    assert ExitStatus.parse("0:125") == ExitStatus(0, 125)
    assert ExitStatus.parse(" 3:0 ") == ExitStatus(3, 0)
    assert str(ExitStatus(137, 0)) == "137:0"
    assert ExitStatus(0, 0).is_success and not ExitStatus(0, 9).is_success and not ExitStatus(1).is_success


@pytest.mark.parametrize("text", ["", "3", "a:b", "1:2:3", "-1:0"])
def test_garbage(text: str) -> None:
    with pytest.raises(ExitStatusParseError):
        ExitStatus.parse(text)


def test_sacct_offset_ambiguity() -> None:
    assert ExitStatus(9, 0).possible_codes_from_sacct() == (9, 137)
    assert ExitStatus(24, 0).possible_codes_from_sacct() == (24, 152)
    assert ExitStatus(0, 0).possible_codes_from_sacct() == (0,)
    assert ExitStatus(0, 9).possible_codes_from_sacct() == (0,)
    assert ExitStatus(200, 0).possible_codes_from_sacct() == (200,)


def test_signals() -> None:
    assert signal_name(9) == "SIGKILL" and signal_name(15) == "SIGTERM" and signal_name(77) == "signal 77"
    assert signal_from_exit_code(137) == 9 and signal_from_exit_code(152) == 24
    assert signal_from_exit_code(128) is None and signal_from_exit_code(3) is None
    assert signal_from_exit_code(193) is None
