"""The status line: whose data is shown, from which cluster, how old it is, and whether it is stale."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from widgets.styling import tone_style
from widgets.text import literal


@dataclass(frozen=True)
class StatusInfo:
    """Everything the status line shows; the app replaces it as polls succeed or fail."""

    viewed_user: str | None = None  # None: all users
    cluster: str | None = None
    supervisor_alive: bool | None = None  # None: unknown / not applicable
    heartbeat_age: float | None = None
    pid: int | None = None
    updated_at: datetime | None = None  # time of the last good data
    stale_since: datetime | None = None  # first failed poll after the last good one
    problem: str | None = None
    damaged: int = 0  # chains of the registry whose files cannot be read


class StatusLine(Static):
    """One line at the bottom; re-rendered every second so that the data age keeps counting."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self.info = StatusInfo()
        self.now: datetime | None = None

    def update_info(self, info: StatusInfo, now: datetime) -> None:
        self.info = info
        self.tick(now)

    def mark_stale(self, when: datetime, problem: str) -> None:
        since = self.info.stale_since or when
        self.update_info(replace(self.info, stale_since=since, problem=problem), when)

    def tick(self, now: datetime) -> None:
        self.now = now
        self.update(self.render_text())
        self.set_class(self.info.stale_since is not None, "-stale")

    def render_text(self) -> Text:
        info = self.info
        stale = info.stale_since is not None
        text = Text(no_wrap=not stale, overflow="fold" if stale else "ellipsis")  # a problem is shown in full
        text.append("viewing ")
        text.append_text(literal(info.viewed_user or "all users", "bold", width=64))
        if info.cluster:
            text.append_text(literal(f" on {info.cluster}", width=64))
        if info.damaged:  # early in the line: it must not be cut off on a narrow screen
            plural = "s" if info.damaged > 1 else ""
            text.append(" │ ")
            text.append(f"{info.damaged} chain{plural} unreadable", style=tone_style(self.app, "error", bold=True))
            text.append(" (longrun status)")
        if info.supervisor_alive is not None:
            text.append(" │ supervisor ")
            if info.supervisor_alive:
                age = f" ({_age(info.heartbeat_age)})" if info.heartbeat_age is not None else ""
                text.append("alive", style=tone_style(self.app, "success"))
                text.append(age)
            else:
                text.append("not running", style=tone_style(self.app, "error", bold=True))
        text.append(" │ ")
        if info.stale_since is not None:
            text.append(f"stale since {info.stale_since:%H:%M:%S}", style=tone_style(self.app, "error", bold=True))
            if info.problem:
                text.append_text(literal(f": {info.problem}", width=500))
        elif info.updated_at is None:
            text.append("loading…")
        else:
            seconds = (self.now - info.updated_at).total_seconds() if self.now else 0.0
            text.append(f"data {_age(seconds)} old")
        return text


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
