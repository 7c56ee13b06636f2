"""Jobs that have not ended: pending (why, in plain words, and when Slurm expects to start it),
requeued, running.

Slurm's start estimate is the job's StartTime while it is pending: `scontrol show job` prints it
and `squeue --start` prints the same field (both read the controller's start_time; compared on
the test cluster in tests/slurm/test_explain_pending.py). It is set when the backfill scheduler
planned the job, or to the --begin time; otherwise Slurm has no estimate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.diagnose.diagnosis import Diagnosis, DiagnosisKind
from app.diagnose.facts import JobFacts
from app.model.pending import ReasonInfo, Resolves, reason_info
from app.model.states import JobState
from app.model.units import Duration

_NULL = frozenset({"", "(null)", "N/A", "None", "Unknown"})
LAGGING_REASON = (
    "The reason is accounting's, which is recorded when the job is submitted or updated and can lag the "
    "controller's (seen: Dependency for DependencyNeverSatisfied, None for JobHeldAdmin)."
)
_RESOLVES = {
    Resolves.YES: "Resolves by itself: yes, waiting is enough.",
    Resolves.NO: "Resolves by itself: no, someone must change the job or its limits.",
    Resolves.MAYBE: "Resolves by itself: it depends on others (the admins, a node coming back).",
}


@dataclass(frozen=True)
class PendingFacts:
    """Why a pending job waits, and what Slurm and the user can do about it."""

    job_id: str
    reason_text: str | None  # as Slurm printed it
    info: ReasonInfo | None
    expected_start: datetime | None  # Slurm's estimate, when it has one
    eligible: datetime | None  # from when the job may start (its --begin, or its submission)
    dependency: str | None  # scontrol's Dependency=, e.g. `afterok:1991(failed)`
    max_time: Duration | None  # the partition's MaxTime, when known

    @property
    def action(self) -> str | None:
        if self.info is None:
            return None
        action = self.info.for_job(self.job_id)
        if self.max_time is not None and self.info.code == "PartitionTimeLimit":
            action = action.replace("TimeLimit=...", f"TimeLimit={self.max_time.slurm_format()}")
        return action

    def sentences(self) -> list[str]:
        lines = []
        if self.info is not None:
            lines.append(_RESOLVES[self.info.resolves])
            if self.info.detail:
                lines.append(f"Slurm adds: {self.info.detail}.")
        if self.dependency:
            lines.append(f"Dependency: {self.dependency}.")
        if self.expected_start is not None:
            lines.append(f"Slurm's start estimate: {self.expected_start.isoformat(sep=' ')}.")
        else:
            lines.append("Slurm has no start estimate for it.")
        return lines

    def as_json(self) -> dict[str, object]:
        info = self.info
        return {
            "reason": info.code if info else None,
            "reason_text": self.reason_text,
            "reason_detail": info.detail if info else None,
            "known_reason": info.known if info else None,
            "meaning": info.meaning if info else None,
            "resolves_by_itself": info.resolves.value if info else None,
            "what_you_can_do": self.action,
            "expected_start": self.expected_start.isoformat() if self.expected_start else None,
            "eligible_time": self.eligible.isoformat() if self.eligible else None,
            "dependency": self.dependency,
        }


def _time(text: str | None) -> datetime | None:
    if text is None or text in _NULL:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def pending_facts(facts: JobFacts, reason: str | None) -> PendingFacts:
    controller = facts.controller
    raw = controller.raw if controller else {}
    start = controller.start if controller else (facts.job.start if facts.job else None)
    dependency = raw.get("Dependency")
    info = reason_info(reason)
    partition = facts.partition if info is not None and info.code == "PartitionTimeLimit" else None
    if info is not None and info.resolves is Resolves.NO:
        start = None  # a held job's StartTime is its --begin, not an estimate: it starts only when someone acts
    return PendingFacts(
        job_id=controller.job_id if controller else facts.job_id,
        reason_text=reason,
        info=info,
        expected_start=start,
        eligible=_time(raw.get("EligibleTime")),
        dependency=dependency if dependency and dependency not in _NULL else None,
        max_time=partition.max_time if partition else None,
    )


def _diag(facts: JobFacts, kind: DiagnosisKind, title: str, explanation: str, **kw: object) -> Diagnosis:
    return Diagnosis(kind, title, explanation, evidence=tuple(facts.evidence), **kw)  # type: ignore[arg-type]


def pending(facts: JobFacts, reason: str | None) -> Diagnosis:
    found = pending_facts(facts, reason)
    info = found.info
    if found.dependency:
        facts.cite("scontrol", "Dependency", found.dependency)
    if found.expected_start is not None:
        facts.cite(
            "scontrol" if facts.controller else "sacct", "StartTime (expected)", found.expected_start.isoformat()
        )
    partition = facts.partition if info is not None and info.code == "PartitionTimeLimit" else None
    if partition is not None:
        facts.cite("scontrol", f"partition {partition.name} MaxTime", partition.max_time or "UNLIMITED")
        if facts.time_limit is not None:
            facts.cite("scontrol", "TimeLimit", facts.time_limit)
    if info is None:
        explanation = "The job is waiting to start; Slurm gives no reason yet."
    else:
        explanation = f"The job is waiting to start ({info.code}): {info.meaning}."
    when = ""
    if found.expected_start is not None:
        when = f" Slurm expects to start it at {found.expected_start.isoformat(sep=' ')}."
    fix: dict[str, str] = {}
    if info is not None and info.code == "PartitionTimeLimit" and found.max_time is not None:
        fix["time"] = found.max_time.slurm_format()
    ambiguous: tuple[str, ...] = ()
    if facts.controller is None:
        ambiguous = (LAGGING_REASON,)
    return _diag(
        facts,
        DiagnosisKind.PENDING,
        "Pending" + (f": {info.code}" if info else ""),
        explanation + when,
        suggestion=found.action,
        fix_options=fix,
        ambiguous=ambiguous,
        pending=found,
    )


def live(facts: JobFacts) -> Diagnosis:
    state = facts.state
    reason = facts.controller.reason if facts.controller else (facts.job.reason if facts.job else None)
    if reason and reason != "None":
        facts.cite("scontrol" if facts.controller else "sacct", "Reason", reason)
    facts.cite("scontrol" if facts.controller else "sacct", "State", state.value)
    if state is JobState.PENDING:
        return pending(facts, reason)
    if state in (JobState.REQUEUED, JobState.REQUEUE_HOLD, JobState.REQUEUE_FED):
        return _diag(
            facts,
            DiagnosisKind.REQUEUED,
            "Requeued",
            "Slurm put the job back in the queue; the same job id will run again.",
        )
    if state is JobState.UNKNOWN:
        return _diag(
            facts,
            DiagnosisKind.UNKNOWN,
            "State unknown",
            "Slurm printed a state this version of longrun does not know (a newer Slurm?); it is not taken for "
            "an ending.",
        )
    limit, elapsed = facts.time_limit, facts.elapsed
    used = f" for {elapsed}" if elapsed else ""
    of = f" of its {limit} limit" if limit else ""
    left = ""
    if limit and elapsed:
        left = f"; {Duration(max(0, limit.seconds - elapsed.seconds))} left"
    return _diag(
        facts,
        DiagnosisKind.RUNNING,
        "Running" if state.value == "RUNNING" else state.value.title(),
        f"The job has not ended: it is {state.value.lower()}{used}{of}{left}.",
    )
