"""Test helper: append an event written as its JSON fields (as events.jsonl holds them).

It goes through the decoder and the registry's one writer, so a test's event is checked like
any line on disk.
"""

from __future__ import annotations

from typing import Any

from app.registry import Registry
from app.registry.event_json import decode_event


def record(reg: Registry, chain_id: str, kind: str, **fields: Any) -> None:
    reg.append(chain_id, decode_event({"type": kind, **fields}))
