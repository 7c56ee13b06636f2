"""Plain-word meanings of exit codes and signals, and who a uid is."""

from __future__ import annotations

import pwd

from app.model.exit_status import signal_name

EX_TEMPFAIL = 75

EXIT_MEANINGS: dict[int, str] = {
    1: "a general error: the program or the last command of the script failed",
    2: "a usage error: bash uses 2 for a misused builtin, many programs (argparse, grep) for bad arguments",
    126: "a command was found but could not be executed (not executable, a directory, or the wrong format)",
    127: "a command was not found (a typo, a module not loaded, or PATH not set in the job)",
    EX_TEMPFAIL: 'EX_TEMPFAIL: by longrun\'s convention, "checkpoint saved, continue me"',
}

SIGNAL_MEANINGS: dict[str, str] = {
    "SIGHUP": "the terminal or parent went away",
    "SIGINT": "an interrupt (Ctrl-C, or scancel --signal=INT)",
    "SIGQUIT": "a quit request, with a core dump",
    "SIGILL": "an illegal CPU instruction (a binary built for another CPU?)",
    "SIGABRT": "the program aborted itself (a failed assert, or a library called abort())",
    "SIGBUS": "a bus error (a truncated memory-mapped file, misaligned access)",
    "SIGFPE": "an arithmetic error such as an integer division by zero",
    "SIGKILL": "killed outright (kill -9): the out-of-memory killer, a person, or Slurm after KillWait",
    "SIGUSR1": "a user signal nobody handled (e.g. --signal=B:USR1 without a trap): its default ends the process",
    "SIGUSR2": "a user signal nobody handled: its default ends the process",
    "SIGSEGV": "a segmentation fault: the program touched memory it does not own (a bug or bad input)",
    "SIGPIPE": "it wrote to a pipe whose reader had gone",
    "SIGALRM": "an alarm timer nobody handled",
    "SIGTERM": "asked to terminate (scancel, or Slurm's warning/time-limit signal) and did not handle it",
    "SIGXCPU": "a CPU-time limit was exceeded (ulimit -t, or a step's own --time in tools like Torc)",
    "SIGXFSZ": "a file-size limit was exceeded",
}

# sacct (before 25.11) shows exit 128+N as N: for these N the signal reading (SIGILL, SIGABRT, SIGBUS,
# SIGFPE, SIGKILL, SIGSEGV, SIGPIPE, SIGTERM, SIGXCPU) is at least as likely as a plain exit N.
# Other codes (1, 2, 3, ...) are read as plain exits: scripts use them far more often.
SIGNAL_LIKE_CODES = frozenset({4, 6, 7, 8, 9, 11, 13, 15, 24})


def signal_meaning(number: int) -> tuple[str, str]:
    """(name, meaning) of a signal number."""
    name = signal_name(number)
    return name, SIGNAL_MEANINGS.get(name, "a signal that ends the process by default")


def exit_meaning(code: int) -> str | None:
    return EXIT_MEANINGS.get(code)


def user_name(uid: int) -> str:
    """`root` for 0, the account name for a known uid, else `uid N`."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"
