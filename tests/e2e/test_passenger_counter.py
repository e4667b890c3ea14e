"""The passenger counter as an officer drives it at 80×24: a keyboard-wedge scan of a red e-CD, findings,
reassessment, payment and release; a reader scan of a green e-CD diverted to red (OFFICER_DIVERSION on screen)
and cleared back with a supervisor's confirmation; the queue; bad input that writes nothing."""

from __future__ import annotations

import sys
import time

import pytest
from sqlalchemy import select

from db.models_passenger import EcdFinding
from screens.dialogs import PromptModal, SupervisorConfirmModal
from screens.passenger import CounterScreen, DocumentsListModal, FormModal
from tests.conftest import PASSWORD
from tests.e2e.conftest import login, settle
from tests.services.passenger_support import base_doc, counts, green_doc, setup, text
from workstation.domain.codes import Role

RED_ID = "ECD-20261121-000123"
GREEN_ID = "ECD-20261121-000200"


def panel(app) -> str:
    return str(app.screen.query_one("#ecd-decision").render())


async def open_counter(app, pilot, who: str = "siti") -> CounterScreen:
    app.translator.set_language("en")
    await login(app, pilot, who)
    await pilot.press("f3")
    await settle(app, pilot)
    assert isinstance(app.screen, CounterScreen)
    return app.screen


async def wedge(app, pilot, code: str) -> None:
    """What a keyboard-wedge reader does: type the payload, then Enter."""
    await pilot.press(*code, "enter")
    await settle(app, pilot)


async def fill(app, pilot, **values: str) -> None:
    """Fill the open form and submit it (Ctrl+S, the form's submit key)."""
    form = app.screen
    assert isinstance(form, FormModal)
    for name, value in values.items():
        form.query_one(f"#form-{name}").value = value
    await pilot.pause()
    await pilot.press("ctrl+s")
    await settle(app, pilot)


async def test_whole_counter_flow_scan_red_findings_assessment_payment_release(services, users, make_app):
    setup(services, users)
    services.ecd.import_ecd(users[Role.OFFICER], text(base_doc()))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_counter(app, pilot)
        assert app.screen.focused.id == "ecd-scan"
        await wedge(app, pilot, f"]Q1ECD:{RED_ID}")
        body = panel(app)
        assert "RED LANE" in body and RED_ID in body
        assert "VALUE_OVER_ALLOWANCE — personal goods above the allowance" in body
        assert "PMK-34-2025" in body and "Laptop" in body and "Rp2.476.000" in body
        assert app.screen.focused.id == "ecd-panel"
        # the finding: the laptop is worth more than declared
        await pilot.press("f")
        await settle(app, pilot)
        await fill(app, pilot, value="1500.00", hs_code="8471300000", note="invoice")
        assert isinstance(app.screen, CounterScreen) and screen.view.state == "INSPECTING"
        assert "found [FOUND] 1500.00 USD" in panel(app)
        # undeclared goods
        await pilot.press("f")
        await settle(app, pilot)
        await fill(app, pilot, item="", status="UNDECLARED", description="Mobile phone", value="300", currency="USD")
        assert [f.status for f in screen.view.findings] == ["FOUND", "UNDECLARED"]
        await pilot.press("a")  # reassess
        await settle(app, pilot)
        v = screen.view
        assert v.state == "BILLED" and v.billing.amount_idr == 4597000
        assert v.billing.code in panel(app) and "Rp4.597.000" in panel(app)
        await pilot.press("y")  # payment
        await settle(app, pilot)
        assert app.screen.query_one("#form-billing_code").value == v.billing.code
        await fill(app, pilot, receipt_number="NTPN1234567890AB", amount_idr="4597000", channel="QRIS")
        assert screen.view.state == "PAID" and "paid NTPN1234567890AB (QRIS)" in panel(app)
        await pilot.press("l")  # release
        await settle(app, pilot)
        assert isinstance(app.screen, PromptModal)
        await pilot.press("enter")
        await settle(app, pilot)
        v = screen.view
        assert v.state == "RELEASED" and [d.doc_type for d in v.documents] == ["ECD-BILL", "ECD-KWT", "ECD-SPPB"]
        assert "[RELEASED]" in panel(app)
        await pilot.press("v")
        await settle(app, pilot)
        assert isinstance(app.screen, DocumentsListModal)
        await pilot.press("enter")  # the release approval's preview
        await settle(app, pilot)
        assert "PERSETUJUAN PENGELUARAN" in str(app.screen.query_one("#doc-text").render())


