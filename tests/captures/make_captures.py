"""Regenerate the captures in this directory from the real test cluster (run as root).

    /opt/longrun-tui/venv/bin/python -m tests.captures.make_captures
    /opt/longrun-tui/venv/bin/python -m tests.captures.make_captures usage   # only the *_usage, odd-id and
                                                                             # odd-name captures (about 60 s)

Submits one job per scenario as alice (names `lrcap-*`), waits for them, and writes each command's
output next to a `.cmd` file that holds the exact argv, the user and the exit status. Job ids
differ on every run: tests find rows by job name, never by id. Takes about 90 s (one timeout job).
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from app.slurm.rows import fresh_delimiter
from app.slurm.sacct import sacct_argv_for_jobs
from app.slurm.squeue import squeue_argv
from tests.conftest import make_user_dir, run_as, write_script

HERE = Path(__file__).parent
US = "\x1f"
SACCT_FORMAT = (
    "JobID,JobName,User,Partition,NodeList,State,ExitCode,Submit,Start,End,Elapsed,Timelimit,"
    "MaxRSS,ReqMem,AllocCPUS,Comment,WorkDir,Reason"
)
SQUEUE_FORMAT = US.join(("%i", "%j", "%u", "%T", "%P", "%M", "%l", "%L", "%V", "%S", "%r", "%N", "%k"))

SCRIPTS = {
    "completed": "#!/bin/bash\nsrun --ntasks=1 /bin/echo step-zero\necho done\n",
    "exit3": "#!/bin/bash\necho failing\nexit 3\n",
    "exit137": "#!/bin/bash\necho exiting 137\nexit 137\n",
    "oom": "#!/bin/bash\n/usr/bin/python3 -c 'b = bytearray(400 * 1024 * 1024); import time; time.sleep(3)'\n",
    "timeout": "#!/bin/bash\nsrun --ntasks=1 sleep 300\n",
    "sleeper": "#!/bin/bash\nsleep 300\n",
    "short": "#!/bin/bash\nsleep 8\n",
    # CPU and memory use that efficiency figures can be checked against (peak ~ MB, busy ~ seconds)
    "one_task": '#!/bin/bash\n/usr/bin/python3 -c "$BUSY" 150 6\n',
    "four_tasks": '#!/bin/bash\nsrun -n 4 /usr/bin/python3 -c "$BUSY" 60 5\n',
    "idle": "#!/bin/bash\nsleep 6\n",
    "hetjob": "#!/bin/bash\n#SBATCH -p debug -n 1 --mem=100M\n#SBATCH hetjob\n#SBATCH -p preemptible -n 2 --mem=150M\n"
    "srun --het-group=0,1 /bin/true\nsleep 2\n",
}
# argv: MB to hold, seconds to stay busy
BUSY = (
    "import sys, time; b = bytearray(int(sys.argv[1]) * 1024 * 1024); b[::4096] = b'x' * len(b[::4096]); "
    "t = time.time()\nwhile time.time() - t < float(sys.argv[2]): pass"
)
# Names anyone on the cluster may give a job; `{row}` becomes a row that imitates one of alice's.
ODD_NAMES = (
    "lrcap-x\x1fy",
    "lrcap-two\nlines",
    "lrcap|p|q",
    "lrcap-\x1b]0;TITLE\x07-\x1b[2J",
    "lrcap-[@click=app.quit]",
    "lrcap-" + "L" * 1018,
    "lrcap-forge\n{row}",
)


def command_line(argv: list[str]) -> str:
    """argv as a bash line; control characters are written `$'\\x1f'` so that they stay visible."""
    return " ".join(re.sub(r"[\x00-\x1f]", lambda m: f"'$'\\x{ord(m.group()):02x}''", shlex.quote(a)) for a in argv)


def capture(name: str, user: str, argv: list[str], stream: str = "stdout") -> subprocess.CompletedProcess[str]:
    proc = run_as(user, argv, timeout=60)
    text = proc.stdout if stream == "stdout" else proc.stderr
    suffix = ".txt" if stream == "stdout" else ".stderr"
    (HERE / f"{name}{suffix}").write_text(text)
    (HERE / f"{name}.cmd").write_text(
        f"# user: {user}\n# exit status: {proc.returncode}\n# captured: {stream}, Slurm 22.05.8, cluster longrun-test\n"
        f"# argv (JSON): {json.dumps(argv)}\n{command_line(argv)}\n"
    )
    print(f"{name}: exit {proc.returncode}, {len(text)} chars", file=sys.stderr)
    return proc


def submit(directory: Path, scenario: str, name: str, *options: str) -> str:
    script = directory / f"{scenario}.sh"
    if not script.exists():
        write_script(directory, script.name, SCRIPTS[scenario], owner="alice")
    argv = ["sbatch", "--parsable", "-D", str(directory), "-o", f"{directory}/%j.out", "-J", name, *options]
    argv.append(str(script))
    proc = run_as("alice", argv, check=True)
    return proc.stdout.strip().split(";")[0]


def sacct_argv(ids: list[str]) -> list[str]:
    return ["sacct", "-P", "-n", f"--delimiter={US}", f"--format={SACCT_FORMAT}", "-j", ",".join(ids)]


def submit_env(directory: Path, scenario: str, name: str, *options: str, user: str = "alice") -> str:
    """Like submit(), with BUSY in the job's environment, as `user`."""
    script = directory / f"{scenario}.sh"
    if not script.exists():
        write_script(directory, script.name, SCRIPTS[scenario], owner=user)
    argv = ["sbatch", "--parsable", "-D", str(directory), "-o", f"{directory}/%j.out", "-J", name, *options]
    proc = run_as(user, [*argv, str(script)], env={"BUSY": BUSY}, check=True)
    return proc.stdout.strip().split(";")[0]


