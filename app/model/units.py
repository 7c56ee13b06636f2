"""Memory sizes and durations as Slurm writes them, with exact integer arithmetic.

Memory is kept in bytes (int), durations in whole seconds (int): no floats, so that
"MaxRSS is 93% of ReqMem" and "add 25% headroom" are computed exactly.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_UNIT_POWER = {"": 0, "B": 0, "K": 1, "M": 2, "G": 3, "T": 4, "P": 5}
_MEMORY_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGTP]?)(?:i?B)?([nc])?\s*$", re.IGNORECASE)


class UnitParseError(ValueError):
    """A memory size or duration that Slurm would not have written."""


@dataclass(frozen=True, order=True)
class MemorySize:
    """A memory size in bytes (Slurm's K/M/G are powers of 1024)."""

    bytes: int

    @classmethod
    def parse(cls, text: str, default_unit: str = "") -> MemorySize:
        """Parse `207688K`, `4G`, `100Mn`, `1.5G`, `16g`; a bare number takes `default_unit`.

        The `n`/`c` suffix of ReqMem in older Slurm (per node / per CPU) is accepted and dropped;
        callers that care about per-CPU requests read it from the raw field.
        """
        match = _MEMORY_RE.match(text)
        if not match:
            raise UnitParseError(f"not a memory size: {text!r}")
        number, unit, _per = match.groups()
        unit = (unit or default_unit).upper()
        scale = 1024 ** _UNIT_POWER[unit]
        if "." in number:
            whole, frac = number.split(".")
            value = int(whole) * scale + (int(frac) * scale) // (10 ** len(frac))
        else:
            value = int(number) * scale
        return cls(value)

    @classmethod
    def mebibytes(cls, mib: int) -> MemorySize:
        return cls(mib * 1024 * 1024)

    @property
    def mib(self) -> int:
        """Whole MiB, rounded up (what `--mem=NM` would need to hold this size)."""
        return -(-self.bytes // (1024 * 1024))

    def scaled(self, numerator: int, denominator: int) -> MemorySize:
        """This size times numerator/denominator, rounded up to a byte (exact)."""
        return MemorySize(-(-self.bytes * numerator // denominator))

    def percent_of(self, other: MemorySize) -> int:
        """This size as a whole percentage of `other` (rounded down); 0 when other is zero."""
        return 0 if other.bytes == 0 else self.bytes * 100 // other.bytes

    def round_up_sane(self) -> MemorySize:
        """Round up to a request a person would write; never below this size.

        Up to 1 GiB: a multiple of 64M; up to 16 GiB: a multiple of 256M; above: whole G.
        """
        mib = self.mib
        if mib <= 1024:
            step = 64
        elif mib <= 16 * 1024:
            step = 256
        else:
            step = 1024
        return MemorySize.mebibytes(max(step, -(-mib // step) * step))

    def sbatch_value(self) -> str:
        """The value for `--mem=`: whole G when exact, else whole M (rounded up)."""
        mib = self.mib
        if mib % 1024 == 0 and mib > 0:
            return f"{mib // 1024}G"
        return f"{mib}M"

    def __str__(self) -> str:
        value = float(self.bytes)
        for unit in ("B", "K", "M", "G", "T"):
            if value < 1024 or unit == "T":
                return f"{value:.0f}{unit}" if unit == "B" else f"{value:.1f}{unit}".replace(".0" + unit, unit)
            value /= 1024
        return f"{self.bytes}B"  # unreachable


_NO_DURATION = frozenset({"", "UNLIMITED", "Partition_Limit", "INVALID", "NONE", "None", "NOT_SET", "N/A", "(null)"})
_DURATION_RE = re.compile(r"^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)(?:\.(\d+))?$")


@dataclass(frozen=True, order=True)
class Duration:
    """A length of time in whole seconds (fractions of a second, as in sacct's Elapsed, are dropped)."""

    seconds: int

    @classmethod
    def parse(cls, text: str) -> Duration | None:
        """Parse Slurm's `[D-]HH:MM:SS`, `MM:SS`, `MM:SS.mmm`; None for UNLIMITED/Partition_Limit/N/A/empty.

        A bare number is minutes, as in `--time=30`.
        """
        text = text.strip()
        if text in _NO_DURATION:
            return None
        if text.isdigit():
            return cls(int(text) * 60)
        match = _DURATION_RE.match(text)
        if not match:
            raise UnitParseError(f"not a Slurm duration: {text!r}")
        days, hours, minutes, seconds, _frac = match.groups()
        if days is not None and hours is None:
            # D-MM:SS is not a Slurm form; D-HH:MM is (sbatch --time), but sacct never prints it.
            hours, minutes, seconds = minutes, seconds, "0"
        total = int(days or 0) * 86400 + int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
        return cls(total)

    @classmethod
    def minutes(cls, minutes: int) -> Duration:
        return cls(minutes * 60)

    def whole_minutes_up(self) -> int:
        """Minutes rounded up: Slurm time limits are whole minutes."""
        return max(1, math.ceil(self.seconds / 60))

    def slurm_format(self) -> str:
        """`D-HH:MM:SS` or `HH:MM:SS`, as sacct prints and as `--time=` accepts."""
        days, rest = divmod(self.seconds, 86400)
        hours, rest = divmod(rest, 3600)
        minutes, seconds = divmod(rest, 60)
        clock = f"{hours:02d}:{minutes:02d}:{seconds:02d}"
        return f"{days}-{clock}" if days else clock

    def compact(self) -> str:
        """`0:42`, `12:05`, `1:02:03`, `2-03:04:05`: Slurm's form without leading zero fields."""
        days, rest = divmod(self.seconds, 86400)
        hours, rest = divmod(rest, 3600)
        minutes, seconds = divmod(rest, 60)
        if days:
            return f"{days}-{hours:02d}:{minutes:02d}:{seconds:02d}"
        if hours:
            return f"{hours}:{minutes:02d}:{seconds:02d}"
        return f"{minutes}:{seconds:02d}"

    def __str__(self) -> str:
        return self.slurm_format()
