"""`longrun workflow reinit`: run a workflow's failed, terminated and cancelled jobs again, and
everything downstream of them (with --force: every job).

Built on the service layer. A job to reset whose upstream jobs are all kept (done) is reinitialised
in place with Services.reinit (same chain, next attempt, submitted now). A job downstream of a
reset job must wait for it again, which a chain that already has links would not do: it gets a
new chain (same script, options and policy) that depends on the current upstream chains, and
its old chain, if still waiting, is cancelled so it can never start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.model.chain import ChainState, ChainStatus
from app.services import ActionRefused, Services
from app.workflows.run import WorkflowError, latest_chains

BUSY = (ChainState.RUNNING, ChainState.CONTINUING)


@dataclass(frozen=True)
class ReinitStep:
    job: str
    chain_id: str
    state: str  # the chain's state before the reinit
    action: str  # "reinit" (same chain, submitted now), "replace" (new chain, waits for upstream), "keep"
    why: str

    def to_json(self) -> dict[str, Any]:
        return {"job": self.job, "chain_id": self.chain_id, "state": self.state, "action": self.action, "why": self.why}


def plan_reinit(services: Services, workflow: str, force: bool) -> list[ReinitStep]:
    """What a reinit would do to each job of the workflow, in creation (dependency) order."""
    latest = latest_chains(services.registry, workflow)
    if not latest:
        raise WorkflowError(f"no workflow named {workflow} in your chains")
    by_id = {status.chain_id: name for name, status in latest.items()}
    failed = {name for name, st in latest.items() if st.state is ChainState.STOPPED}
    reset = set(latest) if force else _downstream(latest, by_id, failed)
    busy = [name for name in reset if latest[name].state in BUSY]
    if busy:
        raise WorkflowError(
            f"jobs {', '.join(sorted(busy))} of workflow {workflow} are still running: "
            "wait for them or cancel them first"
        )
    steps: list[ReinitStep] = []
    for name, status in latest.items():
        upstream = {by_id.get(dep) for dep in status.spec.depends_on}
        if name not in reset:
            steps.append(ReinitStep(name, status.chain_id, status.state.value, "keep", _keep_why(status)))
        elif upstream & reset or status.state is ChainState.WAITING:
            why = (
                "downstream of " + ", ".join(sorted(n for n in upstream & reset if n))
                if upstream & reset
                else "never started"
            )
            steps.append(ReinitStep(name, status.chain_id, status.state.value, "replace", why))
        else:
            why = "forced" if status.state is ChainState.DONE else (status.reason or "stopped")
            steps.append(ReinitStep(name, status.chain_id, status.state.value, "reinit", why))
    return steps


def _downstream(latest: dict[str, ChainStatus], by_id: dict[str, str], start: set[str]) -> set[str]:
    result = set(start)
    changed = True
    while changed:
        changed = False
        for name, status in latest.items():
            if name not in result and any(by_id.get(dep) in result for dep in status.spec.depends_on):
                result.add(name)
                changed = True
    return result


def _keep_why(status: ChainStatus) -> str:
    if status.state is ChainState.DONE:
        return "completed (use --force to run it again)"
    if status.state is ChainState.WAITING:
        return "waiting for its upstream jobs"
    return str(status.state.value).lower()


def apply_reinit(services: Services, workflow: str, steps: list[ReinitStep]) -> list[str]:
    """Carry out the steps: in-place reinits first (so no replaced chain sees a stale DONE upstream),
    then the replacement chains in dependency order. Returns one message per changed job."""
    messages: list[str] = []
    for step in steps:
        if step.action == "reinit":
            try:
                messages.append(f"{step.job}: {services.reinit(step.chain_id)}")
            except ActionRefused as exc:
                raise WorkflowError(f"{step.job}: {exc}") from None
    current = {step.chain_id: step.chain_id for step in steps}
    for step in steps:
        if step.action != "replace":
            continue
        registry = services.registry
        spec = registry.load_spec(step.chain_id)
        old = derive_status(services, step.chain_id)
        if old.state is ChainState.WAITING and not old.cancel_requested:
            services.cancel(step.chain_id)
        new_id, _job_id = services.submit(
            spec.script,
            spec.args,
            spec.sbatch_options,
            spec.policy,
            name=spec.name,
            workdir=spec.workdir,
            workflow=spec.workflow,
            depends_on=[current.get(dep, dep) for dep in spec.depends_on],
            env=registry.load_env(step.chain_id),
            script_sha256=spec.script_sha256,
        )
        current[step.chain_id] = new_id
        messages.append(f"{step.job}: new chain {new_id} (replaces {step.chain_id}); waits for its upstream jobs")
    services.nudge()
    return messages


def derive_status(services: Services, chain_id: str) -> ChainStatus:
    return services.registry.status(chain_id)
