"""A chain's policy: how it answers its links' endings (restarts, --grow-mem, no-progress guard,
retry rules), with the ranges every value is checked against whether it comes from `submit` or
from a stored spec.

Pure: no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from app.model.progress import ProgressPatternError, compile_progress_pattern
from app.model.units import MemorySize

DEFAULT_CONTINUE_EXIT_CODE = 75  # EX_TEMPFAIL: "checkpointed, continue"
DEFAULT_MIN_LINK_SECONDS = 60
DEFAULT_SHORT_LINKS_ALLOWED = 3

# Ranges of the policy's numbers: a value outside is refused at submit and makes a spec damaged.
MAX_RESTARTS_LIMIT = 1_000_000
MAX_GROW_MEM_FACTOR = 100.0
MAX_MEMORY_BYTES = 1 << 60  # 1 EiB
MAX_MIN_LINK_SECONDS = 366 * 86400
MAX_SHORT_LINKS_ALLOWED = 1000


class PolicyError(ValueError):
    """A policy value out of range or of the wrong type; `field` names the Policy field."""

    def __init__(self, field_name: str, problem: str) -> None:
        super().__init__(f"{field_name} {problem}")
        self.field = field_name
        self.problem = problem


@dataclass(frozen=True)
class RetryRule:
    """Resubmit after a failure with one of these exit codes (any non-zero one: `any_code`), at most
    `max_retries` times (a workflow's Torc failure handler)."""

    exit_codes: tuple[int, ...] = ()
    any_code: bool = False
    max_retries: int = 3

    def matches(self, code: int) -> bool:
        return code != 0 and (self.any_code or code in self.exit_codes)

    def to_json(self) -> dict[str, Any]:
        return {"exit_codes": list(self.exit_codes), "any_code": self.any_code, "max_retries": self.max_retries}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RetryRule:
        return cls(
            exit_codes=tuple(int(c) for c in data.get("exit_codes", ())),
            any_code=bool(data.get("any_code", False)),
            max_retries=int(data.get("max_retries", 3)),
        )


@dataclass(frozen=True)
class Policy:
    """How a chain answers its links' endings. Every value is checked when a Policy is made."""

    max_restarts: int | None = None  # resubmissions after the first link; None: no limit
    continue_exit_code: int = DEFAULT_CONTINUE_EXIT_CODE
    grow_mem_factor: float | None = None  # OOM: resubmit with memory x factor (up to the cap)
    grow_mem_cap: MemorySize | None = None
    resubmit_completed_early: bool = False  # COMPLETED right after the warning signal -> continue
    min_link_seconds: int = DEFAULT_MIN_LINK_SECONDS  # shorter continue-links count as "no progress"
    short_links_allowed: int = DEFAULT_SHORT_LINKS_ALLOWED  # consecutive short links before stopping
    progress_file: str | None = None  # a number or done/total; unchanged by a continue-link -> no progress
    progress_regex: str | None = None  # matched against the log's lines: groups `done` (and `total`)
    retry_rules: tuple[RetryRule, ...] = ()  # failures that are resubmitted (the first matching rule counts)

    def __post_init__(self) -> None:
        if self.max_restarts is not None:
            _whole("max_restarts", self.max_restarts, 0, MAX_RESTARTS_LIMIT)
        _whole("continue_exit_code", self.continue_exit_code, 1, 255)
        if self.grow_mem_factor is not None:
            factor = self.grow_mem_factor
            if isinstance(factor, bool) or not isinstance(factor, int | float) or not math.isfinite(factor):
                raise PolicyError("grow_mem_factor", f"must be a finite number, not {factor!r}")
            if not 1 < factor <= MAX_GROW_MEM_FACTOR:
                raise PolicyError("grow_mem_factor", f"must be more than 1 and at most {MAX_GROW_MEM_FACTOR:g}")
        if self.grow_mem_cap is not None:
            if not isinstance(self.grow_mem_cap, MemorySize):
                raise PolicyError("grow_mem_cap", f"must be a memory size, not {self.grow_mem_cap!r}")
            if not 0 < self.grow_mem_cap.bytes <= MAX_MEMORY_BYTES:
                limit = MemorySize(MAX_MEMORY_BYTES)
                raise PolicyError("grow_mem_cap", f"must be more than 0 and at most {limit}, not {self.grow_mem_cap}")
        if not isinstance(self.resubmit_completed_early, bool):
            raise PolicyError("resubmit_completed_early", "must be true or false")
        _whole("min_link_seconds", self.min_link_seconds, 0, MAX_MIN_LINK_SECONDS)
        _whole("short_links_allowed", self.short_links_allowed, 1, MAX_SHORT_LINKS_ALLOWED)
        if self.progress_file is not None and (
            not isinstance(self.progress_file, str) or not self.progress_file or "\0" in self.progress_file
        ):
            raise PolicyError("progress_file", f"must be a file name, not {self.progress_file!r}")
        if self.progress_regex is not None:
            if not isinstance(self.progress_regex, str):
                raise PolicyError("progress_regex", f"must be a regular expression, not {self.progress_regex!r}")
            try:
                compile_progress_pattern(self.progress_regex)
            except ProgressPatternError as exc:
                raise PolicyError("progress_regex", str(exc).removeprefix("--progress ")) from None
            if self.progress_file is not None:
                raise PolicyError("progress_regex", "and a progress file: give one of them (the log or a file)")

    def to_json(self) -> dict[str, Any]:
        return {
            "retry_rules": [rule.to_json() for rule in self.retry_rules],
            "max_restarts": self.max_restarts,
            "continue_exit_code": self.continue_exit_code,
            "grow_mem_factor": self.grow_mem_factor,
            "grow_mem_cap": self.grow_mem_cap.bytes if self.grow_mem_cap else None,
            "resubmit_completed_early": self.resubmit_completed_early,
            "min_link_seconds": self.min_link_seconds,
            "short_links_allowed": self.short_links_allowed,
            "progress_file": self.progress_file,
            "progress_regex": self.progress_regex,
        }

    @classmethod
    def from_json(cls, data: Any) -> Policy:
        """A stored policy; PolicyError for any value that is missing its type or out of range."""
        if not isinstance(data, dict):
            raise PolicyError("policy", f"must be a JSON object, not {data!r}")
        cap = data.get("grow_mem_cap")
        factor = data.get("grow_mem_factor")
        if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int)):
            raise PolicyError("grow_mem_cap", f"must be a number of bytes, not {cap!r}")
        return cls(
            max_restarts=data.get("max_restarts"),
            continue_exit_code=data.get("continue_exit_code", DEFAULT_CONTINUE_EXIT_CODE),
            grow_mem_factor=float(factor) if isinstance(factor, int) and not isinstance(factor, bool) else factor,
            grow_mem_cap=MemorySize(cap) if cap is not None else None,
            resubmit_completed_early=data.get("resubmit_completed_early", False),
            min_link_seconds=data.get("min_link_seconds", DEFAULT_MIN_LINK_SECONDS),
            short_links_allowed=data.get("short_links_allowed", DEFAULT_SHORT_LINKS_ALLOWED),
            progress_file=data.get("progress_file"),
            progress_regex=data.get("progress_regex"),
            retry_rules=tuple(RetryRule.from_json(dict(r)) for r in data.get("retry_rules") or ()),
        )


def _whole(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PolicyError(name, f"must be a whole number, not {value!r}")
    if not low <= value <= high:
        raise PolicyError(name, f"must be between {low} and {high:,}, not {value:,}")
