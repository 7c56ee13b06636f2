"""The text of an event log (events.jsonl) -> its typed events. Pure: the registry reads the bytes.

Every complete line is one event; a torn last line (a writer died mid-append: no newline) is
ignored; blank lines are skipped; anything else that is wrong is an EventLogError naming the line.
"""

from __future__ import annotations

import json

from app.registry.event_json import decode_event
from app.registry.events import ChainEvent, EventError


class EventLogError(ValueError):
    """A line of the log that is not an event; `str()` says which line and why."""


def parse_event_log(raw: bytes) -> list[ChainEvent]:
    if raw.endswith(b"\n"):
        events = _parse_whole(raw)
        if events is not None:
            return events
    lines = raw.split(b"\n")
    found: list[ChainEvent] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line.decode())
        except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError, nested too deep
            if number == len(lines):  # the last line has no newline: torn append
                break
            raise EventLogError(f"line {number} is not JSON") from None
        try:
            found.append(decode_event(data))
        except EventError as exc:
            raise EventLogError(f"line {number} is not an event: {exc}") from None
    return found


def _parse_whole(raw: bytes) -> list[ChainEvent] | None:
    """One parse for a whole intact log; None sends any doubt the careful way (exact line numbers)."""
    filled = [ln for ln in raw.split(b"\n") if ln.strip()]
    try:
        parsed = json.loads((b"[" + b",".join(filled) + b"]").decode())
        if not isinstance(parsed, list) or len(parsed) != len(filled):  # `{..},{..}` is not two events
            return None
        return [decode_event(item) for item in parsed]
    except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError, EventError
        return None
