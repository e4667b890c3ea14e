"""SVG snapshots of every part of Administration (F9) at 80×24 in Indonesian, and of its dialogs. SQLite only
(the status bar names the back end); session clients are fixed so that the pictures do not name this host."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.conftest import BACKEND
from tests.e2e.conftest import login, settle
from workstation.domain.codes import Role

pytestmark = pytest.mark.skipif(BACKEND != "sqlite", reason="snapshots show the back end name; taken on SQLite")


@pytest.fixture(autouse=True)
def fixed_client(monkeypatch):
    monkeypatch.setattr("workstation.services.auth.client_label", lambda: "counter-3 local")


@pytest.fixture
def admin_data(services, users):
    from db.models_pib import LartasRule, TariffPost

    admin = users[Role.ADMIN]
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with services.ctx.db.write() as s:
        s.add(TariffPost(hs_code="0901210000", description="Kopi sangrai, tidak dihilangkan kafeinnya",
                         bm_rate=Decimal("20"), source="demo", imported_at=when))
        s.add(TariffPost(hs_code="8517130000", description="Telepon pintar", bm_rate=Decimal("0"), source="demo",
                         imported_at=when))
        s.add(LartasRule(hs_prefix="8517", permit="Sertifikat alat telekomunikasi", agency="Komdigi", source="demo",
                         imported_at=when))
    services.reference.import_rates(admin, text="currency,rate_idr,valid_from,valid_to\n"
                                                "USD,16250.00,2026-11-18,2026-11-24\nJPY,10650,2026-11-18,2026-11-24\n",
                                    source="kmk-2026-47.csv")
    services.admin.block_importer(admin, "012345678901234", "PT Niaga Contoh", "SPTNP belum dibayar")
    services.plp.save_tps(admin, "KOJA", "TPK Koja", "PT Koja", "IDTPP", "8000", facilities="LCL")
    from workstation.sync.central import CentralSync

    CentralSync(services.ctx).add_unit(admin, "PTK1", "Unit keliling Priok")
    return users


async def sync_panel_shown(pilot) -> None:
    """The status bar's sync figures have arrived (its first poll is a second after the screen opens; the
    picture is taken after it, on every machine)."""
    from screens.widgets.statusbar import StatusBar, _cache, poll_sync_now

    cache = _cache(pilot.app)
    if cache.panel is None:
        poll_sync_now(pilot.app)
    for _ in range(100):
        if cache.panel is not None and not cache.busy:
            break
        await pilot.pause(0.05)
    await settle(pilot.app, pilot)
    for bar in pilot.app.screen.query(StatusBar):
        bar.refresh_status()
    await pilot.pause()


def _at_tab(digit: str):
    async def run(pilot):
        await login(pilot.app, pilot, "admin")
        for _ in range(50):  # a busy machine: the key may come before the home screen takes keys
            if type(pilot.app.screen).__name__ == "AdminScreen":
                break
            await pilot.press("f9")
            await settle(pilot.app, pilot)
        if digit != "1":
            await pilot.press(digit)
            await settle(pilot.app, pilot)
        await pilot.pause(0.2)  # a busy machine: let focus and column widths settle before the picture
        await sync_panel_shown(pilot)

    return run


@pytest.mark.parametrize("digit,part", [("1", "users"), ("2", "sessions"), ("3", "office"), ("4", "rates"),
                                        ("5", "blocks"), ("6", "tariff"), ("7", "tps"), ("8", "devices"),
                                        ("9", "units")])
def test_admin_part_80x24(snap_compare, make_app, admin_data, digit, part):
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_at_tab(digit))


def test_admin_ssh_keys_80x24(snap_compare, make_app, admin_data):
    async def run(pilot):
        await _at_tab("1")(pilot)
        table = pilot.app.screen.query_one("#users")
        table.move_cursor(row=table.get_row_index("siti"))
        await pilot.press("k")
        await settle(pilot.app, pilot)
        await pilot.pause(0.2)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run)
