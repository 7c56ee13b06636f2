"""Cutting delimited Slurm output into rows of cells so that no cell can break another row.

sacct and squeue print one row per line, cells joined by a delimiter we choose. Job names,
comments and paths are free text: anyone on the cluster can put `|`, a newline or our own
delimiter into a job name. So each call gets a delimiter nobody can predict (`fresh_delimiter`:
the unit separator around 11 random characters; a name set before the call cannot contain it)
and rows are cut by counting delimiters, not by lines: a row of N cells has exactly N-1
delimiters, and the newline that ends it is the LAST newline before the next row's first cell.
That first cell is the job id, which never holds a newline; every other cell may hold any text.

Text that breaks the count anyway (output damaged in transit, or a fixed delimiter that a name
did contain) costs only the rows it touches: they come back as `Damaged` and the cutter picks up
at the next line that starts with a job id followed by the delimiter.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

UNIT_SEPARATOR = "\x1f"
# A job id as the first cell: `123`, `123_4`, `123_[1-5%2]`, `123+0`, `123.batch`, `123_4.0`.
_JOB_ID = re.compile(r"\d+(?:_(?:\d+|\[[0-9,\-%:]*\]?))?(?:\+\d+)?(?:\.[\w-]+)?")


def fresh_delimiter() -> str:
    """A delimiter for one call: `\\x1f` + 11 random characters of `[A-Za-z0-9_-]` + `\\x1f`.

    66 random bits: a name is set before the call and must hit the one value of 2**66 that the
    call then draws. (A 1,024-character name holds about 80 guesses of this length: 32 bits
    would fall to a patient colleague within days of polls, 66 bits do not.) Kept short because
    it stands between every two cells: sacct's text grows by its length 25 times per row.
    """
    return f"{UNIT_SEPARATOR}{secrets.token_urlsafe(8)}{UNIT_SEPARATOR}"


def looks_like_job_id(cell: str) -> bool:
    return _JOB_ID.fullmatch(cell.strip()) is not None


@dataclass(frozen=True)
class Damaged:
    """Text that could not be cut into a row; `job_id` when its first cell was readable."""

    text: str
    job_id: str | None
    reason: str


def split_rows(text: str, delimiter: str, width: int, id_cell: int = 0) -> Iterator[list[str] | Damaged]:
    """Rows of exactly `width` cells, in order; what cannot be a row comes as Damaged.

    The job id is cell `id_cell` (ours: the first). One pass over the text cut at every
    delimiter: linear in its length, damaged or not. Rows are cut at the last newline before
    each row's first cell, so that first cell must not hold a newline (a job id does not); with
    another first cell (other sites' field lists) a damaged row is left at the next newline.
    """
    if width < 2:
        raise ValueError("a row needs at least two cells")
    pieces = text.split(delimiter)
    count = len(pieces)
    step = width - 1
    head = pieces[0].lstrip("\r\n")  # the first cell of the row being read
    i = 1  # pieces[i : i + step - 1] are its middle cells; pieces[i + step - 1] holds its last one
    while head or i < count:
        end = i + step
        damage = None
        if end > count:
            damage = "the row ends early"
        else:
            last, newline, following = pieces[end - 1].rpartition("\n")
            if not newline:
                if end < count:
                    damage = "the row has other cells than asked for"
                else:  # the text's last row, without a final newline
                    last, following = pieces[end - 1], ""
        if damage is None:
            row = [head, *pieces[i : end - 1], last.rstrip("\r")]
            if looks_like_job_id(row[id_cell]):
                yield row
                head, i = following, end
                continue
            damage = "the row does not start with a job id" if id_cell == 0 else "the row has no job id"
        # Pick up at the next line that starts a row: for ours, a job id followed by the delimiter
        # (the text after the last newline of a piece that is not the final one).
        k = i
        starts_row = _starts_row if id_cell == 0 else _has_newline
        while k < count - 1 and not starts_row(pieces[k]):
            k += 1
        cut = delimiter.join([head, *pieces[i:]]) if k >= count - 1 else None
        if cut is not None:  # no row starts after this one: the rest is damaged
            yield Damaged(cut[:2000], _first_cell_id(head), damage)
            return
        before, _, following = pieces[k].rpartition("\n")
        yield Damaged(delimiter.join([head, *pieces[i:k], before])[:2000], _first_cell_id(head), damage)
        head, i = following, k + 1


def _has_newline(piece: str) -> bool:
    return "\n" in piece


def _starts_row(piece: str) -> bool:
    _, newline, tail = piece.rpartition("\n")
    return bool(newline) and looks_like_job_id(tail)


def _first_cell_id(cell: str) -> str | None:
    cell = cell.strip()
    return cell[:100] if looks_like_job_id(cell) else None
