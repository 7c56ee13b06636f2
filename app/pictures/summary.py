"""A chain's economics as lines of rich Text, for `longrun report` and the dashboard alike: the
progress with its finish, when the next link should start, the running link's memory, the chain's
totals, the efficiency sparklines, the timeline, and the waste with its fix."""

from __future__ import annotations

from datetime import datetime

from rich.console import Group, RenderableType
from rich.style import Style
from rich.text import Text

from app.model.economics import ChainEconomics
from app.model.text import inert
from app.model.units import Duration
from app.model.usage import LiveMemory
from app.pictures.bars import efficiency_lines, finish_text, progress_line
from app.pictures.timeline import Timeline
from app.views import ChainView

WARNING = Style(color="yellow")


def seconds_text(value: float | None) -> str:
    """`1:02:03`, or `-` when unknown."""
    return "-" if value is None else Duration(int(value)).compact()


def next_link_line(chain: ChainView, now: datetime) -> Text | None:
    """`next link expected 14:02 (Priority: other jobs come first)` for a pending link."""
    last = chain.links[-1] if chain.links else None
    if last is None or not (last.expected_start or last.waiting_for):
        return None
    expected = f"expected {finish_text(last.expected_start, now)}" if last.expected_start else "waiting"
    return Text(f"next link {expected}" + (f" ({inert(last.waiting_for)})" if last.waiting_for else ""))


def memory_line(memory: LiveMemory) -> Text:
    """`memory now 200M / peak 210M / asked 400M per node`, in the warning colour from 90 %."""
    percent = memory.percent(memory.peak_per_node)
    text = (f"memory now {memory.now_per_node or '?'} / peak {memory.peak_per_node or '?'} / "
            f"asked {memory.requested_per_node or '?'} per node")  # fmt: skip
    return Text(text, style=WARNING if percent is not None and percent >= 90 else Style())


def totals_line(economics: ChainEconomics) -> Text:
    """Links, run and wall time with the shares queued and lost, core- and GPU-hours."""
    e = economics
    text = Text(f"{len(e.links)} link{'s' if len(e.links) != 1 else ''}, ran {seconds_text(e.run_s)}")
    if e.wall_s is not None:
        text.append(f" of {seconds_text(e.wall_s)} since the first submit")
        text.append(f" (queued {e.queued_share or 0:g} %, lost between links {e.lost_share or 0:g} %)")
    if e.core_hours is not None:
        text.append(f"; {e.core_hours:g} core-hours")
    if e.gpu_hours is not None:
        text.append(f", {e.gpu_hours:g} GPU-hours")
    return text


def headline(chain: ChainView, now: datetime, width: int, live_memory: LiveMemory | None = None) -> list[Text]:
    """Progress and finish, the next link's expected start, the running link's memory."""
    lines: list[Text] = []
    if chain.progress is not None:
        lines.append(progress_line(chain.progress, now, bar_width=max(10, min(30, width // 4))))
    upcoming = next_link_line(chain, now)
    if upcoming is not None:
        lines.append(upcoming)
    if live_memory is not None:
        lines.append(memory_line(live_memory))
    return lines


def economics_picture(chain: ChainView, now: datetime, width: int) -> list[RenderableType]:
    """Totals, sparklines, the timeline and the advice (nothing without economics)."""
    if chain.economics is None:
        return []
    parts: list[RenderableType] = [totals_line(chain.economics), *efficiency_lines(chain.economics, min(width, 60))]
    parts += [Text(), Timeline(chain, now)]
    parts += [Text(advice, style=WARNING) for advice in chain.advice]
    return parts


def chain_picture(chain: ChainView, now: datetime, width: int, live_memory: LiveMemory | None = None) -> Group:
    """Everything above, for a pane."""
    return Group(*headline(chain, now, width, live_memory), *economics_picture(chain, now, width))
