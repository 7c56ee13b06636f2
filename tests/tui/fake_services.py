"""A fake service layer for the dashboard's Pilot and snapshot tests, built from REAL captured Slurm output.

FakeServices implements app.services.api.ChainService (mypy checks it, see the end of this file).

The accounting records are parsed (by the project's own sacct parser) from captures of the test
cluster: tests/captures/sacct_scenarios.txt and, for the out-of-memory and time-limit endings,
tests/captures/endings/{oom,timeout}.sacct.txt with their real logs; the selected job's steps and
diagnosis go through the real projection and the explain pipeline (app.explain.focus, without
scontrol; the fake's chains name each link's log with `-o`, as a registry would), as in
app.services.reading. The chains around them are
what the supervisor would have recorded for such links; the logs of the still running links
(tests/tui/data/) are written by hand, as no capture of a running training exists. The clock is
fixed, so screens are deterministic. Nothing here calls Slurm.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.explain.focus import FocusExplainer
from app.explain.gather import ChainLink
from app.explain.logpaths import LogPath, LogPaths
from app.model.chain import ChainSpec, ChainState, ChainStatus, Link
from app.model.units import Duration
from app.registry import Registry
from app.services import ActionRefused
from app.services.api import ChainService
from app.slurm.errors import SlurmUnavailable
from app.slurm.records import ControllerJob, JobAccounting
from app.views import ChainView, DashboardSnapshot, DiagnosisResult, FocusView, LinkView, SupervisorHealth
from app.views.projection import chain_view, focus_view, needs_attention, with_continuations
from app.workflows.reinit import ReinitStep
from tests.captures import parse_sacct_capture

CAPTURES = Path(__file__).resolve().parents[1] / "captures"
ENDINGS = CAPTURES / "endings"
DATA = Path(__file__).resolve().parent / "data"
LOG_SOURCES = {
    "timeout.log": ENDINGS / "timeout.log",
    "oom.log": ENDINGS / "oom.log",
    "train-2.out": DATA / "train-2.out",
    "fit-1.out": DATA / "fit-1.out",
}
CHECKPOINT_CHAIN = DATA / "checkpoint_chain"  # a real chain of three exit-75 links and a last one (README.md)
LOG_SOURCES.update({path.name: path for path in sorted(CHECKPOINT_CHAIN.glob("train-*.out"))})
FIXED_NOW = datetime(2026, 11, 22, 1, 54, 0, tzinfo=UTC)  # the captured jobs ran 01:39-01:53 UTC that night


def captured_jobs() -> dict[str, JobAccounting]:
    """The captured jobs, keyed by job NAME (ids change each capture run)."""
    names = ["sacct_scenarios.txt", "endings/oom.sacct.txt", "endings/timeout.sacct.txt"]
    return {acct.job.name: acct for name in names for acct in parse_sacct_capture(name).values()}


def checkpoint_jobs() -> dict[str, JobAccounting]:
    """The captured checkpointing chain's jobs, by job id."""
    return dict(parse_sacct_capture("../tui/data/checkpoint_chain/sacct.txt"))


def checkpoint_chain(home: Path, log_dir: Path | None = None, owner: str = "alice") -> ChainView:
    """The captured checkpointing chain `sweep[lr=3e-4]`, read by the registry from its recorded
    files (copied into `home`) and projected by the real projection. Logs from `log_dir` when given."""
    spec = json.loads((CHECKPOINT_CHAIN / "spec.json").read_text())
    spec["spec"]["owner"] = owner
    chain_id = spec["spec"]["chain_id"]
    registry = Registry(home)
    registry.ensure_dirs()
    chain_dir = registry.chain_dir(chain_id)
    chain_dir.mkdir(parents=True, exist_ok=True)
    (chain_dir / "spec.json").write_text(json.dumps(spec))
    shutil.copyfile(CHECKPOINT_CHAIN / "events.jsonl", chain_dir / "events.jsonl")
    status = registry.status(chain_id)
    logs = log_dir or CHECKPOINT_CHAIN
    # as the script's `#SBATCH --output=.../train-%j.out` named them (the script is not kept here)
    paths = {link.job_id: LogPaths(LogPath(str(logs / f"train-{link.job_id}.out"), "#SBATCH"))
             for link in status.links if link.job_id}  # fmt: skip
    return chain_view(status, {}, read_only=False, log_paths=paths)


