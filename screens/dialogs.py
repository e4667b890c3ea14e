"""Small reusable dialogs: a yes/no confirmation, a text prompt (reasons), and the supervisor's confirmation
(dual authorisation). Every one cancels with Escape and with F3 (a lone Escape is slow on some terminals)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from screens.base import Modal
from screens.widgets.text import plain
from workstation.i18n import N_

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 64; max-width: 100%; height: auto; border: round $accent; padding: 0 1;
                    background: $surface; }}
{name} .error {{ color: $error; }}
"""


class ConfirmModal(Modal):
    """Ask yes or no. Dismisses with True (Enter, Y, Ctrl+S) or False (Escape, F3, N). No field: letters
    cannot type anywhere here."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmModal") + """
    ConfirmModal > Vertical { border: round $warning; }
    ConfirmModal #confirm-keys { color: $text-muted; margin-top: 1; }
    """
    BINDINGS = [Binding("enter,y,ctrl+s", "answer(True)", N_("Yes"), id="confirm.yes"),
                Binding("escape,f3,n", "answer(False)", N_("No"), id="confirm.no")]

    def __init__(self, title: str, question: str = "", *, yes: str = "", no: str = "") -> None:
        super().__init__()
        self._title, self._question, self._yes, self._no = title, question, yes, no

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plain(self._title, "bold"), id="confirm-title")
            if self._question:
                yield Static(plain(self._question), id="confirm-question")
            yes, no = self._yes or self.tr("Yes"), self._no or self.tr("No")
            yield Static(plain(self.tr("Enter/Y: {yes} · Esc/F3/N: {no}", yes=yes, no=no)), id="confirm-keys")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class PromptModal(Modal):
    """Ask for one line of text (e.g. a reason). Dismisses with the text, or None on Escape or F3."""

    DEFAULT_CSS = DIALOG_CSS.format(name="PromptModal")
    BINDINGS = [Binding("escape,f3", "cancel", N_("Cancel"), id="dialog.cancel")]

    def __init__(self, title: str, label: str, *, required: bool = True, value: str = "") -> None:
        super().__init__()
        self._title, self._label, self._required, self._value = title, label, required, value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plain(self._title, "bold"))
            yield Label(plain(self._label))
            yield Input(value=self._value, id="prompt-input", max_length=500)
            yield Static(id="prompt-error", classes="error")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if self._required and not text:
            self.query_one("#prompt-error", Static).update(self.tr("Required."))
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)


class SupervisorConfirmModal(Modal):
    """Dual authorisation: a second user with the supervisor role confirms with their own password.
    Dismisses with the confirming supervisor's Actor, or None."""

    DEFAULT_CSS = DIALOG_CSS.format(name="SupervisorConfirmModal")
    BINDINGS = [Binding("escape,f3", "cancel", N_("Cancel"), id="dialog.cancel"),
                Binding("ctrl+o", "to_inbox", N_("Send to the approvals inbox"), id="dialog.to_inbox")]
    INBOX = "inbox"  # dismissed with this when the user sends the request to the inbox instead (issue #15)

    def __init__(self, purpose: str, description: str, *, inbox: bool = False) -> None:
        super().__init__()
        self.purpose, self.description, self.inbox = purpose, description, inbox

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.inbox if action == "to_inbox" else True

    def action_to_inbox(self) -> None:
        if self.inbox:
            self.dismiss(self.INBOX)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("[b]" + self.tr("Supervisor confirmation") + "[/b]")
            yield Static(plain(self.description))  # carries stored text (ids, reasons): never markup
            if self.inbox:
                yield Static(self.tr("No supervisor here? Ctrl+O sends it to the approvals inbox."))
            yield Label(self.tr("Supervisor login"))
            yield Input(id="sup-login", max_length=32)
            yield Label(self.tr("Supervisor password"))
            yield Input(id="sup-password", password=True)
            yield Static(id="sup-error", classes="error")

    def on_mount(self) -> None:
        self.query_one("#sup-login", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "sup-login":
            self.query_one("#sup-password", Input).focus()
            return
        login = self.query_one("#sup-login", Input).value
        password = self.query_one("#sup-password", Input).value
        self.query_one("#sup-password", Input).value = ""
        auth, actor, purpose = self.services.auth, self.actor, self.purpose
        self.call_service(auth.confirm_supervisor, actor, login, password, purpose, group="confirm",
                          on_result=self.dismiss,
                          on_error=lambda e: self.query_one("#sup-error", Static).update(self.error_text(e)))

    def action_cancel(self) -> None:
        self.dismiss(None)
