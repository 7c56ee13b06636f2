"""Pure diagnosis: a job's records (and the log tail the caller read) -> why it ended, and a fix.

`diagnose()` is the one entry point. It does no I/O except looking up user names of uids
(injectable). The rules live in endings.py (what Slurm decided) and exits.py (what the job's
processes decided); facts.py decides which source wins when sacct and scontrol disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from app.diagnose import endings, exits
from app.diagnose.diagnosis import Diagnosis, DiagnosisKind, Evidence, LogTail
from app.diagnose.facts import JobFacts, NothingToDiagnose
from app.model.states import JobState
from app.slurm.records import ControllerJob, JobAccounting

__all__ = ["Diagnosis", "DiagnosisKind", "Evidence", "LogTail", "NothingToDiagnose", "diagnose"]

_SLURM_STOPPED = {
    JobState.PREEMPTED: DiagnosisKind.PREEMPTED,
    JobState.NODE_FAIL: DiagnosisKind.NODE_FAIL,
    JobState.BOOT_FAIL: DiagnosisKind.BOOT_FAIL,
    JobState.REVOKED: DiagnosisKind.REVOKED,
}


def diagnose(
    accounting: JobAccounting | None,
    controller: ControllerJob | None = None,
    logs: Sequence[LogTail] = (),
    script_text: str | None = None,
    name_of_uid: Callable[[int], str] | None = None,
) -> Diagnosis:
    """Explain one job. Give whatever is known: sacct's record, scontrol's while the controller
    holds the job (its ExitCode has no 128 offset), the tails of its output files, its batch script.

    Raises NothingToDiagnose when both records are None.
    """
    facts = JobFacts.build(accounting, controller, logs, script_text, name_of_uid)
    facts.cite_ending()
    facts.cite_log_problem()
    state = facts.state
    if not state.is_terminal:
        return endings.live(facts)
    if state is JobState.OUT_OF_MEMORY:
        return endings.out_of_memory(facts, "cgroup")
    if state is JobState.TIMEOUT:
        return endings.timeout(facts)
    if state in _SLURM_STOPPED:
        return endings.slurm_stopped(facts, _SLURM_STOPPED[state])
    if state is JobState.DEADLINE:
        return endings.deadline(facts)
    if state is JobState.CANCELLED:
        return endings.cancelled(facts)
    status = facts.exit_status
    if status.signal != 0:
        return exits.by_signal(facts)
    if status.code != 0:
        return exits.by_exit_code(facts)
    if state is JobState.COMPLETED:
        return endings.completed(facts)
    return Diagnosis(
        DiagnosisKind.UNKNOWN,
        f"Ended {state.value} with exit 0:0",
        f"Slurm recorded the job as {state.value} without an exit code or signal; nothing here says why.",
        evidence=tuple(facts.evidence),
        suggestion="Ask the admins to look at slurmctld's log for this job id.",
    )
