import sys
sys.path.insert(0, "/tmp/h")
from dump import dump
from tests.e2e.conftest import login, settle
from tests.services.test_dashboard import demo  # noqa


async def test_view(services, demo, make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "agus", "demo12345")
        await pilot.press("f8"); await settle(app, pilot)
        print(dump(app))
        await pilot.press("b"); await settle(app, pilot)
        print(dump(app))
        await pilot.press("enter"); await settle(app, pilot)
        print(dump(app))
        await pilot.press("escape"); await pilot.press("escape"); await settle(app, pilot)
        await pilot.press("a"); await settle(app, pilot)
        print(dump(app))
        await pilot.press("enter"); await settle(app, pilot)
        print(dump(app))
        await pilot.press("escape"); await pilot.press("escape"); await settle(app, pilot)
        await pilot.press("l"); await settle(app, pilot)
        print(dump(app))
        await pilot.press("f12"); await settle(app, pilot)
        print(dump(app))
