"""The red lane as officers drive it at 80x24: the examiner receives the PIB, records payment and goods
readiness and issues the IP; the inspector records BAP fisik and the LHP in the hangar; the examiner
determines — for each outcome (SPPB, SPTNP, SPTNP+SPPB, SPBL). Plus: form errors stay in the dialog, a stale
case gives a clear conflict, supervisors see the SLA/BTD flags."""

from __future__ import annotations

from textual.widgets import Checkbox, DataTable, Input, Select, TabbedContent

from screens.examiner import DetermineModal, ExaminerScreen
from screens.hangar import HangarScreen, LhpPreviewModal
from screens.widgets.form import FormModal
from tests.conftest import PASSWORD
from tests.e2e.conftest import login, open_section, settle
from tests.services.test_pib_support import (
    FIXTURES,
    NTPN,
    bap_form,
    env_fixture,  # noqa: F401  (the `env` fixture)
    lhp_form,
    variant,
)
from workstation.services import pib as P


def english(app):
    """Assertions read English UI text (Indonesian is the default; its catalogue is merged separately)."""
    app.translator.set_language("en")
    return app


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def fill(app, pilot, **values) -> None:
    """Fill the open FormModal and save it (Ctrl+S)."""
    assert isinstance(app.screen, FormModal), type(app.screen)
    for name, value in values.items():
        w = app.screen.query_one(f"#form-{name}")
        if isinstance(w, Checkbox):
            w.value = bool(value)
        elif isinstance(w, Select):
            w.value = value
        else:
            w.value = str(value)
    await pilot.press("ctrl+s")
    await settle(app, pilot)


async def open_first_case(app, pilot, table_id: str) -> None:
    tabs = app.screen.query_one(TabbedContent)
    tabs.active = "tab-queue" if table_id == "#ex-queue" else "tab-work"
    await pilot.pause()
    table = app.screen.query_one(table_id, DataTable)
    assert table.row_count >= 1
    table.focus()
    await pilot.press("enter")
    await settle(app, pilot)


async def open_case(app, pilot, table_id: str, case_id) -> None:
    app.screen.query_one(TabbedContent).active = "tab-queue"
    await pilot.pause()
    table = app.screen.query_one(table_id, DataTable)
    table.focus()
    table.move_cursor(row=table.get_row_index(str(case_id)))
    await pilot.press("enter")
    await settle(app, pilot)


async def relog(app, pilot, user: str, key: str) -> None:
    await pilot.press("f10")
    await settle(app, pilot)
    await login(app, pilot, user)
    await pilot.press(key)
    await settle(app, pilot)


DETERMINATIONS = {
    "SPPB": {},
    "SPTNP": {"hs-1": "8471500000", "cif-1": "6500.00", "bm-1": "5"},
    "SPTNP+SPPB": {"cif-2": "1000.00"},
    "SPBL": {"hs-1": "8517130000"},
}
FINAL_STATE = {"SPPB": P.SPPB, "SPTNP": P.SPTNP, "SPTNP+SPPB": P.SPPB,
               "SPBL": P.SPBL}


async def determine_on_screen(app, pilot, outcome: str) -> None:
    """Open the determination, change what the outcome needs, check the preview, determine."""
    await pilot.press("d")
    await settle(app, pilot)
    assert isinstance(app.screen, DetermineModal)
    for widget_id, value in DETERMINATIONS[outcome].items():
        app.screen.query_one(f"#{widget_id}", Input).value = value
    await pilot.press("ctrl+r")
    await settle(app, pilot)
    assert outcome in text_of(app, "#det-preview")
    await pilot.press("ctrl+s")
    await settle(app, pilot)
    assert isinstance(app.screen, ExaminerScreen)
    assert FINAL_STATE[outcome] in text_of(app, "#case-head") and outcome in text_of(app, "#case-head")


