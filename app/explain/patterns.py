"""Slurm's filename patterns (sbatch -o/-e/-i), expanded for a batch script as slurmstepd does.

sbatch(1) "filename pattern": `%%`, `%A` `%a` `%J` `%j` `%N` `%n` `%s` `%t` `%u` `%x`, a number
between `%` and the letter zero-pads numeric values (at most 10 digits), and a backslash anywhere
turns expansion off (the backslashes are removed). What each becomes for the batch script was
checked on Slurm 22.05 (tests/captures/patterns/): `%J` is the bare job id, `%s` is `batch`,
`%n` and `%t` are 0, `%a` of a job that is no array task is 4294967294 (Slurm's NO_VAL), `%A`
of such a job is its job id, `%N` is the node's host name, an unknown letter stays as written
(`%4z` loses its `%` and all but the last digit, as in slurmstepd).

scontrol shows StdOut/StdErr with only `%A %a %j %u %x` replaced (no padding, no escapes):
`scontrol_form` reproduces that, so a candidate pattern can be checked against what scontrol says.
"""

from __future__ import annotations

from dataclasses import dataclass

NOT_AN_ARRAY_TASK = "4294967294"  # what %a becomes for a job that is not an array task (NO_VAL)
MAX_WIDTH = 10
_NUMERIC = frozenset("aAjJnt")


@dataclass(frozen=True)
class PatternValues:
    """What the patterns of one batch job stand for; None where it is not known."""

    job_id: str | None  # %j %J: the job's own id (an array task has its own, not ARRAY_TASK)
    array_job_id: str | None = None  # %A of an array task
    array_task_id: str | None = None  # %a of an array task; None: the job is no array task
    user: str | None = None
    name: str | None = None
    node: str | None = None  # %N: host name of the node that runs the batch script
    node_guessed: bool = False  # `node` is the node's Slurm name, which may differ from its host name


@dataclass(frozen=True)
class Expansion:
    """An expanded pattern; `text` is None when a value it needs is unknown (`missing` says which)."""

    text: str | None
    missing: tuple[str, ...] = ()
    guessed: tuple[str, ...] = ()  # values taken on trust (e.g. %N from the node's Slurm name)


_WHY_MISSING = {
    "j": "%j: an array task's own job id is known only while the controller holds it",
    "N": "%N: the node is not known before the job starts",
    "u": "%u: the job's user is not known",
    "x": "%x: the job's name is not known",
}


def _value(letter: str, values: PatternValues) -> str | None:
    is_task = values.array_task_id is not None
    if letter in "jJ":
        return values.job_id
    if letter == "A":
        return values.array_job_id if is_task else values.job_id
    if letter == "a":
        return values.array_task_id if is_task else NOT_AN_ARRAY_TASK
    if letter in "nt":
        return "0"  # the batch script runs as task 0 on the job's first node
    if letter == "s":
        return "batch"
    if letter == "N":
        return values.node
    if letter == "u":
        return values.user
    return values.name  # "x"


def expand(pattern: str, values: PatternValues) -> Expansion:
    """`pattern` with every replacement symbol expanded for the job's batch script."""
    if "\\" in pattern:
        return Expansion(pattern.replace("\\", ""))
    out: list[str] = []
    missing: list[str] = []
    guessed: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char != "%":
            out.append(char)
            i += 1
            continue
        if pattern.startswith("%%", i):
            out.append("%")
            i += 2
            continue
        j = i + 1
        while j < n and pattern[j].isdigit():
            j += 1
        digits = pattern[i + 1 : j]
        if j >= n or pattern[j] not in "aAjJnNstux":
            out.append(digits[-1] if digits else "%")  # slurmstepd keeps only the last digit
            i = j
            continue
        letter = pattern[j]
        value = _value(letter, values)
        if value is None:
            missing.append(_WHY_MISSING[letter if letter != "J" else "j"])
            value = "?"
        elif letter == "N" and values.node_guessed:
            guessed.append(f"%N taken as the node's Slurm name {value}; Slurm uses its host name")
        width = min(int(digits), MAX_WIDTH) if digits else 0
        if letter in _NUMERIC and value.isdigit():
            value = value.zfill(width)
        out.append(value)
        i = j + 1
    text = "".join(out)
    return Expansion(None if missing else text, tuple(dict.fromkeys(missing)), tuple(dict.fromkeys(guessed)))


def scontrol_form(pattern: str, values: PatternValues) -> str:
    """The pattern as `scontrol show job` prints it: only %A %a %j %u %x replaced, in that order."""
    is_task = values.array_task_id is not None
    replacements = (
        ("%A", values.array_job_id if is_task else values.job_id),
        ("%a", values.array_task_id if is_task else NOT_AN_ARRAY_TASK),
        ("%j", values.job_id),
        ("%u", values.user),
        ("%x", values.name),
    )
    text = pattern
    for token, value in replacements:
        if value is not None:
            text = text.replace(token, value)
    return text
