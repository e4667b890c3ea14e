"""#12 items 2 and 7: the login keyboard (focus after a failure, Enter while connecting) and the first run
that asks for the office before the administrator."""

from __future__ import annotations

import threading

import pytest
from textual.widgets import Input

from screens.home import HomeScreen
from screens.login import FirstRunScreen, LoginScreen
from tests.conftest import PASSWORD
from tests.e2e.conftest import login, settle


async def test_after_a_failed_login_the_cursor_is_back_in_the_password(users, make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "siti", "wrong-password")
        assert isinstance(app.screen, LoginScreen)
        assert app.focused is app.screen.query_one("#password", Input)
        assert app.screen.query_one("#password", Input).value == ""


@pytest.mark.parametrize("between", ["enter", "tab"])
async def test_login_and_password_typed_in_one_burst_log_in(users, make_app, between):
    """Keys that arrive in one read (tmux, a fast typist, SSH on a slow link): Enter or Tab moves to the password
    before the next key is handed on."""
    from textual import events

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        for key in [*"siti", between, *PASSWORD, "enter"]:
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await settle(app, pilot)
        for _ in range(100):
            if isinstance(app.screen, HomeScreen):
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, HomeScreen)


async def test_enter_pressed_while_connecting_logs_in_once_connected(users, services, clock):
    from screens.app import WorkstationApp

    gate = threading.Event()

    def slow_factory(settings):
        gate.wait(10)
        return services

    app = WorkstationApp(services.settings, services_factory=slow_factory, clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.services is None
        app.screen.query_one("#login", Input).value = "siti"
        app.screen.query_one("#password", Input).value = PASSWORD
        app.screen.query_one("#password", Input).focus()
        await pilot.press("enter")  # still connecting
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        gate.set()
        await settle(app, pilot)
        await settle(app, pilot)
        assert isinstance(app.screen, HomeScreen) and app.actor.login == "siti"


@pytest.fixture
def unconfigured(tmp_path, db_url, clock):
    """Services on settings without an [office] section: an installation nobody has configured yet."""
    from db.engine import Database
    from workstation.config import load_settings
    from workstation.services import Services
    from workstation.services.base import ServiceContext

    settings = load_settings(None, database_url=db_url, data_dir=tmp_path / "data", password_hashing="fast")
    db = Database(settings.effective_database_url)
    yield Services(ServiceContext(db=db, settings=settings, clock=clock))
    db.dispose()


async def test_first_run_asks_for_the_office_then_the_administrator(unconfigured, clock):
    from screens.app import WorkstationApp

    services = unconfigured
    make_app = lambda: WorkstationApp(services.settings, services=services, clock=clock)  # noqa: E731
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, FirstRunScreen)
        assert app.focused.id == "fr-office-code"
        for name, value in {"code": "050100", "name": "KPPBC Entikong", "address": "Jl. Lintas Malindo",
                            "city": "Sanggau"}.items():
            screen.query_one(f"#fr-office-{name}", Input).value = value
        for name, value in {"login": "admin", "name": "Admin", "nip": "1234",
                            "password": PASSWORD, "password2": PASSWORD}.items():
            screen.query_one(f"#fr-{name}", Input).value = value
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is screen and app.focused.id == "fr-nip"  # NIP is 18 digits, as in the CLI
        assert "18" in str(screen.query_one("#login-message").render())
        assert services.auth.needs_first_admin()  # nothing written
        screen.query_one("#fr-nip", Input).value = "199001012015011001"
        screen.query_one("#fr-office-code", Input).value = "0501"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.focused.id == "fr-office-code"  # the office code is refused, naming the field
        assert services.auth.needs_first_admin() and not services.office.get().configured
        screen.query_one("#fr-office-code", Input).value = "050100"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, LoginScreen)
        view = services.office.get()
        assert view.configured and view.code == "050100" and view.city == "Sanggau"
        assert app.settings.office.name == "KPPBC Entikong"  # the login title, the status bar follow
        assert app.screen.query_one("#login", Input).value == "admin"
        assert app.focused is app.screen.query_one("#password", Input)
        app.focused.value = PASSWORD
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, HomeScreen)


async def test_first_run_typed_in_one_burst_fills_each_field(unconfigured, clock):
    """Enter moves to the next field while the key is handled: a burst of keys fills the fields in order."""
    from textual import events

    from screens.app import WorkstationApp

    services = unconfigured
    app = WorkstationApp(services.settings, services=services, clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, FirstRunScreen)
        typed = ["050100", "KPPBC Entikong"]
        for key in [*typed[0], "enter", *typed[1], "enter"]:
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await settle(app, pilot)
        assert screen.query_one("#fr-office-code", Input).value == "050100"
        assert screen.query_one("#fr-office-name", Input).value == "KPPBC Entikong"
        assert app.focused is screen.query_one("#fr-office-address", Input)
