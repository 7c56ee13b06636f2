"""Steps that did not succeed, named with what their state and exit code mean.

A batch script goes on after a failed `srun` unless it checks: `srun false; echo done` ends
COMPLETED 0:0 with step `.0` FAILED 1:0 (seen on the test cluster), and a step killed at its
memory limit leaves the job COMPLETED or FAILED 1:0 with the step OUT_OF_MEMORY. The job's own
row then hides what went wrong; these rules read the step rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.diagnose.meanings import SIGNAL_LIKE_CODES, exit_meaning, signal_meaning
from app.model.states import JobState
from app.slurm.records import JobAccounting, SacctRow

# Endings Slurm decides for the whole job: its steps are stopped as a consequence, not failures of their own.
SLURM_ENDINGS = frozenset(
    {JobState.TIMEOUT, JobState.CANCELLED, JobState.PREEMPTED, JobState.NODE_FAIL, JobState.BOOT_FAIL,
     JobState.DEADLINE, JobState.REVOKED}
)  # fmt: skip
_NOT_ENDED = frozenset({JobState.RUNNING, JobState.PENDING, JobState.COMPLETING, JobState.UNKNOWN})


@dataclass(frozen=True)
class FailedStep:
    """One step that did not succeed: its row as sacct printed it, and what that means."""

    step_id: str  # `123.0`, `123+1.0`, `123.batch`
    name: str
    state: str  # e.g. "FAILED", "CANCELLED by 1001", "OUT_OF_MEMORY"
    exit_code: str  # sacct's code:signal
    meaning: str
    out_of_memory: bool = False

    def as_json(self) -> dict[str, object]:
        return {"step_id": self.step_id, "name": self.name, "state": self.state, "exit_code": self.exit_code,
                "meaning": self.meaning, "out_of_memory": self.out_of_memory}  # fmt: skip

    def sentence(self) -> str:
        return f"step {self.step_id} ({self.name}) {self.state} {self.exit_code}: {self.meaning}"


def is_failed(row: SacctRow) -> bool:
    """A step that ended otherwise than COMPLETED 0:0."""
    if row.state in _NOT_ENDED:
        return False
    return row.state is not JobState.COMPLETED or not row.exit_status.is_success


def step_meaning(row: SacctRow, name_of_uid: Callable[[int], str]) -> str:
    """What a step's state and exit code mean, in a few words."""
    status = row.exit_status
    if row.state is JobState.OUT_OF_MEMORY:
        return "ran out of memory: the kernel's out-of-memory killer stopped it at the job's memory limit"
    if row.state is JobState.CANCELLED and row.cancelled_by_uid is not None:
        who = name_of_uid(row.cancelled_by_uid)
        by = "root (an administrator, or Slurm itself)" if row.cancelled_by_uid == 0 else who
        return f"cancelled by {by}" + (f" with signal {status.signal}" if status.signal else "")
    if status.signal:
        name, meaning = signal_meaning(status.signal)
        return f"ended by signal {status.signal} ({name}): {meaning}"
    if row.state is JobState.TIMEOUT:
        return "reached its own time limit (srun --time)"
    if row.state is JobState.NODE_FAIL:
        return "its node failed"
    if status.code:
        meaning = exit_meaning(status.code) or "the program chose this code to report a failure"
        text = f"exited {status.code}: {meaning}"
        if status.code in SIGNAL_LIKE_CODES:
            sig, _ = signal_meaning(status.code)
            text += f" (or {status.code + 128} = killed by {sig}: sacct before 25.11 cannot tell)"
        return text
    return f"ended {row.state.value.lower()}"


def failed_steps(accounting: JobAccounting | None, name_of_uid: Callable[[int], str]) -> tuple[FailedStep, ...]:
    """Every step that did not succeed, when the job's own processes decided its ending.

    Empty when Slurm ended the whole job (time limit, cancel, preemption, node failure...): its
    steps are then stopped as a consequence. The batch step is left out when its exit status is the
    job's (the job row already tells it), unless it ran out of memory and the job's row does not say so.
    """
    if accounting is None or accounting.job.state in SLURM_ENDINGS or accounting.job.state in _NOT_ENDED:
        return ()
    job = accounting.job
    found = []
    for row in accounting.steps:
        if not is_failed(row):
            continue
        tells_more = row.state is JobState.OUT_OF_MEMORY and job.state is not JobState.OUT_OF_MEMORY
        if row.step == "batch" and row.exit_status == job.exit_status and not tells_more:
            continue  # the job's own row tells the batch script's ending
        state = row.state.value + (f" by {row.cancelled_by_uid}" if row.cancelled_by_uid is not None else "")
        found.append(
            FailedStep(
                row.step_id,
                row.name,
                state,
                str(row.exit_status),
                step_meaning(row, name_of_uid),
                row.state is JobState.OUT_OF_MEMORY,
            )
        )
    return tuple(found)
