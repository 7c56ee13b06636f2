"""`longrun workflow validate|submit|status|reinit`: Torc workflow files (YAML, JSON5) run as chains.

Reading and checking files is app/workflows/loader.py; turning jobs into chains and the status rows
are app/workflows/run.py, reinit is app/workflows/reinit.py. This module parses arguments and prints.
"""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path
from typing import Any

from app.commands.chains import report_damaged
from app.console import fitted_table, literal, print_error, stdout
from app.registry import default_home
from app.services import ActionRefused, Services
from app.supervisor import ensure_supervisor
from app.workflows.loader import load_workflow
from app.workflows.nodes import visible
from app.workflows.reinit import apply_reinit, plan_reinit
from app.workflows.run import WorkflowError, plan_workflow, planned_dir, submit_workflow, workflow_rows
from app.workflows.spec import LoadResult, Workflow

HELP = "run a Torc workflow file (YAML, JSON5 or JSON) of dependent jobs as chains"
DESCRIPTION = """\
A workflow file lists jobs, their commands, resources and dependencies in Torc's format (YAML,
or JSON5/JSON by extension): parameters, files that order jobs, actions and failure handlers
included. Each job becomes a chain: a job that supports termination gets the warning signal and
continues in a new Slurm job after a time-out; a job starts only after every job it depends on
has completed (held by the supervisor, not by Slurm --dependency).
"""
EPILOG = """\
examples:
  longrun workflow validate pipeline.yaml       every problem, as file:line: message
  longrun workflow submit pipeline.json5 --dry-run  per job: after what, the command, sbatch options
  longrun workflow submit pipeline.yaml         submit (jobs without dependencies start now)
  longrun workflow status ml_pipeline           one line per job: state, attempt, reason
  longrun workflow reinit ml_pipeline --dry-run which jobs a reinit would run again
  longrun workflow reinit ml_pipeline           run failed/stopped jobs and everything after them again

mapping of workflow fields to sbatch options: see `longrun workflow submit --help`
"""
SUBMIT_EPILOG = """\
how fields become sbatch options (each job is its own Slurm job, in the workflow file's directory):
  num_cpus -> --cpus-per-task    memory (16g, 512m) -> --mem       num_gpus -> --gres=gpu:N
  num_nodes / scheduler nodes -> --nodes     runtime (PT2H) / walltime (04:00:00) -> --time in
  whole minutes, rounded up (the shorter of the two)    account, partition, qos -> --account,
  --partition, --qos    extra -> split like a shell (no shell runs), added last
  supports_termination: true  -> the --signal of extra, or --signal=B:TERM@60; continues after
                                 TIMEOUT, preemption, or exit 75 ("checkpointed, continue")
  supports_termination: false -> no --signal; a TIMEOUT stops the job (and holds its dependents)
  command -> a batch script `exec <command>` (the signal reaches the command itself)
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "workflow",
        help=HELP,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(title="workflow commands", metavar="ACTION")
    parser.set_defaults(handler=lambda _args: _usage(parser))

    validate = sub.add_parser(
        "validate",
        help="check a workflow file and list every problem",
        description="Check FILE: YAML/JSON5 syntax, keys, parameters, files, durations, memory sizes, dependencies "
        "(missing, cycles), schedulers. Exit 0 when it can run (notes are "
        "printed), 1 when it has errors.",
    )
    validate.add_argument("file", type=Path, metavar="FILE")
    validate.add_argument("--json", action="store_true", help="problems as JSON")
    validate.set_defaults(handler=_validate)

    submit = sub.add_parser(
        "submit",
        help="submit every job of a workflow as a chain",
        description="Submit FILE: one chain per job; jobs wait for the jobs they depend on.",
        epilog=SUBMIT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    submit.add_argument("file", type=Path, metavar="FILE")
    submit.add_argument("--dry-run", action="store_true", help="show the sbatch options and scripts; submit nothing")
    submit.add_argument("--json", action="store_true", help="machine-readable output")
    submit.set_defaults(handler=_submit)

    status = sub.add_parser(
        "status",
        help="one line per job of a submitted workflow",
        description="The chains of workflow NAME: job, state, attempt, job id, reason.",
    )
    status.add_argument("name", metavar="NAME")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(handler=_status)

    reinit = sub.add_parser(
        "reinit",
        help="run failed or stopped jobs (and their dependents) again",
        description="Reset the jobs of workflow NAME that failed, were terminated or "
        "cancelled, and every job downstream of them; completed jobs stay "
        "completed unless --force.",
    )
    reinit.add_argument("name", metavar="NAME")
    reinit.add_argument("--force", action="store_true", help="also run completed jobs again (all of them)")
    reinit.add_argument("--dry-run", action="store_true", help="show what would be reset; change nothing")
    reinit.add_argument("--json", action="store_true", help="machine-readable output")
    reinit.set_defaults(handler=_reinit)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _print_problems(result: LoadResult, source: Path) -> None:
    for problem in result.problems:
        colour = "red" if problem.severity == "error" else "yellow"
        text = literal(problem.render(str(source)))
        stdout.print(f"[{colour}]{text}[/]" if problem.severity == "error" else text, soft_wrap=True)


def _validate(args: argparse.Namespace) -> int:
    result = load_workflow(args.file)
    if args.json:
        data = {
            "file": str(args.file),
            "ok": not result.errors,
            "problems": [{"severity": p.severity, "line": p.line, "message": p.message} for p in result.problems],
        }
        print(json.dumps(data, indent=2))
        return 1 if result.errors else 0
    _print_problems(result, args.file)
    errors, notes = len(result.errors), len(result.notes)
    if errors:
        print_error(f"{visible(str(args.file))}: {errors} error{'s' * (errors != 1)}, {notes} note{'s' * (notes != 1)}")
        return 1
    assert result.workflow is not None
    jobs = len(result.workflow.jobs)
    stdout.print(
        f"{literal(str(args.file))}: ok: workflow {literal(result.workflow.name)}, {jobs} job"
        f"{'s' * (jobs != 1)}, {notes} note{'s' * (notes != 1)}",
        soft_wrap=True,
    )
    return 0


def _load_or_report(path: Path) -> Workflow | None:
    result = load_workflow(path)
    if result.errors:
        _print_problems(result, path)
        print_error(
            f"{visible(str(path))}: {len(result.errors)} errors; nothing submitted (see `longrun workflow validate`)"
        )
        return None
    assert result.workflow is not None
    return result.workflow


def _submit(args: argparse.Namespace) -> int:
    workflow = _load_or_report(args.file)
    if workflow is None:
        return 1
    if args.dry_run:
        plans = plan_workflow(workflow, planned_dir(default_home(), workflow))
        if args.json:
            print(
                json.dumps(
                    {
                        "workflow": workflow.name,
                        "dry_run": True,
                        "notes": [n.render(str(args.file)) for n in workflow.notes],
                        "chains": [p.to_json() for p in plans],
                    },
                    indent=2,
                )
            )
            return 0
        for note in workflow.notes:
            stdout.print(literal(note.render(str(args.file))), soft_wrap=True)
        for plan in plans:
            stdout.print(f"\n[bold]{literal(plan.job.name)}[/]", soft_wrap=True)
            after = ", ".join(visible(dep) for dep in plan.job.depends_on) or "nothing (starts at once)"
            stdout.print(f"  after: {literal(after)}", soft_wrap=True)
            command = plan.job.command.splitlines() or [""]
            stdout.print(f"  command: {literal(command[0])}", soft_wrap=True)
            for line in command[1:]:
                stdout.print(f"           {literal(line)}", soft_wrap=True)
            stdout.print(f"  script: {literal(str(plan.script_path))}", soft_wrap=True)
            stdout.print("  sbatch " + literal(shlex.join(plan.options)), soft_wrap=True)
            policy = (
                "continues after time-outs (and exit 75)"
                if plan.job.supports_termination
                else "no --signal; a TIMEOUT stops it"
            )
            retries = ", ".join(
                f"exit {'any' if r.any_code else '/'.join(map(str, r.exit_codes))} retried up to {r.max_retries}x"
                for r in plan.policy.retry_rules
            )
            stdout.print(f"  policy: {policy}{'; ' + retries if retries else ''}; script text:", soft_wrap=True)
            for line in plan.plan.script.splitlines():
                stdout.print("    " + literal(line), soft_wrap=True)
        stdout.print(
            f"\ndry run: {len(plans)} chains for workflow {literal(workflow.name)}; nothing submitted", soft_wrap=True
        )
        return 0
    services = Services()
    try:
        report = submit_workflow(services, workflow)
    except WorkflowError as exc:
        print_error(str(exc))
        return 1
    ensure_supervisor(services.registry.home)
    if args.json:
        print(
            json.dumps(
                {
                    "workflow": workflow.name,
                    "chains": [{"job": job, "chain_id": cid, "job_id": jid} for job, cid, jid in report.submitted],
                },
                indent=2,
            )
        )
        return 0
    for note in workflow.notes:
        stdout.print(literal(note.render(str(args.file))), soft_wrap=True)
    for job, chain_id, job_id in report.submitted:
        what = (
            f"submitted job {job_id}"
            if job_id
            else (
                "kept; the supervisor submits it when Slurm answers"
                if job in report.pending
                else "waits for " + ", ".join(workflow.job(job).depends_on)
            )
        )
        stdout.print(f"{literal(job)}: chain {chain_id}: {literal(what)}", soft_wrap=True)
    stdout.print(
        f"workflow {literal(workflow.name)}: {len(report.submitted)} chains; "
        f"watch with `longrun workflow status {literal(shlex.quote(workflow.name))}`",
        soft_wrap=True,
    )
    return 0


def _status(args: argparse.Namespace) -> int:
    services = Services()
    ensure_supervisor(services.registry.home)
    rows = workflow_rows(services, args.name)
    damaged = tuple(str(d) for d in services.registry.statuses().damaged)  # a job's chain may be among them
    if rows is None:
        print_error(
            f"no workflow named {visible(args.name)} in your chains (submit one with `longrun workflow submit FILE`)"
        )
        report_damaged(damaged)
        return 1
    if args.json:
        print(json.dumps({"workflow": args.name, "jobs": [row.to_json() for row in rows]}, indent=2))
        return report_damaged(damaged)
    headers = ("job", "state", "attempt", "job id", "slurm state", "chain", "reason")
    cells = [
        [literal(row.job), row.state, str(row.attempt), literal(row.job_id or "-"), literal(row.job_state or "-"),
         literal(row.chain_id), literal(row.reason or "")]
        for row in rows
    ]  # fmt: skip
    table = fitted_table(headers, cells, "reason", "fold", title=f"workflow {literal(args.name)}",
                         title_justify="left", box=None, header_style="bold")  # fmt: skip
    stdout.print(table)
    return report_damaged(damaged)


def _reinit(args: argparse.Namespace) -> int:
    services = Services()
    try:
        steps = plan_reinit(services, args.name, force=args.force)
        changes = [s for s in steps if s.action != "keep"]
        messages = [] if args.dry_run or not changes else apply_reinit(services, args.name, steps)
    except WorkflowError as exc:
        print_error(str(exc))
        return 1
    except ActionRefused as exc:
        print_error(str(exc))
        return 1
    if changes and not args.dry_run:
        ensure_supervisor(services.registry.home)
    if args.json:
        print(
            json.dumps(
                {
                    "workflow": args.name,
                    "dry_run": args.dry_run,
                    "steps": [s.to_json() for s in steps],
                    "messages": messages,
                },
                indent=2,
            )
        )
        return 0
    verb = {"reinit": "run again now", "replace": "run again after its upstream jobs", "keep": "keep"}
    for step in steps:
        stdout.print(
            f"{literal(step.job)} ({step.state.lower()}): {verb[step.action]}: {literal(step.why)}", soft_wrap=True
        )
    if not changes:
        stdout.print(
            f"workflow {literal(args.name)}: nothing failed, was terminated or cancelled: nothing to do "
            "(--force runs completed jobs again)",
            soft_wrap=True,
        )
    elif args.dry_run:
        stdout.print(f"dry run: {len(changes)} job(s) would run again; nothing changed", soft_wrap=True)
    else:
        for message in messages:
            stdout.print(literal(message), soft_wrap=True)
    return 0
