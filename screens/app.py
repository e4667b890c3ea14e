"""The Textual application: login → sections per role (MODES), status bar, command palette, remappable
bindings (every Binding has an id; config `keymap` overrides), idle lock, session heartbeat, two languages.
Services are injected (built in a thread worker so the first paint never waits on the database). Started from
the command line the app gets a BootConfig (workstation/bootconfig.py: no pydantic before the first paint) and
the same worker validates the full Settings first."""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette

from screens.commands import SectionCommands
from screens.sections import BY_NAME, SECTIONS, load_screen_class, sections_for
from workstation.bootconfig import BootConfig
from workstation.errors import ConfigError, WorkstationError
from workstation.i18n import N_, Translator

if TYPE_CHECKING:
    from workstation.config import Settings
    from workstation.services import Services
    from workstation.services.base import Actor

log = logging.getLogger(__name__)


def _section_bindings() -> list[Binding]:
    return [
        Binding(s.key, f"section('{s.name}')", s.title, show=False, id=f"ws.section.{s.name}")
        for s in SECTIONS
    ]


class WorkstationApp(App):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses live elsewhere
    TITLE = "Workstation DJBC"
    COMMANDS = App.COMMANDS | {SectionCommands}
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("f1", "show_keys", N_("Keys"), id="ws.help"),
        *_section_bindings(),
        Binding("f10", "logout", N_("Logout"), id="ws.logout"),
        Binding("f11,ctrl+k", "lock", N_("Lock"), id="ws.lock"),
        Binding("f12", "toggle_language", N_("Language"), id="ws.language"),
        # Textual's own Tab / Shift+Tab (screen bindings) run after the key has gone to the focused field and
        # bubbled back, so keys typed ahead of them (a fast typist, keys arriving in one read over SSH) land in
        # the field being left. As priority bindings the focus moves before the next key is handed on.
        Binding("tab", "app.focus_next", N_("Focus Next"), show=False, priority=True, id="ws.next"),
        Binding("shift+tab", "app.focus_previous", N_("Focus Previous"), show=False, priority=True,
                id="ws.previous"),
    ]

    def __init__(self, settings: Settings | BootConfig, *, services: Services | None = None,
                 services_factory: Callable[[Settings], Services] | None = None,
                 demo_accounts: list[tuple[str, str, str]] | None = None, exit_on: str | None = None,
                 clock: Callable[[], dt.datetime] | None = None):
        """`settings`: the validated Settings, or a BootConfig (the command line) that the start-up worker
        turns into Settings before it opens the database; until then `self.settings` is the BootConfig, which
        has what the login screen and the status bar read."""
        super().__init__()
        from screens.vt import console_colours

        # TERM=linux: ANSI colours in the console's VGA palette, 16 colours, visible fields, glyph-marked boxes
        self.console_mode = console_colours()
        if self.console_mode:
            self._console_colours()
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.settings: Settings | BootConfig = settings
        self._boot = settings if isinstance(settings, BootConfig) else None
        self.translator = Translator(settings.language)
        self.services: Services | None = services  # None until opened by the start-up worker
        self._services_factory = services_factory
        self.demo_accounts = demo_accounts or []
        self.exit_on = exit_on  # "first-paint" | "ready": benchmarks and smoke tests
        self.actor: Actor | None = None
        self.backend_label = "…"
        self.device_summary = "-"
        self.devices = None
        self.demo_simulators: dict = {}  # demo only: simulated devices the screens may drive
        self.services_error: str | None = None
        self.config_error: str | None = None  # the one-line ConfigError of the full validation (exit status 2)
        self._section_modes: list[str] = []
        self._monotonic = time.monotonic  # replaced in tests to simulate idle time
        self._last_activity = self._monotonic()
        self._locked = False
        self._heartbeat_timer = None
        # Why the process ends ("quit", "sigterm", "sighup", "crash"): the session row's end reason
        # (commands/tui.py ends the session with it once the app has stopped).
        self.exit_reason: str | None = None

    def _console_colours(self) -> None:
        from textual.app import App as _App

        from screens.vt import VGA_THEME, SixteenColours, install_toggle_glyphs

        self.set_reactive(_App.ansi_theme_dark, VGA_THEME)
        self.set_reactive(_App.ansi_theme_light, VGA_THEME)
        self._refresh_truecolor_filter(VGA_THEME)
        self._filters.append(SixteenColours())
        install_toggle_glyphs()

    def get_driver_class(self):
        """On the Linux console (TERM=linux), a driver that draws only glyphs its font has (screens/vt.py)."""
        driver = super().get_driver_class()
        if os.environ.get("TERM") != "linux" or driver.__name__ != "LinuxDriver":
            return driver
        from screens.vt import ConsoleDriver

        return ConsoleDriver

    # -- notifications -------------------------------------------------------------------------------------
    def notify(self, message: str, *, title: str = "", severity="information", timeout: float | None = None,
               markup: bool = False) -> None:
        """Every notification is shown as text, never as markup (#11 item 6): messages carry stored values
        (a name, a printer, an error's detail). `markup` is ignored on purpose — widgets pass True by default
        — and control characters are shown as escapes."""
        from screens.widgets.text import clean

        super().notify(clean(message, lines=True), title=clean(title), severity=severity,
                       timeout=timeout, markup=False)

    # -- language ------------------------------------------------------------------------------------------
    def tr(self, message: str, **kw) -> str:
        return self.translator(message, **kw)

    def action_toggle_language(self) -> None:
        self._set_language("en" if self.translator.lang == "id" else "id")
        self.notify(self.tr("Language: English") if self.translator.lang == "en" else "Bahasa: Indonesia")

    def _set_language(self, lang: str) -> None:
        """Switch every screen of every stack (modals too) to `lang`: each screen's `refresh_language()`
        re-renders what it shows (see screens/base.py, "The language switch"), then the key bars and an open
        F1 key panel. A failing screen hook is logged and never stops the others."""
        self.translator.set_language(lang)
        for stack in self._screen_stacks.values():
            for screen in stack:
                refresh = getattr(screen, "refresh_language", None)
                if refresh:
                    try:
                        refresh()
                    except Exception:
                        log.exception("refresh_language failed on %s", type(screen).__name__)
                for bar in screen.query("KeyBar"):
                    bar.refresh_keys()
                for status in screen.query("StatusBar"):
                    status.refresh_status()
                for panel in screen.query("TranslatedHelpPanel"):
                    panel.refresh_language()
        try:
            if isinstance(self.screen, CommandPalette):
                self.screen.query_one("CommandInput").placeholder = self.tr("Search for commands…")
        except Exception:  # no screen yet, or the palette's layout changed
            pass

    # -- the command palette and the key panel in the UI language -------------------------------------------
    def action_command_palette(self) -> None:
        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(id="--command-palette", placeholder=self.tr("Search for commands…")))

    def get_system_commands(self, screen):
        """Textual's system commands (Theme, Quit, Keys, …) with their titles and help translated."""
        from screens.widgets.keybar import translate_binding_text

        for cmd in super().get_system_commands(screen):
            callback = cmd.callback
            if cmd.title == "Keys":  # our translated key panel, not Textual's
                callback = self.action_show_keys
            yield SystemCommand(translate_binding_text(self.tr, cmd.title),
                                translate_binding_text(self.tr, cmd.help), callback, cmd.discover)

    def search_themes(self) -> None:
        from textual.theme import ThemeProvider

        self.push_screen(CommandPalette(providers=[ThemeProvider], placeholder=self.tr("Search for themes…")))

    def action_show_help_panel(self) -> None:
        from screens.widgets.keybar import TranslatedHelpPanel

        if not self.screen.query("HelpPanel"):
            self.screen.mount(TranslatedHelpPanel())

    # -- start-up ------------------------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.set_class(self.console_mode, "-console")
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        from screens.login import LoginScreen

        # Login is a mode of its own, so logging out is a switch back to it (section modes are removed).
        self.add_mode("login", LoginScreen)
        self.switch_mode("login")
        self.set_interval(5.0, self.check_idle_lock)
        if self.exit_on == "first-paint":
            return  # benchmark of the first screen alone
        if self.services is None:
            # after the first paint: the database layer's imports would otherwise compete with it
            self.call_after_refresh(self.run_worker, self._open_services, thread=True, group="startup")
        else:
            self.call_later(self._services_ready)

    def _open_services(self) -> None:
        try:
            if self._boot is not None:
                try:
                    settings = self._boot.settings()  # pydantic's imports land here, after the first paint
                except ConfigError as exc:
                    self.call_from_thread(self._config_failed, str(exc))
                    return
                self.call_from_thread(self._settings_validated, settings)
            factory = self._services_factory
            if factory is None:
                if self.full_settings.effective_database_url.startswith("postgresql"):
                    from workstation.footprint import without_openssl

                    without_openssl("psycopg")  # its import would load OpenSSL (≈4.4 MB per session)
                from workstation.services import open_services

                factory = open_services
            services = factory(self.full_settings)
            try:  # the office as entered on the first run / by an administrator (services/office.py)
                services.office.apply()
            except Exception:
                log.warning("could not read the configured office", exc_info=True)
        except WorkstationError as exc:
            self.call_from_thread(self._services_failed, str(exc))
            return
        except Exception as exc:
            log.exception("could not open the database")
            self.call_from_thread(self._services_failed, f"{type(exc).__name__}: {exc}")
            return
        self.services = services
        self.call_from_thread(self._services_ready)

    def _services_ready(self) -> None:
        self.settings = self.services.settings  # validated, with the stored office applied
        self.backend_label = self.services.ctx.db.backend
        for status in self.screen.query("StatusBar"):  # now, not at the next second's tick
            status.refresh_status()
        self._start_devices()
        login = self._login_screen()
        if login is not None:
            login.services_ready()
        if self.exit_on == "ready":
            self.exit()

    # -- devices -------------------------------------------------------------------------------------------
    def _start_devices(self) -> None:
        from screens.device_bridge import DeviceBridge

        try:
            specs = self.services.devices.specs()
        except WorkstationError as exc:  # a bad [[devices]] entry: say which, keep working without devices
            self.notify(str(exc), severity="error", timeout=15)
            specs = []
        self.devices = DeviceBridge(self, specs)
        self.devices.start()
        self.device_summary = self.devices.summary()

    def on_device_event_message(self, message) -> None:
        from devices.events import DeviceHealthChanged

        if isinstance(message.event, DeviceHealthChanged) and self.devices is not None:
            self.device_summary = self.devices.summary()
        # Only a screen that handles device events gets them (events arriving during shut-down go nowhere).
        # Posting to a screen without a handler would hand the message straight back to the app.
        if self.screen_stack and hasattr(self.screen, "on_device_event_message"):
            self.screen.post_message(type(message)(message.event))

    def on_unmount(self) -> None:
        if self.devices is not None:
            self.devices.stop()

    @property
    def full_settings(self) -> Settings:
        """The validated Settings: always so once the services are open (no one logs in before)."""
        return cast("Settings", self.settings)

    def _settings_validated(self, settings: Settings) -> None:
        """Replace the boot values; the language or keymap only differ when the boot reader misread them."""
        boot, self.settings = self.settings, settings
        if settings.keymap and dict(settings.keymap) != dict(boot.keymap):
            self.set_keymap(settings.keymap)
        if settings.language != self.translator.lang:
            self._set_language(settings.language)

    def _config_failed(self, message: str) -> None:
        """Invalid configuration: the same one line as the command line gives, on the login screen; the
        command exits with status 2 when the app ends (at once under --exit-on)."""
        self.config_error = self.services_error = message
        login = self._login_screen()
        if login is not None:
            login.services_failed(message)
        if self.exit_on:
            self.exit(return_code=2)  # the command prints the line (commands/tui.py), once

    def _services_failed(self, message: str) -> None:
        self.services_error = message
        login = self._login_screen()
        if login is not None:
            login.services_failed(message)
        if self.exit_on:
            self.exit(return_code=2, message=message)

    def _login_screen(self):
        from screens.login import LoginScreen

        for screen in self._screen_stacks.get("login", []):
            if isinstance(screen, LoginScreen):
                return screen
        return None

    # -- login / logout ------------------------------------------------------------------------------------
    def logged_in(self, actor) -> None:
        self.actor = actor
        for sec in sections_for(actor.roles):
            # the screen's module is imported when the section is first opened: a session that never opens
            # it does not hold its services, rules and printing (issue #15: memory per SSH session)
            self.add_mode(sec.name, lambda sec=sec: load_screen_class(sec)(section=sec))
            self._section_modes.append(sec.name)
        self._last_activity = self._monotonic()
        self._locked = False
        self._heartbeat_timer = self.set_interval(self.full_settings.session_heartbeat_seconds, self._heartbeat)
        self.switch_mode("home")

    async def logout(self, reason: str = "logout", message: str | None = None) -> None:
        actor, self.actor = self.actor, None
        if self._heartbeat_timer is not None:
            self._heartbeat_timer.stop()
            self._heartbeat_timer = None
        self._locked = False
        if actor is not None and reason != "ended":
            services = self.services
            self.run_worker(lambda: services.auth.logout(actor, reason), thread=True, group="logout")
        await self.switch_mode("login")
        for name in self._section_modes:
            await self.remove_mode(name)
        self._section_modes.clear()
        while len(self.screen_stack) > 1 and not self._is_login(self.screen):
            self.pop_screen()
        login = self._login_screen()
        if login is not None:
            login.reset(message)

    def _is_login(self, screen) -> bool:
        from screens.login import LoginScreen

        return isinstance(screen, LoginScreen)

    async def action_logout(self) -> None:
        if self.actor is not None:
            await self.logout("logout")

    def _heartbeat(self) -> None:
        actor, services = self.actor, self.services
        if actor is None or services is None:
            return

        def beat() -> None:
            try:
                alive = services.auth.heartbeat(actor)
            except Exception:  # a database hiccup must not log the officer out
                log.warning("heartbeat failed", exc_info=True)
                return
            if not alive and self.actor is actor:
                self.call_from_thread(self._session_ended)

        self.run_worker(beat, thread=True, group="heartbeat", exclusive=True)

    async def _session_ended(self) -> None:
        # The heartbeat makes the check every write makes (session open, account active and unlocked, roles
        # still held): when it fails, leave at once. logout() ends the session row if it is still open (a
        # revoked role leaves it open); an ended one stays as the supervisor ended it.
        await self.logout("refused", self.tr("Your session was ended by a supervisor."))

    def end_session_at_exit(self, reason: str | None = None) -> bool:
        """The process is ending (quit, a signal, a crash): end the logged-in session row and audit it, on
        this thread, so it is done before the process goes. Never raises (a dead database must not hide the
        original exit). True when a session was ended."""
        actor, services = self.actor, self.services
        self.actor = None
        if actor is None or services is None:
            return False
        try:
            services.auth.logout(actor, reason or self.exit_reason or "exit")
        except Exception:
            log.exception("could not end the session at exit")
            return False
        return True

    async def action_quit(self) -> None:
        """Ctrl+Q and the palette's "Quit": never while locked (check_action refuses it too, this is the
        last guard for a caller that skips the check)."""
        if self._locked:
            return
        self.exit_reason = self.exit_reason or "quit"
        self.exit()

    # -- sections ------------------------------------------------------------------------------------------
    # While the screen is locked nothing but the lock screen's own password field works: no quit, no palette,
    # no section, language or logout key (log out from the lock screen needs the password).
    _ACTIONS_WHILE_LOCKED = frozenset({"focus_next", "focus_previous"})

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self._locked:
            return action in self._ACTIONS_WHILE_LOCKED
        if action == "section":
            return self.actor is not None and parameters[0] in self._section_modes
        if action in ("logout", "lock"):
            return self.actor is not None
        return True

    async def action_section(self, name: str) -> None:
        if name in self._section_modes and not self._locked:
            await self.switch_mode(name)

    def section_title(self, name: str) -> str:
        return self.tr(BY_NAME[name].title)

    def action_show_keys(self) -> None:
        if self.screen.query("KeyPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    # -- idle lock -----------------------------------------------------------------------------------------
    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown):
            self._last_activity = self._monotonic()
        await super().on_event(event)

    def check_idle_lock(self) -> None:
        if self.actor is None or self._locked:
            return
        if self._monotonic() - self._last_activity >= self.full_settings.idle_lock_minutes * 60:
            self.action_lock()

    def action_lock(self) -> None:
        if self.actor is None or self._locked:
            return
        from screens.lock import LockScreen

        self._locked = True
        self.push_screen(LockScreen(), callback=self._unlocked)

    def _unlocked(self, result) -> None:
        self._locked = False
        self._last_activity = self._monotonic()
