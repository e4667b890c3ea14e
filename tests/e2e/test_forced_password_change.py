"""After an administrator's password reset the login asks for a new password before any section (issue #15
item 3), at 80×24 from the keyboard: the old one is what was just typed, the new one asked twice, Ctrl+S saves;
Escape ends the session."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import User, UserSession
from screens.login import LoginScreen
from screens.widgets.form import FormModal
from tests.e2e.conftest import login, settle
from workstation.domain.codes import Role
from workstation.services.auth import PasswordChangeActor

TEMP = "dari-admin-1"
MINE = "pilihan-saya-2"


def _flag(services, login_: str) -> bool:
    with services.ctx.db.read() as s:
        return s.scalar(select(User.must_change_password).where(User.login == login_))


def _error(app) -> str:
    return str(app.screen.query_one("#form-error").render())


async def _type(pilot, text: str) -> None:
    await pilot.press(*text)


async def test_the_new_password_is_asked_before_any_section(users, make_app, services):
    services.admin.reset_password(users[Role.ADMIN], "siti", TEMP)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "siti", TEMP)
        form = app.screen
        assert isinstance(form, FormModal) and form.id_prefix == "newpw-"
        assert isinstance(app.actor, PasswordChangeActor) and app._section_modes == []
        assert form.focused is form.widget("password")
        assert form.query_one("Vertical").region.height <= 24 and form.query_one("Vertical").region.width <= 80
        await pilot.press("f5")  # a section key does nothing: no section is open to a pending session
        await pilot.pause()
        assert app.screen is form

        # typed as a user types: the new one, Enter, a different repetition, Enter (submits on the last field)
        await _type(pilot, MINE)
        await pilot.press("enter")
        assert form.focused is form.widget("again")
        await _type(pilot, "something-else")
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is form and _flag(services, "siti")
        assert form.query_one("#form-row-again").has_class("-invalid")

        # the old password again is refused by the service, said under the field
        form.widget("password").value = TEMP
        form.widget("again").value = TEMP
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is form and form.query_one("#form-row-password").has_class("-invalid")
        assert _flag(services, "siti")

        form.widget("password").value = MINE
        form.widget("again").value = MINE
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert not isinstance(app.screen, FormModal | LoginScreen)
        assert app.actor is not None and type(app.actor) is not PasswordChangeActor
        assert app._section_modes  # the officer's sections are there now
        await pilot.press("f10")  # log out, then the chosen password is an ordinary login
        await settle(app, pilot)
        assert isinstance(app.screen, LoginScreen)
        await login(app, pilot, "siti", MINE)
        assert not isinstance(app.screen, FormModal | LoginScreen) and app.actor.login == "siti"
    assert not _flag(services, "siti")


@pytest.mark.parametrize(("key", "reason"), [
    ("escape", "password_not_changed"),  # nothing typed: no confirmation to discard; the login screen says why
    ("f10", "logout"),  # "Log out" on every screen of a session, this form too (a modal takes no app key)
])
async def test_escape_or_f10_ends_the_session_and_keeps_the_flag(users, make_app, services, key, reason):
    services.admin.reset_password(users[Role.ADMIN], "siti", TEMP)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "siti", TEMP)
        assert isinstance(app.screen, FormModal)
        hint = str(app.screen.query_one("#form-hint").render())  # the form says so, in the app's language
        assert hint == app.tr("Ctrl+S save · Enter next field · Esc/F3 cancel · F10 log out") and "F10" in hint
        session_id = app.actor.session_id
        await pilot.press(key)
        await settle(app, pilot)
        assert isinstance(app.screen, LoginScreen) and app.actor is None
        if key == "escape":
            assert str(app.screen.query_one("#login-message").render())
    with services.ctx.db.read() as s:
        sess = s.get(UserSession, session_id)
        assert sess.ended_at is not None and sess.end_reason == reason
    assert _flag(services, "siti")


async def test_the_app_holds_the_pending_session_idle_lock_and_exit(users, make_app, services):
    """The form is over the login screen, but the app knows the session: the idle lock covers it and the end
    of the process ends it (as for any logged-in user)."""
    from screens.lock import LockScreen

    services.admin.reset_password(users[Role.ADMIN], "siti", TEMP)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "siti", TEMP)
        session_id = app.actor.session_id
        app._monotonic = lambda: 10.0 ** 9  # far past the idle limit
        app.check_idle_lock()
        await settle(app, pilot)
        assert isinstance(app.screen, LockScreen)
        await pilot.press(*TEMP, "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, FormModal)  # unlocked: back on the form
        assert app.end_session_at_exit("quit") is True
    with services.ctx.db.read() as s:
        assert s.get(UserSession, session_id).end_reason == "quit"
