"""`longrun`: the command line. Builds the argument parser from app/commands and dispatches.

Every command module has `register(subparsers)`, which adds its sub-command and sets
`handler(args) -> int` as the default `handler`. Errors a person can act on are printed as one
clear line and give a non-zero exit; tracebacks are for bugs only.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Sequence

from app import __version__
from app.commands import COMMAND_MODULES
from app.console import print_error
from app.registry import RegistryError
from app.slurm.errors import SlurmError

DESCRIPTION = """\
Run long Slurm jobs as crash-safe chains: each link catches the warning signal, checkpoints,
and the next link continues until the work is done (decided inside Slurm by the job queued after
each link, or by your supervisor with --mode supervisor).
"""

EPILOG = """\
examples:
  longrun explain 1234            why did job 1234 end, and what to change
  longrun explain 1234 --json     the same, for scripts
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="longrun", description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"longrun {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    given = list(sys.argv[1:] if argv is None else argv)
    unknown = _unknown_command(parser, given)
    if unknown is not None:
        print_error(unknown)
        return 2
    args = parser.parse_args(given)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        result: int = handler(args)
    except SlurmError as exc:
        print_error(str(exc))
        return 3
    except RegistryError as exc:  # e.g. LONGRUN_GROUP names no group, the registry path is a file
        print_error(str(exc))
        return 2
    except KeyboardInterrupt:
        print_error("interrupted")
        return 130
    return result


def _unknown_command(parser: argparse.ArgumentParser, argv: list[str]) -> str | None:
    """A message with did-you-mean when the first argument is not a command (`longrun stauts`)."""
    if not argv or argv[0].startswith("-"):
        return None
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if argv[0] in action.choices:
        return None
    close = difflib.get_close_matches(argv[0], list(action.choices), n=1, cutoff=0.6)
    hint = f": did you mean `longrun {close[0]}`?" if close else ""
    return f"no command {argv[0]}{hint} (`longrun --help` lists them)"


if __name__ == "__main__":
    sys.exit(main())
