"""The one log-path resolver: where a batch job's stdout (and stderr) went, by Slurm's own rules.

Used by the dashboard (LinkView.log_path of every link), `longrun status --json` and `longrun
explain`. In order:

1. `scontrol show job` StdOut/StdErr while the controller holds the job. scontrol expands only
   `%A %a %j %u %x` itself: a path still holding `%` or `\\` is finished here from the pattern
   that produced it (the command line's or the script's, checked against scontrol's text).
2. `-o/--output`, `-e/--error` on sbatch's command line (a chain's sbatch options);
3. the script's own `#SBATCH` lines (read up to its first command; the command line wins);
4. Slurm's default `slurm-%j.out` (`slurm-%A_%a.out` for an array task),

each expanded (app.explain.patterns) and taken relative to the job's working directory (`-D`
included). `%x` is the job's name: the records', else `-J/--job-name` (command line, then
#SBATCH), else the script's file name. When a pattern needs what is not known (the node before
the job starts), the path is None and `problem` says why. Without -e, stderr shares stdout's file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass

from app.explain.patterns import Expansion, PatternValues, expand, scontrol_form
from app.explain.sbatch_options import merged
from app.explain.scripts import Script, read_script
from app.model.chain import ChainSpec, Link
from app.slurm.records import ControllerJob, JobAccounting

ScriptReader = Callable[[str | None], Script | None]


@dataclass(frozen=True)
class Submission:
    """How a job was submitted, as far as we know it: sbatch's options, the script, sbatch's directory."""

    options: tuple[str, ...]  # sbatch's command-line options (without the script and its arguments)
    script: str | None  # the batch script's path (its #SBATCH lines; %x defaults to its file name)
    cwd: str  # where sbatch ran: -D and relative paths start here


def chain_submission(spec: ChainSpec, link: Link | None = None) -> Submission:
    """A longrun link's submission: the chain's sbatch options plus the link's own (e.g. grown --mem)."""
    options = (*spec.sbatch_options, *(link.options if link else ()))
    return Submission(options, spec.script, spec.workdir)


@dataclass(frozen=True)
class JobIdentity:
    """What the records say about a job that its file names may use; None where unknown."""

    job_id: str  # as sacct shows it: "123", or "123_4" for an array task
    raw_id: str | None = None  # an array task's own job id (scontrol's JobId, sacct's JobIDRaw)
    user: str | None = None
    name: str | None = None
    node: str | None = None  # the node that runs the batch script (Slurm's node name)
    work_dir: str | None = None

    @classmethod
    def of(cls, job_id: str, accounting: JobAccounting | None, controller: ControllerJob | None) -> JobIdentity:
        row = accounting.job if accounting else None
        raw = controller.raw if controller else {}
        node = raw.get("BatchHost") or _first_node(row.node_list if row else None)
        return cls(
            job_id=job_id,
            raw_id=controller.job_id if controller else (row.job_id_raw if row else None),
            user=(row.user if row else None) or (controller.user if controller else None),
            name=(row.name if row else None) or (controller.name if controller else None),
            node=node if node and node not in ("None", "(null)", "None assigned") else None,
            work_dir=(row.work_dir if row else None) or (controller.work_dir if controller else None),
        )


def _first_node(node_list: str | None) -> str | None:
    """The first node of a Slurm host list: `lr[1-3,7]` -> `lr1`, `a1,b[2-3]` -> `a1`."""
    if not node_list:
        return None
    depth = 0
    for index, char in enumerate(node_list):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            node_list = node_list[:index]
            break
    prefix, bracket, rest = node_list.partition("[")
    if not bracket:
        return prefix
    ranges, _, suffix = rest.partition("]")
    return prefix + re.split(r"[,-]", ranges, maxsplit=1)[0] + suffix


@dataclass(frozen=True)
class LogPath:
    """One output file: its path (None when it cannot be named) and how it was found."""

    path: str | None
    source: str  # "scontrol", "command line", "#SBATCH", "Slurm's default"
    exact: bool = True  # False: a guess (see problem): the submission, the script or a value was not known
    problem: str | None = None  # why there is no path, or what was taken on trust


@dataclass(frozen=True)
class LogPaths:
    stdout: LogPath
    stderr: LogPath | None = None  # a separate stderr file; None: stderr goes to stdout's file


def _values(ident: JobIdentity, name: str | None) -> PatternValues:
    array_job, _, task = ident.job_id.partition("_")
    is_task = bool(task)
    raw = ident.raw_id if is_task else ident.job_id
    return PatternValues(
        job_id=raw,
        array_job_id=array_job if is_task else None,
        array_task_id=task or None,
        user=ident.user,
        name=name,
        node=ident.node,
        node_guessed=True,
    )


