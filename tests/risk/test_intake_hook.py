"""The intake hook: a profile hit at the counter's import sends a green e-CD red with RISK_PROFILE, the
decision records it, and the selection is stored with the case; without a hit nothing changes."""

from __future__ import annotations

from sqlalchemy import select

from db.models_risk import RiskSelection as SelectionRow
from tests.risk.support import green_doc, profile_file, risk, setup, supervisor, text
from workstation.domain.codes import Role


def test_a_profile_hit_at_import_sends_the_case_red_with_risk_profile(services, users):
    setup(services, users)
    officer = users[Role.OFFICER]
    quiet = services.ecd.import_ecd(officer, text(green_doc("ECD-20261121-000501"))).view
    assert quiet.lane == "green" and "RISK_PROFILE" not in quiet.decision.reasons
    nat = green_doc("ECD-20261121-000502")["declarant"]["nationality"]
    risk(services).import_profiles(supervisor(users), profile_file({"code": "NAT", "conditions": {"nationality": [nat]}}))
    hit = services.ecd.import_ecd(officer, text(green_doc("ECD-20261121-000502"))).view
    assert hit.lane == "red" and "RISK_PROFILE" in hit.decision.reasons
    with services.ctx.db.read() as s:
        rows = {r.reference: r for r in s.scalars(select(SelectionRow))}
    assert set(rows) == {"ECD-20261121-000501", "ECD-20261121-000502"}
