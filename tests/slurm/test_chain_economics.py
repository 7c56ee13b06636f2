"""Chain economics on the real test cluster, through `longrun report --json` as a user runs it.

- Efficiency: alice's chains of jobs with known use (one task holding 150 MB and busy; `srun -n 4`
  holding 60 MB each and busy; two busy processes on 2 CPUs, over two links; an idle sleep); the
  report's per-link CPU and memory efficiency must agree with reportseff's (run on the same job
  ids) within 2 percentage points. The cluster's two nodes are in different partitions, so no job
  can have two nodes here: tests/unit/test_usage.py covers multi-node jobs on other sites' records.
- Progress and finish: a checkpointing chain of four links (tests/slurm/jobs/progress_job.py: 30
  steps of 3 s, each link does 8 and checkpoints on its own, the last 6); the finish estimated
  while the second link runs must be within 20 % of the time that was then left. What no estimate can know is
  excused, and only that: the queue and the supervisor may take longer (or shorter) between the
  later links than they did before the estimate (a loaded machine); that difference is added to
  the allowance, the rest (rate, per-link run time, number of links) must be right.
- The no-progress guard on the same progress: links shorter than its 60 s that make progress go on;
  a link after which the log reports nothing new stops the chain.
- Live memory (sstat) of a running link: now / peak / requested, and another user is told why not.
- A pending link's expected start and reason (squeue --start) in the dashboard's refresh.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_user_dir, run_as, wait_until, write_script
from tests.slurm.chain_helpers import copy_job, final_state, longrun, stop_supervisor, submit
from tests.slurm.test_usage_oracle import BUSY, reportseff

MB = 1024**2
PATTERN = r"step (?P<done>\d+)/(?P<total>\d+)"


@pytest.fixture
def chain_dir(request: pytest.FixtureRequest) -> Iterator[Path]:
    path = make_user_dir("alice", request.node.name[:30].replace("[", "_").replace("]", ""))
    yield path
    stop_supervisor(path)


def report(user: str, directory: Path, chain: str, home: Path | None = None) -> dict[str, Any]:
    proc = longrun(user, directory, "report", "--json", chain, env={"LONGRUN_NO_AUTOSTART": "1"}, home=home)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def done(directory: Path, chain_id: str) -> dict[str, Any] | None:
    chain = final_state("alice", directory, chain_id)
    return chain if chain is not None and chain["state"] == "DONE" else None


def test_report_efficiency_agrees_with_reportseff(chain_dir: Path) -> None:
    d = chain_dir
    one = write_script(d, "one.sh", f'#!/bin/bash\n/usr/bin/python3 -c "{BUSY}" 150 6\n', "alice")
    four = write_script(d, "four.sh", f'#!/bin/bash\nsrun -n 4 /usr/bin/python3 -c "{BUSY}" 60 5\n', "alice")
    busy = f'/usr/bin/python3 -c "{BUSY}" 30 6'
    # two links: the first exits 75 ("checkpointed, continue") after its work, the second finishes
    two = write_script(d, "two.sh", f'#!/bin/bash\n{busy} &\n{busy}\nwait\n[ "$LONGRUN_ATTEMPT" = 1 ] && exit 75\n'
                       'exit 0\n', "alice")  # fmt: skip
    idle = write_script(d, "idle.sh", "#!/bin/bash\nsleep 6\n", "alice")
    chains = {
        "one task": submit("alice", d, "--name", "one", "--mem=400M", "--time=3", "-o", f"{d}/%j.out", str(one)),
        "four tasks": submit("alice", d, "--name", "four", "-n", "4", "--mem=600M", "--time=3", "-o", f"{d}/%j.out",
                             str(four)),
        "CPU-bound, 2 CPUs, two links": submit("alice", d, "--name", "two", "--min-link-seconds", "0", "-c", "2",
                                               "--mem-per-cpu=100M", "--time=3", "-o", f"{d}/%j.out", str(two)),
        "idle": submit("alice", d, "--name", "idle", "--mem=100M", "--time=3", "-o", f"{d}/%j.out", str(idle)),
    }  # fmt: skip
    for what, (chain_id, _job) in chains.items():
        wait_until(partial(done, d, chain_id), 300, 2, what=f"chain {what} to finish")

    def settled() -> dict[str, dict[str, Any]] | None:
        found = {what: report("alice", d, chain_id) for what, (chain_id, _) in chains.items()}
        links = [lk for r in found.values() for lk in r["links"]]
        known = all(lk["cpu_efficiency"] is not None and lk["mem_efficiency"] is not None for lk in links)
        return found if known else None

    reports = wait_until(settled, 60, 2, what="every link's accounting")
    assert isinstance(reports, dict)
    assert len(reports["CPU-bound, 2 CPUs, two links"]["links"]) == 2
    ids = [lk["job_id"] for r in reports.values() for lk in r["links"]]
    oracle = reportseff(ids)
    for what, data in reports.items():
        for link in data["links"]:
            cpu, mem = oracle[link["job_id"]]
            assert link["mem_efficiency"] == pytest.approx(mem, abs=2), (what, link)
            if cpu is None:  # reportseff prints `---` for 0.0
                assert link["cpu_efficiency"] < 2, (what, link)
            else:
                assert link["cpu_efficiency"] == pytest.approx(cpu, abs=2), (what, link)
            assert link["queue_wait_s"] is not None and link["run_s"] is not None
        chain = data["chain"]
        assert chain["links"] == len(data["links"]) and chain["core_hours"] > 0
    four_link = reports["four tasks"]["links"][0]
    assert four_link["peak_memory_per_node"] > 3 * 60 * MB, "all four tasks counted, not one"
    two_links = reports["CPU-bound, 2 CPUs, two links"]
    assert two_links["links"][1]["lost_before_s"] is not None
    assert reports["idle"]["advice"] and "fewer CPUs" not in " ".join(reports["idle"]["advice"])  # 1 CPU: none fewer


def test_finish_estimate_of_a_checkpointing_chain(chain_dir: Path) -> None:
    d = chain_dir
    job = copy_job(d, "progress_job.py", "alice")
    log = d / "run.log"
    # links of about 25 s: under the guard's 60 s, but each makes progress, so none counts as "no progress"
    chain_id, _ = submit(
        "alice", d, "--progress", PATTERN, "--name", "eta", "--time=2", "--mem=100M",
        "-o", str(log), str(job), str(d / "state"), "30", "3", "8",
    )  # fmt: skip

    def during_second_link() -> dict[str, Any] | None:
        data = report("alice", d, chain_id)
        links, progress = data["links"], data["progress"]
        second = len(links) == 2 and links[1]["start"] is not None and links[1]["end"] is None
        return data if second and progress and progress["done"] >= 10 and data["eta"] else None

    estimate = wait_until(during_second_link, 300, 1, what="the second link to report progress")
    assert isinstance(estimate, dict)
    wait_until(lambda: done(d, chain_id), 400, 2, what="the chain to finish")
    final = wait_until(lambda: (r := report("alice", d, chain_id))["links"][-1]["end"] and r, 60, 2, what="its end")
    assert isinstance(final, dict)
    links = final["links"]
    assert len(links) == 4 and final["progress"]["done"] == 30 and final["progress"]["percent"] == 100
    made_at = datetime.fromisoformat(estimate["generated_at"])
    eta = datetime.fromisoformat(estimate["eta"])
    finish = datetime.fromisoformat(links[-1]["end"])
    left = (finish - made_at).total_seconds()
    assert estimate["links_to_start"] == 2, json.dumps(estimate, indent=1)
    rate = estimate["progress"]["rate_per_hour"]
    assert rate == pytest.approx(8 * 3600 / 24, rel=0.2), "8 steps of 3 s per link"
    # what the estimate could not know: the later gaps between links against the ones measured before
    predicted_gaps = estimate["chain"]["gap_s"] * estimate["links_to_start"]
    actual_gaps = sum(lk["lost_before_s"] for lk in links[2:])
    allowance = 0.2 * left + abs(actual_gaps - predicted_gaps)
    error = abs((eta - finish).total_seconds())
    assert error <= allowance, (
        f"estimated {eta}, finished {finish}: {error:.0f} s off with {left:.0f} s left "
        f"(gaps predicted {predicted_gaps:.0f} s, actual {actual_gaps:.0f} s)"
    )


def test_a_link_after_which_the_log_reports_nothing_new_stops_the_chain(chain_dir: Path) -> None:
    """The no-progress guard reads the progress the report shows: the same step twice stops it."""
    d = chain_dir
    script = write_script(d, "stuck.sh", '#!/bin/bash\necho "step 3/10"\nexit 75\n', "alice")
    chain_id, _ = submit("alice", d, "--progress", PATTERN, "--name", "stuck", "--time=1", "-o", f"{d}/%j.out",
                         str(script))  # fmt: skip
    stopped = wait_until(partial(final_state, "alice", d, chain_id), 240, 2, what="the chain to stop")
    assert isinstance(stopped, dict) and stopped["state"] == "STOPPED", stopped
    assert stopped["reason"] == "no progress: the log reported no new progress (checkpointed (exit 75))", stopped
    assert len(stopped["links"]) == 2, "the first link moved it from nothing to 3; the second did not"


def test_live_memory_of_the_running_link(chain_dir: Path) -> None:
    d = chain_dir
    hold = "import time; b = bytearray(200 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096]); time.sleep(60)"
    script = write_script(d, "hold.sh", f'#!/bin/bash\n/usr/bin/python3 -c "{hold}"\n', "alice")
    chain_id, job_id = submit("alice", d, "--name", "hold", "--mem=400M", "--time=2", "-o", f"{d}/%j.out", str(script))

    def holding() -> dict[str, Any] | None:
        memory = report("alice", d, chain_id)["live_memory"]
        return memory if memory and memory["now_per_node"] and memory["now_per_node"] > 190 * MB else None

    memory = wait_until(holding, 120, 2, what="sstat to see the 200 MB")
    assert isinstance(memory, dict)
    assert memory["peak_per_node"] >= memory["now_per_node"] and memory["requested_per_node"] == 400 * MB
    # the dashboard's service: the selected running link gets it in the same refresh
    snapshot = run_as("alice", ["python3", "-c", SNAPSHOT, str(d / "reg"), job_id], cwd=d)
    assert snapshot.returncode == 0, snapshot.stderr
    seen = json.loads(snapshot.stdout)
    assert seen["now"] > 190 * MB and seen["problem"] is None
    # bob selects alice's running job (her chains read-only); sstat refuses him, and he is told why
    bob = run_as("bob", ["python3", "-c", SNAPSHOT, str(d / "reg"), job_id, "alice"], cwd="/tmp")
    assert bob.returncode == 0, bob.stderr
    told = json.loads(bob.stdout)
    assert told["now"] is None and "owner" in (told["problem"] or ""), told
    run_as("alice", ["scancel", job_id])


SNAPSHOT = """
import json, sys
from pathlib import Path
from app.services import Services
home, job_id = Path(sys.argv[1]), sys.argv[2]
user = sys.argv[3] if len(sys.argv) > 3 else None
services = Services(home=None if user else home)  # a colleague looks from his own registry
focus = services.snapshot(user or services.viewer, job_id).focus
memory = focus.live_memory if focus else None
print(json.dumps({"now": memory.now_per_node.bytes if memory and memory.now_per_node else None,
                  "problem": focus.live_memory_problem if focus else "no focus"}))
