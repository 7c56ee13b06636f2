"""Hostile strings: what a colleague, a job name, a comment, a path or a log line may hold. Fed
to every CLI command (tests/slurm/test_cli_hostile.py) and to the text functions they print with."""

from __future__ import annotations

import re

HOSTILE_NAMES: dict[str, str] = {
    "markup_close": "[/x]",
    "markup_style": "[bold red]X[/] [@click=app.quit]",
    "markup_link": "[link=file:///etc/passwd]click[/link]",
    "osc_title": "\x1b]0;OWNED\x07title",
    "osc52_clipboard": "\x1b]52;c;cm0gLXJmIH4=\x07clip",
    "csi_clear": "\x1b[2J\x1b[31mred",
    "c1_csi": "\x9b31mc1",
    "c0_bell_backspace": "a\x07b\x08c\rd",
    "newline": "two\nlines",
    "brackets_sweep": "sweep[lr=3e-4]",
    "backslash_end": "trailing\\",
    "long": "L" * 10_000,
}
# What must never reach a terminal from a command's output: C0 controls but tab and newline, DEL
# and the C1 controls (ESC starts CSI/OSC; 0x9b and 0x9d are 8-bit CSI and OSC).
RAW_CONTROL = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]")
