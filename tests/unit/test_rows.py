"""Cutting sacct/squeue text into rows (app/slurm/rows.py): no cell can break another row.

The hostile names are the ones anyone on a cluster can give a job (tests/captures/sacct_odd_names.txt
holds them as the real test cluster printed them); here they are put into every column.
"""

from __future__ import annotations

import pytest

from app.slurm.rows import Damaged, fresh_delimiter, looks_like_job_id, split_rows

D = "\x1f"
HOSTILE = [
    "x\x1fy",
    "two\nlines",
    "p|q",
    "\n\n",
    "\r\n",
    "\x1b]0;TITLE\x07\x1b[2J",
    "[@click=app.quit]",
    "L" * 10_000,
    "ends with newline\n",
    "\n123\x1fforged\x1fCOMPLETED",
    "\u2028\x1c\x1d\x1e",
    "\ufffd\ufffd",  # invalid UTF-8 as the runner decodes it (errors="replace")
]


def rows_of(text: str, delimiter: str, width: int) -> list[list[str]]:
    cut = list(split_rows(text, delimiter, width))
    assert all(not isinstance(r, Damaged) for r in cut), cut
    return [r for r in cut if not isinstance(r, Damaged)]


def test_fresh_delimiters_differ_and_hold_no_newline() -> None:
    made = {fresh_delimiter() for _ in range(100)}
    assert len(made) == 100
    for d in made:
        assert d.startswith(D) and d.endswith(D) and len(d) == 13 and "\n" not in d and "%" not in d[1:-1]


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("column", [1, 2, 3])
def test_any_text_in_any_column_but_the_id_leaves_every_row_intact(name: str, column: int) -> None:
    d = fresh_delimiter()
    rows = [["100", "a", "b", "c"], ["101", "d", "e", "f"], ["102", "g", "h", "i"]]
    rows[1][column] = name
    text = "".join(d.join(r) + "\n" for r in rows)
    assert rows_of(text, d, 4) == rows


def test_a_name_that_imitates_a_row_with_the_old_fixed_delimiter_is_just_a_name() -> None:
    d = fresh_delimiter()
    forged = "n\n555" + D + "forged" + D + "COMPLETED"
    text = d.join(["100", forged, "RUNNING"]) + "\n" + d.join(["555", "real", "RUNNING"]) + "\n"
    assert rows_of(text, d, 3) == [["100", forged, "RUNNING"], ["555", "real", "RUNNING"]]


def test_the_last_row_may_lack_its_newline_and_blank_text_is_no_row() -> None:
    assert rows_of("1\x1fa\x1fb\n2\x1fc\x1fd", D, 3) == [["1", "a", "b"], ["2", "c", "d"]]
    assert rows_of("", D, 3) == [] and rows_of("\n\n", D, 3) == []


def test_with_a_fixed_delimiter_a_damaged_row_costs_only_itself() -> None:
    text = "1\x1fa\x1fX\x1fb\n2\x1fc\x1fd\n3\x1fab\n4\x1fe\x1ff\n"  # 1: a cell too many, 3: one too few
    cut = list(split_rows(text, D, 3))
    assert [r for r in cut if not isinstance(r, Damaged)] == [["2", "c", "d"], ["4", "e", "f"]]
    damaged = [r for r in cut if isinstance(r, Damaged)]
    assert [(r.job_id, r.text) for r in damaged] == [("1", "1\x1fa\x1fX\x1fb"), ("3", "3\x1fab")]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("garbage", "the row ends early"),
        ("x\x1fa\x1fb\n", "the row does not start with a job id"),
        ("1\x1fa\x1fb\n2\x1fc", "the row ends early"),
    ],
)
def test_what_cannot_be_a_row_is_reported_with_why(text: str, reason: str) -> None:
    damaged = [r for r in split_rows(text, D, 3) if isinstance(r, Damaged)]
    assert [r.reason for r in damaged] == [reason]


def test_many_damaged_rows_are_cut_in_one_pass() -> None:
    # Each row has a cell too many; picking up after each must not re-read the rest of the text.
    text = "".join(f"{i}\x1fa\x1fX\x1fb\n" for i in range(20_000))
    cut = list(split_rows(text, D, 3))
    damaged = [r for r in cut if isinstance(r, Damaged)]
    assert len(damaged) == len(cut) == 20_000 and damaged[-1].job_id == "19999"


@pytest.mark.parametrize(
    "job_id", ["123", "123_4", "123_[1-5%2]", "123_[3,5-7]", "123+0", "123+0.batch", "123_4.extern", "9.0"]
)
def test_job_ids_slurm_prints(job_id: str) -> None:
    assert looks_like_job_id(job_id)


@pytest.mark.parametrize("text", ["", "x", "12a", "123 4", "-1", "123_", "123+", "forged\n123"])
def test_not_job_ids(text: str) -> None:
    assert not looks_like_job_id(text)
