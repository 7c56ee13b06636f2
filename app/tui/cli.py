"""`longrun-tui [--user U | --all] [--interval S]`: check the arguments, open the service layer,
revive the supervisor, run the dashboard. Bad arguments get one line and exit 2, no traceback."""

from __future__ import annotations

import argparse
import getpass
import pwd
import sys
from collections.abc import Sequence

from app.tui.app import DEFAULT_INTERVAL, LongrunApp
from app.tui.errors import describe_error
from widgets.keys import keys_epilog


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="longrun-tui",
        description="Live dashboard of Slurm job chains: links, steps, exit codes with a fix, logs.",
        epilog=keys_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--user", "-u", metavar="USER", help="show USER's chains (read-only when not yours)")
    who.add_argument("--all", "-a", action="store_true", help="show every user's chains (others' read-only)")
    parser.add_argument(
        "--interval", type=float, default=DEFAULT_INTERVAL, metavar="SECONDS",
        help=f"seconds between refreshes (default {DEFAULT_INTERVAL:g})",
    )  # fmt: skip
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.interval < 1:
        print("longrun-tui: error: --interval must be at least 1 second", file=sys.stderr)
        return 2
    if args.user is not None:
        try:
            pwd.getpwnam(args.user)
        except KeyError:
            print(f"longrun-tui: error: no such user: {args.user}", file=sys.stderr)
            return 2
    from app.services import ChainService, Services
    from app.supervisor.lease import ensure_supervisor

    me = getpass.getuser()
    user = None if args.all else (args.user or me)
    try:
        real = Services(viewer=me)
        real.revive_supervisor = True  # every refresh finds a dead supervisor by its lock and starts one
        services: ChainService = real  # mypy: the real service layer satisfies the protocol
    except Exception as exc:  # the registry could not be opened: say why, no traceback
        print(f"longrun-tui: error: {describe_error(exc)}", file=sys.stderr)
        return 1
    try:
        ensure_supervisor()  # DESIGN: the dashboard, like every command, revives a dead supervisor
    except Exception as exc:  # never a reason not to show the dashboard
        print(f"longrun-tui: warning: could not start the supervisor: {describe_error(exc)}", file=sys.stderr)
    app = LongrunApp(services, user, me=me, interval=args.interval)
    app.run()
    return app.return_code or 0
