"""The approvals inbox on the screen at 80×24: a supervisor sees another user's request and approves it; the
requester's own tab shows the answer."""

from __future__ import annotations

from textual.widgets import DataTable

from screens.approvals import ApprovalsScreen
from tests.e2e.conftest import open_section, settle
from tests.services.passenger_support import base_doc, setup, text
from workstation.domain.codes import Role


async def test_a_supervisor_approves_a_clearance_from_the_inbox(services, users, make_app):
    setup(services, users)
    officer = users[Role.OFFICER]
    v = services.ecd.import_ecd(officer, text(base_doc())).view
    req = services.approvals.request_clearance(officer, v.case.id, v.version, "diplomatic bag")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(app, pilot, "agus", "ctrl+o")
        assert isinstance(app.screen, ApprovalsScreen)
        table = app.screen.query_one("#inbox", DataTable)
        assert table.row_count == 1 and v.ecd_id in str(table.get_row_at(0))
        await pilot.press("a")
        await settle(app, pilot)
        assert services.approvals.get(req.id).state == "APPROVED"
        assert services.ecd.get(v.case.id).lane == "green"
        assert table.row_count == 0


async def test_the_requester_sees_the_answer_in_their_own_tab(services, users, make_app):
    setup(services, users)
    officer = users[Role.OFFICER]
    v = services.ecd.import_ecd(officer, text(base_doc())).view
    req = services.approvals.request_clearance(officer, v.case.id, v.version, "diplomatic bag")
    services.approvals.refuse(users[Role.SUPERVISOR], req.id, req.version, "inspect it")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(app, pilot, "siti", "ctrl+o")
        mine = app.screen.query_one("#mine", DataTable)
        row = [str(c) for c in mine.get_row_at(0)]
        assert v.ecd_id in row[1] and "inspect it" in row[4]
