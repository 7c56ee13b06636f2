"""Trackable resources (TRES) as Slurm writes them: `cpu=4,mem=400M,node=1,gres/gpu=2`.

The same notation carries what a job asked for (ReqTRES), what it got (AllocTRES) and what its
steps used (TRESUsageInMax / TRESUsageInTot: `cpu=00:56:24,mem=10372780K,gres/gpuutil=100`).
Values stay text until asked for as a count, a memory size or a duration, because their unit
depends on the name and on sacct's options (with --noconvert memory is in plain bytes).
"""

from __future__ import annotations

from functools import cached_property

from app.model.units import Duration, MemorySize, UnitParseError

GPU = "gres/gpu"


class Tres(str):
    """A TRES list exactly as printed (it is that text), read into name=value pairs on first use.

    Reading is lazy because usage lists differ on every step row and a poll rarely needs them.
    A part without `=` is skipped: these lists are facts to show, never a reason to fail a row.
    """

    @cached_property
    def items(self) -> tuple[tuple[str, str], ...]:
        pairs = (part.partition("=") for part in self.strip().split(","))
        return tuple((name.strip(), value.strip()) for name, eq, value in pairs if eq and name.strip())

    def get(self, name: str) -> str | None:
        for key, value in self.items:
            if key == name:
                return value
        return None

    def count_of(self, name: str) -> int | None:
        """An integer value (`cpu=4`, `node=2`, `gres/gpu=1`); None when absent or not a count."""
        value = self.get(name)
        return int(value) if value is not None and value.isdigit() else None

    def memory(self, name: str = "mem") -> MemorySize | None:
        """A size (`mem=400M`, `mem=3992K`, `gres/gpumem=38888M`); a bare number is bytes."""
        value = self.get(name)
        if value is None:
            return None
        try:
            return MemorySize.parse(value)
        except UnitParseError:
            return None

    def duration(self, name: str = "cpu") -> Duration | None:
        """A time (`cpu=00:56:24` in usage lists)."""
        value = self.get(name)
        if value is None or ":" not in value:
            return None
        try:
            return Duration.parse(value)
        except UnitParseError:
            return None

    def gpus(self) -> int | None:
        """How many GPUs: `gres/gpu=N`, else the sum of typed `gres/gpu:TYPE=N` entries."""
        total = self.count_of(GPU)
        if total is not None:
            return total
        typed = [self.count_of(k) for k, _ in self.items if k.startswith(GPU + ":")]
        counts = [c for c in typed if c is not None]
        return sum(counts) if counts else None
