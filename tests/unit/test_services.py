"""The service layer without Slurm: views derived from the registry, refusals before any Slurm call."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest

from app.model.chain import ChainSpec, ChainState
from app.model.policy import Policy
from app.model.usage import step_peak
from app.registry import Registry
from app.services import ActionRefused, ChainService, Services
from app.slurm.client import SlurmClient
from app.views.projection import focus_view
from tests.captures import parse_sacct_capture
from tests.captures.sites import site_captures
from tests.events import record
from tests.tui.fake_services import FakeServices, captured_jobs

REPO = Path(__file__).resolve().parents[2]


def make_chain(reg: Registry, chain_id: str, owner: str = "alice", **kw: object) -> None:
    spec = ChainSpec(
        chain_id=chain_id, name=f"n-{chain_id}", owner=owner, script="/x/job.sh", workdir="/x",
        sbatch_options=("--time=1", "-o", "logs/%x-%j.out"), policy=Policy(max_restarts=4),
        created=datetime(2026, 1, 1, tzinfo=UTC), **kw,  # type: ignore[arg-type]
    )  # fmt: skip
    reg.create_chain(spec)


def test_refused_for_another_owner_before_any_slurm_call(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    make_chain(reg, "a1")
    slurm = SlurmClient()
    services = Services(viewer="bob", slurm=slurm, home=tmp_path)
    for call in (partial(services.cancel, "a1"), partial(services.signal, "a1", "USR1", full=True),
                 partial(services.resubmit, "a1"), partial(services.reinit, "a1")):  # fmt: skip
        with pytest.raises(ActionRefused, match="belongs to alice"):
            call()
    with pytest.raises(ActionRefused, match="no chain zz"):
        services.cancel("zz")
    assert slurm.calls == 0


def test_state_checks_before_slurm(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    make_chain(reg, "a1")
    record(reg, "a1", "submit_intent", attempt=1)
    record(reg, "a1", "submitted", attempt=1, job_id="77")
    record(reg, "a1", "observed_end", attempt=1, job_id="77", state="COMPLETED", exit="0:0", elapsed=30)
    record(reg, "a1", "decision", attempt=1, outcome="finished", reason="completed")
    slurm = SlurmClient()
    services = Services(viewer="alice", slurm=slurm, home=tmp_path)
    with pytest.raises(ActionRefused, match="done"):
        services.cancel("a1")
    with pytest.raises(ActionRefused, match="no live job"):
        services.signal("a1", "USR1")
    with pytest.raises(ActionRefused, match="reinit"):
        services.resubmit("a1")
    assert slurm.calls == 0


def test_views_from_registry_without_live_links(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    make_chain(reg, "up")
    make_chain(reg, "down", depends_on=("up",), workflow="wf")
    record(reg, "up", "submit_intent", attempt=1)
    record(reg, "up", "submitted", attempt=1, job_id="5")
    record(reg, "up", "observed_end", attempt=1, job_id="5", state="FAILED", exit="3:0", elapsed=12,
           time_limit=60, ending="exit 3")  # fmt: skip
    record(reg, "up", "decision", attempt=1, outcome="needs_person", reason="failed with exit code 3")
    services = Services(viewer="alice", slurm=SlurmClient(), home=tmp_path)
    snap = services.snapshot("alice")
    views = {v.chain_id: v for v in snap.chains}
    assert snap.health is not None and snap.health.alive is False
    up, down = views["up"], views["down"]
    assert up.state is ChainState.STOPPED and up.reason == "failed with exit code 3" and up.attempt == 1
    assert up.total_run_time.seconds == 12 and up.max_restarts == 4 and not up.read_only
    link = up.links[0]
    assert link.job_id == "5" and link.ending == "exit 3" and str(link.exit_status) == "3:0"
    assert link.log_path == "/x/logs/job.sh-5.out"
    assert down.state is ChainState.WAITING and down.reason == "upstream n-up stopped: failed with exit code 3"
    assert down.workflow == "wf" and services.can_act(down)


def test_a_damaged_chain_is_reported_and_left_alone_while_the_others_show(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    make_chain(reg, "good")
    make_chain(reg, "torn")
    make_chain(reg, "bad")
    (tmp_path / "chains" / "bad" / "spec.json").write_text("{garbage")
    with (tmp_path / "chains" / "torn" / "events.jsonl").open("a") as events:
        events.write("not json\n")  # after the "created" event; a whole bad line, not a torn tail
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    snapshot = Services(viewer="alice", slurm=SlurmClient(), home=tmp_path).snapshot("alice")
    assert [c.chain_id for c in snapshot.chains] == ["good"]
    assert len(snapshot.damaged) == 2
    assert any(d.startswith("chain bad: ") and "spec.json: not valid JSON" in d for d in snapshot.damaged)
    assert any(d.startswith("chain torn: ") and "events.jsonl: line 2 is not JSON" in d for d in snapshot.damaged)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before, "nothing was changed"


def test_status_names_damaged_chains_and_exits_non_zero(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    make_chain(reg, "good")
    make_chain(reg, "bad")
    (tmp_path / "chains" / "bad" / "spec.json").write_text("{garbage")
    env = {**os.environ, "LONGRUN_HOME": str(tmp_path), "LONGRUN_NO_AUTOSTART": "1"}
    proc = subprocess.run([sys.executable, "-m", "app.cli", "status"], capture_output=True, text=True, env=env,
                          timeout=60, cwd=REPO)  # fmt: skip
    assert proc.returncode == 1
    assert "n-good" in proc.stdout
    assert "error: chain bad:" in proc.stderr and "left as they are" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_workflow_job_submitted_again_supersedes_its_older_chain(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    for chain_id, day in (("old", 1), ("new", 2), ("other", 1)):
        reg.create_chain(ChainSpec(
            chain_id=chain_id, name="wf.train" if chain_id != "other" else "wf.eval", owner="alice",
            script="/x/job.sh", workdir="/x", workflow="wf", created=datetime(2026, 1, day, tzinfo=UTC),
        ))  # fmt: skip
    views = {
        v.chain_id: v for v in Services(viewer="alice", slurm=SlurmClient(), home=tmp_path).snapshot("alice").chains
    }
    assert views["old"].superseded and not views["new"].superseded and not views["other"].superseded


def test_a_reinit_moves_the_attempt_limit_up_by_the_links_before_it(tmp_path: Path) -> None:
    """Seen as a user: after a reinit, status said `2/1` for a workflow job with no restarts."""
    reg = Registry(tmp_path)
    make_chain(reg, "a1")  # max_restarts=4: 5 attempts
    record(reg, "a1", "submit_intent", attempt=1)
    record(reg, "a1", "submitted", attempt=1, job_id="77")
    record(reg, "a1", "observed_end", attempt=1, job_id="77", state="FAILED", exit="2:0", elapsed=3)
    record(reg, "a1", "decision", attempt=1, outcome="needs_person", reason="failed with exit code 2")
    services = Services(viewer="alice", slurm=SlurmClient(), home=tmp_path)
    assert services.snapshot("alice").chains[0].attempt_limit == 5
    record(reg, "a1", "reinit", by="alice")
    record(reg, "a1", "submit_intent", attempt=2)
    (chain,) = services.snapshot("alice").chains
    assert chain.attempt == 2 and chain.attempt_limit == 6


def test_services_and_the_dashboards_fake_offer_the_same_service_api() -> None:
    """mypy checks the types (app/tui/cli.py, tests/tui/fake_services.py); this checks the names."""
    members = [name for name, value in vars(ChainService).items() if callable(value) and not name.startswith("_")]
    assert {"snapshot", "can_act", "cancel", "signal", "resubmit", "reinit", "reinit_workflow"} <= set(members)
    for name in members:
        wanted = list(inspect.signature(getattr(ChainService, name)).parameters)
        for implementation in (Services, FakeServices):
            assert list(inspect.signature(getattr(implementation, name)).parameters) == wanted, (implementation, name)
    assert not hasattr(Services, "chain"), "the unused one-chain read is gone"


def test_the_selected_jobs_steps_are_projected_from_its_accounting() -> None:
    """Every job captured on the test cluster: job row first, MaxRSS as a share of the job's request."""
    jobs = captured_jobs()
    assert len(jobs) >= 10
    for acct in jobs.values():
        focus = focus_view(acct, None)
        assert focus.job_id == acct.job_id and focus.requested_memory == acct.requested_memory
        assert focus.ended == acct.job.state.is_terminal
        assert [row.step_id for row in focus.rows] == [row.step_id for row in (acct.job, *acct.steps)]
        job, *steps = focus.rows
        assert job.is_job and job.state is acct.job.state and not any(step.is_job for step in steps)
        for row, source in zip(focus.rows, (acct.job, *acct.steps), strict=True):
            request = acct.usage.request.per_node
            peak = step_peak(source) if source.step is not None else None
            expected = peak.per_node.percent_of(request) if peak and request and request.bytes else None
            assert row.max_rss == source.max_rss and row.max_rss_percent == expected
    timeout_batch = next(r for r in focus_view(jobs["lrcap-timeout"], None).rows if r.step_id.endswith(".batch"))
    assert timeout_batch.max_rss_percent == 1, "3948K of 200M, as the Steps pane shows it"


def test_a_multi_task_steps_share_is_its_tasks_together_per_node() -> None:
    """Our captured 4-task step killed at --mem=300M: one task's MaxRSS is 122.7M (40 % of the request),
    the tasks together 362M per node (TRESUsageInTot), which the Steps pane shows, as explain does."""
    acct = next(iter(parse_sacct_capture("diag/mt_oom_last.sacct.txt").values()))
    step = next(row for row in focus_view(acct, None).rows if row.step_id.endswith(".0"))
    assert step.max_rss is not None and step.max_rss.percent_of(acct.usage.request.per_node or step.max_rss) == 40
    assert step.max_rss_percent == 120 and step.state.name == "OUT_OF_MEMORY"
    # another site's 2-node job: 32G for both nodes is 16G per node; its batch step ran on one
    (site,) = (acc for acc in site_captures()["reportseff_issue16_multinode.txt"].sacct().values()
               if acc.job_id == "65638294")  # fmt: skip
    batch = next(row for row in focus_view(site, None).rows if row.step_id.endswith(".batch"))
    per_node = site.usage.request.per_node
    assert (
        batch.max_rss is not None
        and per_node is not None
        and batch.max_rss_percent == batch.max_rss.percent_of(per_node)
    )
