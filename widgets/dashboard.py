"""The dashboard body: Chains, Submission chain, Steps, Diagnosis and Log panes, and their selection.

It receives data only as `SnapshotArrived` messages from the app's poller, keeps the selected
chain and link across refreshes, and tells the app (`FocusChanged`) which link is selected so the
next poll fetches that job's steps.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import DataTable, Input

from app.views import ChainView, DashboardSnapshot, LinkView
from widgets.chain_list import ChainList
from widgets.diagnosis_view import DiagnosisView
from widgets.link_table import LinkTable
from widgets.log_tail import LogTail
from widgets.messages import FocusChanged, SnapshotArrived
from widgets.step_table import StepTable


class Dashboard(Widget):
    """All panes; `-log` class shows the log pane."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close_filter", "Clear filter", show=False)]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.snapshot: DashboardSnapshot | None = None
        self._focus: tuple[str | None, str | None] | None = None
        # the panes, held directly: queries fail while the app starts or stops, references do not
        self.filter_box = Input(placeholder="filter: name, id, state, owner, workflow", id="filter")
        self.chain_list = ChainList(id="chains")
        self.chains_pane = Vertical(self.filter_box, self.chain_list, id="chains-pane", classes="pane")
        self.link_table = LinkTable(id="links")
        self.step_table = StepTable(id="steps")
        self.diagnosis_view = DiagnosisView(id="diagnosis")
        self.log_tail = LogTail(id="log")

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            yield self.chains_pane
            with Vertical(id="detail"):
                yield self.link_table
                with Horizontal(id="lower"):
                    yield self.step_table
                    yield self.diagnosis_view
        yield self.log_tail

    def on_mount(self) -> None:
        self.chains_pane.border_title = "Chains"
        self.link_table.border_title = "Submission chain"
        self.step_table.border_title = "Steps"
        self.diagnosis_view.border_title = "Diagnosis"
        self.log_tail.border_title = "Log"
        self.chain_list.focus()

    # -- data in -------------------------------------------------------------------------------
    def on_snapshot_arrived(self, message: SnapshotArrived) -> None:
        message.stop()
        self.snapshot = message.snapshot
        snapshot = message.snapshot
        chains = self.chain_list
        chains.show_chains(snapshot.chains, with_owner=snapshot.viewed_user is None)
        self._title_chains()
        self._show_selection()

    def _title_chains(self) -> None:
        snapshot = self.snapshot
        if snapshot is None:
            return
        chains = self.chain_list
        who = snapshot.viewed_user or "all users"
        total = len(snapshot.chains)  # shown_count leaves out the filtered and the older workflow chains
        count = f"{chains.shown_count} of {total}" if chains.shown_count != total else str(total)
        read_only = any(c.read_only for c in snapshot.chains)
        owned = not all(c.read_only for c in snapshot.chains) if snapshot.chains else True
        mark = " — read-only" if read_only and not owned else (" — others' read-only" if read_only else "")
        title = f"Chains of {who} ({count}){mark}"
        if chains.filter_text:
            title += f" /{chains.filter_text}"
        _retitle(self.chains_pane, title)

    # -- selection -----------------------------------------------------------------------------
    def selected_chain(self) -> ChainView | None:
        return self.chain_list.selected_chain()

    def selected_link(self) -> LinkView | None:
        if self.selected_chain() is None:
            return None
        return self.link_table.selected_link()

    @on(DataTable.RowHighlighted, "#chains")
    def _chain_moved(self) -> None:
        self._show_selection()

    @on(DataTable.RowHighlighted, "#links")
    def _link_moved(self) -> None:
        self.link_table.pin_to_cursor()
        self._show_selection(links_changed=False)

    def _show_selection(self, links_changed: bool = True) -> None:
        snapshot = self.snapshot
        chain = self.selected_chain()
        links = self.link_table
        today = _today(snapshot)
        if links_changed:
            links.show_links(chain.chain_id if chain else None, chain.links if chain else (), today)
        _retitle(links, f"Submission chain: {chain.name}" if chain else "Submission chain")
        link = links.selected_link() if chain else None
        job_id = link.job_id if link else None
        focus = snapshot.focus if snapshot else None
        steps = self.step_table
        diagnosis = self.diagnosis_view
        if job_id is not None and focus is not None and focus.job_id == job_id:
            steps.show_job(focus)
            _retitle(steps, f"Steps of job {job_id}")
            diagnosis.show(focus.diagnosis, waiting_for=None if focus.diagnosis else job_id)
        else:
            steps.show_job(None)
            _retitle(steps, f"Steps of job {job_id}" if job_id else "Steps")
            workflow = self.chain_list.selected_workflow() if chain is None else None
            if workflow is not None:
                diagnosis.show_workflow(*workflow)
            else:
                diagnosis.show(None, waiting_for=job_id)
        if self.has_class("-log"):
            self.log_tail.follow(link.log_path if link else None)
        wanted = (chain.chain_id if chain else None, job_id)
        if wanted != self._focus:
            self._focus = wanted
            self.post_message(FocusChanged(*wanted))

    # -- filter and log ------------------------------------------------------------------------
    def open_filter(self) -> None:
        box = self.filter_box
        box.add_class("-open")
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.chain_list.set_filter(event.value)
        self._title_chains()
        self._show_selection()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        box = self.filter_box
        if not box.value:
            box.remove_class("-open")
        self.chain_list.focus()

    def action_close_filter(self) -> None:
        """Clear the filter and hide its box (escape in the box)."""
        box = self.filter_box
        box.value = ""
        box.remove_class("-open")
        self.chain_list.focus()

    def set_log_visible(self, visible: bool) -> None:
        self.set_class(visible, "-log")
        log = self.log_tail
        if visible:
            link = self.selected_link()
            log.follow(link.log_path if link else None)
        else:
            log.stop()


def _retitle(widget: Widget, title: str) -> None:
    if widget.border_title != title:
        widget.border_title = title


def _today(snapshot: DashboardSnapshot | None) -> date | None:
    """The local date of the snapshot (sacct's times are local), to print today's times short."""
    if snapshot is None:
        return None
    taken = snapshot.taken_at
    return (taken.astimezone() if taken.tzinfo else taken).date()
