"""A rejected PIB's failed checks are shown in the UI's language (#12 item 1): the checks word each problem in
Indonesian and English (`Problem.message_id` / `message`); the examiner's case view shows the one of the UI."""

from __future__ import annotations

from sqlalchemy import select
from textual.widgets import Static

from db.models import Case
from tests.e2e.conftest import open_section, settle
from tests.services.test_dashboard import demo  # noqa: F401  (the fixture)


async def test_a_rejected_pib_shows_its_problems_in_the_ui_language(services, demo, make_app):  # noqa: F811
    with services.ctx.db.read() as s:
        case_id = s.scalars(select(Case.id).where(Case.kind == "PIB", Case.state == "REJECTED")).first()
    assert case_id is not None, "the demo has a rejected PIB"
    problems = services.pib.get(demo["dewi"], case_id).submissions[-1].problems
    assert problems and all(p.message != p.message_id for p in problems)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_section(app, pilot, "dewi", "f5", "demo12345")
        screen = app.screen
        screen._load_case(case_id)
        await settle(app, pilot)
        shown = str(screen.query_one("#case-more", Static).render())
        assert problems[0].message_id[:30] in shown and problems[0].message[:30] not in shown
        await pilot.press("f12")  # English
        await settle(app, pilot)
        screen._load_case(case_id)
        await settle(app, pilot)
        shown = str(app.screen.query_one("#case-more", Static).render())
        assert problems[0].message[:30] in shown
