"""Hostile strings: what a colleague's chain name, a Slurm job name or comment, a path or a log line
may hold. One corpus for the CLI tests (tests/slurm/test_cli_hostile.py) and the dashboard tests
(tests/slurm/test_hostile_colleague.py), and the checks of what may reach a terminal.

Every string here is something a user can really put there: `longrun submit --name`, `sbatch -J`,
`--comment`, a file name (any byte but `/` and NUL), a line a job prints.
"""

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
# A click action hidden in a name: drawn as markup, a click on it ran the action as the viewer.
SCREENSHOT_CLICK = "[@click=app.screenshot('/tmp/longrun-hostile-click.svg')]shot[/]"
CLICK_TARGET = "/tmp/longrun-hostile-click.svg"

# Bytes that are not UTF-8 (a file name, a log line): decoded with surrogateescape they become lone
# surrogates, which no terminal may be sent.
INVALID_UTF8 = b"caf\xe9-\xff\xfe"

# Lines a job (anyone's: the Log pane follows a colleague's log too) may print.
HOSTILE_LOG_LINES: tuple[bytes, ...] = (
    b"epoch 1 [bold red]loss[/] [@click=app.quit]quit[/]",
    b"\x1b]0;OWNED-BY-LOG\x07title set",
    b"\x1b]52;c;cm0gLXJmIH4=\x07clipboard written",
    b"\x1b[2J\x1b[H screen cleared",
    b"\x9b31m eight-bit CSI",
    b"bell\x07 backspace\x08 carriage\r return",
    b"not utf-8: " + INVALID_UTF8,
    b"[/x] closing tag",
    b"W" * 10_000,
)

# What must never reach a terminal from a command's output: C0 controls but tab and newline, DEL
# and the C1 controls (ESC starts CSI/OSC; 0x9b and 0x9d are 8-bit CSI and OSC).
RAW_CONTROL = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]")
# The same for text already decoded (a dashboard's screen): also lone surrogates (undecodable bytes).
RAW_CONTROL_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")

# Parts of the corpus that must be visible literally wherever the string is shown whole: markup
# that was parsed would have vanished (or, for `[/x]`, crashed the render).
LITERAL_MARKUP = ("[/x]", "[bold red]X[/] [@click=app.quit]", "[link=file:///etc/passwd]click[/link]", "sweep[lr=3e-4]")


def raw_controls(text: str) -> list[str]:
    """The control characters (and lone surrogates) in `text`, each with a little context."""
    return [repr(text[max(0, m.start() - 20) : m.end() + 20]) for m in RAW_CONTROL_TEXT.finditer(text)]
