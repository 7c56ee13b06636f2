"""Rich consoles for the command line: normal output on stdout, errors on stderr."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console, OverflowMethod
from rich.markup import escape
from rich.table import Table
from rich.text import Text

stdout = Console(highlight=False)
stderr = Console(stderr=True, highlight=False)


def print_error(message: str) -> None:
    """One clear line for a person; no traceback."""
    stderr.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)


def fitted_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    flexible: str,
    overflow: OverflowMethod = "fold",
    **table_options: Any,
) -> Table:
    """A table whose short columns (ids, states, times) never shrink; only the `flexible` one gives way.

    Rich otherwise squeezes every column alike on an 80-column terminal (or a pipe), and ids and
    states end up as `69.bat…` and `COMPLET…`.
    """
    table = Table(**table_options)
    for header, width in zip(headers, column_widths(headers, rows), strict=True):
        if header == flexible:
            table.add_column(header, overflow=overflow, ratio=1, min_width=min(width, 8))
        else:
            table.add_column(header, no_wrap=True, min_width=width)
    for row in rows:
        table.add_row(*row)
    return table


def column_widths(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[int]:
    """The widest cell of each column (markup not counted), header included."""
    return [
        max([len(header), *(len(Text.from_markup(row[index]).plain) for row in rows)])
        for index, header in enumerate(headers)
    ]


def table_width(headers: Sequence[str], rows: Sequence[Sequence[str]], padding: int = 2) -> int:
    """Columns a box-less table of these cells needs on one line each."""
    return sum(width + padding for width in column_widths(headers, rows))
