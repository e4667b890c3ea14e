"""A field unit's one-time enrolment token, shown once (Administration → Units): the administrator copies it
to the unit (`workstation sync enrol`); it is stored only hashed, so closing this loses it (issue a new one)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from screens.base import Modal
from screens.widgets.text import plain
from workstation.i18n import N_


class TokenModal(Modal):
    DEFAULT_CSS = """
    TokenModal { align: center middle; }
    TokenModal > Vertical { width: 78; max-width: 100%; height: auto; border: round $accent; background: $surface;
                            padding: 0 1; }
    TokenModal #unit-token { text-style: bold; margin: 1 0; }
    TokenModal .hint { color: $text-muted; }
    """
    BINDINGS = [
        Binding("enter,escape,f3", "close", N_("Close"), id="admin.token.close"),
        Binding("ctrl+c", "copy", N_("Copy"), id="admin.token.copy"),
    ]

    def __init__(self, code: str, token: str) -> None:
        super().__init__()
        self.code, self.token = code, token

    def compose(self) -> ComposeResult:
        tr = self.tr
        with Vertical():
            yield Static(plain(tr("Enrolment token of unit {code}", code=self.code), "bold"))
            yield Static(plain(self.token), id="unit-token")
            yield Static(tr("Shown only now: give it to the unit's operator, who enrols with it. A lost token is "
                            "replaced with a new one (t)."))
            yield Static(tr("Ctrl+C copy · Enter/Esc/F3 close"), classes="hint")

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.token)  # OSC 52: works over SSH too
        self.notify(self.tr("Copied."))

    def action_close(self) -> None:
        self.dismiss(None)