def link_from(
    acct: JobAccounting, attempt: int, ending: str | None, decision: str | None, log: Path | None = None
) -> LinkView:
    job = acct.job
    return LinkView(
        attempt=attempt,
        job_id=job.job_id,
        state=job.state.value,
        submit=job.submit,
        start=job.start,
        end=job.end,
        elapsed=job.elapsed,
        time_limit=job.time_limit,
        exit_status=job.exit_status if job.state.is_terminal else None,
        ending=ending,
        decision=decision,
        log_path=str(log) if log else None,
    )


def sample_chains(owner: str = "alice", log_dir: Path | None = None) -> tuple[ChainView, ...]:
    """Seven chains over the captured jobs: running, stopped by OOM and by exit 3, done, a workflow.

    Logs are read where they are kept, or from `log_dir` (a copy at a fixed path, for snapshots).
    """
    jobs = captured_jobs()
    timeout, running, oom = jobs["lrx-timeout"], jobs["lrcap-running"], jobs["lrx-oom"]

    def log(name: str) -> Path:
        return (log_dir / name) if log_dir is not None else LOG_SOURCES[name]

    done, exit3, pipe = jobs["lrcap-completed"], jobs["lrcap-exit3"], jobs["lrcap|pipe|name"]
    pending = jobs["lrcap-pending"]

    def chain(
        cid: str,
        name: str,
        state: ChainState,
        reason: str | None,
        links: tuple[LinkView, ...],
        max_restarts: int | None = 5,
        workflow: str | None = None,
        left: int | None = None,
    ) -> ChainView:
        links = with_continuations(links)
        total = sum(lk.elapsed.seconds for lk in links if lk.elapsed)
        return ChainView(cid, name, owner, state, reason, len(links), max_restarts, Duration(total),
                         Duration(left) if left is not None else None, workflow, links, read_only=False,
                         needs_attention=needs_attention(state, False, links[-1] if links else None))  # fmt: skip

    return (
        chain("c-train", "train-resnet", ChainState.RUNNING, None, (
            link_from(timeout, 1, "TIMEOUT", "continue: time limit", log("timeout.log")),
            link_from(running, 2, None, None, log("train-2.out")),
        ), left=508),
        chain("c-prep", "preprocess", ChainState.STOPPED, "out of memory (requested 200M)", (
            link_from(oom, 1, "OUT_OF_MEMORY", "needs_person: out of memory (requested 200M)", log("oom.log")),
        )),
        chain("c-exit", "bad-config", ChainState.STOPPED, "failed with exit code 3", (
            link_from(exit3, 1, "exit 3", "needs_person: failed with exit code 3", None),
        ), max_restarts=None),
        chain("c-eval", "eval", ChainState.DONE, None, (link_from(done, 1, "COMPLETED", "finished: completed"),)),
        chain("c-fetch", "fetch|data", ChainState.DONE, None, (link_from(pipe, 1, "COMPLETED", "finished: completed"),),
              workflow="pipeline"),
        chain("c-fit", "fit", ChainState.RUNNING, None, (link_from(pending, 1, None, None, log("fit-1.out")),),
              workflow="pipeline"),
        chain("c-report", "report", ChainState.WAITING, "waiting for fit", (), workflow="pipeline"),
    )  # fmt: skip


