"""The Chains pane: one row per chain (grouped by workflow), filterable; keeps the cursor on its chain.

The Name and State columns share what the pane's width leaves after Attempt, Run time, Left and
(when a chain reports its progress) Progress, a bar with its percent and finish time, so every
column stays on screen at any width (a long name or reason is cut with `…`; the
summary and the Diagnosis pane show it in full). A chain that needs a person is marked `!`.
Refreshes touch only the cells that changed when the rows stay the same, so a poll over a
thousand chains does not rebuild the table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import BindingType
from textual.widgets import DataTable

from app.pictures.bars import progress_cell
from app.views import ChainView
from widgets.link_table import VIM_KEYS
from widgets.styling import chain_state_text, duration_text, plain, tone_style
from widgets.text import literal

GROUP_PREFIX = "workflow:"
ATTENTION = "!"
OWNER_COLUMN = "Owner"
# (label, cell) of the columns after Name and State, which keep their width; a column for more
# facts is one more entry here. The cell gets the chain and the time of the data.
Cell = Callable[[ChainView, datetime], Text]
FIXED_COLUMNS: tuple[tuple[str, Cell], ...] = (
    ("Attempt", lambda c, now: plain(attempt_text(c))),
    ("Run time", lambda c, now: duration_text(c.total_run_time)),
    ("Left", lambda c, now: duration_text(c.time_left)),
)
# The Progress column, widest first: a pane too narrow for the State text (READABLE_STATE) gets the next.
PROGRESS_FORMS: tuple[tuple[str, Cell], ...] = (
    ("Progress", lambda c, now: progress_cell(c.progress, now, bar_width=6)),
    ("Progress", lambda c, now: progress_cell(c.progress, now, bar_width=0)),
    ("Done", lambda c, now: progress_cell(c.progress, now, bar_width=0, finish=False)),
)
READABLE_STATE = 24  # `STOPPED: out of memory …`: the state and the start of its reason
OWNER_WIDTH = 12
MIN_NAME, MIN_STATE = 8, 10
CELL_PADDING = 2  # DataTable's cell padding, both sides
SCROLLBAR = 2


def row_key(chain: ChainView) -> str:
    """A chain's row: its owner and id (two users' chains may share an id; a user name has no `/` or `:`)."""
    return f"{chain.owner}/{chain.chain_id}"


def chain_matches(chain: ChainView, needle: str) -> bool:
    """Case-insensitive substring match on name, id, state, reason, owner and workflow."""
    if not needle:
        return True
    haystack = " ".join(
        filter(None, (chain.name, chain.chain_id, chain.state.value, chain.reason, chain.owner, chain.workflow))
    )
    return needle.lower() in haystack.lower()


def current_members(members: Sequence[ChainView]) -> list[ChainView]:
    """A workflow's chains without the finished ones that a newer chain of the same job replaced."""
    return [c for c in members if not (c.superseded and c.state.is_final)]


def attempt_text(chain: ChainView) -> str:
    """`3/6`: attempt of the most attempts allowed (max restarts + the first link); `3/∞` without a limit."""
    limit = "∞" if chain.attempt_limit is None else str(chain.attempt_limit)
    return f"{chain.attempt}/{limit}"


