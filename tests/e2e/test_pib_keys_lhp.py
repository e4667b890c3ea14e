"""#12 on the hangar and examiner screens: Indonesian status words and DD-MM-YYYY, keys that never type into a
field and that the key bar shows (the submit key first, never cut at 80 columns), queues that take arrows and
Enter at once and a key back to them, prefilled forms, the seal list clear of the key hint, and the LHP:
previewed before it is submitted, shown read-only after, amended only as an explicit new version."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Select, TabbedContent

from screens.dialogs import PromptModal
from screens.examiner import ExaminerScreen
from screens.hangar import HangarScreen, LhpPreviewModal
from screens.widgets.form import FormModal
from screens.widgets.keybar import KeyBar
from tests.e2e.conftest import open_section, settle
from tests.e2e.test_pib_screens import english, fill, text_of
from tests.services.test_pib_support import (
    bap_form,
    env_fixture,  # noqa: F401  (the `env` fixture)
    variant,
)


def shown_keys(screen) -> list[tuple[str, str]]:
    """(key, description) of what the key bar shows, as KeyBar picks them (enabled, shown, first key)."""
    out, seen = [], set()
    for active in screen.active_bindings.values():
        b = active.binding
        if not b.show or not b.description or b.action in seen or not active.enabled:
            continue
        seen.add(b.action)
        out.append((b.key.split(",")[0], b.description))
    return out


def keybar_fits(app) -> str:
    """The key bar's text; fails when its text needs more lines than the bar has (keys cut off)."""
    bar = app.screen.query_one(KeyBar)
    text = str(bar.render())
    lines = bar.content_region.height
    assert lines >= 1 and bar.get_content_height(bar.size, bar.size, bar.content_region.width) <= lines, text
    return text


async def to_hangar_case(app, pilot, user: str = "budi") -> None:
    await open_section(app, pilot, user, "f4")
    assert isinstance(app.screen, HangarScreen)
    await pilot.press("enter")  # no Tab first: the queue has the focus as it opens
    await settle(app, pilot)
    assert app.screen.query_one(TabbedContent).active == "tab-inspection"


async def draft_lhp(app, pilot) -> None:
    """Two containers and two items, as the instruction and the PIB prefill them."""
    for _ in range(2):
        await pilot.press("c")
        await pilot.pause()
        await fill(app, pilot, seal_number="SL-1")
    for _ in range(2):
        await pilot.press("t")
        await pilot.pause()
        await fill(app, pilot, packages_examined="3 CT", origin="CN")


# -- language ------------------------------------------------------------------------------------------------
async def test_case_views_speak_indonesian_with_codes_and_dd_mm_yyyy(env, make_app):
    cid = env.in_research()
    app = make_app()  # Indonesian, the default
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(app, pilot, "dewi", "f5")
        row = [str(c) for c in app.screen.query_one("#ex-queue", DataTable).get_row(str(cid))]
        assert row[3] == "penelitian"
        await pilot.press("enter")
        await settle(app, pilot)
        head = text_of(app, "#case-head")
        assert "penelitian dan penetapan [RESEARCH]" in head
        assert "LHP v1: sesuai (budi, " in head and "-2026)" in head  # DD-MM-YYYY
        await pilot.press("f10")
        await settle(app, pilot)
        await to_hangar_case(app, pilot)
        head = text_of(app, "#ip-head")
        assert "penelitian dan penetapan [RESEARCH]" in head and "RESEARCH " not in head
        seals = [str(c) for c in app.screen.query_one("#lhp-containers", DataTable).get_row_at(0)]
        assert seals[3] == "utuh"  # the seal condition as a word, not "intact"
        assert "dikirim" in text_of(app, "#lhp-state")


# -- keys ----------------------------------------------------------------------------------------------------
async def test_hangar_submit_key_is_first_and_the_key_bar_is_not_cut_at_80_columns(env, make_app):
    cid = env.in_inspection()
    env.pib.record_bap(env.inspector, cid, env.detail(cid).version, bap_form())
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await to_hangar_case(app, pilot)
        await draft_lhp(app, pilot)
        keys = shown_keys(app.screen)
        assert keys[0] == ("ctrl+s", "Submit LHP")
        assert all(len(k) > 1 for k, _ in keys if k in ("ctrl+s", "ctrl+b"))
        text = keybar_fits(app)
        assert app.tr("Submit LHP") in text and "Antrean" in text and "f12" in text  # the whole bar


