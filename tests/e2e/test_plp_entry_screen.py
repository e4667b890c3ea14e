"""The warehouse section at 80x24: a request typed in (checked, then registered; bad input names the field and
writes nothing; a refused one is kept only on a second Ctrl+S), the occupancy strip, and the TPS registry
(occupancy reports by the officer; the register itself for supervisors only)."""

from __future__ import annotations

from sqlalchemy import func, select
from textual.widgets import DataTable, Input, Select, Static, TextArea

from db.models import Case
from screens.warehouse import PlpEntryModal, PlpRequestModal, WarehouseScreen
from screens.widgets.form import FormModal
from tests.e2e.conftest import login, settle
from workstation.demo.plp import sample_tps_csv
from workstation.domain.codes import Role


def _cases(services) -> int:
    with services.ctx.db.read() as s:
        return s.scalar(select(func.count()).select_from(Case))


def _setup(services, users) -> None:
    services.issuance.ensure_office_key()
    services.plp.import_tps(users[Role.SUPERVISOR], sample_tps_csv())


async def _open_section(app, pilot, who: str = "siti") -> None:
    await login(app, pilot, who)
    await pilot.press("f6")
    await settle(app, pilot)
    assert isinstance(app.screen, WarehouseScreen)


async def _fill(app, pilot, *, reason: str, containers: str) -> None:
    m = app.screen
    assert isinstance(m, PlpEntryModal)
    m.query_one("#new-reason", Select).value = reason
    m.query_one("#new-origin", Select).value = "KOJA"
    m.query_one("#new-destination", Select).value = "MTI1"
    await pilot.pause()
    m.query_one("#new-bc11", Input).value = "001234"
    m.query_one("#new-bc11-date", Input).value = "18-11-2026"
    m.query_one("#new-containers", TextArea).text = containers
    m.query_one("#new-containers", TextArea).focus()


def _result(app) -> str:
    return str(app.screen.query_one("#plpnew-result", Static).render())


async def test_typed_request_is_checked_then_registered(services, users, make_app):
    _setup(services, users)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_section(app, pilot)
        assert "KOJA 73.7!" in str(app.screen.query_one("#plp-yor", Static).render())
        await pilot.press("n")
        await settle(app, pilot)
        await _fill(app, pilot, reason="YOR_OVER_THRESHOLD", containers="CSQU 305438 3 40\nMSCU6639870 20")
        # the registry's figures come in as a start
        assert app.screen.query_one("#new-origin-yor", Input).value == "73.7"
        assert app.screen.query_one("#new-destination-yor", Input).value == "40.0"
        await pilot.press("ctrl+t")
        await settle(app, pilot)
        assert app.tr("Eligible") in _result(app)
        assert "YOR_OVER_THRESHOLD" in _result(app) and _cases(services) == 0  # a check writes nothing
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, PlpRequestModal)  # the new request, opened for the decision
        d = app.screen.detail
        assert d.case.state == "SUBMITTED" and [ln.container_number for ln in d.lines] == ["CSQU3054383",
                                                                                          "MSCU6639870"]
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen.query_one("#plp-queue", DataTable).row_count == 1


async def test_bad_input_names_the_field_and_a_refusal_needs_a_second_save(services, users, make_app):
    _setup(services, users)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_section(app, pilot)
        await pilot.press("n")
        await settle(app, pilot)
        await _fill(app, pilot, reason="RUSH_HANDLING", containers="CSQU3054383")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert _result(app).startswith("Peti kemas, pos 1: ")  # the field as labelled, and the row
        assert isinstance(app.screen, PlpEntryModal) and _cases(services) == 0
        app.screen.query_one("#new-containers", TextArea).text = "CSQU3054383 40"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "APPLICANT_NOT_ALLOWED" in _result(app)  # shown, not yet written
        assert isinstance(app.screen, PlpEntryModal) and _cases(services) == 0
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, PlpRequestModal)
        assert app.screen.detail.case.state == "REJECTED" and "/PLP-TOLAK/" in app.screen.detail.documents[0]


async def test_officer_reports_occupancy_but_may_not_change_the_register(services, users, make_app):
    _setup(services, users)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_section(app, pilot)
        await pilot.press("t")
        await settle(app, pilot)
        tps = app.screen.query_one("#plp-tps", DataTable)
        assert tps.has_focus and tps.row_count == 5
        tps.move_cursor(row=[str(tps.get_row_at(i)[0]) for i in range(tps.row_count)].index("JICT"))
        await pilot.press("o")
        await settle(app, pilot)
        assert isinstance(app.screen, FormModal)
        assert not app.screen.query("#occ-occupancy_m3")  # JICT has a yard only: no shed line
        app.screen.query_one("#occ-occupancy_teu", Input).value = "8000"
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, WarehouseScreen)
        assert services.plp.tps("JICT").teu_used == 8000
        assert "JICT 66.6!" in str(app.screen.query_one("#plp-yor", Static).render())
        await pilot.press("e")
        await settle(app, pilot)
        assert isinstance(app.screen, FormModal)
        app.screen.query_one("#tps-name", Input).value = "JICT baru"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "supervisor" in str(app.screen.query_one("#form-error", Static).render())
        assert services.plp.tps("JICT").name.startswith("Jakarta")


async def test_supervisor_adds_a_tps(services, users, make_app):
    _setup(services, users)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_section(app, pilot, "agus")
        await pilot.press("t")
        await settle(app, pilot)
        await pilot.press("e")
        await settle(app, pilot)
        form = app.screen
        for name, value in (("code", "GDG9"), ("name", "Gudang 9"), ("operator", "PT Gudang"), ("capacity_teu", ""),
                            ("capacity_m3", "5000"), ("facilities", "COLD"), ("occupancy_teu", ""),
                            ("occupancy_m3", "4000")):
            form.query_one(f"#tps-{name}", Input).value = value
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, WarehouseScreen)
        v = services.plp.tps("GDG9")
        assert (v.capacity_teu, str(v.sor_pct), v.facilities) == (None, "80.0", ("COLD",))
        assert "GDG9 80.0!" in str(app.screen.query_one("#plp-yor", Static).render())
