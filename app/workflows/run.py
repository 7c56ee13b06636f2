"""Running a checked workflow: one chain per job, created through the service layer, and its status.

A job's chain depends on the chains of the jobs it `depends_on` (ChainSpec.depends_on): the
supervisor submits its first link only when every upstream chain is DONE, and holds it with a
reason when one stops. No Slurm --dependency is used, so an upstream job that is resubmitted
(time-out, preemption) never leaves its dependents in DependencyNeverSatisfied.

The generated batch scripts live in the submitting user's registry (app/registry/scripts.py:
a new private directory per submission, files created without following symlinks), never in the
workflow's directory where a colleague could plant files; each chain records its script's sha256
and every link is checked against it. Job output goes to `<workflow dir>/logs/`, which must be
the user's own directory (a colleague's could redirect the output through symlinks).

The chains of a workflow are those whose spec says `workflow: <name>`; for each job the newest
chain counts (a reinit may replace a job's chain with a new one).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from app.model.chain import ChainSpec, ChainState, ChainStatus
from app.model.policy import DEFAULT_MIN_LINK_SECONDS, Policy
from app.model.sbatch_options import find_option
from app.model.sbatch_options import warning_seconds as signal_seconds
from app.registry import Registry, RegistryError
from app.registry.scripts import SCRIPTS_DIR, new_submission_dir, write_new
from app.services import ActionRefused, Services
from app.slurm.errors import SlurmUnavailable
from app.workflows.loader import slug
from app.workflows.sbatch import JobPlan, plan_job
from app.workflows.script import LOGS_DIR
from app.workflows.spec import Job, Workflow

ACTIVE = (ChainState.WAITING, ChainState.RUNNING, ChainState.CONTINUING)


class WorkflowError(Exception):
    """A workflow action that cannot be done; `str()` says why, for a person."""


@dataclass(frozen=True)
class ChainPlan:
    """One job as the chain it becomes."""

    job: Job
    plan: JobPlan
    script_path: Path
    options: tuple[str, ...]  # every sbatch option of its links (with --signal and --output)
    policy: Policy
    sha256: str | None = None  # of the script as written at submit (None: not written, a dry run)

    def to_json(self) -> dict[str, Any]:
        return {
            "job": self.job.name,
            "depends_on": list(self.job.depends_on),
            "command": self.job.command,
            "script": str(self.script_path),
            "sbatch_options": list(self.options),
            "supports_termination": self.job.supports_termination,
            "policy": self.policy.to_json(),
            "notes": list(self.plan.notes),
        }


def chain_policy(job: Job, plan: JobPlan) -> Policy:
    """supports_termination: continue after time-outs (the short-link guard scaled to the time limit);
    otherwise no resubmission at all, so a TIMEOUT (or preemption) stops the chain."""
    base = Policy(retry_rules=tuple(rule.retry for rule in job.failure_rules), progress_regex=job.progress,
                  progress_file=job.progress_file)  # fmt: skip
    if not job.supports_termination:
        return replace(base, max_restarts=0)
    warning = signal_seconds([f"--signal={plan.warning_signal}"]) or 60
    if plan.time_limit is None:
        return base
    useful = plan.time_limit.whole_minutes_up() * 60 - warning
    return replace(base, min_link_seconds=min(DEFAULT_MIN_LINK_SECONDS, max(5, useful // 3)))


def planned_dir(home: Path, workflow: Workflow) -> Path:
    """Where a dry run says the scripts would go (a real submit makes a new directory like it)."""
    return home / SCRIPTS_DIR / f"{workflow.slug}-<time>-<random>"


def plan_workflow(workflow: Workflow, scripts: Path) -> list[ChainPlan]:
    """The chains a submit would create, in dependency order, with their scripts in `scripts`."""
    plans: list[ChainPlan] = []
    for job in workflow.topological_order():
        plan = plan_job(workflow, job, scripts)
        options = list(plan.options)
        if find_option(options, "--output", "-o") is None:
            options.append(f"--output={default_output(workflow)}")
        if plan.warning_signal is not None:
            options.append(f"--signal={plan.warning_signal}")
        path = scripts / f"{job.slug}.sh"
        plans.append(ChainPlan(job, plan, path, tuple(options), chain_policy(job, plan)))
    return plans


# -- the chains of a workflow ------------------------------------------------------------------------
def job_name(workflow: str, spec: ChainSpec) -> str:
    prefix = f"{workflow}."
    return spec.name[len(prefix) :] if spec.name.startswith(prefix) else spec.name


def chain_name(workflow: Workflow, job: Job) -> str:
    """The chain's name: the workflow's and the job's names as written (status shows them)."""
    return f"{workflow.name}.{job.name}"


