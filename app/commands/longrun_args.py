"""Arguments of the commands that mix longrun's options with sbatch's: `submit`, `resubmit`,
`reinit`. One table of longrun's policy options (shared by the three, and by their --help), the
check that sbatch's options are where they belong, and did-you-mean for a misspelt option.

sbatch's options are known from app/slurm/options.py; an option unknown to both is passed to
sbatch unchanged (a newer sbatch may know it), unless it is close to one of longrun's own.
"""

from __future__ import annotations

import difflib
import shlex
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.model.units import MemorySize, UnitParseError
from app.slurm import options as sbatch


class UsageError(ValueError):
    """A mistake in the arguments; `str()` says what and how to write it."""


def _whole(flag: str, text: str) -> int:
    """A whole number that is not negative; the Policy checks its range (PolicyError)."""
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"{flag} needs a whole number, not {text!r}") from None
    if value < 0:
        raise UsageError(f"{flag} cannot be negative")
    return value


def _max_restarts(text: str) -> dict[str, Any]:
    if text.lower() in ("none", "unlimited"):
        return {"max_restarts": None}
    return {"max_restarts": _whole("--max-restarts", text)}


def _grow_mem(text: str) -> dict[str, Any]:
    if text.lower() in ("none", "off"):
        return {"grow_mem_factor": None, "grow_mem_cap": None}
    factor_text, _, cap_text = text.partition(",")
    try:
        factor = float(factor_text)
        cap = MemorySize.parse(cap_text, default_unit="M") if cap_text else None
    except (ValueError, UnitParseError):
        raise UsageError(f"--grow-mem takes FACTOR[,CAP] like 1.5,8G, not {text!r}") from None
    return {"grow_mem_factor": factor, "grow_mem_cap": cap}


def _progress_file(text: str) -> dict[str, Any]:
    return {"progress_file": None if text.lower() == "none" else text}


def _progress_regex(text: str) -> dict[str, Any]:
    return {"progress_regex": None if text.lower() == "none" else text}


@dataclass(frozen=True)
class PolicyFlag:
    """One of longrun's options that sets the chain's policy."""

    flag: str
    metavar: str | None  # None: a switch, no value
    help: str
    apply: Callable[[str], dict[str, Any]]  # the value -> Policy fields


POLICY_FLAGS: tuple[PolicyFlag, ...] = (
    PolicyFlag("--max-restarts", "N", "resubmit at most N times after the first link (default: no limit; "
               "`none` lifts a limit)", _max_restarts),
    PolicyFlag("--continue-exit-code", "N", 'exit status meaning "checkpointed, continue" (default 75)',
               lambda t: {"continue_exit_code": _whole("--continue-exit-code", t)}),
    PolicyFlag("--grow-mem", "FACTOR[,CAP]", "on out-of-memory (of the job or one of its steps) resubmit with "
               "the memory request x FACTOR, in the unit it was asked in (--mem per node, --mem-per-cpu, "
               "--mem-per-gpu), at most CAP per node (e.g. 1.5,8G; `none` turns it off)", _grow_mem),
    PolicyFlag("--resubmit-early", None, "resubmit a link that COMPLETED right after the warning signal",
               lambda _t: {"resubmit_completed_early": True}),
    PolicyFlag("--progress", "REGEX", "progress in the log: the newest line matching REGEX, with groups `done` "
               "(and `total`), e.g. 'step (?P<done>\\d+)/(?P<total>\\d+)'; shown with its rate and the chain's "
               "finish; a link that reports nothing new stops the chain (`none` turns it off)", _progress_regex),
    PolicyFlag("--progress-file", "FILE", "progress in FILE (relative to the workdir): a number or done/total; "
               "a link that leaves it unchanged stops the chain", _progress_file),
    PolicyFlag("--min-link-seconds", "N", "links shorter than N s count as no progress (3 in a row stop the "
               "chain; default 60, never more than a link runs before its warning signal can come)",
               lambda t: {"min_link_seconds": _whole("--min-link-seconds", t)}),
)  # fmt: skip
_BY_FLAG = {f.flag: f for f in POLICY_FLAGS}
# The option that sets each Policy field, for messages about a value out of range (PolicyError).
POLICY_FIELD_FLAGS = {
    "max_restarts": "--max-restarts",
    "continue_exit_code": "--continue-exit-code",
    "grow_mem_factor": "--grow-mem FACTOR",
    "grow_mem_cap": "--grow-mem CAP",
    "min_link_seconds": "--min-link-seconds",
    "progress_file": "--progress-file",
    "progress_regex": "--progress",
}


def policy_help(width: int = 26, columns: int = 100) -> str:
    """The policy options as `--help` lists them, wrapped to `columns`."""
    lines = []
    for f in POLICY_FLAGS:
        head = f"  {(f.flag + ' ' + (f.metavar or '')).ljust(width)}"
        lines.append(textwrap.fill(f.help, columns, initial_indent=head, subsequent_indent=" " * len(head)))
    return "\n".join(lines)


@dataclass
class MixedArgs:
    """What `parse_mixed` found: policy changes, longrun's other options, sbatch's options, the rest."""

    policy: dict[str, Any] = field(default_factory=dict)
    given_flags: list[str] = field(default_factory=list)  # policy flags in the order given
    extra: dict[str, list[str]] = field(default_factory=dict)  # command-specific longrun options -> values
    sbatch_options: list[str] = field(default_factory=list)
    rest: list[str] = field(default_factory=list)  # from the first positional on (submit: SCRIPT ARGS)
    positionals: list[str] = field(default_factory=list)


