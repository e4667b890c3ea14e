"""SVG snapshots at 80x24 (the smallest terminal we promise). The status bar names the database back end,
so the pictures are taken on SQLite only; the same screens run on PostgreSQL in the other e2e tests."""

from __future__ import annotations

import pytest

from tests.conftest import BACKEND
from tests.e2e.conftest import login, settle

pytestmark = pytest.mark.skipif(BACKEND != "sqlite", reason="snapshots show the back end name; taken on SQLite")

DEMO = [("admin", "demo12345", "admin"), ("siti", "demo12345", "officer")]


def test_login_screen_80x24(snap_compare, make_app, users):
    async def ready(pilot):
        await settle(pilot.app, pilot)

    assert snap_compare(make_app(demo_accounts=DEMO), terminal_size=(80, 24), run_before=ready)


def test_supervisor_home_80x24(snap_compare, make_app, users):
    async def logged_in(pilot):
        await login(pilot.app, pilot, "agus")

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=logged_in)


# -- #12 item 10: the shell's screens at 80x24, in Indonesian, in English and with the console's colours --------
async def steady(pilot) -> None:
    """Workers done and no blinking cursor: the picture is the same on every run."""
    from textual.widgets import Input

    await settle(pilot.app, pilot)
    for screen in pilot.app.screen_stack:
        for field in screen.query(Input):
            field.cursor_blink = False
    await pilot.pause()

def test_login_error_80x24(snap_compare, make_app, users):
    async def failed(pilot):
        await login(pilot.app, pilot, "siti", "salah-sandi")
        await steady(pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=failed)


def test_first_run_80x24(snap_compare, make_app, services):
    async def ready(pilot):
        await settle(pilot.app, pilot)
        await steady(pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=ready)


@pytest.mark.parametrize("who", ["siti", "budi", "dewi", "admin"])
def test_home_of_each_role_80x24(snap_compare, make_app, users, who):
    async def logged_in(pilot):
        await login(pilot.app, pilot, who)
        await steady(pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=logged_in)


def test_key_panel_80x24(snap_compare, make_app, users):
    async def keys(pilot):
        await login(pilot.app, pilot, "siti")
        await pilot.press("f1")
        await pilot.pause()
        await steady(pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=keys)


def test_lock_screen_80x24(snap_compare, make_app, users):
    async def locked(pilot):
        await login(pilot.app, pilot, "siti")
        await pilot.press("f11")
        await settle(pilot.app, pilot)
        await steady(pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=locked)


def _office_form(pilot):
    from screens.office import OfficeFormModal

    view = pilot.app.services.office.get()
    return OfficeFormModal(view)


def test_form_with_an_error_80x24(snap_compare, make_app, users):
    async def error(pilot):
        await login(pilot.app, pilot, "admin")
        modal = _office_form(pilot)
        pilot.app.push_screen(modal)
        await pilot.pause()
        modal.query_one("#office-code").value = "0403"
        await pilot.press("ctrl+s")
        await settle(pilot.app, pilot)
        await steady(pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=error)


def test_discard_confirmation_80x24(snap_compare, make_app, users):
    async def discard(pilot):
        await login(pilot.app, pilot, "admin")
        pilot.app.push_screen(_office_form(pilot))
        await pilot.pause()
        await pilot.press("tab", "end", *" Baru")  # the office name: changed
        await pilot.press("f3")
        await pilot.pause()
        await steady(pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=discard)


def test_login_in_english_80x24(snap_compare, make_app, users):
    async def english(pilot):
        await settle(pilot.app, pilot)
        pilot.app._set_language("en")
        await pilot.pause()
        await steady(pilot)

    assert snap_compare(make_app(demo_accounts=DEMO), terminal_size=(80, 24), run_before=english)


def test_officer_home_in_english_80x24(snap_compare, make_app, users):
    async def english(pilot):
        await login(pilot.app, pilot, "siti")
        pilot.app._set_language("en")
        await pilot.pause()
        await steady(pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=english)


@pytest.fixture
def console(monkeypatch):
    monkeypatch.setenv("WORKSTATION_CONSOLE_COLOURS", "1")


def test_login_console_colours_80x24(snap_compare, make_app, users, console):
    async def ready(pilot):
        await settle(pilot.app, pilot)
        await steady(pilot)

    assert snap_compare(make_app(demo_accounts=DEMO), terminal_size=(80, 24), run_before=ready)


def test_officer_home_console_colours_80x24(snap_compare, make_app, users, console):
    async def logged_in(pilot):
        await login(pilot.app, pilot, "siti")
        await steady(pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=logged_in)
