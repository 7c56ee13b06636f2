"""sbatch's options as sbatch itself reads them: from its command line and from a script's #SBATCH lines.

sbatch parses both with getopt_long: `-o FILE`, `-oFILE`, `--output=FILE`, `--output FILE`,
unique abbreviations (`--out=FILE`), the last occurrence wins, and an option's value is never
taken for an option (`--comment=-o` sets a comment). Which options exist and take a value is
app/slurm/options.py's table (sbatch(1) of Slurm 22.05).

In a script, sbatch reads `#SBATCH` (and the old `#SLURM`) lines from the top and stops at the
first line that is neither blank nor a comment. A line may hold several options, split like
sbatch's `_get_argument`: whitespace separates, quotes group, a backslash escapes, an unquoted
`#` starts a comment. The command line wins over the script.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from app.slurm.options import OPTIONAL_VALUE, SHORT, WITH_VALUE, long_name


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
            name = long_name(name_text)
            if name is None:
                continue
            if name in WITH_VALUE and not has_value:
                if i >= len(args):
                    break
                value = args[i]
                i += 1
            found[name] = value
            continue
        j = 1
        while j < len(arg):  # clustered short options: `-Hv`, `-oFILE`, `-o FILE`
            short = SHORT.get(arg[j])
            j += 1
            if short is None:
                continue
            if short in WITH_VALUE:
                if j < len(arg):
                    found[short] = arg[j:]
                elif i < len(args):
                    found[short] = args[i]
                    i += 1
                break
            if short in OPTIONAL_VALUE:
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


def memory_option(command_line: Sequence[str], directives: Sequence[str]) -> str | None:
    """How the job asked for memory, `mem-per-cpu=100M`: the command line's option, else the
    script's (sbatch takes the command line's and refuses two of them); None when neither has one."""
    for options in (command_line, directives):
        given = parse_options(options)
        for name in ("mem", "mem-per-cpu", "mem-per-gpu"):
            if given.get(name):
                return f"{name}={given[name]}"
    return None
