"""Memory advice: per node, in the unit the job asked in, from app/model/usage.py's facts.

The numbers (request per node and per CPU, peak per node from the step rows) are computed once,
in app.model.usage (the economics view reads the same). Here they become advice:

- the unit: `--mem-per-cpu` when the job asked per CPU, else `--mem` (per node). Accounting
  before Slurm 21.08 records it (`4000Mc`); from 21.08 on only the submission says it (the
  chain's command line, the script's #SBATCH lines) or the controller while it holds the job
  (`MinMemoryCPU=` or `MinMemoryNode=` in `scontrol show job`).
- after an out-of-memory kill: the job was stopped AT its limit, so its recorded peak is the
  limit, not the need. The advice multiplies the limit (x2, or the chain's --grow-mem factor,
  up to its cap and the partition's MaxMemPerNode) instead of adding a margin to the peak.
- after a success that used a small share: the peak per node +25 %, rounded up.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from app.diagnose.context import DiagnosisContext
from app.model.units import MemorySize
from app.model.usage import JobUsage
from app.slurm.records import ControllerJob, JobAccounting, Partition

OOM_GROWTH = Fraction(2)  # what to multiply the limit by after an out-of-memory kill
HEADROOM = Fraction(5, 4)  # peak +25 % when cutting an oversized request
Unit = Literal["node", "cpu"]


@dataclass(frozen=True)
class MemoryFacts:
    """The job's memory request and peak per node, and the unit advice is given in."""

    usage: JobUsage
    unit: Unit
    unit_source: str | None  # how the unit is known; None: not recorded anywhere, --mem assumed
    peak_nodes: int | None = None  # nodes the peak step ran on (fewer than the job's: the others are unmeasured)

    @property
    def cpus_per_node(self) -> int | None:
        request = self.usage.request
        return -(-request.cpus // request.nodes) if request.cpus else None

    @property
    def limit_per_node(self) -> MemorySize | None:
        return self.usage.request.per_node

    @property
    def peak_per_node(self) -> MemorySize | None:
        return self.usage.peak_per_node

    def option(self, per_node: MemorySize) -> tuple[str, str]:
        """The sbatch option and value asking for `per_node` in the job's own unit."""
        cpus = self.cpus_per_node
        if self.unit == "cpu" and cpus:
            return "mem-per-cpu", MemorySize(-(-per_node.bytes // cpus)).round_up_sane().sbatch_value()
        return "mem", per_node.round_up_sane().sbatch_value()

    def as_json(self) -> dict[str, object]:
        request, peak = self.usage.request, self.usage.peak

        def size(value: MemorySize | None) -> str | None:
            return str(value) if value is not None else None

        return {
            "asked_per": self.unit,
            "asked_per_source": self.unit_source,
            "request_per_node": size(request.per_node),
            "request_per_node_bytes": request.per_node.bytes if request.per_node else None,
            "request_per_cpu": size(request.per_cpu),
            "request_total": size(request.total),
            "request_source": request.source or None,
            "nodes": request.nodes,
            "cpus": request.cpus,
            "peak_per_node": size(peak.per_node) if peak else None,
            "peak_per_node_bytes": peak.per_node.bytes if peak else None,
            "peak_step": peak.step or None if peak else None,
            "peak_how": peak.how if peak else None,
            "peak_step_nodes": self.peak_nodes,
            "efficiency_percent": self.usage.mem_efficiency,
        }


def memory_unit(
    usage: JobUsage, controller: ControllerJob | None, context: DiagnosisContext
) -> tuple[Unit, str | None]:
    """How the job asked for memory, and how we know (see the module docstring for the order)."""
    for name, unit in (("mem-per-cpu", "cpu"), ("mem", "node")):
        given = context.option(name)
        if given is not None:
            return unit, f"--{name}={given[0]} ({given[1]})"  # type: ignore[return-value]
    if context.option("mem-per-gpu") is not None:
        return "node", "--mem-per-gpu on the submission; advice is given per node (--mem)"
    raw = controller.raw if controller else {}
    if raw.get("MinMemoryCPU"):
        return "cpu", f"scontrol MinMemoryCPU={raw['MinMemoryCPU']}"
    if raw.get("MinMemoryNode"):
        return "node", f"scontrol MinMemoryNode={raw['MinMemoryNode']}"
    if usage.request.asked_per is not None:
        return usage.request.asked_per, usage.request.source
    return "node", None


def memory_facts(
    accounting: JobAccounting | None, controller: ControllerJob | None, context: DiagnosisContext
) -> MemoryFacts | None:
    """The job's memory facts (app.model.usage's computation), or None when accounting has none."""
    if accounting is None:
        return None
    usage = accounting.usage
    if usage.request.per_node is None and usage.peak is None:
        return None
    unit, source = memory_unit(usage, controller, context)
    peak = usage.peak
    step = next((s for s in accounting.steps if peak is not None and (s.step or "") == peak.step), None)
    return MemoryFacts(usage, unit, source, (step.nnodes or 1) if step is not None else None)


@dataclass(frozen=True)
class Advice:
    """A memory request to try, with the reasoning in words."""

    option: str  # "mem" or "mem-per-cpu"
    value: str
    per_node: MemorySize
    why: str
    capped: str | None = None  # what kept it from growing further (a chain's cap, the partition's maximum)


def after_out_of_memory(facts: MemoryFacts, context: DiagnosisContext, partition: Partition | None) -> Advice | None:
    """A request that can succeed where this one was killed at its limit."""
    limit, peak = facts.limit_per_node, facts.peak_per_node
    base = limit if limit is not None else peak
    if base is None:
        return None
    if peak is not None and limit is not None and peak > limit:
        base = peak  # without cgroups a job may overshoot before the kill: the need is at least that
    policy = context.chain.spec.policy if context.chain else None
    factor = Fraction(policy.grow_mem_factor).limit_denominator(100) if policy and policy.grow_mem_factor else None
    growth = factor if factor is not None and factor > 1 else OOM_GROWTH
    grown = MemorySize(-(-base.bytes * growth.numerator // growth.denominator)).round_up_sane()
    doubled = "twice the limit" if base is limit else "twice the peak"
    how = f"the chain's --grow-mem factor (x{float(growth):g})" if growth is factor else doubled
    capped = None
    if policy is not None and policy.grow_mem_cap is not None and grown > policy.grow_mem_cap:
        grown, capped = policy.grow_mem_cap, f"the chain's --grow-mem cap ({policy.grow_mem_cap})"
    if partition is not None and partition.max_mem_per_node is not None and grown > partition.max_mem_per_node:
        grown = partition.max_mem_per_node
        capped = f"partition {partition.name}'s MaxMemPerNode ({partition.max_mem_per_node})"
    option, value = facts.option(grown)
    at = f"{limit} per node" if limit is not None else "its limit"
    if peak is not None and peak.bytes == 0:
        seen = "no peak was recorded (it ended before Slurm's first memory sample)"
    elif peak is not None and limit is not None and peak >= limit:
        seen = f"its recorded peak ({peak}) is that limit, reached"
    elif peak is not None and limit is not None:
        seen = f"its recorded peak ({peak}) is lower only because Slurm samples memory and missed the last spike"
    else:
        seen = "no peak was recorded"
    why = (f"It was stopped at its limit of {at}; {seen}. So it needs more, how much is unknown, and a margin on "
           f"the peak would fail again: {how} ({grown} per node) can succeed; if it is killed again, grow it "
           "again.")  # fmt: skip
    if capped:
        why += f" Limited by {capped}: if that is not enough, the program must use less memory."
    return Advice(option, value, grown, why, capped)


def with_headroom(peak: MemorySize) -> MemorySize:
    """A request for a job whose peak is known and was not cut short: the peak +25 %, rounded up."""
    return MemorySize(-(-peak.bytes * HEADROOM.numerator // HEADROOM.denominator)).round_up_sane()


def trimmed(facts: MemoryFacts) -> Advice | None:
    """A smaller request for a job that used under a quarter of a request of at least 1 GiB per node."""
    limit, peak = facts.limit_per_node, facts.peak_per_node
    if limit is None or peak is None or limit.mib < 1024 or peak.percent_of(limit) >= 25:
        return None
    if facts.peak_nodes is not None and facts.peak_nodes < facts.usage.request.nodes:
        return None  # its peak step ran on fewer nodes than the job has: the others' use was not measured
    new = with_headroom(peak)
    if new >= limit:
        return None
    option, value = facts.option(new)
    why = (f"It used {peak} per node of the {limit} per node it asked for: --{option}={value} would do "
           "(peak +25 %) and lets it start sooner.")  # fmt: skip
    return Advice(option, value, new, why)
