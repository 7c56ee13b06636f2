"""What the dashboard needs from the read model and the service layer (issue 11.4, 11.6, 11.9, attention):
continued links named with the next job, chains that need a person,
and actions refused when the chain moved on to another job. On a real chain captured from the test
cluster (tests/tui/data/checkpoint_chain) and on captured accounting."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from app.model.chain import ChainState
from app.services import ActionRefused, Services
from app.slurm.client import SlurmClient
from app.views.projection import chain_view, needs_attention, statuses_from_accounting, with_continuations
from tests.tui.fake_services import CHECKPOINT_CHAIN, captured_jobs, checkpoint_chain, checkpoint_jobs, link_from
from widgets.words import continued_words, decision_words, last_link_words, outcome_words, what_to_do

CHAIN_ID = json.loads((CHECKPOINT_CHAIN / "spec.json").read_text())["spec"]["chain_id"]


def test_links_that_continued_the_chain_name_why_and_the_next_job(tmp_path: Path) -> None:
    chain = checkpoint_chain(tmp_path)
    assert chain.name == "sweep[lr=3e-4]" and chain.state is ChainState.DONE and not chain.needs_attention
    first, _second, third, last = chain.links
    assert [link.state for link in chain.links] == ["FAILED", "FAILED", "FAILED", "COMPLETED"]  # Slurm's words
    assert [link.continued_because for link in chain.links] == ["checkpointed (exit 75)"] * 3 + [None]
    assert [link.next_job_id for link in chain.links] == ["1515", "1523", "1534", None]
    assert continued_words(first) == "checkpointed (exit 75) → continued as job 1515"
    assert outcome_words(last) == "finished" and continued_words(last) is None
    assert last_link_words(chain) == "job 1534 ended COMPLETED → the chain finished"
    assert what_to_do(chain, None, may_act=True) == "nothing: the chain finished"
    assert third.log_path is not None and third.log_path.endswith("train-1523.out")


def test_a_link_whose_successor_is_not_submitted_yet_is_continuing() -> None:
    timeout = link_from(captured_jobs()["lrx-timeout"], 1, "TIMEOUT", "continue: time limit")
    (marked,) = with_continuations((timeout,))
    assert marked.continued_because == "time limit" and marked.next_job_id is None
    assert continued_words(marked) == "time limit → continuing"


def test_only_a_stopped_chain_that_was_not_cancelled_needs_a_person() -> None:
    jobs = captured_jobs()
    oom = link_from(jobs["lrx-oom"], 1, "OUT_OF_MEMORY", "needs_person: out of memory")
    cancelled = link_from(jobs["lrcap-cancelled"], 1, "CANCELLED", "cancelled: cancelled outside longrun (by uid 0)")
    assert needs_attention(ChainState.STOPPED, False, oom)
    assert not needs_attention(ChainState.STOPPED, True, oom), "its owner cancelled it"
    assert not needs_attention(ChainState.STOPPED, False, cancelled)
    assert not needs_attention(ChainState.RUNNING, False, None) and not needs_attention(ChainState.DONE, False, oom)
    assert decision_words("needs_person: out of memory") == "needs a person: out of memory"


def live_chain_registry(tmp_path: Path, live_attempt: int) -> Path:
    """The captured chain's registry, cut right after its link `live_attempt` was submitted (it is live)."""
    home = tmp_path / "home"
    chain_dir = home / "chains" / CHAIN_ID
    chain_dir.mkdir(parents=True)
    shutil.copyfile(CHECKPOINT_CHAIN / "spec.json", chain_dir / "spec.json")
    lines = (CHECKPOINT_CHAIN / "events.jsonl").read_text().splitlines(keepends=True)
    events = [json.loads(line) for line in lines]
    cut = next(i for i, e in enumerate(events) if e.get("type") == "submitted" and e["attempt"] == live_attempt)
    (chain_dir / "events.jsonl").write_text("".join(lines[: cut + 1]))
    return home


class RecordingSlurm(SlurmClient):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, str | None]] = []

    def cancel(self, job_id: str, signal: str | None = None, batch_only: bool = False, full: bool = False) -> None:
        self.sent.append((job_id, signal))


def test_cancel_and_signal_refuse_when_the_chain_moved_on_to_another_job(tmp_path: Path) -> None:
    """The dialog showed job 1499; meanwhile the chain moved on to job 1515: nothing is sent to either."""
    home = live_chain_registry(tmp_path, live_attempt=2)
    slurm = RecordingSlurm()
    services = Services(viewer="alice", slurm=slurm, home=home)
    live = services.registry.status(CHAIN_ID).live_link
    assert live is not None and live.job_id == "1515"
    calls = slurm.calls
    with pytest.raises(ActionRefused, match="the chain moved on to job 1515"):
        services.signal(CHAIN_ID, "TERM", job_id="1499")
    with pytest.raises(ActionRefused, match="the chain moved on to job 1515"):
        services.cancel(CHAIN_ID, job_id="1499")
    assert slurm.sent == [] and slurm.calls == calls
    assert services.registry.status(CHAIN_ID).state is ChainState.RUNNING, "the refused cancel recorded nothing"
    services.signal(CHAIN_ID, "USR1", job_id="1515")
    services.cancel(CHAIN_ID, job_id="1515")
    assert slurm.sent == [("1515", "USR1"), ("1515", None)]


def test_signal_of_a_job_that_ended_says_so(tmp_path: Path) -> None:
    home = live_chain_registry(tmp_path, live_attempt=2)
    events = home / "chains" / CHAIN_ID / "events.jsonl"
    lines = (CHECKPOINT_CHAIN / "events.jsonl").read_text().splitlines(keepends=True)
    done = [
        line
        for line in lines
        if (e := json.loads(line)).get("attempt") == 2 and e["type"] in ("observed_end", "decision")
    ]
    events.write_text(events.read_text() + "".join(done))
    slurm = RecordingSlurm()
    services = Services(viewer="alice", slurm=slurm, home=home)
    with pytest.raises(ActionRefused, match=r"job 1515 has ended; chain .* is CONTINUING with no live job"):
        services.signal(CHAIN_ID, "TERM", job_id="1515")
    assert slurm.sent == []


def test_the_projection_of_the_captured_chain_matches_what_the_registry_recorded(tmp_path: Path) -> None:
    home = live_chain_registry(tmp_path, live_attempt=4)
    services = Services(viewer="alice", slurm=RecordingSlurm(), home=home)
    status = services.registry.status(CHAIN_ID)
    view = chain_view(status, {}, read_only=False)
    assert [link.next_job_id for link in view.links] == ["1515", "1523", "1534", None]
    assert view.links[-1].continued_because is None and view.state is ChainState.RUNNING
    stopped = replace(status, state=ChainState.STOPPED, reason="out of memory")
    assert chain_view(stopped, {}, read_only=False).needs_attention


def test_a_colleagues_chain_rebuilt_from_accounting_shows_its_checkpointed_links_as_continued() -> None:
    """Read from the captured links' job comments (as for a colleague whose registry is private)."""
    jobs = checkpoint_jobs()
    (status,) = statuses_from_accounting(list(jobs.values()))
    view = chain_view(status, {}, read_only=True)
    assert view.chain_id == CHAIN_ID and view.owner == "alice" and view.state is ChainState.DONE
    assert [link.continued_because for link in view.links] == ["checkpointed (exit 75)"] * 3 + [None]
    assert continued_words(view.links[1]) == "checkpointed (exit 75) → continued as job 1523"
    assert decision_words(view.links[-1].decision) == "finished"
