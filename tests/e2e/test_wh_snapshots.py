"""SVG snapshots of the warehouse (PLP) screens at 80x24 in Indonesian (#12 item 10): the queue, one request
with its lines, and the decision's preview before it is issued. SQLite only: the status bar names the back
end."""

from __future__ import annotations

import pytest

from tests.conftest import BACKEND
from tests.e2e.conftest import login, settle
from tests.e2e.test_gate_snapshots import steady
from workstation.demo.plp import demo_request
from workstation.domain.codes import Role

pytestmark = pytest.mark.skipif(BACKEND != "sqlite", reason="snapshots show the back end name; taken on SQLite")


@pytest.fixture
def submitted(services, users):
    services.issuance.ensure_office_key()
    sup = users[Role.SUPERVISOR]
    services.plp.save_tps(sup, "KOJA", "TPK Koja", "PT Koja", "IDTPP", 1000, occupancy_teu_entered=700)
    services.plp.save_tps(sup, "MTI1", "MTI 1", "PT MTI", "IDTPP", 1000)
    return services.plp.import_request(users[Role.OFFICER], demo_request(
        "KOJA", "MTI1", "YOR_OVER_THRESHOLD", [("CSQU3054383", "40"), ("MSCU6639870", "40")]))


async def queue(pilot) -> None:
    await login(pilot.app, pilot, "agus")
    await pilot.press("f6")
    await settle(pilot.app, pilot)


async def request(pilot) -> None:
    await queue(pilot)
    await pilot.press("enter")
    await settle(pilot.app, pilot)


def test_plp_queue_80x24(snap_compare, make_app, submitted):
    async def shown(pilot):
        await queue(pilot)
        await steady(pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=shown)


def test_plp_request_80x24(snap_compare, make_app, submitted):
    async def shown(pilot):
        await request(pilot)
        await steady(pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=shown)


def test_plp_decision_preview_80x24(snap_compare, make_app, submitted):
    async def preview(pilot):
        await request(pilot)
        await pilot.press("a", "x")
        await pilot.pause()
        await pilot.press(*"BL tidak sesuai", "enter")
        await pilot.pause()
        await pilot.press("s")
        await settle(pilot.app, pilot)
        await steady(pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=preview)
