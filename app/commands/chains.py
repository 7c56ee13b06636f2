"""`longrun status [--user U] [--json]` and the chain actions `cancel|signal|resubmit|reinit CHAIN`.

All of them go through the service layer (app/services: ownership is checked before any Slurm call) and
make sure the user's supervisor runs.
"""

from __future__ import annotations

import argparse
import json
import pwd
from collections.abc import Iterable
from typing import Any

from rich.markup import escape

from app.console import fitted_table, print_error, stderr, stdout, table_width
from app.model.chain import ChainStatus
from app.registry import RegistryError
from app.services import ActionRefused, Services
from app.supervisor import ensure_supervisor
from app.views import ChainView

REASON_WIDTH = 30  # narrowest column a reason sentence still reads well in


def _duration(value: Any) -> str:
    return str(value) if value is not None else "-"


def chain_json(view: ChainView) -> dict[str, Any]:
    def ts(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "chain_id": view.chain_id,
        "name": view.name,
        "owner": view.owner,
        "state": view.state.value,
        "reason": view.reason,
        "attempt": view.attempt,
        "max_restarts": view.max_restarts,
        "total_run_time": view.total_run_time.seconds,
        "time_left": view.time_left.seconds if view.time_left else None,
        "workflow": view.workflow,
        "read_only": view.read_only,
        "links": [
            {
                "attempt": lk.attempt,
                "job_id": lk.job_id,
                "state": lk.state,
                "submit": ts(lk.submit),
                "start": ts(lk.start),
                "end": ts(lk.end),
                "elapsed": lk.elapsed.seconds if lk.elapsed else None,
                "time_limit": lk.time_limit.seconds if lk.time_limit else None,
                "exit_status": str(lk.exit_status) if lk.exit_status else None,
                "ending": lk.ending,
                "decision": lk.decision,
                "log_path": lk.log_path,
                "stderr_path": lk.stderr_path,
            }
            for lk in view.links
        ],
    }


def handle_status(args: argparse.Namespace) -> int:
    if args.user:
        try:
            pwd.getpwnam(args.user)
        except KeyError:
            print_error(f"no such user: {args.user}")
            return 2
    services = Services()
    ensure_supervisor(services.registry.home)
    try:
        snapshot = services.snapshot(args.user or services.viewer)
    except RegistryError as exc:
        print_error(str(exc))
        return 2
    views = list(snapshot.chains)
    rc = report_damaged(snapshot.damaged)
    if not args.user or args.user == services.viewer:
        report_newer(services.registry.statuses().chains.values())
    if args.json:
        stdout.print_json(json.dumps([chain_json(v) for v in views]))
        return rc
    if not views:
        stdout.print("no chains" + (f" for {args.user}" if args.user else ""))
        return rc
    rows = []
    for v in views:
        limit = f"/{v.attempt_limit}" if v.attempt_limit is not None else ""
        job = v.links[-1].job_id if v.links else None
        rows.append([
            v.chain_id, escape(v.name), v.owner, v.state.value, f"{v.attempt}{limit}", job or "-",
            _duration(v.total_run_time), _duration(v.time_left),
        ])  # fmt: skip
    headers = ["CHAIN", "NAME", "OWNER", "STATE", "ATTEMPT", "JOB", "RUN TIME", "LEFT"]
    # Reasons are sentences: in a column when at least REASON_WIDTH is left for them, else below the table.
    reasons_inline = stdout.width - table_width(headers, rows) >= REASON_WIDTH
    if reasons_inline:
        headers.append("REASON")
        for row, v in zip(rows, views, strict=True):
            row.append(escape(v.reason or ""))
        table = fitted_table(headers, rows, "REASON", "fold", box=None, header_style="bold")
    else:
        table = fitted_table(headers, rows, "NAME", "ellipsis", box=None, header_style="bold")
    stdout.print(table)
    if not reasons_inline:
        for v in views:
            if v.reason:
                stdout.print(f"[bold]{v.chain_id}[/] {escape(v.reason)}", soft_wrap=False)
    if snapshot.health is not None and not snapshot.health.alive:
        stdout.print("[yellow]supervisor: not running[/] (start it with `longrun supervise --ensure`)")
    return rc


def report_damaged(damaged: tuple[str, ...]) -> int:
    """One error line per chain whose files cannot be read; 1 when there is any, else 0."""
    for problem in damaged:
        print_error(f"{problem}; its files are left as they are (repair or move the chain's directory)")
    return 1 if damaged else 0


def report_newer(statuses: Iterable[ChainStatus]) -> None:
    """A note per chain with events of a newer longrun: shown as far as understood, never acted on."""
    for status in statuses:
        if status.unknown_kinds:
            kinds = ", ".join(status.unknown_kinds)
            stderr.print(
                f"note: chain {status.chain_id} has events of a newer longrun ({kinds}): shown as far as this "
                "version understands them; this version's supervisor leaves the chain alone",
                markup=False,
                soft_wrap=True,
            )


def handle_action(args: argparse.Namespace) -> int:
    services = Services()
    ensure_supervisor(services.registry.home)
    try:
        if args.action == "cancel":
            message = services.cancel(args.chain)
        elif args.action == "signal":
            message = services.signal(args.chain, args.signal, full=args.full)
        elif args.action == "resubmit":
            message = services.resubmit(args.chain)
        else:
            message = services.reinit(args.chain)
    except (ActionRefused, RegistryError) as exc:
        print_error(str(exc))
        return 2
    services.nudge()
    stdout.print(message)
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    status = subparsers.add_parser("status", help="your chains (or a colleague's, read-only)")
    status.add_argument("--user", help="show this user's chains (read-only)")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(handler=handle_status)
    helps = {
        "cancel": "cancel the chain's live job; the chain is never resubmitted",
        "resubmit": "submit a new link now for a chain with no live job",
        "reinit": "give a stopped chain a fresh restart budget and a new link",
    }
    for action, text in helps.items():
        parser = subparsers.add_parser(action, help=text)
        parser.add_argument("chain", metavar="CHAIN")
        parser.set_defaults(handler=handle_action, action=action)
    sig = subparsers.add_parser("signal", help="send a signal to the chain's live job (batch shell by default)")
    sig.add_argument("chain", metavar="CHAIN")
    sig.add_argument("signal", metavar="SIGNAL", help="e.g. USR1, TERM")
    group = sig.add_mutually_exclusive_group()
    group.add_argument("--batch", dest="full", action="store_false", help="only the batch shell (default)")
    group.add_argument("--full", dest="full", action="store_true", help="every step and the batch shell")
    sig.set_defaults(handler=handle_action, action="signal", full=False)
