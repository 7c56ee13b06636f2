"""How states and numbers look in the dashboard: theme-aware text, readable on dark and light themes.

Colours come from the running theme's `text-*` variables (tuned by Textual for contrast with the
background), never from fixed colour names that vanish on a light theme.
"""

from __future__ import annotations

from datetime import date, datetime

from rich.style import Style
from rich.text import Text
from textual.app import App

from app.model.chain import ChainState
from app.model.states import JobState
from app.model.units import Duration
from widgets.text import literal

_TONE_OF_STATE = {
    JobState.RUNNING: "success",
    JobState.COMPLETED: "success",
    JobState.PENDING: "muted",
    JobState.REQUEUED: "warning",
    JobState.COMPLETING: "warning",
    JobState.TIMEOUT: "warning",
    JobState.PREEMPTED: "warning",
    JobState.SUSPENDED: "warning",
    JobState.FAILED: "error",
    JobState.OUT_OF_MEMORY: "error",
    JobState.NODE_FAIL: "error",
    JobState.BOOT_FAIL: "error",
    JobState.CANCELLED: "warning",
    JobState.DEADLINE: "error",
}


CALM = "primary"  # a link that continued its chain: healthy, not a failure (the theme's blue, not red or orange)


def tone_style(app: App[object], tone: str, bold: bool = False) -> Style:
    """A rich Style for `success`, `warning`, `error`, `accent`, `primary` or `muted` in the current theme."""
    variables = app.theme_variables
    if tone == "muted":
        return Style(dim=True, bold=bold)
    color = variables.get(f"text-{tone}") or variables.get(tone)
    return Style(color=color, bold=bold) if color else Style(bold=bold)


def state_text(app: App[object], state: JobState, suffix: str = "") -> Text:
    """A job state, coloured by what it means (plain text is kept as is: names may hold `[`)."""
    tone = _TONE_OF_STATE.get(state)
    style = tone_style(app, tone, bold=tone == "error") if tone else Style()
    return literal(state.value + suffix, style)


def plain(value: object | None, empty: str = "", width: int | None = None) -> Text:
    """A cell that is never read as markup, sanitised (widgets.text.literal)."""
    return literal(value, empty=empty, width=width)


def short_time(moment: datetime | None, today: date | None) -> Text:
    """`14:03:12` for today, `11-20 14:03` for another day, `—` when unknown."""
    if moment is None:
        return Text("—", style=Style(dim=True))
    if today is not None and moment.date() == today:
        return Text(f"{moment:%H:%M:%S}")
    return Text(f"{moment:%m-%d %H:%M}")


def compact_duration(value: Duration) -> str:
    """`0:42`, `12:05`, `1:02:03`, `2-03:04:05`: Slurm's form without leading zero fields."""
    return value.compact()


def duration_text(value: Duration | None, empty: str = "—") -> Text:
    """A duration in compact form; `—` when unknown."""
    if value is None:
        return Text(empty, style=Style(dim=True))
    return Text(compact_duration(value))


_TONE_OF_CHAIN = {
    ChainState.RUNNING: "success",
    ChainState.CONTINUING: "primary",
    ChainState.WAITING: "muted",
    ChainState.DONE: "success",
    ChainState.STOPPED: "error",
}


def chain_state_text(app: App[object], state: ChainState, reason: str | None) -> Text:
    """`STOPPED: out of memory`; the state coloured, the reason plain."""
    tone = _TONE_OF_CHAIN.get(state)
    text = Text(state.value, style=tone_style(app, tone, bold=state is ChainState.STOPPED) if tone else Style())
    if reason:
        text.append_text(literal(f": {reason}"))
    return text