async def test_full_red_lane_through_the_screens(env, make_app):
    """PIB -> billing paid (SPJM) -> goods ready -> IP -> BAP fisik + LHP in the hangar -> determination
    (SPTNP) -> SPTNP paid (SPPB) -> release, every step by key and form."""
    app = english(make_app())
    async with app.run_test(size=(80, 24)) as pilot:
        # -- examiner: intake ------------------------------------------------------------------------------
        await open_section(app, pilot, "dewi", "f5")
        assert isinstance(app.screen, ExaminerScreen)
        await pilot.press("i")
        app.screen.query_one("#intake-file", Input).value = str(FIXTURES / "intake_ok.json")
        await pilot.press("enter")
        await settle(app, pilot)
        assert "BILLED" in text_of(app, "#intake-result")
        await open_first_case(app, pilot, "#ex-queue")
        assert "BILLED" in text_of(app, "#case-head")
        # -- payment -> registration + SPJM; goods readiness; IP ------------------------------------------------
        await pilot.press("p")
        await pilot.pause()
        await fill(app, pilot, ntpn=NTPN)
        assert "SPJM" in text_of(app, "#case-head")
        await pilot.press("g")
        await pilot.pause()
        await fill(app, pilot, location="TPS KOJA", contact="Rina 0812")
        assert "READY" in text_of(app, "#case-head")
        await pilot.press("n")
        await pilot.pause()
        assert app.screen.query_one("#form-containers", Input).value == "CSQU3054383 MSKU9070323"  # from BC 1.1
        await fill(app, pilot, inspector_login="budi", level_pct="30", packages="3 of 10 CT", memo="check brands")
        assert "INSPECTION" in text_of(app, "#case-head") and "budi 30%" in text_of(app, "#case-head")

        # -- inspector: BAP fisik, LHP -------------------------------------------------------------------------
        await relog(app, pilot, "budi", "f4")
        assert isinstance(app.screen, HangarScreen)
        await open_first_case(app, pilot, "#hg-queue")
        assert "BAP fisik missing" in text_of(app, "#ip-head")
        await pilot.press("b")
        await pilot.pause()
        await fill(app, pilot, rep_name="Rina Kartika", rep_id="PPJK-0451", findings="counted at 30%",
                   representative_signed=True, inspector_signed=True)
        assert "BAP v1" in text_of(app, "#ip-head")
        for _ in range(2):
            await pilot.press("c")
            await pilot.pause()
            await fill(app, pilot, seal_number="SL-1")
        for _ in range(2):
            await pilot.press("t")
            await pilot.pause()
            await fill(app, pilot, packages_examined="3 CT", origin="CN")
        assert app.screen.query_one("#lhp-containers", DataTable).row_count == 2
        assert app.screen.query_one("#lhp-items", DataTable).row_count == 2
        await pilot.press("ctrl+s")  # the report first ...
        await settle(app, pilot)
        assert isinstance(app.screen, LhpPreviewModal) and "CSQU3054383" in text_of(app, "#preview-text")
        await pilot.press("ctrl+s")  # ... then submitted on confirmation
        await settle(app, pilot)
        assert "LHP v1" in text_of(app, "#ip-head")

        # -- examiner: research, determination, SPTNP payment, release ----------------------------------------
        await relog(app, pilot, "dewi", "f5")
        await open_first_case(app, pilot, "#ex-queue")
        assert "RESEARCH" in text_of(app, "#case-head")
        assert app.screen.query_one("#research", DataTable).row_count == 2
        await determine_on_screen(app, pilot, "SPTNP")
        await pilot.press("s")
        await pilot.pause()
        await fill(app, pilot, ntpn=NTPN)
        assert "SPPB" in text_of(app, "#case-head")
        await pilot.press("o")
        await pilot.pause()
        await pilot.press("enter")
        await settle(app, pilot)
    cid = env.pib.find("04032000000020261120000101")
    d = env.detail(cid)
    assert d.state == P.RELEASED and d.determination.outcome == "SPTNP"
    assert d.instruction.level_pct == 30 and d.lhp.author_login == "budi" and d.determination.examiner_login == "dewi"
    assert [x.doc_type for x in d.documents] == ["SPJM", "IP", "BAP", "LHP", "SPTNP", "SPPB"]


