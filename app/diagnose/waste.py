"""Waste in a chain's links, with the fix: fewer CPUs, less memory (the numbers as the diagnosis
writes them: app/diagnose/memory.py). Pure; judged only on links whose efficiency is known (ended)."""

from __future__ import annotations

import math

from app.diagnose.memory import with_headroom
from app.model.economics import WASTE_BELOW, ChainEconomics

CPU_HEADROOM = 1.25  # cores to ask for: the cores kept busy on average, plus a quarter


def waste_fixes(economics: ChainEconomics) -> tuple[str, ...]:
    """One sentence per kind of waste (CPU, memory), each with the request that would do; none when
    the efficiencies are at least WASTE_BELOW percent or unknown."""
    found: list[str] = []
    cpu = economics.cpu_efficiency
    ended = [e for e in economics.links if e.cpu_efficiency is not None and e.core_seconds]
    if cpu is not None and cpu < WASTE_BELOW and ended:
        cpus = ended[-1].cpus
        busy = sum(e.cpu_seconds or 0 for e in ended) / max(1, sum(e.run_s or 0 for e in ended))
        enough = cpus_for(busy, cpus)
        if cpus is None or enough is not None:
            fewer = f": -c {enough} instead of {cpus} would do" if enough is not None else ""
            found.append(
                f"CPU efficiency {cpu:g} %: the links kept {busy:.1f} of their {cpus or '?'} CPUs busy;"
                f" ask for fewer CPUs{fewer}."
            )
    mem = economics.mem_efficiency
    peaks = [e.peak_per_node for e in economics.links if e.peak_per_node is not None and e.mem_efficiency is not None]
    request = next((e.request_per_node for e in reversed(economics.links) if e.request_per_node), None)
    if mem is not None and mem < WASTE_BELOW and peaks and request is not None:
        peak = max(peaks)
        new = with_headroom(peak)
        less = f" --mem={new.sbatch_value()} (the peak + 25 %) would do" if new < request else ""
        found.append(
            f"Memory efficiency {mem:g} %: the highest peak was {peak} of the {request} asked for per node;"
            f" ask for less memory{':' if less else ''}{less}."
        )
    return tuple(found)


def cpus_for(busy: float, cpus: int | None) -> int | None:
    """CPUs to ask for when `busy` cores were used on average: a quarter more, or just enough when
    that is all there is; None when that is not fewer than `cpus` (nothing to save)."""
    if cpus is None:
        return None
    for enough in (math.ceil(busy * CPU_HEADROOM), math.ceil(busy)):
        if max(1, enough) < cpus:
            return max(1, enough)
    return None
