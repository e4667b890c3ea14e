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


def test_a_released_red_case_records_its_outcome_without_anyone_asking(services, users):
    from tests.risk.support import base_doc

    setup(services, users)
    officer = users[Role.OFFICER]
    v = services.ecd.import_ecd(officer, text(base_doc("ECD-20261121-000511"))).view
    v = services.ecd.record_finding(officer, v.case.id, v.version, item_no=None, status="UNDECLARED",
                                    description="Mobile phone", value="300", currency="USD", hs_code="851713")
    v = services.ecd.reassess(officer, v.case.id, v.version)
    v = services.ecd.record_payment(officer, v.case.id, v.version, billing_code=v.billing.code,
                                    receipt_number="NTPN1234567890AB", amount_idr=str(v.billing.amount_idr),
                                    channel="qris")
    assert risk(services).outcome(v.case.id) is None
    services.ecd.release(officer, v.case.id, v.version)
    outcome = risk(services).outcome(v.case.id)
    assert outcome is not None and "UNDECLARED" in outcome.outcomes and outcome.hit
    green = services.ecd.import_ecd(officer, text(green_doc("ECD-20261121-000512"))).view
    services.ecd.release(officer, green.case.id, green.version)
    assert risk(services).outcome(green.case.id) is None  # a green case was not inspected