async def test_no_letter_key_is_shown_or_acts_while_the_intake_field_has_focus(env, make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(app, pilot, "dewi", "f5")
        await pilot.press("i")
        await pilot.pause()
        field = app.screen.query_one("#intake-file", Input)
        assert field.has_focus
        letters = [k for k, _ in shown_keys(app.screen) if len(k) == 1]
        assert letters == []
        await pilot.press("r", "b", "q")
        await pilot.pause()
        assert field.value == "rbq" and isinstance(app.screen, ExaminerScreen)  # typed, nothing else happened
        await pilot.press("ctrl+b")  # back to the queue from the field
        await pilot.pause()
        assert app.screen.query_one(TabbedContent).active == "tab-queue"
        assert app.screen.query_one("#ex-queue", DataTable).has_focus


async def test_queues_take_arrows_and_enter_at_once_and_a_case_has_a_key_back(env, make_app):
    env.in_research()
    env.registered(variant("102"))
    app = english(make_app())
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(app, pilot, "dewi", "f5")
        queue = app.screen.query_one("#ex-queue", DataTable)
        assert queue.has_focus and queue.row_count == 2
        await pilot.press("down", "enter")
        await settle(app, pilot)
        assert app.screen.query_one(TabbedContent).active == "tab-case"
        assert queue.get_row_index(str(app.screen.detail.case.id)) == 1  # the row the arrow went to
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert app.screen.query_one(TabbedContent).active == "tab-queue" and queue.has_focus
        assert app.screen.check_action("queue", ()) is False  # on the queue: nothing to go back to
    app = english(make_app())
    async with app.run_test(size=(80, 24)) as pilot:
        await to_hangar_case(app, pilot)
        await pilot.press("escape")  # Escape does it too
        await pilot.pause()
        assert app.screen.query_one(TabbedContent).active == "tab-work"
        assert app.screen.query_one("#hg-queue", DataTable).has_focus


# -- forms ---------------------------------------------------------------------------------------------------
async def test_seal_list_opens_clear_of_the_key_hint_in_indonesian(env, make_app):
    cid = env.in_inspection()
    env.pib.record_bap(env.inspector, cid, env.detail(cid).version, bap_form())
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await to_hangar_case(app, pilot)
        await pilot.press("c")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, FormModal)
        assert form.query_one("#form-number", Input).value == "CSQU3054383"  # the IP's first container
        seal = form.query_one("#form-seal_condition", Select)
        assert [str(label) for label, _ in seal._options] == ["utuh", "rusak", "tanpa segel"]
        seal.focus()
        await pilot.press("enter")
        await pilot.pause()
        overlay = seal.query_one("SelectOverlay")
        assert overlay.display
        hint = form.query_one("#form-hint").region
        assert not overlay.region.overlaps(hint), (overlay.region, hint)


async def test_forms_are_prefilled_with_what_the_case_knows(env, make_app):
    cid = env.in_inspection()
    env.pib.record_bap(env.inspector, cid, env.detail(cid).version, bap_form())
    app = english(make_app())
    async with app.run_test(size=(80, 24)) as pilot:
        await to_hangar_case(app, pilot)
        await pilot.press("b")  # a second BAP (an amendment of the minutes): who signed is known
        await pilot.pause()
        form = app.screen
        assert form.query_one("#form-rep_name", Input).value == "Rina Kartika"
        assert form.query_one("#form-rep_id", Input).value == "PPJK-0451"
        assert form.query_one("#form-place", Input).value == "TPS KOJA"
        day = form.query_one("#form-inspected_on", Input).value
        assert len(day) == 10 and day[2] == "-" and day[5] == "-"  # DD-MM-YYYY
        assert form.query_one("#form-findings", Input).value == ""  # a hint, not a value
        assert form.query_one("#form-findings", Input).placeholder
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("t")
        await pilot.pause()
        item = app.screen
        assert item.query_one("#form-seq", Input).value == "1"
        assert item.query_one("#form-hs_code", Input).value == "8471300000"  # as declared
        assert item.query_one("#form-origin", Input).value == ""
        assert "e.g." in item.query_one("#form-origin", Input).placeholder


