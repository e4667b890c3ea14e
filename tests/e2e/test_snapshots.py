"""SVG snapshots at 80x24 (the smallest terminal we promise). The status bar names the database back end,
so the pictures are taken on SQLite only; the same screens run on PostgreSQL in the other e2e tests."""

from __future__ import annotations

import pytest

from tests.conftest import BACKEND
from tests.e2e.conftest import login, settle

pytestmark = pytest.mark.skipif(BACKEND != "sqlite", reason="snapshots show the back end name; taken on SQLite")

DEMO = [("admin", "demo12345", "admin"), ("siti", "demo12345", "officer")]


def test_login_screen_80x24(snap_compare, make_app, users):
    async def ready(pilot):
        await settle(pilot.app, pilot)

    assert snap_compare(make_app(demo_accounts=DEMO), terminal_size=(80, 24), run_before=ready)


def test_supervisor_home_80x24(snap_compare, make_app, users):
    async def logged_in(pilot):
        await login(pilot.app, pilot, "agus")

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=logged_in)
