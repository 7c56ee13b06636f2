"""`longrun share [--group GROUP]`: let a team read your chains (app/registry/sharing.py).

Gives the registry's directories and every chain's spec and event log to the group (setgid
directories, group-readable), never env.json, the locks or the supervisor's log; then says
which directory on the way to the registry the team still cannot pass, if any.
"""

from __future__ import annotations

import argparse
import os

from app.console import literal, print_error, print_note, stdout
from app.registry import Registry, RegistryError
from app.registry.sharing import GROUP_ENV, PRIVATE_FILES, SharingError, blocked_at, share_path, team_group

DESCRIPTION = f"""\
Let the members of a group read your chains: `longrun status --user YOU` and the dashboard then
show them with their whole history, instead of what Slurm accounting keeps of them.

On most sites every user has a private group, so files that are "group-readable" are readable
by nobody else. Set {GROUP_ENV}=GROUP (e.g. in ~/.bashrc) and every chain you submit afterwards
belongs to GROUP; `longrun share` gives it the chains you made before. Never shared: each
chain's env.json (your environment), the locks and the supervisor's log.

A colleague finds your registry in ~YOU/.local/state/longrun, or where LONGRUN_HOME says when
the team sets it with %u for everybody (LONGRUN_HOME=/project/team/longrun/%u).
"""
EPILOG = f"""\
examples:
  longrun share --group hpcusers       the chains you have now
  export {GROUP_ENV}=hpcusers            ... and every chain from now on
"""


def handle(args: argparse.Namespace) -> int:
    try:
        group = team_group(args.group)
    except SharingError as exc:
        print_error(str(exc).replace(f"{GROUP_ENV}=", "group ") if args.group else str(exc))
        return 2
    if group is None:
        print_error(f"name the group: longrun share --group GROUP (or set {GROUP_ENV})")
        return 2
    registry = Registry()
    if not registry.chains_dir.is_dir():
        print_error(f"no registry at {registry.home} yet: nothing to share (submit a chain first)")
        return 2
    changed = 0
    try:
        for directory in (registry.home, registry.chains_dir):
            changed += share_path(directory, group)
        for chain_id in registry.chain_ids():
            chain_dir = registry.chains_dir / chain_id
            changed += share_path(chain_dir, group)
            for entry in os.scandir(chain_dir):
                if entry.name not in PRIVATE_FILES and entry.is_file(follow_symlinks=False):
                    changed += share_path(chain_dir / entry.name, group)
    except (OSError, RegistryError) as exc:
        print_error(f"cannot share {registry.home}: {exc}")
        return 2
    stdout.print(
        f"{changed} director{'ies and files' if changed != 1 else 'y or file'} given to group {literal(group.name)} "
        f"in {literal(registry.home)}",
        soft_wrap=True,
    )
    if os.environ.get(GROUP_ENV) != group.name:
        print_note(f"set {GROUP_ENV}={group.name} so that the chains you submit from now on are shared too")
    blocked = blocked_at(registry.chains_dir, group)
    if blocked is not None:
        print_note(
            f"members of {group.name} cannot pass {blocked}: "
            f"they still see your chains only from Slurm accounting; `chmod g+x` it with group {group.name}, "
            "or keep the registry elsewhere (LONGRUN_HOME)"
        )
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "share", help="let a group read your chains (setgid, group-readable)", description=DESCRIPTION,
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--group", metavar="GROUP", help=f"the group (default: ${GROUP_ENV})")
    parser.set_defaults(handler=handle)