@pytest.mark.skipif(sys.platform != "linux", reason="pseudo-terminals")
async def test_reader_scan_divert_and_dual_authorised_clear(services, users, clock, tmp_path):
    from devices.sim.simulators import make_simulator
    from screens.app import WorkstationApp
    from workstation.config import with_overrides

    setup(services, users)
    services.ecd.import_ecd(users[Role.OFFICER], text(green_doc()))
    reader = make_simulator("barcode", link=str(tmp_path / "qr"))
    settings = with_overrides(services.settings, devices=[{"name": "counter-qr", "kind": "barcode",
                                                            "port": str(tmp_path / "qr"), "baud": 115200}])
    services.ctx.settings = settings
    app = WorkstationApp(settings, services=services, clock=clock)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_counter(app, pilot)
            deadline = time.monotonic() + 10
            while "counter-qr●" not in app.device_summary and time.monotonic() < deadline:
                await pilot.pause(0.05)
            reader.scan(f"ECD:{GREEN_ID}")
            while screen.view is None and time.monotonic() < deadline:
                await pilot.pause(0.05)
            await settle(app, pilot)
            assert "GREEN LANE" in panel(app) and screen.view.state == "GREEN"
            # The keys come from the workflow table: divert applies to a green case, clear does not.
            assert screen.check_action("act", ("divert",)) and not screen.check_action("act", ("clear",))
            keys = str(app.screen.query_one("#ecd-actions").render())
            assert "d divert" in keys and "c clear" not in keys
            await pilot.press("c")  # greyed out: nothing happens
            await settle(app, pilot)
            assert isinstance(app.screen, CounterScreen) and screen.view.state == "GREEN"
            await pilot.press("d")  # divert: a reason is required
            await settle(app, pilot)
            assert isinstance(app.screen, PromptModal)
            await pilot.press("enter")  # empty: refused in the dialog
            assert isinstance(app.screen, PromptModal)
            await pilot.press(*"koper berat", "enter")
            await settle(app, pilot)
            body = panel(app)
            assert "RED LANE" in body and screen.view.state == "RED"
            assert "OFFICER_DIVERSION — diverted to red by the officer: “koper berat”" in body
            await pilot.press("c")  # clear to green: reason, then the supervisor confirms
            await settle(app, pilot)
            await pilot.press(*"isi koper sesuai", "enter")
            await settle(app, pilot)
            assert isinstance(app.screen, SupervisorConfirmModal)
            app.screen.query_one("#sup-login").value = "agus"
            app.screen.query_one("#sup-password").value = "wrong-password"
            app.screen.query_one("#sup-password").focus()
            await pilot.press("enter")
            await settle(app, pilot)
            assert isinstance(app.screen, SupervisorConfirmModal)  # refused: still asking
            assert screen.view.state == "RED"
            app.screen.query_one("#sup-password").value = PASSWORD
            await pilot.press("enter")
            await settle(app, pilot)
            assert isinstance(app.screen, CounterScreen)
            v = screen.view
            assert v.state == "GREEN" and v.cleared.confirmed_by == "agus"
            body = panel(app)
            assert "GREEN LANE" in body and "Cleared to green by siti, confirmed by agus" in body
            assert "OFFICER_DIVERSION" in body  # the history stays visible
            await pilot.press("l")
            await settle(app, pilot)
            await pilot.press("enter")
            await settle(app, pilot)
            assert screen.view.state == "RELEASED"
            assert screen.allowed == {"ecd.slip"} and not screen.check_action("act", ("divert",))
    finally:
        reader.close()


