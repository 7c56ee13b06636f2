"""Modal dialogs: confirm a destructive action, pick a signal, resubmit with options, choose whose
chains to view.

Each returns its answer through `dismiss`; escape always means "no" / "never mind". Every text
that holds a name, a reason or what a person typed is shown literally (widgets.text.literal).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from widgets.text import literal

COMMON_SIGNALS = ("TERM", "USR1", "USR2", "INT", "KILL")
_SIGNAL_NAME = re.compile(r"^(?:SIG)?([A-Z][A-Z0-9+-]*|\d{1,2})$")


def normalize_signal(text: str) -> str | None:
    """`sigusr1` -> `USR1`, `15` -> `15`; None when it cannot be a signal name or number."""
    match = _SIGNAL_NAME.match(text.strip().upper())
    if not match:
        return None
    name = match.group(1)
    if name.isdigit() and not 1 <= int(name) <= 64:
        return None
    return name


class ConfirmScreen(ModalScreen[bool]):
    """Yes / no; `y` confirms, `n` or escape declines."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "No", show=False),
    ]

    def __init__(self, question: str, detail: str = "", confirm_label: str = "Yes") -> None:
        super().__init__(classes="dialog")
        self.question = question
        self.detail = detail
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(literal(self.question, multiline=True), classes="dialog-question", markup=False)
            if self.detail:
                yield Static(literal(self.detail, multiline=True), classes="dialog-detail", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(literal(f"{self.confirm_label} (y)"), id="yes", variant="error")
                yield Button("No (n)", id="no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


@dataclass(frozen=True)
class SignalRequest:
    signal: str  # `TERM`, `USR1`, ... or a number
    full: bool  # True: every step; False: the batch shell only


class SignalScreen(ModalScreen[SignalRequest | None]):
    """Which signal, and whether to the batch shell only or to every step."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self, chain_name: str, job_id: str) -> None:
        super().__init__(classes="dialog")
        self.chain_name = chain_name
        self.job_id = job_id

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            question = f"Send a signal to job {self.job_id} of chain {self.chain_name}"
            yield Static(literal(question), classes="dialog-question", markup=False)
            with RadioSet(id="signal"):
                for i, name in enumerate(COMMON_SIGNALS):
                    yield RadioButton(f"SIG{name}", value=i == 0, name=name)
            yield Input(placeholder="or type a signal name or number (e.g. HUP)", id="custom")
            with RadioSet(id="scope"):
                yield RadioButton("batch shell only (the job script)", value=True, name="batch")
                yield RadioButton("all steps (srun tasks too)", name="full")
            yield Label("", id="signal-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Next", id="ok", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#signal", RadioSet).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#custom")
    @on(Button.Pressed, "#ok")
    def _accept(self) -> None:
        custom = self.query_one("#custom", Input).value.strip()
        if custom:
            name = normalize_signal(custom)
            if name is None:
                self.query_one("#signal-error", Label).update(literal(f"not a signal: {custom!r}"))
                return
        else:
            pressed = self.query_one("#signal", RadioSet).pressed_button
            name = pressed.name if pressed and pressed.name else COMMON_SIGNALS[0]
        scope = self.query_one("#scope", RadioSet).pressed_button
        self.dismiss(SignalRequest(name, full=scope is not None and scope.name == "full"))

    @on(Button.Pressed, "#cancel")
    def _cancelled(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class ViewChoice:
    user: str | None  # None: all users


class ViewScreen(ModalScreen[ViewChoice | None]):
    """Whose chains: mine, all users', or a named user's."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self, me: str, current: str | None) -> None:
        super().__init__(classes="dialog")
        self.me = me
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static("Whose chains? Type a user name and Enter, or choose below.", classes="dialog-question",
                         markup=False)  # fmt: skip
            other = self.current if self.current not in (None, self.me) else ""
            yield Input(value=other or "", placeholder="a user name, then Enter", id="user")
            yield Label("", id="user-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(literal(f"Mine ({self.me})"), id="me", variant="primary")
                yield Button("All users", id="all")

    def on_mount(self) -> None:
        self.query_one("#user", Input).focus()  # typing a name and Enter works at once

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#me")
    def _mine(self) -> None:
        self.dismiss(ViewChoice(self.me))

    @on(Button.Pressed, "#all")
    def _all(self) -> None:
        self.dismiss(ViewChoice(None))

    @on(Input.Submitted, "#user")
    def _named(self, event: Input.Submitted) -> None:
        name = event.value.strip()
        if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}", name):
            self.query_one("#user-error", Label).update("not a user name")
            return
        self.dismiss(ViewChoice(name))


@dataclass(frozen=True)
class ResubmitRequest:
    options: tuple[str, ...]  # sbatch options for the next links; () resubmits unchanged


def parse_options(text: str) -> tuple[str, ...] | str:
    """The sbatch options typed in the resubmit dialog, or why they cannot be (a one-line message)."""
    try:
        words = tuple(shlex.split(text))
    except ValueError as exc:
        return f"cannot read the options: {exc}"
    for word in words:
        if not word.startswith("-") or word in ("-", "--"):
            return f"not an sbatch option: {word!r} (write them as --mem=2G --time=2:00:00)"
    return words


class ResubmitScreen(ModalScreen[ResubmitRequest | None]):
    """Resubmit a chain that stopped, with the sbatch options its diagnosis suggests, editable."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self, chain_name: str, why: str, options: str) -> None:
        super().__init__(classes="dialog")
        self.chain_name = chain_name
        self.why = why
        self.options = options

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(literal(f"Resubmit chain {self.chain_name}"), classes="dialog-question", markup=False)
            if self.options:
                detail = (f"{self.why} Its next link and those after it get these sbatch options (the "
                          "diagnosis's fix; edit them, or empty the field to resubmit unchanged):")  # fmt: skip
            else:
                detail = (f"{self.why} The diagnosis suggests no option. Sbatch options for its next links, "
                          "if you want to change any (e.g. --mem=2G --time=2:00:00):")  # fmt: skip
            yield Static(literal(detail, multiline=True), classes="dialog-detail", markup=False)
            yield Input(value=self.options, placeholder="--mem=2G --time=2:00:00", id="options")
            yield Label("", id="options-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Resubmit (enter)", id="ok", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#options", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#options")
    @on(Button.Pressed, "#ok")
    def _accept(self) -> None:
        parsed = parse_options(self.query_one("#options", Input).value)
        if isinstance(parsed, str):
            self.query_one("#options-error", Label).update(literal(parsed))
            return
        self.dismiss(ResubmitRequest(parsed))

    @on(Button.Pressed, "#cancel")
    def _cancelled(self) -> None:
        self.dismiss(None)
