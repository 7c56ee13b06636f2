"""Rich consoles for the command line: normal output on stdout, errors on stderr."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

stdout = Console(highlight=False)
stderr = Console(stderr=True, highlight=False)


def print_error(message: str) -> None:
    """One clear line for a person; no traceback."""
    stderr.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