async def test_a_wedge_scan_while_the_panel_has_focus_goes_to_the_scan_field(services, users, make_app):
    setup(services, users)
    services.ecd.import_ecd(users[Role.OFFICER], text(base_doc()))
    services.ecd.import_ecd(users[Role.OFFICER], text(green_doc()))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_counter(app, pilot)
        await wedge(app, pilot, f"ECD:{RED_ID}")
        assert app.screen.focused.id == "ecd-panel" and screen.view.ecd_id == RED_ID
        before = counts(services)
        # the next passenger's code typed by the reader while the panel has the focus: no action runs
        await wedge(app, pilot, f"ECD:{GREEN_ID}")
        assert isinstance(app.screen, CounterScreen) and screen.view.ecd_id == GREEN_ID
        # and from the queue tab, whose keys (filters, flight, oral...) must not fire either
        await pilot.press("ctrl+t")
        await settle(app, pilot)
        assert app.screen.query_one("#ecd-tabs").active == "tab-queue"
        await wedge(app, pilot, f"]Q1ECD:{RED_ID}")
        assert isinstance(app.screen, CounterScreen) and screen.view.ecd_id == RED_ID
        assert app.screen.query_one("#ecd-tabs").active == "tab-counter"
        assert counts(services) == before


async def test_bad_scans_and_bad_form_fields_write_nothing(services, users, make_app):
    setup(services, users)
    services.ecd.import_ecd(users[Role.OFFICER], text(base_doc()))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_counter(app, pilot)
        before = counts(services)
        await wedge(app, pilot, "ECD1:not-a-payload")
        assert screen.view is None and app.screen.focused.id == "ecd-scan"
        assert any("e-CD code not readable" in n.message for n in app._notifications)
        await wedge(app, pilot, "ECD:ECD-NOPE")
        assert any("no stored e-CD ECD-NOPE" in n.message for n in app._notifications)
        await wedge(app, pilot, f"ECD:{RED_ID}")
        await pilot.press("f")
        await settle(app, pilot)
        await fill(app, pilot, hs_code="84x", value="1500")
        form = app.screen
        assert isinstance(form, FormModal)  # still open, with the message, the field focused
        assert "HS code of 4 to 10 digits" in str(form.query_one("#form-error").render())
        assert form.focused.id == "form-hs_code"
        form.query_one("#form-hs_code").value = "8471300000"
        form.query_one("#form-currency").value = "GBP"  # no NDPBM rate on the arrival date
        await fill(app, pilot)
        assert "no NDPBM rate for GBP" in str(app.screen.query_one("#form-error").render())
        await pilot.press("escape")  # typed values: the form asks before throwing them away
        await settle(app, pilot)
        if not isinstance(app.screen, (CounterScreen, FormModal)):
            await pilot.press("enter")  # discard
            await settle(app, pilot)
        assert counts(services) == before
        await pilot.press("y")  # no payment on a case that is not billed: the key does nothing
        await settle(app, pilot)
        assert isinstance(app.screen, CounterScreen)
        with services.ctx.db.read() as s:
            assert s.scalars(select(EcdFinding)).all() == []


