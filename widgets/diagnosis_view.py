"""The Diagnosis pane: what the selected link meant for its chain, why the job ended, and the fix.

The order is what a person needs first: the chain's side (continued as job N, or stopped and
why), then the diagnosis title and its Fix line, then the explanation and the evidence, so the
fix is on screen without scrolling. A link that continued the chain needs no fix: the job-level
suggestion (written for a lone job) is left out for it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from app.views import ChainView, DiagnosisResult, LinkView
from widgets.styling import CALM, chain_state_text, tone_style
from widgets.text import literal
from widgets.words import decision_words, is_live

VIM_SCROLL: list[BindingType] = [
    Binding("j", "scroll_down", "Down", show=False),
    Binding("k", "scroll_up", "Up", show=False),
]


@dataclass(frozen=True)
class LinkContext:
    """The chain a selected link belongs to, for the chain's side of the diagnosis."""

    chain: ChainView
    link: LinkView


def chain_side(context: LinkContext) -> tuple[str, str]:
    """(tone, sentence): what the link's ending meant for the chain, from the read model."""
    chain, link = context.chain, context.link
    where = f"Link {link.attempt} of chain {chain.name}"
    if link.continued_because is not None:
        after = f"the chain continued as job {link.next_job_id}" if link.next_job_id else "the chain continues"
        return CALM, f"{where}: {link.continued_because} → {after}. Nothing to fix: this is how a chain goes on."
    if is_live(link):
        return "muted", f"{where}: its job is {link.state.split(' ')[0].lower()}; the chain decides when it ends."
    if link.decision:
        words = decision_words(link.decision)
        last = bool(chain.links) and link.attempt == chain.links[-1].attempt
        if link.decision.startswith("needs_person") and last:
            if not chain.needs_attention:  # a person ended it here (stop, cancel)
                return "muted", f"{where}: {link.decision.partition(': ')[2]}."
            return "error", f"{where} stopped the chain: {words}."
        return ("success" if link.decision.startswith("finished") else "muted"), f"{where}: {words}."
    return "muted", f"{where}: {link.ending or link.state}."


class DiagnosisView(VerticalScroll):
    """Chain side, title, fix, explanation and evidence, as plain text (never markup)."""

    BINDINGS: ClassVar[list[BindingType]] = VIM_SCROLL

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._body = Static("", markup=False, id="diagnosis-body")
        self._shown: object = ""

    def compose(self) -> ComposeResult:
        yield self._body

    @property
    def current(self) -> DiagnosisResult | None:
        """The diagnosis on screen, if any."""
        shown = self._shown
        return shown[0] if isinstance(shown, tuple) and isinstance(shown[0], DiagnosisResult) else None

    def show(
        self, diagnosis: DiagnosisResult | None, waiting_for: str | None = None, context: LinkContext | None = None
    ) -> None:
        """Show `diagnosis` (with its chain's side when `context`); without one, say which job's data
        is on its way (or that none is selected)."""
        # the message names no job id, so that moving over many chains does not redraw it each time
        key = (diagnosis, bool(waiting_for), context, self.app.theme)
        if key == self._shown:
            return
        self._shown = key
        parts: list[RenderableType] = []
        if context is not None:
            tone, sentence = chain_side(context)
            parts.append(literal(sentence, tone_style(self.app, tone, bold=tone == "error")))
        if diagnosis is None:
            message = "waiting for this job's accounting…" if waiting_for else "no job selected"
            parts.append(Text(("\n" if parts else "") + message, style=Style(dim=True)))
        else:
            continued = context is not None and context.link.continued_because is not None
            parts.extend(self._describe(diagnosis, with_fix=not continued, spaced=bool(parts)))
        self._body.update(Group(*parts))

    def show_workflow(self, name: str, chains: Sequence[ChainView]) -> None:
        """A workflow's heading is selected: where each of its jobs stands, and what `i` does."""
        key = ("workflow", name, tuple(chains), self.app.theme)
        if key == self._shown:
            return
        self._shown = key
        counts = Counter(c.state.value.lower() for c in chains)
        head = Text()
        head.append_text(literal(f"Workflow {name}", tone_style(self.app, "accent", bold=True)))
        head.append(f"  ({len(chains)} jobs: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) + ")")
        jobs = Table.grid(padding=(0, 1))
        jobs.add_column()
        jobs.add_column(ratio=1)
        for chain in chains:
            jobs.add_row(literal(chain.name), chain_state_text(self.app, chain.state, chain.reason))
        hint = Text("\ni: reinitialize its failed, stopped and cancelled jobs and everything after them",
                    style=Style(dim=True))  # fmt: skip
        self._body.update(Group(head, jobs, hint))

    def _describe(self, diagnosis: DiagnosisResult, with_fix: bool, spaced: bool) -> list[RenderableType]:
        head = Text("\n" if spaced else "")
        head.append_text(literal(diagnosis.title, tone_style(self.app, "accent", bold=True)))
        head.append_text(literal(f"  (job {diagnosis.job_id})", Style(dim=True)))
        parts: list[RenderableType] = [head]
        if with_fix and diagnosis.suggestion:
            fix = Text("Fix: ", style=tone_style(self.app, "success", bold=True))
            fix.append_text(literal(diagnosis.suggestion.strip(), multiline=True))
            parts.append(fix)
        parts.append(literal(diagnosis.explanation.strip(), multiline=True))
        if diagnosis.evidence:
            parts.append(Text("\nEvidence", style=Style(bold=True)))
            bullets = Table.grid(padding=(0, 1))
            bullets.add_column(width=2, justify="right")
            bullets.add_column(ratio=1)
            for line in diagnosis.evidence:
                bullets.add_row("•", literal(line))
            parts.append(bullets)
        return parts
