"""`longrun explain JOBID [--json]`: why a job ended, the facts that show it, and what to change.

Works for any job the user can see (own or a colleague's, submitted by longrun or not). What it
reads is gathered by app/explain, the pipeline the dashboard's Diagnosis pane runs too: one sacct
call, one `scontrol show job` (the controller's record while it holds the job), the job's batch
script, its chain's record when it is a longrun link, and the tails of its output files, found
by Slurm's own rules (app/explain/logpaths.py). The diagnosis itself is app/diagnose (pure).

Exit status: 0 explained; 2 unknown or malformed job id; 3 Slurm unreachable.

JSON output (`--json`), schema_version 2; keys are stable, new keys may be added. Version 2
changed meanings: out-of-memory advice is the limit x2 (or the chain's --grow-mem factor), not
the peak +25 %; `fix_options` holds `mem-per-cpu` instead of `mem` when the job asked per CPU,
and memory values are per node; a COMPLETED job with a failed step is kind `step_failed` (and a
step killed at the memory limit makes it `out_of_memory`); `longrun explain ARRAY_ID` answers
kind `array` (version 1 exited 2).

    {
      "schema_version": 2,
      "job_id": "123",                 # "123_4" for an array task; sbatch's id for an array or hetjob
      "name": "train.sh", "user": "alice",
      "state": "OUT_OF_MEMORY",        # controller's state while it holds the job, else sacct's (null: array)
      "exit_code": "0:125",            # sacct's code:signal (before 25.11, codes >= 128 show as N-128)
      "controller_exit_code": null,    # scontrol's code:signal (exact) while held, else null
      "partition": "debug", "node_list": "lr1",
      "elapsed": "00:01:14", "time_limit": "00:01:00",   # [D-]HH:MM:SS, null when unknown/unlimited
      "diagnosis": {
        "kind": "out_of_memory",       # stable id, see app/diagnose/diagnosis.py DiagnosisKind
        "title": "...", "explanation": "...",
        "evidence": [{"source": "sacct|scontrol|log|script|longrun", "item": "ExitCode", "value": "0:125"}],
        "suggestion": "..." | null,
        "fix_options": {"mem": "1G"},      # sbatch long option (without --) -> value; {} when none
        "ambiguous": ["..."],              # what the data could not decide
        "exit_codes": [9, 137],            # the script's possible real exit codes ([] when n/a)
        "signal": "SIGKILL" | null,
        "cancelled_by": "alice" | null,
        "handler_snippet": "..." | null,   # bash trap for the warning signal, when the job lacks one
        "continues_chain": false,          # whether a longrun chain resubmits after this ending
        "failed_steps": [{"step_id": "123.0", "name": "python3", "state": "OUT_OF_MEMORY",
                          "exit_code": "0:125", "meaning": "...", "out_of_memory": true}],
        "memory": {                        # null unless memory is part of the story
          "asked_per": "node" | "cpu",     # the unit of the advice (--mem or --mem-per-cpu)
          "asked_per_source": "--mem=300M (#SBATCH)" | null,   # null: not recorded, --mem assumed
          "request_per_node": "300M", "request_per_node_bytes": 314572800,
          "request_per_cpu": "75M", "request_total": "300M", "request_source": "AllocTRES mem=300M",
          "nodes": 1, "cpus": 4,
          "peak_per_node": "354.7M", "peak_per_node_bytes": 371916800, "peak_step": "0",
          "peak_how": "TRESUsageInTot mem=363180K", "efficiency_percent": 118.2
        },
        "time": {                          # null unless time advice was given
          "time_limit": "01:00:00", "suggested": "01:30:00" | null, "partition": "debug",
          "partition_max_time": "2-00:00:00" | null, "capped_by_partition": false, "at_partition_max": false
        },
        "pending": {                       # null unless the job is pending
          "reason": "Dependency", "reason_text": "Dependency", "reason_detail": null, "known_reason": true,
          "meaning": "...", "resolves_by_itself": "yes" | "no" | "maybe", "what_you_can_do": "...",
          "expected_start": "2026-12-01T19:47:53" | null,   # Slurm's estimate (as squeue --start)
          "eligible_time": "..." | null, "dependency": "afterok:123(unfulfilled)" | null
        },
        "chain": {                         # null unless the job is a longrun link
          "chain_id": "...", "name": "train", "owner": "alice", "attempt": 3, "attempt_limit": 21 | null,
          "chain_state": "RUNNING", "chain_reason": null, "decision": "continue: time limit" | null,
          "decided_by": "job 457" | "supervisor" | null,  # the job queued after it (inside Slurm) or the supervisor
          "next_attempt": 4 | null, "next_job_id": "456" | null, "next_state": "RUNNING" | null,
          "why_no_next": "..." | null
        },
        "family": {                        # null unless the id names an array or a heterogeneous job
          "kind": "array" | "heterogeneous", "job_id": "123", "counts": {"completed": 2, "exit_code": 1},
          "members": [{"job_id": "123_1", "raw_id": "124", "state": "COMPLETED", "exit_code": "0:0",
                       "partition": "debug", "kind": "completed", "title": "Completed", "tasks": 1}]
        },
        "details": ["..."]                 # the facts above in plain sentences (the dashboard shows them)
      },
      "steps": [{"step_id": "123.batch", "name": "batch", "state": "OUT_OF_MEMORY",
                 "cancelled_by_uid": null, "exit_code": "0:125", "elapsed": "00:00:03",
                 "max_rss": "250M", "max_rss_bytes": 262144000, "req_mem": "200M"}],   # job row first
      "logs": [{"path": "/home/alice/run/123.out", "readable": true, "problem": null,
                "guessed": false}],
      "notes": []                      # what could not be looked at (e.g. controller unreachable)
    }
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from rich.panel import Panel
from rich.syntax import Syntax

from app.console import fitted_table, literal, print_error, stdout
from app.diagnose import Diagnosis
from app.explain.gather import JOB_ID_RE, Gathered, JobNotFound, diagnose_gathered, gather
from app.slurm.client import default_client
from app.slurm.errors import SlurmUnavailable, UnknownJob
from app.slurm.records import SacctRow

SCHEMA_VERSION = 2

DESCRIPTION = """\
Explain how a Slurm job ended (or where it is now): out of memory, time limit, preemption,
node failure, a script error, a signal, a cancellation... with the facts that show it
(sacct, scontrol, the job's log) and a fix with concrete numbers (--mem, --time, --signal).

Works for any job you can see, yours or a colleague's, submitted with longrun or not.
"""

EPILOG = """\
examples:
  longrun explain 1234             why did job 1234 end, and what to change
  longrun explain 1234_7           one task of an array job
  longrun explain 1234             of an array: how its tasks ended; of a heterogeneous job: each component
  longrun explain 1234 --json      the same as JSON (keys documented in the README)
  longrun explain 1234 --json | jq -r '.diagnosis.fix_options | to_entries[] | "--\\(.key)=\\(.value)"'
                                   the sbatch options the fix suggests

exit status: 0 explained, 2 unknown job id, 3 Slurm unreachable.
Tip: right after a job ends (within Slurm's MinJobAge) scontrol still holds it and its exact
exit code; later only accounting is left, which shows exit codes >= 128 as N-128.
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "explain",
        help="why a job ended, and what to change",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "job_id", metavar="JOBID", help="a Slurm job id: 1234, 1234_7 for an array task, 1234+1 for a hetjob component"
    )
    parser.add_argument("--json", action="store_true", help="print JSON for scripts instead of text")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    job_id = str(args.job_id).strip()
    if not JOB_ID_RE.match(job_id):
        print_error(f"not a Slurm job id: {job_id!r} (expected e.g. 1234, 1234_7 or 1234+1)")
        return 2
    try:
        gathered = gather(default_client(), job_id)
    except (JobNotFound, UnknownJob) as exc:
        print_error(str(exc))
        return 2
    except SlurmUnavailable as exc:
        print_error(f"Slurm is not reachable, cannot explain job {job_id}: {exc}")
        return 3
    diagnosis = diagnose_gathered(gathered)
    if args.json:
        print(json.dumps(as_json(gathered, diagnosis), indent=2))
    else:
        render(gathered, diagnosis)
    return 0


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _rows(gathered: Gathered) -> list[SacctRow]:
    """The sacct rows to show: the job's (each component's for a heterogeneous job); none for an array."""
    if gathered.family and gathered.accounting is None:
        return []
    records = gathered.family or ((gathered.accounting,) if gathered.accounting else ())
    return [row for acc in records for row in (acc.job, *acc.steps)]


def as_json(gathered: Gathered, diagnosis: Diagnosis) -> dict[str, Any]:
    acc, ctl = gathered.accounting, gathered.controller
    job = acc.job if acc else (gathered.family[0].job if gathered.family else None)
    state = ctl.state if ctl else (acc.job.state if acc else None)
    return {
        "schema_version": SCHEMA_VERSION,
        "job_id": gathered.job_id,
        "name": job.name if job else (ctl.name if ctl else None),
        "user": (job.user if job else None) or (ctl.user if ctl else None),
        "state": state.value if state else None,
        "exit_code": _text(acc.job.exit_status) if acc else None,
        "controller_exit_code": _text(ctl.exit_status) if ctl else None,
        "partition": job.partition if job else None,
        "node_list": acc.job.node_list if acc else None,
        "elapsed": _text(acc.job.elapsed if acc else (ctl.run_time if ctl else None)),
        "time_limit": _text(job.time_limit if job else (ctl.time_limit if ctl else None)),
        "diagnosis": diagnosis.as_json(),
        "steps": [
            {
                "step_id": row.step_id,
                "name": row.name,
                "state": row.state.value,
                "cancelled_by_uid": row.cancelled_by_uid,
                "exit_code": str(row.exit_status),
                "elapsed": _text(row.elapsed),
                "max_rss": _text(row.max_rss),
                "max_rss_bytes": row.max_rss.bytes if row.max_rss else None,
                "req_mem": _text(row.req_mem),
            }
            for row in _rows(gathered)
        ],
        "logs": [
            {"path": log.path, "readable": log.readable, "problem": log.problem, "guessed": log.guessed}
            for log in gathered.logs
        ],
        "notes": list(gathered.notes),
    }


_STYLE = {"completed": "green", "running": "cyan", "pending": "cyan", "requeued": "cyan", "stopped_early": "yellow",
          "array": "cyan"}  # fmt: skip


def render(gathered: Gathered, diagnosis: Diagnosis) -> None:
    acc = gathered.accounting
    who = ""
    first = acc or (gathered.family[0] if gathered.family else None)
    if first and first.job.user:
        who = f" ({literal(first.job.name)}, {literal(first.job.user)})"
    colour = _STYLE.get(diagnosis.kind.value, "red")
    body = [literal(diagnosis.explanation, multiline=True)]
    details = diagnosis.details()
    if details:
        body += ["", *(f"- {literal(line)}" for line in details)]
    if diagnosis.ambiguous:
        body += ["", *(f"[yellow]uncertain:[/] {literal(note)}" for note in diagnosis.ambiguous)]
    if diagnosis.suggestion:
        body += ["", f"[bold]what to do:[/] {literal(diagnosis.suggestion, multiline=True)}"]
    if diagnosis.fix_options:
        options = " ".join(f"--{k}={v}" for k, v in diagnosis.fix_options.items())
        body += [f"[bold]sbatch options:[/] {literal(options)}"]
    stdout.print(
        Panel(
            "\n".join(body),
            title=f"[bold {colour}]job {literal(gathered.job_id)}{who}: {literal(diagnosis.title)}[/]",
            title_align="left",
            subtitle=f"kind: {diagnosis.kind.value}",
            subtitle_align="right",
            border_style=colour,
        )
    )
    if diagnosis.evidence:
        stdout.print("[bold]evidence[/]")
        for item in diagnosis.evidence:
            line = f"  [dim]{literal(item.source)}[/] {literal(item.item)}: {literal(item.value)}"
            stdout.print(line, soft_wrap=True)
    for note in gathered.notes:
        stdout.print(f"[yellow]note:[/] {literal(note)}")
    rows = _rows(gathered)
    if rows:
        lines = []
        for row in rows:
            state = row.state.value + (f" by {row.cancelled_by_uid}" if row.cancelled_by_uid is not None else "")
            lines.append([
                literal(row.step_id), literal(row.name), state, str(row.exit_status),
                _text(row.elapsed) or "", _text(row.max_rss) or "", _text(row.req_mem) or "",
            ])  # fmt: skip
        headers = ("JobID", "Name", "State", "ExitCode", "Elapsed", "MaxRSS", "ReqMem")
        table = fitted_table(
            headers,
            lines,
            "Name",
            "ellipsis",
            title="accounting (sacct)",
            title_justify="left",
            box=None,
            header_style="bold",
        )
        stdout.print(table)
    if diagnosis.handler_snippet:
        stdout.print("[bold]a handler for the warning signal (bash):[/]")
        stdout.print(Syntax(diagnosis.handler_snippet, "bash", theme="ansi_dark", background_color="default"))
