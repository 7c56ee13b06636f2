"""`longrun doctor [--json] [--no-probe] [--probe-timeout S] [-p PARTITION]`: can your chains go on
unattended here, and what to change (checks in app/supervisor/doctor.py).

Exit status: 0 nothing to change, 1 something to change (a warning or a failure), 3 Slurm did not
answer. `--json`: {"schema_version": 1, "checks": [{"name", "status", "found", "advice"}]}.
"""

from __future__ import annotations

import argparse
import json

from rich.text import Text

from app.console import stdout
from app.registry import Registry
from app.services import current_user
from app.slurm.client import default_client
from app.supervisor.doctor import FAIL, OK, UNKNOWN, WARN, run_checks

STYLES = {OK: "green", WARN: "yellow", FAIL: "bold red", UNKNOWN: "dim"}


def handle(args: argparse.Namespace) -> int:
    options = ["--partition", args.partition] if args.partition else []
    checks = run_checks(Registry(), default_client(), current_user(), args.probe, args.probe_timeout, options)
    if args.json:
        stdout.print_json(json.dumps({"schema_version": 1, "checks": [c.as_json() for c in checks]}))
    else:
        width = max(len(c.name) for c in checks)
        for check in checks:
            line = Text()
            line.append(f"{check.status:<7}", style=STYLES[check.status])
            line.append(f" {check.name:<{width}}  ")
            line.append(check.found)  # literal: paths and Slurm's words
            stdout.print(line, soft_wrap=True)
            if check.advice and check.status != OK:
                stdout.print(Text(f"{'':<{width + 10}}-> {check.advice}"), soft_wrap=True)
    return 1 if any(c.status in (WARN, FAIL) for c in checks) else 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check that your chains can go on unattended here, and say what to change",
        description="Checks the Python the links run with (and, with a probe job, that compute nodes can run it "
        "and write your registry), your supervisor, whether logging out ends your processes, your job-count "
        "limits and the mode new chains get.",
        epilog="example: longrun doctor -p debug",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--no-probe", dest="probe", action="store_false", help="do not submit the probe job")
    parser.add_argument("--probe-timeout", type=float, default=90.0, metavar="S",
                        help="seconds to wait for the probe job (default 90)")  # fmt: skip
    parser.add_argument("-p", "--partition", help="the partition for the probe job")
    parser.set_defaults(handler=handle)
