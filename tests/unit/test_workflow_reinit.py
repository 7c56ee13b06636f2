"""Which chains a workflow reinit resets, from registry state alone (no Slurm call is made)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.model.chain import ChainSpec
from app.registry import Registry
from app.services import Services
from app.slurm.client import SlurmClient
from app.workflows.reinit import plan_reinit
from app.workflows.run import WorkflowError, latest_chains
from tests.events import record

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def chain(reg: Registry, job: str, state: str, deps: tuple[str, ...] = (), order: int = 0) -> None:
    """A chain of workflow `wf` for `job` (chain id = job name) that ended in `state`."""
    spec = ChainSpec(
        chain_id=job,
        name=f"wf.{job}",
        owner="alice",
        script="/x/job.sh",
        workdir="/x",
        workflow="wf",
        depends_on=deps,
        created=T0 + timedelta(seconds=order),
    )
    reg.create_chain(spec)
    if state == "WAITING":
        return
    record(reg, job, "submit_intent", attempt=1)
    record(reg, job, "submitted", attempt=1, job_id=f"{order + 100}")
    if state == "RUNNING":
        return
    outcome = {"DONE": "finished", "STOPPED": "needs_person", "CANCELLED": "cancelled"}[state]
    record(reg, job, "observed_end", attempt=1, job_id=f"{order + 100}", state="FAILED", exit="3:0")
    record(reg, job, "decision", attempt=1, outcome=outcome, reason="failed with exit code 3")


@pytest.fixture
def services(tmp_path: Path) -> Services:
    return Services(viewer="alice", slurm=SlurmClient(), home=tmp_path)


def diamond(reg: Registry, b_state: str = "STOPPED", e_state: str = "DONE") -> None:
    """a -> b -> c -> e, a -> d; b failed, c held, d done, e (downstream of c) in e_state."""
    chain(reg, "a", "DONE", order=0)
    chain(reg, "b", b_state, ("a",), order=1)
    chain(reg, "c", "WAITING", ("b",), order=2)
    chain(reg, "d", "DONE", ("a",), order=3)
    chain(reg, "e", e_state, ("c",), order=4)


def test_failed_job_and_everything_downstream(services: Services) -> None:
    diamond(services.registry)
    steps = {s.job: s.action for s in plan_reinit(services, "wf", force=False)}
    assert steps == {"a": "keep", "b": "reinit", "c": "replace", "d": "keep", "e": "replace"}
    assert services.slurm.calls == 0


def test_force_resets_completed_jobs_too(services: Services) -> None:
    diamond(services.registry)
    steps = {s.job: s.action for s in plan_reinit(services, "wf", force=True)}
    assert steps == {"a": "reinit", "b": "replace", "c": "replace", "d": "replace", "e": "replace"}


def test_nothing_failed_keeps_everything(services: Services) -> None:
    chain(services.registry, "a", "DONE")
    chain(services.registry, "b", "DONE", ("a",), order=1)
    assert {s.action for s in plan_reinit(services, "wf", force=False)} == {"keep"}


def test_running_jobs_in_the_reset_set_are_refused(services: Services) -> None:
    chain(services.registry, "a", "RUNNING")
    chain(services.registry, "b", "WAITING", ("a",), order=1)
    with pytest.raises(WorkflowError, match="still running"):
        plan_reinit(services, "wf", force=True)


def test_unknown_workflow(services: Services) -> None:
    with pytest.raises(WorkflowError, match="no workflow named nope"):
        plan_reinit(services, "nope", force=False)


def test_the_newest_chain_of_a_job_counts(services: Services) -> None:
    reg = services.registry
    chain(reg, "b", "STOPPED", order=1)
    spec = ChainSpec(
        chain_id="b2",
        name="wf.b",
        owner="alice",
        script="/x/job.sh",
        workdir="/x",
        workflow="wf",
        created=T0 + timedelta(seconds=10),
    )
    reg.create_chain(spec)
    chain(reg, "a", "DONE", order=0)
    latest = latest_chains(reg, "wf")
    assert list(latest) == ["a", "b"]  # in the order the jobs were first submitted
    assert latest["b"].chain_id == "b2"