def fit_widths(available: int, longest_name: int, longest_state: int) -> tuple[int, int]:
    """(name, state) widths for `available` columns: the state text first (up to half), the name the rest."""
    state = min(longest_state, max(MIN_STATE, available - min(longest_name, max(MIN_NAME, available // 2))))
    name = max(MIN_NAME, min(longest_name, available - state))
    return name, state


class ChainList(DataTable[Text]):
    """Chains of the viewed user(s)."""

    BINDINGS: ClassVar[list[BindingType]] = VIM_KEYS

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.filter_text = ""
        self._chains: tuple[ChainView, ...] = ()
        self._by_id: dict[str, ChainView] = {}
        self._by_key: dict[str, ChainView] = {}  # row key (owner and chain id) -> chain
        self._cells: dict[str, tuple[Text, ...]] = {}
        self._order: list[str] = []
        self._with_owner: bool | None = None
        self._with_progress = False  # a Progress column: some chain reports its progress
        self._progress_form = 0  # PROGRESS_FORMS index: the widest that leaves the State readable
        self._now = datetime.now()  # the time of the data shown (finish times are printed against it)
        self._widths = (24, 24)  # Name, State: set from the pane's width (`_fit`)
        self._measured_for: tuple[ChainView, ...] | None = None  # the chains `_measured` is of
        self._measured: dict[tuple[bool | None, int], tuple[int, int, int]] = {}  # by (owner column, progress form)
        self._cell_cache: dict[tuple[str, str, bool | None, bool], tuple[ChainView, tuple[Text, ...]]] = {}

    def on_mount(self) -> None:
        self.watch(self.app, "theme", self._theme_changed, init=False)

    def _theme_changed(self) -> None:
        """Cells carry theme colours: build them again."""
        self._cell_cache.clear()
        self._render_rows(force=True)

    def on_resize(self, event: events.Resize) -> None:
        self._fit()

    def selected_chain(self) -> ChainView | None:
        key = self.selected_key()
        return self._by_key.get(key) if key else None

    def selected_workflow(self) -> tuple[str, tuple[ChainView, ...]] | None:
        """The workflow whose heading the cursor is on, with its chains (all of them, not only the shown)."""
        key = self.selected_key()
        if key is None or not key.startswith(GROUP_PREFIX):
            return None
        name = key[len(GROUP_PREFIX) :]
        return name, tuple(current_members([c for c in self._chains if c.workflow == name]))

    def selected_key(self) -> str | None:
        if not self.row_count:
            return None
        row = self.cursor_row
        if not 0 <= row < len(self._order):
            return None
        return self._order[row]

    @property
    def shown_count(self) -> int:
        """Chains shown (after the filter), group rows not counted."""
        return sum(1 for key in self._order if not key.startswith(GROUP_PREFIX))

    def chain(self, chain_id: str) -> ChainView | None:
        return self._by_id.get(chain_id)

    def set_filter(self, text: str) -> None:
        self.filter_text = text.strip()
        self._render_rows(force=False)

    def show_chains(self, chains: Sequence[ChainView], with_owner: bool, now: datetime | None = None) -> None:
        self._chains = tuple(chains)
        self._now = now or self._now
        self._by_id = {c.chain_id: c for c in self._chains}
        self._by_key = {row_key(c): c for c in self._chains}
        with_progress = any(c.progress is not None for c in self._chains)
        if (with_owner, with_progress) != (self._with_owner, self._with_progress):
            self._with_owner, self._with_progress = with_owner, with_progress
            self._add_columns()
        if not self._fit():
            self._render_rows(force=False)

    def _columns(self) -> tuple[tuple[str, Cell], ...]:
        return (*FIXED_COLUMNS, *((PROGRESS_FORMS[self._progress_form],) if self._with_progress else ()))

    def _add_columns(self) -> None:
        self.clear(columns=True)
        self._order, self._cells = [], {}
        labels = ("Name", "State", *(label for label, _cell in self._columns()))
        for label in (*((OWNER_COLUMN,) if self._with_owner else ()), *labels):
            self.add_column(label, key=label)

    def _measures(self) -> tuple[int, int, int]:
        """(fixed columns' width, longest name, longest state) of the chains shown, computed once per refresh."""
        if self._measured_for is not self._chains:
            self._measured_for, self._measured = self._chains, {}
        key = (self._with_owner, self._progress_form)
        if key not in self._measured:
            self._measured[key] = (self._fixed_width(), *self._longest())
        return self._measured[key]

    def _fixed_width(self) -> int:
        """Columns taken by the columns that keep their width (Owner, Attempt, Run time, Left), padding included."""
        fixed = sum(
            max([len(label), *(cell(c, self._now).cell_len for c in self._chains)]) + CELL_PADDING
            for label, cell in self._columns()
        )
        if self._with_owner:
            fixed += max([len(OWNER_COLUMN), *(min(OWNER_WIDTH, len(c.owner)) for c in self._chains)]) + CELL_PADDING
        return fixed

    def _longest(self) -> tuple[int, int]:
        """The widest Name and State cells the chains would need."""
        names = [len(c.name) + 4 for c in self._chains]  # the mark and a workflow's indent
        names += [len(c.workflow) + 2 for c in self._chains if c.workflow]
        states = [len(c.state.value) + (len(c.reason) + 2 if c.reason else 0) for c in self._chains]
        return max(names, default=MIN_NAME), max([*states, len("1/10 finished (+1 older)")])

    def wanted_width(self) -> int:
        """The pane width (border included) that shows every column, names up to 32 and states up to 48
        wide, and the widest Progress column."""
        form, self._progress_form = self._progress_form, 0
        fixed, name, state = self._measures()
        self._progress_form = form
        return 2 + SCROLLBAR + fixed + min(name, 32) + min(state, 48) + 2 * CELL_PADDING

    def _fit(self) -> bool:
        """Share the pane's width between Name and State; True when the rows were drawn again."""
        width = self.size.width
        if not width or not self._chains:
            return False
        before = self._progress_form
        for form in range(len(PROGRESS_FORMS) if self._with_progress else 1):
            self._progress_form = form
            fixed, name, state = self._measures()
            widths = fit_widths(width - SCROLLBAR - fixed - 2 * CELL_PADDING, name, state)
            if widths[1] >= min(state, READABLE_STATE):
                break
        if widths == self._widths and before == self._progress_form:
            return False
        self._widths = widths
        self._cell_cache.clear()
        self._render_rows(force=True)
        return True

    def _render_rows(self, force: bool) -> None:
        rows = self._rows_to_show()
        order = [key for key, _ in rows]
        selected = self.selected_key()
        if not force and order == self._order:
            self._update_changed(rows)
            return
        if force:
            self._add_columns()
        else:
            self.clear()
        self._order = order
        self._cells = dict(rows)
        for key, cells in rows:
            self.add_row(*cells, key=key)
        if selected in self._cells:
            self.move_cursor(row=order.index(selected), animate=False)
        else:  # a chain, not a workflow heading: the panes then have something to show
            first_chain = next((i for i, key in enumerate(order) if not key.startswith(GROUP_PREFIX)), 0)
            self.move_cursor(row=first_chain, animate=False)

    def _update_changed(self, rows: list[tuple[str, tuple[Text, ...]]]) -> None:
        labels = [str(c.label) for c in self.columns.values()]
        for key, cells in rows:
            old = self._cells.get(key)
            if old == cells:
                continue
            self._cells[key] = cells
            for label, cell, before in zip(labels, cells, old or (None,) * len(cells), strict=True):
                if cell != before:
                    self.update_cell(key, label, cell, update_width=True)

    def _rows_to_show(self) -> list[tuple[str, tuple[Text, ...]]]:
        shown = [c for c in self._chains if chain_matches(c, self.filter_text)]
        loose = [c for c in shown if not c.workflow]
        groups: dict[str, list[ChainView]] = {}
        for chain in shown:
            if chain.workflow:
                groups.setdefault(chain.workflow, []).append(chain)
        rows = [(row_key(c), self._cached_cells(c, "")) for c in loose]
        for workflow, members in groups.items():
            current = current_members(members)
            rows.append((GROUP_PREFIX + workflow, self._group_cells(workflow, current, len(members) - len(current))))
            rows.extend((row_key(c), self._cached_cells(c, "  ")) for c in current)
        return rows

    def _cached_cells(self, chain: ChainView, indent: str) -> tuple[Text, ...]:
        """Cells of an unchanged chain are reused: a poll over 1,000 chains rebuilds only what changed."""
        key = (row_key(chain), indent, self._with_owner, self._with_progress)
        cached = self._cell_cache.get(key)
        if cached is not None and cached[0] == chain:
            return cached[1]
        cells = self._chain_cells(chain, indent)
        self._cell_cache[key] = (chain, cells)
        return cells

    def _chain_cells(self, chain: ChainView, indent: str = "") -> tuple[Text, ...]:
        name_width, state_width = self._widths
        name = Text()
        name.append(ATTENTION + " " if chain.needs_attention else "  ", style=tone_style(self.app, "error", bold=True))
        name.append_text(literal(indent + chain.name, width=name_width - 2))
        state = chain_state_text(self.app, chain.state, chain.reason)
        state.truncate(state_width, overflow="ellipsis")
        cells = (name, state, *(cell(chain, self._now) for _label, cell in self._columns()))
        return (plain(chain.owner, width=OWNER_WIDTH), *cells) if self._with_owner else cells

    def _group_cells(self, workflow: str, members: list[ChainView], older: int) -> tuple[Text, ...]:
        done = sum(1 for c in members if c.state.is_final)
        name_width, state_width = self._widths
        head = literal(f"▾ {workflow}", Style(bold=True), width=name_width)
        summary = f"{done}/{len(members)} finished" + (f" (+{older} older)" if older else "")
        blanks = tuple(Text() for _ in self._columns())
        cells = (head, literal(summary, Style(dim=True), width=state_width), *blanks)
        return (Text(), *cells) if self._with_owner else cells
