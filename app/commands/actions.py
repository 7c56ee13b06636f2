"""The chain actions: `cancel|stop|signal CHAIN [--job JOBID]`, `resubmit|reinit CHAIN [OPTIONS]`,
`archive CHAIN | --done --older-than 7d`.

CHAIN is a chain's id or its name when no other of your chains has it. Everything goes through
the service layer (app/services: ownership is checked before any Slurm call), which also makes
sure the user's supervisor runs.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from datetime import timedelta

from app.commands.longrun_args import POLICY_FIELD_FLAGS, UsageError, parse_mixed, policy_help
from app.console import literal, print_error, stdout
from app.model.policy import Policy, PolicyError
from app.registry import RegistryError
from app.services import ActionRefused, Services
from app.supervisor import ensure_supervisor

FORMATTER = argparse.RawDescriptionHelpFormatter
JOB_HELP = "the job you saw: refused when the chain has moved on to another job"
CHAIN_HELP = "the chain's id, or its name when no other of your chains has it"


def run(action: Callable[[Services], str]) -> int:
    """Run one service action and print its sentence; a refusal is one line on stderr, exit 2."""
    services = Services()
    ensure_supervisor(services.registry.home)
    try:
        message = action(services)
    except (ActionRefused, RegistryError) as exc:
        print_error(str(exc))
        return 2
    services.nudge()
    stdout.print(literal(message), soft_wrap=True)
    return 0


def handle_cancel(args: argparse.Namespace) -> int:
    return run(lambda s: s.cancel(args.chain, job_id=args.job))


def handle_stop(args: argparse.Namespace) -> int:
    return run(lambda s: s.stop(args.chain, job_id=args.job))


def handle_signal(args: argparse.Namespace) -> int:
    return run(lambda s: s.signal(args.chain, args.signal, full=args.full, job_id=args.job))


RELINK_USAGE = "usage: longrun {action} CHAIN [LONGRUN OPTIONS] [SBATCH OPTIONS]"
RELINK_HELP = """\
{usage}

{what}

Options given here apply to the new link and to every later one: an sbatch option replaces the
chain's same option (--mem also replaces --mem-per-cpu), a longrun option changes the chain's
policy. The change is recorded in the chain's history (`longrun status --json`: "changes").
--output, --error, --job-name, --comment, --chdir and --array stay as the chain was submitted.

longrun options:
{policy}

examples:
  longrun {action} 3f2a9c1e
  longrun {action} train --mem=2G --time=2:00:00
  longrun {action} train --max-restarts 10 --min-link-seconds 30
"""
RELINK_WHAT = {
    "resubmit": "Submit one more link now for a chain with no live job (beyond its restart budget).",
    "reinit": "Give a stopped (or done) chain a fresh restart budget and submit a new link.",
}


def handle_relink(args: argparse.Namespace) -> int:
    action: str = args.action
    argv: list[str] = list(args.argv)
    usage = RELINK_USAGE.format(action=action)
    if not argv or "-h" in argv or "--help" in argv:
        text = RELINK_HELP.format(usage=usage, what=RELINK_WHAT[action], policy=policy_help(), action=action)
        stdout.print(text, markup=False, highlight=False, soft_wrap=True)
        return 0 if argv else 2
    try:
        parsed = parse_mixed(argv, {}, stop_at_positional=False, command=f"longrun {action}")
        if len(parsed.positionals) != 1:
            raise UsageError(f"give exactly one CHAIN, not {len(parsed.positionals)}: {' '.join(parsed.positionals)}")
        Policy(**parsed.policy)  # each value in range (the chain's own policy is checked by the service)
    except PolicyError as exc:
        print_error(f"{POLICY_FIELD_FLAGS.get(exc.field, exc.field)} {exc.problem}\n{usage}")
        return 2
    except UsageError as exc:
        print_error(f"{exc}\n{usage}")
        return 2
    chain = parsed.positionals[0]
    options, policy = parsed.sbatch_options, parsed.policy
    if action == "resubmit":
        return run(lambda s: s.resubmit(chain, options, policy))
    return run(lambda s: s.reinit(chain, options, policy))


ARCHIVE_DESCRIPTION = """\
Archive finished chains: they stay on disk as they are, leave `longrun status` and the
dashboard, and `longrun status --archived` lists them. `--undo` brings one back; a reinit or
resubmit does too.
"""
ARCHIVE_EPILOG = """\
examples:
  longrun archive 3f2a9c1e                  one chain (DONE or STOPPED)
  longrun archive --done --older-than 7d    every DONE chain whose last link ended 7 days ago or more
  longrun archive --undo 3f2a9c1e
