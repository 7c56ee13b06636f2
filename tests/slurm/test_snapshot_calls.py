"""How many Slurm calls one dashboard refresh (Services.snapshot) makes, counted on the real cluster.

What app/services/reading.py promises: one batched sacct for the live links and the selected job
(none when there is neither); for a colleague whose registry cannot be read, or for everybody,
also one sacct over the accounting window and one squeue: three at most. The selected job's
diagnosis adds one `scontrol show job` until the controller's record of it is final.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.model.chain import ChainSpec
from app.model.policy import Policy
from app.registry import Registry
from app.services import Services, discovery
from app.slurm.client import SlurmClient
from tests.conftest import run_as, wait_until, write_script
from tests.events import record

NEVER_A_JOB = "99999901"  # an id this cluster never handed out: sacct answers it with nothing
ENDED_JOB = "99999902"


def registry_with_chains(home: Path, owner: str) -> Registry:
    """One chain with a live link, one whose only link ended."""
    reg = Registry(home)
    for chain_id, job_id, ended in (("live", NEVER_A_JOB, False), ("over", ENDED_JOB, True)):
        reg.create_chain(ChainSpec(chain_id=chain_id, name=chain_id, owner=owner, script="/x/job.sh", workdir="/x",
                                   policy=Policy(), created=datetime(2026, 1, 1, tzinfo=UTC)))  # fmt: skip
        record(reg, chain_id, "submit_intent", attempt=1)
        record(reg, chain_id, "submitted", attempt=1, job_id=job_id)
        if ended:
            record(reg, chain_id, "observed_end", attempt=1, job_id=job_id, state="FAILED", exit="3:0", elapsed=5)
            record(reg, chain_id, "decision", attempt=1, outcome="needs_person", reason="failed with exit code 3")
    return reg


def calls_of(services: Services, user: str | None, focus: str | None = None) -> int:
    before = services.slurm.calls
    services.snapshot(user, focus)
    return services.slurm.calls - before


def test_own_view_makes_one_batched_sacct_or_none(tmp_path: Path) -> None:
    registry_with_chains(tmp_path, "alice")
    services = Services(viewer="alice", slurm=SlurmClient(), home=tmp_path)
    assert calls_of(services, "alice") == 1, "the live link's accounting"
    assert calls_of(services, "alice", focus=ENDED_JOB) == 1, "the selected job rides in the same sacct"
    quiet = Services(viewer="alice", slurm=SlurmClient(), home=tmp_path / "empty")
    assert calls_of(quiet, "alice") == 0, "no live link, nothing selected: no Slurm call"


def test_everybodys_view_makes_three_calls_at_most(tmp_path: Path) -> None:
    registry_with_chains(tmp_path, "alice")
    services = Services(viewer="alice", slurm=SlurmClient(), home=tmp_path)
    assert calls_of(services, None, focus=ENDED_JOB) == 3, "sacct of tagged jobs, squeue, sacct of live + selected"
    quiet = Services(viewer="alice", slurm=SlurmClient(), home=tmp_path / "empty")
    assert calls_of(quiet, None) == 2, "sacct of tagged jobs and squeue"


def test_an_unreadable_colleagues_view_makes_two_or_three(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discovery, "default_home", lambda user=None: tmp_path / "not-there")
    services = Services(viewer="bob", slurm=SlurmClient(), home=tmp_path / "bob")
    assert calls_of(services, "alice") == 2, "sacct of alice's tagged jobs and her queue"
    assert calls_of(services, "alice", focus=NEVER_A_JOB) == 3, "and the selected job, unknown to both"


def test_a_readable_colleagues_view_costs_what_ours_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    registry_with_chains(tmp_path / "alice", "alice")
    monkeypatch.setattr(discovery, "default_home", lambda user=None: tmp_path / "alice")
    services = Services(viewer="bob", slurm=SlurmClient(), home=tmp_path / "bob")
    snapshot = services.snapshot("alice")
    assert {c.chain_id for c in snapshot.chains} == {"live", "over"} and all(c.read_only for c in snapshot.chains)
    assert calls_of(services, "alice", focus=ENDED_JOB) == 1


def test_a_rebuilt_chains_ended_link_is_shown_from_discoverys_sacct(
    alice_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Selecting a finished link of a colleague's chain (rebuilt from accounting) needs no third
    sacct: discovery's sacct already holds the job with its steps. Its diagnosis asks scontrol once
    (the explain pipeline), never again for that ended job."""
    script = write_script(alice_dir, "quick.sh", "#!/bin/bash\necho done\n", owner="alice")
    chain_id = uuid.uuid4().hex[:8]
    submitted = run_as("alice", ["sbatch", "--parsable", "--time=1", f"--comment=longrun:{chain_id}:1",
                                 "-o", f"{alice_dir}/%j.out", str(script)], cwd=alice_dir, check=True)  # fmt: skip
    job_id = submitted.stdout.strip().split(";")[0]
    monkeypatch.setattr(discovery, "default_home", lambda user=None: tmp_path / "not-there")
    services = Services(viewer="bob", slurm=SlurmClient(), home=tmp_path / "bob")

    def rebuilt_and_ended() -> bool:
        chains = {c.chain_id: c for c in services.snapshot("alice").chains}
        return chain_id in chains and chains[chain_id].state.is_final

    wait_until(rebuilt_and_ended, timeout=120, what=f"job {job_id} ended and in alice's accounting")
    assert calls_of(services, "alice", job_id) == 3, "discovery's sacct and squeue, and scontrol for the diagnosis"
    # The controller's record of an ended job is kept once final (it may say COMPLETING a moment longer).
    wait_until(lambda: calls_of(services, "alice", job_id) == 2, timeout=60, what="no more scontrol for the job")
    before = services.slurm.calls
    snapshot = services.snapshot("alice", job_id)
    assert services.slurm.calls - before == 2, "discovery's sacct and squeue only"
    assert snapshot.focus is not None and snapshot.focus.job_id == job_id and snapshot.focus.ended
    rows = snapshot.focus.rows
    assert rows[0].step_id == job_id and rows[0].is_job and f"{job_id}.batch" in {row.step_id for row in rows}
    (chain,) = (c for c in snapshot.chains if c.chain_id == chain_id)
    assert chain.read_only and chain.owner == "alice" and chain.links[0].job_id == job_id
