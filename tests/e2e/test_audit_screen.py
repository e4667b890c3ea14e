"""The audit viewer at 80×24: from Supervision (a), the newest entries with translated action names; a filter
typed in the fields narrows them; Enter shows an entry whole, its stored text never read as markup; the anchors;
chain verification; a bad day is refused with the field's message. Locking the screen (F11) is audited."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Static

from screens.audit import AuditEntryModal, AuditScreen
from screens.lock import LockScreen
from tests.e2e.conftest import login, open_section, settle
from tests.services.test_dashboard import demo  # noqa: F401  (the fixture)
from workstation.services.audit import AuditFilter

HOSTILE = "[bold red]x[/] [link=http://evil]klik[/link]"


async def test_audit_viewer_filters_detail_anchors_and_verify(services, demo, make_app):  # noqa: F811
    sup = demo["agus"]
    services.audit.anchor(sup, "manual")
    # an entry whose payload carries markup (an importer's name, say)
    services.pib.block_importer(sup, "01.234.567.8-901.000", HOSTILE, "uji")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(app, pilot, "agus", "f8", "demo12345")
        await pilot.press("a")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        newest = services.audit.search(sup, AuditFilter(), limit=200)
        assert [r.seq for r in screen.rows] == [r.seq for r in newest]
        table = screen.query_one("#audit-entries", DataTable)
        assert table.row_count == len(newest)
        actions = {str(table.get_row_at(i)[3]) for i in range(table.row_count)}
        assert "Masuk" in actions or "Logged in" in actions  # the name, the code is in the entry's detail
        # what an entry is about: a case by its reference, a document by its number, never an internal id
        about = {r.seq: str(table.get_row(str(r.seq))[4]) for r in newest}
        for r in newest:
            if r.entity_type.startswith("case") or r.entity_type == "document":
                assert r.subject and about[r.seq] == (r.subject if len(r.subject) <= 24 else r.subject[:23] + "…")
                assert r.entity_id[:8] not in about[r.seq]
        assert any(r.entity_type.startswith("case:") for r in newest)
        assert table.region.right <= 80

        # Escape in a filter field goes back to the list (it does not leave the viewer); letters type there
        await pilot.press("f")
        await pilot.press(*"xv", "escape")
        await pilot.pause()
        assert app.screen is screen and screen.focused is table
        assert screen.query_one("#f-user", Input).value == "xv"
        screen.query_one("#f-user", Input).value = ""

        # filter: dewi's entries only
        await pilot.press("f")
        await pilot.press(*"dewi", "enter")
        await settle(app, pilot)
        assert screen.rows and {r.actor_login for r in screen.rows} == {"dewi"}
        assert [r.seq for r in screen.rows] == [r.seq for r in services.audit.search(sup, AuditFilter(user="dewi"))]

        # Enter on the first entry: the whole entry as plain text
        table.focus()
        table.move_cursor(row=0)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, AuditEntryModal)
        text = str(app.screen.query_one("#entry-text", Static).render())
        first = screen.rows[0]
        assert f"#{first.seq}" in text and "dewi" in text and "row_hash" in text
        assert f"[{first.action}]" in text  # the action's name with its code beside it
        await pilot.press("f3")  # F3 closes as Escape does
        await pilot.pause()
        assert app.screen is screen

        # an entry carrying markup in its payload is shown literally
        for name, value in (("user", ""), ("action", "importer.block")):
            screen.query_one(f"#f-{name}", Input).value = value
        screen.query_one("#f-action", Input).focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert {r.action for r in screen.rows} == {"importer.block"}
        table.move_cursor(row=0)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, AuditEntryModal)
        text = str(app.screen.query_one("#entry-text", Static).render())
        assert HOSTILE in text  # the newest: ours
        await pilot.press("escape")
        await pilot.pause()

        # a day in the wrong format names the field
        screen.query_one("#f-from", Input).value = "2026/11/21"
        screen.query_one("#f-from", Input).focus()
        await pilot.press("enter")
        await settle(app, pilot)
        state = str(screen.query_one("#audit-state", Static).render())
        assert "from" in state and "DD-MM-YYYY" in state
        assert not [n for n in app._notifications if n.severity == "error"]  # it fits its line: said once

        # a whole day typed is seen whole, the cursor after it included (a 10-cell field showed "1-12-2026")
        for name in ("from", "to"):
            field = screen.query_one(f"#f-{name}", Input)
            field.value = ""
            field.focus()
            await pilot.press(*"31-12-2026")
            await pilot.pause()
            assert field.scroll_offset.x == 0 and field.content_region.width >= len("31-12-2026") + 1

        # anchors tab lists the anchor made above
        anchors = screen.query_one("#audit-anchors", DataTable)
        assert anchors.row_count == len(services.audit.anchors(sup)) >= 1

        # verification with progress, as in Supervision
        screen.query_one("#audit-entries", DataTable).focus()
        await pilot.press("v")
        await settle(app, pilot)
        assert "intact" in str(screen.query_one("#audit-state", Static).render()).lower() or "utuh" in str(
            screen.query_one("#audit-state", Static).render()).lower()
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, AuditScreen)


async def test_locking_the_screen_is_audited(services, demo, make_app):  # noqa: F811
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "dewi", "demo12345")
        await pilot.press("f11")
        await settle(app, pilot)
        assert isinstance(app.screen, LockScreen)
        await pilot.press(*"demo12345", "enter")
        await settle(app, pilot)
        assert not isinstance(app.screen, LockScreen)
    rows = services.audit.search(demo["agus"], AuditFilter(user="dewi", action="auth."), limit=2)
    assert [r.action for r in rows] == ["auth.unlock_screen", "auth.lock_screen"]
    assert '"reason":"manual"' in rows[1].payload
