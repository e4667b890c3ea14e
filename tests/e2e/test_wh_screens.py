"""#12 on the warehouse (PLP) screens: Indonesian words beside the codes, DD-MM-YYYY dates, a queue that takes
arrows and Enter as soon as it opens and a key back to it, letters that never act from the search field,
placeholders that cannot pass for values, a gate-in form prefilled from the gate-out."""

from __future__ import annotations

import re

from screens.warehouse import PlpEntryModal, PlpRequestModal, WarehouseScreen
from screens.widgets.form import FormModal
from tests.e2e.conftest import login, settle
from tests.services.test_plp_workflow import _approved
from workstation.demo.plp import demo_request
from workstation.domain.codes import Role


def _registry(services, users) -> None:
    sup = users[Role.SUPERVISOR]
    services.plp.save_tps(sup, "KOJA", "TPK Koja", "PT Koja", "IDTPP", 1000, occupancy_teu_entered=700)
    services.plp.save_tps(sup, "MTI1", "MTI 1", "PT MTI", "IDTPP", 1000)


def _submitted(services, users):
    services.issuance.ensure_office_key()
    _registry(services, users)
    return services.plp.import_request(users[Role.OFFICER], demo_request(
        "KOJA", "MTI1", "YOR_OVER_THRESHOLD", [("CSQU3054383", "40"), ("MSCU6639870", "40")]))


def _text(widget) -> str:
    return str(widget.render())


async def test_queue_and_request_in_words_with_keys_back_and_forth(services, users, make_app):
    _submitted(services, users)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "agus")
        await pilot.press("f6")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, WarehouseScreen)
        queue = screen.query_one("#plp-queue")
        assert queue.has_focus  # arrows and Enter at once, no Tab first
        row = [str(c) for c in queue.get_row_at(0)]
        assert "diajukan [SUBMITTED]" in row
        await pilot.press("enter")
        await settle(app, pilot)
        modal = app.screen
        assert isinstance(modal, PlpRequestModal)
        head = _text(modal.query_one("#plp-head"))
        assert "diajukan [SUBMITTED]" in head  # the code survives: no markup parser eats "[SUBMITTED]"
        assert "YOR_OVER_THRESHOLD — YOR mencapai atau melewati standar" in head
        assert "(TPS asal)" in head and "origin" not in head
        assert re.search(r"BC 1\.1: \S+ / \d{2}-\d{2}-\d{4}", head) and not re.search(r"\d{4}-\d{2}-\d{2}", head)
        lines = modal.query_one("#plp-lines")
        assert "menunggu [PENDING]" in [str(c) for c in lines.get_row_at(0)]
        assert _text(modal.query_one("#plp-line-times")).startswith("Pos 1 · Keluar -")
        await pilot.press("down")
        await pilot.pause()
        assert _text(modal.query_one("#plp-line-times")).startswith("Pos 2")
        assert "Esc/F3 Kembali ke antrean" in _text(modal.query_one("#plp-keys"))
        await pilot.press("f3")  # back to the queue, which has the focus again
        await settle(app, pilot)
        assert app.screen is screen and queue.has_focus


async def test_letters_type_into_the_search_field_and_act_nowhere(services, users, make_app):
    _submitted(services, users)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "siti")
        await pilot.press("f6")
        await settle(app, pilot)
        screen = app.screen
        await pilot.press("slash")
        field = screen.query_one("#plp-search")
        assert field.has_focus
        await pilot.press("n", "m", "t", "4")
        await pilot.pause()
        assert app.screen is screen and field.value == "nmt4"  # no new-request form, no import prompt
        assert not any(b.node is screen and b.binding.show and screen.check_action(b.binding.action, ())
                       for b in screen.active_bindings.values())  # no letter shown while typing
        field.value = "CSQU3054383"
        await pilot.press("enter")
        await settle(app, pilot)
        assert screen.query_one("#plp-queue").has_focus and screen.query_one("#plp-queue").row_count == 1
        assert screen.check_action("new_request", ())


