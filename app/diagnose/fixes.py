"""The numbers in a fix: a wall-time from the limit (within the partition's MaxTime), a signal lead.

Exact integer arithmetic on Duration; results are values `sbatch` accepts as written. Memory
requests are app/diagnose/memory.py's.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.model.units import Duration
from app.slurm.records import Partition

TIME_GROWTH = (3, 2)  # x1.5
DEFAULT_SIGNAL_LEAD = 300  # seconds: five minutes to write a checkpoint

HANDLER_SNIPPET = """\
#SBATCH --signal=B:TERM@{lead}
# Slurm sends SIGTERM to this batch shell {lead} s before the time limit.
# Run the real work in the background so the shell can react at once:
checkpoint_and_exit() {{
    echo "Received SIGTERM: saving a checkpoint"
    kill -TERM "$child" 2>/dev/null   # let the program save its state
    wait "$child"
    exit 75                           # EX_TEMPFAIL: longrun continues the chain
}}
trap checkpoint_and_exit TERM
your_program --resume-from-checkpoint &
child=$!
wait "$child"
"""


def wall_time(limit: Duration | None, elapsed: Duration | None) -> Duration | None:
    """The limit (or, without one, the elapsed time) x1.5, rounded up to whole minutes."""
    base = limit or elapsed
    if base is None or base.seconds == 0:
        return None
    grown = -(-base.seconds * TIME_GROWTH[0] // TIME_GROWTH[1])
    return Duration.minutes(Duration(grown).whole_minutes_up())


@dataclass(frozen=True)
class TimeAdvice:
    """A longer --time, within the partition's maximum; or why none can be asked for."""

    limit: Duration | None  # the job's time limit
    new: Duration | None  # --time to ask for; None when no longer limit is possible (or nothing to grow)
    grown: Duration | None  # the limit x1.5 before the partition's maximum was applied
    partition: str | None
    max_time: Duration | None  # the partition's MaxTime (None: unlimited or unknown)

    @property
    def capped(self) -> bool:
        """x1.5 is above the partition's maximum: the advice is that maximum."""
        return self.new is not None and self.grown is not None and self.new < self.grown

    @property
    def at_max(self) -> bool:
        """The job already had the partition's maximum: a longer --time cannot be asked for."""
        return self.max_time is not None and self.limit is not None and self.limit >= self.max_time

    def words(self) -> str:
        """The advice as a phrase for a suggestion ("" when there is none)."""
        where = f"partition {self.partition}" if self.partition else "its partition"
        if self.at_max:
            return (f"it already had the longest --time {where} allows (MaxTime {self.max_time}), so more time "
                    "cannot be asked for")  # fmt: skip
        if self.new is None:
            return ""
        if self.capped:
            return (f"ask for --time={self.new.slurm_format()}, the longest {where} allows (MaxTime; x1.5 would "
                    f"be {self.grown})")  # fmt: skip
        return f"ask for --time={self.new.slurm_format()} (the limit x1.5)"

    def as_json(self) -> dict[str, object]:
        def text(value: Duration | None) -> str | None:
            return value.slurm_format() if value is not None else None

        return {"time_limit": text(self.limit), "suggested": text(self.new), "partition": self.partition,
                "partition_max_time": text(self.max_time), "capped_by_partition": self.capped,
                "at_partition_max": self.at_max}  # fmt: skip


def time_advice(limit: Duration | None, elapsed: Duration | None, partition: Partition | None) -> TimeAdvice:
    """The limit x1.5 (wall_time), bounded by the partition's MaxTime."""
    grown = wall_time(limit, elapsed)
    max_time = partition.max_time if partition else None
    name = partition.name if partition else None
    new = grown
    if max_time is not None and grown is not None and grown > max_time:
        new = max_time if limit is None or limit < max_time else None
    return TimeAdvice(limit, new, grown, name, max_time)


def signal_lead(limit: Duration | None) -> int:
    """Seconds of warning before the limit: 300, shortened for short jobs (a quarter of the limit)."""
    if limit is None or limit.seconds >= 20 * 60:
        return DEFAULT_SIGNAL_LEAD
    quarter = limit.seconds // 4
    return max(30, quarter - quarter % 10)


def signal_option(limit: Duration | None) -> str:
    return f"B:TERM@{signal_lead(limit)}"


def handler_snippet(limit: Duration | None) -> str:
    return HANDLER_SNIPPET.format(lead=signal_lead(limit))
