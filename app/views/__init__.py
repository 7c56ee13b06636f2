"""The read model: what the CLI and the dashboard show, as plain frozen dataclasses.

Widgets import only this package (and app.model for its enums), never services, registry, slurm,
supervisor, workflows or diagnose: tests/unit/test_import_hygiene.py checks it. The pure
functions that project registry and Slurm records into these views are in app.views.projection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.model.chain import ChainState, SettingsChange
from app.model.economics import ChainEconomics
from app.model.exit_status import ExitStatus
from app.model.progress import Estimate
from app.model.states import JobState
from app.model.units import Duration, MemorySize
from app.model.usage import JobUsage, LiveMemory


@dataclass(frozen=True)
class LinkView:
    attempt: int
    job_id: str | None
    state: str
    submit: datetime | None
    start: datetime | None
    end: datetime | None
    elapsed: Duration | None
    time_limit: Duration | None
    exit_status: ExitStatus | None
    ending: str | None
    decision: str | None
    log_path: str | None  # the link's stdout file, resolved as Slurm does (app.explain.logpaths)
    stderr_path: str | None = None  # its stderr file when separate (-e); None: stderr is in log_path
    log_problem: str | None = None  # why log_path is None or only a guess (e.g. %N before the job starts)
    expected_start: datetime | None = None  # pending: when Slurm expects it to start (squeue --start)
    waiting_for: str | None = None  # pending: Slurm's reason and what it means (`Priority: other jobs come first`)
    # Set by chain_view for a link whose ending continued the chain: why it continued ("time
    # limit", "checkpointed (exit 75)") and the job id of the link that took over (None while
    # that link is being submitted).
    continued_because: str | None = None
    next_job_id: str | None = None
    successor_of: str | None = None  # a queued job that decides when this job id ends (in-Slurm continuation)


@dataclass(frozen=True)
class ChainView:
    chain_id: str
    name: str
    owner: str
    state: ChainState
    reason: str | None
    attempt: int
    max_restarts: int | None
    total_run_time: Duration
    time_left: Duration | None
    workflow: str | None
    links: tuple[LinkView, ...]
    read_only: bool
    superseded: bool = False  # a newer chain runs the same workflow job (workflow resubmitted, or reinit)
    restart_base: int = 0  # links before the last reinit: the restart budget counts from there
    archived: bool = False  # listed only by `status --archived`
    stopping: bool = False  # `longrun stop` sent the warning signal; no link follows the live one
    changes: tuple[SettingsChange, ...] = ()  # settings changed for later links (resubmit/reinit with options)
    economics: ChainEconomics | None = None  # per link and per chain: waits, efficiencies, core-hours
    progress: Estimate | None = None  # the newest progress, its rate and the chain's expected finish
    advice: tuple[str, ...] = ()  # waste (under 50 % CPU or memory efficiency) with the fix
    needs_attention: bool = False  # stopped and waiting for a person (not cancelled nor stopped by its owner)
    mode: str = "supervisor"  # "slurm": continued inside Slurm; "supervisor": by the login-node supervisor
    attention: str | None = None  # why a person is needed (stopped, not by its owner); None: nothing to do
    queued: tuple[LinkView, ...] = ()  # jobs queued after the last link (state PENDING): the next one decides

    @property
    def attempt_limit(self) -> int | None:
        """The highest attempt the budget allows (None: no limit); a reinit moves it up."""
        return None if self.max_restarts is None else self.restart_base + self.max_restarts + 1


@dataclass(frozen=True)
class SupervisorHealth:
    alive: bool
    heartbeat_age: float | None
    pid: int | None


@dataclass(frozen=True)
class DiagnosisResult:
    """A job's diagnosis as the dashboard shows it."""

    job_id: str
    title: str
    explanation: str
    evidence: tuple[str, ...]
    suggestion: str | None
    kind: str | None = None  # app.diagnose.DiagnosisKind value ("out_of_memory", "checkpointed", ...)
    fix_options: tuple[tuple[str, str], ...] = ()  # sbatch option -> value, as `explain --json` fix_options


@dataclass(frozen=True)
class StepView:
    """One row of the Steps pane: the job itself (`is_job`) or one of its steps, as sacct reports it."""

    step_id: str  # `123`, `123.batch`, `123.0`
    name: str
    state: JobState
    cancelled_by_uid: int | None
    exit_status: ExitStatus
    elapsed: Duration | None
    max_rss: MemorySize | None  # steps only: sacct leaves it empty on the job row
    max_rss_percent: int | None  # the step's peak per node (its tasks together) as a percentage of the request per node
    is_job: bool


@dataclass(frozen=True)
class FocusView:
    """The selected link's job: its rows for the Steps pane and its diagnosis."""

    job_id: str
    ended: bool  # a finished job's accounting and diagnosis no longer change
    requested_memory: MemorySize | None  # for the whole job (per-CPU requests multiplied out)
    rows: tuple[StepView, ...]  # the job row, then its steps in sacct's order
    diagnosis: DiagnosisResult | None
    usage: JobUsage | None = None  # efficiencies, peak and request per node (app/model/usage.py)
    live_memory: LiveMemory | None = None  # a running job: now / peak / requested per node (sstat)
    live_memory_problem: str | None = None  # why the live memory is not shown (another user's job...)


@dataclass(frozen=True)
class DashboardSnapshot:
    chains: tuple[ChainView, ...]
    focus: FocusView | None
    health: SupervisorHealth | None
    taken_at: datetime
    viewed_user: str | None
    cluster: str | None
    damaged: tuple[str, ...] = ()  # chains whose files could not be read: what is wrong with each
    notes: tuple[str, ...] = ()  # how the view was built: a colleague's registry (or chains) not readable, ...
