"""Chain events: one frozen dataclass per kind, and KINDS, the table of every kind this version knows.

Field annotations are the events' schema: app/registry/event_json.py (the ONE encoder and ONE
decoder of events.jsonl lines) finds a codec by each annotation's name. A kind this version does
not know (written by a newer longrun) is an UnknownEvent that keeps its kind and fields. A new
kind is one dataclass added to KINDS; the codec needs no change.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, TypeAlias

from app.model.exit_status import ExitStatus
from app.model.outcome import LinkOutcome
from app.model.states import JobState

EVENT_VERSION = 1

# Field types: aliases of int and str that name what the decoder checks (see _CODECS).
Attempt: TypeAlias = int  # 1, 2, ... (the link's number in its chain)
JobId: TypeAlias = str  # a Slurm job id, never empty
Seconds: TypeAlias = int  # a duration, never negative
Bytes: TypeAlias = int  # a memory size, never negative
Uid: TypeAlias = int
Progress: TypeAlias = tuple[int, int]  # (mtime_ns, size) of the policy's progress file
PolicyValues: TypeAlias = Mapping[str, Any]  # Policy fields as spec.json writes them, each checked by Policy
Units: TypeAlias = float  # units of the chain's progress (done), never negative


class EventError(ValueError):
    """A line that is not a valid event; `str()` names the field and what is wrong with it."""


@dataclass(frozen=True)
class Event:
    """Common to every event: when it was written (set by the registry when it appends)."""

    KIND: ClassVar[str] = ""
    t: datetime | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class Created(Event):
    """The chain's directory and spec exist."""

    KIND = "created"


@dataclass(frozen=True)
class SubmitIntent(Event):
    """Written BEFORE sbatch runs (write-ahead): a link of this attempt is about to be submitted."""

    KIND = "submit_intent"
    attempt: Attempt
    options: tuple[str, ...] = ()  # extra sbatch options of this link (grown --mem)
    progress: Progress | None = None  # the progress file before the link ran
    done_before: Units | None = None  # the chain's progress (app/supervisor/progress.py) before the link ran
    after: JobId | None = None  # held with --dependency=afterany on this job (a queued successor)


@dataclass(frozen=True)
class Submitted(Event):
    """sbatch returned this job id (or reconcile found the job by its comment: recovered)."""

    KIND = "submitted"
    attempt: Attempt
    job_id: JobId
    recovered: bool = False


@dataclass(frozen=True)
class IntentLost(Event):
    """Reconcile: no job carries this attempt's comment, so sbatch never ran for it."""

    KIND = "intent_lost"
    attempt: Attempt


@dataclass(frozen=True)
class SubmitFailed(Event):
    """sbatch refused the link for good; the chain stops with Slurm's message."""

    KIND = "submit_failed"
    attempt: Attempt
    error: str = ""


@dataclass(frozen=True)
class ObservedEnd(Event):
    """What Slurm said about the link's end: everything a decision needs, so it can be re-made."""

    KIND = "observed_end"
    attempt: Attempt
    job_id: JobId
    state: JobState
    exit: ExitStatus | None = None
    submit: datetime | None = None
    start: datetime | None = None
    end: datetime | None = None
    elapsed: Seconds | None = None
    time_limit: Seconds | None = None
    ending: str | None = None  # "TIMEOUT", "exit 75", ...
    cancelled_by: Uid | None = None
    req_mem: Bytes | None = None  # the job's whole memory request (all nodes)
    observed: datetime | None = None
    oom_step: str | None = None  # a step that ended OUT_OF_MEMORY under a job that ended otherwise
    mem_ask: str | None = None  # the link's memory option as given, `mem-per-cpu=100M` (None: none given)
    req_mem_per_node: Bytes | None = None  # the request per node (--grow-mem's cap is per node)


@dataclass(frozen=True)
class Decision(Event):
    """The outcome the policy gave the link's ending."""

    KIND = "decision"
    attempt: Attempt
    outcome: LinkOutcome
    reason: str = ""
    new_memory: Bytes | None = None  # --grow-mem: the next link asks for this much (per new_memory_option)
    new_memory_option: str | None = None  # `mem-per-cpu`, `mem-per-gpu`; None: `mem` (per node)
    by: str | None = None  # who decided: "job 1234" (the job queued after the link) or "supervisor"; None: older


