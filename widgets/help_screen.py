"""The help screen (`?`): every key (from the one binding list, widgets/keys.py) and what the panes show."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from widgets.keys import BINDINGS, help_rows, key_label

PANES = (
    ("Summary", "the selected chain's state, why its last link ended and what to do (always on top)"),
    ("Chains", "every chain of the viewed user(s): state and stop reason, attempt of the limit, "
     "total run time, time left; grouped by workflow; ! marks a chain that needs you"),
    ("Submission chain", "the selected chain's links: job id, state, elapsed vs limit, exit code, what came "
     "of each (checkpointed → continued as job N, or why the chain stopped), times"),
    ("Steps", "sacct's step table of the selected link, MaxRSS against the memory request"),
    ("Diagnosis", "what the selected link meant for its chain, why its job ended, the fix and the evidence"),
    ("Log", "the selected link's output, followed as it grows"),
)  # fmt: skip
_REINIT_KEY = next(key_label(b) for b in BINDINGS if b.action == "reinit")
NOTES = (
    f"On a workflow's heading, {_REINIT_KEY} reinitializes its failed, stopped and cancelled jobs and everything after "
    "them (it shows the plan first).\nChains of other users are read-only: their action keys are disabled.\n"
    "Below 120 columns the panes are tabs: tab and shift+tab (or a click on the tab bar) go from one to the next."
)


class HelpScreen(ModalScreen[None]):
    """Keys and panes; any of escape, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close"),
    ]

    def __init__(self) -> None:
        super().__init__(classes="dialog")
        self.keys = tuple(help_rows())

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog-box help-box"):
            yield Static("longrun-tui: keys and panes", classes="dialog-question", markup=False)
            yield Static(_grid(self.keys))
            yield Static(_grid(PANES), classes="help-panes")
            yield Static(NOTES, markup=False)

    def action_close(self) -> None:
        self.dismiss(None)


def _grid(rows: Sequence[tuple[str, str]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style=Style(bold=True), no_wrap=True)
    table.add_column()
    for name, description in rows:
        table.add_row(Text(name), Text(description))
    return table
