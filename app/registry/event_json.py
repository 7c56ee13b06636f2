"""The ONE encoder and ONE decoder of chain events as JSON (a line of a chain's events.jsonl).

A line is one JSON object: `{"v": 1, "t": ISO time, "type": KIND, ...fields}`. The decoder checks
every field against the type its dataclass in app/registry/events.py declares (the annotation names
a codec below), so a damaged line becomes an EventError naming the field, never a value of the
wrong type further on. A kind this version does not know becomes an UnknownEvent that keeps its
kind and fields: it is reported and never makes the chain unreadable.

Pure: no I/O (the registry reads and appends the lines).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.model.exit_status import ExitStatus, ExitStatusParseError
from app.model.outcome import LinkOutcome
from app.model.policy import Policy, PolicyError
from app.model.states import JobState
from app.registry.events import EVENT_VERSION, KINDS, ChainEvent, Event, EventError, UnknownEvent

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
