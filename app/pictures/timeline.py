"""The timeline picture of a chain: each link a bar over wall-clock time. A rich renderable, no Textual.

One row per link, all on one time axis (the first submit to the last end, or to now while the
chain goes on): `·` the gap before the link was submitted (the previous end -> this submit),
`░` queued (a successor queued in advance, in-Slurm continuation, from the previous end: the
economics' queue wait), `█` running, `▓` the checkpoint window (the warning signal -> the end, when the chain
asks for one with --signal), `▒` still running now. Below, the axis with its first and last
moment, and a legend. It fits the width it is given (a terminal, a dashboard pane); with more
links than `max_rows` the newest are drawn and the others counted.

Everything drawn comes from the read model (ChainView/LinkView and their economics) and is only
text; names are not drawn (job ids and attempts are digits).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.style import Style
from rich.text import Text

from app.model.economics import local_time
from app.views import ChainView, LinkView

QUEUED, RUNNING, WINDOW, GAP, NOW = "░", "█", "▓", "·", "▒"
STYLES = {
    QUEUED: Style(color="bright_black"),
    RUNNING: Style(color="green"),
    WINDOW: Style(color="yellow"),
    GAP: Style(color="red"),
    NOW: Style(color="green", dim=True),
}
LEGEND = ((RUNNING, "running"), (WINDOW, "checkpoint window"), (QUEUED, "queued"), (GAP, "between links"))
MIN_BAR = 10


@dataclass(frozen=True)
class Span:
    """One phase of a link on the time axis."""

    kind: str  # one of QUEUED, RUNNING, WINDOW, GAP, NOW
    begin: datetime
    end: datetime


def link_spans(
    link: LinkView, previous_end: datetime | None, signal_at: datetime | None, now: datetime,
    queued_from: datetime | None = None,
) -> list[Span]:  # fmt: skip
    """The phases of one link, in order; a phase that has not ended runs up to `now`. `queued_from`
    is when the chain's economics say it began to wait (a successor queued in advance waits only
    from its predecessor's end); without it, from its submit."""
    spans: list[Span] = []
    waiting, start, end = local_time(queued_from or link.submit), local_time(link.start), local_time(link.end)
    if previous_end is not None and waiting is not None and waiting > previous_end:
        spans.append(Span(GAP, previous_end, waiting))
    if waiting is not None:
        spans.append(Span(QUEUED, waiting, start or end or now))
    if start is not None:
        finish = end or now
        window = local_time(signal_at)
        if window is not None and start <= window < finish:
            spans += [Span(RUNNING, start, window), Span(WINDOW, window, finish)]
        else:
            spans.append(Span(RUNNING if end is not None else NOW, start, finish))
    return [s for s in spans if s.end >= s.begin]


class Timeline:
    """A chain's links as bars over wall-clock time (see the module docstring)."""

    def __init__(self, chain: ChainView, now: datetime, max_rows: int = 20) -> None:
        self.chain = chain
        self.now = local_time(now)
        self.max_rows = max(1, max_rows)

    def rows(self) -> list[tuple[str, list[Span]]]:
        """(label, spans) per submitted link, oldest first."""
        figures = {e.attempt: e for e in self.chain.economics.links} if self.chain.economics else {}
        rows: list[tuple[str, list[Span]]] = []
        previous_end: datetime | None = None
        for link in self.chain.links:
            if link.job_id is None:
                continue
            economics = figures.get(link.attempt)
            signal_at = economics.signal_at if economics else None
            queued_from = economics.queued_from if economics else None
            rows.append(
                (f"#{link.attempt} {link.job_id}", link_spans(link, previous_end, signal_at, self.now, queued_from))
            )
            previous_end = local_time(link.end) or previous_end
        return rows

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(MIN_BAR + 8, options.max_width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self.lines(options.max_width)

    def lines(self, width: int) -> Iterator[Text]:
        rows = self.rows()
        spans = [s for _, row in rows for s in row]
        if not spans:
            yield Text("no link has been submitted yet", style=Style(dim=True))
            return
        first = min(s.begin for s in spans)
        last = max(max(s.end for s in spans), first + timedelta(seconds=1))
        hidden = max(0, len(rows) - self.max_rows)
        shown = rows[hidden:]
        label_width = min(18, max(len(label) for label, _ in shown))
        bar_width = max(MIN_BAR, width - label_width - 1)
        if hidden:
            yield Text(f"… {hidden} earlier link{'s' if hidden > 1 else ''} not drawn", style=Style(dim=True))
        for label, row in shown:
            line = Text(label[:label_width].ljust(label_width) + " ", style=Style(dim=True))
            line.append_text(bar(row, first, last, bar_width))
            yield line
        yield axis(first, last, label_width, bar_width)
        yield legend(width)


def bar(spans: Sequence[Span], first: datetime, last: datetime, width: int) -> Text:
    """The spans drawn on `width` cells spanning first..last: each cell shows the phase that covers
    most of it; a phase too short for any cell still gets the cell it falls in (a 10-second link in
    a week-long chain is not lost)."""
    total = (last - first).total_seconds()
    cells = [" "] * width

    def cell_of(moment: datetime) -> int:
        return min(width - 1, max(0, int((moment - first).total_seconds() / total * width)))

    cover = [0.0] * width
    for span in spans:
        begin = (span.begin - first).total_seconds() / total * width
        end = (span.end - first).total_seconds() / total * width
        for index in range(max(0, int(begin)), min(width, int(end) + 1)):
            share = min(end, index + 1) - max(begin, index)
            if share > cover[index]:
                cover[index], cells[index] = share, span.kind
    for span in spans:  # every phase that lasted is seen
        if span.end > span.begin and span.kind not in cells:
            cells[cell_of(span.begin + (span.end - span.begin) / 2)] = span.kind
    text = Text()
    for kind in cells:
        text.append(kind, style=STYLES.get(kind, Style()))
    return text


def moment_text(moment: datetime, other: datetime) -> str:
    """`14:02`, with the date when the axis spans more than a day."""
    return moment.strftime("%b %d %H:%M" if abs((other - moment).total_seconds()) >= 86400 else "%H:%M")


def axis(first: datetime, last: datetime, label_width: int, bar_width: int) -> Text:
    left, right = moment_text(first, last), moment_text(last, first)
    span = last - first
    middle = f" {_length(span)} "
    room = bar_width - len(left) - len(right)
    inner = middle.center(room, "─") if room >= len(middle) + 2 else "─" * max(1, room)
    return Text(" " * (label_width + 1) + left + inner + right, style=Style(dim=True))


def _length(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds >= 86400:
        return f"{seconds / 86400:.1f} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{max(1, round(seconds / 60))} min"


def legend(width: int) -> Text:
    text = Text()
    for symbol, words in LEGEND:
        part = f"{symbol} {words}"
        if text.cell_len + len(part) + 2 > width:
            break
        if text.cell_len:
            text.append("  ")
        text.append(symbol, style=STYLES[symbol])
        text.append(f" {words}", style=Style(dim=True))
    return text
