"""Chains as data: what a person asked for (ChainSpec + Policy) and what happened (Link, ChainState).

Pure: no I/O. The registry stores a ChainSpec as JSON and derives the links and the state from
the chain's event log (app/registry/derive.py); this module only defines the shapes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import Any

from app.model.exit_status import ExitStatus
from app.model.units import Duration, MemorySize

DEFAULT_CONTINUE_EXIT_CODE = 75  # EX_TEMPFAIL: "checkpointed, continue"
DEFAULT_MIN_LINK_SECONDS = 60
DEFAULT_SHORT_LINKS_ALLOWED = 3
COMMENT_PREFIX = "longrun:"


class ChainState(Enum):
    """Where a chain is; derived from its spec and events, never stored."""

    WAITING = "WAITING"  # held for upstream chains, or first link not submitted yet
    RUNNING = "RUNNING"  # a live link is pending or running
    CONTINUING = "CONTINUING"  # between links: the next one is about to be submitted
    DONE = "DONE"
    STOPPED = "STOPPED"  # needs a person; see the reason

    @property
    def is_final(self) -> bool:
        return self in (ChainState.DONE, ChainState.STOPPED)


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
    """How a chain answers its links' endings."""

    max_restarts: int | None = None  # resubmissions after the first link; None: no limit
    continue_exit_code: int = DEFAULT_CONTINUE_EXIT_CODE
    grow_mem_factor: float | None = None  # OOM: resubmit with memory x factor (up to the cap)
    grow_mem_cap: MemorySize | None = None
    resubmit_completed_early: bool = False  # COMPLETED right after the warning signal -> continue
    min_link_seconds: int = DEFAULT_MIN_LINK_SECONDS  # shorter continue-links count as "no progress"
    short_links_allowed: int = DEFAULT_SHORT_LINKS_ALLOWED  # consecutive short links before stopping
    progress_file: str | None = None  # unchanged after a link that should continue -> no progress
    retry_rules: tuple[RetryRule, ...] = ()  # failures that are resubmitted (the first matching rule counts)

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
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Policy:
        cap = data.get("grow_mem_cap")
        return cls(
            max_restarts=data.get("max_restarts"),
            continue_exit_code=int(data.get("continue_exit_code", DEFAULT_CONTINUE_EXIT_CODE)),
            grow_mem_factor=data.get("grow_mem_factor"),
            grow_mem_cap=MemorySize(int(cap)) if cap is not None else None,
            resubmit_completed_early=bool(data.get("resubmit_completed_early", False)),
            min_link_seconds=int(data.get("min_link_seconds", DEFAULT_MIN_LINK_SECONDS)),
            short_links_allowed=int(data.get("short_links_allowed", DEFAULT_SHORT_LINKS_ALLOWED)),
            progress_file=data.get("progress_file"),
            retry_rules=tuple(RetryRule.from_json(dict(r)) for r in data.get("retry_rules") or ()),
        )


