"""The Diagnosis pane: why the selected link ended, the evidence, and what to change."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from widgets.diagnosis_source import DiagnosisResult
from widgets.styling import tone_style


class DiagnosisView(VerticalScroll):
    """Title, explanation, evidence and the suggested fix, as plain text (never markup)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._body = Static("", markup=False, id="diagnosis-body")
        self._shown: DiagnosisResult | str | None = ""

    def compose(self) -> ComposeResult:
        yield self._body

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

    def _describe(self, diagnosis: DiagnosisResult) -> Text:
        text = Text()
        text.append(diagnosis.title, style=tone_style(self.app, "accent", bold=True))
        text.append(f"  (job {diagnosis.job_id})\n", style=Style(dim=True))
        text.append(diagnosis.explanation.strip() + "\n")
        if diagnosis.evidence:
            text.append("\nEvidence\n", style=Style(bold=True))
            for line in diagnosis.evidence:
                text.append(f" • {line}\n")
        if diagnosis.suggestion:
            text.append("\nFix: ", style=tone_style(self.app, "success", bold=True))
            text.append(diagnosis.suggestion.strip())
        return text
