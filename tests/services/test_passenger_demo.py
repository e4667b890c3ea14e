"""The passenger demo data: today's flights with 30 e-CDs across green and red lanes, a few already worked, the
F5 codes pointing at stored e-CDs, and the daily report reading the duties of the counter."""

from __future__ import annotations

from collections import Counter

from workstation.demo import ecd as P


def test_demo_seed_fills_todays_flights(services):
    from workstation.demo import DEMO_PASSWORD, DEMO_USERS
    from workstation.services import reference
    from workstation.services.base import cli_actor

    auth = services.auth
    login, name, _, nip = DEMO_USERS[0]
    auth.create_first_admin(login, name, DEMO_PASSWORD, nip=nip)
    services.issuance.ensure_office_key()
    admin = auth.login(login, DEMO_PASSWORD)
    for login, name, role, nip in DEMO_USERS[1:]:
        auth.create_user(admin, login, name, [role], DEMO_PASSWORD, nip=nip)
    reference.seed_demo(services)
    P.seed_demo(services)

    q = services.ecd.queue()
    assert len(q.rows) == 30 and q.lanes["red"] >= 10 and q.lanes["green"] >= 10
    assert {f for f, _ in q.flights} == {"GA881", "SQ956", "QR956", "GA985"}
    states = Counter(r.state for r in q.rows)
    assert states["RELEASED"] == 1 and states["BILLED"] == 1
    reasons = {code for r in q.rows for code in r.reasons}
    assert {"VALUE_OVER_ALLOWANCE", "EXCISE_OVER_ALLOWANCE", "CASH_OVER_THRESHOLD", "QUARANTINE_GOODS",
            "NON_PERSONAL_GOODS", "OFFICER_DIVERSION"} <= reasons
    codes = services.ecd.demo_scan_codes()
    assert codes and all(services.ecd.find(c[4:]).ecd_id == c[4:] for c in codes[:3])
    report = services.report.daily_report_data(cli_actor(services.settings), services.ctx.today())
    duty = {d.label: (d.assessed_idr, d.collected_idr) for d in report.duties}
    billed = next(r for r in q.rows if r.state == "BILLED")
    assert duty["ECD"][0] >= billed.total_idr > 0 and duty["ECD"][1] == 0
    assert services.audit.verify(cli_actor(services.settings)).ok
