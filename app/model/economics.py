"""What a chain costs and where its time goes, per link and per chain: pure.

Per link: queue wait (submit -> start), run time, time lost before it (the previous link's end ->
this start: the supervisor's reaction and the queue), the checkpoint window (the warning signal ->
the end, when the chain asks for one with --signal), and the usage facts of app/model/usage.py
(CPU and memory efficiency, peak memory per node, GPUs): that module is the one computation of
those; nothing here recomputes them.

Per chain: links, run time, wall time since the first submit, the shares of it spent queued and
lost between links (lost includes the queue wait of every link after the first, so the two
overlap), core- and GPU-hours, and mean efficiencies (CPU weighted by core time, which makes it
the chain's TotalCPU over its core time; memory weighted by run time). `pace()` gives what the
progress estimate needs (app/model/progress.py).

Times are Slurm's (naive local time); `now` must be too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import overload

from app.model.progress import Pace
from app.model.units import MemorySize
from app.model.usage import JobUsage

WASTE_BELOW = 50.0  # percent: CPU or memory efficiency under this is shown as waste, with a fix


@dataclass(frozen=True)
class LinkFacts:
    """One link as the registry and accounting know it."""

    attempt: int
    job_id: str | None
    submit: datetime | None
    start: datetime | None
    end: datetime | None
    elapsed_s: int | None
    time_limit_s: int | None
    ended: bool
    continued: bool = False  # it ended and the chain went on (its decision was to continue)
    usage: JobUsage | None = None  # from its accounting, when it was read


@dataclass(frozen=True)
class LinkEconomics:
    attempt: int
    job_id: str | None
    queue_wait_s: int | None  # submit -> start; still pending: submit -> now
    run_s: int | None
    lost_before_s: int | None  # previous end -> this start (-> now while it waits); None for the first
    signal_at: datetime | None  # the expected warning signal, when the link ran into its window
    checkpoint_window_s: int | None  # signal -> end
    cpu_efficiency: float | None  # percent, as seff and reportseff print it
    mem_efficiency: float | None  # percent: peak per node / request per node
    peak_per_node: MemorySize | None
    request_per_node: MemorySize | None
    gpus: int | None
    gpu_utilization: float | None
    core_seconds: int | None  # run time x allocated CPUs
    gpu_seconds: int | None
    cpus: int | None = None  # allocated CPUs
    cpu_seconds: int | None = None  # TotalCPU
    queued_from: datetime | None = None  # from when it waited for resources (see queued_from())

    @property
    def waiting(self) -> bool:
        """Not started yet (its queue wait and lost time still grow)."""
        return self.run_s is None


@dataclass(frozen=True)
class ChainEconomics:
    links: tuple[LinkEconomics, ...]
    run_s: int
    wall_s: int | None  # first submit -> the last end (a finished chain) or now
    queued_s: int
    lost_s: int
    core_hours: float | None
    gpu_hours: float | None
    cpu_efficiency: float | None
    mem_efficiency: float | None
    link_run_s: float | None  # a whole link's run time: the mean of the links that continued, else the limit
    gap_s: float | None  # mean lost time before a link (after the first); the first's queue wait without one

    @property
    def queued_share(self) -> float | None:
        """Percent of the wall time spent queued."""
        return _percent(self.queued_s, self.wall_s)

    @property
    def lost_share(self) -> float | None:
        """Percent of the wall time lost between links (queue waits after the first link included)."""
        return _percent(self.lost_s, self.wall_s)

    def pace(self, running: LinkEconomics | None, waiting_s: float | None) -> Pace:
        """What the estimate needs; `running` is the link that runs now, `waiting_s` (no link runs)
        the seconds until the next link is expected to start, when Slurm or the gaps say."""
        return Pace(
            run_seconds=self.run_s,
            link_run_seconds=self.link_run_s,
            gap_seconds=self.gap_s or 0.0,
            running_elapsed=running.run_s if running is not None else None,
            waiting_seconds=waiting_s,
        )


@overload
def local_time(moment: datetime) -> datetime: ...
@overload
def local_time(moment: None) -> None: ...
def local_time(moment: datetime | None) -> datetime | None:
    """Slurm's clock: naive local time (the registry may hold aware times; they are converted)."""
    if moment is None or moment.tzinfo is None:
        return moment
    return _as_local(moment)


@lru_cache(maxsize=65536)
def _as_local(moment: datetime) -> datetime:
    # a link's recorded times are the same at every refresh: each is converted once
    return moment.astimezone().replace(tzinfo=None)


def _percent(part: int, whole: int | None) -> float | None:
    return None if not whole or whole <= 0 else round(part * 100 / whole, 1)


def _seconds(later: datetime, earlier: datetime) -> int:
    return max(0, int((later - earlier).total_seconds()))


def queued_from(link: LinkFacts, previous: LinkFacts | None) -> datetime | None:
    """From when a link waited for resources: its submit, or, for a successor queued in advance
    (in-Slurm continuation, --dependency=afterany), its predecessor's end; None while that still runs."""
    if previous is None or link.submit is None:
        return link.submit
    if previous.end is not None:
        return max(link.submit, previous.end)
    return link.submit if previous.ended else None


