"""`longrun supervise [--ensure]`: run this user's supervisor in the foreground.

`--ensure` is idempotent and quiet when a supervisor already runs: the line for cron
(`*/5 * * * * longrun supervise --ensure`); the background supervisor is this same command.
"""

from __future__ import annotations

import argparse
import logging
import signal
import time
from types import FrameType

from app.console import print_error
from app.registry import Registry, RegistryError, RegistryWriteError
from app.services import current_user
from app.slurm.client import default_client
from app.supervisor import AlreadyRunning, Supervisor
from app.supervisor.lease import Lease, write_heartbeat

HEARTBEAT_EVERY = 5.0


def handle(args: argparse.Namespace) -> int:
    reg = Registry()
    try:
        lease = Lease(reg, inherited=args.lock_fd)
    except AlreadyRunning as exc:
        if args.ensure:
            return 0
        print_error(f"{exc}; not starting a second one")
        return 1
    except (OSError, RegistryError) as exc:
        print_error(f"cannot start the supervisor: {exc}")
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    log = logging.getLogger("longrun.supervisor")
    stop = False

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    nudge = reg.supervisor_dir / "nudge"

    def nudge_mtime() -> float:
        try:
            return nudge.stat().st_mtime
        except OSError:
            return 0.0

    beat_failed = False

    def beat() -> None:
        """The heartbeat is for people watching; a full disk must not stop the supervisor."""
        nonlocal beat_failed
        try:
            write_heartbeat(reg)
        except RegistryWriteError as exc:
            if not beat_failed:
                log.warning("cannot write the heartbeat (%s); supervising on", exc)
            beat_failed = True
        else:
            beat_failed = False

    def idle(seconds: float) -> None:
        """Sleep until the next cycle is due, a command nudges, or any chain changes (a link's
        wrapper reporting its end: one open of the registry's change journal per half second)."""
        seen = nudge_mtime()
        mark = reg.change_mark()
        deadline = time.monotonic() + seconds
        last_beat = 0.0
        while not stop and time.monotonic() < deadline:
            if time.monotonic() - last_beat >= HEARTBEAT_EVERY:
                beat()
                last_beat = time.monotonic()
            if nudge_mtime() != seen or reg.change_mark() != mark:
                return
            time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))

    beat()
    log.info("supervisor started for %s (registry %s)", current_user(), reg.home)
    try:
        Supervisor(reg, default_client(), current_user()).run(lambda: stop, idle, idle_exit=args.exit_when_idle)
    finally:
        log.info("supervisor stopping")
        lease.release()
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "supervise",
        help="watch all your chains and submit what Slurm does not (foreground)",
        description="Run your supervisor in the foreground: it submits the next link of --mode supervisor "
        "chains when one ends, the first link of workflow chains whose upstream jobs are done, and keeps the "
        "registry up to date for the dashboard (one squeue call per cycle, one sacct per ended link). Chains "
        "in the default mode go on inside Slurm without it. One per user: a second one refuses to start. "
        "Every longrun command starts one in the background when none runs.",
        epilog="examples:\n  longrun supervise                 in a terminal, until Ctrl-C\n"
        "  */5 * * * * longrun supervise --ensure    a cron line: restart it after a reboot",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--ensure", action="store_true", help="start only when none runs; quiet otherwise (for cron)")
    parser.add_argument(
        "--exit-when-idle", type=float, metavar="SECONDS", help="exit after SECONDS with no chain to watch"
    )
    parser.add_argument("--lock-fd", type=int, help=argparse.SUPPRESS)  # set by ensure_supervisor()
    parser.set_defaults(handler=handle)