def latest_chains(registry: Registry, name: str) -> dict[str, ChainStatus]:
    """Job name -> the newest chain of that job in the workflow, in the order the jobs were first submitted.
    `name` is the workflow's name, or its Slurm-safe form (`Simple_Workflow` for `Simple Workflow`)."""
    found: dict[str, ChainStatus] = {}
    first: dict[str, str] = {}
    for status in registry.statuses().chains.values():
        spec = status.spec
        if spec.workflow is None or name not in (spec.workflow, slug(spec.workflow)):
            continue
        job = job_name(spec.workflow, spec)
        old = found.get(job)
        if old is None or status.spec.created_key >= old.spec.created_key:
            found[job] = status
        first[job] = min(first.get(job, status.spec.created_key), status.spec.created_key)
    return dict(sorted(found.items(), key=lambda item: (first[item[0]], item[0])))


# -- submit ------------------------------------------------------------------------------------------
@dataclass
class SubmitReport:
    submitted: list[tuple[str, str, str | None]] = field(default_factory=list)  # (job, chain id, job id)
    pending: list[str] = field(default_factory=list)  # roots kept for the supervisor (Slurm unreachable)


def own_logs_dir(path: Path) -> None:
    """The default output directory: made when missing; an existing one must be a real directory of
    this user that others cannot write to (sticky excepted): else a colleague could plant symlinks
    where Slurm writes the job's output, as this user."""
    try:
        os.mkdir(path, 0o755)
    except FileExistsError:
        pass
    except OSError as exc:
        raise WorkflowError(f"cannot create the log directory {path}: {exc.strerror}") from None
    info = os.lstat(path)
    mode = stat.S_IMODE(info.st_mode)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise WorkflowError(f"{path} is not a directory (a symlink?): job output would go elsewhere; remove it")
    if info.st_uid != os.geteuid():
        raise WorkflowError(
            f"{path} belongs to uid {info.st_uid}, not to you: its owner could redirect your jobs' output; "
            "remove it, or set --output in the scheduler's `extra`"
        )
    if mode & 0o002 and not mode & stat.S_ISVTX:
        raise WorkflowError(f"{path} is writable by everybody: chmod o-w it (or set --output in `extra`)")


def write_scripts(home: Path, workflow: Workflow) -> list[ChainPlan]:
    """The plans, each job's script written into a new private directory of the registry `home`
    (with its sha256). Refused (WorkflowError) when that cannot be done safely."""
    if any(
        find_option(list(p.options), "--output", "-o") == default_output(workflow)
        for p in plan_workflow(workflow, home)
    ):
        own_logs_dir(workflow.directory / LOGS_DIR)
    try:
        directory = new_submission_dir(home, workflow.slug)
        plans = plan_workflow(workflow, directory)
        return [replace(p, sha256=write_new(directory, p.script_path.name, p.plan.script)) for p in plans]
    except RegistryError as exc:
        raise WorkflowError(str(exc)) from None


def default_output(workflow: Workflow) -> str:
    return f"{workflow.directory / LOGS_DIR}/%x-%j.out"