# -- the LHP -------------------------------------------------------------------------------------------------
async def test_lhp_is_previewed_then_read_only_then_amended_as_a_new_version(env, make_app):
    cid = env.in_inspection()
    env.pib.record_bap(env.inspector, cid, env.detail(cid).version, bap_form())
    app = english(make_app())
    async with app.run_test(size=(80, 24)) as pilot:
        await to_hangar_case(app, pilot)
        await draft_lhp(app, pilot)
        # Ctrl+S shows the report first; F3 goes back to the draft, nothing written
        before = env.counts()
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, LhpPreviewModal)
        report = text_of(app, "#preview-text")
        assert "LAPORAN HASIL PEMERIKSAAN" in report and "MSKU9070323" in report and "DRAFT" in report
        await pilot.press("f3")
        await pilot.pause()
        assert isinstance(app.screen, HangarScreen) and env.counts() == before
        assert app.screen.query_one("#lhp-items", DataTable).row_count == 2  # the draft is still there
        # confirmed: submitted, and the containers and items stay on screen, read-only
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, HangarScreen) and env.detail(cid).lhp.version == 1
        assert screen.query_one("#lhp-containers", DataTable).row_count == 2
        assert screen.query_one("#lhp-items", DataTable).row_count == 2
        assert "read-only" in text_of(app, "#lhp-state")
        assert [a for a in ("container", "item", "undeclared", "photo", "remove", "submit")
                if screen.check_action(a, ())] == []
        assert screen.check_action("amend", ()) is True
        before = env.counts()
        await pilot.press("c")  # a key of the draft does nothing on the submitted LHP
        await pilot.pause()
        assert isinstance(app.screen, HangarScreen) and env.counts() == before
        # A: version 2 drafted from version 1
        await pilot.press("a")
        await pilot.pause()
        assert "version 2" in text_of(app, "#lhp-state")
        assert screen.query_one("#lhp-items", DataTable).row_count == 2
        await pilot.press("x")
        await pilot.pause()
        await fill(app, pilot, description="Spare lids", quantity="20")
        await pilot.press("ctrl+s")  # the reason first ...
        await pilot.pause()
        assert isinstance(app.screen, PromptModal)
        app.screen.query_one(Input).value = "lids found behind the pallets"
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, LhpPreviewModal)  # ... then the amended report
        assert "Perubahan ke" in text_of(app, "#preview-text") and "Spare lids" in text_of(app, "#preview-text")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, HangarScreen)
        assert "LHP v2" in text_of(app, "#ip-head") and "lids found" in text_of(app, "#lhp-state")
    versions = env.pib.lhp_versions(env.examiner, cid)
    assert [(v.version, v.content["conclusion"]) for v in versions] == [(1, "MATCH"), (2, "MISMATCH")]
    assert versions[0].content["undeclared"] == [] and versions[1].amendment_reason.startswith("lids")


async def test_another_inspector_sees_the_lhp_but_cannot_amend_it(env, make_app):
    cid = env.in_research()
    app = english(make_app())
    async with app.run_test(size=(80, 24)) as pilot:
        await to_hangar_case(app, pilot, "agus")  # a supervisor sees every instruction
        screen = app.screen
        assert screen.query_one("#lhp-items", DataTable).row_count == 2
        assert screen.check_action("amend", ()) is False
    assert env.detail(cid).lhp.version == 1


async def test_examiner_key_bar_fits_80_columns_on_a_case_in_research(env, make_app):
    env.in_research()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(app, pilot, "agus", "f5")  # the supervisor has the most keys (blocking importers too)
        await pilot.press("enter")
        await settle(app, pilot)
        text = keybar_fits(app)
        assert app.tr("Determine") not in text  # a supervisor does not determine ...
        assert app.tr("Queue") in text and "f12" in text  # ... and nothing is cut
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(app, pilot, "dewi", "f5")
        await pilot.press("enter")
        await settle(app, pilot)
        text = keybar_fits(app)
        assert text.startswith("d " + app.tr("Determine")) and "f12" in text
