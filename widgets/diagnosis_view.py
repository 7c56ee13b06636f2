"""The Diagnosis pane: why the selected link ended, the evidence, and what to change."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from app.views import ChainView, DiagnosisResult
from widgets.styling import chain_state_text, tone_style


class DiagnosisView(VerticalScroll):
    """Title, explanation, evidence and the suggested fix, as plain text (never markup)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._body = Static("", markup=False, id="diagnosis-body")
        self._shown: DiagnosisResult | str | None = ""

    def compose(self) -> ComposeResult:
        yield self._body

    @property
    def current(self) -> DiagnosisResult | None:
        """The diagnosis on screen, if any."""
        return self._shown if isinstance(self._shown, DiagnosisResult) else None

    def show(self, diagnosis: DiagnosisResult | None, waiting_for: str | None = None) -> None:
        """Show `diagnosis`; without one, say which job's data is on its way (or that none is selected)."""
        # the message names no job id, so that moving over many chains does not redraw it each time
        key: DiagnosisResult | str | None = diagnosis if diagnosis is not None else ("wait" if waiting_for else "")
        if key == self._shown:
            return
        self._shown = key
        if diagnosis is None:
            message = "waiting for this job's accounting…" if waiting_for else "no job selected"
            self._body.update(Text(message, style=Style(dim=True)))
            return
        self._body.update(self._describe(diagnosis))

    def show_workflow(self, name: str, chains: Sequence[ChainView]) -> None:
        """A workflow's heading is selected: where each of its jobs stands, and what `i` does."""
        key = f"workflow:{name}:" + "|".join(f"{c.chain_id}={c.state.value}:{c.reason}" for c in chains)
        if key == self._shown:
            return
        self._shown = key
        counts = Counter(c.state.value.lower() for c in chains)
        head = Text()
        head.append(f"Workflow {name}", style=tone_style(self.app, "accent", bold=True))
        head.append(f"  ({len(chains)} jobs: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) + ")")
        jobs = Table.grid(padding=(0, 1))
        jobs.add_column()
        jobs.add_column(ratio=1)
        for chain in chains:
            jobs.add_row(Text(chain.name), chain_state_text(self.app, chain.state, chain.reason))
        hint = Text("\ni: reinitialize its failed, stopped and cancelled jobs and everything after them",
                    style=Style(dim=True))  # fmt: skip
        self._body.update(Group(head, jobs, hint))

    def _describe(self, diagnosis: DiagnosisResult) -> Group:
        head = Text()
        head.append(diagnosis.title, style=tone_style(self.app, "accent", bold=True))
        head.append(f"  (job {diagnosis.job_id})\n", style=Style(dim=True))
        head.append(diagnosis.explanation.strip())
        parts: list[RenderableType] = [head]
        if diagnosis.evidence:
            parts.append(Text("\nEvidence", style=Style(bold=True)))
            bullets = Table.grid(padding=(0, 1))
            bullets.add_column(width=2, justify="right")
            bullets.add_column(ratio=1)
            for line in diagnosis.evidence:
                bullets.add_row("•", Text(line))
            parts.append(bullets)
        if diagnosis.suggestion:
            fix = Text("\nFix: ", style=tone_style(self.app, "success", bold=True))
            fix.append(diagnosis.suggestion.strip(), style=Style())
            parts.append(fix)
        return Group(*parts)
