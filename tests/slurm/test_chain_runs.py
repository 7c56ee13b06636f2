"""Chains on the real test cluster: checkpointing jobs complete over several links, and the
link outcome policy (failed, out of memory, grow memory) holds. Each test runs concurrently."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.registry import Registry
from tests.conftest import make_user_dir, wait_until
from tests.slurm.chain_helpers import (
    copy_job,
    events,
    final_state,
    live_jobs_by_chain,
    log_headers,
    longrun,
    status,
    stop_supervisor,
    submit,
    submitted_ids,
)


@pytest.fixture
def chain_dir(request: pytest.FixtureRequest) -> Iterator[Path]:
    path = make_user_dir("alice", request.node.name[:30].replace("[", "_").replace("]", ""))
    yield path
    stop_supervisor(path)


def assert_steps_continuous(log: str, total: int) -> None:
    steps = [int(m) for m in re.findall(r"^step (\d+)$", log, re.MULTILINE)]
    assert steps == list(range(1, total + 1)), f"steps went back or were lost: {steps[:5]}...{steps[-5:]}"


@pytest.mark.parametrize(
    ("exit_on_term", "extra", "time", "total", "step"),
    [
        (75, ["--min-link-seconds", "0"], "1", 320, "0.4"),  # 128 s of work: at least 3 one-minute links
        (0, ["--resubmit-early", "--min-link-seconds", "0"], "2", 260, "1"),  # 260 s: at least 3 two-minute links
    ],
    ids=["exit75", "exit0-resubmit-early"],
)
def test_checkpointing_job_completes_over_several_links(
    chain_dir: Path, exit_on_term: int, extra: list[str], time: str, total: int, step: str
) -> None:
    job = copy_job(chain_dir, "checkpoint_job.sh", "alice")
    log = chain_dir / "run.log"
    chain_id, first_job = submit(
        "alice", chain_dir, *extra, f"--time={time}", "--signal=B:TERM@30", "-o", str(log),
        str(job), str(chain_dir / "state"), str(total), step, str(exit_on_term),
    )  # fmt: skip
    assert first_job
    seen_parallel: list[dict[str, list[str]]] = []

    def finished() -> object:
        live = live_jobs_by_chain("alice").get(chain_id, [])
        if len(live) > 1:
            seen_parallel.append({chain_id: live})
        return final_state("alice", chain_dir, chain_id)

    chain = wait_until(finished, timeout=420, interval=2, what=f"chain {chain_id} to finish")
    assert isinstance(chain, dict)
    assert chain["state"] == "DONE", chain
    assert not seen_parallel, f"two live links at once: {seen_parallel}"
    text = log.read_text()
    assert_steps_continuous(text, total)
    headers = log_headers(text)
    ids = submitted_ids(chain_dir, chain_id)
    # Two links at least: Slurm sends the warning at its 30-s check, or, for a link still starting then, at the next.
    assert len(ids) >= 2 and len(chain["links"]) == len(ids)
    assert [h["job"] for h in headers] == ids, "every link wrote to the one appended log"
    assert [h["attempt"] for h in headers] == [str(i) for i in range(1, len(ids) + 1)]
    assert all(h["chain"] == chain_id for h in headers)
    assert headers[0]["initial"] == "None" and all(h["initial"] == first_job for h in headers[1:])
    if exit_on_term == 75:  # the warning signal (B:) reached the script through the wrapper every time
        assert [lk["ending"] for lk in chain["links"][:-1]] == ["exit 75"] * (len(ids) - 1), chain["links"]
    decisions = [e for e in events(chain_dir, chain_id) if e["type"] == "decision"]
    assert all(d["outcome"] == "continue" for d in decisions[:-1]) and decisions[-1]["outcome"] == "finished"
    assert "work done" in text
    # Slurm has forgotten `-o run.log` (no job id in the name to guess it by); the chain record has it
    explained = longrun("alice", chain_dir, "explain", "--json", ids[-1], env={"LONGRUN_NO_AUTOSTART": "1"})
    assert explained.returncode == 0, explained.stderr
    logs = json.loads(explained.stdout)["logs"]
    assert logs == [{"path": str(log), "readable": True, "problem": None, "guessed": False}], logs


def test_failed_link_is_not_resubmitted(chain_dir: Path) -> None:
    job = copy_job(chain_dir, "exit_code.sh", "alice")
    chain_id, _ = submit("alice", chain_dir, "--time=1", "-o", str(chain_dir / "%j.out"), str(job), "3", "1")
    chain = wait_until(lambda: final_state("alice", chain_dir, chain_id), timeout=120, interval=2, what="stop")
    assert isinstance(chain, dict)
    assert chain["state"] == "STOPPED" and chain["reason"] == "failed with exit code 3"
    assert len(chain["links"]) == 1 and chain["links"][0]["exit_status"] == "3:0"


def test_out_of_memory_stops_the_chain(chain_dir: Path) -> None:
    job = copy_job(chain_dir, "memory_hog.py", "alice")
    chain_id, _ = submit("alice", chain_dir, "--time=1", "--mem=100M", "-o", str(chain_dir / "%j.out"), str(job), "300")
    chain = wait_until(lambda: final_state("alice", chain_dir, chain_id), timeout=120, interval=2, what="stop")
    assert isinstance(chain, dict)
    assert chain["state"] == "STOPPED" and chain["reason"].startswith("out of memory"), chain
    assert len(chain["links"]) == 1 and chain["links"][0]["state"] == "OUT_OF_MEMORY"


def test_out_of_memory_grows_memory_when_asked(chain_dir: Path) -> None:
    job = copy_job(chain_dir, "memory_hog.py", "alice")
    chain_id, _ = submit(
        "alice", chain_dir, "--grow-mem", "2.5,1G", "--time=1", "--mem=100M", "-o", str(chain_dir / "%j.out"),
        str(job), "180",
    )  # fmt: skip
    chain = wait_until(lambda: final_state("alice", chain_dir, chain_id), timeout=180, interval=2, what="finish")
    assert isinstance(chain, dict)
    assert chain["state"] == "DONE", chain
    assert [lk["state"] for lk in chain["links"]] == ["OUT_OF_MEMORY", "COMPLETED"]
    links = Registry(chain_dir / "reg", read_only=True).status(chain_id).links
    assert links[1].options == ("--mem=256M",), "the next link was queued again with the grown memory"


def test_downstream_waits_for_upstream_and_holds_when_it_stops(chain_dir: Path) -> None:
    job = copy_job(chain_dir, "exit_code.sh", "alice")
    out = ["-o", str(chain_dir / "%j.out"), "--time=1"]
    good, _ = submit("alice", chain_dir, "--name", "prep", *out, str(job), "0", "3")
    bad, _ = submit("alice", chain_dir, "--name", "broken", *out, str(job), "4", "1")
    after_good, none1 = submit("alice", chain_dir, "--after", good, "--name", "train", *out, str(job), "0", "1")
    after_bad, none2 = submit("alice", chain_dir, "--after", bad, "--name", "eval", *out, str(job), "0", "1")
    assert none1 is None and none2 is None
    chain = wait_until(lambda: final_state("alice", chain_dir, after_good), timeout=120, interval=2, what="train")
    assert isinstance(chain, dict) and chain["state"] == "DONE", chain
    upstream = status("alice", chain_dir, good)
    assert chain["links"][0]["submit"] >= upstream["links"][0]["end"], "downstream starts after upstream ends"
    wait_until(lambda: final_state("alice", chain_dir, bad), timeout=60, interval=2, what="broken stops")
    held = status("alice", chain_dir, after_bad)
    assert held["state"] == "WAITING" and held["links"] == []
    assert held["reason"] == "upstream broken stopped: failed with exit code 4"