"""
_AGE = re.compile(r"^(\d+)([smhdw]?)$")
_UNIT_SECONDS = {"": 86400, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_age(text: str) -> timedelta:
    """`7d`, `12h`, `2w`, `30m`; a bare number is days."""
    match = _AGE.match(text.strip().lower())
    if match is None:
        raise ValueError(f"--older-than takes an age like 7d, 12h or 2w, not {text!r}")
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def handle_archive(args: argparse.Namespace) -> int:
    if args.chain and (args.done or args.older_than is not None):
        print_error("give either CHAIN or --done --older-than AGE, not both")
        return 2
    if args.chain:
        return run(lambda s: s.unarchive(args.chain) if args.undo else s.archive(args.chain))
    if args.undo or not args.done or args.older_than is None:
        print_error("give a CHAIN, or --done --older-than AGE (e.g. 7d) to archive every finished chain that old")
        return 2
    try:
        age = parse_age(args.older_than)
    except ValueError as exc:
        print_error(str(exc))
        return 2

    def archive_old(services: Services) -> str:
        archived = services.archive_done(age)
        if not archived:
            return f"no DONE chain ended more than {args.older_than} ago"
        return f"archived {len(archived)} chain{'s' * (len(archived) != 1)}: {', '.join(archived)}"

    return run(archive_old)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cancel = subparsers.add_parser(
        "cancel", help="cancel the chain's live job; the chain is never resubmitted", formatter_class=FORMATTER,
        description="Cancel the chain's live job (scancel) and never resubmit the chain; it ends STOPPED "
        "\"cancelled by USER\". To let the job checkpoint first, use `longrun stop`.",
        epilog="examples:\n  longrun cancel 3f2a9c1e\n  longrun cancel train --job 1234   only if job 1234 is "
        "still the chain's live job",
    )  # fmt: skip
    cancel.add_argument("chain", metavar="CHAIN", help=CHAIN_HELP)
    cancel.add_argument("--job", metavar="JOBID", help=JOB_HELP)
    cancel.set_defaults(handler=handle_cancel)

    stop = subparsers.add_parser(
        "stop", help="checkpoint and stop: send the warning signal now, resubmit no more", formatter_class=FORMATTER,
        description="Send the chain's warning signal now (the signal of its --signal, TERM without one; to the "
        "batch shell when it says B: or has none, else to the job's steps), so the job checkpoints as it "
        "would before its time limit, and submit no link after it. The chain ends STOPPED \"stopped by USER\" "
        "(DONE when the job finishes the work). A job that has not started yet is cancelled. `longrun resubmit` "
        "goes on later.",
        epilog="examples:\n  longrun stop train\n  longrun stop 3f2a9c1e --job 1234",
    )  # fmt: skip
    stop.add_argument("chain", metavar="CHAIN", help=CHAIN_HELP)
    stop.add_argument("--job", metavar="JOBID", help=JOB_HELP)
    stop.set_defaults(handler=handle_stop)

    sig = subparsers.add_parser(
        "signal", help="send a signal to the chain's live job (batch shell by default)", formatter_class=FORMATTER,
        description="Send SIGNAL to the chain's live job: to its batch shell (default), or to every step and the "
        "batch shell (--full). The chain goes on as the job's ending decides.",
        epilog="examples:\n  longrun signal train USR1\n  longrun signal 3f2a9c1e TERM --full --job 1234",
    )  # fmt: skip
    sig.add_argument("chain", metavar="CHAIN", help=CHAIN_HELP)
    sig.add_argument("signal", metavar="SIGNAL", help="a signal name or number: USR1, TERM, 10")
    group = sig.add_mutually_exclusive_group()
    group.add_argument("--batch", dest="full", action="store_false", help="only the batch shell (default)")
    group.add_argument("--full", dest="full", action="store_true", help="every step and the batch shell")
    sig.add_argument("--job", metavar="JOBID", help=JOB_HELP)
    sig.set_defaults(handler=handle_signal, full=False)

    relink_help = {
        "resubmit": "submit a new link now (with new options) for a chain with no live job",
        "reinit": "a stopped chain: fresh restart budget, a new link (with new options)",
    }
    for action, text in relink_help.items():
        # prefix_chars="+": every dash argument is longrun's or sbatch's, parsed by handle_relink.
        parser = subparsers.add_parser(
            action, help=text, prefix_chars="+", add_help=False,
            usage=f"longrun {action} CHAIN [LONGRUN OPTIONS] [SBATCH OPTIONS]  (see longrun {action} --help)",
        )  # fmt: skip
        parser.add_argument("argv", nargs=argparse.REMAINDER)
        parser.set_defaults(handler=handle_relink, action=action)

    archive = subparsers.add_parser(
        "archive", help="archive finished chains (kept on disk, out of status and the dashboard)",
        description=ARCHIVE_DESCRIPTION, epilog=ARCHIVE_EPILOG, formatter_class=FORMATTER,
    )  # fmt: skip
    archive.add_argument("chain", metavar="CHAIN", nargs="?", help=CHAIN_HELP)
    archive.add_argument("--done", action="store_true", help="every DONE chain (with --older-than)")
    archive.add_argument("--older-than", metavar="AGE", help="e.g. 7d, 12h, 2w (a number: days)")
    archive.add_argument("--undo", action="store_true", help="bring CHAIN back into status and the dashboard")
    archive.set_defaults(handler=handle_archive)