async def test_the_gate_in_form_is_prefilled_from_the_gate_out(services, users, make_app):
    services.issuance.ensure_office_key()
    _registry(services, users)
    d = _approved(services, users, services.plp)
    services.plp.gate_out(users[Role.OFFICER], d.case.id, d.case.version, 1, truck_plate="B 9044 UIO",
                          seals="SL-1, SL-2")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "siti")
        await pilot.press("f6", "2")
        await settle(app, pilot)
        app.screen.open_request(d.case.id)
        await settle(app, pilot)
        assert isinstance(app.screen, PlpRequestModal)
        assert "keluar dari asal [OUT]" in [str(c) for c in app.screen.query_one("#plp-lines").get_row_at(0)]
        assert "Gate-out KOJA" in _text(app.screen.query_one("#plp-moves"))
        await pilot.press("i")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, FormModal)
        assert form.query_one("#move-truck_plate").value == "B 9044 UIO"
        assert form.query_one("#move-seals").value == "SL-1, SL-2"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert services.plp.get(d.case.id).lines[0].state == "IN"


async def test_the_entry_form_placeholders_cannot_pass_for_values(services, users, make_app):
    _registry(services, users)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "siti")
        await pilot.press("f6")
        await settle(app, pilot)
        await pilot.press("n")
        await settle(app, pilot)
        modal = app.screen
        assert isinstance(modal, PlpEntryModal)
        assert modal.query_one("#new-bc11").placeholder == "6 angka"
        assert modal.query_one("#new-bc11-date").placeholder == "HH-BB-TTTT"
        for wid in ("#new-containers", "#new-packages"):
            assert modal.query_one(wid).placeholder.startswith("mis. ")
        reason = modal.query_one("#new-reason")
        assert reason.region.width >= 50  # the ground's words are not cut
        await pilot.press("f3")  # not only a lone Escape
        await settle(app, pilot)
        assert isinstance(app.screen, WarehouseScreen)


async def test_f12_switches_the_queue_and_the_request_to_english(services, users, make_app):
    _submitted(services, users)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "agus")
        await pilot.press("f6")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("f12")
        await settle(app, pilot)
        modal = app.screen
        head = _text(modal.query_one("#plp-head"))
        assert "submitted [SUBMITTED]" in head and "(origin TPS)" in head
        assert "waiting [PENDING]" in [str(c) for c in modal.query_one("#plp-lines").get_row_at(0)]
        assert [str(c.label) for c in modal.query_one("#plp-lines").ordered_columns][1] == "Container / package"
        await pilot.press("f3")
        await settle(app, pilot)
        queue = app.screen.query_one("#plp-queue")
        assert "submitted [SUBMITTED]" in [str(c) for c in queue.get_row_at(0)]
        assert [str(c.label) for c in queue.ordered_columns][:2] == ["Request", "State"]


async def test_an_entry_error_is_said_in_indonesian_naming_the_field(services, users, make_app):
    _registry(services, users)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "siti")
        await pilot.press("f6")
        await settle(app, pilot)
        await pilot.press("n")
        await settle(app, pilot)
        await pilot.press("ctrl+t")  # nothing filled in
        await settle(app, pilot)
        text = _text(app.screen.query_one("#plpnew-result"))
        assert text.startswith("YOR TPS asal (%): "), text  # the form's label, not "origin.yor_pct"
        assert "String should" not in text and "Field required" not in text
        assert app.screen.query_one("#new-origin-yor").has_focus


async def test_the_tps_list_shows_whole_codes_at_80_columns(services, users, make_app):
    _registry(services, users)
    services.plp.save_tps(users[Role.SUPERVISOR], "GRAHA", "Graha Segara", "PT Graha", "IDTPP", 2500,
                          capacity_m3="18000", occupancy_m3_entered="9500")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "siti")
        await pilot.press("f6", "t")
        await settle(app, pilot)
        await pilot.pause(0.2)
        table = app.screen.query_one("#plp-tps")
        assert table.has_focus
        code = table.ordered_columns[0]
        assert code.get_render_width(table) - 2 * table.cell_padding >= len("GRAHA")
        assert "9500/18000" in [str(c) for c in table.get_row_at(0)]
