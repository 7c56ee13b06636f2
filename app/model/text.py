"""Text from users, Slurm and files made inert for a terminal: the ONE place that does it.

A chain's name, a job name, a comment, a path or a log line can hold terminal control sequences
(`ESC ] 0 ; title BEL` sets the window title, `ESC ] 52 ; ...` writes the clipboard, `ESC [ 2 J`
clears the screen) or bytes that are not UTF-8. `inert()` shows every control character as an
escape (`\\x1b`, `\\x07`, `\\x9b`) and every undecodable byte as `\\xff`, so nothing reaches the
terminal that it would act on, and the person still sees what the text holds. Markup is a
separate matter: the CLI escapes it (app/console.py), the dashboard uses Text and markup=False.

A job's output is shown as a terminal would leave it (`terminal_line`): its escape sequences
(colours, titles, clipboard writes) removed whole rather than spelt out, text after a carriage
return written over what came before, then made inert like any other string.

Pure: the standard library only (the dashboard's widgets may import it).
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls (0x80-0x9f: 8-bit CSI/OSC in some terminals), the Unicode line
# and paragraph separators, the bidirectional overrides and isolates (they reorder what follows:
# `evil\u202egnp.exe` reads `evilexe.png`), and lone surrogates (bytes that were not UTF-8, decoded
# with surrogateescape). Tab and newline are kept only in multi-line text (log lines).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
_CONTROL_OR_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
# ESC-introduced sequences and their 8-bit (C1) forms, as a terminal reads them: CSI (parameters,
# intermediates, one final byte); OSC, DCS, SOS, PM and APC up to BEL or ST (an unterminated one
# swallows the rest, as it would in a terminal); other ESC sequences (ESC c, ESC ( B, ESC 7).
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f]).*?(?:\x07|\x1b\\|\x9c|\Z)"
    r"|\x1b[ -/]*[0-~]",
    re.DOTALL,
)
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape's stand-in for the byte code - 0xDC00
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def inert(text: str, *, multiline: bool = False) -> str:
    """`text` with every control character shown as an escape; newlines and tabs kept when `multiline`."""
    pattern = _CONTROL if multiline else _CONTROL_OR_LINE
    return pattern.sub(_escape, text) if pattern.search(text) else text


def has_control(text: str) -> bool:
    """Whether `text` holds anything inert() would escape (a newline counts)."""
    return _CONTROL_OR_LINE.search(text) is not None


def without_sequences(text: str) -> str:
    """`text` without its terminal escape sequences (removed whole: `\\x1b[32mok\\x1b[0m` -> `ok`)."""
    return _SEQUENCE.sub("", text) if ("\x1b" in text or _C1_INTRODUCER.search(text)) else text


_C1_INTRODUCER = re.compile("[\x90\x98\x9b\x9d\x9e\x9f]")


def terminal_line(line: str) -> str:
    """One line of a job's output as a terminal would leave it, made inert: text after a carriage
    return overwrites what came before (progress bars), escape sequences are removed whole (colours,
    titles, clipboard writes), what is left of the controls is shown as escapes (tabs kept, a
    newline inside the line shown as `\\n`)."""
    if "\r" in line:
        line = next((part for part in reversed(line.split("\r")) if part), "")
    return inert(without_sequences(line), multiline=True).replace("\n", "\\n")
