"""SVG snapshots of the counter at 80×24 in Indonesian (#12 item 10): the empty counter, a green case, a red case,
the queue, the payment form and the oral declaration form. The status bar names the database back end, so the
pictures are taken on SQLite only (as tests/e2e/test_snapshots.py)."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from tests.conftest import BACKEND
from tests.e2e.conftest import settle
from tests.e2e.counter_support import GREEN_ID, RED_ID, billed, open_counter, red_and_green, scan

pytestmark = pytest.mark.skipif(BACKEND != "sqlite", reason="snapshots show the back end name; taken on SQLite")
SIZE = (80, 24)


def _before(*steps):
    async def run(pilot):
        await open_counter(pilot.app, pilot, "id")
        for step in steps:
            await step(pilot)
        await settle(pilot.app, pilot)
        for field in pilot.app.screen.query(Input):  # a blinking cursor would make the picture a coin toss
            field.cursor_blink = False
        await pilot.pause()

    return run


def _scan(ecd_id):
    async def step(pilot):
        await scan(pilot.app, pilot, ecd_id)

    return step


def _keys(*keys):
    async def step(pilot):
        await pilot.press(*keys)
        await settle(pilot.app, pilot)

    return step


def test_counter_empty(snap_compare, make_app, services, users):
    red_and_green(services, users)
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_before())


def test_counter_green_case(snap_compare, make_app, services, users):
    red_and_green(services, users)
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_before(_scan(GREEN_ID)))


def test_counter_red_case(snap_compare, make_app, services, users):
    red_and_green(services, users)
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_before(_scan(RED_ID)))


def test_counter_queue(snap_compare, make_app, services, users):
    red_and_green(services, users)
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_before(_keys("ctrl+t"), _keys("down")))


def test_counter_payment_form(snap_compare, make_app, services, users):
    red_and_green(services, users)
    billed(services, users)
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_before(_scan(RED_ID), _keys("y")))


def test_counter_oral_declaration_form(snap_compare, make_app, services, users):
    red_and_green(services, users)
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_before(_keys("ctrl+n")))
