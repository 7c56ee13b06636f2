"""`python -m app.tui`: the dashboard, as `longrun-tui`."""

import sys

from app.tui.cli import main

sys.exit(main())
