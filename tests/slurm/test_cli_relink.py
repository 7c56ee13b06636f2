"""On the real cluster: one-minute links that checkpoint on their warning signal are never taken
for "no progress"; a chain stopped by out-of-memory is resubmitted with the fix, which applies to
its later links and shows in its history."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.services import Services
from tests.conftest import wait_until
from tests.slurm.chain_helpers import copy_job, final_state, longrun, status, submit, submitted_ids
from tests.slurm.team import user_test_dir


@pytest.fixture
def chain_dir(request: pytest.FixtureRequest) -> Iterator[Path]:
    yield from user_test_dir("alice", request.node.name[:30])


def test_one_minute_links_that_checkpoint_on_their_signal_are_not_stopped_as_no_progress(chain_dir: Path) -> None:
    """Seen on the test cluster: --time=1 --signal=B:TERM@20, links of 27-35 s, stopped after three
    links by the default 60 s guard. Now the chain goes on until its restart limit."""
    job = copy_job(chain_dir, "trap_job.sh", "alice")
    log = chain_dir / "run.log"
    proc = longrun("alice", chain_dir, "submit", "--json", "--max-restarts", "3", "--time=1", "--signal=B:TERM@20",
                   "-o", str(log), str(job), "300")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "the no-progress guard cannot tell a short link from a healthy one" in proc.stderr
    chain_id = proc.stdout.split('"chain_id": "')[1].split('"')[0]
    chain = wait_until(lambda: final_state("alice", chain_dir, chain_id), timeout=600, interval=5, what="4 links")
    assert chain["reason"].startswith("restart limit reached (3)"), chain  # type: ignore[index]
    assert len(submitted_ids(chain_dir, chain_id)) == 4
    assert log.read_text().count("caught TERM") == 4, "every link checkpointed on its warning signal"


def test_a_chain_stopped_by_out_of_memory_is_resubmitted_with_the_fix(chain_dir: Path) -> None:
    job = copy_job(chain_dir, "memory_hog.py", "alice")
    chain_id, first = submit("alice", chain_dir, "--mem=100M", "--time=5", "-o", str(chain_dir / "%j.out"),
                             str(job), "300")  # fmt: skip
    wait_until(lambda: final_state("alice", chain_dir, chain_id), timeout=240, what="the out-of-memory stop")
    chain = status("alice", chain_dir, chain_id)
    assert chain["state"] == "STOPPED" and "out of memory" in chain["reason"], chain

    services = Services(viewer="alice", home=chain_dir / "reg")  # the dashboard's `r` dialog asks this
    suggested = services.suggested_options(chain_id)
    assert len(suggested) == 1 and suggested[0].startswith("--mem="), suggested

    proc = longrun("alice", chain_dir, "resubmit", chain_id, "--mem=512M", "--max-restarts", "2")
    assert proc.returncode == 0, proc.stderr
    assert "with --mem=512M; max_restarts 2" in proc.stdout
    wait_until(lambda: final_state("alice", chain_dir, chain_id), timeout=240, what="the fixed link")
    chain = status("alice", chain_dir, chain_id)
    assert chain["state"] == "DONE", chain
    second = submitted_ids(chain_dir, chain_id)[1]
    req = subprocess.run(["sacct", "-n", "-X", "-P", "-j", second, "-o", "ReqMem"], capture_output=True, text=True,
                         timeout=30).stdout.split()  # fmt: skip
    assert req == ["512M"], f"the new link asked for the new memory: {req} (first link {first})"
    (change,) = chain["changes"]
    assert change["by"] == "alice" and change["options"] == ["--mem=512M"] and change["policy"] == {"max_restarts": 2}
    assert chain["max_restarts"] == 2

    proc = longrun("alice", chain_dir, "reinit", chain_id, "--min-link-seconds", "5", "--grow-mem", "1.5,1G")
    assert proc.returncode == 0, proc.stderr
    chain = status("alice", chain_dir, chain_id)
    assert [c["policy"] for c in chain["changes"]][1] == {
        "min_link_seconds": 5, "grow_mem_factor": 1.5, "grow_mem_cap": 1 << 30,
    }  # fmt: skip
    longrun("alice", chain_dir, "cancel", chain_id)
