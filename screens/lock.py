"""Idle lock: the work underneath stays as it was; the same user re-enters the password."""

from __future__ import annotations

import logging

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from screens.base import Modal
from screens.widgets.text import assemble
from workstation.i18n import N_

log = logging.getLogger(__name__)


class LockScreen(Modal):
    """While it is shown nothing else works (WorkstationApp.check_action refuses every app action: no quit,
    no palette); the only ways out need the password: Enter unlocks, F10 logs out."""

    BINDINGS = [Binding("f10", "logout_locked", N_("Log out (password)"), id="lock.logout")]
    DEFAULT_CSS = """
    LockScreen { align: center middle; background: $background 90%; }
    #lock-box { width: 56; max-width: 100%; height: auto; border: heavy $warning; padding: 1 2; }
    #lock-message.error { color: $error; }
    """

    def compose(self) -> ComposeResult:
        actor = self.actor
        with Vertical(id="lock-box"):
            yield Static(assemble((self.tr("Screen locked"), "bold"), f" — {actor.full_name} ({actor.login})"))
            yield Static(self.tr("Enter your password to continue. Your work is kept."))
            yield Static(self.tr("F10: log out (type your password first)."))
            yield Input(id="lock-password", password=True)
            yield Static(id="lock-message")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        # Locking is audited like unlocking (`auth.lock_screen`); the lock itself never waits for it.
        auth, actor = self.services.auth, self.actor
        if auth is None or actor is None:
            return
        self.call_service(auth.lock_screen, actor, self._reason(), group="lock-audit",
                          on_error=lambda exc: log.warning("could not audit the screen lock: %s", exc))

    def _reason(self) -> str:
        """"idle" when the idle timer locked the screen, "manual" when the user's key did."""
        app = self.wapp
        try:
            idle = app._monotonic() - app._last_activity >= app.full_settings.idle_lock_minutes * 60
        except Exception:
            return "manual"
        return "idle" if idle else "manual"

    def on_input_submitted(self, event: Input.Submitted) -> None:
        password = event.value
        event.input.value = ""
        auth, actor = self.services.auth, self.actor
        self.background(lambda: auth.unlock_screen(actor, password), self._result, self._failed, group="unlock")

    def action_logout_locked(self) -> None:
        field = self.query_one("#lock-password", Input)
        password, field.value = field.value, ""
        if not password:
            self._wrong(self.tr("Type your password, then F10 to log out."))
            return
        auth, actor = self.services.auth, self.actor
        # the same check as unlocking (failures count toward the lockout), then a normal logout
        self.background(lambda: auth.unlock_screen(actor, password), self._logout_result, self._failed,
                        group="unlock")

    def _logout_result(self, ok: bool) -> None:
        if not ok:
            self._wrong(self.tr("Wrong password."))
            return
        self.dismiss(True)
        self.call_later(self.wapp.logout, "logout")

    def _wrong(self, text: str) -> None:
        msg = self.query_one("#lock-message", Static)
        msg.update(text)
        msg.add_class("error")

    def _result(self, ok: bool) -> None:
        if ok:
            self.dismiss(True)
            return
        msg = self.query_one("#lock-message", Static)
        msg.update(self.tr("Wrong password."))
        msg.add_class("error")

    def _failed(self, exc: Exception) -> None:
        # account locked or session ended: back to the login screen
        self.dismiss(False)
        self.call_later(self.wapp.logout, "ended", str(exc))
