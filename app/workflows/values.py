"""Values written in workflow files: ISO 8601 durations (`PT2H`), walltimes (`04:00:00`), memory (`16g`).

Each parser raises ValueError with a message a person can act on; the loader attaches the line.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

from app.model.units import Duration, MemorySize, UnitParseError

_ISO_RE = re.compile(
    r"^P(?:(?P<w>\d+(?:\.\d+)?)W)?(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)
_ISO_SECONDS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_MEMORY_RE = re.compile(r"^\d+(?:\.\d+)?\s*[kmgtp]?(?:i?b)?$", re.IGNORECASE)


def parse_iso_duration(text: str) -> Duration:
    """`PT2H`, `PT90M`, `PT1H30M`, `P1DT12H`, `PT0.5H` -> Duration (seconds, fractions rounded up)."""
    cleaned = text.strip().upper()
    match = _ISO_RE.match(cleaned)
    if not match or cleaned in ("P", "PT") or cleaned.endswith("T") or not any(match.groupdict().values()):
        date_part = cleaned.split("T")[0]
        if cleaned.startswith("P") and ("Y" in date_part or "M" in date_part):
            raise ValueError(
                f"`{text}`: years and months have no fixed length; write days, e.g. P30D (for minutes: PT1M)"
            )
        raise ValueError(f"`{text}` is not an ISO 8601 duration (examples: PT2H, PT30M, PT1H30M, P1DT12H)")
    total = Decimal(0)
    for unit, amount in match.groupdict().items():
        if amount is not None:
            total += Decimal(amount) * _ISO_SECONDS[unit]
    seconds = math.ceil(total)
    if seconds <= 0:
        raise ValueError(f"`{text}` is zero: a job needs some time")
    return Duration(seconds)


def parse_runtime(text: str) -> Duration:
    """A job's runtime: ISO 8601 (`PT2H`) as Torc writes it, or Slurm's `HH:MM:SS` / `D-HH:MM:SS`."""
    if text.strip().upper().startswith("P"):
        return parse_iso_duration(text)
    return parse_walltime(text)


def parse_walltime(text: str) -> Duration:
    """A scheduler's walltime: Slurm's `HH:MM:SS`, `D-HH:MM:SS`, `MM:SS`, minutes, or ISO 8601."""
    cleaned = text.strip()
    if cleaned.upper().startswith("P"):
        return parse_iso_duration(cleaned)
    day_hours = re.match(r"^(\d+)-(\d+)$", cleaned)  # sbatch's D-HH
    if day_hours:
        seconds = int(day_hours.group(1)) * 86400 + int(day_hours.group(2)) * 3600
    else:
        try:
            parsed = Duration.parse(cleaned)
        except UnitParseError:
            parsed = None
            seconds = -1
        else:
            seconds = parsed.seconds if parsed is not None else -1
    if seconds < 0:
        raise ValueError(f"`{text}` is not a walltime (examples: 04:00:00, 1-12:00:00, 30, PT4H)")
    if seconds == 0:
        raise ValueError(f"`{text}` is zero: a job needs some time")
    return Duration(seconds)


def parse_memory(text: str) -> MemorySize:
    """`16g`, `512m`, `1.5G`, `32GB`, `2GiB`; a bare number is megabytes (as for sbatch `--mem`)."""
    cleaned = text.strip()
    if not _MEMORY_RE.match(cleaned):
        raise ValueError(f"`{text}` is not a memory size (examples: 16g, 512m, 1.5G)")
    try:
        size = MemorySize.parse(cleaned, default_unit="M")
    except (UnitParseError, InvalidOperation) as exc:
        raise ValueError(f"`{text}` is not a memory size (examples: 16g, 512m, 1.5G)") from exc
    if size.bytes <= 0:
        raise ValueError(f"`{text}` is zero: a job needs some memory")
    return size
