"""`longrun status`'s LEFT column: what is left of the live link's time limit, also before it starts."""

from __future__ import annotations

from app.commands.chains import time_left_cell
from app.model.chain import ChainSpec, ChainState, ChainStatus, Link
from app.model.units import Duration
from app.views.projection import chain_view


def view_of(*links: Link, state: ChainState = ChainState.RUNNING) -> str:
    spec = ChainSpec(chain_id="c1", name="n", owner="alice", script="/bin/true")
    return time_left_cell(
        chain_view(ChainStatus(spec=spec, state=state, reason=None, links=links), {}, read_only=False)
    )


def test_a_link_waiting_to_start_has_its_whole_limit_left_and_says_it_is_pending() -> None:
    # as right after `longrun submit` on a busy cluster: sacct has the pending job's Timelimit, no elapsed
    assert view_of(Link(attempt=1, job_id="7", state="PENDING", time_limit=Duration(7200))) == "02:00:00 pending"
    assert view_of(Link(attempt=1, job_id="7", state="PENDING")) == "pending"
    assert view_of(Link(attempt=1, job_id=None)) == "-"  # being submitted: no job yet


def test_a_running_link_has_its_limit_minus_its_elapsed_time_and_an_ended_chain_nothing() -> None:
    running = Link(attempt=2, job_id="8", state="RUNNING", time_limit=Duration(3600), elapsed=Duration(600))
    assert view_of(running) == "00:50:00"
    ended = Link(attempt=2, job_id="8", state="COMPLETED", ended=True, time_limit=Duration(3600), elapsed=Duration(60))
    assert view_of(ended, state=ChainState.DONE) == "-"
