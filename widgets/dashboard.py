"""The dashboard body: the chain summary and the Chains, Economics, Submission chain, Steps,
Diagnosis and Log panes, how they are laid out for the terminal's size, and the selection.

Layout: at 120 columns and more every pane is on screen (the Economics pane under the chains, the
Steps and Diagnosis panes side by side from 200 columns, stacked below that); narrower, the
summary stays on top and the panes become tabs, one shown at a time. In both, Tab / shift+Tab go
from pane to pane (a tab is shown when its pane is reached), Enter drills in (chain -> its links
-> the link's diagnosis) and escape goes back to the chains.

It receives data only as `SnapshotArrived` messages from the app's poller, keeps the selected
chain and link across refreshes, and tells the app (`FocusChanged`) which link is selected so the
next poll fetches that job's steps.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import DataTable, Input, Tab, Tabs

from app.model.chain import ChainState
from app.views import ChainView, DashboardSnapshot, DiagnosisResult, LinkView
from widgets.chain_list import ChainList
from widgets.diagnosis_view import DiagnosisView, LinkContext
from widgets.economics_view import EconomicsView
from widgets.link_table import LinkTable
from widgets.log_tail import LogTail
from widgets.messages import FocusChanged, SnapshotArrived
from widgets.step_table import StepTable, continued_text, usage_text
from widgets.summary import ChainSummary
from widgets.text import set_subtitle, set_title, title_text
from widgets.words import continued_short

NARROW_BELOW = 120  # columns: tabs below, every pane on screen from here
SIDE_BY_SIDE_FROM = 200  # columns: Steps and Diagnosis side by side
PANES = ("chains", "links", "steps", "diagnosis", "economics", "log")
PANE_LABELS = {
    "chains": "Chains", "links": "Links", "steps": "Steps", "diagnosis": "Diagnosis", "economics": "Economics",
    "log": "Log",
}  # fmt: skip
DIAGNOSES_KEPT = 256
MIN_CHAINS_WIDTH = 48
MAX_CHAINS_SHARE = 0.58  # of the width, side by side: at 160 columns a 40-character state and Run time/Left fit


class PaneTabs(Tabs, can_focus=False):
    """The tab bar of a narrow screen (the panes take the focus, not the bar)."""


class Dashboard(Widget):
    """All panes; `-log` shows the log pane on a wide screen, `-narrow` makes the panes tabs."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", show=False),
        Binding("tab", "next_pane", "Next pane", show=False),
        Binding("shift+tab", "previous_pane", "Previous pane", show=False),
    ]

    def __init__(self, *, id: str | None = None, may_act: Callable[[ChainView], bool] | None = None) -> None:
        super().__init__(id=id)
        self.snapshot: DashboardSnapshot | None = None
        self.may_act = may_act or (lambda chain: not chain.read_only)
        self.pane = "chains"  # the pane shown on a narrow screen, and the one focused last
        self.show_stderr = False  # the Log pane follows the selected link's stderr file (when separate)
        self._focus: tuple[str | None, str | None] | None = None
        self._diagnoses: dict[str, DiagnosisResult] = {}  # by job id: the newest links' fixes for the summary
        # the panes, held directly: queries fail while the app starts or stops, references do not
        self.summary = ChainSummary(id="summary")
        self.tabs = PaneTabs(*(Tab(PANE_LABELS[p], id=f"tab-{p}") for p in PANES), id="pane-tabs")
        self.filter_box = Input(placeholder="filter: name, id, state, owner, workflow", id="filter")
        self.chain_list = ChainList(id="chains")
        self.chains_pane = Vertical(self.filter_box, self.chain_list, id="chains-pane", classes="pane")
        self.economics_view = EconomicsView(id="economics")
        self.economics_pane = VerticalScroll(self.economics_view, id="economics-pane", classes="pane")
        self.link_table = LinkTable(id="links")
        self.step_table = StepTable(id="steps")
        self.diagnosis_view = DiagnosisView(id="diagnosis")
        self.log_tail = LogTail(id="log")
        self.set_class(True, "-pane-chains")

    def compose(self) -> ComposeResult:
        yield self.summary
        yield self.tabs
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield self.chains_pane
                yield self.economics_pane
            with Vertical(id="detail"):
                yield self.link_table
                with Horizontal(id="lower"):
                    yield self.step_table
                    yield self.diagnosis_view
        yield self.log_tail

    def on_mount(self) -> None:
        set_title(self.chains_pane, "Chains")
        set_title(self.economics_pane, "Economics")
        set_title(self.link_table, "Submission chain")
        set_title(self.step_table, "Steps")
        set_title(self.diagnosis_view, "Diagnosis")
        set_title(self.log_tail, "Log")
        self.chain_list.focus()

    def on_resize(self, event: events.Resize) -> None:
        width = event.size.width
        self.set_class(width < NARROW_BELOW, "-narrow")
        self.set_class(width >= SIDE_BY_SIDE_FROM, "-side-by-side")
        self._size_chains_pane()
        self._follow_log_if_shown()

    def _size_chains_pane(self) -> None:
        """Side by side, the Chains pane gets what its columns need (at most 58 %); the detail the rest."""
        pane = self.query_one("#left") if self.is_mounted else self.chains_pane
        if self.narrow or not self.size.width:
            pane.styles.width = None  # the stylesheet's: the whole width
            return
        width = max(MIN_CHAINS_WIDTH, min(self.chain_list.wanted_width(), int(self.size.width * MAX_CHAINS_SHARE)))
        if pane.styles.width is None or pane.styles.width.value != width:
            pane.styles.width = width

    @property
    def narrow(self) -> bool:
        return self.has_class("-narrow")

    # -- data in -------------------------------------------------------------------------------
    def on_snapshot_arrived(self, message: SnapshotArrived) -> None:
        message.stop()
        self.snapshot = message.snapshot
        snapshot = message.snapshot
        focus = snapshot.focus
        if focus is not None and focus.diagnosis is not None:
            if len(self._diagnoses) >= DIAGNOSES_KEPT:
                self._diagnoses.pop(next(iter(self._diagnoses)))
            self._diagnoses[focus.job_id] = focus.diagnosis
        self.chain_list.show_chains(snapshot.chains, with_owner=snapshot.viewed_user is None, now=snapshot.taken_at)
        self._size_chains_pane()
        self._title_chains()
        self._show_selection()

    def diagnosis_of(self, job_id: str | None) -> DiagnosisResult | None:
        """The diagnosis of `job_id` when a poll brought it (the selected link's, or one seen before)."""
        return self._diagnoses.get(job_id) if job_id else None

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
        attention = sum(1 for c in snapshot.chains if c.needs_attention)
        needs = f" — {attention} need{'s' if attention == 1 else ''} you" if attention else ""
        title = title_text(f"Chains of {who} ({count}){mark}{needs}")
        if chains.filter_text:
            title.append_text(title_text(f" /{chains.filter_text}"))
        set_title(self.chains_pane, title)

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

    @on(DataTable.RowSelected, "#chains")
    def _chain_chosen(self) -> None:
        if self.selected_chain() is not None:
            self.show_pane("links")

    @on(DataTable.RowSelected, "#links")
    def _link_chosen(self) -> None:
        self.show_pane("diagnosis")

    def _show_selection(self, links_changed: bool = True) -> None:
        snapshot = self.snapshot
        chain = self.selected_chain()
        links = self.link_table
        today = _today(snapshot)
        if links_changed:
            by_person = chain is not None and chain.state is ChainState.STOPPED and not chain.needs_attention
            links.show_links(chain.chain_id if chain else None, chain.links if chain else (), today, by_person)
        set_title(links, title_text("Submission chain: ", chain.name) if chain else title_text("Submission chain"))
        link = links.selected_link() if chain else None
        job_id = link.job_id if link else None
        focus = snapshot.focus if snapshot else None
        steps = self.step_table
        diagnosis = self.diagnosis_view
        context = LinkContext(chain, link) if chain is not None and link is not None else None
        selected_focus = focus if job_id is not None and focus is not None and focus.job_id == job_id else None
        if snapshot is not None:
            self.economics_view.show(chain, selected_focus, snapshot.taken_at)
        if selected_focus is not None and focus is not None:
            steps.show_job(focus, continued_short(link) if link is not None else None)
            set_subtitle(steps, continued_text(link, self.app).append_text(usage_text(focus.usage, self.app)))
            set_title(steps, title_text(f"Steps of job {job_id}"))
            diagnosis.show(focus.diagnosis, waiting_for=None if focus.diagnosis else job_id, context=context)
        else:
            steps.show_job(None)
            set_subtitle(steps, "")
            set_title(steps, title_text(f"Steps of job {job_id}" if job_id else "Steps"))
            workflow = self.chain_list.selected_workflow() if chain is None else None
            if workflow is not None:
                diagnosis.show_workflow(*workflow)
            else:
                diagnosis.show(None, waiting_for=job_id, context=context)
        if chain is None and (workflow_heading := self.chain_list.selected_workflow()) is not None:
            self.summary.show_workflow(*workflow_heading)
        else:
            newest = chain.links[-1].job_id if chain is not None and chain.links else None
            now = snapshot.taken_at if snapshot is not None else None
            self.summary.show(chain, self.diagnosis_of(newest), chain is not None and self.may_act(chain), now)
        self._follow_log_if_shown()
        wanted = (chain.chain_id if chain else None, job_id)
        if wanted != self._focus:
            self._focus = wanted
            self.post_message(FocusChanged(*wanted))

    def refresh_summary(self) -> None:
        """Draw the summary again (whether the viewer may act changed)."""
        self._show_selection(links_changed=False)

    # -- panes ---------------------------------------------------------------------------------
    def pane_widget(self, pane: str) -> Widget:
        return {
            "chains": self.chain_list, "links": self.link_table, "steps": self.step_table,
            "diagnosis": self.diagnosis_view, "economics": self.economics_pane, "log": self.log_tail,
        }[pane]  # fmt: skip

    def _reachable(self) -> list[str]:
        """The panes Tab goes through: all of them on a narrow screen, the shown ones on a wide one."""
        if self.narrow or self.has_class("-log"):
            return list(PANES)
        return [p for p in PANES if p != "log"]

    def show_pane(self, pane: str) -> None:
        """Make `pane` the current one: shown (a tab on a narrow screen) and focused."""
        if pane == "log" and not self.narrow and not self.has_class("-log"):
            self.set_log_visible(True)
        for name in PANES:
            self.set_class(name == pane, f"-pane-{name}")
        self.pane = pane
        if self.tabs.active != f"tab-{pane}":
            self.tabs.active = f"tab-{pane}"
        self._follow_log_if_shown()
        self.call_after_refresh(self.pane_widget(pane).focus)

    def _current_pane(self) -> str:
        focused = self.screen.focused if self.is_mounted else None
        for name in PANES:
            widget = self.pane_widget(name)
            if focused is not None and (focused is widget or widget in focused.ancestors):
                return name
        if focused is self.filter_box:
            return "chains"
        return self.pane

    def action_next_pane(self) -> None:
        self._step_pane(+1)

    def action_previous_pane(self) -> None:
        self._step_pane(-1)

    def _step_pane(self, step: int) -> None:
        reachable = self._reachable()
        current = self._current_pane()
        index = reachable.index(current) if current in reachable else 0
        self.show_pane(reachable[(index + step) % len(reachable)])

    @on(Tabs.TabActivated, "#pane-tabs")
    def _tab_chosen(self, event: Tabs.TabActivated) -> None:
        pane = (event.tab.id or "tab-chains").removeprefix("tab-")
        if pane != self.pane:
            self.show_pane(pane)

    def action_back(self) -> None:
        """escape: close the filter box when it is open, else go back to the chains."""
        box = self.filter_box
        if box.has_class("-open") or box.has_focus:
            self.action_close_filter()
        elif self._current_pane() != "chains":
            self.show_pane("chains")

    # -- filter and log ------------------------------------------------------------------------
    def open_filter(self) -> None:
        if self.narrow and self.pane != "chains":
            self.show_pane("chains")
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

    @property
    def log_shown(self) -> bool:
        return self.pane == "log" if self.narrow else self.has_class("-log")

    def set_log_visible(self, visible: bool) -> None:
        """Show or hide the log pane (a wide screen); on a narrow one, go to the Log tab or back."""
        if self.narrow:
            self.set_class(visible, "-log")
            self.show_pane("log" if visible else "chains")
            return
        self.set_class(visible, "-log")
        if not visible and self.pane == "log":
            self.show_pane("chains")
        self._follow_log_if_shown()

    def shown_log_path(self) -> str | None:
        """The file the Log pane shows for the selected link: its stdout, or its separate stderr."""
        link = self.selected_link()
        if link is None:
            return None
        return link.stderr_path if self.show_stderr and link.stderr_path else link.log_path

    def toggle_stderr(self) -> bool:
        """Switch the Log pane between stdout and stderr; False when the link has no stderr of its own."""
        link = self.selected_link()
        if not self.show_stderr and (link is None or not link.stderr_path):
            return False
        self.show_stderr = not self.show_stderr
        if not self.log_shown:
            self.set_log_visible(True)
        self._follow_log_if_shown()
        return True

    def _follow_log_if_shown(self) -> None:
        log = self.log_tail
        if self.log_shown:
            link = self.selected_link()
            stream = "stderr" if self.show_stderr and link is not None and link.stderr_path else "stdout"
            set_title(log, title_text(f"Log ({stream})" if link is not None and link.stderr_path else "Log"))
            log.follow(self.shown_log_path(), link.log_problem if link else None)
        elif log.following:
            log.stop()


def _today(snapshot: DashboardSnapshot | None) -> date | None:
    """The local date of the snapshot (sacct's times are local), to print today's times short."""
    if snapshot is None:
        return None
    taken = snapshot.taken_at
    return (taken.astimezone() if taken.tzinfo else taken).date()