def capture_usage_and_odd_jobs() -> None:
    """Captures made with the client's own argv (a fresh delimiter per call, every field it asks for):
    jobs with known CPU and memory use, a heterogeneous job, an array with pending tasks, and jobs
    of bob with names that try to break rows, next to a job of alice."""
    d = make_user_dir("alice", "captures-usage")
    b = make_user_dir("bob", "captures-odd")
    ids = {
        "one": submit_env(d, "one_task", "lrcap-one-task", "--mem=400M", "--time=3"),
        "four": submit_env(d, "four_tasks", "lrcap-four-tasks", "-n", "4", "--mem=600M", "--time=3"),
        "percpu": submit_env(d, "one_task", "lrcap-per-cpu", "-c", "2", "--mem-per-cpu=150M", "--time=3"),
        "idle": submit_env(d, "idle", "lrcap-idle", "--mem=100M", "--time=3"),
        "het": submit_env(d, "hetjob", "lrcap-hetjob", "--time=3"),
        "array": submit_env(d, "idle", "lrcap-array-limited", "--array=1-5%1", "--time=3"),
        "alice": submit_env(d, "sleeper", "lrcap-alice-between", "--time=3"),
    }
    odd = []
    for name in ODD_NAMES:
        name = name.replace("{row}", US.join([ids["alice"], "forged", "alice", "debug", "lr1", "COMPLETED", "0:0"]))
        odd.append(submit_env(b, "sleeper", name, "--time=2", "--comment=odd \x1f comment\nline two", user="bob"))
    time.sleep(4)
    queue_ids = [ids["array"], ids["het"], ids["alice"], *odd]
    delimiter = fresh_delimiter()
    capture("squeue_odd_ids_and_names", "alice", squeue_argv(queue_ids, None, delimiter))
    for job in odd:
        run_as("bob", ["scancel", job])
    wait_for([ids[k] for k in ("one", "four", "percpu", "idle")], {"COMPLETED"}, 120)
    wait_for([ids["het"] + "+0"], {"COMPLETED"}, 60)
    time.sleep(3)
    capture("sacct_usage", "alice", sacct_argv_for_jobs([ids[k] for k in ("one", "four", "percpu", "idle")],
                                                        fresh_delimiter()))  # fmt: skip
    capture("sacct_hetjob", "alice", sacct_argv_for_jobs([ids["het"]], fresh_delimiter()))
    capture("sacct_array_pending", "alice", sacct_argv_for_jobs([ids["array"]], fresh_delimiter()))
    capture("sacct_odd_names", "alice", sacct_argv_for_jobs([ids["alice"], *odd], fresh_delimiter()))
    for job in (ids["array"], ids["alice"]):
        run_as("alice", ["scancel", job])