def submit_workflow(services: Services, workflow: Workflow) -> SubmitReport:
    """Create one chain per job (upstream first); roots are submitted now, the rest wait.

    Refused while an earlier submission of a workflow with the same name is still active. When
    sbatch refuses a job, the chains created so far are cancelled and WorkflowError says why.
    """
    active = [
        name
        for name, st in latest_chains(services.registry, workflow.name).items()
        if st.state in ACTIVE and not st.cancel_requested
    ]
    if active:
        raise WorkflowError(
            f"workflow {workflow.name} is still active (jobs {', '.join(active)}): see "
            f"`longrun workflow status {workflow.name}`; cancel its chains or wait"
        )
    services.registry.ensure_dirs()
    plans = write_scripts(services.registry.home, workflow)
    report = SubmitReport()
    chain_ids: dict[str, str] = {}
    for plan in plans:
        try:
            chain_id, job_id = services.submit(
                str(plan.script_path),
                (),
                plan.options,
                plan.policy,
                name=chain_name(workflow, plan.job),
                workdir=str(workflow.directory),
                workflow=workflow.name,
                depends_on=[chain_ids[dep] for dep in plan.job.depends_on],
                script_sha256=plan.sha256,
            )
        except SlurmUnavailable:
            # The chain is kept: the supervisor submits it once Slurm answers.
            chain_id = _newest_chain_id(services.registry, workflow.name, plan.job.name)
            job_id = None
            report.pending.append(plan.job.name)
        except ActionRefused as exc:
            undone = _cancel_all(services, [cid for _job, cid, _jid in report.submitted])
            raise WorkflowError(f"job {plan.job.name} was not accepted: {exc}; {undone}") from None
        chain_ids[plan.job.name] = chain_id
        report.submitted.append((plan.job.name, chain_id, job_id))
    services.nudge()
    return report


def _newest_chain_id(registry: Registry, workflow: str, job: str) -> str:
    status = latest_chains(registry, workflow).get(job)
    if status is None:
        raise WorkflowError(f"job {job}: Slurm did not answer and no chain was kept")
    return status.chain_id


def _cancel_all(services: Services, chain_ids: list[str]) -> str:
    if not chain_ids:
        return "nothing was submitted"
    for chain_id in chain_ids:
        try:
            services.cancel(chain_id)
        except ActionRefused:
            pass
    return f"the {len(chain_ids)} chain(s) created before it were cancelled"


# -- status ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WorkflowRow:
    job: str
    chain_id: str
    state: str  # the chain's state: WAITING, RUNNING, CONTINUING, DONE, STOPPED
    attempt: int
    job_id: str | None  # the newest link's Slurm job id
    job_state: str | None  # the newest link's Slurm state (PENDING, RUNNING, TIMEOUT, ...)
    reason: str | None
    depends_on: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "chain_id": self.chain_id,
            "state": self.state,
            "attempt": self.attempt,
            "job_id": self.job_id,
            "job_state": self.job_state,
            "reason": self.reason,
            "depends_on": list(self.depends_on),
        }


def _short(reason: str | None, workflow: str | None) -> str | None:
    """A reason names upstream chains as `<workflow>.<job>`: within the workflow the job is enough."""
    return reason.replace(f"{workflow}.", "") if reason and workflow else reason


def workflow_rows(services: Services, workflow: str) -> list[WorkflowRow] | None:
    """One row per job of the workflow's newest chains (None: no such workflow), with live Slurm states."""
    latest = latest_chains(services.registry, workflow)
    if not latest:
        return None
    views = {view.chain_id: view for view in services.chains(services.viewer)}
    names = {status.chain_id: name for name, status in latest.items()}
    rows: list[WorkflowRow] = []
    for name, status in latest.items():
        view = views.get(status.chain_id)
        last = view.links[-1] if view is not None and view.links else None
        rows.append(
            WorkflowRow(
                job=name,
                chain_id=status.chain_id,
                state=(view.state if view else status.state).value,
                attempt=view.attempt if view else status.attempt,
                job_id=last.job_id if last else None,
                job_state=last.state if last else None,
                reason=_short(view.reason if view else status.reason, status.spec.workflow),
                depends_on=tuple(names.get(dep, dep) for dep in status.spec.depends_on),
            )
        )
    return rows
