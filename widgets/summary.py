"""The chain summary: the selected chain's state, why its last link ended and what to do, always on
screen (above the panes at every terminal size, so a small terminal never hides them)."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from app.views import ChainView, DiagnosisResult
from widgets.chain_list import attempt_text
from widgets.styling import chain_state_text, compact_duration, tone_style
from widgets.text import literal
from widgets.words import last_link_words, what_to_do

NAME_WIDTH = 60
FIX_WIDTH = 400  # a long suggestion is cut: the Diagnosis pane has it whole


class ChainSummary(Static):
    """Three short lines about the selected chain (or the selected workflow heading)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self._shown: tuple[object, ...] | None = None

    def show(self, chain: ChainView | None, diagnosis: DiagnosisResult | None, may_act: bool) -> None:
        """`diagnosis` is that of the chain's newest link, when known."""
        key = (chain, diagnosis, may_act, self.app.theme)
        if key == self._shown:
            return
        self._shown = key
        self.update(self.render_summary(chain, diagnosis, may_act))

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
        self.update(text)

    def render_summary(self, chain: ChainView | None, diagnosis: DiagnosisResult | None, may_act: bool) -> Text:
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
        if chain.read_only:
            text.append_text(literal(f"  (read-only: {chain.owner}'s)", Style(dim=True)))
        text.append("\nLast link: ", style=Style(bold=True))
        text.append_text(literal(last_link_words(chain), width=FIX_WIDTH))
        text.append("\nWhat to do: ", style=Style(bold=True))
        todo = what_to_do(chain, diagnosis, may_act)
        tone = "error" if chain.needs_attention else "success"
        text.append_text(literal(todo, tone_style(self.app, tone) if todo.startswith("Fix") else "", width=FIX_WIDTH))
        return text
