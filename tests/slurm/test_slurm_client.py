"""SlurmClient against the real test cluster, used the way a person's process uses it.

Submissions and cancels run as alice (or bob) through a tiny Python snippet under the venv's
python; holds, releases and requeues (which the program never does) run `scontrol` as the user.
Reading runs in the test process, since any user may read any job here. Each test submits its
own jobs into its own directory and cancels them by id.
"""

from __future__ import annotations

import json
import textwrap
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.model.exit_status import ExitStatus
from app.model.states import JobState
from app.slurm.client import SlurmClient
from app.slurm.errors import SlurmTimeout, SlurmUnavailable
from app.slurm.records import ControllerJob, JobAccounting
from app.slurm.runner import CommandRunner
from app.slurm.sacct import is_placeholder
from tests.conftest import VENV, run_as, wait_until, write_script

PRELUDE = """
import json, sys
from app.slurm.client import SlurmClient
from app.slurm.errors import SlurmError
c = SlurmClient(timeout=30)
def out(value):
    print(json.dumps(value))
try:
{body}
except SlurmError as exc:
    out({{"error": type(exc).__name__, "message": str(exc)}})
"""


def client_as(user: str, body: str, cwd: Path | None = None) -> Any:
    """Run `body` (which calls out(...)) with a SlurmClient `c` as `user`; return what it printed."""
    code = PRELUDE.format(body=textwrap.indent(textwrap.dedent(body), "    "))
    proc = run_as(user, [f"{VENV}/bin/python", "-c", code], cwd=cwd or "/tmp", timeout=90)
    assert proc.returncode == 0, f"snippet failed as {user}:\n{proc.stdout}\n{proc.stderr}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def submit_as(user: str, directory: Path, script: Path, *options: str, env: dict[str, str] | None = None) -> str:
    opts = ["-D", str(directory), "-o", f"{directory}/%j.out", *options]
    job_id = client_as(user, f"out(c.submit({str(script)!r}, options={opts!r}, env={env!r}))")
    assert isinstance(job_id, str) and job_id.isdigit(), job_id
    return job_id


def scontrol_as(user: str, action: str, job_id: str) -> None:
    """`scontrol hold|release|requeue JOB` as the user (test set-up; the client has no such calls)."""
    run_as(user, ["scontrol", action, job_id], check=True)


def accounting_when(client: SlurmClient, ids: list[str], done: Any, timeout: float) -> dict[str, JobAccounting]:
    def ready() -> dict[str, JobAccounting] | None:
        found = client.accounting(ids)
        return found if all(j in found and done(found[j]) for j in ids) else None

    result = wait_until(ready, timeout, 1.0, what=f"jobs {ids} in accounting")
    assert isinstance(result, dict)
    return result


def ended(acc: JobAccounting) -> bool:
    """Ended, with its steps, and with its own job row (not slurmdbd's placeholder)."""
    steps_done = bool(acc.steps) and all(s.state.is_terminal for s in acc.steps)
    return acc.job.state.is_terminal and steps_done and not is_placeholder(acc)


def test_submit_and_one_batched_accounting_call_with_steps(alice_dir: Path) -> None:
    ok = write_script(alice_dir, "ok.sh", '#!/bin/bash\nsrun /bin/echo step "$LR_MARK"\necho done\n', "alice")
    three = write_script(alice_dir, "three.sh", "#!/bin/bash\nexit 3\n", "alice")
    k137 = write_script(alice_dir, "k137.sh", "#!/bin/bash\nexit 137\n", "alice")
    ids = [
        submit_as("alice", alice_dir, ok, "-J", "cl|ok", env={"LR_MARK": "marked-42"}),
        submit_as("alice", alice_dir, three, "--comment=longrun:client test"),
        submit_as("alice", alice_dir, k137),
    ]
    # Within MinJobAge the controller still has the job, with the real exit code: ask it as soon as it
    # ends (waiting for the others first could outlast MinJobAge on a loaded machine).
    held = wait_until(lambda: (job := SlurmClient().show_job(ids[2])).state.is_terminal and job, 300,
                      what=f"job {ids[2]} ended, in the controller")  # fmt: skip
    assert isinstance(held, ControllerJob) and held.exit_status == ExitStatus(137, 0)
    client = SlurmClient()
    before = client.calls
    jobs = accounting_when(client, ids, ended, 300)
    polls = client.calls - before
    assert polls >= 1 and client.calls == before + polls, "one sacct call per accounting()"

    ok_acc, three_acc, k137_acc = (jobs[j] for j in ids)
    assert ok_acc.job.name == "cl|ok" and ok_acc.job.user == "alice" and ok_acc.job.state is JobState.COMPLETED
    assert [s.step for s in ok_acc.steps] == ["batch", "0"]
    assert (alice_dir / f"{ids[0]}.out").read_text().startswith("step marked-42\n"), "env reaches the job"
    assert three_acc.job.state is JobState.FAILED and three_acc.job.exit_status == ExitStatus(3, 0)
    assert three_acc.job.comment == "longrun:client test"
    assert k137_acc.job.exit_status == ExitStatus(9, 0)
    assert client.accounting([]) == {} and client.calls == before + polls


