"""PLP at the office, as the officers do it: one imports the request, another decides per line (who registers a
request may not decide it), then gate-out and gate-in."""

from __future__ import annotations

from screens.warehouse import PlpRequestModal, WarehouseScreen
from screens.widgets.form import FormModal
from tests.e2e.conftest import open_section, settle
from workstation.demo.plp import demo_request
from workstation.domain.codes import Role


async def _plate(app, pilot, plate: str, seals: str = "") -> None:
    assert isinstance(app.screen, FormModal)
    app.screen.query_one("#move-truck_plate").value = plate
    app.screen.query_one("#move-seals").value = seals
    app.screen.query_one("#move-seals").focus()
    await pilot.press("enter")
    await settle(app, pilot)


def _keys(modal) -> list[str]:
    """The keys the request's hint line offers (its first letters), in the bindings' order."""
    return [part.split()[0] for part in str(modal.query_one("#plp-keys").render()).split(" · ")]


async def test_request_approval_gate_out_gate_in(services, users, make_app, tmp_path):
    services.issuance.ensure_office_key()
    sup = users[Role.SUPERVISOR]
    services.plp.save_tps(sup, "KOJA", "TPK Koja", "PT Koja", "IDTPP", 1000, occupancy_teu_entered=700)
    services.plp.save_tps(sup, "MTI1", "MTI 1", "PT MTI", "IDTPP", 1000)
    req = tmp_path / "req.json"
    req.write_text(demo_request("KOJA", "MTI1", "YOR_OVER_THRESHOLD", [("CSQU3054383", "40"), ("MSCU6639870", "40")]))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(app, pilot, "siti", "f6")
        assert isinstance(app.screen, WarehouseScreen)
        await pilot.press("m")
        await pilot.pause()
        app.screen.query_one("Input").value = str(req)
        await pilot.press("enter")
        await settle(app, pilot)
        queue = app.screen.query_one("#plp-queue")
        assert queue.row_count == 1
        # siti registered it: she may not decide it, and is told so before any letter is drafted
        queue.focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, PlpRequestModal)
        await pilot.press("a")
        await pilot.press("a")
        await pilot.press("s")
        await settle(app, pilot)
        assert isinstance(app.screen, PlpRequestModal)  # no preview
        # in the screen's language (Indonesian by default): the separation-of-duties refusal
        assert any("orang yang sama tidak boleh melakukan kedua langkah" in n.message for n in app._notifications)
        assert services.plp.get(app.screen.case_id).case.state == "SUBMITTED"
        # agus decides it
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("f10")
        await settle(app, pilot)
        await open_section(app, pilot, "agus", "f6")
        queue = app.screen.query_one("#plp-queue")
        assert queue.row_count == 1
        queue.focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, PlpRequestModal)
        # SUBMITTED: deciding and cancelling apply; the gate keys are greyed out (the workflow table says so)
        assert _keys(app.screen) == ["A", "X", "S", "C", "Esc/F3"]
        assert app.screen.check_action("move", ("OUT",)) is None and app.screen.check_action("mark", (True,))
        await pilot.press("a")  # line 1 approved, cursor moves to line 2
        await pilot.press("x")
        await pilot.pause()
        app.screen.query_one("Input").value = "BL tidak sesuai"
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("s")
        await settle(app, pilot)
        from screens.preview import PreviewModal

        assert isinstance(app.screen, PreviewModal)  # the letter before it is issued
        preview = str(app.screen.query_one("#preview-text").render())
        assert "DRAFT" in preview and "CSQU3054383" in preview and "BL tidak sesuai" in preview
        assert services.plp.get(app.screen_stack[-2].case_id).case.state == "SUBMITTED"
        await pilot.press("enter")
        await settle(app, pilot)
        modal = app.screen
        assert modal.detail.case.state == "APPROVED" and modal.detail.plp_number
        assert modal.check_action("mark", (True,)) is None and modal.check_action("move", ("IN",)) is None
        assert modal.check_action("move", ("OUT",)) and modal.check_action("cancel_request", ())
        assert _keys(modal) == ["O", "C", "D", "Esc/F3"]
        await pilot.press("x")  # greyed out: no reason asked for, nothing changes
        await pilot.pause()
        assert app.screen is modal and not modal.decisions
        modal.query_one("#plp-lines").move_cursor(row=0)
        await pilot.press("o")
        await pilot.pause()
        await _plate(app, pilot, "??")  # a bad plate: said under its field, the form stays, nothing recorded
        assert app.screen.query_one("#form-row-truck_plate").has_class("-invalid")
        assert app.screen.query_one("#move-truck_plate").has_focus
        await pilot.press("f3")  # a filled form asks before it is thrown away
        await settle(app, pilot)
        from screens.dialogs import ConfirmModal

        if isinstance(app.screen, ConfirmModal):
            await pilot.press("enter")
            await settle(app, pilot)
        assert app.screen.detail.case.state == "APPROVED"
        await pilot.press("o")
        await pilot.pause()
        await _plate(app, pilot, "B 9044 UIO", "SL-1, SL-2")
        assert app.screen.detail.case.state == "MOVING"
        await pilot.press("i")
        await pilot.pause()
        await _plate(app, pilot, "B 9044 UIO", "SL-1, SL-2")
        assert app.screen.detail.case.state == "CLOSED"
        assert _keys(app.screen) == ["D", "Esc/F3"]
        assert all(app.screen.check_action(a, p) is None for a, p in
                   (("mark", (True,)), ("submit", ()), ("move", ("OUT",)), ("move", ("IN",)), ("cancel_request", ())))
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("4")
        await settle(app, pilot)
        assert "CLOSED" in str(app.screen.query_one("#plp-queue").get_row_at(0))
