"""The pictures (app/pictures): the timeline's bars over wall-clock time, progress bars, sparklines.
They must fit any width they are given, keep every phase that happened visible, and be plain text
(no markup is read from anything)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from rich.console import Console

from app.model.chain import ChainState
from app.model.economics import LinkFacts, chain_economics
from app.model.progress import Estimate, Progress
from app.model.units import Duration
from app.pictures.bars import efficiency_lines, progress_bar, progress_cell, progress_line, sparkline
from app.pictures.timeline import GAP, NOW, QUEUED, RUNNING, WINDOW, Timeline, bar, link_spans
from app.views import ChainView, LinkView

T0 = datetime(2026, 12, 1, 10, 0, 0)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def link_view(attempt: int, submit: float, start: float | None, end: float | None) -> LinkView:
    elapsed = Duration(int(end - start)) if start is not None and end is not None else None
    return LinkView(attempt, str(100 + attempt), "TIMEOUT" if end else "RUNNING", at(submit),
                    at(start) if start is not None else None, at(end) if end is not None else None, elapsed,
                    Duration(600), None, "TIMEOUT" if end else None, "continue: time limit" if end else None,
                    None)  # fmt: skip


def chain(links: list[LinkView], warning: int | None = 120, state: ChainState = ChainState.RUNNING) -> ChainView:
    facts = [
        LinkFacts(lk.attempt, lk.job_id, lk.submit, lk.start, lk.end, lk.elapsed.seconds if lk.elapsed else None,
                  600, lk.end is not None, continued=lk.end is not None)
        for lk in links
    ]  # fmt: skip
    economics = chain_economics(facts, at(10_000), finished=state.is_final, warning_s=warning)
    return ChainView("c1", "train", "alice", state, None, len(links), None, Duration(0), None, None, tuple(links),
                     False, economics=economics)  # fmt: skip


def lines(renderable: object, width: int) -> list[str]:
    console = Console(file=io.StringIO(), width=width, color_system=None, record=True)
    console.print(renderable)
    return console.export_text().splitlines()


def test_spans_of_a_link() -> None:
    spans = link_spans(link_view(2, 700, 760, 1360), at(650), at(1240), at(2000))
    assert [(s.kind, s.begin, s.end) for s in spans] == [
        (GAP, at(650), at(700)), (QUEUED, at(700), at(760)), (RUNNING, at(760), at(1240)), (WINDOW, at(1240), at(1360)),
    ]  # fmt: skip
    running = link_spans(link_view(3, 1400, 1410, None), None, None, at(1500))
    assert [(s.kind, s.end) for s in running] == [(QUEUED, at(1410)), (NOW, at(1500))]


def test_a_chain_of_three_links_on_one_axis() -> None:
    links = [link_view(1, 0, 30, 630), link_view(2, 640, 700, 1300), link_view(3, 1310, 1320, None)]
    drawn = lines(Timeline(chain(links), now=at(1500)), 80)
    assert len(drawn) == 5  # three links, the axis, the legend
    assert all(len(line) <= 80 for line in drawn)
    first, second, third = drawn[:3]
    assert first.startswith("#1 101") and second.startswith("#2 102") and third.startswith("#3 103")
    assert RUNNING in first and WINDOW in first and GAP in second and NOW in third
    assert first.rstrip().endswith(WINDOW), "the first link ends with its checkpoint window"
    assert first.index(RUNNING) < second.index(RUNNING) < third.index(NOW), "later links start further right"
    assert "10:00" in drawn[3] and "10:25" in drawn[3] and "25 min" in drawn[3]
    assert drawn[4].startswith(f"{RUNNING} running")


def test_a_successor_queued_in_advance_is_drawn_waiting_from_its_predecessors_end() -> None:
    # In-Slurm continuation queues link 2 (held by --dependency=afterany) when link 1 is submitted:
    # it waits for resources only once link 1 ended, as the economics pane counts its queue wait.
    links = [link_view(1, 0, 30, 630), link_view(2, 1, 640, 1240)]
    view = chain(links)
    assert view.economics is not None and view.economics.links[1].queue_wait_s == 10
    rows = dict(Timeline(view, now=at(1500)).rows())
    assert [(s.kind, s.begin, s.end) for s in rows["#2 102"]][:2] == [
        (QUEUED, at(630), at(640)),
        (RUNNING, at(640), at(1120)),
    ]
    drawn = lines(Timeline(view, now=at(1500)), 100)
    first, second = drawn[:2]
    assert QUEUED not in second[: first.rindex(WINDOW)], "not queued while link 1 ran"


@pytest.mark.parametrize("width", [20, 40, 100, 200])
def test_the_timeline_fits_any_width(width: int) -> None:
    links = [link_view(i, i * 700, i * 700 + 30, i * 700 + 630) for i in range(1, 6)]
    drawn = lines(Timeline(chain(links, state=ChainState.DONE), now=at(9000)), width)
    assert all(len(line) <= max(width, 28) for line in drawn)
    assert sum(RUNNING in line for line in drawn) >= 5


def test_a_short_phase_in_a_long_chain_is_still_seen() -> None:
    """A 10-second queue wait in a week of work keeps its cell."""
    week = 7 * 86400
    spans = link_spans(link_view(1, 0, 10, week), None, None, at(week))
    cells = bar(spans, at(0), at(week), 40)
    assert QUEUED in cells.plain and cells.plain.count(RUNNING) >= 38


def test_many_links_draw_the_newest() -> None:
    links = [link_view(i, i * 700, i * 700 + 30, i * 700 + 630) for i in range(1, 31)]
    drawn = lines(Timeline(chain(links), now=at(30 * 700 + 700), max_rows=5), 100)
    assert drawn[0] == "… 25 earlier links not drawn"
    assert drawn[1].startswith("#26 126") and drawn[5].startswith("#30 130")
    assert "Dec 01" not in drawn[6], "a day and less: times only"


def test_no_link_yet() -> None:
    assert lines(Timeline(chain([]), now=T0), 60) == ["no link has been submitted yet"]


def test_days_on_the_axis() -> None:
    links = [link_view(1, 0, 60, 3 * 86400)]
    axis = lines(Timeline(chain(links, warning=None, state=ChainState.DONE), now=at(4 * 86400)), 80)[1]
    assert "Dec 01 10:00" in axis and "Dec 04 10:00" in axis and "3.0 days" in axis


@pytest.mark.parametrize(("percent", "drawn"), [(0, "░░░░"), (50, "██░░"), (100, "████"), (None, "····"),
                                                (12.5, "▌░░░"), (150, "████")])  # fmt: skip
def test_progress_bar(percent: float | None, drawn: str) -> None:
    assert progress_bar(percent, 4).plain == drawn


def test_progress_line_and_cell() -> None:
    estimate = Estimate(Progress(450, 1000), 120.0, 16500, 2, at(16500))
    line = progress_line(estimate, T0, bar_width=10).plain
    assert line.startswith("████▌░░░░░  45.0 %  450/1000  120/h  finish 14:35 (+2 links)")
    assert progress_cell(estimate, T0, 8).plain == "███▋░░░░  45% 14:35"  # 3.6 cells: 3 and 5/8
    tomorrow = Estimate(Progress(1, 10), 1.0, 9 * 3600, 0, at(86400 + 60))
    assert "finish Dec 02 10:01" in progress_line(tomorrow, T0).plain
    unknown = Estimate(Progress(7), None, None, None, None)
    assert progress_cell(unknown, T0, 4).plain == "···· 7" and progress_cell(None, T0).plain == ""
    done = Estimate(Progress(10, 10), 5.0, None, None, at(60), final=True)
    assert progress_line(done, T0).plain.endswith("finished 10:01")


def test_sparklines() -> None:
    assert sparkline([0, 50, 100], high=100).plain == "▁▅█"
    assert sparkline([None, 10, 20]).plain == "·▅█"
    waste = sparkline([30, 90], high=100, low_is_waste=True)
    assert waste.spans[0].style != waste.spans[1].style, "under 50 % is drawn in the warning colour"
    links = [link_view(i, i * 700, i * 700 + 30, i * 700 + 630) for i in range(1, 4)]
    cpu, mem = efficiency_lines(chain(links).economics or pytest.fail("no economics"))
    assert cpu.plain == "CPU eff   ··· -" and mem.plain == "Peak mem  ··· -", "no accounting read: nothing made up"


def test_names_are_never_markup() -> None:
    hostile = chain([link_view(1, 0, 30, 630)])
    hostile = ChainView(**{**hostile.__dict__, "name": "[bold]x[@click=app.quit]"})
    assert all("[bold]" not in line for line in lines(Timeline(hostile, now=at(700)), 60)), "the name is not drawn"
