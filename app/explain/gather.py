"""What one diagnosis needs, gathered the same way for `longrun explain` and the dashboard.

`gather(client, job_id)` is the CLI's entry: one sacct call, one `scontrol show job` (the
controller's record while it holds the job). The dashboard has the accounting from its poll and
its own cache of controller records (app.explain.focus). Both then run `complete()`: the chain
the job is a link of (its comment tag `longrun:<chain>:<attempt>`, looked up in the owner's
registry when readable), the batch script (scontrol's Command while held, else the chain's
script), the sbatch options it was submitted with (the chain's command line, the script's #SBATCH
lines), the output files (app.explain.logpaths: Slurm's rules) and their tails (app.explain.files),
and a lookup of its partition's limits (app.explain.partitions; called only if a rule needs them).

An id that names an array (`123` for tasks `123_1`, ...) gathers the tasks' accounting only (no
controller record, no logs: `diagnose_family` summarises them); a heterogeneous job (`123+0`,
`123+1`) gathers component +0 as above (it runs the batch script) and the other components'
accounting.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from app.diagnose import Diagnosis, DiagnosisContext, LogTail, diagnose, diagnose_family
from app.diagnose.context import EMPTY as EMPTY_CONTEXT
from app.diagnose.family import family_kind
from app.explain.logpaths import JobIdentity, LogPath, LogPaths, Submission, chain_submission, resolve_logs
from app.explain.partitions import PartitionCache
from app.explain.sbatch_options import merged
from app.explain.scripts import read_script
from app.explain.tail import read_tail
from app.model.chain import ChainStatus, Link, parse_comment_tag
from app.registry import Registry, RegistryError, default_home
from app.slurm.client import SlurmClient
from app.slurm.errors import SlurmUnavailable, UnknownJob
from app.slurm.jobid import family_of, parse_job_ref
from app.slurm.records import ControllerJob, JobAccounting

MAX_DIR_ENTRIES = 5000  # a working directory with more files is not scanned further for log names
LOG_SUFFIXES = (".out", ".err", ".log", ".txt")
JOB_ID_RE = re.compile(r"^\d+(?:_\d+)?(?:\+\d+)?$")


class JobNotFound(Exception):
    """Neither accounting nor the controller knows the id."""


@dataclass(frozen=True)
class ChainLink:
    """The chain a job is a link of, and that link, as the owner's registry records them."""

    status: ChainStatus
    link: Link


ChainFinder = Callable[[JobAccounting | None, ControllerJob | None], "ChainLink | None"]


@dataclass(frozen=True)
class Gathered:
    job_id: str
    accounting: JobAccounting | None
    controller: ControllerJob | None
    logs: tuple[LogTail, ...]
    script_text: str | None
    notes: tuple[str, ...]  # things we could not look at, for the human output
    chain: ChainLink | None = None
    context: DiagnosisContext = EMPTY_CONTEXT
    family: tuple[JobAccounting, ...] = ()  # an array's tasks or a heterogeneous job's components


def gather(client: SlurmClient, job_id: str, partitions: PartitionCache | None = None) -> Gathered:
    """Everything `longrun explain JOBID` shows; JobNotFound, SlurmUnavailable when it cannot."""
    notes: list[str] = []
    partitions = partitions or PartitionCache(client.partitions)
    found = client.accounting([job_id])
    members = family_of(found, job_id) or list(found.values())
    kind = family_kind(members) if len(members) > 1 else None
    if kind == "array":
        notes.append(
            "an array: each task is summarised from accounting; explain a task for its log and controller record"
        )
        context = DiagnosisContext(partition_lookup=partitions.lookup(members[0].job.partition))
        return Gathered(job_id, None, None, (), None, tuple(notes), context=context, family=tuple(members))
    accounting = members[0] if members else None
    controller: ControllerJob | None = None
    try:
        controller = client.show_job(_controller_id(job_id, accounting, kind is not None))
    except UnknownJob:
        controller = None
    except SlurmUnavailable as exc:
        if accounting is None:
            raise
        notes.append(f"the controller did not answer ({exc}); explained from accounting only")
    if accounting is None and controller is None:
        raise JobNotFound(f"job {job_id} is not known to Slurm (not in accounting, not held by the controller)")
    shown = job_id if kind is not None or accounting is None else accounting.job_id
    gathered = complete(shown, accounting, controller, tuple(notes), partitions=partitions)
    return replace(gathered, family=tuple(members) if kind is not None else ())


def _controller_id(job_id: str, accounting: JobAccounting | None, family: bool) -> str:
    """The id to ask scontrol about: sbatch's id for a family (it shows component +0 first) and for a
    task still in the pending tasks' record (`123_[4-9]` is no id scontrol takes), else sacct's."""
    if accounting is None or family:
        return job_id
    ref = parse_job_ref(accounting.job_id)
    return job_id if ref is not None and ref.pending_tasks else accounting.job_id


