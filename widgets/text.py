"""Literal text in the panes: every string from a user, Slurm or a file is shown through here.

`literal` makes a rich `Text` (never parsed as markup) of the string made inert (app.model.text:
every control character shown as an escape, as the CLI prints it). Border titles and subtitles are markup in
Textual, so they are set from `Text` (`set_title`, `set_subtitle`), never from a formatted str.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from app.model.text import inert


def literal(
    value: object | None, style: Style | str = "", *, multiline: bool = False, width: int | None = None,
    empty: str = "",
) -> Text:  # fmt: skip
    """`value` as plain text: sanitised, at most `width` characters, `empty` for None."""
    text = empty if value is None else inert(str(value), multiline=multiline)
    if width is not None:
        text = shorten(text, width)
    return Text(text, style=style)


def shorten(text: str, width: int) -> str:
    """At most `width` characters, the cut marked with `…` (a 10,000-character name stays usable)."""
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def title_text(*parts: str | tuple[str, Style | str]) -> Text:
    """A title from plain parts (each sanitised); a part may carry a style: `("RUNNING", style)`."""
    text = Text()
    for part in parts:
        value, style = part if isinstance(part, tuple) else (part, "")
        text.append(inert(value), style=style)
    return text


# What each widget's border shows, to skip redraws that would change nothing.
_titles: WeakKeyDictionary[Widget, Text] = WeakKeyDictionary()
_subtitles: WeakKeyDictionary[Widget, Text] = WeakKeyDictionary()


def set_title(widget: Widget, title: Text | str) -> None:
    """Set `widget`'s border title from plain text (a str is taken literally, as `title_text`)."""
    text = title if isinstance(title, Text) else title_text(title)
    if _titles.get(widget) != text:
        _titles[widget] = text
        widget.border_title = text


def set_subtitle(widget: Widget, subtitle: Text | str) -> None:
    """Set `widget`'s border subtitle from plain text."""
    text = subtitle if isinstance(subtitle, Text) else title_text(subtitle)
    if _subtitles.get(widget) != text:
        _subtitles[widget] = text
        widget.border_subtitle = text


def shown_title(widget: Widget) -> str:
    """The border title as plain text (what a person reads)."""
    text = _titles.get(widget)
    return text.plain if text is not None else str(widget.border_title or "")


def shown_subtitle(widget: Widget) -> Text:
    """The border subtitle as set (its plain text and styles)."""
    return _subtitles.get(widget) or Text(str(widget.border_subtitle or ""))