def test_queue_and_show_job_through_hold_release_requeue(alice_dir: Path) -> None:
    sleeper = write_script(alice_dir, "sleep.sh", "#!/bin/bash\nsleep 120\n", "alice")
    running = submit_as("alice", alice_dir, sleeper, "-J", "cl-running", "--time=3")
    held = submit_as("alice", alice_dir, sleeper, "-J", "cl-held", "--hold")
    client = SlurmClient()
    try:
        wait_until(lambda: client.show_job(running).state is JobState.RUNNING, 300, what="job running")
        rows = {r.job_id: r for r in client.queue([running, held])}
        assert rows[running].state is JobState.RUNNING and rows[running].name == "cl-running"
        assert rows[running].node_list == "lr1" and rows[running].time_limit is not None
        assert rows[held].state is JobState.PENDING and rows[held].reason == "JobHeldUser"
        assert {running, held} <= {r.job_id for r in client.queue(user="alice")}

        shown = client.show_job(running)
        assert shown.user == "alice" and shown.std_out == f"{alice_dir}/{running}.out" and shown.end is not None

        scontrol_as("alice", "release", held)
        wait_until(lambda: client.show_job(held).reason != "JobHeldUser", 120, what="release")
        scontrol_as("alice", "hold", held)
        scontrol_as("alice", "requeue", running)
        requeued = wait_until(lambda: client.show_job(running).restarts == 1, 120, what="requeue")
        assert requeued
        assert client.show_job(running).state in (JobState.PENDING, JobState.REQUEUED, JobState.COMPLETING)
    finally:
        run_as("alice", ["scancel", running, held])


def test_signal_to_batch_shell_only_is_seen_in_the_log_then_cancel(alice_dir: Path) -> None:
    script = write_script(
        alice_dir, "trap.sh",
        "#!/bin/bash\ntrap 'echo got-USR1' USR1\necho ready\nfor i in $(seq 120); do sleep 1; done\n", "alice",
    )  # fmt: skip
    job = submit_as("alice", alice_dir, script, "--time=3")
    log = alice_dir / f"{job}.out"
    wait_until(lambda: log.exists() and "ready" in log.read_text(), 300, what="job started")
    assert client_as("alice", f"c.cancel({job!r}, signal='USR1', batch_only=True); out('sent')") == "sent"
    wait_until(lambda: "got-USR1" in log.read_text(), 120, what="USR1 in the job log")
    assert client_as("alice", f"c.cancel({job!r}); c.cancel({job!r}); out('cancelled')") == "cancelled"
    client = SlurmClient()
    acc = accounting_when(client, [job], lambda a: a.job.state is JobState.CANCELLED, 120)[job]
    alice_uid = int(run_as("alice", ["id", "-u"], check=True).stdout)
    assert acc.job.cancelled_by_uid == alice_uid
    # Signalling an ended job: scancel says "Invalid job id specified" (plain scancel would not).
    again = client_as("alice", f"c.cancel({job!r}, signal='USR1')")
    assert again["error"] == "UnknownJob" and "Invalid job id specified" in again["message"]


