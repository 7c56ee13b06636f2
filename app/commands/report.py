"""`longrun report CHAIN [--user U] [--json]`: one chain's progress, economics and timeline.

Per link: queue wait, run time, time lost before it, checkpoint window, CPU and memory efficiency
(percent, as seff and reportseff print them), peak memory per node, GPUs; per chain: links, run
and wall time, the shares queued and lost between links, core- and GPU-hours, mean efficiencies;
the progress with its rate and the expected finish; the timeline picture; waste with its fix.
`--json` prints the same with the keys of REPORT_KEYS (documented in README.md; stable).
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from app.console import known_user, print_error, print_json, stdout
from app.model.economics import WASTE_BELOW, ChainEconomics, LinkEconomics
from app.model.progress import Estimate
from app.model.text import inert
from app.model.usage import LiveMemory
from app.pictures.summary import economics_picture, headline, seconds_text
from app.registry import RegistryError
from app.services import ActionRefused, ChainReport, Services
from app.views import ChainView, LinkView

REPORT_KEYS = ("chain_id", "name", "owner", "state", "reason", "generated_at", "progress", "eta", "links_to_start",
               "chain", "links", "advice", "live_memory")  # fmt: skip
LINK_KEYS = ("attempt", "job_id", "state", "submit", "start", "end", "queue_wait_s", "run_s", "lost_before_s",
             "signal_at", "checkpoint_window_s", "cpu_efficiency", "mem_efficiency", "peak_memory_per_node",
             "requested_memory_per_node", "cpus", "core_seconds", "gpus", "gpu_utilization", "expected_start",
             "waiting_for")  # fmt: skip
CHAIN_KEYS = ("links", "run_s", "wall_s", "queued_s", "lost_s", "queued_share", "lost_share", "core_hours",
              "gpu_hours", "cpu_efficiency", "mem_efficiency", "link_run_s", "gap_s")  # fmt: skip


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _bytes(size: Any) -> int | None:
    return size.bytes if size is not None else None


def link_json(link: LinkView, figures: LinkEconomics | None) -> dict[str, Any]:
    f = figures
    return {
        "attempt": link.attempt,
        "job_id": link.job_id,
        "state": link.state,
        "submit": _iso(link.submit),
        "start": _iso(link.start),
        "end": _iso(link.end),
        "queue_wait_s": f.queue_wait_s if f else None,
        "run_s": f.run_s if f else None,
        "lost_before_s": f.lost_before_s if f else None,
        "signal_at": _iso(f.signal_at) if f else None,
        "checkpoint_window_s": f.checkpoint_window_s if f else None,
        "cpu_efficiency": f.cpu_efficiency if f else None,
        "mem_efficiency": f.mem_efficiency if f else None,
        "peak_memory_per_node": _bytes(f.peak_per_node) if f else None,
        "requested_memory_per_node": _bytes(f.request_per_node) if f else None,
        "cpus": f.cpus if f else None,
        "core_seconds": f.core_seconds if f else None,
        "gpus": f.gpus if f else None,
        "gpu_utilization": f.gpu_utilization if f else None,
        "expected_start": _iso(link.expected_start),
        "waiting_for": link.waiting_for,
    }


def chain_json(economics: ChainEconomics | None) -> dict[str, Any] | None:
    if economics is None:
        return None
    e = economics
    return {
        "links": len(e.links), "run_s": e.run_s, "wall_s": e.wall_s, "queued_s": e.queued_s, "lost_s": e.lost_s,
        "queued_share": e.queued_share, "lost_share": e.lost_share, "core_hours": e.core_hours,
        "gpu_hours": e.gpu_hours, "cpu_efficiency": e.cpu_efficiency, "mem_efficiency": e.mem_efficiency,
        "link_run_s": e.link_run_s, "gap_s": e.gap_s,
    }  # fmt: skip


def progress_json(estimate: Estimate | None) -> dict[str, Any] | None:
    if estimate is None:
        return None
    p = estimate.progress
    return {"done": p.done, "total": p.total, "percent": estimate.percent, "rate_per_hour": estimate.rate_per_hour}


def memory_json(memory: LiveMemory | None) -> dict[str, Any] | None:
    if memory is None:
        return None
    return {"now_per_node": _bytes(memory.now_per_node), "peak_per_node": _bytes(memory.peak_per_node),
            "requested_per_node": _bytes(memory.requested_per_node)}  # fmt: skip


def report_json(report: ChainReport) -> dict[str, Any]:
    """The report with the keys of REPORT_KEYS, LINK_KEYS and CHAIN_KEYS (times ISO 8601, Slurm's local
    time; durations in seconds; sizes in bytes; efficiencies and shares in percent)."""
    view = report.chain
    figures = {e.attempt: e for e in view.economics.links} if view.economics else {}
    estimate = view.progress
    return {
        "chain_id": view.chain_id,
        "name": view.name,
        "owner": view.owner,
        "state": view.state.value,
        "reason": view.reason,
        "generated_at": _iso(report.taken_at),
        "progress": progress_json(estimate),
        "eta": _iso(estimate.eta) if estimate else None,
        "links_to_start": estimate.links_to_start if estimate else None,
        "chain": chain_json(view.economics),
        "links": [link_json(link, figures.get(link.attempt)) for link in view.links],
        "advice": list(view.advice),
        "live_memory": memory_json(report.live_memory),
    }


def _percent(value: float | None) -> Text:
    if value is None:
        return Text("-")
    return Text(f"{value:g}%", style="yellow" if value < WASTE_BELOW else "")


# Columns in the order they give way when the terminal is narrow (the last goes first).
COLUMN_PRIORITY = ("#", "JOB", "CPU", "MEM", "RAN", "ENDED", "LOST", "QUEUED", "PEAK/ASKED", "WINDOW", "GPUS")


def link_rows(view: ChainView) -> tuple[list[str], list[list[Text]]]:
    """Headers and cells of the link table; the checkpoint and GPU columns only when some link has one."""
    figures = {e.attempt: e for e in view.economics.links} if view.economics else {}
    windows = any(e.checkpoint_window_s is not None for e in figures.values())
    gpus = any(e.gpus for e in figures.values())
    headers = ["#", "JOB", "ENDED", "QUEUED", "RAN", "LOST", *(["WINDOW"] if windows else []), "CPU", "MEM",
               "PEAK/ASKED", *(["GPUS"] if gpus else [])]  # fmt: skip
    rows: list[list[Text]] = []
    for link in view.links:
        f = figures.get(link.attempt)
        peak = "-"
        if f is not None and (f.peak_per_node or f.request_per_node):
            peak = f"{f.peak_per_node or '?'}/{f.request_per_node or '?'}"
        row = [Text(str(link.attempt)), Text(inert(link.job_id or "-")), Text(inert(link.ending or link.state))]
        row += [Text(seconds_text(v)) for v in ((f.queue_wait_s, f.run_s, f.lost_before_s) if f else (None,) * 3)]
        if windows:
            row.append(Text(seconds_text(f.checkpoint_window_s if f else None)))
        row += [_percent(f.cpu_efficiency if f else None), _percent(f.mem_efficiency if f else None), Text(peak)]
        if gpus:
            util = f" {f.gpu_utilization:g}%" if f is not None and f.gpu_utilization is not None else ""
            row.append(Text(f"{f.gpus}{util}" if f is not None and f.gpus else "-"))
        rows.append(row)
    return headers, rows


def link_table(view: ChainView, width: int) -> Table:
    """One row per link. Cells never shrink: columns that do not fit in `width` are left out, the
    least needed first (COLUMN_PRIORITY)."""
    headers, rows = link_rows(view)
    widths = {h: max([len(h), *(row[i].cell_len for row in rows)]) + 2 for i, h in enumerate(headers)}
    shown = list(headers)
    for header in reversed(COLUMN_PRIORITY):
        if sum(widths[h] for h in shown) <= width or len(shown) <= 3:
            break
        if header in shown:
            shown.remove(header)
    table = Table(box=None, header_style="bold", pad_edge=False)
    for header in shown:
        table.add_column(header, no_wrap=True)
    for row in rows:
        table.add_row(*(cell for header, cell in zip(headers, row, strict=True) if header in shown))
    return table


def render(report: ChainReport, width: int) -> Group:
    view, now = report.chain, report.taken_at
    head = Text()
    head.append(inert(view.name), style="bold")
    head.append(f"  {view.chain_id}  {view.owner}  {view.state.value}  attempt {view.attempt}")
    if view.attempt_limit is not None:
        head.append(f"/{view.attempt_limit}")
    parts: list[RenderableType] = [head]
    if view.reason:
        parts.append(Text(inert(view.reason), style="dim"))
    parts += headline(view, now, width, report.live_memory)
    parts += [Text(), link_table(view, width)]
    if view.economics is not None:
        parts += [Text(), *economics_picture(view, now, width)]
    return Group(*parts)


def handle(args: argparse.Namespace) -> int:
    if not known_user(args.user):
        return 2
    services = Services()
    try:
        report = services.report(args.chain, args.user)
    except (ActionRefused, RegistryError) as exc:
        print_error(str(exc))
        return 2
    if args.json:
        print_json(report_json(report))
    else:
        stdout.print(render(report, stdout.width))
    return 0


DESCRIPTION = """\
One chain in full: its progress with the rate and the expected finish (--progress or
--progress-file at submit), per link the queue wait, run time, time lost before it, checkpoint
window, CPU and memory efficiency (as seff and reportseff print them), peak memory per node and
GPUs; per chain the shares queued and lost, core- and GPU-hours; a timeline picture; and the
waste with its fix (fewer CPUs, less memory). A pending link says when Slurm expects it.
"""

EPILOG = """\
examples:
  longrun report train.sh                 a chain by its name (or its id)
  longrun report 3fa9c2d1 --json          the same for scripts (keys in README.md)
  longrun report sweep-lr3 --user bob     a colleague's chain, read-only
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "report", help="one chain's progress, efficiency, waits and timeline", description=DESCRIPTION,
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("chain", metavar="CHAIN", help="a chain id, or a name no other chain of the user has")
    parser.add_argument("--user", help="a colleague's chain (read-only)")
    parser.add_argument("--json", action="store_true", help="machine-readable output (keys in README.md)")
    parser.set_defaults(handler=handle)
