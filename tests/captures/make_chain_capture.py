"""Capture one real chain for the report and timeline snapshots (run as root; about 4 minutes).

    /opt/longrun-tui/venv/bin/python -m tests.captures.make_chain_capture

alice runs tests/slurm/jobs/progress_job.py as a chain with `--progress`, `--signal=B:TERM@20`,
`--time=1`, 2 CPUs of which one is busy, 100 MB held of `--mem=400M`: links end at the warning signal
and checkpoint (exit 75) until 50 steps of 2 s are done. Written to tests/captures/chain_report/:
spec.json and events.jsonl (the chain's registry files), run.log (its log), sacct.txt + sacct.cmd (the
client's own sacct call for every link, after the chain finished).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from app.slurm.rows import fresh_delimiter
from app.slurm.sacct import sacct_argv_for_jobs
from tests.captures.make_captures import command_line
from tests.conftest import make_user_dir, run_as
from tests.slurm.chain_helpers import copy_job, longrun

OUT = Path(__file__).parent / "chain_report"


def main() -> None:
    d = make_user_dir("alice", "chain-capture")
    job = copy_job(d, "progress_job.py", "alice")
    proc = longrun(
        "alice", d, "submit", "--json", "--progress", r"step (?P<done>\d+)/(?P<total>\d+)", "--min-link-seconds", "0",
        "--name", "train-resnet", "--time=1", "--signal=B:TERM@20", "-c", "2", "--mem=400M", "-o", str(d / "run.log"),
        str(job), str(d / "state"), "50", "2", "0", "100", "busy",
    )  # fmt: skip
    chain_id = json.loads(proc.stdout)["chain_id"]
    chain_dir = d / "reg" / "chains" / chain_id
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        status = json.loads(longrun("alice", d, "status", "--json", env={"LONGRUN_NO_AUTOSTART": "1"}).stdout)
        if any(c["chain_id"] == chain_id and c["state"] in ("DONE", "STOPPED") for c in status):
            break
        time.sleep(5)
    time.sleep(5)  # accounting of the last link settles
    OUT.mkdir(exist_ok=True)
    for name in ("spec.json", "events.jsonl"):
        shutil.copy(chain_dir / name, OUT / name)
    shutil.copy(d / "run.log", OUT / "run.log")
    events = [json.loads(line) for line in (OUT / "events.jsonl").read_text().splitlines()]
    ids = [e["job_id"] for e in events if e["type"] == "submitted"]
    argv = sacct_argv_for_jobs(ids, fresh_delimiter())
    result = run_as("alice", argv)
    (OUT / "sacct.txt").write_text(result.stdout)
    (OUT / "sacct.cmd").write_text(
        f"# user: alice\n# exit status: {result.returncode}\n# captured: stdout, Slurm 22.05.8, cluster longrun-test\n"
        f"# argv (JSON): {json.dumps(argv)}\n{command_line(argv)}\n"
    )
    print(f"chain {chain_id}: {len(ids)} links captured in {OUT}")


if __name__ == "__main__":
    main()
