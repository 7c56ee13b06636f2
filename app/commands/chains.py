"""`longrun status [--user U | --all] [--archived] [--json]`: chains as a table, or JSON for scripts.

Reads through the service layer (app/services) and makes sure the user's supervisor runs. Every
string from a chain, Slurm or a file is printed literally (app/console.literal).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import Any

from app.console import fitted_table, known_user, literal, print_error, print_json, print_note, stdout, table_width
from app.model.chain import ChainStatus
from app.model.text import inert
from app.registry import RegistryError
from app.services import Services
from app.supervisor import ensure_supervisor
from app.views import ChainView

REASON_WIDTH = 30  # narrowest column a reason sentence still reads well in
ID_WIDTH = 20


def _duration(value: Any) -> str:
    return str(value) if value is not None else "-"


def time_left_cell(view: ChainView) -> str:
    """LEFT: what is left of the running link's time limit; a link still waiting to start has all of
    its limit, said with the word `pending`; "-" when no link is live (the chain ended or waits)."""
    if view.time_left is not None:
        return str(view.time_left)
    last = view.links[-1] if view.links else None
    if last is not None and last.state == "PENDING":
        return f"{last.time_limit} pending" if last.time_limit else "pending"
    return "-"


def chain_json(view: ChainView) -> dict[str, Any]:
    def ts(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    def link_json(lk: Any) -> dict[str, Any]:
        return {
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
            "successor_of": lk.successor_of,
        }

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
        "archived": view.archived,
        "stopping": view.stopping,
        "changes": [
            {"at": ts(c.at), "by": c.by, "options": list(c.options), "policy": dict(c.policy)} for c in view.changes
        ],
        "mode": view.mode,
        "attention": view.attention,
        "links": [link_json(lk) for lk in view.links],
        "queued": [link_json(lk) for lk in view.queued],
    }


def handle_status(args: argparse.Namespace) -> int:
    if not known_user(args.user):
        return 2
    services = Services()
    ensure_supervisor(services.registry.home)
    who = None if args.all else (args.user or services.viewer)
    try:
        snapshot = services.snapshot(who)
        views = services.archived_chains(who) if args.archived else list(snapshot.chains)
    except RegistryError as exc:
        print_error(str(exc))
        return 2
    for note in snapshot.notes:
        print_note(note)
    rc = report_damaged(snapshot.damaged)
    if not args.user or args.user == services.viewer:
        report_newer(services.registry.statuses().chains.values())
    if args.json:
        print_json([chain_json(v) for v in views])
        return rc
    if not views:
        what = "no archived chains" if args.archived else "no chains"
        stdout.print(what + (f" for {literal(args.user)}" if args.user else ""))
        return rc
    rows = []
    for v in views:
        limit = f"/{v.attempt_limit}" if v.attempt_limit is not None else ""
        job = v.links[-1].job_id if v.links else None
        rows.append([
            literal(clip(v.chain_id)), literal(v.name), literal(clip(v.owner)), v.state.value, f"{v.attempt}{limit}",
            literal(job or "-"), _duration(v.total_run_time), time_left_cell(v),
        ])  # fmt: skip
    headers = ["CHAIN", "NAME", "OWNER", "STATE", "ATTEMPT", "JOB", "RUN TIME", "LEFT"]
    # Reasons are sentences: in a column when at least REASON_WIDTH is left for them, else below the table.
    reasons_inline = stdout.width - table_width(headers, rows) >= REASON_WIDTH
    if reasons_inline:
        headers.append("REASON")
        for row, v in zip(rows, views, strict=True):
            row.append(literal(v.reason or ""))
        table = fitted_table(headers, rows, "REASON", "fold", box=None, header_style="bold")
    else:
        table = fitted_table(headers, rows, "NAME", "ellipsis", box=None, header_style="bold")
    stdout.print(table)
    if not reasons_inline:
        for v in views:
            if v.reason:
                stdout.print(f"[bold]{literal(clip(v.chain_id))}[/] {literal(v.reason)}", soft_wrap=False)
    if snapshot.health is not None and not snapshot.health.alive:
        stdout.print("[yellow]your supervisor: not running[/] (start it with `longrun supervise --ensure`)")
    return rc


def clip(text: str, width: int = ID_WIDTH) -> str:
    """An id as long as ours are; a longer one (a forged comment tag) is cut, so that it cannot push
    the other columns off the table (`--json` has it whole)."""
    shown = inert(text)
    return shown if len(shown) <= width else shown[: width - 1] + "…"


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
            print_note(
                f"chain {status.chain_id} has events of a newer longrun ({kinds}): shown as far as this "
                "version understands them; this version's supervisor leaves the chain alone"
            )


STATUS_DESCRIPTION = """\
Your chains: state, attempt (of the limit), the live or last job, total run time, time left of
the running link, and why the chain is where it is.

A colleague's chains are read-only. Those of their chains you may not read (on most sites every
user has a private group) are rebuilt from Slurm accounting through the job comments, for the
last 7 days; a note on stderr says which path could not be read. A team shares its chains with
LONGRUN_GROUP (see `longrun share --help`).
"""
STATUS_EPILOG = """\
examples:
  longrun status                  your chains
  longrun status --user bob       bob's chains, read-only
  longrun status --all            every user's longrun chains
  longrun status --archived       the chains you archived (`longrun archive`)
  longrun status --json | jq -r '.[] | select(.state == "STOPPED") | .chain_id'

exit status: 0 shown, 1 some of your chains are damaged (named on stderr), 2 bad arguments.
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    status = subparsers.add_parser(
        "status", help="your chains (or a colleague's, read-only)", description=STATUS_DESCRIPTION,
        epilog=STATUS_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    who = status.add_mutually_exclusive_group()
    who.add_argument("--user", metavar="USER", help="show USER's chains (read-only)")
    who.add_argument("--all", action="store_true", help="every user's chains (others' read-only)")
    status.add_argument("--archived", action="store_true", help="the archived chains instead (`longrun archive`)")
    status.add_argument("--json", action="store_true", help="machine-readable output (a list of chains)")
    status.set_defaults(handler=handle_status)
