"""Chains as data: what a person asked for (ChainSpec; its Policy is in app/model/policy.py) and
what happened (Link, ChainStatus, ChainState), and the comment tag that names a chain's jobs.

Pure: no I/O. The registry stores a ChainSpec as JSON and derives the links and the state from
the chain's event log (app/registry/derive.py); this module defines the shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from functools import cached_property
from typing import Any

from app.model.exit_status import ExitStatus
from app.model.policy import Policy
from app.model.sbatch_options import MemoryAsk
from app.model.units import Duration, MemorySize

COMMENT_PREFIX = "longrun:"

# How a chain goes on after a link ends (ChainSpec.mode):
MODE_SLURM = "slurm"  # inside Slurm: each link is queued with its successor, whose wrapper decides
MODE_SUPERVISOR = "supervisor"  # the login-node supervisor submits the next link
MODES = (MODE_SLURM, MODE_SUPERVISOR)
DECIDED_BY_SUPERVISOR = "supervisor"  # Link.decided_by when the login-node supervisor decided


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
    mode: str = MODE_SUPERVISOR  # MODES; specs written before modes existed are supervised
    launcher: str | None = None  # the Python (sys.executable at submit) that runs the link wrapper; None: no wrapper
    notify: tuple[str, ...] = ()  # argv run when the chain stops or finishes (no shell)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if self.mode == MODE_SLURM and not self.launcher:
            raise ValueError("a chain continued inside Slurm needs the launcher its wrapper runs with")

    @property
    def in_slurm(self) -> bool:
        """Links are queued with their successor and continue the chain without any longrun process."""
        return self.mode == MODE_SLURM

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
            "mode": self.mode,
            "launcher": self.launcher,
            "notify": list(self.notify),
        }

    @classmethod
    def from_json(cls, data: Any) -> ChainSpec:
        """A stored spec; ValueError (PolicyError for the policy) names the first field that is wrong."""
        if not isinstance(data, dict):
            raise ValueError("the spec is not a JSON object")
        created = _optional_text(data, "created")
        try:
            when = datetime.fromisoformat(created) if created else None
        except ValueError:
            raise ValueError(f"created must be an ISO time, not {created!r}") from None
        return cls(
            chain_id=_text(data, "chain_id"),
            name=_text(data, "name"),
            owner=_text(data, "owner"),
            script=_text(data, "script"),
            args=_texts(data, "args"),
            sbatch_options=_texts(data, "sbatch_options"),
            workdir=_optional_text(data, "workdir") or ".",
            policy=Policy.from_json(data.get("policy") or {}),
            created=when,
            workflow=_optional_text(data, "workflow"),
            depends_on=_texts(data, "depends_on"),
            script_sha256=_optional_text(data, "script_sha256"),
            mode=_optional_text(data, "mode") or MODE_SUPERVISOR,
            launcher=_optional_text(data, "launcher"),
            notify=_texts(data, "notify"),
        )


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise ValueError(f"{key} must be text, not {value!r}")
    return value


def _optional_text(data: dict[str, Any], key: str) -> str | None:
    return None if data.get(key) is None else _text(data, key)


def _texts(data: dict[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{key} must be a list of texts, not {value!r}")
    return tuple(value)


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
    decided_by: str | None = (
        None  # "job 1234" (the job queued after it, inside Slurm), "supervisor"; None: not recorded
    )
    options: tuple[str, ...] = ()  # extra sbatch options of this link (e.g. grown --mem)
    intent_at: datetime | None = None
    requested_memory: MemorySize | None = None  # from the observed end: what --grow-mem multiplies
    cancelled_by_uid: int | None = None
    progress_before: tuple[int, int] | None = None  # the progress file (mtime_ns, size) at submission
    done_before: float | None = None  # the chain's progress (units done) when this link was submitted
    oom_step: str | None = None  # from the observed end: a step OUT_OF_MEMORY under a job that ended otherwise
    memory_ask: MemoryAsk | None = None  # from the observed end: the memory option --grow-mem grows
    after: str | None = None  # queued with --dependency=afterany on this job (in-Slurm continuation)
    work_started: bool = False  # the wrapper recorded that it ran the script
    exited: ExitStatus | None = None  # the wrapper saw the script end (a marker; the end is sacct's)
    cancelled: bool = False  # scancel was sent for it

    @property
    def is_live(self) -> bool:
        """Submitted (or being submitted) and not known to have ended."""
        return not self.ended and self.state not in ("SUBMIT_FAILED", "REFUSED")

    @property
    def continued(self) -> bool:
        """Its ending was decided: the chain goes on."""
        return (self.decision or "").startswith("continue")

    def with_(self, **changes: Any) -> Link:
        return replace(self, **changes)


@dataclass(frozen=True)
class SettingsChange:
    """A person changed the chain's settings for its next links (`resubmit`/`reinit` with options)."""

    at: datetime | None
    by: str | None
    options: tuple[str, ...] = ()  # the sbatch options given: each replaces the chain's same option
    policy: tuple[tuple[str, Any], ...] = ()  # (Policy field, new value as JSON) for each changed field

    def describe(self) -> str:
        """`--mem=2G --time=2:00:00; max_restarts 10` as shown in a chain's history."""
        parts = [" ".join(self.options)] if self.options else []
        parts += [f"{name} {'none' if value is None else value}" for name, value in self.policy]
        return "; ".join(parts)


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
    unknown_kinds: tuple[str, ...] = ()  # event kinds of a newer longrun: shown, never acted on
    stop_requested_by: str | None = None  # `longrun stop`: checkpoint now and do not resubmit
    archived: bool = False  # left out of status and the dashboard (`status --archived` lists it)
    changes: tuple[SettingsChange, ...] = ()  # settings changed for later links; `spec` has them applied
    successors: tuple[Link, ...] = ()  # queued jobs that wait for the last link's end to decide (MODE_SLURM)
    known_jobs: frozenset[str] = frozenset()  # every job id the chain ever recorded (links, successors, withdrawn)
    notified: int = 0  # the attempt whose final decision the --notify command already ran for

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
    def undecided_link(self) -> Link | None:
        """The last link when its end is recorded but no decision followed (a writer died in between)."""
        last = self.links[-1] if self.links else None
        if last is None or not last.ended or last.decision is not None or last.state in ("SUBMIT_FAILED", "REFUSED"):
            return None
        return last

    @cached_property
    def settled(self) -> bool:
        """Nothing can change it without a person (or a newer longrun): final, nothing live, queued or undecided."""
        return (
            self.state.is_final
            and self.live_link is None
            and self.undecided_link is None
            and not self.successors
            and not self.unknown_kinds
        )

    @property
    def stale_successors(self) -> tuple[Link, ...]:
        """Queued successors that must never run the work: the chain stopped or was cancelled."""
        if self.cancel_requested or self.state.is_final:
            return self.successors
        return ()

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
