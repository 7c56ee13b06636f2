"""Chain events: one frozen dataclass per kind, and the ONE encoder and ONE decoder of their JSON.

A chain's events.jsonl holds one JSON object per line: `{"v": 1, "t": ISO time, "type": KIND,
...fields}`. The decoder checks every field against the type its dataclass declares (the
annotation names a codec below), so a damaged line becomes an EventError naming the field, never
a value of the wrong type further on. A kind this version does not know (written by a newer
longrun) becomes an UnknownEvent that keeps its kind and fields: it is reported and never makes
the chain unreadable. A new kind is one dataclass added to KINDS; the decoder needs no change.

Pure: no I/O (the registry reads and appends the lines).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, TypeAlias

from app.model.chain import Policy, PolicyError
from app.model.exit_status import ExitStatus, ExitStatusParseError
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
_ENVELOPE = ("v", "t", "type")


# -- codecs: (JSON -> value, value -> JSON) per declared field type --------------------------------
def _non_negative(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EventError(f"must be a number, not {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise EventError(f"must be finite, not {value!r}")
    if value < 0:
        raise EventError(f"cannot be negative ({value!r})")
    return int(value)


def _attempt(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise EventError(f"must be a whole number from 1, not {value!r}")
    return value


def _job_id(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)  # an int is unambiguous; the writers always wrote text
    if not isinstance(value, str) or not value.strip():
        raise EventError(f"must be a job id, not {value!r}")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise EventError(f"must be text, not {value!r}")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise EventError(f"must be true or false, not {value!r}")
    return value


def _units(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise EventError(f"must be a number of units done (0 or more), not {value!r}")
    return float(value)


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise EventError(f"must be a whole number, not {value!r}")
    return value


def _time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise EventError(f"must be an ISO time, not {value!r}")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise EventError(f"must be an ISO time, not {value!r}") from None


def _options(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(o, str) for o in value):
        raise EventError(f"must be a list of texts, not {value!r}")
    return tuple(value)


def _progress(value: Any) -> tuple[int, int]:
    if not isinstance(value, list) or len(value) != 2:
        raise EventError(f"must be [mtime_ns, size], not {value!r}")
    return _int(value[0]), _int(value[1])


def _policy_values(value: Any) -> Mapping[str, Any]:
    """Changed Policy fields: known names, and values a Policy accepts (checked on a default one)."""
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise EventError(f"must be an object of policy settings, not {value!r}")
    unknown = sorted(set(value) - set(Policy().to_json()))
    if unknown:
        raise EventError(f"has settings a policy does not have: {', '.join(unknown)}")
    try:
        Policy.from_json({**Policy().to_json(), **value})
    except PolicyError as exc:
        raise EventError(f"{exc}") from None
    return dict(value)


def _outcome(value: Any) -> LinkOutcome:
    try:
        return LinkOutcome(value)
    except ValueError:
        raise EventError(f"must be one of {', '.join(o.value for o in LinkOutcome)}, not {value!r}") from None


def _job_state(value: Any) -> JobState:
    if not isinstance(value, str) or value not in JobState.__members__:
        raise EventError(f"must be a Slurm job state, not {value!r}")
    return JobState[value]


def _exit(value: Any) -> ExitStatus:
    if not isinstance(value, str):
        raise EventError(f"must be CODE:SIGNAL, not {value!r}")
    try:
        return ExitStatus.parse(value)
    except ExitStatusParseError:
        raise EventError(f"must be CODE:SIGNAL, not {value!r}") from None


def _same(value: Any) -> Any:
    return value


_Load = Callable[[Any], Any]
_Dump = Callable[[Any], Any]
_CODECS: dict[str, tuple[_Load, _Dump]] = {
    "Attempt": (_attempt, _same),
    "JobId": (_job_id, _same),
    "Seconds": (_non_negative, _same),
    "Bytes": (_non_negative, _same),
    "Uid": (_int, _same),
    "int": (_int, _same),
    "str": (_str, _same),
    "bool": (_bool, _same),
    "datetime": (_time, lambda v: v.isoformat()),
    "tuple[str, ...]": (_options, list),
    "Progress": (_progress, list),
    "PolicyValues": (_policy_values, dict),
    "Units": (_units, _same),
    "LinkOutcome": (_outcome, lambda v: v.value),
    "JobState": (_job_state, lambda v: v.name),
    "ExitStatus": (_exit, str),
}


@dataclass(frozen=True)
class _Field:
    name: str
    load: _Load
    dump: _Dump
    optional: bool  # None is a valid value
    required: bool  # no default: the key must be there
    default: Any


def _schema(cls: type[Event]) -> tuple[_Field, ...]:
    """The fields of one kind with their codecs (annotations are text: `from __future__ import annotations`)."""
    out: list[_Field] = []
    for f in dataclasses.fields(cls):
        if f.name == "t":
            continue
        text = str(f.type)
        optional = text.endswith(" | None")
        base = text.removesuffix(" | None")
        if base not in _CODECS:
            raise TypeError(f"{cls.__name__}.{f.name}: no codec for {text!r}")
        load, dump = _CODECS[base]
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        default = f.default if f.default is not dataclasses.MISSING else None
        out.append(_Field(f.name, load, dump, optional, required, default))
    return tuple(out)


_SCHEMAS: dict[type[Event], tuple[_Field, ...]] = {cls: _schema(cls) for cls in KINDS.values()}
# (name, load, required, value when absent or null) per field, for decode_event's loop
_PLANS = {
    cls: tuple((f.name, f.load, f.required, None if f.optional else f.default) for f in fields)
    for cls, fields in _SCHEMAS.items()
}


def decode_event(data: Any) -> ChainEvent:
    """One parsed JSON line -> its event. EventError says what is wrong with a known kind's fields."""
    if not isinstance(data, dict):
        raise EventError("not a JSON object")
    kind = data.get("type")
    if not isinstance(kind, str) or not kind:
        raise EventError("no event type")
    raw_t = data.get("t")
    try:
        t = None if raw_t is None else _time(raw_t)
    except EventError as exc:
        raise EventError(f"{kind} event: t {exc}") from None
    cls = KINDS.get(kind)
    if cls is None:
        return UnknownEvent(kind=kind, fields={k: v for k, v in data.items() if k not in _ENVELOPE}, t=t)
    values: dict[str, Any] = {"t": t}
    name = ""
    try:  # one try around the loop: replaying a log decodes every field of every line
        for name, load, required, absent in _PLANS[cls]:
            value = data.get(name)
            if value is not None:
                values[name] = load(value)
            elif required:
                raise EventError("is missing")
            else:
                values[name] = absent
    except EventError as exc:
        raise EventError(f"{kind} event: {name} {exc}") from None
    return cls(**values)  # type: ignore[return-value]


def encode_event(event: Event) -> dict[str, Any]:
    """The JSON object of one event (the `t` the registry set, the version, the kind, every field)."""
    if isinstance(event, UnknownEvent):
        raise ValueError(f"an event of unknown kind {event.kind!r} is never written")
    out: dict[str, Any] = {"v": EVENT_VERSION, "type": event.KIND}
    if event.t is not None:
        out["t"] = event.t.isoformat()
    for spec in _SCHEMAS[type(event)]:
        value = getattr(event, spec.name)
        out[spec.name] = None if value is None else spec.dump(value)
    return out
