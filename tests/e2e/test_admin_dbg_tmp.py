from tests.e2e.conftest import login, settle
from tests.e2e.test_admin_screen import open_admin, fill

async def test_dbg(users, make_app, services):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_admin(app, pilot)
        await pilot.press("9")
        await settle(app, pilot)
        await pilot.press("n")
        await pilot.pause()
        await fill(app, pilot, code="ptk1", name="Unit keliling")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        t = app.screen.query_one("#units")
        print([ (c.label, c.content_width, c.width, c.auto_width) for c in t.columns.values()])
        print(t.get_row_at(0))
        assert 0