def state(job_id: str) -> str:
    out = run_as("alice", ["sacct", "-X", "-n", "-P", "-j", job_id, "--format=State"]).stdout.strip()
    return out.split("\n")[0] if out else ""


def wait_for(job_ids: list[str], done: set[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = {j: state(j).split(" ")[0] for j in job_ids}
        if all(s in done for s in states.values()):
            return
        time.sleep(1)
    raise SystemExit(f"jobs did not end in time: {states}")


def capture_until(name: str, job_id: str, wanted: Callable[[str], bool], tries: int = 60) -> bool:
    for _ in range(tries):
        proc = capture(name, "alice", sacct_argv([job_id]))
        if wanted(proc.stdout):
            return True
        time.sleep(0.1)
    return False


def capture_placeholders(d: Path) -> None:
    """slurmdbd's placeholder job row, while the job runs and right after it ends (about 1 s each).

    It is a race: submit again until the moment is caught.
    """
    for attempt in range(8):
        fresh = submit(d, "short", f"lrcap-fresh{attempt}")
        if capture_until("sacct_fresh_job", fresh, lambda out: "allocation" in out and "RUNNING" in out):
            break
    for attempt in range(8):
        ended = submit(d, "completed", f"lrcap-quick{attempt}")
        if capture_until(
            "sacct_placeholder_completed", ended, lambda out: "allocation" in out and "\x1fCOMPLETED\x1f" in out
        ):
            break


def capture_signal_to_ended_job(d: Path) -> None:
    """Signalling a job that just ended: unlike a plain cancel, scancel says Invalid job id."""
    job = submit(d, "exit3", "lrcap-ended")
    wait_for([job], {"FAILED"}, 60)
    capture("scancel_signal_ended_job", "alice", ["scancel", "-v", "--signal=USR1", job], stream="stderr")


def main() -> None:
    if sys.argv[1:] == ["usage"]:
        capture_usage_and_odd_jobs()
        return
    d = make_user_dir("alice", "captures")
    if sys.argv[1:] == ["placeholders"]:
        capture_placeholders(d)
        return
    if sys.argv[1:] == ["signal-ended"]:
        capture_signal_to_ended_job(d)
        return
    ids: dict[str, str] = {}
    ids["timeout"] = submit(d, "timeout", "lrcap-timeout", "--time=1", "--comment=longrun:cap timeout")
    ids["completed"] = submit(d, "completed", "lrcap-completed", "--comment=longrun:cap with spaces x=y")
    ids["exit3"] = submit(d, "exit3", "lrcap-exit3")
    ids["exit137"] = submit(d, "exit137", "lrcap-exit137")
    ids["oom"] = submit(d, "oom", "lrcap-oom", "--mem=100M")
    ids["pipe"] = submit(d, "short", "lrcap|pipe|name", "--time=5")
    ids["cancelled"] = submit(d, "sleeper", "lrcap-cancelled")
    ids["running"] = submit(d, "sleeper", "lrcap-running", "--time=10")
    ids["pending"] = submit(d, "sleeper", "lrcap-pending", "--begin=now+3600")
    ids["held"] = submit(d, "sleeper", "lrcap-held", "--hold")
    ids["array"] = submit(d, "exit3", "lrcap-array", "--array=1-3")

    # Right after a start, accounting can lag the controller (job row PENDING, batch step RUNNING).
    capture_placeholders(d)

    time.sleep(3)
    capture(
        "squeue_pending_running",
        "alice",
        [
            "squeue",
            "-h",
            "-o",
            SQUEUE_FORMAT,
            "-t",
            "all",
            "-j",
            ",".join([ids["running"], ids["pending"], ids["held"], ids["pipe"]]),
        ],
    )
    capture("squeue_user_alice", "alice", ["squeue", "-h", "-o", SQUEUE_FORMAT, "-u", "alice"])
    capture(
        "scontrol_show_job_running",
        "alice",
        ["scontrol", "show", "job", ids["completed"] if state(ids["completed"]) == "RUNNING" else ids["running"]],
    )
    capture("scontrol_show_job_pending", "alice", ["scontrol", "show", "job", ids["pending"]])
    capture("scontrol_show_job_held", "alice", ["scontrol", "show", "job", ids["held"]])
    capture("scontrol_show_job_array", "alice", ["scontrol", "show", "job", ids["array"]])

    # Errors, as Slurm prints them.
    capture(
        "sbatch_rejected_partition",
        "alice",
        ["sbatch", "--parsable", "-p", "nonexistent", "-D", str(d), str(d / "exit3.sh")],
        stream="stderr",
    )
    capture(
        "sbatch_parsable",
        "alice",
        ["sbatch", "--parsable", "-D", str(d), "-o", "/dev/null", "-J", "lrcap-parsable", str(d / "exit3.sh")],
    )
    capture("scancel_permission_denied", "bob", ["scancel", "-v", ids["running"]], stream="stderr")
    capture("scancel_invalid_id", "alice", ["scancel", "-v", "99999999"], stream="stderr")
    capture("scancel_signal_invalid_id", "alice", ["scancel", "-v", "--signal=USR1", "99999999"], stream="stderr")
    capture("scontrol_invalid_id", "alice", ["scontrol", "show", "job", "99999999"], stream="stderr")
    capture("scontrol_hold_permission_denied", "bob", ["scontrol", "hold", ids["pending"]], stream="stderr")
    capture("squeue_invalid_id", "alice", ["squeue", "-h", "-j", "99999999"], stream="stderr")

    wait_for([ids["exit137"]], {"FAILED", "COMPLETED"}, 60)
    capture("scontrol_show_job_exit137", "alice", ["scontrol", "show", "job", ids["exit137"]])
    run_as("alice", ["scancel", ids["cancelled"]], check=True)
    time.sleep(2)
    capture("scancel_already_completed", "alice", ["scancel", "-v", ids["cancelled"]], stream="stderr")
    capture_signal_to_ended_job(d)

    finished = [ids[k] for k in ("completed", "exit3", "exit137", "oom", "pipe", "cancelled")]
    wait_for(finished, {"COMPLETED", "FAILED", "OUT_OF_MEMORY", "CANCELLED"}, 90)
    wait_for([ids["array"]], {"FAILED"}, 60)
    capture("sacct_array", "alice", sacct_argv([ids["array"]]))
    wait_for([ids["timeout"]], {"TIMEOUT"}, 150)
    time.sleep(6)  # KillWait: let the step rows settle
    capture(
        "sacct_scenarios",
        "alice",
        sacct_argv(
            [
                ids[k]
                for k in (
                    "completed",
                    "exit3",
                    "exit137",
                    "oom",
                    "timeout",
                    "pipe",
                    "cancelled",
                    "running",
                    "pending",
                    "held",
                )
            ]
        ),
    )
    capture("scontrol_show_job_timeout", "alice", ["scontrol", "show", "job", ids["timeout"]])
    for key in ("running", "pending", "held", "array"):
        run_as("alice", ["scancel", ids[key]])


if __name__ == "__main__":
    main()
