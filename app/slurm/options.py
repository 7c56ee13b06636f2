"""sbatch's command-line options as getopt_long reads them: which exist, which take a value.

Used to split `longrun submit`'s arguments (sbatch's options up to the script), to tell an sbatch
option written after the script, and to replace one option of a chain by a new value (`longrun
resubmit CHAIN --mem=2G`). The names are those of sbatch(1) in Slurm 22.05 (checked against
`sbatch --help` on the test cluster); an option a newer sbatch has and this list lacks is passed
on unchanged and taken to have no separate value (`--new-option=value` always works).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

NO_VALUE = frozenset(
    {"contiguous", "help", "hold", "ignore-pbs", "no-requeue", "overcommit", "oversubscribe", "parsable", "quiet",
     "reboot", "requeue", "spread-job", "test-only", "usage", "use-min-nodes", "verbose", "version", "wait"}
)  # fmt: skip
OPTIONAL_VALUE = frozenset({"exclusive", "get-user-env", "nice", "no-kill", "propagate"})  # only as `--name=VALUE`
WITH_VALUE = frozenset(
    {"account", "acctg-freq", "array", "batch", "bb", "bbf", "begin", "chdir", "cluster-constraint", "clusters",
     "comment", "constraint", "container", "core-spec", "cores-per-socket", "cpu-freq", "cpus-per-gpu",
     "cpus-per-task", "deadline", "delay-boot", "dependency", "distribution", "error", "exclude", "export",
     "export-file", "extra-node-info", "gid", "gpu-bind", "gpu-freq", "gpus", "gpus-per-node", "gpus-per-socket",
     "gpus-per-task", "gres", "gres-flags", "hint", "input", "job-name", "kill-on-invalid-dep", "licenses",
     "mail-type", "mail-user", "mcs-label", "mem", "mem-bind", "mem-per-cpu", "mem-per-gpu", "mincpus", "network",
     "nodefile", "nodelist", "nodes", "ntasks", "ntasks-per-core", "ntasks-per-gpu", "ntasks-per-node",
     "ntasks-per-socket", "open-mode", "output", "partition", "power", "prefer", "priority", "profile", "qos",
     "reservation", "signal", "sockets-per-node", "switches", "thread-spec", "threads-per-core", "time", "time-min",
     "tmp", "uid", "wait-all-nodes", "wckey", "wrap"}
)  # fmt: skip
LONG = NO_VALUE | OPTIONAL_VALUE | WITH_VALUE
SHORT = {
    "A": "account", "a": "array", "b": "begin", "B": "extra-node-info", "C": "constraint", "c": "cpus-per-task",
    "D": "chdir", "d": "dependency", "e": "error", "F": "nodefile", "G": "gpus", "H": "hold", "h": "help",
    "i": "input", "J": "job-name", "k": "no-kill", "L": "licenses", "M": "clusters", "m": "distribution",
    "N": "nodes", "n": "ntasks", "O": "overcommit", "o": "output", "p": "partition", "Q": "quiet", "q": "qos",
    "S": "core-spec", "s": "oversubscribe", "t": "time", "V": "version", "v": "verbose", "W": "wait",
    "w": "nodelist", "x": "exclude",
}  # fmt: skip
# Options that exclude each other: a new value of one replaces the others.
EXCLUSIVE_GROUPS = (frozenset({"mem", "mem-per-cpu", "mem-per-gpu"}),)


def long_name(text: str) -> str | None:
    """The option `text` (without dashes) names: itself, or the one option it abbreviates uniquely."""
    if text in LONG:
        return text
    matches = [name for name in LONG if name.startswith(text)]
    return matches[0] if len(matches) == 1 and text else None


@dataclass(frozen=True)
class Option:
    """One option as written: its tokens (`--mem=2G`, or `-t` `60`) and the long name it sets."""

    tokens: tuple[str, ...]
    name: str | None  # None: not an sbatch option this list knows


def split_options(argv: Sequence[str]) -> tuple[list[Option], int]:
    """sbatch's options at the start of `argv` and the index of the first argument after them
    (the script). `--` ends them (its index + 1 is returned). A value is never read as an option."""
    options: list[Option] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        if token == "--":
            return options, i + 1
        if not token.startswith("-") or token == "-":
            break
        if token.startswith("--"):
            text, has_value, _value = token[2:].partition("=")
            name = long_name(text)
            if name in WITH_VALUE and not has_value and i + 1 < len(argv):
                options.append(Option((token, argv[i + 1]), name))
                i += 2
                continue
            options.append(Option((token,), name))
            i += 1
            continue
        name = SHORT.get(token[1]) if len(token) > 1 else None
        if name in WITH_VALUE and len(token) == 2 and i + 1 < len(argv):
            options.append(Option((token, argv[i + 1]), name))
            i += 2
            continue
        options.append(Option((token,), name if len(token) == 2 or name in WITH_VALUE else None))
        i += 1
    return options, i


def needs_value(token: str) -> bool:
    """A long or short option written without its value, which then is the next argument."""
    if token.startswith("--"):
        text, has_value, _ = token[2:].partition("=")
        return not has_value and long_name(text) in WITH_VALUE
    return len(token) == 2 and SHORT.get(token[1]) in WITH_VALUE


def replace_options(current: Sequence[str], new: Sequence[str]) -> tuple[str, ...]:
    """`current` with every option that `new` sets again (or one exclusive with it: `--mem` and
    `--mem-per-cpu`) removed, then `new` appended: the options the next links get."""
    given, _ = split_options(list(new))
    replaced: set[str] = set()
    for option in given:
        if option.name is None:
            continue
        replaced.add(option.name)
        for group in EXCLUSIVE_GROUPS:
            if option.name in group:
                replaced |= group
    kept, end = split_options(list(current))
    out = [token for option in kept if option.name not in replaced for token in option.tokens]
    return (*out, *current[end:], *new)
