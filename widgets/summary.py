"""The chain summary: the selected chain's state, why its last link ended and what to do, always on
screen (above the panes at every terminal size, so a small terminal never hides them)."""

from __future__ import annotations

from datetime import datetime

from rich.style import Style
from rich.text import Text
from textual import events
from textual.widgets import Static

from app.pictures.bars import progress_cell
from app.views import ChainView, DiagnosisResult
from widgets.chain_list import attempt_text
from widgets.styling import chain_state_text, compact_duration, tone_style
from widgets.text import literal
from widgets.words import last_link_words, what_to_do

NAME_WIDTH = 60
MAX_LINES = 7
FIX_WIDTH = 400  # a long suggestion is cut: the Diagnosis pane has it whole


class ChainSummary(Static):
    """Three short lines about the selected chain (or the selected workflow heading).

    Its height is set from its text wrapped to its width (at most MAX_LINES): a Static of auto
    height was seen keeping its first one-line height after its text grew."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self._shown: tuple[object, ...] | None = None
        self._text = Text()

    def on_resize(self, event: events.Resize) -> None:
        self._fit_height()

    def _set(self, text: Text) -> None:
        self._text = text
        self.update(text)
        self._fit_height()

    def _fit_height(self) -> None:
        width = max(1, self.content_size.width)
        lines = len(self._text.wrap(self.app.console, width)) if self._text else 1
        height = max(1, min(MAX_LINES, lines))
        if self.styles.height is None or self.styles.height.value != height:
            self.styles.height = height

    def show(
        self, chain: ChainView | None, diagnosis: DiagnosisResult | None, may_act: bool, now: datetime | None = None
    ) -> None:
        """`diagnosis` is that of the chain's newest link, when known; `now` the time of the data."""
        key = (chain, diagnosis, may_act, self.app.theme, now)
        if key == self._shown:
            return
        self._shown = key
        self._set(self.render_summary(chain, diagnosis, may_act, now))

    def show_workflow(self, name: str, chains: tuple[ChainView, ...]) -> None:
        key = ("workflow", name, chains, self.app.theme)
        if key == self._shown:
            return
        self._shown = key
        done = sum(1 for c in chains if c.state.is_final)
        waiting = [c for c in chains if c.needs_attention]
        text = Text()
        text.append_text(literal(f"workflow {name}", tone_style(self.app, "accent", bold=True), width=NAME_WIDTH))
        text.append(f"  {done}/{len(chains)} jobs finished")
        text.append("\n")
        if waiting:
            text.append(f"{len(waiting)} need a person: ", style=tone_style(self.app, "error", bold=True))
            text.append_text(literal(", ".join(c.name for c in waiting), width=FIX_WIDTH))
        else:
            text.append("no job needs a person", style=Style(dim=True))
        text.append("\n")
        text.append("What to do: ", style=Style(bold=True))
        text.append("i reinitializes its failed, stopped and cancelled jobs" if waiting else "nothing")
        self._set(text)

    def render_summary(
        self, chain: ChainView | None, diagnosis: DiagnosisResult | None, may_act: bool, now: datetime | None = None
    ) -> Text:
        text = Text()
        if chain is None:
            text.append("No chain selected: j/k or ↑/↓ choose one, Enter shows its links.", style=Style(dim=True))
            return text
        if chain.needs_attention:
            text.append("! ", style=tone_style(self.app, "error", bold=True))
        text.append_text(literal(chain.name, Style(bold=True), width=NAME_WIDTH))
        text.append("  ")
        text.append_text(chain_state_text(self.app, chain.state, chain.reason))
        facts = [f"attempt {attempt_text(chain)}", f"run {compact_duration(chain.total_run_time)}"]
        if chain.time_left is not None:
            facts.append(f"left {compact_duration(chain.time_left)}")
        if chain.changes:
            facts.append(f"next links: {chain.changes[-1].describe()}")
        text.append("  " + " · ".join(facts), style=Style(dim=True))
        if chain.progress is not None and now is not None:
            text.append("  ")
            text.append_text(progress_cell(chain.progress, now))
        if chain.read_only:
            text.append_text(literal(f"  (read-only: {chain.owner}'s)", Style(dim=True)))
        text.append("\nLast link: ", style=Style(bold=True))
        text.append_text(literal(last_link_words(chain), width=FIX_WIDTH))
        text.append("\nWhat to do: ", style=Style(bold=True))
        todo = what_to_do(chain, diagnosis, may_act)
        tone = "error" if chain.needs_attention else "success"
        text.append_text(literal(todo, tone_style(self.app, tone) if todo.startswith("Fix") else "", width=FIX_WIDTH))
        return text