async def test_each_outcome_is_determined_on_screen(env, make_app):
    """Three cases in research (built through the service); the examiner opens each from the queue and
    determines it on screen: SPPB, SPTNP+SPPB, SPBL (SPTNP is the full-path test above)."""
    outcomes = {"SPPB": "102", "SPTNP+SPPB": "103", "SPBL": "104"}
    cases = {o: env.in_research(variant(tail)) for o, tail in outcomes.items()}
    app = english(make_app())
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(app, pilot, "dewi", "f5")
        for outcome, cid in cases.items():
            await open_case(app, pilot, "#ex-queue", cid)
            await determine_on_screen(app, pilot, outcome)
    for outcome, cid in cases.items():
        d = env.detail(cid)
        assert d.state == FINAL_STATE[outcome] and d.determination.outcome == outcome
        assert d.documents[-1].doc_type == {"SPPB": "SPPB", "SPTNP+SPPB": "SPPB", "SPBL": "SPBL"}[outcome]


async def test_separation_of_duties_is_refused_on_screen(env, make_app):
    from tests.services.test_pib_support import make_dual_role_user

    make_dual_role_user(env)  # rudi: inspector and examiner
    cid = env.ready()
    env.pib.issue_instruction(env.examiner, cid, env.detail(cid).version, inspector_login="rudi", level_pct=10,
                              containers=["CSQU3054383", "MSKU9070323"])
    rudi = env.services.auth.login("rudi", PASSWORD)
    env.pib.record_bap(rudi, cid, env.detail(cid).version, bap_form())
    env.pib.submit_lhp(rudi, cid, env.detail(cid).version, lhp_form())
    app = english(make_app())
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(app, pilot, "rudi", "f5")
        await open_first_case(app, pilot, "#ex-queue")
        await pilot.press("d")
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, DetermineModal)
        assert "another examiner must determine" in text_of(app, "#det-error")
    assert env.detail(cid).state == P.RESEARCH


async def test_form_errors_and_a_stale_case_keep_the_dialog_and_write_nothing(env, make_app):
    cid = env.registered()
    app = english(make_app())
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(app, pilot, "dewi", "f5")
        await open_first_case(app, pilot, "#ex-queue")
        # the keys that apply are the table's rows for dewi on a PIB in SPJM, nothing else
        screen = app.screen
        allowed = env.pib.allowed_actions(env.examiner, env.detail(cid))
        assert allowed == {"pib.goods_ready", "pib.supporting_documents"}
        assert [a for a in ("goods_ready", "supporting", "instruction", "determine", "pay_billing", "release")
                if screen.check_action(a, ())] == ["goods_ready", "supporting"]
        # a bad date: the message names the field, the values stay, nothing is written
        await pilot.press("g")
        await pilot.pause()
        before = env.counts()
        await fill(app, pilot, location="TPS KOJA", ready_on="2026-11-21", contact="x")  # not DD-MM-YYYY
        assert isinstance(app.screen, FormModal)
        assert "DD-MM-YYYY" in text_of(app, "#form-error") and env.counts() == before
        await fill(app, pilot, ready_on="21-11-2026")
        assert isinstance(app.screen, ExaminerScreen) and "READY" in text_of(app, "#case-head")
        # meanwhile another officer changes the case: this screen's version is stale
        env.pib.record_supporting_documents(env.examiner, cid, env.detail(cid).version,
                                            [{"kind": "INVOICE", "number": "INV-1"}])
        await pilot.press("n")
        await pilot.pause()
        before = env.counts()
        await fill(app, pilot, inspector_login="budi")
        assert isinstance(app.screen, FormModal)
        error = text_of(app, "#form-error")
        assert "changed by dewi" in error and "reload" in error and env.counts() == before
        await pilot.press("escape")
        await pilot.press("y")  # the typed values are thrown away on purpose
        await pilot.pause()
        await pilot.press("r")
        await settle(app, pilot)
        await pilot.press("n")
        await pilot.pause()
        await fill(app, pilot, inspector_login="budi")
        assert "INSPECTION" in text_of(app, "#case-head")
    assert env.detail(cid).instruction.inspector_login == "budi"


