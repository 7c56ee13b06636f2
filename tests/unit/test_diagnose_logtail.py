"""Reading a job's log tail for `longrun explain`: exact line numbers, cut first lines, guessed names."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.explain import tail as tail_reader
from app.explain.gather import files_naming_job
from app.explain.tail import read_tail


def test_small_file_is_read_whole_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "7.out"
    path.write_text("one\ntwo\nthree\n")
    tail = read_tail(str(path), guessed=False)
    assert tail.text == "one\ntwo\nthree" and tail.first_line == 1 and tail.readable


def test_long_file_keeps_the_last_lines_and_their_real_numbers(tmp_path: Path) -> None:
    path = tmp_path / "7.out"
    path.write_text("".join(f"line {i}\n" for i in range(1, 20001)))
    tail = read_tail(str(path), guessed=False)
    assert tail.text is not None
    lines = tail.text.splitlines()
    assert len(lines) == tail_reader.TAIL_LINES and lines[-1] == "line 20000"
    assert tail.first_line == 20000 - tail_reader.TAIL_LINES + 1
    assert lines[0] == f"line {tail.first_line}"


def test_huge_file_gives_tail_positions_not_line_numbers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tail_reader, "COUNT_LINES_UP_TO", 1000)
    path = tmp_path / "7.out"
    path.write_text("x" * 100 + "\n" + "".join(f"line {i}\n" for i in range(1, 20001)))
    tail = read_tail(str(path), guessed=False)
    assert tail.first_line is None and tail.text is not None and tail.text.endswith("line 20000")


def test_missing_file_and_missing_directory(tmp_path: Path) -> None:
    missing = read_tail(str(tmp_path / "nope.out"), guessed=True)
    assert missing.text is None and missing.problem == "no such file" and missing.directory_exists is True
    no_dir = read_tail(str(tmp_path / "nodir" / "x.out"), guessed=False)
    assert no_dir.directory_exists is False


def test_files_naming_the_job_id(tmp_path: Path) -> None:
    for name in ("train-1234.out", "train-1234.err", "12345.out", "1234_7.out", "notes.md", "run.1234.log"):
        (tmp_path / name).write_text("x\n")
    found = [Path(p).name for p in files_naming_job(str(tmp_path), "1234")]
    assert found == ["train-1234.out", "run.1234.log"]
