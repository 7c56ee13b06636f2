"""Small pictures as rich Text: a chain's progress bar with rate and finish, and sparklines of its
links' CPU efficiency and peak memory. No Textual: the CLI prints them, the dashboard puts them in
panes and table cells. Waste (under WASTE_BELOW percent) is drawn in the warning colour."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.style import Style
from rich.text import Text

from app.model.economics import WASTE_BELOW, ChainEconomics, local_time
from app.model.progress import Estimate
from app.model.units import MemorySize

BLOCKS = " ▏▎▍▌▋▊▉█"
SPARKS = "▁▂▃▄▅▆▇█"
DONE_STYLE = Style(color="green")
LEFT_STYLE = Style(color="bright_black")
WASTE_STYLE = Style(color="yellow")
DIM = Style(dim=True)


def progress_bar(percent: float | None, width: int) -> Text:
    """`█████▍    ` filled to `percent` (eighths of a cell); a dim dotted bar when unknown."""
    width = max(1, width)
    if percent is None:
        return Text("·" * width, style=LEFT_STYLE)
    eighths = round(max(0.0, min(100.0, percent)) / 100 * width * 8)
    full, part = divmod(eighths, 8)
    filled = "█" * full + (BLOCKS[part] if part and full < width else "")
    text = Text(filled, style=DONE_STYLE)
    text.append("░" * (width - len(filled)), style=LEFT_STYLE)
    return text


def rate_text(rate: float | None) -> str:
    if rate is None:
        return "-"
    return f"{rate:.3g}/h" if rate < 100 else f"{rate:,.0f}/h"


def finish_text(eta: datetime | None, now: datetime) -> str:
    """`14:02`, `Dec 03 14:02` when not today; `-` when unknown."""
    if eta is None:
        return "-"
    eta, now = local_time(eta), local_time(now)
    return eta.strftime("%H:%M" if eta.date() == now.date() else "%b %d %H:%M")


def progress_line(estimate: Estimate, now: datetime, bar_width: int = 20) -> Text:
    """`████▌      45.0 %  3/10  12/h  finish 14:02 (+2 links)`."""
    percent = estimate.percent
    line = progress_bar(percent, bar_width)
    line.append(f" {percent:5.1f} %" if percent is not None else "   ? %")
    line.append(f"  {estimate.progress}", style=DIM)
    line.append(f"  {rate_text(estimate.rate_per_hour)}")
    if estimate.eta is not None:
        line.append(f"  {'finished' if estimate.final else 'finish'} {finish_text(estimate.eta, now)}")
        if estimate.links_to_start:
            line.append(f" (+{estimate.links_to_start} link{'s' if estimate.links_to_start > 1 else ''})", style=DIM)
    return line


def progress_cell(estimate: Estimate | None, now: datetime, bar_width: int = 8, finish: bool = True) -> Text:
    """The chain list's cell: `████▌    45% 14:02`; without a bar (bar_width 0) `45% 14:02`, and
    without the finish time `45%`, for a narrow pane; empty without progress."""
    if estimate is None:
        return Text("")
    percent = estimate.percent
    cell = progress_bar(percent, bar_width) if bar_width else Text()
    cell.append(f" {percent:3.0f}%" if percent is not None else f" {estimate.progress}")
    if finish and estimate.eta is not None:
        cell.append(f" {finish_text(estimate.eta, now)}", style=DIM)
    return cell if bar_width else cell[1:]


def sparkline(values: Sequence[float | None], high: float | None = None, low_is_waste: bool = False) -> Text:
    """One character per value, its height relative to `high` (the largest value by default); `·` for
    a value not known. With low_is_waste, values under WASTE_BELOW are drawn in the warning colour."""
    known = [v for v in values if v is not None]
    top = high if high else (max(known) if known else 0.0)
    text = Text()
    for value in values:
        if value is None:
            text.append("·", style=DIM)
            continue
        level = 0 if top <= 0 else min(len(SPARKS) - 1, int(max(0.0, value) / top * (len(SPARKS) - 1) + 0.5))
        waste = low_is_waste and value < WASTE_BELOW
        text.append(SPARKS[level], style=WASTE_STYLE if waste else DONE_STYLE)
    return text


def efficiency_lines(economics: ChainEconomics, width: int = 40) -> list[Text]:
    """Two lines: CPU efficiency and peak memory per link (newest on the right), with the chain's
    figure; `width` bounds the sparkline (the newest links are kept)."""
    links = economics.links[-max(1, width - 24) :]
    cpu = [e.cpu_efficiency for e in links]
    peaks = [e.peak_per_node for e in links]
    request = next((e.request_per_node for e in reversed(links) if e.request_per_node), None)
    cpu_line = Text("CPU eff   ", style=DIM)
    cpu_line.append_text(sparkline(cpu, high=100.0, low_is_waste=True))
    chain_cpu = economics.cpu_efficiency
    cpu_line.append(f" {chain_cpu:g} %" if chain_cpu is not None else " -",
                    style=WASTE_STYLE if chain_cpu is not None and chain_cpu < WASTE_BELOW else Style())  # fmt: skip
    mem_line = Text("Peak mem  ", style=DIM)
    high = float(request.bytes) if request else None
    mem_line.append_text(sparkline([float(p.bytes) if p else None for p in peaks], high=high))
    known = [p for p in peaks if p is not None]
    top: MemorySize | None = max(known) if known else None
    mem = economics.mem_efficiency
    figure = f" {top}" + (f" of {request}" if request else "") if top else " -"
    mem_line.append(figure, style=WASTE_STYLE if mem is not None and mem < WASTE_BELOW else Style())
    return [cpu_line, mem_line]
