"""Dump the sync screens as text at 80x24 (a helper run, not part of the suite)."""
from tests.e2e.test_sync_screens import *  # noqa
from tests.e2e.test_sync_screens import _text


def dump(app, title):
    strips = app.screen._compositor.render_strips()
    print(f"===== {title}")
    for s in strips:
        print("".join(seg.text for seg in s).rstrip())


async def test_view_unit(unit, clock):
    unit.services.ecd.import_ecd(unit.officer, text(green_doc("ECD-20261121-000403")))
    app = unit_app(unit, clock, "id")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "siti")
        await panel_text(app, pilot)
        screen = await open_sync(app, pilot)
        await panel_text(app, pilot)
        dump(app, "unit before")
        await pilot.press("s")
        await settle(app, pilot)
        await panel_text(app, pilot)
        dump(app, "unit after")


async def test_view_central(central, conflict, make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "agus")
        await panel_text(app, pilot)
        screen = await open_sync(app, pilot)
        dump(app, "central")
        await pilot.press("enter")
        await settle(app, pilot)
        dump(app, "modal")
        await pilot.press("down")
        await pilot.press("r")
        await settle(app, pilot)
        dump(app, "form")
