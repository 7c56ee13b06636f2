"""Chain economics, pure (app/model/economics.py): per link and per chain, with the usage facts of real
jobs (tests/captures/sacct_usage.txt: one task, four tasks, two CPUs, idle) taken from app/model/usage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.model.economics import LinkFacts, chain_economics, link_economics, local_time
from app.model.usage import JobUsage
from tests.captures import parse_sacct_capture

T0 = datetime(2026, 12, 1, 10, 0, 0)


def usage_of(name: str) -> JobUsage:
    return next(a for a in parse_sacct_capture("sacct_usage.txt").values() if a.job.name == name).usage


def link(attempt: int, submit: int, start: int | None, end: int | None, *, limit: int = 600,
         continued: bool = True, usage: JobUsage | None = None) -> LinkFacts:  # fmt: skip
    """A link with times in seconds after T0."""

    def at(seconds: int | None) -> datetime | None:
        return None if seconds is None else T0 + timedelta(seconds=seconds)

    elapsed = None if start is None else ((end if end is not None else start) - start)
    return LinkFacts(
        attempt=attempt, job_id=str(100 + attempt), submit=at(submit), start=at(start), end=at(end),
        elapsed_s=elapsed if end is not None else None, time_limit_s=limit, ended=end is not None,
        continued=continued and end is not None, usage=usage,
    )  # fmt: skip


def test_a_link_waits_runs_and_loses_time_before_it() -> None:
    first = link(1, 0, 30, 630)
    second = link(2, 640, 700, 1300)
    figures = link_economics(second, first, T0 + timedelta(hours=1), warning_s=120)
    assert (figures.queue_wait_s, figures.run_s, figures.lost_before_s) == (60, 600, 70)
    # it ran into the window: the signal is expected 120 s before the 600 s limit
    assert figures.signal_at == T0 + timedelta(seconds=700 + 480)
    assert figures.checkpoint_window_s == 120
    assert link_economics(first, None, T0).lost_before_s is None


def test_the_checkpoint_window_only_when_the_link_reached_it() -> None:
    early = link(1, 0, 0, 100)  # exited 75 on its own long before the warning (limit 600, warning 120)
    assert link_economics(early, None, T0, warning_s=120).signal_at is None
    no_signal = link(1, 0, 0, 600)
    assert link_economics(no_signal, None, T0, warning_s=None).signal_at is None
    finished = link(1, 0, 0, 600, continued=False)
    assert link_economics(finished, None, T0, warning_s=120).signal_at is None
    # Slurm sent it early (it may, by up to a minute): the link ended before the requested moment
    signalled_early = link(1, 0, 0, 470)
    assert link_economics(signalled_early, None, T0, warning_s=120).signal_at is None
    at_the_moment = link(1, 0, 0, 480)
    assert link_economics(at_the_moment, None, T0, warning_s=120).checkpoint_window_s == 0


def test_waiting_links_count_up_to_now() -> None:
    first = link(1, 0, 10, 610)
    pending = LinkFacts(2, "102", T0 + timedelta(seconds=615), None, None, None, 600, ended=False)
    figures = link_economics(pending, first, T0 + timedelta(seconds=700), warning_s=None)
    assert figures.waiting and figures.queue_wait_s == 85 and figures.lost_before_s == 90
    running = LinkFacts(2, "102", T0, T0 + timedelta(seconds=5), None, None, 600, ended=False)
    assert link_economics(running, None, T0 + timedelta(seconds=65)).run_s == 60


def test_a_successor_queued_in_advance_waits_only_from_its_predecessors_end() -> None:
    """In-Slurm continuation queues link 2 with --dependency=afterany when link 1 starts: held by the
    dependency is not queued (the dashboard showed "queued 113.3 %" of the wall time)."""
    first = link(1, 0, 10, 610)
    queued_early = link(2, 12, 615, 1200)
    figures = link_economics(queued_early, first, T0 + timedelta(hours=1))
    assert (figures.queue_wait_s, figures.lost_before_s) == (5, 5)
    running = LinkFacts(1, "101", T0, T0 + timedelta(seconds=10), None, None, 600, ended=False)
    held = LinkFacts(2, "102", T0 + timedelta(seconds=12), None, None, None, 600, ended=False)
    assert link_economics(held, running, T0 + timedelta(seconds=300)).queue_wait_s is None
    chain = chain_economics([first, queued_early], T0 + timedelta(hours=1), finished=True)
    assert chain.queued_share is not None and chain.queued_share <= 100


def test_a_chain_of_real_jobs() -> None:
    one, four, idle = usage_of("lrcap-one-task"), usage_of("lrcap-four-tasks"), usage_of("lrcap-idle")
    links = [
        link(1, 0, 20, 620, usage=one),
        link(2, 630, 700, 1300, usage=four),
        link(3, 1310, 1320, 1920, continued=False, usage=idle),
    ]
    chain = chain_economics(links, T0 + timedelta(hours=5), finished=True, warning_s=60)
    assert len(chain.links) == 3 and chain.run_s == 1800
    assert chain.wall_s == 1920, "a finished chain's wall time ends at its last end"
    assert chain.queued_s == 20 + 70 + 10 and chain.lost_s == 80 + 20
    assert chain.queued_share == pytest.approx(100 * 100 / 1920, abs=0.1)
    assert chain.lost_share == pytest.approx(100 * 100 / 1920, abs=0.1)
    # per link, the figures are usage.py's, unchanged
    assert [e.cpu_efficiency for e in chain.links] == [one.cpu_efficiency, four.cpu_efficiency, idle.cpu_efficiency]
    assert [e.mem_efficiency for e in chain.links] == [one.mem_efficiency, four.mem_efficiency, idle.mem_efficiency]
    assert chain.links[1].peak_per_node == four.peak_per_node
    cores = [u.core_seconds or 0 for u in (one, four, idle)]
    assert chain.core_hours == round(sum(cores) / 3600, 3)
    used = sum(u.cpu_seconds or 0 for u in (one, four, idle))
    assert chain.cpu_efficiency == round(used * 100 / sum(cores), 1), "TotalCPU over core time"
    assert chain.gpu_hours is None, "no GPUs"
    assert chain.link_run_s == 600 and chain.gap_s == 50


def test_an_unfinished_chain_counts_its_wall_time_to_now() -> None:
    links = [link(1, 0, 20, 620), LinkFacts(2, "102", T0 + timedelta(seconds=625), None, None, None, 600, False)]
    chain = chain_economics(links, T0 + timedelta(seconds=1000), finished=False)
    assert chain.wall_s == 1000 and chain.queued_s == 20 + 375 and chain.lost_s == 380
    assert chain.gap_s == 20, "no link started after a gap yet: the first queue wait stands in"
    assert chain.link_run_s == 600
    pace = chain.pace(None, 30.0)
    assert pace.run_seconds == 600 and pace.waiting_seconds == 30.0 and pace.running_elapsed is None


def test_links_without_a_job_are_left_out() -> None:
    intended = LinkFacts(2, None, None, None, None, None, None, ended=False)
    chain = chain_economics([link(1, 0, 0, 60), intended], T0 + timedelta(seconds=70), finished=False)
    assert [e.attempt for e in chain.links] == [1]


def test_empty_chain() -> None:
    chain = chain_economics([], T0, finished=False)
    assert chain.wall_s is None and chain.queued_share is None and chain.link_run_s is None
    assert chain.cpu_efficiency is None and chain.mem_efficiency is None


def test_local_time_of_aware_registry_times() -> None:
    aware = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert local_time(aware) == aware.astimezone().replace(tzinfo=None)
    assert local_time(T0) is T0 and local_time(None) is None