def test_colleague_is_refused(alice_dir: Path) -> None:
    sleeper = write_script(alice_dir, "sleep.sh", "#!/bin/bash\nsleep 60\n", "alice")
    job = submit_as("alice", alice_dir, sleeper, "--time=2")
    try:
        for call in (f"c.cancel({job!r})", f"c.cancel({job!r}, signal='TERM', full=True)"):
            refused = client_as("bob", f"{call}; out('done')")
            assert refused["error"] == "PermissionDenied", (call, refused)
        assert SlurmClient().show_job(job).state in (JobState.PENDING, JobState.RUNNING)
        # Reading is allowed.
        assert client_as("bob", f"out([r.user for r in c.queue([{job!r}])])") == ["alice"]
    finally:
        run_as("alice", ["scancel", job])


def test_unknown_job_ids() -> None:
    body = """
    from app.slurm.errors import UnknownJob
    seen = []
    for call in (lambda: c.show_job("99999999"), lambda: c.cancel("99999999"),
                 lambda: c.cancel("99999999", signal="USR1"), lambda: c.show_job("1;rm")):
        try:
            call()
            seen.append("no error")
        except UnknownJob as exc:
            seen.append("UnknownJob")
    out({"seen": seen, "queue": c.queue(["99999999"]), "acct": list(c.accounting(["99999999"]))})
    """
    assert client_as("alice", body) == {"seen": ["UnknownJob"] * 4, "queue": [], "acct": []}


def test_submission_rejected_with_slurms_message(alice_dir: Path) -> None:
    script = write_script(alice_dir, "ok.sh", "#!/bin/bash\ntrue\n", "alice")
    rejected = client_as("alice", f"out(c.submit({str(script)!r}, options=['-p', 'nonexistent']))")
    assert rejected["error"] == "SubmissionRejected"
    assert "Invalid partition name specified" in rejected["message"]
    missing = client_as("alice", f"out(c.submit({str(alice_dir / 'nope.sh')!r}))")
    assert missing["error"] == "SubmissionRejected" and "nope.sh" in missing["message"]


def test_unavailable_when_the_command_is_missing_or_slow() -> None:
    missing = SlurmClient(runner=CommandRunner(path="/nonexistent"))
    with pytest.raises(SlurmUnavailable, match="not found"):
        missing.accounting(["1"])
    slow = SlurmClient(runner=CommandRunner(timeout=1e-6))
    with pytest.raises(SlurmTimeout, match="did not answer"):
        slow.queue()
    assert slow.calls == 1 and missing.calls == 0


def test_accounting_for_user_with_comment_prefix(alice_dir: Path) -> None:
    prefix = f"longrun:{alice_dir.name}:"
    script = write_script(alice_dir, "ok.sh", "#!/bin/bash\nsleep 1\n", "alice")
    since = datetime.now() - timedelta(minutes=1)
    ids = [submit_as("alice", alice_dir, script, f"--comment={prefix}{i}") for i in range(2)]
    other = submit_as("alice", alice_dir, script, "--comment=longrun:other")
    client = SlurmClient()
    accounting_when(client, [*ids, other], ended, 300)
    # Listing by user lags listing by id by a second or two in slurmdbd: poll.
    mine = wait_until(
        lambda: len(found := client.accounting_for_user("alice", since, comment_prefix=prefix)) == 2 and found,
        120, what="both jobs in alice's listing",
    )  # fmt: skip
    assert isinstance(mine, list) and sorted(a.job_id for a in mine) == sorted(ids)
    assert {a.job.comment for a in mine} == {f"{prefix}0", f"{prefix}1"}
    everyone = wait_until(
        lambda: {*ids, other} <= {a.job_id for a in client.accounting_for_user(None, since)}, 120, what="all users"
    )
    assert everyone


ODD_NAMES = (
    "sd-x\x1fy",
    "sd-two\nlines",
    "sd|p|q",
    "sd-\x1b]0;TITLE\x07\x1b[2J",
    "sd-[@click=app.quit]",
    "sd-" + "L" * 1021,
    "sd-forge\n{row}",
)


