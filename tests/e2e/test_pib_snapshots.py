"""SVG snapshots at 80x24 in Indonesian of the red lane's screens (#12 item 6): the hangar queue, an LHP being
written, the LHP confirmation, a submitted LHP, the examiner's queue, a case in research and the determination
form. The status bar names the database back end, so the pictures are taken on SQLite only."""

from __future__ import annotations

import pytest

from tests.conftest import BACKEND
from tests.e2e.conftest import login, settle
from tests.e2e.test_pib_screens import fill
from tests.services.test_pib_support import (
    bap_form,
    env_fixture,  # noqa: F401  (the `env` fixture)
    variant,
)

pytestmark = pytest.mark.skipif(BACKEND != "sqlite", reason="snapshots show the back end name; taken on SQLite")

SIZE = (80, 24)


def hangar_cases(env) -> None:
    """One instruction to work (BAP recorded) and one LHP already submitted."""
    cid = env.in_inspection()
    env.pib.record_bap(env.inspector, cid, env.detail(cid).version, bap_form())
    env.in_research(variant("102"))


async def open_hangar(pilot, row: int = 0) -> None:
    app = pilot.app
    await login(app, pilot, "budi")
    await pilot.press("f4")
    await until(pilot, lambda: app.screen.query_one("#hg-queue").row_count == 2)
    for _ in range(row):
        await pilot.press("down")
    if row >= 0:
        await pilot.press("enter")
        await until(pilot, lambda: app.screen.detail is not None)
        await settle(app, pilot)


async def until(pilot, ready, tries: int = 50) -> None:
    """Settle until `ready()` (a loaded machine may need more than one round of workers)."""
    for _ in range(tries):
        await settle(pilot.app, pilot)
        if ready():
            return
    raise AssertionError("the screen never got ready")


async def write_lhp(pilot) -> None:
    app = pilot.app
    for _ in range(2):
        await pilot.press("c")
        await pilot.pause()
        await fill(app, pilot, seal_number="SL-7781230")
    for _ in range(2):
        await pilot.press("t")
        await pilot.pause()
        await fill(app, pilot, packages_examined="3 CT of 40", origin="CN")


def test_hangar_queue(snap_compare, make_app, env):
    hangar_cases(env)

    async def run(pilot):
        await open_hangar(pilot, row=-1)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run)


def test_hangar_lhp_being_written(snap_compare, make_app, env):
    hangar_cases(env)

    async def run(pilot):
        await open_hangar(pilot)
        await write_lhp(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run)


def test_hangar_lhp_confirmation(snap_compare, make_app, env):
    hangar_cases(env)

    async def run(pilot):
        await open_hangar(pilot)
        await write_lhp(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot.app, pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run)


def test_hangar_submitted_lhp(snap_compare, make_app, env):
    hangar_cases(env)

    async def run(pilot):
        await open_hangar(pilot, row=1)  # the submitted one comes after the work to do

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run)


def examiner_cases(env):
    env.registered(variant("103"))
    return env.in_research()


async def open_examiner(pilot, case=None) -> None:
    app = pilot.app
    await login(app, pilot, "dewi")
    await pilot.press("f5")
    await settle(app, pilot)
    if case is not None:
        from textual.widgets import DataTable

        queue = app.screen.query_one("#ex-queue", DataTable)
        queue.move_cursor(row=queue.get_row_index(str(case)))
        await pilot.press("enter")
        await settle(app, pilot)


def test_examiner_queue(snap_compare, make_app, env):
    examiner_cases(env)

    async def run(pilot):
        await open_examiner(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run)


def test_examiner_case_in_research(snap_compare, make_app, env):
    cid = examiner_cases(env)

    async def run(pilot):
        await open_examiner(pilot, cid)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run)


def test_examiner_determination_form(snap_compare, make_app, env):
    cid = examiner_cases(env)

    async def run(pilot):
        await open_examiner(pilot, cid)
        await pilot.press("d")
        await settle(pilot.app, pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run)
