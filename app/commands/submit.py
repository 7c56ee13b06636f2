"""`longrun submit [LONGRUN OPTIONS] [SBATCH OPTIONS] SCRIPT [ARGS]`: start a chain.

Longrun's own options come first; every other option up to SCRIPT goes to sbatch unchanged,
everything after SCRIPT to the script. Prints the chain id and the first job id, then makes
sure the user's supervisor runs.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field

from app.console import print_error, stdout
from app.model.chain import Policy, PolicyError
from app.model.units import MemorySize, UnitParseError
from app.services import ActionRefused, Services
from app.slurm.errors import SlurmUnavailable
from app.supervisor import ensure_supervisor

USAGE = """\
usage: longrun submit [LONGRUN OPTIONS] [SBATCH OPTIONS] SCRIPT [ARGS...]

longrun options (before any sbatch option):
  --max-restarts N          resubmit at most N times after the first link (default: no limit)
  --continue-exit-code N    exit status meaning "checkpointed, continue" (default 75)
  --grow-mem FACTOR[,CAP]   on out-of-memory resubmit with --mem x FACTOR (at most CAP, e.g. 1.5,8G)
  --resubmit-early          resubmit a link that COMPLETED right after the warning signal
  --progress-file FILE      stop when a link leaves FILE (relative to the workdir) unchanged
  --min-link-seconds N      links shorter than N s count as "no progress" (default 60; 3 in a row stop)
  --name NAME               the chain's name (default: the script's file name)
  --after CHAIN             start only when chain CHAIN is done (repeatable)
  --json                    print {"chain_id", "job_id"} as JSON
  --                        end of longrun options

example:
  longrun submit --max-restarts 20 --time=4:00:00 --signal=B:TERM@120 train.sh --epochs 100
