"""Property tests: any text, random or a mutated real capture, gives records and never a traceback.

sacct and squeue parse per row: whatever the text, they return the rows they could read and
report the rest as problems, and never raise. scontrol and sbatch output is one record: it
gives the record or SlurmParseError, a typed error the caller can report.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.model.states import JobState
from app.slurm.errors import SlurmParseError
from app.slurm.records import AccountingMap, RecordList
from app.slurm.sacct import SACCT_FIELDS, SEPARATOR, parse_sacct
from app.slurm.sbatch import parse_sbatch_output
from app.slurm.scontrol import parse_show_job
from app.slurm.squeue import parse_squeue
from tests.captures import capture_text, sacct_layout, squeue_delimiter

SACCT = [capture_text(n) for n in ("sacct_scenarios.txt", "sacct_array.txt", "sacct_fresh_job.txt")]
OLD_FIELDS = sacct_layout("sacct_scenarios.txt")[1]  # these captures predate the fields added since
NEW_SACCT = "sacct_odd_names.txt"
SQUEUE = [capture_text(n) for n in ("squeue_pending_running.txt", "squeue_user_alice.txt")]
SCONTROL = [
    capture_text(f"scontrol_show_job_{n}.txt") for n in ("running", "pending", "held", "exit137", "timeout", "array")
]

# Cells Slurm really prints, to splice into other places.
TOKENS = st.sampled_from(
    ["", SEPARATOR, "\n", "|", "=", " ", "Unknown", "None", "UNLIMITED", "Partition_Limit", "16?", "207688K", "1.5G",
     "CANCELLED by 1001", "0:125", "9:0", "1-02:03:04", "2026-11-22T01:39:28", "123_[1-5]", "5.batch", "5.extern",
     "JobId=", "JobState=", "ExitCode=", " Comment=a b", "(null)", "N/A", "\x1c", "\u2028", "\r", "9" * 5000]
)  # fmt: skip
NOISE = st.one_of(TOKENS, st.text(max_size=40))


def _never_crashes(parse: Callable[[str], object], text: str) -> None:
    try:
        parse(text)
    except SlurmParseError:
        pass


def _sacct_keeps_going(text: str, fields: list[str] = OLD_FIELDS, delimiter: str = SEPARATOR) -> None:
    jobs = parse_sacct(text, delimiter, fields)
    assert isinstance(jobs, AccountingMap)
    for acc in jobs.values():  # a row the parser doubts is never an ending
        assert acc.job.state is not None
    assert all(p.command == "sacct" for p in jobs.problems)


def _squeue_keeps_going(text: str, delimiter: str = SEPARATOR) -> None:
    rows = parse_squeue(text, delimiter)
    assert isinstance(rows, RecordList) and all(isinstance(r.state, JobState) for r in rows)


@st.composite
def mutated(draw: st.DrawFn, originals: list[str]) -> str:
    text = draw(st.sampled_from(originals))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        kind = draw(st.sampled_from(["insert", "delete", "replace_cell", "truncate", "swap_lines", "dup_line"]))
        pos = draw(st.integers(min_value=0, max_value=max(0, len(text))))
        if kind == "insert":
            text = text[:pos] + draw(NOISE) + text[pos:]
        elif kind == "delete":
            text = text[:pos] + text[pos + draw(st.integers(min_value=1, max_value=30)) :]
        elif kind == "truncate":
            text = text[:pos]
        elif kind == "replace_cell":
            cells = text.split(SEPARATOR) if SEPARATOR in text else text.split(" ")
            i = draw(st.integers(min_value=0, max_value=len(cells) - 1))
            cells[i] = draw(NOISE)
            text = (SEPARATOR if SEPARATOR in text else " ").join(cells)
        else:
            lines = text.split("\n")
            i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            j = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            if kind == "swap_lines":
                lines[i], lines[j] = lines[j], lines[i]
            else:
                lines.insert(j, lines[i])
            text = "\n".join(lines)
    return text


# PROP_EXAMPLES=5000 for a deeper search (about 30 s).
FAST = settings(
    max_examples=int(os.environ.get("PROP_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@FAST
@given(st.text())
def test_random_text(text: str) -> None:
    _sacct_keeps_going(text, list(SACCT_FIELDS))
    _squeue_keeps_going(text)
    for parse in (parse_show_job, parse_sbatch_output):
        _never_crashes(parse, text)


@FAST
@given(st.lists(NOISE, max_size=len(SACCT_FIELDS) + 3))
def test_random_sacct_rows(cells: list[str]) -> None:
    _sacct_keeps_going(SEPARATOR.join(cells), list(SACCT_FIELDS))
    _squeue_keeps_going(SEPARATOR.join(cells))


@FAST
@given(mutated(SACCT))
def test_mutated_sacct(text: str) -> None:
    _sacct_keeps_going(text)


@FAST
@given(mutated([capture_text(NEW_SACCT)]))
def test_mutated_sacct_with_a_fresh_delimiter(text: str) -> None:
    delimiter, fields = sacct_layout(NEW_SACCT)
    _sacct_keeps_going(text, fields, delimiter)


@FAST
@given(mutated(SQUEUE))
def test_mutated_squeue(text: str) -> None:
    _squeue_keeps_going(text)


@FAST
@given(mutated(SCONTROL), st.sampled_from([None, "39", "39_2", "x"]))
def test_mutated_scontrol(text: str, job_id: str | None) -> None:
    _never_crashes(lambda t: parse_show_job(t, job_id), text)


def test_unmutated_captures_parse() -> None:
    assert all(parse_sacct(t, SEPARATOR, OLD_FIELDS) for t in SACCT)
    assert all(parse_squeue(t) for t in SQUEUE)
    assert squeue_delimiter("squeue_pending_running.txt") == SEPARATOR
    assert all(parse_show_job(t).job_id for t in SCONTROL)
