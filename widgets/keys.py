"""The dashboard's keys: ONE list of bindings, and everything that lists keys derived from it.

`BINDINGS` is the app's binding list (LongrunApp.BINDINGS is this list). Each has an id (for
`set_keymap`), a short description (the footer) and a tooltip: one sentence that the footer
shows on hover, the help screen (`?`) lists, the command palette (ctrl+p) offers as the action's
title, and `longrun-tui --help` prints. A test checks that every action is in all of them.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.keys import format_key

BINDINGS: list[Binding] = [
    Binding("r", "resubmit", "Resubmit", id="resubmit",
            tooltip="Resubmit the selected chain: its next link now (after an out-of-memory or time-limit stop, "
                    "with the diagnosis's options, editable)"),
    Binding("c", "cancel_chain", "Cancel", id="cancel",
            tooltip="Cancel the selected chain: scancel its job, submit no further link (asks first)"),
    Binding("x", "stop", "Stop", id="stop",
            tooltip="Checkpoint and stop the selected chain: its warning signal now, no further link (asks first)"),
    Binding("s", "signal", "Signal", id="signal",
            tooltip="Send a signal (TERM, USR1, INT, KILL or any name) to the selected chain's job (asks first)"),
    Binding("i", "reinit", "Reinit", id="reinit",
            tooltip="Reinitialize the selected chain or workflow: run it again from attempt 1 (asks first)"),
    Binding("a", "archive", "Archive", id="archive",
            tooltip="Archive the selected finished chain: off the dashboard, kept on disk (asks first)"),
    Binding("o", "open_log", "Open log", id="open-log",
            tooltip="Open the selected link's log in your $PAGER (the dashboard comes back when it ends)"),
    Binding("y", "copy_job_id", "Copy id", id="copy-job-id",
            tooltip="Copy the selected link's job id to the clipboard"),
    Binding("l", "toggle_log", "Log", id="log", tooltip="Show or hide the log pane"),
    Binding("e", "toggle_stderr", "Stderr", id="stderr", show=False,
            tooltip="Show the selected link's stderr in the Log pane (when it has its own file), or stdout again"),
    Binding("slash", "filter", "Filter", id="filter",
            tooltip="Filter the chains by name, id, state, owner or workflow (escape clears)"),
    Binding("u", "choose_user", "User", id="user",
            tooltip="Choose whose chains to view: mine, a user's or everybody's"),
    Binding("question_mark", "help", "Help", id="help", tooltip="Help: every key, and what each pane shows"),
    Binding("q", "quit", "Quit", id="quit", tooltip="Quit the dashboard (the chains go on without it)"),
    Binding("ctrl+r", "refresh", "Refresh now", show=False, id="refresh",
            tooltip="Refresh now, without waiting for the next poll"),
    Binding("enter", "drill", "Open", show=False, id="drill",
            tooltip="Open the selected chain's links, or the selected link's diagnosis"),
    Binding("tab", "next_pane", "Next pane", show=False, id="next-pane",
            tooltip="Go to the next pane (on a narrow screen: the next tab)"),
]  # fmt: skip

# Actions on a chain of the viewer's own (disabled on a colleague's)
CHAIN_ACTIONS = frozenset({"resubmit", "cancel_chain", "stop", "signal", "reinit", "archive"})
# Actions on the selected link, on anybody's chain
LINK_ACTIONS = frozenset({"open_log", "copy_job_id", "toggle_stderr"})
ACTIONS = frozenset(binding.action for binding in BINDINGS)

# Keys of the panes and of Textual itself, not actions of the app: listed by the help screen too.
OTHER_KEYS = (
    ("j k ↑ ↓", "Move in a pane"),
    ("shift+tab", "Go to the previous pane"),
    ("escape", "Back to the chains (or close the filter)"),
    ("ctrl+p", "Command palette: every action by name"),
)


def key_label(binding: Binding) -> str:
    """How a person would write the key: `r`, `/`, `?`, `ctrl+r`."""
    modifiers, key = binding.parse_key()
    return "+".join([*modifiers, format_key(key)])


def help_rows() -> list[tuple[str, str]]:
    """(key, what it does) for the help screen: the actions, then the other keys."""
    return [(key_label(b), b.tooltip) for b in BINDINGS] + list(OTHER_KEYS)


def keys_epilog() -> str:
    """The keys for `longrun-tui --help`."""
    rows = help_rows()
    width = max(len(key) for key, _ in rows)
    return "keys in the dashboard:\n" + "\n".join(f"  {key:<{width}}  {text}" for key, text in rows)
