"""The lock screen holds (#11 item 4): while locked, Ctrl+Q, Ctrl+C, the command palette and every other
binding do nothing; only the password unlocks, or logs out (F10)."""

from __future__ import annotations

from sqlalchemy import select
from textual.command import CommandPalette

from screens.lock import LockScreen
from screens.login import LoginScreen
from tests.conftest import PASSWORD
from tests.e2e.conftest import login, settle


async def _locked(app, pilot):
    await login(app, pilot, "agus")
    await pilot.press("f11")
    await pilot.pause()
    assert isinstance(app.screen, LockScreen)


async def test_quit_and_the_palette_do_nothing_while_locked(users, make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _locked(app, pilot)
        for key in ("ctrl+q", "ctrl+c", "ctrl+p", "f10", "f12", "f2", "f8", "f1"):
            await pilot.press(key)
            await pilot.pause()
            assert app.is_running and app.return_code is None, key
            assert isinstance(app.screen, LockScreen), key
            assert not CommandPalette.is_open(app), key
        assert app.translator.lang == app.settings.language  # F12 did not switch the language
        # the palette's "Quit" (and any caller of the action) is refused as well
        assert not await app.run_action("quit")
        await app.action_quit()
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, LockScreen)
        await pilot.press(*PASSWORD, "enter")
        await settle(app, pilot)
        assert not isinstance(app.screen, LockScreen)
        await pilot.press("ctrl+p")  # unlocked: the palette opens again
        await pilot.pause()
        assert CommandPalette.is_open(app)


async def test_logging_out_from_the_lock_screen_needs_the_password(users, make_app, services):
    from db.models import UserSession

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _locked(app, pilot)
        session_id = app.actor.session_id
        await pilot.press("f10")  # nothing typed: stays locked
        await settle(app, pilot)
        assert isinstance(app.screen, LockScreen)
        await pilot.press(*"wrong-pass", "f10")
        await settle(app, pilot)
        assert isinstance(app.screen, LockScreen) and app.actor is not None
        await pilot.press(*PASSWORD, "f10")
        await settle(app, pilot)
        assert isinstance(app.screen, LoginScreen) and app.actor is None
    with services.ctx.db.read() as s:
        sess = s.scalar(select(UserSession).where(UserSession.id == session_id))
        assert sess.ended_at is not None and sess.end_reason == "logout"


async def test_locking_is_audited_like_unlocking_and_escape_or_f3_do_not_unlock(users, make_app, services):
    from db.models import AuditEntry

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _locked(app, pilot)
        await settle(app, pilot)
        for key in ("escape", "f3"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, LockScreen), key
        await pilot.press(*PASSWORD, "enter")
        await settle(app, pilot)
        assert not isinstance(app.screen, LockScreen)
    with services.ctx.db.read() as s:
        rows = s.execute(select(AuditEntry.action, AuditEntry.payload, AuditEntry.actor_login)
                         .where(AuditEntry.action.in_(("auth.lock_screen", "auth.unlock_screen")))
                         .order_by(AuditEntry.seq)).all()
    assert [(r.action, r.actor_login) for r in rows] == [("auth.lock_screen", "agus"), ("auth.unlock_screen", "agus")]
    assert '"manual"' in rows[0].payload  # F11, not the idle timer
