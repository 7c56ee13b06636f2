"""What the caller knows about a job besides its Slurm records: its partition's limits, the longrun
chain it is a link of, and the sbatch options it was submitted with.

The explain pipeline (app/explain) fills it; the rules only read it. Everything is optional: a
job nobody submitted through longrun, on a partition that is hidden, gets an empty context.
The partition is looked up only when a rule needs its limits (time advice, a memory cap, a
PartitionTimeLimit): most diagnoses never ask, so they cost no `scontrol show partition`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from app.model.chain import ChainStatus, Link
from app.slurm.records import Partition


@dataclass(frozen=True)
class DiagnosisContext:
    partition_lookup: Callable[[], Partition | None] | None = None  # the job's partition's limits, on demand
    chain: ChainStatus | None = None  # the chain the job is a link of (its owner's registry)
    link: Link | None = None  # that link
    # sbatch options of the submission: long name -> (value, where it came from: "command line", "#SBATCH")
    options: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def option(self, name: str) -> tuple[str, str] | None:
        value = self.options.get(name)
        return value if value and value[0] else None

    @classmethod
    def known(cls, partition: Partition | None = None, **kw: object) -> DiagnosisContext:
        """A context whose partition is already known (tests, and callers that have it at hand)."""
        return cls(partition_lookup=(lambda: partition), **kw)  # type: ignore[arg-type]


EMPTY = DiagnosisContext()