async def test_supervisor_queues_flags_intake_and_blocked_importers(env, make_app, clock):
    env.in_inspection()
    clock.advance(days=31)
    app = english(make_app())
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(app, pilot, "agus", "f5")
        assert isinstance(app.screen, ExaminerScreen)
        row = [str(c) for c in app.screen.query_one("#ex-queue", DataTable).get_row_at(0)]
        assert row[2] == "31" and row[3] == "in inspection"
        assert "SLA_BREACH" in row[4] and "BTD" in row[4]
        # blocked importers: block, and the next PIB of that importer is rejected listing every problem
        await pilot.press("b")
        await pilot.pause()
        await fill(app, pilot, npwp="01.234.567.8-901.000", name="PT Sinar Data Nusantara", reason="audit finding")
        assert app.screen.query_one("#blocked", DataTable).row_count == 1
        await pilot.press("i")
        app.screen.query_one("#intake-file", Input).value = str(FIXTURES / "skp_many_problems.json")
        await pilot.press("enter")
        await settle(app, pilot)
        result = text_of(app, "#intake-result")
        assert "REJECTED" in result and "PENOLAKAN" in result
        for code in ("IMPORTER_BLOCKED", "BL_MISMATCH", "HS_UNKNOWN", "NDPBM_MISMATCH", "NO_CUSTOMS_ACCESS"):
            assert code in result
        app.screen.query_one("#intake-file", Input).value = str(FIXTURES / "nope.json")
        await pilot.press("enter")
        await settle(app, pilot)
        assert "file not found" in text_of(app, "#intake-result")
        # the hangar queue, with the inspector and the flags
        await pilot.press("f4")
        await settle(app, pilot)
        assert isinstance(app.screen, HangarScreen)
        row = [str(c) for c in app.screen.query_one("#hg-queue", DataTable).get_row_at(0)]
        assert row[6] == "budi" and "SLA_BREACH" in row[5] and row[2] == "to write"
    assert [b.npwp for b in env.pib.blocked_importers(env.supervisor)] == ["012345678901000"]


async def test_lhp_findings_are_in_the_research_view_and_the_determination_form(env, make_app):
    """#11 item 11: undeclared goods and the inspector's HS code reach the examiner; a mismatch LHP cannot be
    cleared with an SPPB without a written reason; the undeclared goods determined on screen make the SPTNP."""
    lhp = lhp_form(undeclared=True)
    lhp = lhp.model_copy(update={"items": [lhp.items[0].model_copy(update={"hs_code": "8471500000", "match": False}),
                                           lhp.items[1]]})
    cid = env.in_research(lhp=lhp)
    app = english(make_app())
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(app, pilot, "dewi", "f5")
        await open_case(app, pilot, "#ex-queue", cid)
        research = app.screen.query_one("#research", DataTable)
        assert research.row_count == 3  # two declared items and the undeclared lids
        assert "UNDECLARED" in str(research.get_row("3")[-1])
        await pilot.press("d")
        await settle(app, pilot)
        assert isinstance(app.screen, DetermineModal)
        assert app.screen.query_one("#hs-1", Input).value == "8471500000"  # the LHP's HS code, not the PIB's
        await pilot.press("ctrl+s")  # lids left out, no note: refused, the dialog stays
        await settle(app, pilot)
        assert isinstance(app.screen, DetermineModal)
        assert "reason" in text_of(app, "#det-error")
        for widget_id, value in {"hs-3": "8516600000", "cif-3": "200.00", "bm-3": "7.5"}.items():
            app.screen.query_one(f"#{widget_id}", Input).value = value
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert "SPTNP" in text_of(app, "#det-preview")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, ExaminerScreen)
    d = env.detail(cid)
    assert d.state == P.SPTNP and {i["seq"] for i in d.determination.items} >= {1, 3}
