"""What every section screen shares: header line, status bar, translated key bar, access to the injected
services and the logged-in actor, and the one way to call a service off the UI thread (`call_service`).

The language switch (F12, #12 item 1) — one mechanism for every screen:
  * The app calls `refresh_language()` on every screen of every stack (modals included), then re-renders the
    key bars and an open F1 panel. Whatever a screen shows in words must follow.
  * A screen whose widgets are cheap to rebuild sets `RECOMPOSE_ON_LANGUAGE = True`: the default
    `refresh_language()` then re-composes it (tabs, headers, table columns, static texts come back in the new
    language) and calls `language_recomposed()`, where the screen reloads its data (e.g. its `load()`), as
    the widgets it filled are new. The screen's own attributes (the selected case, filters) stay.
  * A screen that keeps state in its widgets (a half-typed field, a table cursor) overrides
    `refresh_language()` instead (calling super()) and re-labels in place: `retitle_columns(table, …)`,
    `retitle_tabs(tabbed, …)`, and updating its Statics from the same N_() sources it composed them with.
  * Keep the English source of every label you show (N_() constants), so re-rendering needs no lookup back.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Static, TabbedContent

from screens.widgets.bottom import BottomBars
from screens.widgets.table import DataTable
from workstation.domain.errors import TEMPLATES, ErrorCode
from workstation.errors import WorkstationError
from workstation.i18n import N_

if TYPE_CHECKING:
    from screens.app import WorkstationApp
    from workstation.services import Services
    from workstation.services.base import Actor

log = logging.getLogger(__name__)

_tickets = itertools.count(1)  # one sequence for the process: a ticket is never reused


def error_text(exc: BaseException, tr: Callable[..., str]) -> str:
    """What the user reads for an error (`field: text` when it names a field). A WorkstationError is said from,
    in order, its code's catalogue template, the raiser's own `template`, or its constant message, each filled
    with the error's params and only when the current language translates it; otherwise the raiser's English
    (`str(exc)`). Anything else is an unexpected error (translated frame, raw detail). Never raises."""
    if not isinstance(exc, WorkstationError):
        return tr("Unexpected error: {err}", err=exc)
    try:
        catalogued = TEMPLATES.get(ErrorCode(exc.code)) if exc.code else None
    except ValueError:
        catalogued = None
    own = getattr(exc, "template", None)
    params = exc.params
    reason = params.get("reason")
    if isinstance(reason, str) and reason:  # a reason is our words or the system's ("file not found"): said too
        params = {**params, "reason": tr(reason)}
    # the constant message is a msgid only when no template built it; "" would fetch the catalogue's header
    for source, fill in ((catalogued, True), (own, True), (None if own else exc.message, False)):
        if not source:
            continue
        translated = tr(source)
        if translated == source:  # this language lacks it: English keeps the raiser's words
            continue
        try:
            text = translated.format(**params) if fill else translated
        except (KeyError, IndexError, ValueError):
            continue
        return f"{exc.field}: {text}" if exc.field else text
    return str(exc)


class ServiceDone(Message, bubble=False):
    """A `call_service` worker finished: posted from the worker thread to the screen that started it."""

    def __init__(self, group: str, ticket: int, ok: bool, value: Any,
                 on_result: Callable[[Any], None] | None, on_error: Callable[[Exception], None] | None) -> None:
        super().__init__()
        self.group, self.ticket, self.ok, self.value = group, ticket, ok, value
        self.on_result, self.on_error = on_result, on_error


class AppAccess:
    """Mixin for screens: typed access to the app's services, actor and translator, and the worker pattern."""

    @property
    def wapp(self) -> WorkstationApp:
        return self.app  # type: ignore[attr-defined,no-any-return]

    def tr(self, message: str, **kw: Any) -> str:
        return self.wapp.tr(message, **kw)

    @property
    def services(self) -> Services:
        """The injected services. None only on the login screen before the database is open (it checks)."""
        return cast("Services", self.wapp.services)

    @property
    def actor(self) -> Actor:
        """The logged-in user. None only on the login screen and while logging out (check_action checks)."""
        return cast("Actor", self.wapp.actor)

    # -- the one worker pattern ----------------------------------------------------------------------------
    def call_service(self, fn: Callable[..., Any], *args: Any, group: str = "db",
                     on_result: Callable[[Any], None] | None = None,
                     on_error: Callable[[Exception], None] | None = None, exclusive: bool = True,
                     latest_only: bool | None = None, **kwargs: Any) -> int:
        """Run `fn(*args, **kwargs)` in a thread worker (the UI never waits on the database or a device) and
        report back by a `ServiceDone` message to this screen, on the UI thread.

        With `exclusive` (the default) a call supersedes the previous one of the same `group`: the older worker
        is cancelled (one not started yet never runs) and, as a running thread cannot be stopped, its result or
        error is dropped when it arrives, so a slow answer never overwrites a newer one. `latest_only` (default:
        as `exclusive`) keeps only the dropping: every call runs to the end (e.g. each gate read is recorded)
        but only the newest one's result is shown. Errors go to `on_error`, else to `show_error` (one handler:
        translated from the error code). Returns the call's ticket (tests, logs)."""
        ticket = next(_tickets)
        latest = self._latest_tickets()
        drop_older = exclusive if latest_only is None else latest_only
        if drop_older:
            latest[group] = ticket
        target = self

        def runner() -> None:
            try:
                value, ok = fn(*args, **kwargs), True
            except WorkstationError as exc:
                value, ok = exc, False
            except Exception as exc:  # shown and logged, never a crash of the counter
                log.exception("service call in group %s failed", group)
                value, ok = exc, False
            target.post_message(  # type: ignore[attr-defined]
                ServiceDone(group, ticket if drop_older else 0, ok, value, on_result, on_error))

        self.run_worker(runner, thread=True, exclusive=exclusive, group=group,  # type: ignore[attr-defined]
                        name=f"{group}#{ticket}")
        return ticket

    def _latest_tickets(self) -> dict[str, int]:
        """group → ticket of the call whose result is still wanted (only touched on the UI thread)."""
        latest: dict[str, int] | None = getattr(self, "_service_tickets", None)
        if latest is None:
            latest = {}
            self._service_tickets = latest
        return latest

    def on_service_done(self, message: ServiceDone) -> None:
        message.stop()
        latest = self._latest_tickets()
        if message.ticket and latest.get(message.group) != message.ticket:
            log.debug("dropped a superseded result in group %s", message.group)
            return
        if message.ok:
            if message.on_result is not None:
                message.on_result(message.value)
        else:
            (message.on_error or self.show_error)(message.value)

    def cancel_service(self, group: str) -> None:
        """Forget the call in flight in `group`: its result will be dropped (e.g. the user cleared the scan)."""
        self._latest_tickets()[group] = -1
        self.workers.cancel_group(self, group)  # type: ignore[attr-defined]

    def background(self, fn: Callable[[], Any], done: Callable[[Any], None] | None = None,
                   failed: Callable[[Exception], None] | None = None, *, group: str = "db",
                   exclusive: bool = True) -> None:
        """Older spelling of `call_service(fn, group=…, on_result=done, on_error=failed)`; same semantics."""
        self.call_service(fn, group=group, on_result=done, on_error=failed, exclusive=exclusive)

    def error_text(self, exc: BaseException) -> str:
        return error_text(exc, self.tr)

    def show_error(self, exc: Exception) -> None:
        self.wapp.notify(self.error_text(exc), severity="error", timeout=8)

    def line_error(self, line: Static, exc: Exception) -> None:
        """An error in a one-line state field (red); when it is longer than the field, also in full as a
        notification (which wraps): a cut message must not be all the user gets."""
        from rich.text import Text

        text = self.error_text(exc)
        line.update(Text(text, style="bold red"))
        if Text(text).cell_len > max(line.content_size.width, 1):
            self.show_error(exc)


