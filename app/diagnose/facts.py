"""The inputs of one diagnosis, merged: sacct's record, scontrol's when held, the log tail, the script.

Rules read a `JobFacts` instead of the raw records so that "which source wins" is decided once:
the controller's state and ExitCode (no 128 offset) when it still holds the job, else sacct's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from app.diagnose.context import EMPTY, DiagnosisContext
from app.diagnose.diagnosis import Evidence, LogTail
from app.diagnose.fixes import TimeAdvice, time_advice
from app.diagnose.logscan import ScriptFacts, script_facts
from app.diagnose.meanings import user_name
from app.diagnose.memory import MemoryFacts, memory_facts
from app.diagnose.steps import FailedStep, failed_steps
from app.model.exit_status import ExitStatus
from app.model.states import JobState
from app.model.units import Duration
from app.slurm.records import ControllerJob, JobAccounting, Partition, SacctRow

NEAR_LIMIT_PERCENT = 90  # MaxRSS at or above this share of the request counts as "at the limit"


class NothingToDiagnose(ValueError):
    """Neither accounting nor the controller knows the job."""


@dataclass
class JobFacts:
    accounting: JobAccounting | None
    controller: ControllerJob | None
    logs: tuple[LogTail, ...]
    script: ScriptFacts
    name_of_uid: Callable[[int], str]
    context: DiagnosisContext = EMPTY
    evidence: list[Evidence] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        accounting: JobAccounting | None,
        controller: ControllerJob | None,
        logs: Sequence[LogTail],
        script_text: str | None,
        name_of_uid: Callable[[int], str] | None,
        context: DiagnosisContext | None = None,
    ) -> JobFacts:
        if accounting is None and controller is None:
            raise NothingToDiagnose("no accounting record and no controller record")
        return cls(accounting, controller, tuple(logs), script_facts(script_text), name_of_uid or user_name,
                   context or EMPTY)  # fmt: skip

    # ---- identity -------------------------------------------------------------------------
    @property
    def job_id(self) -> str:
        return self.accounting.job_id if self.accounting else self.controller.job_id  # type: ignore[union-attr]

    @property
    def job(self) -> SacctRow | None:
        return self.accounting.job if self.accounting else None

    @property
    def owner(self) -> str | None:
        if self.job is not None and self.job.user:
            return self.job.user
        return self.controller.user if self.controller else None

    # ---- state and exit status ------------------------------------------------------------
    @property
    def state(self) -> JobState:
        # The controller is current; accounting can lag it by a few seconds. But while the
        # controller still says COMPLETING (cleaning up), accounting already has the ending.
        if self.controller is not None:
            if self.job is not None and self.job.state.is_terminal and not self.controller.state.is_terminal:
                return self.job.state
            return self.controller.state
        return self.job.state  # type: ignore[union-attr]

    @property
    def exit_from_controller(self) -> bool:
        return self.controller is not None and self.controller.exit_status is not None

    @property
    def exit_status(self) -> ExitStatus:
        if self.controller is not None and self.controller.exit_status is not None:
            return self.controller.exit_status
        return self.job.exit_status if self.job is not None else ExitStatus(0)

    def possible_codes(self) -> tuple[int, ...]:
        status = self.exit_status
        if self.exit_from_controller:
            return (status.code,)
        return status.possible_codes_from_sacct()

    # ---- time ----------------------------------------------------------------------------
    @property
    def time_limit(self) -> Duration | None:
        if self.job is not None and self.job.time_limit is not None:
            return self.job.time_limit
        return self.controller.time_limit if self.controller else None

    @property
    def elapsed(self) -> Duration | None:
        if self.job is not None and self.job.elapsed is not None:
            return self.job.elapsed
        return self.controller.run_time if self.controller else None

    @property
    def never_ran(self) -> bool:
        elapsed = self.elapsed
        return elapsed is None or elapsed.seconds == 0

    # ---- memory (per node, from app/model/usage.py) -----------------------------------------
    @cached_property
    def memory(self) -> MemoryFacts | None:
        return memory_facts(self.accounting, self.controller, self.context)

    def memory_percent(self) -> int | None:
        """Peak per node as a share of the request per node (whole percent, rounded down)."""
        memory = self.memory
        if memory is None or memory.peak_per_node is None or not memory.limit_per_node:
            return None
        return memory.peak_per_node.percent_of(memory.limit_per_node)

    def memory_at_limit(self) -> bool:
        percent = self.memory_percent()
        return percent is not None and percent >= NEAR_LIMIT_PERCENT

    @cached_property
    def failed_steps(self) -> tuple[FailedStep, ...]:
        return failed_steps(self.accounting, self.name_of_uid)

    @cached_property
    def partition(self) -> Partition | None:
        """The job's partition's limits, looked up once, only by the rules that need them."""
        lookup = self.context.partition_lookup
        return lookup() if lookup is not None else None

    def time_advice(self) -> TimeAdvice:
        advice = time_advice(self.time_limit, self.elapsed, self.partition)
        if self.partition is not None:
            self.cite("scontrol", f"partition {self.partition.name} MaxTime", self.partition.max_time or "UNLIMITED")
        return advice

    def steps_cancelled_by(self, uid: int) -> list[SacctRow]:
        if self.accounting is None:
            return []
        return [s for s in self.accounting.steps if s.state is JobState.CANCELLED and s.cancelled_by_uid == uid]

    # ---- evidence helpers ----------------------------------------------------------------
    def cite(self, source: str, item: str, value: object) -> None:
        entry = Evidence(source, item, str(value))
        if entry not in self.evidence:
            self.evidence.append(entry)

    def cite_ending(self) -> None:
        """The fields every diagnosis rests on: state and exit code, from each source used."""
        if self.job is not None:
            state = self.job.state.value
            if self.job.cancelled_by_uid is not None:
                state += f" by {self.job.cancelled_by_uid}"
            self.cite("sacct", "State", state)
            self.cite("sacct", "ExitCode", self.job.exit_status)
        if self.controller is not None:
            self.cite("scontrol", "JobState", self.controller.state.value)
            if self.controller.exit_status is not None:
                self.cite("scontrol", "ExitCode", self.controller.exit_status)
            if self.controller.reason and self.controller.reason != "None":
                self.cite("scontrol", "Reason", self.controller.reason)

    def cite_memory(self) -> None:
        memory = self.memory
        if memory is None:
            return
        peak = memory.usage.peak
        if peak is not None:
            self.cite("sacct", f"{self.job_id}.{peak.step} peak per node", f"{peak.per_node} ({peak.how})")
        request = memory.usage.request
        if request.per_node is not None:
            self.cite("sacct", "request per node", f"{request.per_node} ({request.source})")
        if memory.unit_source is not None:
            self.cite("longrun", "asked per", f"{memory.unit} ({memory.unit_source})")
        percent = self.memory_percent()
        if percent is not None:
            self.cite("longrun", "peak / request per node", f"{percent}%")

    def cite_time(self) -> None:
        if self.elapsed is not None:
            self.cite("sacct", "Elapsed", self.elapsed)
        self.cite("sacct", "Timelimit", self.time_limit if self.time_limit else "UNLIMITED")

    @property
    def log_directory_missing(self) -> bool:
        return any(log.directory_exists is False for log in self.logs)

    def cite_log_problem(self) -> None:
        """Say which output files could not be read, and why."""
        for log in self.logs:
            if log.text is None:
                where = log.path or "unknown path"
                self.cite("log", "file", f"{where}: not readable ({log.problem or 'unknown reason'})")
