"""The dashboard's actions on the selected link that change nothing: open its log in the person's
pager, copy its job id. They work on a colleague's chains too.

The pager runs in the foreground while the app is suspended (the terminal is the pager's until it
ends); it is started from an argv list ($PAGER split like a shell would, never through one) and
only on a regular file the viewer can read, so a colleague's FIFO or device never hangs it.
"""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
from collections.abc import Callable, Sequence

from textual.app import App, SuspendNotSupported

from app.views import LinkView
from widgets.dashboard import Dashboard

DEFAULT_PAGER = "less"


def pager_argv(path: str, environ: dict[str, str] | os._Environ[str] = os.environ) -> list[str]:
    """$PAGER (or less) and the file, as an argv; the path made absolute so it never reads as an option."""
    try:
        words = shlex.split(environ.get("PAGER", "") or DEFAULT_PAGER)
    except ValueError:
        words = []
    return [*(words or [DEFAULT_PAGER]), os.path.abspath(path)]


def run_pager(argv: Sequence[str]) -> int:
    """Run the pager in the foreground (the app is suspended meanwhile) and wait for it."""
    # No time limit: the pager is the person's own program holding the terminal until they quit it.
    return subprocess.run(list(argv), check=False, timeout=None).returncode


def log_problem(path: str | None, job_id: str | None) -> str | None:
    """Why the log of `job_id` cannot be opened (one line), or None when it can."""
    job = f"job {job_id}" if job_id else "this link"
    if not path:
        return f"no log file is known for {job}"
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return f"the log of {job} does not exist (yet): {path}"
    except OSError as exc:
        return f"cannot read the log of {job}: {path}: {exc.strerror or exc}"
    if not stat.S_ISREG(info.st_mode):
        return f"the log of {job} is not a regular file, not opened: {path}"
    if not os.access(path, os.R_OK):
        return f"cannot read the log of {job}: {path}: permission denied"
    return None


class LinkViewing(App[None]):
    """The link-viewing half of the dashboard app (LongrunApp sets the attributes declared here)."""

    dashboard: Dashboard
    pager: Callable[[Sequence[str]], int]  # run_pager; a test puts a recorder here

    def _selected_link(self) -> LinkView | None:
        return self.dashboard.selected_link() if self.dashboard.is_mounted else None

    def action_open_log(self) -> None:
        link = self._selected_link()
        if link is None:
            return
        path = self.dashboard.shown_log_path()
        problem = log_problem(path, link.job_id)
        if problem is not None or path is None:
            self.notify(problem or "no log", title="open log", severity="warning", markup=False)
            return
        argv = pager_argv(path)
        try:
            with self.suspend():
                status = self.pager(argv)
        except SuspendNotSupported:
            self.notify("this terminal cannot hand the screen to a pager", title="open log", severity="warning",
                        markup=False)  # fmt: skip
            return
        except OSError as exc:
            self.notify(f"{argv[0]}: {exc.strerror or exc}", title="open log", severity="error", markup=False)
            return
        if status not in (0, None):
            self.notify(f"{argv[0]} ended with status {status}", title="open log", severity="warning", markup=False)

    def action_toggle_stderr(self) -> None:
        if not self.dashboard.toggle_stderr():
            self.notify("the selected link writes its stderr to its log file (no -e file of its own)",
                        title="stderr", markup=False)  # fmt: skip

    def action_copy_job_id(self) -> None:
        link = self._selected_link()
        if link is None or not link.job_id:
            self.notify("the selected link has no job id yet", title="copy", severity="warning", markup=False)
            return
        self.copy_to_clipboard(link.job_id)
        self.notify(f"job id {link.job_id} copied to the clipboard", title="copy", markup=False)
