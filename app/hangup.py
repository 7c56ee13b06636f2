"""Noticing that the dashboard's terminal is gone (ssh dropped, tmux pane or window closed).

A hung-up terminal does not always bring SIGHUP: started through `su`/`runuser`, or from a shell
that does not forward it, `longrun-tui` sits in a session of its own and only sees end-of-file,
on which Textual's input thread spins a whole core. On a shared login node that must not happen,
so the app asks the terminal every few seconds and leaves when it no longer answers.
"""

from __future__ import annotations

import sys
import termios


def terminal_alive(fd: int | None = None) -> bool:
    """True while `fd` (default: the process's stdin) is a terminal that still answers."""
    try:
        if fd is None:
            if sys.__stdin__ is None:
                return False
            fd = sys.__stdin__.fileno()
        termios.tcgetattr(fd)  # EIO once hung up
    except (termios.error, OSError, ValueError):
        return False
    return True