@dataclass(frozen=True)
class CancelRequested(Event):
    """The owner cancelled the chain: it is never resubmitted (until a reinit or resubmit)."""

    KIND = "cancel_requested"
    by: str | None = None


@dataclass(frozen=True)
class Cancelled(Event):
    """scancel was sent for this job."""

    KIND = "cancelled"
    job_id: JobId


@dataclass(frozen=True)
class Reinit(Event):
    """A fresh restart budget and a new link."""

    KIND = "reinit"
    by: str | None = None


@dataclass(frozen=True)
class ResubmitRequested(Event):
    """One more link now, beyond the budget."""

    KIND = "resubmit_requested"
    by: str | None = None


@dataclass(frozen=True)
class StopRequested(Event):
    """`longrun stop`: the chain's warning signal was sent (to `job_id`); no link after this one."""

    KIND = "stop_requested"
    by: str | None = None
    job_id: JobId | None = None


@dataclass(frozen=True)
class WorkStarted(Event):
    """The link's wrapper is about to run the chain's script (in the job, on the compute node)."""

    KIND = "work_started"
    attempt: Attempt
    job_id: JobId
    host: str = ""
    done_before: Units | None = None  # the chain's progress as the work starts (queued links are queued early)


@dataclass(frozen=True)
class LinkExited(Event):
    """The wrapper saw the script end (a marker: the supervisor then asks sacct once, not every 2 s)."""

    KIND = "link_exited"
    attempt: Attempt
    job_id: JobId
    exit: ExitStatus | None = None  # the script's exit code, or 0:N when a signal ended it


@dataclass(frozen=True)
class Withdrawn(Event):
    """A queued job of the chain that will never run the work (the chain stopped, was cancelled, or
    the next link needs other sbatch options and was queued again): it is no link of the chain."""

    KIND = "withdrawn"
    job_id: JobId
    reason: str = ""


@dataclass(frozen=True)
class RunRefused(Event):
    """The link's work was not run (e.g. the job script changed since submit): the chain stops."""

    KIND = "run_refused"
    attempt: Attempt
    error: str = ""
    job_id: JobId | None = None


@dataclass(frozen=True)
class SettingsChanged(Event):
    """A person changed the settings of the chain's next links (resubmit/reinit with options)."""

    KIND = "settings_changed"
    by: str | None = None
    given: tuple[str, ...] = ()  # the sbatch options as the person gave them
    sbatch_options: tuple[str, ...] | None = None  # the chain's options from now on (None: unchanged)
    policy: PolicyValues | None = None  # Policy fields (as in spec.json) that changed, with their new values


@dataclass(frozen=True)
class Archived(Event):
    """Out of `status` and the dashboard (`status --archived` lists it); kept on disk."""

    KIND = "archived"
    by: str | None = None


@dataclass(frozen=True)
class Unarchived(Event):
    KIND = "unarchived"
    by: str | None = None


@dataclass(frozen=True)
class Notified(Event):
    """The chain's --notify command ran for the decision on this attempt."""

    KIND = "notified"
    attempt: Attempt
    status: int | None = None  # the command's exit status (None: it could not be run)
    error: str = ""


@dataclass(frozen=True)
class UnknownEvent(Event):
    """A kind this version does not know (a newer longrun wrote it): kept as it was, never acted on."""

    kind: str = ""
    fields: Mapping[str, Any] = field(default_factory=dict)


ChainEvent: TypeAlias = (
    Created
    | SubmitIntent
    | Submitted
    | IntentLost
    | SubmitFailed
    | ObservedEnd
    | Decision
    | CancelRequested
    | Cancelled
    | Reinit
    | ResubmitRequested
    | StopRequested
    | SettingsChanged
    | Archived
    | Unarchived
    | WorkStarted
    | LinkExited
    | Withdrawn
    | RunRefused
    | Notified
    | UnknownEvent
)

KINDS: dict[str, type[Event]] = {
    cls.KIND: cls
    for cls in (
        Created,
        SubmitIntent,
        Submitted,
        IntentLost,
        SubmitFailed,
        ObservedEnd,
        Decision,
        CancelRequested,
        Cancelled,
        Reinit,
        ResubmitRequested,
        StopRequested,
        SettingsChanged,
        Archived,
        Unarchived,
        WorkStarted,
        LinkExited,
        Withdrawn,
        RunRefused,
        Notified,
    )
}
