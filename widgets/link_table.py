"""The Submission chain pane: one row per link of the selected chain, newest last."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rich.style import Style
from rich.text import Text
from textual.widgets import DataTable

from app.model.states import JobState
from app.views import LinkView
from widgets.styling import compact_duration, duration_text, plain, short_time, state_text, tone_style

# Why a link ended and what was decided come before the times: they are what a narrow pane must show.
COLUMNS = ("#", "JobID", "State", "Elapsed / limit", "Exit", "Ending", "Decision", "Submit", "Start", "End")


class LinkTable(DataTable[Text]):
    """Links of one chain; the cursor follows the newest link unless the person moved it."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row")
        self._links: tuple[LinkView, ...] = ()
        self._chain_id: str | None = None
        self._pinned = False  # True once the person picked a link other than the newest

    def on_mount(self) -> None:
        for label in COLUMNS:
            self.add_column(label, key=label)

    def selected_link(self) -> LinkView | None:
        if not self._links or not 0 <= self.cursor_row < len(self._links):
            return None
        return self._links[self.cursor_row]

    def pin_to_cursor(self) -> None:
        """Remember that the person chose this row (a refresh will not jump to the newest link)."""
        self._pinned = self.cursor_row != len(self._links) - 1

    def show_links(self, chain_id: str | None, links: Sequence[LinkView], today: date | None) -> None:
        links = tuple(links)
        if chain_id == self._chain_id and links == self._links:
            return
        same_chain = chain_id == self._chain_id
        keep = self.cursor_row if same_chain and self._pinned else None
        self._chain_id, self._links = chain_id, links
        self.clear()
        for link in links:
            self.add_row(*self._cells(link, today), key=str(link.attempt))
        if not same_chain:
            self._pinned = False
        if links:
            row = keep if keep is not None and keep < len(links) else len(links) - 1
            self.move_cursor(row=row, animate=False)

    def _cells(self, link: LinkView, today: date | None) -> tuple[Text, ...]:
        return (
            plain(link.attempt),
            plain(link.job_id, empty="—"),
            _state(self, link.state),
            _elapsed_vs_limit(link),
            plain(link.exit_status, empty="—"),
            plain(link.ending, empty=""),
            plain(link.decision, empty=""),
            short_time(link.submit, today),
            short_time(link.start, today),
            short_time(link.end, today),
        )


def _state(table: LinkTable, state: str) -> Text:
    base = state.split()[0] if state else ""
    try:
        return state_text(table.app, JobState(base), state[len(base) :])
    except ValueError:
        return Text(state, style=tone_style(table.app, "muted"))


def _elapsed_vs_limit(link: LinkView) -> Text:
    text = duration_text(link.elapsed)
    if link.time_limit is not None:
        text.append(" / " + compact_duration(link.time_limit), style=Style(dim=True))
    return text
