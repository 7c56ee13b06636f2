"""The recent-jobs table: one row per Slurm job of the viewed user, kept in place across refreshes."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable

from app.slurm.records import JobAccounting
from widgets.styling import plain, state_text

JOB_COLUMNS = ("JobID", "Name", "State", "ExitCode", "Elapsed", "MaxRSS")
NAME_WIDTH = 24  # long names are cut so that MaxRSS stays on an 80-column screen


class JobTable(DataTable[Text]):
    """Recent jobs, newest first; the cursor stays on the same job when the data refreshes."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._shown: tuple[JobAccounting, ...] | None = None

    def on_mount(self) -> None:
        for label in JOB_COLUMNS:
            self.add_column(label, key=label, width=NAME_WIDTH if label == "Name" else None)

    def show_jobs(self, jobs: Sequence[JobAccounting]) -> None:
        """Replace the rows with `jobs` (skipped when nothing changed, so the screen does not flicker)."""
        ordered = tuple(sorted(jobs, key=_newest_first))
        if ordered == self._shown:
            return
        self._shown = ordered
        selected = self._selected_key()
        self.clear()
        for acct in ordered:
            self.add_row(*self._cells(acct), key=acct.job_id)
        if selected is not None and selected in self.rows:
            self.move_cursor(row=self.get_row_index(selected), animate=False)

    def _selected_key(self) -> str | None:
        if not self.rows:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:  # cursor outside the table after a shrink
            return None
        return key.value

    def _cells(self, acct: JobAccounting) -> tuple[Text, ...]:
        job = acct.job
        by = f" by {job.cancelled_by_uid}" if job.cancelled_by_uid is not None else ""
        return (
            plain(job.job_id),
            plain(job.name),
            state_text(self.app, job.state, by),
            plain(job.exit_status),
            plain(job.elapsed),
            plain(acct.peak_rss, empty="—"),
        )


def _newest_first(acct: JobAccounting) -> tuple[float, str]:
    submit = acct.job.submit
    return (-(submit.timestamp() if submit else 0.0), acct.job_id)