@dataclass(frozen=True)
class ChainSpec:
    """One logical long run: the script, its sbatch options and the policy."""

    chain_id: str
    name: str
    owner: str
    script: str  # absolute path
    args: tuple[str, ...] = ()
    sbatch_options: tuple[str, ...] = ()
    workdir: str = "."
    policy: Policy = field(default_factory=Policy)
    created: datetime | None = None
    workflow: str | None = None
    depends_on: tuple[str, ...] = ()  # chain ids that must be DONE before the first link
    script_sha256: str | None = None  # every link runs exactly this script (checked before each sbatch)

    @property
    def created_key(self) -> str:
        """Orders chains by creation (ISO text sorts as time; a chain without a date comes first)."""
        return self.created.isoformat() if self.created else ""

    def to_json(self) -> dict[str, Any]:
        return {
            "chain_id": self.chain_id,
            "name": self.name,
            "owner": self.owner,
            "script": self.script,
            "args": list(self.args),
            "sbatch_options": list(self.sbatch_options),
            "workdir": self.workdir,
            "policy": self.policy.to_json(),
            "created": self.created.isoformat() if self.created else None,
            "workflow": self.workflow,
            "depends_on": list(self.depends_on),
            "script_sha256": self.script_sha256,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChainSpec:
        created = data.get("created")
        return cls(
            chain_id=str(data["chain_id"]),
            name=str(data["name"]),
            owner=str(data["owner"]),
            script=str(data["script"]),
            args=tuple(str(a) for a in data.get("args", ())),
            sbatch_options=tuple(str(o) for o in data.get("sbatch_options", ())),
            workdir=str(data.get("workdir", ".")),
            policy=Policy.from_json(dict(data.get("policy") or {})),
            created=datetime.fromisoformat(created) if created else None,
            workflow=data.get("workflow"),
            depends_on=tuple(str(d) for d in data.get("depends_on", ())),
            script_sha256=data.get("script_sha256"),
        )

    def option_value(self, *names: str) -> str | None:
        """The last value of an sbatch option given as `--name=V`, `--name V` or `-x V`."""
        return find_option(self.sbatch_options, *names)


def find_option(options: tuple[str, ...] | list[str], *names: str) -> str | None:
    value: str | None = None
    opts = list(options)
    for i, opt in enumerate(opts):
        for name in names:
            if opt.startswith(name + "="):
                value = opt[len(name) + 1 :]
            elif opt == name and i + 1 < len(opts):
                value = opts[i + 1]
            elif len(name) == 2 and not name.startswith("--") and opt.startswith(name) and len(opt) > 2:
                value = opt[2:]
    return value


_SIGNAL_RE = re.compile(r"^(?:[BR]+:)?[A-Z0-9]+(?:@(\d+))?$", re.IGNORECASE)


def warning_seconds(options: tuple[str, ...] | list[str]) -> int | None:
    """Seconds before the time limit that `--signal` asks for (60 when no @N); None without --signal."""
    value = find_option(options, "--signal")
    if value is None:
        return None
    match = _SIGNAL_RE.match(value)
    if not match:
        return None
    return int(match.group(1)) if match.group(1) else 60


@dataclass(frozen=True)
class Link:
    """One Slurm job submitted for a chain, as far as the event log knows it."""

    attempt: int
    job_id: str | None = None  # None: submission intended, job id not recorded (yet)
    state: str = "SUBMITTING"  # a JobState name, or SUBMITTING / SUBMIT_FAILED
    ended: bool = False
    exit_status: ExitStatus | None = None
    submit: datetime | None = None
    start: datetime | None = None
    end: datetime | None = None
    elapsed: Duration | None = None
    time_limit: Duration | None = None
    ending: str | None = None  # "TIMEOUT", "exit 75", ...
    decision: str | None = None  # "continue: time limit", "stop: out of memory", ...
    options: tuple[str, ...] = ()  # extra sbatch options of this link (e.g. grown --mem)
    intent_at: datetime | None = None

    @property
    def is_live(self) -> bool:
        """Submitted (or being submitted) and not known to have ended."""
        return not self.ended and self.state != "SUBMIT_FAILED"

    def with_(self, **changes: Any) -> Link:
        return replace(self, **changes)


@dataclass(frozen=True)
class ChainStatus:
    """A chain's derived state: the result of replaying its events over its spec."""

    spec: ChainSpec
    state: ChainState
    reason: str | None
    links: tuple[Link, ...]
    restart_base: int = 0  # links before the last reinit (the budget counts from here)
    cancel_requested: bool = False
    extra_link_allowed: bool = False  # a person asked for one more link (resubmit)
    next_options: tuple[str, ...] = ()  # extra sbatch options for the next link (grown memory)

    @property
    def chain_id(self) -> str:
        return self.spec.chain_id

    @property
    def attempt(self) -> int:
        return self.links[-1].attempt if self.links else 0

    @property
    def live_link(self) -> Link | None:
        last = self.links[-1] if self.links else None
        return last if last is not None and last.is_live else None

    @property
    def restarts_used(self) -> int:
        """Resubmissions since the last reinit (the first link after a reinit is not a restart)."""
        return max(0, len(self.links) - self.restart_base - 1)

    @property
    def first_job_id(self) -> str | None:
        for link in self.links:
            if link.job_id:
                return link.job_id
        return None


def comment_tag(chain_id: str, attempt: int) -> str:
    """The job comment that ties a Slurm job to its chain and attempt, so Slurm alone can find it."""
    return f"{COMMENT_PREFIX}{chain_id}:{attempt}"


def parse_comment_tag(comment: str | None) -> tuple[str, int] | None:
    if not comment or not comment.startswith(COMMENT_PREFIX):
        return None
    parts = comment[len(COMMENT_PREFIX) :].split(":")
    if len(parts) != 2 or not parts[1].isdigit():
        return None
    return parts[0], int(parts[1])
