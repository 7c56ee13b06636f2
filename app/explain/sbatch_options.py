"""sbatch's options as sbatch itself reads them: from its command line and from a script's #SBATCH lines.

sbatch parses both with getopt_long: `-o FILE`, `-oFILE`, `--output=FILE`, `--output FILE`,
unique abbreviations (`--out=FILE`), the last occurrence wins, and an option's value is never
taken for an option (`--comment=-o` sets a comment). Which options take a value comes from the
OPTIONS section of sbatch(1) (Slurm 22.05); every option not listed below takes one.

In a script, sbatch reads `#SBATCH` (and the old `#SLURM`) lines from the top and stops at the
first line that is neither blank nor a comment. A line may hold several options, split like
sbatch's `_get_argument`: whitespace separates, quotes group, a backslash escapes, an unquoted
`#` starts a comment. The command line wins over the script.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

# Long options that take no value, and those whose value is optional (`--name=VALUE` only).
_NO_VALUE = frozenset(
    {"contiguous", "help", "hold", "ignore-pbs", "no-requeue", "overcommit", "oversubscribe", "parsable", "quiet",
     "reboot", "requeue", "spread-job", "test-only", "usage", "use-min-nodes", "verbose", "version", "wait"}
)  # fmt: skip
_OPTIONAL_VALUE = frozenset({"exclusive", "get-user-env", "nice", "no-kill", "propagate"})
_WITH_VALUE = frozenset(
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
_LONG = _NO_VALUE | _OPTIONAL_VALUE | _WITH_VALUE
_SHORT = {
    "A": "account", "a": "array", "b": "begin", "B": "extra-node-info", "C": "constraint", "c": "cpus-per-task",
    "D": "chdir", "d": "dependency", "e": "error", "F": "nodefile", "G": "gpus", "H": "hold", "h": "help",
    "i": "input", "J": "job-name", "k": "no-kill", "L": "licenses", "M": "clusters", "m": "distribution",
    "N": "nodes", "n": "ntasks", "O": "overcommit", "o": "output", "p": "partition", "Q": "quiet", "q": "qos",
    "S": "core-spec", "s": "oversubscribe", "t": "time", "V": "version", "v": "verbose", "W": "wait",
    "w": "nodelist", "x": "exclude",
}  # fmt: skip


def _long_name(text: str) -> str | None:
    """The option `text` names: itself, or the one option it is a unique abbreviation of."""
    if text in _LONG:
        return text
    matches = [name for name in _LONG if name.startswith(text)]
    return matches[0] if len(matches) == 1 else None


def parse_options(argv: Iterable[str]) -> dict[str, str]:
    """sbatch's options in `argv` by long name -> value (the last one wins; "" for flags).

    Stops at `--` and at the first argument that is not an option (sbatch's script). Unknown
    options are skipped; an unknown `--name` without `=` is taken to have no value.
    """
    args = list(argv)
    found: dict[str, str] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--" or not arg.startswith("-") or arg == "-":
            break
        if arg.startswith("--"):
            name_text, has_value, value = arg[2:].partition("=")
            name = _long_name(name_text)
            if name is None:
                continue
            if name in _WITH_VALUE and not has_value:
                if i >= len(args):
                    break
                value = args[i]
                i += 1
            found[name] = value
            continue
        j = 1
        while j < len(arg):  # clustered short options: `-Hv`, `-oFILE`, `-o FILE`
            short = _SHORT.get(arg[j])
            j += 1
            if short is None:
                continue
            if short in _WITH_VALUE:
                if j < len(arg):
                    found[short] = arg[j:]
                elif i < len(args):
                    found[short] = args[i]
                    i += 1
                break
            if short in _OPTIONAL_VALUE:
                found[short] = arg[j:]
                break
            found[short] = ""
    return found


def split_directive(line: str) -> list[str]:
    """The arguments of one `#SBATCH` line (after the magic word), split as sbatch splits them."""
    args: list[str] = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i].isspace():
            i += 1
        if i >= n:
            return args
        current: list[str] = []
        quote = ""
        while i < n and (quote or not line[i].isspace()):
            char = line[i]
            if char == "\\":  # escapes the next character (a trailing one is dropped)
                current.append(line[i + 1 : i + 2])
                i += 2
                continue
            if quote:
                if char == quote:
                    quote = ""
                else:
                    current.append(char)
            elif char in "\"'":
                quote = char
            elif char == "#":
                if current:
                    args.append("".join(current))
                return args
            else:
                current.append(char)
            i += 1
        args.append("".join(current))


_MAGIC = ("#SBATCH", "#SLURM")


def script_directives(text: str) -> tuple[str, ...]:
    """The options of a batch script's #SBATCH lines, in order, up to its first command.

    A `hetjob` (or `packjob`) separator starts the next component of a heterogeneous job; only
    the first component's options are returned (its output file is the job's).
    """
    options: list[str] = []
    for line in text.splitlines():
        magic = next((m for m in _MAGIC if line.startswith(m)), None)
        if magic is None:
            stripped = line.lstrip()
            if stripped and not stripped.startswith("#"):
                break  # the first command: sbatch reads no further
            continue
        for arg in split_directive(line[len(magic) :]):
            if arg.lower() in ("hetjob", "packjob"):
                return tuple(options)
            options.append(arg)
    return tuple(options)


def option(found: dict[str, str], name: str) -> str | None:
    """A value from parse_options, None when the option was not given (or given empty)."""
    value = found.get(name)
    return value if value else None


def merged(command_line: Sequence[str], directives: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Each option's value and where it came from ("command line" or "#SBATCH"); the command line wins."""
    result = {name: (value, "#SBATCH") for name, value in parse_options(directives).items()}
    result.update({name: (value, "command line") for name, value in parse_options(command_line).items()})
    return result
