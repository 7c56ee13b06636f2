"""`longrun-tui`, the Textual dashboard. With widgets/, the only code that imports Textual.

app.py      LongrunApp: panes, keys (widgets/keys.py), routing of workers' results
polling.py  the poller: one snapshot at a time from the service layer, in a thread
flows.py    chain actions: their target, their confirm dialogs, the service call
errors.py   an error in one line for a person
cli.py      the command line
"""

from app.tui.app import LongrunApp
from app.tui.cli import build_parser, main

__all__ = ["LongrunApp", "build_parser", "main"]
