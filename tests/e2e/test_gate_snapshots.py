"""SVG snapshots of the smart gate at 80x24 in Indonesian (#12 item 10): idle, a match, a refusal, and an
override request waiting in the approvals inbox (#15 item 2). SQLite only: the status bar names the back end."""

from __future__ import annotations

import pytest

from tests.conftest import BACKEND
from tests.e2e.conftest import login, settle
from tests.services.test_plp_workflow import _approved
from workstation.config import with_overrides
from workstation.domain.codes import Role

pytestmark = pytest.mark.skipif(BACKEND != "sqlite", reason="snapshots show the back end name; taken on SQLite")


async def steady(pilot) -> None:
    """Workers done and no blinking cursor: the picture is the same on every run."""
    from textual.widgets import Input

    await settle(pilot.app, pilot)
    for screen in pilot.app.screen_stack:
        for field in screen.query(Input):
            field.cursor_blink = False
    await pilot.pause(0.2)  # an idle pass: a DataTable sizes its columns to new rows then
    await pilot.pause()


async def at_gate(pilot, who: str = "agus") -> None:
    await login(pilot.app, pilot, who)
    await pilot.press("f7")
    await settle(pilot.app, pilot)


async def until(pilot, cond, seconds: float = 10.0) -> None:
    """Wait for what the picture must show (a loaded machine is slow; the picture is taken once)."""
    import time

    end = time.monotonic() + seconds
    while not cond() and time.monotonic() < end:
        await pilot.pause(0.05)
    await settle(pilot.app, pilot)


async def read(pilot, number: str) -> None:
    await pilot.press(*number, "enter", "enter")
    screen = pilot.app.screen
    await until(pilot, lambda: screen.last_decision is not None and screen.query_one("#gate-log").row_count == 1)


def test_gate_idle_80x24(snap_compare, make_app, users):
    async def idle(pilot):
        await at_gate(pilot)
        await steady(pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=idle)


def test_gate_match_80x24(snap_compare, make_app, services, users):
    services.issuance.ensure_office_key()
    for code in ("KOJA", "MTI1"):
        services.plp.save_tps(users[Role.SUPERVISOR], code, code, f"PT {code}", "IDTPP", 1000)
    _approved(services, users, services.plp)
    gate_cfg = services.settings.gate.model_copy(update={"tps": "KOJA"})
    services.ctx.settings = with_overrides(services.settings, gate=gate_cfg)

    async def match(pilot):
        await at_gate(pilot, "siti")
        await read(pilot, "CSQU3054383")
        await steady(pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=match)


def test_gate_refusal_80x24(snap_compare, make_app, users):
    async def refusal(pilot):
        await at_gate(pilot)
        await read(pilot, "MSCU6639871")
        await steady(pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=refusal)


def test_gate_override_waiting_80x24(snap_compare, make_app, users):
    async def waiting(pilot):
        await at_gate(pilot)
        await read(pilot, "MSKU9070323")
        await pilot.press("ctrl+t")
        await pilot.pause()
        await pilot.press(*"sopir menunggu dokumen", "enter")
        await pilot.pause()
        await pilot.press("ctrl+o")
        screen = pilot.app.screen
        await until(pilot, lambda: getattr(screen, "override_request", None) is not None)
        await steady(pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=waiting)
