"""The Economics pane: the selected chain's progress and finish, when its next link should start,
the selected running link's memory now / peak / requested, the chain's totals, sparklines of its
links' CPU efficiency and peak memory, the timeline picture, and waste with its fix.

Everything drawn is app.pictures' (the same as `longrun report` prints), from the read model only.
"""

from __future__ import annotations

from datetime import datetime

from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from app.pictures.summary import chain_picture
from app.views import ChainView, FocusView


class EconomicsView(Static):
    """Shows one chain's economics; `show()` again whenever a snapshot arrives."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", markup=False, id=id)
        self._shown: tuple[object, ...] | None = None

    def show(self, chain: ChainView | None, focus: FocusView | None, now: datetime) -> None:
        """The chain's pictures; `focus` (the selected link's job) adds its live memory when it runs."""
        memory = focus.live_memory if focus is not None else None
        problem = focus.live_memory_problem if focus is not None else None
        key = (chain, memory, problem, now.replace(second=0, microsecond=0))
        if key == self._shown:
            return
        self._shown = key
        if chain is None:
            self.update(Text("no chain selected", style=Style(dim=True)))
            return
        picture = chain_picture(chain, now, self.content_size.width or 80, memory)
        if problem is not None and memory is None:
            picture.renderables.append(Text(f"live memory: {problem}", style=Style(dim=True)))
        if not picture.renderables:
            picture.renderables.append(Text("nothing measured for this chain yet", style=Style(dim=True)))
        self.update(picture)
