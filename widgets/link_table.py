"""The Submission chain pane: one row per link of the selected chain, newest last.

A link that continued the chain is shown as what it is, in a calm colour: its State cell says
`checkpointed` or `time limit` (not Slurm's red FAILED for exit 75) and its Outcome cell
`checkpointed (exit 75) → continued as job 125`. The last link of a chain a person ended (stop,
cancel) is muted too: it is not a failure to look into.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from app.model.states import JobState
from app.views import LinkView
from widgets.styling import CALM, compact_duration, duration_text, plain, short_time, state_text, tone_style
from widgets.text import literal
from widgets.words import continued_short, outcome_words

# Why a link ended and what came of it come before the times: they are what a narrow pane must show.
COLUMNS = ("#", "JobID", "State", "Outcome", "Exit", "Elapsed / limit", "Submit", "Start", "End")
STATE_WIDTH = 16
OUTCOME_WIDTH = 60
VIM_KEYS: list[BindingType] = [
    Binding("j", "cursor_down", "Down", show=False),
    Binding("k", "cursor_up", "Up", show=False),
]


class LinkTable(DataTable[Text]):
    """Links of one chain; the cursor follows the newest link unless the person moved it."""

    BINDINGS: ClassVar[list[BindingType]] = VIM_KEYS

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row")
        self._links: tuple[LinkView, ...] = ()
        self._chain_id: str | None = None
        self._today: date | None = None
        self._by_person = False  # a person ended the chain at its last link (stop, cancel)
        self._pinned = False  # True once the person picked a link other than the newest

    def on_mount(self) -> None:
        for label in COLUMNS:
            self.add_column(label, key=label)
        self.watch(self.app, "theme", self._theme_changed, init=False)

    def _theme_changed(self) -> None:
        """Cells carry theme colours: draw them again."""
        links, self._links = self._links, ()
        self.show_links(self._chain_id, links, self._today, self._by_person)

    def selected_link(self) -> LinkView | None:
        if not self._links or not 0 <= self.cursor_row < len(self._links):
            return None
        return self._links[self.cursor_row]

    def pin_to_cursor(self) -> None:
        """Remember that the person chose this row (a refresh will not jump to the newest link)."""
        self._pinned = self.cursor_row != len(self._links) - 1

    def show_links(
        self, chain_id: str | None, links: Sequence[LinkView], today: date | None, by_person: bool = False
    ) -> None:
        """`by_person`: a person ended the chain at its last link (it is shown muted, not as a failure)."""
        links = tuple(links)
        if chain_id == self._chain_id and links == self._links and (today, by_person) == (self._today, self._by_person):
            return
        self._today, self._by_person = today, by_person
        same_chain = chain_id == self._chain_id
        keep = self.cursor_row if same_chain and self._pinned else None
        self._chain_id, self._links = chain_id, links
        self.clear()
        for index, link in enumerate(links):
            last_by_person = by_person and index == len(links) - 1
            self.add_row(*self._cells(link, today, last_by_person), key=str(link.attempt))
        if not same_chain:
            self._pinned = False
        if links:
            row = keep if keep is not None and keep < len(links) else len(links) - 1
            self.move_cursor(row=row, animate=False)

    def _cells(self, link: LinkView, today: date | None, by_person: bool) -> tuple[Text, ...]:
        continued = link.continued_because is not None
        outcome = literal(outcome_words(link, by_person), tone_style(self.app, CALM) if continued else "",
                          width=OUTCOME_WIDTH)  # fmt: skip
        return (
            plain(link.attempt),
            plain(link.job_id, empty="—"),
            self._state(link, by_person),
            outcome,
            plain(link.exit_status, empty="—"),
            _elapsed_vs_limit(link),
            short_time(link.submit, today),
            short_time(link.start, today),
            short_time(link.end, today),
        )

    def _state(self, link: LinkView, by_person: bool) -> Text:
        short = continued_short(link)
        if short is not None:  # a healthy chain's link: not a failure, whatever Slurm called it
            return literal(short, tone_style(self.app, CALM), width=STATE_WIDTH)
        if by_person:
            return literal(link.state, tone_style(self.app, "muted"), width=STATE_WIDTH)
        base = link.state.split()[0] if link.state else ""
        try:
            return state_text(self.app, JobState(base), link.state[len(base) :])
        except ValueError:
            return literal(link.state, tone_style(self.app, "muted"), width=STATE_WIDTH)


def _elapsed_vs_limit(link: LinkView) -> Text:
    text = duration_text(link.elapsed)
    if link.time_limit is not None:
        text.append(" / " + compact_duration(link.time_limit), style=Style(dim=True))
    return text