"""

# sbatch options that take their value as the next argument when written without `=`.
_SHORT_WITH_VALUE = set("AabBCcDdeFGiJLMmNnopqStwx")
_LONG_WITHOUT_VALUE = {
    "--hold", "--parsable", "--requeue", "--no-requeue", "--overcommit", "--spread-job", "--test-only",
    "--wait", "--contiguous", "--ignore-pbs", "--quiet", "--verbose", "--use-min-nodes", "--reboot",
    "--oversubscribe", "--exclusive", "--no-kill", "--get-user-env", "--kill-on-invalid-dep",
}  # fmt: skip


class UsageError(ValueError):
    pass


# The option that sets each Policy field, for messages about a value out of range.
_POLICY_FLAGS = {
    "max_restarts": "--max-restarts",
    "continue_exit_code": "--continue-exit-code",
    "grow_mem_factor": "--grow-mem FACTOR",
    "grow_mem_cap": "--grow-mem CAP",
    "min_link_seconds": "--min-link-seconds",
    "progress_file": "--progress-file",
}


@dataclass
class SubmitRequest:
    policy: Policy
    name: str | None = None
    after: list[str] = field(default_factory=list)
    as_json: bool = False
    sbatch_options: list[str] = field(default_factory=list)
    script: str = ""
    args: list[str] = field(default_factory=list)


def _int(flag: str, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"{flag} needs a whole number, not {text!r}") from None
    if value < 0:
        raise UsageError(f"{flag} cannot be negative")
    return value


def parse_submit_argv(argv: list[str]) -> SubmitRequest:
    policy: dict[str, object] = {}
    req = SubmitRequest(policy=Policy())
    i = 0

    def value(flag: str) -> str:
        nonlocal i
        token = argv[i]
        if "=" in token:
            return token.split("=", 1)[1]
        if i + 1 >= len(argv):
            raise UsageError(f"{flag} needs a value")
        i += 1
        return argv[i]

    while i < len(argv):
        token = argv[i]
        flag = token.split("=", 1)[0]
        if token == "--":
            i += 1
            break
        if flag == "--max-restarts":
            policy["max_restarts"] = _int(flag, value(flag))
        elif flag == "--continue-exit-code":
            code = _int(flag, value(flag))
            if not 1 <= code <= 255:
                raise UsageError("--continue-exit-code must be between 1 and 255")
            policy["continue_exit_code"] = code
        elif flag == "--grow-mem":
            factor_text, _, cap_text = value(flag).partition(",")
            try:
                factor = float(factor_text)
                cap = MemorySize.parse(cap_text, default_unit="M") if cap_text else None
            except (ValueError, UnitParseError):
                raise UsageError(f"--grow-mem takes FACTOR[,CAP] like 1.5,8G, not {argv[i]!r}") from None
            if factor <= 1:
                raise UsageError("--grow-mem FACTOR must be more than 1")
            policy["grow_mem_factor"], policy["grow_mem_cap"] = factor, cap
        elif flag == "--resubmit-early":
            policy["resubmit_completed_early"] = True
        elif flag == "--progress-file":
            policy["progress_file"] = value(flag)
        elif flag == "--min-link-seconds":
            policy["min_link_seconds"] = _int(flag, value(flag))
        elif flag == "--name":
            req.name = value(flag)
        elif flag == "--after":
            req.after.append(value(flag))
        elif flag == "--json":
            req.as_json = True
        else:
            break
        i += 1
    try:
        req.policy = Policy(**policy)  # type: ignore[arg-type]
    except PolicyError as exc:
        raise UsageError(f"{_POLICY_FLAGS.get(exc.field, exc.field)} {exc.problem}") from None
    while i < len(argv):
        token = argv[i]
        if not token.startswith("-") or token == "-":
            break
        req.sbatch_options.append(token)
        if token.startswith("--"):
            if "=" not in token and token not in _LONG_WITHOUT_VALUE:
                if i + 1 >= len(argv):
                    raise UsageError(f"sbatch option {token} needs a value")
                req.sbatch_options.append(argv[i + 1])
                i += 1
        elif len(token) == 2 and token[1] in _SHORT_WITH_VALUE:
            if i + 1 >= len(argv):
                raise UsageError(f"sbatch option {token} needs a value")
            req.sbatch_options.append(argv[i + 1])
            i += 1
        i += 1
    if i >= len(argv):
        raise UsageError("no job script given (longrun submit [OPTIONS] SCRIPT [ARGS])")
    if "--wrap" in " ".join(req.sbatch_options):
        raise UsageError("--wrap is not supported: a chain needs a script it can submit again")
    req.script, req.args = argv[i], argv[i + 1 :]
    return req


def handle(args: argparse.Namespace) -> int:
    argv: list[str] = list(args.argv)
    if not argv or argv[0] in ("-h", "--help"):
        stdout.print(USAGE, markup=False, highlight=False, soft_wrap=True)
        return 0 if argv else 2
    try:
        req = parse_submit_argv(argv)
    except UsageError as exc:
        print_error(f"{exc}\n{USAGE.splitlines()[0]}")
        return 2
    services = Services()
    try:
        chain_id, job_id = services.submit(
            req.script, req.args, req.sbatch_options, req.policy, name=req.name, depends_on=req.after
        )
    except ActionRefused as exc:
        print_error(str(exc))
        return 2
    except SlurmUnavailable as exc:
        print_error(f"Slurm did not answer ({exc}); the chain is kept and its supervisor will submit it")
        ensure_supervisor(services.registry.home)
        return 3
    services.nudge()
    ensure_supervisor(services.registry.home)
    if req.as_json:
        stdout.print_json(json.dumps({"chain_id": chain_id, "job_id": job_id}))
    elif job_id is None:
        stdout.print(f"chain {chain_id}: waiting for upstream chain(s) {', '.join(req.after)}")
    else:
        stdout.print(f"chain {chain_id}: submitted job {job_id}")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    # prefix_chars="+": every dash option is sbatch's or ours, parsed by parse_submit_argv.
    parser = subparsers.add_parser(
        "submit",
        help="submit a job as a chain that the supervisor resubmits until it is done",
        prefix_chars="+",
        add_help=False,
        usage="longrun submit [LONGRUN OPTIONS] [SBATCH OPTIONS] SCRIPT [ARGS...]  (see longrun submit --help)",
    )
    parser.add_argument("argv", nargs=argparse.REMAINDER)
    parser.set_defaults(handler=handle)
