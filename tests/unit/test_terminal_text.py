"""app.model.text for the dashboard: a job's output line as a terminal would leave it, made inert
(escape sequences removed whole, then every control left shown as an escape), and bidirectional
overrides made visible (issue 16.2)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.model.text import inert, terminal_line, without_sequences
from tests.hostile import HOSTILE_NAMES, RAW_CONTROL

SEQUENCES = {
    "title (OSC 0, BEL)": ("a\x1b]0;TITLE\x07b", "ab"),
    "title (OSC 2, ST)": ("a\x1b]2;TITLE\x1b\\b", "ab"),
    "clipboard write (OSC 52)": ("a\x1b]52;c;ZXZpbA==\x07b", "ab"),
    "screen clear (CSI)": ("a\x1b[2Jb", "ab"),
    "colour (CSI)": ("\x1b[1;31mred\x1b[0m", "red"),
    "8-bit CSI": ("a\x9b2Jb", "ab"),
    "8-bit OSC with 8-bit ST": ("a\x9d0;T\x9cb", "ab"),
    "DCS": ("a\x1bPq#0;2;0;0;0\x1b\\b", "ab"),
    "reset (ESC c)": ("a\x1bcb", "ab"),
    "charset (ESC ( B)": ("a\x1b(Bb", "ab"),
    "unterminated OSC swallows the rest": ("a\x1b]0;never ends", "a"),
    "no sequence": ("plain [text] é", "plain [text] é"),
}


def test_escape_sequences_are_removed_whole() -> None:
    for what, (raw, shown) in SEQUENCES.items():
        assert without_sequences(raw) == shown, what


def test_a_log_line_is_what_a_terminal_leaves_of_it_made_inert() -> None:
    assert terminal_line("epoch 1 10%\repoch 1 20%\repoch 1 30%") == "epoch 1 30%"
    assert terminal_line("done\r") == "done"
    assert terminal_line("\x1b[32mINFO\x1b[0m\tstarted") == "INFO\tstarted"
    assert terminal_line("bell\x07 lone\x1b") == "bell\\x07 lone\\x1b"
    assert terminal_line("bad\udcffbyte") == "bad\\xffbyte"
    assert terminal_line(HOSTILE_NAMES["osc_title"]) == "title"
    assert terminal_line(HOSTILE_NAMES["markup_style"]) == HOSTILE_NAMES["markup_style"], "markup is not ours to touch"


def test_bidirectional_overrides_are_shown_not_obeyed() -> None:
    assert inert("evil\u202egnp.exe") == "evil\\u202egnp.exe"
    assert inert("a\u2066b\u2069c\u200f") == "a\\u2066b\\u2069c\\u200f"


@given(st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=200))
def test_nothing_a_terminal_acts_on_is_left_of_a_log_line(line: str) -> None:
    shown = terminal_line(line)
    assert not RAW_CONTROL.search(shown.encode("utf-8", "surrogateescape"))
    assert "\n" not in shown.replace("\\n", "")
    assert not any(0xD800 <= ord(c) <= 0xDFFF or 0x202A <= ord(c) <= 0x202E for c in shown)
    if line.isprintable():
        assert shown == line
