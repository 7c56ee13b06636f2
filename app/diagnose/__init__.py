"""Pure diagnosis: a job's records (and the log tail the caller read) -> why it ended, and a fix.

`diagnose()` explains one job; `diagnose_family()` the several records sbatch printed as one id
(an array's tasks, a heterogeneous job's components). They do no I/O except looking up user
names of uids (injectable). The rules live in endings.py (what Slurm decided), exits.py (what the
job's processes decided) and live.py (jobs not ended); facts.py decides which source wins when
sacct and scontrol disagree; memory.py, steps.py, chainstory.py and family.py (and app/model/pending.py) add the
facts around the ending (memory per node, failed steps, pending reasons, the chain, the family).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from app.diagnose import endings, exits, live
from app.diagnose.chainstory import chain_story
from app.diagnose.context import DiagnosisContext
from app.diagnose.diagnosis import Diagnosis, DiagnosisKind, Evidence, LogTail
from app.diagnose.facts import JobFacts, NothingToDiagnose
from app.diagnose.family import family_kind, heterogeneous, summarise_array
from app.model.states import JobState
from app.slurm.records import ControllerJob, JobAccounting

__all__ = [
    "Diagnosis",
    "DiagnosisContext",
    "DiagnosisKind",
    "Evidence",
    "LogTail",
    "NothingToDiagnose",
    "diagnose",
    "diagnose_family",
]

_SLURM_STOPPED = {
    JobState.PREEMPTED: DiagnosisKind.PREEMPTED,
    JobState.NODE_FAIL: DiagnosisKind.NODE_FAIL,
    JobState.BOOT_FAIL: DiagnosisKind.BOOT_FAIL,
    JobState.REVOKED: DiagnosisKind.REVOKED,
}
# Kinds whose memory facts are part of the story (the ending is about memory, or the job used it all).
_MEMORY_KINDS = frozenset(
    {DiagnosisKind.OUT_OF_MEMORY, DiagnosisKind.COMPLETED, DiagnosisKind.STEP_FAILED, DiagnosisKind.KILLED_BY_SIGNAL,
     DiagnosisKind.EXIT_SIGNAL, DiagnosisKind.EXIT_AMBIGUOUS}
)  # fmt: skip


def diagnose(
    accounting: JobAccounting | None,
    controller: ControllerJob | None = None,
    logs: Sequence[LogTail] = (),
    script_text: str | None = None,
    name_of_uid: Callable[[int], str] | None = None,
    context: DiagnosisContext | None = None,
) -> Diagnosis:
    """Explain one job. Give whatever is known: sacct's record, scontrol's while the controller
    holds the job (its ExitCode has no 128 offset), the tails of its output files, its batch script,
    and the context (its partition's limits, its chain, its submission's options).

    Raises NothingToDiagnose when both records are None.
    """
    facts = JobFacts.build(accounting, controller, logs, script_text, name_of_uid, context)
    facts.cite_ending()
    facts.cite_log_problem()
    found = _ending(facts)
    chain = facts.context.chain
    link = facts.context.link
    return replace(
        found,
        failed_steps=facts.failed_steps,
        memory=facts.memory if found.kind in _MEMORY_KINDS else None,
        chain=chain_story(chain, link) if chain is not None and link is not None else None,
    )


def _ending(facts: JobFacts) -> Diagnosis:
    state = facts.state
    if not state.is_terminal:
        return live.live(facts)
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
    if any(step.out_of_memory for step in facts.failed_steps):
        return endings.step_failed(facts)  # a step killed at the memory limit decides, whatever the script did
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


def diagnose_family(
    job_id: str,
    members: Sequence[JobAccounting],
    controller: ControllerJob | None = None,
    logs: Sequence[LogTail] = (),
    script_text: str | None = None,
    name_of_uid: Callable[[int], str] | None = None,
    context: DiagnosisContext | None = None,
) -> Diagnosis:
    """Explain the records of one sbatch id: an array's tasks (summarised from accounting alone) or a
    heterogeneous job's components (the logs, script and controller record are component +0's)."""
    kind = family_kind(members)
    if kind is None:
        if len(members) != 1:
            raise NothingToDiagnose(f"{len(members)} records for job {job_id}, and they are no family")
        return diagnose(members[0], controller, logs, script_text, name_of_uid, context)
    if kind == "array":
        return summarise_array(job_id, members, lambda acc: diagnose(acc, name_of_uid=name_of_uid, context=context))
    found = [
        diagnose(acc, controller if i == 0 else None, logs, script_text, name_of_uid, context)
        for i, acc in enumerate(members)
    ]
    return heterogeneous(job_id, members, found)
