"""`longrun submit [LONGRUN OPTIONS] [SBATCH OPTIONS] SCRIPT [ARGS]`: start a chain.

Longrun's own options come first; every other option up to SCRIPT goes to sbatch unchanged,
everything after SCRIPT to the script. Prints the chain id and the first job id, then makes
sure the user's supervisor runs.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
from dataclasses import dataclass, field

from app.commands.longrun_args import (
    POLICY_FIELD_FLAGS,
    UsageError,
    did_you_mean,
    parse_mixed,
    policy_help,
    sbatch_options_after_script,
)
from app.console import literal, print_error, print_json, print_note, stdout
from app.explain.sbatch_options import merged
from app.explain.scripts import read_script
from app.model.chain import MODES
from app.model.outcome import EARLY_SLACK_SECONDS, earliest_warning
from app.model.policy import Policy, PolicyError
from app.model.sbatch_options import warning_seconds
from app.model.units import Duration, UnitParseError
from app.services import ActionRefused, Services
from app.slurm import options as sbatch_options
from app.slurm.errors import SlurmUnavailable
from app.supervisor import ensure_supervisor

USAGE_LINE = "usage: longrun submit [LONGRUN OPTIONS] [SBATCH OPTIONS] SCRIPT [ARGS...]"
USAGE = f"""\
{USAGE_LINE}

Submit SCRIPT as the first link of a chain: when a link ends by its time limit, preemption, a
node failure or exit 75 ("checkpointed, continue"), the next one runs, until the work is done,
the chain fails, or a limit is reached. Prints the chain id and the job id.

longrun options (first, before any sbatch option):
{policy_help()}
  --name NAME               the chain's name, and its Slurm job name unless -J/--job-name (or the
                            script's #SBATCH) sets one (default: the script's file name)
  --after CHAIN             start only when chain CHAIN (id or name) is done (repeatable)
  --mode slurm|supervisor   how the chain goes on: inside Slurm (each link queued with the job after
                            it, which decides; no process outside Slurm needed; the default) or by
                            your supervisor (one job at a time: for tight job-count limits); the
                            default from LONGRUN_MODE or ~/.config/longrun/config.toml (mode = ...)
  --notify "CMD [ARGS]"     run CMD (split as a shell would, never run by one) when the chain stops
                            or finishes, with LONGRUN_CHAIN_ID, LONGRUN_STATE, LONGRUN_REASON,
                            LONGRUN_JOB_ID, LONGRUN_DIAGNOSIS_TITLE, LONGRUN_DIAGNOSIS_FIX, ...
  --json                    print {{"chain_id", "job_id"}} as JSON
  --                        end of longrun options

sbatch options: any, up to SCRIPT (not --wrap). Arguments after SCRIPT go to the script; one
that looks like an sbatch or longrun option (--mem=64M) is refused unless `--` follows SCRIPT.

examples:
  longrun submit --max-restarts 20 --time=4:00:00 --signal=B:TERM@120 train.sh --epochs 100
  longrun submit --name sweep-lr3 --grow-mem 1.5,16G --mem=4G train.sh --lr 3e-4
  longrun submit --time=10 sim.sh -- --time 500     (sim.sh gets --time 500)
