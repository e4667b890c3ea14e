"""The supervisor's screens in Indonesian at 80x24 (#12 items 1-4): no English status word, role or action name
on screen, no internal id where a case or document has a number, dates DD-MM-YYYY; the lists take arrows and
Enter as soon as they open; Enter on an audit entry in Supervision shows it whole and F3 closes it."""

from __future__ import annotations

import re

from textual.widgets import DataTable

from screens.audit import AuditEntryModal
from screens.supervisor import SupervisorScreen
from tests.e2e.conftest import open_section, settle
from tests.services.test_dashboard import demo  # noqa: F401  (the fixture)

# English the Indonesian screens used to show (status words, roles, lanes, states, action names, hints)
ENGLISH = re.compile(r"\b(green|red|GREEN|RED|BILLED|SUBMITTED|APPROVED|supervisor|officer|inspector|examiner|"
                     r"LOCKED|waiting|approved|refused|Logged in|Logged out|Document issued|PLP case|PIB case|"
                     r"e-CD case|Enter: details|A approve|X refuse|Object)\b")
ISO_DATE = re.compile(r"\b20\d\d-\d\d-\d\d\b")


def _screen_text(app) -> str:
    """What the terminal shows, as text (the SVG export's text runs)."""
    import html

    svg = app.export_screenshot()
    return html.unescape(" ".join(re.findall(r"<text[^>]*>(.*?)</text>", svg))).replace("\xa0", " ")


async def _check(app, pilot, where: str) -> str:
    await settle(app, pilot)
    text = _screen_text(app)
    found = ENGLISH.findall(text)
    assert not found, f"{where}: English on screen: {found}"
    assert not ISO_DATE.search(text), f"{where}: a date not DD-MM-YYYY: {ISO_DATE.search(text)[0]}"
    for widget in app.screen.query("*"):  # nothing wider than the terminal (long content scrolls vertically)
        if widget.display and widget.region.width:
            assert widget.region.right <= 80, (where, widget)
    return text


async def test_the_supervisors_screens_speak_indonesian(services, demo, make_app):  # noqa: F811
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(app, pilot, "agus", "f8", "demo12345")
        screen = app.screen
        assert isinstance(screen, SupervisorScreen)
        for tab in ("tab-sessions", "tab-accounts", "tab-prints", "tab-audit"):
            screen.query_one("#sup-tabs").active = tab
            text = await _check(app, pilot, tab)
            if tab == "tab-accounts":
                assert "penyelia" in text or "pengawas" in text  # agus's role, in words
            if tab == "tab-audit":
                # an entry about a case names the case, not its id
                row = next(r for r in services.audit.recent(demo["agus"], 100) if r.entity_type.startswith("case:"))
                assert row.subject and row.entity_id[:12] not in text
        for key, name in (("b", "dashboard"), ("a", "audit viewer"), ("l", "daily report")):
            await pilot.press(key)
            await _check(app, pilot, name)
            await pilot.press("f3")  # back to Supervision, as Escape
            await settle(app, pilot)
            assert app.screen is screen, name
        for key, name in (("ctrl+o", "approvals"), ("ctrl+g", "risk"), ("ctrl+y", "sync")):
            await pilot.press(key)
            await _check(app, pilot, name)


async def test_supervision_lists_take_arrows_and_enter_at_once(services, demo, make_app):  # noqa: F811
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(app, pilot, "agus", "f8", "demo12345")
        screen = app.screen
        assert isinstance(screen.focused, DataTable) and screen.focused.id == "sessions"
        # v verifies the chain and brings the audit list, with its cursor, forward
        await pilot.press("v")
        await settle(app, pilot)
        audit = screen.query_one("#audit", DataTable)
        assert screen.focused is audit and audit.row_count
        await pilot.press("down")
        assert audit.cursor_row == 1
        seq = int(audit.coordinate_to_cell_key(audit.cursor_coordinate).row_key.value)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, AuditEntryModal) and app.screen.detail.row.seq == seq
        await pilot.press("f3")
        await settle(app, pilot)
        assert app.screen is screen