def _job_dir(ident: JobIdentity, submission: Submission | None, chdir: str | None) -> str | None:
    if ident.work_dir:
        return ident.work_dir
    if submission is None:
        return None
    return os.path.join(submission.cwd, chdir) if chdir else submission.cwd


def _finish(expansion: Expansion, directory: str | None, source: str, doubt: str | None) -> LogPath:
    """The expanded pattern as a path; `doubt` says why it is only a guess (None: it is not)."""
    if expansion.text is None:
        return LogPath(None, source, doubt is None, "; ".join(expansion.missing))
    path = expansion.text
    if not os.path.isabs(path):
        if directory is None:
            return LogPath(None, source, doubt is None, "the job's working directory is not known")
        path = os.path.join(directory, path)
    problem = "; ".join(x for x in (doubt, *expansion.guessed) if x) or None
    return LogPath(path, source, doubt is None and not expansion.guessed, problem)


def _doubt(submission: Submission | None, script: Script | None) -> str | None:
    """Why paths built from this submission are only a guess; None when they are not."""
    if submission is None:
        return "a guess: how the job was submitted is not known"
    if submission.script is not None and script is None:
        return f"a guess: the batch script {submission.script} could not be read (its #SBATCH lines count)"
    return None


def resolve_logs(
    ident: JobIdentity,
    submission: Submission | None = None,
    controller: ControllerJob | None = None,
    scripts: ScriptReader = read_script,
) -> LogPaths:
    """Where the job's stdout and stderr are (see the module docstring for the rules)."""
    script = scripts(submission.script) if submission else None
    options = merged(submission.options if submission else (), script.directives if script else ())
    script_name = os.path.basename(submission.script) if submission and submission.script else None
    values = _values(ident, ident.name or _option(options, "job-name") or script_name)
    directory = _job_dir(ident, submission, _option(options, "chdir"))
    doubt = _doubt(submission, script)
    if "array" in options and values.array_task_id is None:
        why = f"an array job writes one file per task: explain a task ({ident.job_id}_N)"
        return LogPaths(LogPath(None, options["array"][1], problem=why))
    if "output" in options:
        out_pattern, out_source = options["output"]
    else:
        out_pattern = "slurm-%A_%a.out" if values.array_task_id is not None else "slurm-%j.out"
        out_source = "Slurm's default"
    stdout = _finish(expand(out_pattern, values), directory, out_source, doubt)
    stderr: LogPath | None = None
    if "error" in options:
        err_pattern, err_source = options["error"]
        stderr = _finish(expand(err_pattern, values), directory, err_source, doubt)
    if controller is not None and controller.std_out:
        stdout = _from_controller(controller.std_out, out_pattern, values, stdout)
        if controller.std_err and controller.std_err != controller.std_out:
            err_pattern = options["error"][0] if "error" in options else out_pattern
            stderr = _from_controller(controller.std_err, err_pattern, values, stderr or stdout)
        else:
            stderr = None
    if stderr is not None and stderr.path is not None and stderr.path == stdout.path:
        stderr = None
    return LogPaths(stdout, stderr)


def _option(options: dict[str, tuple[str, str]], name: str) -> str | None:
    value = options.get(name)
    return value[0] if value and value[0] else None


def _from_controller(shown: str, pattern: str, values: PatternValues, ours: LogPath) -> LogPath:
    """scontrol's StdOut/StdErr: exact when fully expanded; else finished from the pattern that made it."""
    if "%" not in shown and "\\" not in shown:
        return LogPath(shown, "scontrol")
    if ours.path is not None and _same_text(shown, pattern, values):
        return LogPath(ours.path, "scontrol", ours.exact, ours.problem)
    if "\\" in shown:
        why = "scontrol's path holds a backslash (Slurm then expands nothing); the pattern that made it is unknown"
        return LogPath(shown.replace("\\", ""), "scontrol", exact=False, problem=why)
    rest = _finish(expand(shown, values), None, "scontrol", None)
    return rest if rest.path is not None else LogPath(None, "scontrol", False, rest.problem)


def _same_text(shown: str, pattern: str, values: PatternValues) -> bool:
    form = scontrol_form(pattern, values)
    return shown == form or shown.endswith("/" + form)


def link_logs(spec: ChainSpec, link: Link, live: JobAccounting | None = None) -> LogPaths | None:
    """Where a longrun link writes (None before it has a job id): the dashboard asks for every link.

    A chain rebuilt from Slurm accounting (a colleague's unreadable registry) has no script path
    and no sbatch options: its links get Slurm's default name in its working directory, as a guess.
    """
    if link.job_id is None:
        return None
    found = JobIdentity.of(link.job_id, live, None)
    ident = JobIdentity(found.job_id, found.raw_id, found.user or spec.owner, found.name, found.node,
                        found.work_dir or (None if os.path.isabs(spec.script) else spec.workdir))  # fmt: skip
    return resolve_logs(ident, chain_submission(spec, link) if os.path.isabs(spec.script) else None)
