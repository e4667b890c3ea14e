"""The counter workflow through the services: divert, dual-authorised clearance, red-lane inspection (findings,
excise count, referrals, cash procedure, destruction), reassessment with billing, payment, release. Each step
checks role, state and version and writes an audit entry; refused steps write nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from db.models import AuditEntry, CaseEvent, Document
from db.models_passenger import EcdFinding
from printing.content import load_content
from tests.conftest import PASSWORD
from tests.services.passenger_support import base_doc, counts, green_doc, setup, text
from workstation.domain.codes import Role
from workstation.errors import ConflictError, InputError, PermissionDenied, Refusal
from workstation.services.ecd import billing_code, seq_of_number


@pytest.fixture
def ecd(services, users):
    setup(services, users)
    return services.ecd


@pytest.fixture
def officer(users):
    return users[Role.OFFICER]


def _actions(services, case_id) -> list[str]:
    with services.ctx.db.read() as s:
        return [e.action for e in s.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)
                                            .order_by(CaseEvent.at, CaseEvent.id))]


def _doc(services, number):
    with services.ctx.db.read() as s:
        return load_content(s.scalar(select(Document.content_json).where(Document.number == number)))


def test_whole_red_lane_flow(services, users, ecd, officer):
    v = ecd.import_ecd(officer, text(base_doc())).view
    assert v.state == "RED" and {"ecd.finding", "ecd.clear"} <= ecd.allowed_actions(officer, v)
    assert "ecd.release" not in ecd.allowed_actions(officer, v)
    v = ecd.record_finding(officer, v.case.id, v.version, item_no=1, status="FOUND", value="1500.00",
                           hs_code="8471.30.00.00", note="invoice shows 1,500")
    assert v.state == "INSPECTING" and v.findings[0].hs_code == "8471300000" and v.findings[0].revisions == 1
    v = ecd.record_finding(officer, v.case.id, v.version, item_no=None, status="UNDECLARED",
                           description="Mobile phone", value="300", currency="USD", hs_code="851713")
    assert [(f.item_no, f.status) for f in v.findings] == [(1, "FOUND"), (2, "UNDECLARED")]
    v = ecd.reassess(officer, v.case.id, v.version)
    # 1,800 - 500 = 1,300 USD × 16,000 = 20,800,000; BM 2,080,000; PPN 11% of 22,880,000 → 2,517,000
    assert v.state == "BILLED" and v.decision.kind == "REASSESSMENT" and v.decision.total_idr == 4597000
    assert v.billing.amount_idr == 4597000 and re.fullmatch(r"704030026[0-9]{6}", v.billing.code)
    assert ecd.queue(v.document.arrival.date).rows[0].total_idr == 4597000  # the current decision's total
    slip = _doc(services, v.billing.document_number)
    assert slip.doc_type == "ECD-BILL" and slip.receipt.total_idr == 4597000
    assert v.billing.code in slip.model_dump_json()
    with pytest.raises(Refusal) as exc:
        ecd.release(officer, v.case.id, v.version)
    assert exc.value.code == "INVALID_STATE"
    v = ecd.record_payment(officer, v.case.id, v.version, billing_code=v.billing.code,
                           receipt_number="ntpn 1234 5678 90AB", amount_idr="4.597.000", channel="qris")
    assert v.state == "PAID" and v.payment.receipt_number == "NTPN1234567890AB" and v.payment.channel == "QRIS"
    assert v.payment.amount_idr == 4597000
    receipt = _doc(services, v.payment.document_number)
    assert receipt.receipt.kind == "payment" and receipt.receipt.total_idr == 4597000
    v = ecd.release(officer, v.case.id, v.version, note="ok")
    assert v.state == "RELEASED" and ecd.allowed_actions(officer, v) == {"ecd.slip"}
    assert [d.doc_type for d in v.documents] == ["ECD-BILL", "ECD-KWT", "ECD-SPPB"]
    assert _actions(services, v.case.id) == ["ecd.open", "ecd.finding", "ecd.finding", "ecd.reassess", "ecd.pay",
                                             "ecd.release"]
    with services.ctx.db.read() as s:
        audited = [a for a in s.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)) if a.startswith("ecd.")]
    assert audited == ["ecd.open", "ecd.finding", "ecd.finding", "ecd.reassess", "ecd.pay", "ecd.release"]


def test_divert_needs_a_reason_and_shows_officer_diversion(services, users, ecd, officer):
    v = ecd.import_ecd(officer, text(green_doc())).view
    before = counts(services)
    with pytest.raises(InputError) as exc:
        ecd.divert(officer, v.case.id, v.version, "   ")
    assert exc.value.field == "reason"
    with pytest.raises(ConflictError):
        ecd.divert(officer, v.case.id, v.version + 1, "tas mencurigakan")
    with pytest.raises(PermissionDenied):
        ecd.divert(users[Role.INSPECTOR], v.case.id, v.version, "tas mencurigakan")
    assert counts(services) == before
    d = ecd.divert(officer, v.case.id, v.version, "tas mencurigakan di x-ray")
    assert d.state == "RED" and d.lane == "red" and d.case.reasons == ("OFFICER_DIVERSION",)
    assert d.decision.kind == "DIVERSION" and d.decision.reasons == ("OFFICER_DIVERSION",)
    assert d.decision.record["lane"] == "red" and d.diversion_note == "tas mencurigakan di x-ray"
    assert d.decision.decided_by == "siti"
    with pytest.raises(Refusal) as exc:
        ecd.divert(officer, d.case.id, d.version, "again")
    assert exc.value.code == "INVALID_STATE"
    # inspection finds nothing: reassessed, the diversion stays among the reasons, nothing to pay
    r = ecd.reassess(officer, d.case.id, d.version)
    assert r.state == "ASSESSED" and "OFFICER_DIVERSION" in r.decision.reasons and r.billing is None
    assert ecd.release(officer, r.case.id, r.version).state == "RELEASED"


def test_clearance_needs_another_user_with_the_supervisor_role(services, users, ecd, officer):
    doc = base_doc(goods=[{"description": "Parfum", "hs_code": "330300", "quantity": 1, "unit": "PCE",
                           "value": "50.00", "currency": "USD", "personal_use": True}],
                   carrying={"animals_fish_plants": True, "narcotics_psychotropics": False,
                             "weapons_ammunition_explosives": False, "pornography": False})
    v = ecd.import_ecd(officer, text(doc)).view
    assert v.case.reasons == ("QUARANTINE_GOODS",) and v.decision.referrals == ("QUARANTINE",)
    before = counts(services)
    with pytest.raises(PermissionDenied):
        ecd.clear_to_green(officer, v.case.id, v.version, "dried flowers, certificate shown", None)
    with pytest.raises(PermissionDenied):
        ecd.clear_to_green(officer, v.case.id, v.version, "x", users[Role.EXAMINER])
    sup = users[Role.SUPERVISOR]
    with pytest.raises(PermissionDenied):  # the supervisor cannot confirm their own clearance
        ecd.clear_to_green(sup, v.case.id, v.version, "x", sup)
    assert counts(services) == before
    confirmed = services.auth.confirm_supervisor(officer, "agus", PASSWORD, "ecd.clear")
    c = ecd.clear_to_green(officer, v.case.id, v.version, "dried flowers, certificate shown", confirmed)
    assert c.state == "GREEN" and c.lane == "green" and "CLEARED" in c.case.flags
    assert c.cleared is not None and c.cleared.confirmed_by == "agus" and c.cleared.decided_by == "siti"
    # the quarantine referral is another authority's: kept on the green decision, release blocked until handed over
    assert c.decision.referrals == ("QUARANTINE",) and c.case.reasons == ("QUARANTINE_GOODS",)
    with services.ctx.db.read() as s:
        payload = s.scalar(select(AuditEntry.payload).where(AuditEntry.action == "ecd.clear"))
    assert '"confirmed_by":"agus"' in payload and '"kept_referrals":["QUARANTINE"]' in payload
    assert c.release_blockers() == ["QUARANTINE not recorded"]
    with pytest.raises(Refusal) as exc:
        ecd.release(officer, c.case.id, c.version)
    assert exc.value.code == "RELEASE_BLOCKED"
    r = ecd.refer(officer, c.case.id, c.version, "QUARANTINE", receiver="BARANTIN", receiver_name="Andi",
                  items=[("Dried flowers", "1 PCE")])
    assert r.state == "GREEN" and r.release_blockers() == []
    assert ecd.release(officer, r.case.id, r.version).state == "RELEASED"


def test_a_cleared_case_with_duties_is_billed_before_release(services, users, ecd, officer):
    v = ecd.import_ecd(officer, text(base_doc())).view
    sup = services.auth.confirm_supervisor(officer, "agus", PASSWORD, "ecd.clear")
    c = ecd.clear_to_green(officer, v.case.id, v.version, "invoice checked at the desk", sup)
    # The state allows release (the table offers it); the unbilled duty refuses it, with its code.
    assert "ecd.release" in ecd.allowed_actions(officer, c) and c.release_blockers()
    with pytest.raises(Refusal) as exc:
        ecd.release(officer, c.case.id, c.version)
    assert exc.value.code == "RELEASE_BLOCKED" and "2,476,000" in str(exc.value)
    b = ecd.reassess(officer, c.case.id, c.version)
    assert b.state == "BILLED" and b.billing.amount_idr == 2476000


def test_excise_above_the_allowance_is_destroyed_before_release(services, users, ecd, officer):
    doc = green_doc(excise={"cigarettes": 200, "cigars": 0, "sliced_tobacco_g": 0, "alcohol_l": "1"})
    v = ecd.import_ecd(officer, text(doc)).view
    assert v.state == "GREEN"
    v = ecd.divert(officer, v.case.id, v.version, "rokok di koper")
    v = ecd.record_excise_count(officer, v.case.id, v.version, cigarettes="600", alcohol_l="2.5")
    assert v.excise_count.cigarettes == 600
    with pytest.raises(Refusal) as exc:
        ecd.destroy_excise(officer, v.case.id, v.version, witnesses="Budi, Ani")
    assert exc.value.code == "NO_EXCISE_EXCESS"  # not yet reassessed with the count
    v = ecd.reassess(officer, v.case.id, v.version)
    assert v.state == "ASSESSED" and v.decision.excise_excess == {"cigarettes": 400, "cigars": 0,
                                                                  "sliced_tobacco_g": 0, "alcohol_l": "1.5"}
    assert "EXCISE_DESTRUCTION" in v.decision.referrals and v.decision.total_idr == 0  # destroyed, never taxed
    assert "EXCISE_DESTRUCTION not recorded" in v.release_blockers()
    v = ecd.destroy_excise(officer, v.case.id, v.version, witnesses="Budi Santoso (penumpang), Ani (saksi)")
    minutes = _doc(services, v.referrals[-1].document_number)
    assert minutes.doc_type == "ECD-BAMUS" and "400 batang" in minutes.model_dump_json()
    with pytest.raises(Refusal):
        ecd.destroy_excise(officer, v.case.id, v.version, witnesses="again")
    assert ecd.release(officer, v.case.id, v.version).state == "RELEASED"


def test_cash_procedure_fines_undeclared_cash(services, users, ecd, officer):
    v = ecd.import_ecd(officer, text(base_doc())).view
    before = counts(services)
    with pytest.raises(Refusal) as exc:
        ecd.cash_procedure(officer, v.case.id, v.version, [("USD", "5000")], receiver="PPATK desk",
                           receiver_name="Rina")
    assert exc.value.code == "CASH_BELOW_THRESHOLD"  # 80,000,000 < 100,000,000
    with pytest.raises(InputError) as exc:
        ecd.cash_procedure(officer, v.case.id, v.version, [("GBP", "9000")], receiver="x", receiver_name="y")
    assert exc.value.field == "cash[0].currency"
    with pytest.raises(InputError) as exc:
        ecd.cash_procedure(officer, v.case.id, v.version, [("USD", "-5")], receiver="x", receiver_name="y")
    assert exc.value.field == "cash[0].amount"
    assert counts(services) == before
    v = ecd.cash_procedure(officer, v.case.id, v.version, [("USD", "8000"), ("IDR", "2000000")],
                           receiver="Unit pengawasan uang tunai", receiver_name="Rina Wati")
    r = v.referrals[-1]
    assert r.code == "CASH_DECLARATION" and r.cash_idr == 130_000_000 and r.cash_declared is False
    assert r.fine_idr == 13_000_000  # 10% of the whole amount [U], below the cap
    minutes = _doc(services, r.document_number)
    assert minutes.doc_type == "ECD-BAST" and "Rp13.000.000" in minutes.model_dump_json()
    # the counted cash enters the reassessment
    v = ecd.reassess(officer, v.case.id, v.version)
    assert "CASH_OVER_THRESHOLD" in v.decision.reasons and "CASH_DECLARATION" in v.decision.referrals


def test_declared_cash_is_not_fined(services, users, ecd, officer):
    doc = green_doc(cash=[{"currency": "USD", "amount": "10000", "bearer_instrument": False}])
    v = ecd.import_ecd(officer, text(doc)).view
    assert v.case.reasons == ("CASH_OVER_THRESHOLD",) and v.decision.referrals == ("CASH_DECLARATION",)
    v = ecd.cash_procedure(officer, v.case.id, v.version, [("USD", "10000")], receiver="Unit uang tunai",
                           receiver_name="Rina")
    assert v.referrals[-1].cash_declared is True and v.referrals[-1].fine_idr == 0
    v = ecd.reassess(officer, v.case.id, v.version)
    assert ecd.release(officer, v.case.id, v.version).state == "RELEASED"


def test_cash_counted_above_the_declaration_shows_the_difference_and_fines_it(services, users, ecd, officer):
    # declared USD 10,000 (160,000,000 at NDPBM 16,000); counted USD 15,000 (240,000,000)
    doc = green_doc(cash=[{"currency": "USD", "amount": "10000", "bearer_instrument": False}])
    v = ecd.import_ecd(officer, text(doc)).view
    v = ecd.cash_procedure(officer, v.case.id, v.version, [("USD", "15000")], receiver="Unit uang tunai",
                           receiver_name="Rina")
    r = v.referrals[-1]
    assert (r.cash_idr, r.cash_declared_idr, r.cash_excess_idr) == (240_000_000, 160_000_000, 80_000_000)
    assert r.cash_declared is True and r.fine_idr == 8_000_000  # 10 % of the 80,000,000 not declared
    with services.ctx.db.read() as s:
        payload = s.scalar(select(AuditEntry.payload).where(AuditEntry.action == "ecd.cash_procedure"))
    assert '"excess_idr":80000000' in payload and '"fine_idr":8000000' in payload
    # the same count without the discrepancy: nothing to fine, none shown
    doc = green_doc("ECD-20261121-000201", cash=[{"currency": "USD", "amount": "15000", "bearer_instrument": False}])
    w = ecd.import_ecd(officer, text(doc)).view
    w = ecd.cash_procedure(officer, w.case.id, w.version, [("USD", "15000")], receiver="Unit uang tunai",
                           receiver_name="Rina")
    assert w.referrals[-1].cash_excess_idr == 0 and w.referrals[-1].fine_idr == 0


def test_referrals_quarantine_enforcement_and_pibk(services, users, ecd, officer):
    goods = [{"description": "Bibit tanaman", "hs_code": "060290", "quantity": 5, "unit": "PCE",
              "value": "20.00", "currency": "USD", "personal_use": True},
             {"description": "Tas jastip", "hs_code": "420221", "quantity": 10, "unit": "PCE",
              "value": "900.00", "currency": "USD", "personal_use": False}]
    v = ecd.import_ecd(officer, text(base_doc(goods=goods))).view
    assert set(v.decision.referrals) == {"PIBK", "QUARANTINE"}
    with pytest.raises(InputError) as exc:
        ecd.refer(officer, v.case.id, v.version, "PIBK", receiver="x", receiver_name="y", items=[("a", "1")])
    assert exc.value.field == "code"
    with pytest.raises(InputError) as exc:
        ecd.refer(officer, v.case.id, v.version, "QUARANTINE", receiver="Karantina", receiver_name="drh. Ani",
                  items=[])
    assert exc.value.field == "items"
    v = ecd.refer(officer, v.case.id, v.version, "QUARANTINE", receiver="Badan Karantina Indonesia",
                  receiver_name="drh. Ani", items=[("Bibit tanaman", "5 PCE", "tanpa sertifikat")])
    v = ecd.hand_off_pibk(officer, v.case.id, v.version, receiver="Seksi PIBK", receiver_name="Yusuf")
    pibk = v.referrals[-1]
    assert pibk.code == "PIBK" and pibk.items[0]["description"] == "Tas jastip"
    v = ecd.reassess(officer, v.case.id, v.version)
    assert v.state == "ASSESSED" and v.decision.total_idr == 0  # the jastip bags are not in the assessment
    assert ecd.release(officer, v.case.id, v.version).state == "RELEASED"
    plain = ecd.import_ecd(officer, text(base_doc("ECD-PLAIN"))).view
    with pytest.raises(Refusal) as exc:
        ecd.hand_off_pibk(officer, plain.case.id, plain.version, receiver="Seksi PIBK", receiver_name="Yusuf")
    assert exc.value.code == "NO_NON_PERSONAL_GOODS"


def test_not_found_goods_leave_nothing_to_pay_and_findings_are_append_only(services, users, ecd, officer):
    v = ecd.import_ecd(officer, text(base_doc())).view
    v = ecd.record_finding(officer, v.case.id, v.version, item_no=1, status="FOUND", value="1300")
    v = ecd.record_finding(officer, v.case.id, v.version, item_no=1, status="NOT_FOUND", note="left at home")
    assert v.findings[0].status == "NOT_FOUND" and v.findings[0].revisions == 2
    with services.ctx.db.read() as s:
        rows = s.scalars(select(EcdFinding).order_by(EcdFinding.recorded_at, EcdFinding.id)).all()
    assert [r.status for r in rows] == ["FOUND", "NOT_FOUND"] and rows[1].supersedes_id == rows[0].id
    v = ecd.reassess(officer, v.case.id, v.version)
    assert v.state == "ASSESSED" and v.decision.total_idr == 0
    assert ecd.search(v.ecd_id)[0].total_idr == 0  # the queue follows the current decision
    # a finding after the reassessment reopens the inspection
    v = ecd.record_finding(officer, v.case.id, v.version, item_no=1, status="FOUND")
    assert v.state == "INSPECTING" and v.findings[0].value == 1200


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        (dict(item_no=1, status="LOST"), "status"),
        (dict(item_no=5, status="FOUND"), "item"),
        (dict(item_no=1, status="UNDECLARED"), "status"),
        (dict(item_no=None, status="FOUND"), "item"),
        (dict(item_no=1, status="FOUND", hs_code="12ab"), "hs_code"),
        (dict(item_no=1, status="FOUND", value="1.200,50"), "value"),
        (dict(item_no=1, status="FOUND", value=1200.5), "value"),
        (dict(item_no=1, status="FOUND", currency="GBP"), "currency"),
        (dict(item_no=None, status="UNDECLARED", description="Jam"), "value"),
        (dict(item_no=None, status="UNDECLARED", value="10"), "description"),
    ],
)
def test_bad_findings_name_the_field_and_write_nothing(services, users, ecd, officer, kw, field):
    v = ecd.import_ecd(officer, text(base_doc())).view
    before = counts(services)
    with pytest.raises(InputError) as exc:
        ecd.record_finding(officer, v.case.id, v.version, **kw)
    assert exc.value.field == field
    assert counts(services) == before


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        (dict(billing_code="12345"), "billing_code"),
        (dict(billing_code="704030026999999"), "billing_code"),
        (dict(receipt_number="x"), "receipt_number"),
        (dict(amount_idr="2.000.000"), "amount_idr"),
        (dict(amount_idr="dua juta"), "amount_idr"),
        (dict(channel="BARTER"), "channel"),
    ],
)
def test_bad_payments_write_nothing(services, users, ecd, officer, kw, field):
    v = ecd.import_ecd(officer, text(base_doc())).view
    v = ecd.reassess(officer, v.case.id, v.version)
    values = dict(billing_code=v.billing.code, receipt_number="NTPN1234567890AB", amount_idr=2476000,
                  channel="CASH")
    values.update(kw)
    before = counts(services)
    with pytest.raises(InputError) as exc:
        ecd.record_payment(officer, v.case.id, v.version, **values)
    assert exc.value.field == field
    assert counts(services) == before


def test_stale_version_is_a_conflict_and_writes_nothing(services, users, ecd, officer):
    v = ecd.import_ecd(officer, text(base_doc())).view
    ecd.record_finding(officer, v.case.id, v.version, item_no=1, status="FOUND")
    before = counts(services)
    with pytest.raises(ConflictError) as exc:
        ecd.reassess(users[Role.SUPERVISOR], v.case.id, v.version)  # the version the screen showed is old
    assert "siti" in str(exc.value)
    assert counts(services) == before


def test_decision_slip_is_a_receipt_document(services, users, ecd, officer):
    v = ecd.import_ecd(officer, text(base_doc())).view
    v = ecd.issue_slip(officer, v.case.id, v.version)
    slip = _doc(services, v.documents[-1].number)
    assert slip.doc_type == "ECD-SLIP" and slip.receipt.kind == "ecd_slip"
    assert [ln.value for ln in slip.receipt.lines if ln.label == "Alasan"] == ["VALUE_OVER_ALLOWANCE"]
    assert slip.receipt.total_idr == 2476000
    assert "VALUE_OVER_ALLOWANCE" in services.documents.preview(slip.number)


def test_billing_code_comes_from_the_gapless_number():
    assert billing_code("040300", 2026, 17) == "704030026000017"
    fmt = "{seq:06d}/{doc_type}/{office}/{year}"
    assert seq_of_number(fmt, "000017/ECD-BILL/040300/2026", doc_type="ECD-BILL", office="040300", unit=None,
                         year=2026) == 17
    unit_fmt = "{seq:06d}/{doc_type}/{office}-{unit}/{year}"
    assert seq_of_number(unit_fmt, "000003/ECD-BILL/040300-U01/2026", doc_type="ECD-BILL", office="040300",
                         unit="U01", year=2026) == 3
    with pytest.raises(Refusal):
        seq_of_number(fmt, "000017/PIB/040300/2026", doc_type="ECD-BILL", office="040300", unit=None, year=2026)
    with pytest.raises(InputError):
        billing_code("KPU01", 2026, 1)


def test_billing_codes_follow_the_billing_slips(services, users, ecd, officer):
    codes = []
    for i in range(3):
        v = ecd.import_ecd(officer, text(base_doc(f"ECD-BILL-{i}"))).view
        v = ecd.reassess(officer, v.case.id, v.version)
        codes.append((v.billing.code, v.billing.document_number))
    assert [c for c, _ in codes] == [f"7040300260000{n:02d}" for n in (1, 2, 3)]
    assert [n for _, n in codes] == [f"00000{n}/ECD-BILL/040300/2026" for n in (1, 2, 3)]
