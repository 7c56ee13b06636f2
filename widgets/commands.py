"""Command palette (ctrl+p): the same actions as the keys, found by name.

The provider reads the actions from the screen's bindings so that a key and its palette entry
can never disagree; actions the app disables for the selected chain (read-only) are left out.
"""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

PALETTE_ACTIONS = (
    ("resubmit", "Resubmit the selected chain", "submit a new link now"),
    ("cancel_chain", "Cancel the selected chain", "scancel its live link and stop the chain"),
    ("signal", "Send a signal to the selected chain…", "TERM, USR1, USR2, INT, KILL or any name"),
    ("reinit", "Reinitialize the selected chain or workflow…", "start it again from attempt 1"),
    ("toggle_log", "Show or hide the log pane", None),
    ("filter", "Filter the chains", "by name, id, state, owner or workflow"),
    ("choose_user", "Choose whose chains to view", "mine, a user's, or all"),
    ("help", "Help: keys and panes", None),
)


class DashboardCommands(Provider):
    """Dashboard actions for the command palette."""

    def _enabled(self) -> list[tuple[str, str, str | None]]:
        app = self.app
        return [(a, title, hint) for a, title, hint in PALETTE_ACTIONS if app.check_action(a, ()) is True]

    async def discover(self) -> Hits:
        for action, title, hint in self._enabled():
            yield DiscoveryHit(title, partial(self.app.run_action, action), help=hint)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for action, title, hint in self._enabled():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.app.run_action, action), text=title, help=hint)