@dataclass
class FakeServices:
    """The Services API over fixed chains; records every call; can pretend Slurm is down."""

    chains: tuple[ChainView, ...] = field(default_factory=sample_chains)
    viewer: str = "alice"
    accounting: dict[str, JobAccounting] = field(
        default_factory=lambda: {a.job_id: a for a in captured_jobs().values()} | checkpoint_jobs()
    )
    health: SupervisorHealth | None = field(default_factory=lambda: SupervisorHealth(True, 3.0, 4242))
    cluster: str | None = "longrun-test"
    now: datetime = FIXED_NOW
    down: bool = False
    damaged: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # how the view was built (DashboardSnapshot.notes)
    diagnosis: DiagnosisResult | None = None  # given: every selected job's diagnosis (else the real one)
    calls: list[tuple[object, ...]] = field(default_factory=list)
    gate: threading.Event | None = None  # given: each snapshot waits until it is set (a slow Slurm)

    def __post_init__(self) -> None:
        self.explainer = FocusExplainer(None, find=self.find_chain)

    def snapshot(self, user: str | None, focus_job_id: str | None = None) -> DashboardSnapshot:
        self.calls.append(("snapshot", user, focus_job_id))
        if self.gate is not None:
            self.gate.wait(timeout=60)
        if self.down:
            raise SlurmUnavailable("sacct: error: Problem talking to the database: Connection refused")
        shown = tuple(
            replace(c, read_only=c.owner != self.viewer) for c in self.chains if user is None or c.owner == user
        )
        acct = self.accounting.get(focus_job_id) if focus_job_id else None
        focus: FocusView | None = None
        if acct is not None:
            focus = focus_view(acct, self.diagnosis or self.explainer.diagnosis(acct))
        return DashboardSnapshot(shown, focus, self.health, self.now, user, self.cluster, self.damaged, self.notes)

    def _act(self, name: str, chain_id: str, *extra: object, job_id: str | None = None) -> str:
        self.calls.append((name, chain_id, *extra))
        chain = next((c for c in self.chains if c.chain_id == chain_id), None)
        if chain is None:
            raise ActionRefused(f"no chain {chain_id}")
        if chain.owner != self.viewer:
            raise ActionRefused(f"chain {chain_id} belongs to {chain.owner}: you can only watch it")
        live = chain.links[-1].job_id if chain.links else None
        if job_id is not None and live is not None and live != job_id:  # as app.services.actions refuses
            raise ActionRefused(f"the chain moved on to job {live} (you chose job {job_id}): nothing was sent")
        return f"{name} {chain_id}: done"

    def cancel(self, chain_id: str, job_id: str | None = None) -> str:
        return self._act("cancel", chain_id, *_given(job_id=job_id), job_id=job_id)

    def signal(self, chain_id: str, signal: str, full: bool = False, job_id: str | None = None) -> str:
        return self._act("signal", chain_id, signal, full, *_given(job_id=job_id), job_id=job_id)

    def stop(self, chain_id: str, job_id: str | None = None) -> str:
        return self._act("stop", chain_id, *_given(job_id=job_id), job_id=job_id)

    def resubmit(self, chain_id: str, options: Sequence[str] = (), policy: Mapping[str, Any] | None = None) -> str:
        return self._act("resubmit", chain_id, *_given(options=tuple(options), policy=policy))

    def reinit(self, chain_id: str, options: Sequence[str] = (), policy: Mapping[str, Any] | None = None) -> str:
        return self._act("reinit", chain_id, *_given(options=tuple(options), policy=policy))

    def suggested_options(self, chain_id: str) -> tuple[str, ...]:
        self.calls.append(("suggested_options", chain_id))
        return ("--mem=256M",)

    def archive(self, chain_id: str) -> str:
        return self._act("archive", chain_id)

    def can_act(self, chain: ChainView) -> bool:
        return chain.owner == self.viewer and not chain.read_only

    def workflow_reinit_plan(self, workflow: str) -> list[ReinitStep]:
        """Stopped jobs run again, waiting ones get new chains, the rest is kept (the real rules are
        tested with app.workflows.reinit against the test cluster)."""
        self.calls.append(("workflow_reinit_plan", workflow))
        members = [c for c in self.chains if c.workflow == workflow]
        if not members:
            raise ActionRefused(f"no workflow named {workflow} in your chains")
        action = {ChainState.STOPPED: "reinit", ChainState.WAITING: "replace"}
        return [ReinitStep(c.name, c.chain_id, c.state.value, action.get(c.state, "keep"), c.reason or "")
                for c in members]  # fmt: skip

    def reinit_workflow(self, workflow: str) -> str:
        self.calls.append(("reinit_workflow", workflow))
        return f"workflow {workflow}: done"

    def find_chain(self, accounting: JobAccounting | None, controller: ControllerJob | None) -> ChainLink | None:
        """The explain pipeline's chain lookup (the registry's role): a link's chain with `-o` its log."""
        job_id = accounting.job_id if accounting else (controller.job_id if controller else None)
        for chain in self.chains:
            for link in chain.links:
                if link.job_id == job_id and link.log_path:
                    options = ("-o", link.log_path)
                    spec = ChainSpec(chain.chain_id, chain.name, chain.owner, "/nonexistent/job.sh",
                                     sbatch_options=options, workdir="/nonexistent")  # fmt: skip
                    status = ChainStatus(spec, chain.state, chain.reason, (Link(link.attempt, link.job_id),))
                    return ChainLink(status, status.links[0])
        return None

    def actions(self) -> list[tuple[object, ...]]:
        """The calls that act on a chain (not the reads: snapshots, suggested options)."""
        return [c for c in self.calls if c[0] not in ("snapshot", "suggested_options")]


def _given(**values: object) -> list[tuple[str, object]]:
    """The optional arguments a call was given (recorded only when given, so older expectations hold)."""
    return [(name, value) for name, value in values.items() if value]


def _implements_the_service_api(fake: FakeServices) -> ChainService:
    return fake  # mypy fails here when the fake and the protocol drift apart