"""

SUBMIT_FLAGS = {"--name": True, "--after": True, "--json": False, "--mode": True, "--notify": True}


@dataclass
class SubmitRequest:
    policy: Policy
    name: str | None = None
    after: list[str] = field(default_factory=list)
    as_json: bool = False
    sbatch_options: list[str] = field(default_factory=list)
    script: str = ""
    args: list[str] = field(default_factory=list)
    explicit_policy: frozenset[str] = frozenset()  # the policy flags the person gave
    mode: str | None = None  # MODES; None: the user's default (app.supervisor.modes)
    notify: list[str] = field(default_factory=list)  # argv run when the chain stops or finishes


def parse_submit_argv(argv: list[str]) -> SubmitRequest:
    parsed = parse_mixed(argv, SUBMIT_FLAGS, stop_at_positional=True, command="longrun submit")
    try:
        policy = Policy(**parsed.policy)
    except PolicyError as exc:
        raise UsageError(f"{POLICY_FIELD_FLAGS.get(exc.field, exc.field)} {exc.problem}") from None
    if not parsed.rest:
        raise UsageError("no job script given (longrun submit [OPTIONS] SCRIPT [ARGS])")
    if any(sbatch_options.long_name(o[2:].split("=", 1)[0]) == "wrap" for o in parsed.sbatch_options if o[:2] == "--"):
        raise UsageError("--wrap is not supported: a chain needs a script it can submit again")
    script, args = parsed.rest[0], parsed.rest[1:]
    if args[:1] == ["--"]:
        args = args[1:]  # `SCRIPT -- ARGS`: the person says ARGS are the script's
    else:
        misplaced = sbatch_options_after_script(args)
        if misplaced:
            listed = " ".join(misplaced)
            raise UsageError(
                f"{listed} after the script {script} would go to the script, not to sbatch: nothing was "
                f"submitted. Put {'them' if len(misplaced) > 1 else 'it'} before {script}, or write `--` after "
                f"{script} if they are the script's own"
            )
    mode = parsed.extra["--mode"][-1] if "--mode" in parsed.extra else None
    if mode is not None and mode not in MODES:
        raise UsageError(f"--mode must be one of {', '.join(MODES)}, not {mode!r}")
    notify: list[str] = []
    if "--notify" in parsed.extra:
        text = parsed.extra["--notify"][-1]
        try:
            notify = shlex.split(text)
        except ValueError as exc:
            raise UsageError(f"--notify {text!r}: {exc}") from None
        if not notify:
            raise UsageError("--notify needs a command")
    return SubmitRequest(
        mode=mode,
        notify=notify,
        policy=policy,
        name=parsed.extra["--name"][-1] if "--name" in parsed.extra else None,
        after=parsed.extra.get("--after", []),
        as_json="--json" in parsed.extra,
        sbatch_options=parsed.sbatch_options,
        script=script,
        args=args,
        explicit_policy=frozenset(parsed.given_flags),
    )


def handle(args: argparse.Namespace) -> int:
    argv: list[str] = list(args.argv)
    if not argv or argv[0] in ("-h", "--help"):
        stdout.print(USAGE, markup=False, highlight=False, soft_wrap=True)
        return 0 if argv else 2
    try:
        req = parse_submit_argv(argv)
    except UsageError as exc:
        print_error(f"{exc}\n{USAGE_LINE}")
        return 2
    services = Services()
    try:
        after = [services.resolve(chain) for chain in req.after]
    except ActionRefused as exc:
        print_error(f"--after: {exc}")
        return 2
    explicit = "--min-link-seconds" in req.explicit_policy
    for note in guard_notes(req.sbatch_options, req.policy, explicit, os.path.abspath(req.script)):
        print_note(note)
    try:
        chain_id, job_id = services.submit(
            req.script, req.args, req.sbatch_options, req.policy, name=req.name, depends_on=after,
            mode=req.mode, notify=req.notify,
        )  # fmt: skip
    except ActionRefused as exc:
        print_error(with_option_hint(str(exc)))
        return 2
    except SlurmUnavailable as exc:
        print_error(f"Slurm did not answer ({exc}); the chain is kept and its supervisor will submit it")
        ensure_supervisor(services.registry.home)
        return 3
    services.nudge()
    ensure_supervisor(services.registry.home)
    if req.as_json:
        print_json({"chain_id": chain_id, "job_id": job_id})
    elif job_id is None:
        stdout.print(f"chain {chain_id}: waiting for upstream chain(s) {literal(', '.join(req.after))}")
    else:
        stdout.print(f"chain {chain_id}: submitted job {job_id}")
    return 0


def guard_notes(options: list[str], policy: Policy, explicit: bool, script: str | None = None) -> list[str]:
    """What the no-progress guard will do with these settings (the command line's, then the
    script's #SBATCH lines), when it is not what one would think."""
    found = read_script(script)
    given = merged(options, found.directives if found else ())
    limit_text = given.get("time", ("", ""))[0]
    try:
        limit = Duration.parse(limit_text) if limit_text else None
    except UnitParseError:
        return []
    if limit is None:
        return []
    signal_text = given.get("signal", ("", ""))[0]
    warning = warning_seconds([f"--signal={signal_text}"]) if signal_text else None
    earliest = earliest_warning(limit, warning)
    signal = f" and --signal=...@{warning}" if warning is not None else ""
    if earliest == 0:
        return [
            f"with --time={limit_text}{signal}, a link may get its warning signal (or its end) at any second "
            f"(Slurm may send it up to {EARLY_SLACK_SECONDS} s earlier than asked): the no-progress guard cannot "
            "tell a short link from a healthy one and counts none as short; --progress or --progress-file guards "
            "such a chain"
        ]
    if explicit and policy.min_link_seconds > earliest:
        return [
            f"--min-link-seconds {policy.min_link_seconds} is more than a link of this chain runs before its "
            f"warning signal may come (second {earliest}, with --time={limit_text}{signal}): a link that ran until "
            f"its signal made progress, so only links shorter than {earliest} s count as short"
        ]
    return []


def with_option_hint(message: str) -> str:
    """sbatch's "unrecognized option '--partion=debug'" with the option it probably meant."""
    match = re.search(r"unrecognized option '--([^'=]+)", message)
    if match is None:
        return message
    close = did_you_mean(match.group(1), sorted(sbatch_options.LONG))
    return f"{message} (did you mean --{close}?)" if close else message


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    # prefix_chars="+": every dash option is sbatch's or ours, parsed by parse_submit_argv.
    parser = subparsers.add_parser(
        "submit",
        help="submit a job as a chain that goes on, link after link, until it is done",
        prefix_chars="+",
        add_help=False,
        usage="longrun submit [LONGRUN OPTIONS] [SBATCH OPTIONS] SCRIPT [ARGS...]  (see longrun submit --help)",
    )
    parser.add_argument("argv", nargs=argparse.REMAINDER)
    parser.set_defaults(handler=handle)
