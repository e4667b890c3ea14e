"""What every section screen shares: header line, status bar, translated key bar, access to the injected
services and the logged-in actor, and one way to run database work off the UI thread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from screens.widgets.bottom import BottomBars
from workstation.errors import WorkstationError

if TYPE_CHECKING:
    from screens.app import WorkstationApp

log = logging.getLogger(__name__)


class AppAccess:
    """Mixin for screens: typed access to the app's services, actor and translator."""

    @property
    def wapp(self) -> WorkstationApp:
        return self.app  # type: ignore[attr-defined,return-value]

    def tr(self, message: str, **kw: Any) -> str:
        return self.wapp.tr(message, **kw)

    @property
    def services(self):
        return self.wapp.services

    @property
    def actor(self):
        return self.wapp.actor

    def background(self, fn: Callable[[], Any], done: Callable[[Any], None] | None = None,
                   failed: Callable[[Exception], None] | None = None, *, group: str = "db",
                   exclusive: bool = True) -> None:
        """Run `fn` in a thread worker (the UI never waits on the database); deliver the result or the error
        back on the UI thread."""
        app = self.wapp

        def runner() -> None:
            try:
                result = fn()
            except WorkstationError as exc:
                app.call_from_thread(failed or self.show_error, exc)
                return
            except Exception as exc:  # shown, logged, never a crash of the counter
                log.exception("background work failed")
                app.call_from_thread(failed or self.show_error, exc)
                return
            if done is not None:
                app.call_from_thread(done, result)

        self.run_worker(runner, thread=True, exclusive=exclusive, group=group)  # type: ignore[attr-defined]

    def show_error(self, exc: Exception) -> None:
        text = str(exc) if isinstance(exc, WorkstationError) else self.tr("Unexpected error: {err}", err=exc)
        self.wapp.notify(text, severity="error", timeout=8)


class SectionScreen(AppAccess, Screen):
    """Base of every section (mode) screen."""

    SECTION = ""
    TITLE_TEXT = ""

    def compose(self) -> ComposeResult:
        yield Static(self.header_text(), id="section-title", classes="section-title")
        yield from self.compose_body()
        yield BottomBars()

    def header_text(self) -> str:
        return self.tr(self.TITLE_TEXT) if self.TITLE_TEXT else ""

    def compose_body(self) -> ComposeResult:
        yield from ()

    def refresh_language(self) -> None:
        """Called after a language switch; screens with translated content re-render it."""
        self.query_one("#section-title", Static).update(self.header_text())


class Modal(AppAccess, ModalScreen):
    pass
