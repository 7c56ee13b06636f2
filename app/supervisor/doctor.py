"""`longrun doctor`'s checks: can chains go on unattended with this user's setup, and what to change.

Each check gives a Check (ok / warn / fail / unknown, one line of what was found, and advice).
  python      the Python and longrun the links' wrapper would run (this process's), and where it lives
  compute     a probe job runs that Python on a compute node and writes into the registry
              (both must be reachable there: a shared file system); skipped with probe=False
  supervisor  alive (its lock), its heartbeat
  logout      would logging out end your processes (systemd-logind KillUserProcesses, linger)
  limits      job-count limits (sacctmgr associations and QOS) against the jobs a chain holds
  mode        the mode new chains get, and from where
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from app import __version__
from app.model.chain import MODE_SLURM
from app.registry import Registry, RegistryError
from app.slurm.client import SlurmClient
from app.slurm.errors import SlurmError
from app.supervisor.launcher import launcher_problem
from app.supervisor.lease import read_heartbeat, supervisor_alive
from app.supervisor.modes import ENV, ModeError, config_path, default_mode

OK, WARN, FAIL, UNKNOWN = "ok", "warn", "fail", "unknown"
LOCAL_FILE_SYSTEMS = {"ext2", "ext3", "ext4", "xfs", "btrfs", "tmpfs", "overlay", "zfs", "f2fs", "vfat", "ramfs"}
JOBS_PER_CHAIN = 2  # in-Slurm continuation: the running link and the job queued after it (3 for a moment)


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    found: str
    advice: str = ""

    def as_json(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "found": self.found, "advice": self.advice}


def file_system(path: Path) -> str | None:
    """The type of the file system holding `path` (from /proc/self/mounts: the longest mount prefix)."""
    try:
        lines = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return None
    target = str(path.resolve())
    best: tuple[int, str] | None = None
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount = parts[1].replace("\\040", " ")
        if target == mount or target.startswith(mount.rstrip("/") + "/"):
            if best is None or len(mount) > best[0]:
                best = (len(mount), parts[2])
    return best[1] if best else None


def check_python() -> Check:
    python = sys.executable
    problem = launcher_problem(python)
    if problem is not None:
        return Check("python", FAIL, problem, "run longrun from a virtual environment whose path has no spaces")
    kind = file_system(Path(python).parent)
    found = f"{python} (longrun {__version__}), on {kind or 'an unknown file system'}"
    if kind in LOCAL_FILE_SYSTEMS:
        advice = ("a local disk: compute nodes see it only if they are this machine or share it; put the virtual "
                  "environment on a shared file system (the probe job tells)")  # fmt: skip
        return Check("python", WARN, found, advice)
    return Check("python", OK, found)


PROBE = """#!{python}
import sys
from pathlib import Path
import app
Path(sys.argv[1]).write_text(sys.executable + " " + app.__version__)
"""


def check_compute(reg: Registry, slurm: SlurmClient, timeout: float, options: Sequence[str] = ()) -> Check:
    """A 1-minute probe job runs this Python on a compute node and writes into the registry."""
    name = "compute"
    try:
        reg.ensure_dirs()
        where = reg.home / "doctor"
        where.mkdir(mode=0o700, exist_ok=True)
        probe = where / "probe"
        probe.write_text(PROBE.format(python=sys.executable))
        probe.chmod(0o700)
        result = where / f"result-{os.getpid()}"
        result.unlink(missing_ok=True)
    except (OSError, RegistryError) as exc:
        return Check(
            name, FAIL, f"cannot write the registry {reg.home}: {exc}", "set LONGRUN_HOME to a directory you own"
        )
    argv_options = ["--time=1", "--job-name=longrun-doctor", "--output=/dev/null", *options]
    try:
        job_id = slurm.submit(str(probe), [str(result)], argv_options, cwd=str(where))
    except SlurmError as exc:
        return Check(name, FAIL, f"sbatch refused the probe job: {exc}", "check the partition and your account")
    deadline = time.monotonic() + timeout
    state = "PENDING"
    while time.monotonic() < deadline:
        if result.exists():
            text = result.read_text(errors="replace").strip()
            result.unlink(missing_ok=True)
            return Check(name, OK, f"probe job {job_id} ran {text} and wrote to {reg.home}")
        queued = {r.job_id: r for r in slurm.queue([job_id])}
        if job_id not in queued:
            time.sleep(1.0)  # ended: its file may take a moment on a network file system
            if result.exists():
                continue
            ended = slurm.accounting([job_id]).get(job_id)
            how = f"{ended.job.state.name} {ended.job.exit_status}" if ended else "without a trace"
            return Check(name, FAIL, f"probe job {job_id} ended {how} without writing to {reg.home}",
                         f"compute nodes cannot run {sys.executable} or write {reg.home}: put both on a shared "
                         "file system (or use --mode supervisor with a venv the nodes see)")  # fmt: skip
        record = queued[job_id]
        state = f"{record.state.name}" + (f" ({record.reason})" if record.reason else "")
        time.sleep(3.0)
    slurm.cancel(job_id)
    advice = "run `longrun doctor --probe-timeout 600` when the queue is shorter, or pick a partition with -p"
    return Check(name, UNKNOWN, f"probe job {job_id} was still {state} after {timeout:.0f} s (cancelled)", advice)


def check_supervisor(reg: Registry) -> Check:
    alive = supervisor_alive(reg)
    beat = read_heartbeat(reg)
    if alive:
        detail = f" (pid {beat.pid} on {beat.host}, heartbeat {beat.age:.0f} s ago)" if beat else ""
        return Check("supervisor", OK, f"running{detail}")
    try:
        waiting = [s for s in reg.statuses().chains.values() if not s.settled and not s.spec.in_slurm]
        supervised = bool(waiting) or default_mode() != MODE_SLURM
    except (RegistryError, ModeError):
        supervised = True
    if not supervised:
        return Check("supervisor", OK, "not running (no chain needs it: they continue inside Slurm)")
    return Check("supervisor", WARN, "not running",
                 "chains continued inside Slurm do not need it; supervised chains wait for it: any longrun command "
                 "starts it, or put `*/5 * * * * longrun supervise --ensure` in cron")  # fmt: skip


def check_logout(user: str) -> Check:
    """Would logging out end the user's processes (and so a supervisor started from a login shell)?"""
    try:
        proc = subprocess.run(["loginctl", "show-user", user, "-p", "KillUserProcesses", "-p", "Linger"],
                              capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        proc = None
    if proc is not None and proc.returncode == 0:
        values = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
        kill, linger = values.get("KillUserProcesses") == "yes", values.get("Linger") == "yes"
        found = f"KillUserProcesses={values.get('KillUserProcesses', '?')}, Linger={values.get('Linger', '?')}"
        if kill and not linger:
            return Check("logout", WARN, f"logging out ends your supervisor ({found})",
                         "chains continued inside Slurm go on anyway; for supervised ones run "
                         "`loginctl enable-linger` (if allowed) or cron `longrun supervise --ensure`")  # fmt: skip
        return Check("logout", OK, f"logging out leaves your processes running ({found})")
    setting = _logind_setting(Path("/etc/systemd/logind.conf"))
    if setting == "yes":
        advice = "chains continued inside Slurm go on anyway; supervised ones need cron `longrun supervise --ensure`"
        return Check("logout", WARN, "logind.conf says KillUserProcesses=yes (loginctl cannot tell more)", advice)
    found = "systemd-logind does not answer here" + ("; logind.conf does not end user processes" if setting else "")
    advice = "login nodes may still end long processes or reboot: chains continued inside Slurm do not care"
    return Check("logout", UNKNOWN, found, advice)


def _logind_setting(path: Path) -> str | None:
    try:
        text = path.read_text()
    except OSError:
        return None
    found = re.findall(r"^\s*KillUserProcesses\s*=\s*(\S+)", text, re.MULTILINE)
    return found[-1].lower() if found else "no"


def check_limits(slurm: SlurmClient, user: str) -> Check:
    try:
        limits = slurm.job_limits(user)
    except SlurmError as exc:
        return Check("limits", UNKNOWN, f"sacctmgr did not answer: {exc}")
    if limits.max_submit is None and limits.max_jobs is None:
        return Check("limits", OK, "no job-count limit in your associations or QOS")
    found = "; ".join(limits.sources)
    submit = limits.max_submit
    if submit is not None and submit < JOBS_PER_CHAIN + 1:
        return Check("limits", FAIL, found, f"at most {submit} jobs queued: chains cannot continue inside Slurm "
                     "(each holds a running link and a queued next one); use `--mode supervisor`")  # fmt: skip
    if submit is not None:
        chains = submit // JOBS_PER_CHAIN
        return Check("limits", WARN if chains < 20 else OK, found,
                     f"about {chains} chains at once inside Slurm (2 jobs each); above that `--mode supervisor` "
                     "(1 job each)")  # fmt: skip
    return Check("limits", OK, found)


def check_mode() -> Check:
    try:
        mode = default_mode()
    except ModeError as exc:
        return Check("mode", FAIL, str(exc), f"fix {config_path()} or {ENV}")
    origin = ENV if os.environ.get(ENV) else (str(config_path()) if config_path().exists() else "the default")
    what = "continued inside Slurm" if mode == MODE_SLURM else "continued by your supervisor"
    return Check("mode", OK, f"new chains are {what} ({mode}, from {origin})")


def run_checks(reg: Registry, slurm: SlurmClient, user: str, probe: bool, timeout: float,
               options: Sequence[str] = ()) -> list[Check]:  # fmt: skip
    python = check_python()
    checks = [check_mode(), check_supervisor(reg), check_logout(user), check_limits(slurm, user)]
    if probe:
        compute = check_compute(reg, slurm, timeout, options)
        if compute.status == OK and python.status == WARN:  # on a local disk, but the nodes see it
            python = Check(python.name, OK, python.found + " (compute nodes reach it)")
        checks.insert(0, compute)
    return [python, *checks]
