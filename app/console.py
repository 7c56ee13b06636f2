"""Rich consoles for the command line: normal output on stdout, errors on stderr.

Every string that comes from a user, Slurm or a file goes through `literal()` before it reaches
a console that reads markup: control sequences are shown as escapes (app/model/text.py) and
brackets as brackets. JSON is written by `print_json`, ASCII only, so no byte of it can act on a
terminal either.
"""

from __future__ import annotations

import json
import pwd
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console, OverflowMethod
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from app.model.text import inert

stdout = Console(highlight=False)
stderr = Console(stderr=True, highlight=False)


def literal(text: object, *, multiline: bool = False) -> str:
    """`text` for a console that reads markup: shown as it is, inert (no markup, no control sequence)."""
    plain = inert(str(text), multiline=multiline)
    body = plain.rstrip("\\")
    trailing = len(plain) - len(body)
    if not trailing:
        return escape(body)
    # rich prints N backslashes before a tag as N/2: doubled, and an empty tag pair after them, a
    # trailing backslash prints as one whether a tag follows or not (and never escapes that tag).
    return escape(body) + "\\" * (2 * trailing) + "[dim][/dim]"


def print_error(message: str) -> None:
    """One clear line for a person; no traceback. `message` is shown literally."""
    stderr.print(f"[bold red]error:[/] {literal(message, multiline=True)}", soft_wrap=True)


def print_note(message: str) -> None:
    """A line on stderr that is not an error (how a view was built, what was left out)."""
    stderr.print(f"note: {literal(message, multiline=True)}", soft_wrap=True)


def print_json(data: Any) -> None:
    """JSON for scripts on stdout: indented, ASCII only (every control character escaped)."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=True) + "\n")
    sys.stdout.flush()


def known_user(name: str | None) -> bool:
    """True for no name or a user of this machine; else False, after one error line."""
    if name is None:
        return True
    try:
        pwd.getpwnam(name)
    except KeyError:
        print_error(f"no such user: {name}")
        return False
    return True


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
