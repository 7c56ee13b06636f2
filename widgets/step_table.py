"""The Steps pane: sacct's step table of the selected link, with MaxRSS against the memory request;
its subtitle holds the job's CPU and memory efficiency, in the warning colour when under 50 % (waste:
the Economics pane has the fix)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import App
from textual.binding import BindingType
from textual.widgets import DataTable

from app.model.economics import WASTE_BELOW
from app.model.states import JobState
from app.model.usage import JobUsage
from app.views import FocusView, LinkView, StepView
from widgets.link_table import VIM_KEYS
from widgets.styling import CALM, duration_text, plain, state_text, tone_style
from widgets.text import literal
from widgets.words import continued_words

# Memory right after the state: it explains OOM, and a pane 40 columns wide still shows it.
# Fixed widths: auto-sized columns depend on whether rows arrive before or after the first layout,
# so the same data could be drawn two ways. State 15 holds `CANCELLED by 0` (the OOM-killed step).
COLUMNS = {"Step": 11, "State": 15, "MaxRSS": 8, "% of req": 8, "ReqMem": 7, "Exit": 6, "Elapsed": 9, "Name": 14}
NEAR_LIMIT_PERCENT = 90


class StepTable(DataTable[Text]):
    """The job row and its steps; MaxRSS at 90 % of the request or more is highlighted."""

    BINDINGS: ClassVar[list[BindingType]] = VIM_KEYS

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row")
        self._shown: tuple[object, ...] | None = None  # what is drawn; None and no rows: empty
        self._continued: str | None = None

    def on_mount(self) -> None:
        for label, width in COLUMNS.items():
            self.add_column(label, key=label, width=width)

    def show_job(self, job: FocusView | None, continued: str | None = None) -> None:
        """`continued`: the link continued its chain (widgets.words.continued_short, `checkpointed`):
        the warning signal's marks on its job and batch step are no failure, so they are not alarm red."""
        shown = (
            (job.job_id, job.requested_memory, job.rows, continued) if job else None
        )  # a new diagnosis alone: no redraw
        if shown == self._shown and (job is None or self.row_count):
            return
        self._shown = shown
        self._continued = continued
        self.clear()
        if job is None:
            return
        for row in job.rows:
            self.add_row(*self._cells(row, job), key=row.step_id)

    def _cells(self, row: StepView, job: FocusView) -> tuple[Text, ...]:
        by = f" by {row.cancelled_by_uid}" if row.cancelled_by_uid is not None else ""
        return (
            plain(row.step_id, width=COLUMNS["Step"]),
            self._state(row, by),
            plain(row.max_rss, empty="—"),
            self._percent(row.max_rss_percent),
            plain(job.requested_memory if row.is_job else None, empty="—" if row.is_job else ""),
            plain(row.exit_status),
            duration_text(row.elapsed),
            plain(row.name, width=COLUMNS["Name"]),
        )

    def _state(self, row: StepView, by: str) -> Text:
        if self._continued is None or not row.state.is_terminal or row.state is JobState.OUT_OF_MEMORY:
            return state_text(self.app, row.state, by)  # a step killed at the memory limit stays a failure
        if row.is_job:
            return literal(self._continued, tone_style(self.app, CALM), width=COLUMNS["State"])
        return literal(row.state.value + by, tone_style(self.app, CALM), width=COLUMNS["State"])

    def _percent(self, percent: int | None) -> Text:
        if percent is None:
            return Text("")
        if percent >= 100:
            return Text(f"{percent} %", style=tone_style(self.app, "error", bold=True))
        if percent >= NEAR_LIMIT_PERCENT:
            return Text(f"{percent} %", style=tone_style(self.app, "warning", bold=True))
        return Text(f"{percent} %")


def usage_text(usage: JobUsage | None, app: App[object]) -> Text:
    """`CPU 12 % · memory 34 % of 1G per node · 2 GPUs 80 %`; a share under 50 % in the warning colour."""
    text = Text()
    if usage is None:
        return text

    def share(label: str, percent: float | None, after: str = "") -> None:
        if percent is None:
            return
        if text:
            text.append(" · ")
        waste = percent < WASTE_BELOW
        text.append(f"{label} {percent:g} %", style=tone_style(app, "warning", bold=True) if waste else "")
        text.append(after)

    per_node = usage.request.per_node
    share("CPU", usage.cpu_efficiency)
    share("memory", usage.mem_efficiency, f" of {per_node} per node" if per_node else "")
    if usage.gpus:
        share(f"{usage.gpus} GPU{'s' if usage.gpus > 1 else ''}", usage.gpu_utilization)
    return text


def continued_text(link: LinkView | None, app: App[object]) -> Text:
    """`checkpointed (exit 75) → continued as job 125 · ` in the calm colour, for the Steps pane's
    subtitle, as the chain pane words it; empty for a link that did not continue."""
    words = continued_words(link) if link is not None else None
    if words is None:
        return Text()
    return Text.assemble(literal(words, tone_style(app, CALM)), " · ")
