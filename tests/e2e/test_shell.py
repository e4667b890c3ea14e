"""The app shell as a user drives it: login, sections per role, lock, logout, language, keymap."""

from __future__ import annotations

from screens.home import HomeScreen
from screens.lock import LockScreen
from screens.login import FirstRunScreen, LoginScreen
from tests.conftest import PASSWORD
from tests.e2e.conftest import login, settle
from workstation.domain.codes import Role


def _text(widget) -> str:
    return str(widget.render())


async def test_login_shows_home_with_the_users_sections(users, make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, LoginScreen)
        await login(app, pilot, "siti")
        assert isinstance(app.screen, HomeScreen)
        body = _text(app.screen.query_one("#home-text"))
        assert "Siti Rahma" in body and "F3" in body and "F8" not in body  # officer: no supervision
        assert "siti (petugas loket)" in _text(app.screen.query_one("StatusBar"))  # role words translated


async def test_wrong_password_stays_on_login_with_a_message(users, make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "siti", "wrong-password")
        assert isinstance(app.screen, LoginScreen)
        assert "salah" in _text(app.screen.query_one("#login-message"))


async def test_function_keys_switch_sections_the_role_allows(users, make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "agus")  # supervisor
        await pilot.press("f8")
        await settle(app, pilot)
        assert app.current_mode == "supervisor"
        table = app.screen.query_one("#sessions")
        assert table.row_count >= 1  # the supervisor's own session at least
        await pilot.press("f9")  # administration: not for a supervisor
        await settle(app, pilot)
        assert app.current_mode == "supervisor"
        await pilot.press("f2")
        assert app.current_mode == "home"


async def test_logout_returns_to_login_and_forgets_the_sections(users, make_app, services):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "agus")
        await pilot.press("f8")
        await pilot.press("f10")
        await settle(app, pilot)
        assert isinstance(app.screen, LoginScreen)
        assert app.actor is None
        await login(app, pilot, "siti")
        await pilot.press("f8")  # the previous user's supervision section is gone
        assert app.current_mode == "home"


async def test_idle_lock_keeps_work_and_unlocks_with_password(users, make_app):
    app = make_app()
    now = [1000.0]
    app._monotonic = lambda: now[0]
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "agus")
        await pilot.press("f8")
        await settle(app, pilot)
        supervision = app.screen
        now[0] += app.settings.idle_lock_minutes * 60 + 1
        app.check_idle_lock()
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        await pilot.press("f2")  # sections are unreachable while locked
        assert isinstance(app.screen, LockScreen)
        await pilot.press(*"wrong-pass", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, LockScreen)
        await pilot.press(*PASSWORD, "enter")
        await settle(app, pilot)
        assert app.screen is supervision


async def test_session_ended_by_supervisor_logs_the_user_out(users, make_app, services):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "siti")
        services.auth.end_session(users[Role.SUPERVISOR], app.actor.session_id, "counter closed")
        app._heartbeat()
        await settle(app, pilot)
        assert isinstance(app.screen, LoginScreen)
        assert "supervisor" in _text(app.screen.query_one("#login-message"))


async def test_language_switch_translates_key_bar(users, make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "siti")
        assert "Keluar" in _text(app.screen.query_one("KeyBar"))
        await pilot.press("f12")
        await pilot.pause()
        assert "Logout" in _text(app.screen.query_one("KeyBar"))
        assert "Welcome" in _text(app.screen.query_one("#home-text"))


async def test_keymap_override_remaps_a_binding(users, services, clock):
    from screens.app import WorkstationApp
    from workstation.config import with_overrides

    settings = with_overrides(services.settings, keymap={"ws.lock": "ctrl+y"})
    app = WorkstationApp(settings, services=services, clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "siti")
        await pilot.press("f11")
        assert not isinstance(app.screen, LockScreen)
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)


async def test_first_run_creates_the_administrator(services, make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, FirstRunScreen)
        for field, value in (("fr-office-code", "040300"), ("fr-office-name", "KPPBC Tanjung Priok"),
                             ("fr-office-address", "Jl. Pabean No. 1"), ("fr-office-city", "Jakarta"),
                             ("fr-login", "kepala"), ("fr-name", "Kepala Kantor"), ("fr-password", PASSWORD),
                             ("fr-password2", PASSWORD)):
            app.screen.query_one(f"#{field}").value = value
        app.screen.query_one("#fr-password2").focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, LoginScreen)
        assert app.screen.query_one("#login").value == "kepala"
    assert services.settings.effective_key_file.exists()


async def test_admin_creates_a_user_from_the_screen(users, make_app, services):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await login(app, pilot, "admin")
        await pilot.press("f9")
        await settle(app, pilot)
        await pilot.press("n")
        await pilot.pause()
        modal = app.screen  # the one form (screens/widgets/form.py)
        modal.widget("login").value = "rina"
        modal.widget("full_name").value = "Rina Marlina"
        modal.widget("password").value = PASSWORD
        modal.widget("role_inspector").value = True
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        logins = [u.login for u in services.auth.list_users(users[Role.ADMIN])]
        assert "rina" in logins
        # a bad login shows the message and creates nothing
        await pilot.press("n")
        await pilot.pause()
        modal = app.screen
        modal.widget("login").value = "Bad Login"
        modal.widget("full_name").value = "X"
        modal.widget("password").value = PASSWORD
        modal.widget("role_officer").value = True
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is modal and modal.query_one("#form-row-login").has_class("-invalid")
        assert len(services.auth.list_users(users[Role.ADMIN])) == len(logins)


async def test_command_palette_opens_a_section(users, make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "agus")
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Pengawasan")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.current_mode == "supervisor"
