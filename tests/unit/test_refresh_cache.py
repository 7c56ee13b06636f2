"""The dashboard refresh's caches (app/services/settled.py) never show stale data.

One Services object lives across refreshes, as the dashboard's does; after every change to the
registry its snapshot must equal the one of a fresh Services (no cache at all) over the same files:
a settled chain that changes again (reinit, resubmit, archive), a chain that becomes settled, a
workflow chain superseded by a newer one, the selected chain, and a colleague's chains.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from pathlib import Path

import pytest

from app.model.chain import ChainSpec, ChainState
from app.model.exit_status import ExitStatus
from app.model.policy import Policy
from app.model.states import JobState
from app.model.units import Duration
from app.registry import Registry
from app.services import Services
from app.services.settled import sort_key
from app.slurm.client import SlurmClient
from app.slurm.records import AccountingMap, JobAccounting, QueueRecord, RecordList, SacctRow
from app.views import ChainView, DashboardSnapshot
from tests.events import record

START = datetime(2026, 1, 1, tzinfo=UTC)


class RunningSlurm(SlurmClient):
    """Every job asked for RUNNING; no other job and an empty queue (no command is run)."""

    def accounting(self, job_ids: Sequence[str]) -> AccountingMap:
        row = dict(name="job", state=JobState.RUNNING, cancelled_by_uid=None, exit_status=ExitStatus(0),
                   start=START, elapsed=Duration(600), time_limit=Duration(7200))  # fmt: skip
        return AccountingMap((j, JobAccounting(SacctRow(job_id=j, step=None, **row))) for j in job_ids)  # type: ignore[arg-type]

    def accounting_for_user(
        self, user: str | None, since: datetime, comment_prefix: str | None = None
    ) -> RecordList[JobAccounting]:
        return RecordList()

    def queue(self, job_ids: Sequence[str] | None = None, user: str | None = None) -> RecordList[QueueRecord]:
        return RecordList()


def make(reg: Registry, chain_id: str, name: str, owner: str = "alice", **kw: object) -> None:
    reg.create_chain(ChainSpec(
        chain_id=chain_id, name=name, owner=owner, script="/x/job.sh", workdir="/x",
        sbatch_options=("--time=1", "-o", "logs/%x-%j.out"), policy=Policy(max_restarts=4), created=START, **kw,  # type: ignore[arg-type]
    ))  # fmt: skip


def link(reg: Registry, chain_id: str, attempt: int, job_id: str, outcome: str | None = None) -> None:
    """Submit link `attempt` as `job_id`; with `outcome`, it also ends and is decided."""
    record(reg, chain_id, "submit_intent", attempt=attempt)
    record(reg, chain_id, "submitted", attempt=attempt, job_id=job_id)
    if outcome is not None:
        end(reg, chain_id, attempt, job_id, outcome)


def end(reg: Registry, chain_id: str, attempt: int, job_id: str, outcome: str) -> None:
    state, exit_code = ("COMPLETED", "0:0") if outcome in ("finished", "continue") else ("FAILED", "3:0")
    record(reg, chain_id, "observed_end", attempt=attempt, job_id=job_id, state=state, exit=exit_code, elapsed=60,
           time_limit=60, ending=state)  # fmt: skip
    record(reg, chain_id, "decision", attempt=attempt, outcome=outcome, reason=f"{outcome} here")


def fresh(home: Path, user: str | None, focus: str | None = None) -> DashboardSnapshot:
    return Services(viewer="alice", slurm=RunningSlurm(), home=home).snapshot(user, focus)


def same_as_fresh(
    kept: Services, home: Path, user: str | None = "alice", focus: str | None = None, selected: str = ""
) -> dict[str, ChainView]:
    """The long-lived service's chains, checked against a fresh service's (and their order). A
    settled chain `selected` before keeps what its links' accounting added (economics): only its
    chain-level facts are compared."""
    snap = kept.snapshot(user, focus)
    want = fresh(home, user, focus).chains
    assert [v for v in snap.chains if v.chain_id != selected] == [v for v in want if v.chain_id != selected]
    assert [(v.chain_id, v.state, v.reason, v.attempt) for v in snap.chains] == [
        (v.chain_id, v.state, v.reason, v.attempt) for v in want
    ]
    assert [sort_key(v) for v in snap.chains] == sorted(sort_key(v) for v in snap.chains)
    return {v.chain_id: v for v in snap.chains}


class StoppedClock(datetime):
    """A live chain's economics count seconds up to now (its wall time): the two snapshots compared
    must see the same now, or a second passing between them makes them differ (seen under -n 4)."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> StoppedClock:
        return cls(2100, 1, 1, 12, 0, tzinfo=tz)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr("app.views.projection.datetime", StoppedClock)
    reg = Registry(tmp_path)
    make(reg, "a", "alpha")
    link(reg, "a", 1, "11", "finished")  # settled: DONE
    make(reg, "b", "beta")
    link(reg, "b", 1, "21", "continue")
    link(reg, "b", 2, "22")  # live
    make(reg, "c", "wf.train", workflow="wf")
    link(reg, "c", 1, "31", "finished")  # settled, of a workflow
    make(reg, "d", "delta")
    link(reg, "d", 1, "41", "needs_person")  # settled: STOPPED
    make(reg, "e", "[@click=app.quit] épsilon")
    return tmp_path