"""


def test_a_pending_link_says_when_it_should_start(chain_dir: Path) -> None:
    d = chain_dir
    script = write_script(d, "later.sh", "#!/bin/bash\ntrue\n", "alice")
    chain_id, _job_id = submit("alice", d, "--name", "later", "--begin=now+1hour", "--time=1", "-o", f"{d}/%j.out",
                              str(script))  # fmt: skip
    try:
        data = wait_until(lambda: (r := report("alice", d, chain_id))["links"][0]["expected_start"] and r, 60, 2,
                          what="the expected start")  # fmt: skip
        assert isinstance(data, dict)
        link = data["links"][0]
        assert link["waiting_for"] == "BeginTime: its --begin time is in the future"
        expected = datetime.fromisoformat(link["expected_start"])
        assert 3000 < (expected - datetime.now()).total_seconds() < 3700
        text = longrun("alice", d, "report", chain_id, env={"LONGRUN_NO_AUTOSTART": "1", "COLUMNS": "100"}).stdout
        assert "next link expected" in text and "BeginTime" in text
    finally:
        longrun("alice", d, "cancel", chain_id, env={"LONGRUN_NO_AUTOSTART": "1"})  # its queued successor too


def test_services_snapshot_asks_squeue_start_once_for_pending_links(chain_dir: Path) -> None:
    """Two chains with pending links: one `squeue --start` for both, in the refresh (run as alice)."""
    d = chain_dir
    script = write_script(d, "later.sh", "#!/bin/bash\ntrue\n", "alice")
    chains = [submit("alice", d, "--name", f"later{i}", "--begin=now+1hour", "--time=1", "-o", f"{d}/%j.out",
                     str(script))[0] for i in range(2)]  # fmt: skip
    try:
        code = (
            "import json, sys; from pathlib import Path; from app.services import Services\n"
            "from app.slurm.client import SlurmClient\n"
            "from app.slurm.runner import CommandRunner\n"
            "class Counting(CommandRunner):\n"
            "    seen = []\n"
            "    def run(self, argv, **kw):\n"
            "        self.seen.append(argv[0] + (' --start' if '--start' in argv else ''))\n"
            "        return super().run(argv, **kw)\n"
            "runner = Counting()\n"
            "s = Services(slurm=SlurmClient(runner=runner), home=Path(sys.argv[1]))\n"
            "snap = s.snapshot(s.viewer)\n"
            "waiting = [lk.waiting_for for c in snap.chains for lk in c.links]\n"
            "print(json.dumps({'calls': runner.seen, 'waiting': waiting}))\n"
        )  # fmt: skip

        def both_pending() -> dict[str, Any] | None:  # accounting lists a new job after a second or two
            proc = run_as("alice", ["python3", "-c", code, str(d / "reg")], cwd=d)
            assert proc.returncode == 0, proc.stderr
            seen: dict[str, Any] = json.loads(proc.stdout)
            return seen if all(seen["waiting"]) else None

        found = wait_until(both_pending, 60, 2, what="a snapshot with both links pending")
        assert isinstance(found, dict)
        assert found["calls"].count("squeue --start") == 1 and found["calls"].count("sacct") == 1, found
        assert found["waiting"].count("BeginTime: its --begin time is in the future") == 2, found
    finally:
        for chain_id in chains:
            longrun("alice", d, "cancel", chain_id, env={"LONGRUN_NO_AUTOSTART": "1"})  # its queued successor too