def _flag_value(argv: Sequence[str], i: int, flag: str) -> tuple[str, int]:
    token = argv[i]
    if "=" in token:
        return token.split("=", 1)[1], i + 1
    if i + 1 >= len(argv):
        raise UsageError(f"{flag} needs a value")
    return argv[i + 1], i + 2


def did_you_mean(word: str, choices: Sequence[str]) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.75)
    return close[0] if close else None


def longrun_flags(extra: dict[str, bool]) -> list[str]:
    return [*(f.flag for f in POLICY_FLAGS), *extra]


def parse_mixed(argv: Sequence[str], extra: dict[str, bool], *, stop_at_positional: bool, command: str) -> MixedArgs:
    """Parse longrun's options (POLICY_FLAGS, and `extra`: flag -> takes a value), then sbatch's.

    With `stop_at_positional` (submit), the first positional ends the options and it and everything
    after it are `rest`, and longrun's options come first: one after an sbatch option is refused
    with the order to write. Otherwise (resubmit, reinit) options and positionals come in any order.
    An unknown option close to one of longrun's is refused with did-you-mean.
    """
    out = MixedArgs()
    ours = longrun_flags(extra)
    i = 0
    seen_sbatch: str | None = None
    while i < len(argv):
        token = argv[i]
        flag = token.split("=", 1)[0]
        if token == "--":
            i += 1
            if stop_at_positional:
                # `--` ends longrun's options; sbatch's may follow
                options, end = sbatch.split_options(list(argv[i:]))
                out.sbatch_options += [t for o in options for t in o.tokens]
                out.rest = list(argv[i + end :])
                return out
            out.positionals += list(argv[i:])
            return out
        if flag in _BY_FLAG or flag in extra:
            if seen_sbatch is not None and stop_at_positional:
                order = f"{command} {shlex.join(_reordered(argv, extra))}"
                raise UsageError(
                    f"longrun's options come before sbatch's: {flag} after {seen_sbatch} "
                    f"would be passed to sbatch. Write: {order}"
                )
            takes_value = _BY_FLAG[flag].metavar is not None if flag in _BY_FLAG else extra[flag]
            if takes_value:
                value, i = _flag_value(argv, i, flag)
            else:
                if "=" in token:
                    raise UsageError(f"{flag} takes no value")
                value, i = "", i + 1
            if flag in _BY_FLAG:
                out.policy.update(_BY_FLAG[flag].apply(value))
                out.given_flags.append(flag)
            else:
                out.extra.setdefault(flag, []).append(value)
            continue
        if token.startswith("-") and token != "-":
            name = sbatch.long_name(token[2:].split("=", 1)[0]) if token.startswith("--") else None
            if token.startswith("--") and name is None:
                close = did_you_mean(flag, ours)
                if close is not None:
                    raise UsageError(f"unknown option {flag}: did you mean {close} (a longrun option)?")
            if sbatch.needs_value(token) and i + 1 >= len(argv):
                raise UsageError(f"sbatch option {token} needs a value")
            options, _ = sbatch.split_options(list(argv[i:]))
            taken = options[0].tokens
            out.sbatch_options += taken
            seen_sbatch = seen_sbatch or token
            i += len(taken)
            continue
        if stop_at_positional:
            out.rest = list(argv[i:])
            return out
        out.positionals.append(token)
        i += 1
    return out


def _reordered(argv: Sequence[str], extra: dict[str, bool]) -> list[str]:
    """argv with every longrun option (and its value) moved before the first sbatch option."""
    ours: list[str] = []
    others: list[str] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        flag = token.split("=", 1)[0]
        if flag in _BY_FLAG or flag in extra:
            takes_value = _BY_FLAG[flag].metavar is not None if flag in _BY_FLAG else extra[flag]
            width = 2 if takes_value and "=" not in token else 1
            ours += argv[i : i + width]
            i += width
        elif token.startswith("-") and token != "-" and token != "--":
            options, _ = sbatch.split_options(list(argv[i:]))
            others += options[0].tokens
            i += len(options[0].tokens)
        else:
            return [*ours, *others, *argv[i:]]
    return [*ours, *others]


def sbatch_options_after_script(args: Sequence[str]) -> list[str]:
    """Arguments after a job script that look like options meant for sbatch or longrun (not the
    script): sbatch's long options by their full name, except those common in programs' own
    command lines (`--help`, `--output`, `--verbose`...), and longrun's policy options."""
    found: list[str] = []
    for arg in args:
        if not arg.startswith("--") or arg == "--":
            continue
        name = arg[2:].split("=", 1)[0]
        if arg.split("=", 1)[0] in _BY_FLAG or (name in sbatch.LONG and name not in COMMON_IN_PROGRAMS):
            found.append(arg)
    return found


# sbatch option names that many programs use for their own options: never taken for sbatch's.
COMMON_IN_PROGRAMS = frozenset(
    {"help", "usage", "version", "verbose", "quiet", "input", "output", "error", "comment", "export", "profile",
     "wait", "hold", "test-only", "parsable", "array", "priority", "network", "power", "batch", "container",
     "nice", "prefer", "uid", "gid"}
)  # fmt: skip