def link_economics(
    link: LinkFacts, previous: LinkFacts | None, now: datetime, warning_s: int | None = None
) -> LinkEconomics:
    """One link's figures; `previous` is the link before it, `warning_s` the chain's --signal lead."""
    waiting_since = queued_from(link, previous)
    queue = None
    if waiting_since is not None:
        if link.start is not None:
            queue = _seconds(link.start, waiting_since)
        elif not link.ended:
            queue = _seconds(now, waiting_since)
    run = link.elapsed_s
    if run is None and link.start is not None:
        run = _seconds(link.end or now, link.start)
    lost = None
    if previous is not None and previous.end is not None:
        if link.start is not None:
            lost = _seconds(link.start, previous.end)
        elif not link.ended:
            lost = _seconds(now, previous.end)
    signal_at = _signal_at(link, warning_s)
    usage = link.usage
    gpus = usage.gpus if usage else None
    return LinkEconomics(
        attempt=link.attempt,
        job_id=link.job_id,
        queue_wait_s=queue,
        run_s=run,
        lost_before_s=lost,
        signal_at=signal_at,
        checkpoint_window_s=_seconds(link.end, signal_at) if signal_at and link.end else None,
        cpu_efficiency=usage.cpu_efficiency if usage else None,
        mem_efficiency=usage.mem_efficiency if usage else None,
        peak_per_node=usage.peak_per_node if usage else None,
        request_per_node=usage.request.per_node if usage else None,
        gpus=gpus,
        gpu_utilization=usage.gpu_utilization if usage else None,
        core_seconds=usage.core_seconds if usage else None,
        gpu_seconds=run * gpus if run is not None and gpus else None,
        cpus=usage.request.cpus if usage else None,
        cpu_seconds=usage.cpu_seconds if usage else None,
        queued_from=waiting_since,
    )


def _signal_at(link: LinkFacts, warning_s: int | None) -> datetime | None:
    """When the warning signal came, as far as the request tells: `warning_s` before the limit, for a
    link that continued the chain and was still running then. Slurm may send it up to a minute
    early: a link that ended before the requested moment was signalled at a moment nobody recorded."""
    if warning_s is None or not link.ended or not link.continued or link.start is None or link.end is None:
        return None
    if link.time_limit_s is None:
        return None
    expected = link.start + timedelta(seconds=max(0, link.time_limit_s - warning_s))
    return expected if link.end >= expected else None


def chain_economics(
    links: Sequence[LinkFacts], now: datetime, *, finished: bool, warning_s: int | None = None
) -> ChainEconomics:
    """Every figure of a chain's links (in attempt order); `finished`: the chain is done or stopped."""
    submitted = [link for link in links if link.job_id is not None]
    per_link: list[LinkEconomics] = []
    previous: LinkFacts | None = None
    for link in submitted:
        per_link.append(link_economics(link, previous, now, warning_s))
        previous = link
    first_submit = min((lk.submit for lk in submitted if lk.submit is not None), default=None)
    ends = [lk.end for lk in submitted if lk.end is not None]
    wall = None
    if first_submit is not None:
        wall = _seconds(max(ends) if finished and ends else now, first_submit)
    cores = [e.core_seconds for e in per_link if e.core_seconds is not None]
    gpu_seconds = [e.gpu_seconds for e in per_link if e.gpu_seconds is not None]
    continued = [lk.elapsed_s for lk in submitted if lk.continued and lk.elapsed_s]
    limits = [lk.time_limit_s for lk in submitted if lk.time_limit_s]
    link_run: float | None = sum(continued) / len(continued) if continued else (limits[-1] if limits else None)
    gaps = [e.lost_before_s for e in per_link[1:] if e.lost_before_s is not None and not e.waiting]
    waits = [e.queue_wait_s for e in per_link if e.queue_wait_s is not None and not e.waiting]
    gap = sum(gaps) / len(gaps) if gaps else (sum(waits) / len(waits) if waits else None)
    return ChainEconomics(
        links=tuple(per_link),
        run_s=sum(e.run_s for e in per_link if e.run_s is not None),
        wall_s=wall,
        queued_s=sum(e.queue_wait_s for e in per_link if e.queue_wait_s is not None),
        lost_s=sum(e.lost_before_s for e in per_link if e.lost_before_s is not None),
        core_hours=round(sum(cores) / 3600, 3) if cores else None,
        gpu_hours=round(sum(gpu_seconds) / 3600, 3) if gpu_seconds else None,
        cpu_efficiency=_cpu_efficiency(submitted),
        mem_efficiency=_mem_efficiency(per_link),
        link_run_s=link_run,
        gap_s=gap,
    )


def _cpu_efficiency(links: Sequence[LinkFacts]) -> float | None:
    """TotalCPU over core time, of the links whose CPU efficiency is known (those that ended)."""
    used = total = 0
    for usage in (link.usage for link in links):
        if usage is not None and usage.cpu_efficiency is not None and usage.core_seconds:
            used += usage.cpu_seconds or 0
            total += usage.core_seconds
    return None if total == 0 else round(used * 100 / total, 1)


def _mem_efficiency(links: Sequence[LinkEconomics]) -> float | None:
    """Memory efficiency of the links that have one, weighted by their run time."""
    weighted = weight = 0.0
    for link in links:
        if link.mem_efficiency is None:
            continue
        run = float(link.run_s or 1)
        weighted += link.mem_efficiency * run
        weight += run
    return None if weight == 0 else round(weighted / weight, 1)
