"""The numbers in a fix: a memory request from the peak, a wall-time from the limit, a signal lead.

Exact integer arithmetic on MemorySize/Duration; results are values `sbatch` accepts as written.
"""

from __future__ import annotations

from app.model.units import Duration, MemorySize

MEMORY_HEADROOM = (5, 4)  # +25 %
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


def memory_request(peak: MemorySize | None, requested: MemorySize | None, ran_out: bool) -> MemorySize | None:
    """Peak + 25 % headroom, rounded up to a request a person would write.

    When the job ran out of memory the peak sampled by Slurm can sit below the limit that
    killed it, so the new request is also at least the old one + 25 %.
    """
    base = peak
    if ran_out and requested is not None and (base is None or requested > base):
        base = requested
    if base is None:
        return None
    new = base.scaled(*MEMORY_HEADROOM).round_up_sane()
    if ran_out and requested is not None and new <= requested:
        new = MemorySize(requested.bytes + 1).round_up_sane()
    return new


def wall_time(limit: Duration | None, elapsed: Duration | None) -> Duration | None:
    """The limit (or, without one, the elapsed time) x1.5, rounded up to whole minutes."""
    base = limit or elapsed
    if base is None or base.seconds == 0:
        return None
    grown = -(-base.seconds * TIME_GROWTH[0] // TIME_GROWTH[1])
    return Duration.minutes(Duration(grown).whole_minutes_up())


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
