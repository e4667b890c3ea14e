"""The supervisor's risk screen: hit rates with intervals, the chart, profiles (withdraw by key), at 80×24."""

from __future__ import annotations

from textual.widgets import DataTable, Sparkline, Static

from screens.risk import RiskScreen, bar
from tests.e2e.conftest import login, settle
from tests.risk.support import base_doc, profile_file, risk, setup, store_ecd, supervisor
from workstation.domain.codes import Role


def test_bar_shows_rate_interval_and_baseline():
    from decimal import Decimal

    b = bar(Decimal("0.5"), Decimal("0.3"), Decimal("0.7"), Decimal("0.1"))
    assert len(b) == 30 and b.count("█") == 14 and b[3] == "│" and b[20] == "─"


async def test_risk_screen_shows_hit_rates_and_withdraws(services, users, make_app):
    setup(services, users)
    risk(services).import_profiles(supervisor(users), profile_file(
        {"code": "ELEC", "conditions": {"hs_chapters": ["84"]}}, random=[{"workflow": "ecd", "rate": "1"}]))
    for n, found in enumerate(["UNDECLARED", "NOTHING", "NOTHING"]):
        case_id, _ = store_ecd(services, users, base_doc(f"ECD-SCR-{n}"))
        risk(services).record_outcome(users[Role.OFFICER], case_id, [found], duties_idr=100_000)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "agus")
        app.push_screen(RiskScreen())
        await settle(app, pilot)
        screen = app.screen
        rates = screen.query_one("#risk-rates", DataTable)
        rows = [[str(c) for c in rates.get_row_at(i)] for i in range(rates.row_count)]
        elec = next(r for r in rows if r[1] == "ELEC")
        assert elec[3:7] == ["3", "3", "1", "33.3%"] and elec[9] == "1.00×"  # random selected every case too
        assert "█" in str(screen.query_one("#risk-chart", Static).render())
        assert screen.query_one("#spark-targeted", Sparkline).data == [0.3333]
        await pilot.press("w")
        await settle(app, pilot)
        assert [p.active for p in risk(services).profiles()] == [False]