def test_no_job_name_on_the_cluster_breaks_another_row(alice_dir: Path, bob_dir: Path) -> None:
    """bob names his jobs with the unit separator, newlines, escapes, 1,024 characters, and one
    that imitates a COMPLETED row of alice's job; everyone's queue and everyone's accounting,
    read through the client, keep every row as Slurm meant it, alice's included (16.8)."""
    since = datetime.now() - timedelta(minutes=1)
    sleeper = write_script(alice_dir, "sleep.sh", "#!/bin/bash\nsleep 120\n", "alice")
    # Not held: sacct's listing since a moment leaves out jobs that were never eligible to start.
    alice_job = submit_as("alice", alice_dir, sleeper, "-J", "sd-alice-between", "--time=2")
    bob_script = write_script(bob_dir, "sleep.sh", "#!/bin/bash\nsleep 120\n", "bob")
    row = "\x1f".join([alice_job, "forged", "alice", "debug", "lr1", "COMPLETED", "0:0"])
    names = [n.replace("{row}", row) for n in ODD_NAMES]
    odd = [submit_as("bob", bob_dir, bob_script, "-J", n, "--time=2", "--comment=c\x1fd\ne") for n in names]
    client = SlurmClient()
    try:
        queue = client.queue()  # everyone's
        assert queue.problems == ()
        mine = {r.job_id: r for r in queue if r.job_id in {alice_job, *odd}}
        assert [mine[j].name for j in odd] == names, "squeue keeps every name whole"
        assert all(mine[j].comment == "c\x1fd\ne" and mine[j].user == "bob" for j in odd)
        live = (JobState.PENDING, JobState.RUNNING)
        assert mine[alice_job].name == "sd-alice-between" and mine[alice_job].state in live

        def listed() -> dict[str, JobAccounting] | None:
            jobs = client.accounting_for_user(None, since)
            found = {a.job_id: a for a in jobs if a.job_id in {alice_job, *odd}}
            return found if len(found) == len(odd) + 1 and jobs.problems == () else None

        found = wait_until(listed, 300, what="every job in everyone's accounting")
        assert isinstance(found, dict)
        assert [found[j].job.name for j in odd] == [n[:255] for n in names], "slurmdbd keeps 255 characters"
        alice = found[alice_job].job
        assert alice.state in live and alice.user == "alice" and alice.name == "sd-alice-between"
        by_id = client.accounting([alice_job, *odd])
        assert by_id.problems == () and by_id[alice_job].job.state in live, "not the forged COMPLETED"
    finally:
        run_as("alice", ["scancel", alice_job])
        run_as("bob", ["scancel", *odd])


@pytest.mark.parametrize("kind", ["hetjob", "array"])
def test_family_finds_every_component_and_task_from_sbatchs_id(alice_dir: Path, kind: str) -> None:
    if kind == "hetjob":
        script = write_script(alice_dir, "het.sh", (
            "#!/bin/bash\n#SBATCH -p debug -n 1 --mem=100M\n#SBATCH hetjob\n#SBATCH -p preemptible -n 1 --mem=100M\n"
            "srun --het-group=0,1 true\n"), "alice")  # fmt: skip
        job = submit_as("alice", alice_dir, script, "--time=2")
        wanted = [f"{job}+0", f"{job}+1"]
    else:
        script = write_script(alice_dir, "arr.sh", "#!/bin/bash\nsleep 30\n", "alice")
        job = submit_as("alice", alice_dir, script, "--array=1-4%1", "--time=2")
        wanted = []
    client = SlurmClient()
    try:

        def members() -> list[str] | None:
            ids = [a.job_id for a in client.family(job)]
            if kind == "hetjob":
                return ids if ids == wanted else None
            started = [i for i in ids if "[" not in i]
            return ids if started and ids[-1].startswith(f"{job}_[") and ids[-1].endswith("%1]") else None

        ids = wait_until(members, 300, what=f"the {kind}'s records in accounting")
        assert isinstance(ids, list) and all(i.startswith(f"{job}_") or i.startswith(f"{job}+") for i in ids)
        assert client.calls >= 1
    finally:
        run_as("alice", ["scancel", job])