def complete(
    job_id: str,
    accounting: JobAccounting | None,
    controller: ControllerJob | None,
    notes: tuple[str, ...] = (),
    find: ChainFinder | None = None,
    partitions: PartitionCache | None = None,
) -> Gathered:
    """The shared part of both entry points: chain, script, options, log paths and tails for these records."""
    chain = (find or find_chain)(accounting, controller)
    command = controller.raw.get("Command") if controller else None
    # a chain's link: the chain's script (a wrapped link's Command is its launcher, chains/<id>/link)
    held_script = command if command and os.path.isabs(command) and chain is None else None
    submission: Submission | None
    if chain is not None:
        submission = chain_submission(chain.status.spec, chain.link)
    elif controller is not None and controller.work_dir:
        submission = Submission((), held_script, controller.work_dir)  # the command line is not known
    else:
        submission = None
    script = read_script(held_script or (submission.script if submission else None))
    ident = JobIdentity.of(job_id, accounting, controller)
    paths = resolve_logs(ident, submission, controller)
    logs = find_logs(job_id, paths, ident.work_dir or (submission.cwd if submission else None))
    partition = (accounting.job.partition if accounting else None) or (
        controller.raw.get("Partition") if controller else None
    )
    context = DiagnosisContext(
        partition_lookup=partitions.lookup(partition) if partitions is not None else None,
        chain=chain.status if chain else None,
        link=chain.link if chain else None,
        options=merged(submission.options if submission else (), script.directives if script else ()),
    )
    return Gathered(job_id, accounting, controller, logs, script.text if script else None, notes, chain, context)


def diagnose_gathered(gathered: Gathered) -> Diagnosis:
    """The diagnosis of what was gathered (NothingToDiagnose when there are no records)."""
    if gathered.family:
        return diagnose_family(gathered.job_id, gathered.family, gathered.controller, gathered.logs,
                               gathered.script_text, context=gathered.context)  # fmt: skip
    return diagnose(gathered.accounting, gathered.controller, gathered.logs, gathered.script_text,
                    context=gathered.context)  # fmt: skip


def find_chain(accounting: JobAccounting | None, controller: ControllerJob | None) -> ChainLink | None:
    """The longrun chain and link of this job, from its comment tag and its owner's registry.

    None when the job is no link, the owner's registry cannot be read, or the registry does not
    record this job id for the tagged attempt (a tag is only text anyone can write).
    """
    comment = (accounting.job.comment if accounting else None) or (controller.comment if controller else None)
    tag = parse_comment_tag(comment)
    owner = (accounting.job.user if accounting else None) or (controller.user if controller else None)
    if tag is None or not owner:
        return None
    job_id = accounting.job_id if accounting else controller.job_id  # type: ignore[union-attr]
    try:
        status = Registry(default_home(owner), read_only=True).status(tag[0])
    except (RegistryError, OSError):
        return None
    except Exception:  # a damaged chain record (bad types, deep nesting) must never stop an explanation
        return None
    for link in status.links:
        if link.attempt == tag[1] and link.job_id in (job_id, None):
            return ChainLink(status, link)
    return None


def find_logs(job_id: str, paths: LogPaths, work_dir: str | None) -> tuple[LogTail, ...]:
    """The tails of the job's output files; when the resolved one is unreadable and was not Slurm's
    own record, files in the working directory that name the job id (marked as guesses)."""
    stdout = _tail(paths.stdout)
    stderr = (_tail(paths.stderr),) if paths.stderr is not None else ()
    if stdout.readable or (paths.stdout.source == "scontrol" and paths.stdout.path is not None):
        return (stdout, *stderr)
    named = [read_tail(p, guessed=True) for p in files_naming_job(work_dir, job_id, exclude=stdout.path)]
    readable = tuple(log for log in named if log.readable)
    if readable:
        return readable
    if stdout.path is None and work_dir is None:
        return (LogTail(None, problem=stdout.problem or "Slurm keeps no output path or working directory for it"),)
    if paths.stdout.exact:
        return (stdout, *stderr)
    problem = (f"{stdout.problem}; Slurm's accounting does not keep -o/--output paths, and no file in the working "
               "directory names this job id")  # fmt: skip
    return (LogTail(stdout.path, problem=problem, guessed=True, directory_exists=stdout.directory_exists), *stderr)


def _tail(found: LogPath) -> LogTail:
    if found.path is None:
        return LogTail(None, problem=found.problem or "no path known", guessed=not found.exact)
    return read_tail(found.path, guessed=not found.exact)


def files_naming_job(directory: str | None, job_id: str, exclude: str | None = None) -> list[str]:
    """Up to two regular files in directory whose name holds the job id as a whole number, e.g. `train-1234.out`.

    A guess for logs written with -o patterns like `%x-%j.out` once Slurm no longer tells the path.
    Symbolic links are not candidates.
    """
    if not directory:
        return []
    token = re.compile(rf"(?<![0-9]){re.escape(job_id)}(?![0-9_])")
    found: list[str] = []
    try:
        with os.scandir(directory) as entries:
            for count, entry in enumerate(entries):
                if count >= MAX_DIR_ENTRIES:
                    break
                if (token.search(entry.name) and entry.name.endswith(LOG_SUFFIXES)
                        and entry.is_file(follow_symlinks=False) and entry.path != exclude):  # fmt: skip
                    found.append(entry.path)
    except OSError:
        return []
    found.sort(key=lambda p: (not p.endswith(".out"), p))
    return found[:2]