def test_settled_views_are_reused_while_nothing_about_them_changes(home: Path) -> None:
    kept = Services(viewer="alice", slurm=RunningSlurm(), home=home)
    first = same_as_fresh(kept, home)
    second = same_as_fresh(kept, home)
    assert first["a"] is second["a"] and first["d"] is second["d"], "a settled chain's view is kept"
    assert first["b"] is not second["b"], "a live chain's view is made at every refresh"


def test_a_settled_chain_that_changes_again_shows_its_new_state_at_the_next_refresh(home: Path) -> None:
    kept = Services(viewer="alice", slurm=RunningSlurm(), home=home)
    assert same_as_fresh(kept, home)["d"].state is ChainState.STOPPED
    writer = Registry(home)  # another process (the CLI) writes: the journal tells the kept registry
    record(writer, "d", "resubmit_requested", by="alice")
    assert same_as_fresh(kept, home)["d"].state is not ChainState.STOPPED
    link(writer, "d", 2, "42")
    assert same_as_fresh(kept, home)["d"].links[-1].job_id == "42"
    record(writer, "a", "reinit", by="alice")
    assert same_as_fresh(kept, home)["a"].state is ChainState.CONTINUING
    record(writer, "c", "archived", by="alice")
    assert "c" not in same_as_fresh(kept, home)
    assert [v.chain_id for v in kept.archived_chains("alice")] == ["c"]
    record(writer, "c", "unarchived", by="alice")
    assert "c" in same_as_fresh(kept, home)


def test_a_chain_that_becomes_settled_moves_into_the_kept_views(home: Path) -> None:
    kept = Services(viewer="alice", slurm=RunningSlurm(), home=home)
    assert not same_as_fresh(kept, home)["b"].state.is_final
    end(Registry(home), "b", 2, "22", "finished")
    done = same_as_fresh(kept, home)["b"]
    assert done.state is ChainState.DONE
    assert same_as_fresh(kept, home)["b"] is done, "now settled: its view is kept"


def test_a_settled_workflow_chain_is_superseded_by_a_newer_chain_of_the_same_job(home: Path) -> None:
    kept = Services(viewer="alice", slurm=RunningSlurm(), home=home)
    assert not same_as_fresh(kept, home)["c"].superseded
    reg = Registry(home)
    reg.create_chain(ChainSpec(chain_id="c2", name="wf.train", owner="alice", script="/x/job.sh", workdir="/x",
                               workflow="wf", created=datetime(2026, 1, 2, tzinfo=UTC)))  # fmt: skip
    views = same_as_fresh(kept, home)
    assert views["c"].superseded and not views["c2"].superseded


def test_the_selected_settled_chain_and_the_everybody_view_match_a_fresh_refresh(home: Path) -> None:
    kept = Services(viewer="alice", slurm=RunningSlurm(), home=home)
    same_as_fresh(kept, home)
    same_as_fresh(kept, home, focus="41")  # a settled chain's job: its view is made with its accounting
    same_as_fresh(kept, home, focus="41")
    same_as_fresh(kept, home, user=None)
    same_as_fresh(kept, home, selected="d")
    end(Registry(home), "b", 2, "22", "needs_person")
    same_as_fresh(kept, home, user=None, focus="22")
    same_as_fresh(kept, home, focus="22", selected="d")
    record(Registry(home), "d", "reinit", by="alice")  # the selected chain changes: made again, like any
    assert same_as_fresh(kept, home, focus="22")["d"].state is ChainState.CONTINUING


def test_a_colleagues_chains_are_read_only_and_never_mixed_with_the_viewers(
    home: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    bob_home = tmp_path_factory.mktemp("bob")
    bob = Registry(bob_home)
    make(bob, "a", "alpha", owner="bob")  # the same chain id as alice's
    link(bob, "a", 1, "91", "needs_person")
    make(bob, "z", "zeta", owner="bob")
    link(bob, "z", 1, "92")
    monkeypatch.setattr("app.services.discovery.default_home", lambda user=None: bob_home if user == "bob" else home)
    kept = Services(viewer="alice", slurm=RunningSlurm(), home=home)
    for _ in range(2):
        mine = same_as_fresh(kept, home)
        theirs = same_as_fresh(kept, home, user="bob")
        assert not mine["a"].read_only and mine["a"].state is ChainState.DONE
        assert theirs["a"].read_only and theirs["a"].owner == "bob" and theirs["a"].state is ChainState.STOPPED
    end(bob, "z", 1, "92", "finished")
    record(bob, "a", "reinit", by="bob")
    theirs = same_as_fresh(kept, home, user="bob")
    assert theirs["z"].state is ChainState.DONE and theirs["a"].state is ChainState.CONTINUING
    assert same_as_fresh(kept, home, user="bob")["z"] is theirs["z"]
    assert same_as_fresh(kept, home)["a"].state is ChainState.DONE


def test_an_ended_links_log_path_follows_a_change_of_the_chains_output_option(home: Path) -> None:
    kept = Services(viewer="alice", slurm=RunningSlurm(), home=home)
    before = same_as_fresh(kept, home)["b"]
    assert before.links[0].log_path == "/x/logs/job.sh-21.out"
    record(Registry(home), "b", "settings_changed", by="alice", given=["-o", "new-%j.out"],
           sbatch_options=["--time=1", "-o", "new-%j.out"])  # fmt: skip
    after = same_as_fresh(kept, home)["b"]  # the ended link's path too, as resolved without a cache
    assert after.links[-1].log_path == "/x/new-22.out"
