"""Command palette (ctrl+p): the same actions as the keys, found by name.

The entries are the app's bindings (widgets/keys.py): each binding's tooltip is its title, so a
key and its palette entry can never disagree. Actions the app disables for the selection (a
colleague's read-only chain, no chain selected) are left out.
"""

from __future__ import annotations

from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from widgets.keys import BINDINGS, key_label


class DashboardCommands(Provider):
    """Dashboard actions for the command palette."""

    def _enabled(self) -> list[Binding]:
        return [binding for binding in BINDINGS if self.app.check_action(binding.action, ()) is True]

    async def discover(self) -> Hits:
        for binding in self._enabled():
            yield DiscoveryHit(binding.tooltip, partial(self.app.run_action, binding.action),
                               help=f"key {key_label(binding)}")  # fmt: skip

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for binding in self._enabled():
            title = binding.tooltip
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.app.run_action, binding.action), text=title,
                          help=f"key {key_label(binding)}")  # fmt: skip