def retitle_columns(table: DataTable, labels: list[str] | tuple[str, ...], tr: Callable[..., str]) -> None:
    """Give a DataTable's columns, in order, the translation of `labels` (English N_() sources)."""
    from rich.text import Text

    for column, label in zip(table.ordered_columns, labels, strict=False):
        column.label = Text(tr(label))
    table._require_update_dimensions = True
    table.refresh()


def retitle_tabs(tabbed: TabbedContent, labels: dict[str, str], tr: Callable[..., str]) -> None:
    """Give the tabs of `tabbed` (pane id → English N_() label) their translated titles."""
    for pane_id, label in labels.items():
        try:
            tabbed.get_tab(pane_id).label = tr(label)
        except Exception:  # a pane not shown for this role
            log.debug("no tab %s to retitle", pane_id)


class SectionScreen(AppAccess, Screen):
    """Base of every section (mode) screen. See the module docstring for the language switch."""

    SECTION = ""
    TITLE_TEXT = ""
    RECOMPOSE_ON_LANGUAGE = False

    def compose(self) -> ComposeResult:
        yield Static(self.header_text(), id="section-title", classes="section-title")
        yield from self.compose_body()
        yield BottomBars()

    def header_text(self) -> str:
        return self.tr(self.TITLE_TEXT) if self.TITLE_TEXT else ""

    def compose_body(self) -> ComposeResult:
        yield from ()

    def refresh_language(self) -> None:
        """Called after a language switch (see the module docstring): re-composes the screen when
        RECOMPOSE_ON_LANGUAGE, else updates the header line (screens override to re-label the rest)."""
        if self.RECOMPOSE_ON_LANGUAGE:
            self.call_later(self._recompose_for_language)
            return
        self.query_one("#section-title", Static).update(self.header_text())

    async def _recompose_for_language(self) -> None:
        await self.recompose()
        self.language_recomposed()

    def language_recomposed(self) -> None:
        """After the language re-composition: reload what the new widgets show (RECOMPOSE_ON_LANGUAGE)."""


class Modal(AppAccess, ModalScreen):
    """Base of every modal. `refresh_language()` is called on a language switch like on screens: a modal
    that shows words overrides it (FormModal re-labels its fields; a simple dialog may re-compose). F12 works
    here too: a modal does not receive the app's own keys otherwise."""

    BINDINGS = [Binding("f12", "app.toggle_language", N_("Language"), id="modal.language", show=False)]

    def refresh_language(self) -> None:
        pass


def enter_to_next_field(screen: Screen, fields: list[Any], submit: Callable[[], object]) -> None:
    """Enter in a text field of `fields` (a priority binding): the next field at once, or `submit` on the last
    one after the keys already queued to the field, so what is typed ahead (a scanner, a fast typist, keys
    arriving in one read) lands in the next field and a submit reads the whole value. Raises SkipAction when
    the focus is not a text field of `fields` (Enter is then the widget's own: a select opens)."""
    focused = screen.focused
    if not isinstance(focused, Input) or focused not in fields:
        raise SkipAction()
    if focused is fields[-1]:
        focused.call_later(submit)
    else:
        screen.set_focus(fields[fields.index(focused) + 1])