async def test_search_by_passport_and_the_queue_by_flight_and_lane(services, users, make_app):
    setup(services, users)
    officer = users[Role.OFFICER]
    services.ecd.import_ecd(officer, text(base_doc()))
    services.ecd.import_ecd(officer, text(green_doc()))
    arrival = {"date": "2026-11-21", "port": "CGK", "carrier": "SQ", "flight": "SQ956", "from_port": "SIN"}
    services.ecd.import_ecd(officer, text(green_doc("ECD-SQ-1", arrival=arrival,
                                                    declarant={**base_doc()["declarant"], "name": "Wong Mei Ling",
                                                               "passport": "E7654321"})))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_counter(app, pilot)
        await wedge(app, pilot, "e7654321")  # a passport typed at the scan field
        assert screen.view.ecd_id == "ECD-SQ-1"
        await pilot.press("slash")
        await wedge(app, pilot, "GA881")  # two on that flight: a list to choose from
        results = app.screen.query_one("#ecd-results")
        assert results.display and results.row_count == 2
        await pilot.press("down", "enter")
        await settle(app, pilot)
        assert screen.view.ecd_id in (RED_ID, GREEN_ID) and not results.display
        await pilot.press("ctrl+t")  # the queue of the day
        await settle(app, pilot)
        queue = app.screen.query_one("#ecd-queue")
        assert queue.row_count == 3
        counters = str(app.screen.query_one("#ecd-qcounts").render())
        assert "21-11-2026: red 1 · green 2" in counters
        await pilot.press("2")  # red lane only
        await settle(app, pilot)
        # the reason code in full, as DOMAIN.md spells it (a cell may be Text: stored text shown as text)
        assert queue.row_count == 1 and str(queue.get_row_at(0)[-1]) == "VALUE_OVER_ALLOWANCE"
        await pilot.press("1", "g")
        await settle(app, pilot)
        await pilot.press(*"sq956", "enter")
        await settle(app, pilot)
        assert queue.row_count == 1 and "red 0 · green 1 · SQ956" in str(app.screen.query_one("#ecd-qcounts").render())
        await pilot.press("enter")  # open it at the counter
        await settle(app, pilot)
        assert screen.view.ecd_id == "ECD-SQ-1" and app.screen.query_one("#ecd-tabs").active == "tab-counter"


async def test_oral_declaration_and_demo_scan_key(services, users, make_app):
    from workstation.config import with_overrides

    setup(services, users)
    services.ecd.import_ecd(users[Role.OFFICER], text(green_doc()))
    services.ctx.settings = with_overrides(services.settings, demo=True)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_counter(app, pilot)
        await pilot.press("f5")  # demo: types a stored ECD: code into the scan field
        await settle(app, pilot)
        assert screen.view is not None and screen.view.ecd_id == GREEN_ID
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        await fill(app, pilot, group="over_60", name="Haji Slamet", passport="B1112223", birth_date="01-02-1950",
                   flight="GA981", goods="Kurma", value="80")
        assert screen.view.source == "oral" and screen.view.ecd_id == "ORAL-20261121-0001"
        assert "oral declaration: over 60 years old [over_60]" in panel(app)
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        await fill(app, pilot, group="over_60", name="Muda", passport="B9", birth_date="01-01-2000")
        assert "ORAL_NOT_ALLOWED" not in str(app.screen.query_one("#form-error").render())  # words, not the code
        assert "oral declaration is not allowed for over_60" in str(app.screen.query_one("#form-error").render())


async def test_with_no_supervisor_at_the_counter_a_clearance_goes_to_the_approvals_inbox(services, users, make_app):
    setup(services, users)
    services.ecd.import_ecd(users[Role.OFFICER], text(base_doc()))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_counter(app, pilot)
        await wedge(app, pilot, f"ECD:{RED_ID}")
        assert screen.view.state == "RED"
        await pilot.press("c")
        await settle(app, pilot)
        await pilot.press(*"diplomatic bag", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, SupervisorConfirmModal)
        await pilot.press("ctrl+o")
        await settle(app, pilot)
        assert isinstance(app.screen, CounterScreen) and screen.view.state == "RED"
    pending = services.approvals.inbox(users[Role.SUPERVISOR])
    assert [(r.kind, r.subject, r.reason) for r in pending] == [("ECD_CLEAR", RED_ID, "diplomatic bag")]
