"""Text from users, Slurm and files made inert for a terminal: the ONE place that does it.

A chain's name, a job name, a comment, a path or a log line can hold terminal control sequences
(`ESC ] 0 ; title BEL` sets the window title, `ESC ] 52 ; ...` writes the clipboard, `ESC [ 2 J`
clears the screen) or bytes that are not UTF-8. `inert()` shows every control character as an
escape (`\\x1b`, `\\x07`, `\\x9b`) and every undecodable byte as `\\xff`, so nothing reaches the
terminal that it would act on, and the person still sees what the text holds. Markup is a
separate matter: the CLI escapes it (app/console.py), the dashboard uses Text and markup=False.

Pure: the standard library only (the dashboard's widgets may import it).
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls (0x80-0x9f: 8-bit CSI/OSC in some terminals), the Unicode line
# and paragraph separators, and lone surrogates (bytes that were not UTF-8, decoded with
# surrogateescape). Tab and newline are kept only in multi-line text (log lines).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_CONTROL_OR_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
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
