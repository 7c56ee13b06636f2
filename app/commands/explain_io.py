"""What `longrun explain` gathers before diagnosing: records from Slurm and the tails of the job's files.

At most one sacct call and one scontrol call per job. Files are read only as far as needed (the
last TAIL_BYTES), and only when the user running longrun may read them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import BinaryIO

from app.diagnose import LogTail
from app.model.chain import parse_comment_tag
from app.registry import Registry, RegistryError, default_home
from app.slurm.client import SlurmClient
from app.slurm.errors import SlurmUnavailable, UnknownJob
from app.slurm.records import ControllerJob, JobAccounting
from app.supervisor.links import link_log_path

TAIL_BYTES = 64 * 1024
TAIL_LINES = 60
COUNT_LINES_UP_TO = 16 * 1024 * 1024  # count the skipped lines (for exact line numbers) in files up to this size
SCRIPT_BYTES = 64 * 1024
MAX_DIR_ENTRIES = 5000  # a working directory with more files is not scanned further for log names
LOG_SUFFIXES = (".out", ".err", ".log", ".txt")
JOB_ID_RE = re.compile(r"^\d+(?:_\d+)?(?:\+\d+)?$")


class JobNotFound(Exception):
    """Neither accounting nor the controller knows the id (or it names a whole array)."""


@dataclass(frozen=True)
class Gathered:
    job_id: str
    accounting: JobAccounting | None
    controller: ControllerJob | None
    logs: tuple[LogTail, ...]
    script_text: str | None
    notes: tuple[str, ...]  # things we could not look at, for the human output


def gather(client: SlurmClient, job_id: str) -> Gathered:
    notes: list[str] = []
    found = client.accounting([job_id])
    accounting = found.get(job_id)
    if accounting is None and found:
        if len(found) == 1:
            accounting = next(iter(found.values()))
        else:
            tasks = ", ".join(sorted(found)[:3])
            raise JobNotFound(f"job {job_id} is an array of {len(found)} tasks; explain one task, e.g. {tasks}")
    controller: ControllerJob | None = None
    try:
        controller = client.show_job(accounting.job_id if accounting else job_id)
    except UnknownJob:
        controller = None
    except SlurmUnavailable as exc:
        if accounting is None:
            raise
        notes.append(f"the controller did not answer ({exc}); explained from accounting only")
    if accounting is None and controller is None:
        raise JobNotFound(f"job {job_id} is not known to Slurm (not in accounting, not held by the controller)")
    real_id = accounting.job_id if accounting else job_id
    return Gathered(real_id, accounting, controller, find_logs(real_id, accounting, controller),
                    read_script(controller), tuple(notes))  # fmt: skip


def find_logs(job_id: str, accounting: JobAccounting | None, controller: ControllerJob | None) -> tuple[LogTail, ...]:
    """The job's stdout (and stderr when separate): from scontrol while held, else the default name."""
    if controller is not None and controller.std_out:
        paths = [controller.std_out]
        if controller.std_err and controller.std_err != controller.std_out:
            paths.append(controller.std_err)
        return tuple(read_tail(p, guessed=False) for p in paths)
    from_chain = chain_log_path(job_id, accounting)
    if from_chain is not None:
        log = read_tail(from_chain, guessed=False)
        if log.text is not None:
            return (log,)
    work_dir = (accounting.job.work_dir if accounting else None) or (controller.work_dir if controller else None)
    if not work_dir:
        return (LogTail(None, problem="Slurm keeps no output path or working directory for it"),)
    array = job_id.split("_", 1)
    default = os.path.join(work_dir, f"slurm-{array[0]}_{array[1]}.out" if len(array) == 2 else f"slurm-{job_id}.out")
    guess = read_tail(default, guessed=True)
    if guess.text is not None:
        return (guess,)
    named = [read_tail(p, guessed=True) for p in files_naming_job(work_dir, job_id)]
    if any(log.text is not None for log in named):
        return tuple(log for log in named if log.text is not None)
    problem = (f"{guess.problem}; Slurm's accounting does not keep -o/--output paths, and no file in the working "
               "directory names this job id")  # fmt: skip
    return (LogTail(guess.path, problem=problem, guessed=True, directory_exists=guess.directory_exists),)


def chain_log_path(job_id: str, accounting: JobAccounting | None) -> str | None:
    """The output file of a longrun link, from its chain's -o option in the owner's registry.

    Slurm forgets -o paths once a job leaves the controller; the chain record still has them.
    None when the job is no link or the owner's registry cannot be read.
    """
    if accounting is None or not accounting.job.user:
        return None
    tag = parse_comment_tag(accounting.job.comment)
    if tag is None:
        return None
    owner = accounting.job.user
    try:
        registry = Registry(default_home(owner), read_only=True)
        status = registry.status(tag[0])
    except (RegistryError, OSError):
        return None
    return link_log_path(status, job_id, owner)


def files_naming_job(directory: str, job_id: str) -> list[str]:
    """Up to two files in directory whose name holds the job id as a whole number, e.g. `train-1234.out`.

    A guess for logs written with -o patterns like `%x-%j.out` once scontrol no longer tells the path.
    """
    token = re.compile(rf"(?<![0-9]){re.escape(job_id)}(?![0-9_])")
    found: list[str] = []
    try:
        with os.scandir(directory) as entries:
            for count, entry in enumerate(entries):
                if count >= MAX_DIR_ENTRIES:
                    break
                if token.search(entry.name) and entry.name.endswith(LOG_SUFFIXES) and entry.is_file():
                    found.append(entry.path)
    except OSError:
        return []
    found.sort(key=lambda p: (not p.endswith(".out"), p))
    return found[:2]


def read_tail(path: str, guessed: bool) -> LogTail:
    directory = os.path.dirname(path) or "."
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            start = max(0, size - TAIL_BYTES)
            skipped_lines: int | None = 0
            if start:
                skipped_lines = _count_lines(handle, start) if size <= COUNT_LINES_UP_TO else None
            handle.seek(start)
            data = handle.read(TAIL_BYTES)
    except FileNotFoundError:
        return LogTail(path, problem="no such file", guessed=guessed, directory_exists=os.path.isdir(directory))
    except PermissionError:
        return LogTail(path, problem="permission denied", guessed=guessed, directory_exists=True)
    except OSError as exc:
        return LogTail(path, problem=exc.strerror or str(exc), guessed=guessed)
    text = data.decode("utf-8", errors="replace")
    lines = text.splitlines()
    if start:
        lines = lines[1:]  # the first line is cut
        if skipped_lines is not None:
            skipped_lines += 1
    kept = lines[-TAIL_LINES:]
    first = None if skipped_lines is None else skipped_lines + len(lines) - len(kept) + 1
    return LogTail(path, text="\n".join(kept), guessed=guessed, directory_exists=True, first_line=first)


def _count_lines(handle: BinaryIO, upto: int) -> int:
    read = handle.read
    count = 0
    remaining = upto
    while remaining > 0:
        chunk = read(min(remaining, 1 << 20))
        if not chunk:
            break
        count += chunk.count(b"\n")
        remaining -= len(chunk)
    return count


def read_script(controller: ControllerJob | None) -> str | None:
    """The batch script named by scontrol's Command, when it is a readable file (for #SBATCH --signal, traps)."""
    command = controller.raw.get("Command") if controller else None
    if not command or not os.path.isabs(command):
        return None
    try:
        with open(command, "rb") as handle:
            return handle.read(SCRIPT_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return None
