"""The red-lane path PIB → billing → registration + SPJM → IP → BAP / LHP → determination, for each outcome,
through the service; then payment and release. Documents are checked in the official-documents store."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from db.models import Document
from db.models_pib import PibBilling, PibDetermination, PibReport
from tests.services.test_pib_support import (
    NTPN,
    bap_form,
    env_fixture,  # noqa: F401  (the `env` fixture)
    lhp_form,
    variant,
)
from workstation.errors import InputError, PermissionDenied, Refusal
from workstation.services import pib as P


def doc_types(env, cid) -> list[str]:
    return [d.doc_type for d in env.detail(cid).documents]


def content(env, number) -> dict:
    return json.loads(env.services.issuance.content(number))


def test_registration_issues_spjm_with_gapless_number_and_starts_the_clock(env):
    first = env.registered()
    second = env.registered(variant("102"))
    a, b = env.detail(first), env.detail(second)
    assert (a.state, b.state) == (P.SPJM, P.SPJM)
    assert (a.registration_number, b.registration_number) == ("000001", "000002")
    assert a.registered_on == env.services.ctx.today() and a.sla.days_since_registration == 0
    assert a.sla.determination_due.isoformat() == "2026-12-21"  # 30 days (rule set)
    spjm = [d for d in a.documents if d.doc_type == "SPJM"]
    assert len(spjm) == 1
    body = content(env, spjm[0].number)
    assert "SURAT PEMBERITAHUAN JALUR MERAH" in body["title"]
    assert a.billing("DECLARED").paid_on == env.services.ctx.today() and a.billing("DECLARED").ntpn == NTPN


def test_sppb_path(env):
    cid = env.in_research()
    d = env.detail(cid)
    assert d.state == P.RESEARCH and d.lhp.version == 1 and d.lhp.content["conclusion"] == "MATCH"
    assert doc_types(env, cid) == ["SPJM", "IP", "BAP", "LHP"]
    r = env.determine(cid)
    assert r.assessment.outcome.value == "SPPB" and r.case.state == P.SPPB
    assert r.assessment.determined.totals == r.assessment.declared.totals
    d = env.detail(cid)
    assert doc_types(env, cid)[-1] == "SPPB" and d.determination.outcome == "SPPB"
    assert d.determination.ruleset_id == "PMK-190-2022"
    env.pib.release(env.officer, cid, d.version, note="gate out TPS KOJA")
    d = env.detail(cid)
    assert d.state == P.RELEASED and d.released_at is not None
    # the case header keeps only what a queue shows; duties, outcome, inspector… live in the PIB's own tables
    assert d.case.summary == {"importer": "PT Sinar Data Nusantara"}


def test_sptnp_path_with_billing_due_dates_payment_and_sppb(env):
    cid = env.in_research(lhp=lhp_form(match=False))
    r = env.determine(cid, [{"seq": 1, "hs_code": "8471500000", "cif": "6500.00", "bm_rate": "5"}])
    a = r.assessment
    assert a.outcome.value == "SPTNP" and r.case.state == P.SPTNP
    # declared BM: item 2 only (120 cookers, USD 1200 x 16000 x 7.5% = 1,440,000); determined adds 5,200,000
    assert (a.declared.totals.bm_idr, a.bm_shortfall_idr) == (1_440_000, 5_200_000)
    assert a.fine_rate_pct == 300 and a.fine_idr == 15_600_000  # shortfall 361 % of BM declared: tier <= 400 %
    d = env.detail(cid)
    bill = d.billing("SPTNP")
    assert bill.code == r.billing_code and bill.total_idr == a.difference.total_idr + a.fine_idr
    assert bill.due_on.isoformat() == "2027-01-20"  # 60 days
    sptnp = content(env, r.documents[0])
    fields = {row["label"]: row["value"] for b in sptnp["blocks"] if b["kind"] == "fields" for row in b["rows"]}
    assert fields["Batas pengajuan keberatan"] == "20 Januari 2027" and fields["Kode billing"] == bill.code
    assert doc_types(env, cid)[-1] == "SPTNP"
    with pytest.raises(InputError) as e:
        env.pib.pay_sptnp(env.examiner, cid, d.version, billing_code=bill.code, ntpn=NTPN, amount_idr=1)
    assert e.value.field == "amount_idr"
    env.pib.pay_sptnp(env.examiner, cid, d.version, billing_code=bill.code, ntpn=NTPN, amount_idr=bill.total_idr)
    d = env.detail(cid)
    assert d.state == P.SPPB and doc_types(env, cid)[-1] == "SPPB" and d.billing("SPTNP").paid_on


def test_sptnp_sppb_path_on_overpayment(env):
    cid = env.in_research()
    r = env.determine(cid, [{"seq": 2, "cif": "1000.00"}])
    assert r.assessment.outcome.value == "SPTNP+SPPB" and r.case.state == P.SPPB
    assert r.assessment.difference.total_idr < 0 and r.billing_code is None
    assert doc_types(env, cid)[-2:] == ["SPTNP", "SPPB"]
    body = json.dumps(content(env, r.documents[0]))
    assert "Kelebihan pembayaran" in body


def test_spbl_path_then_permit_and_new_determination(env):
    cid = env.in_research()
    # the examiner finds the laptops are smartphones: a lartas post, no permit
    r = env.determine(cid, [{"seq": 1, "hs_code": "8517130000"}])
    assert r.assessment.outcome.value == "SPBL" and r.assessment.lartas_missing == (1,)
    assert r.case.state == P.SPBL and doc_types(env, cid)[-1] == "SPBL"
    spbl = json.dumps(content(env, r.documents[0]))
    assert "Kementerian Komunikasi" in spbl
    d = env.detail(cid)
    env.pib.record_supporting_documents(env.examiner, cid, d.version,
                                        [{"kind": "PERMIT", "number": "PI-04.PI-61.26.0999", "item_seq": 1}])
    r2 = env.determine(cid, [{"seq": 1, "hs_code": "8517130000"}])
    assert r2.assessment.outcome.value == "SPPB" and r2.case.state == P.SPPB
    dets = env.detail(cid).determination
    assert dets.version == 2 and dets.items[0]["lartas_permit"] == "PI-04.PI-61.26.0999"


def test_declared_lartas_line_without_permit_ends_in_spbl(env):
    r = env.intake(variant("301", "lartas_phone_no_permit.json"))
    assert r.accepted and env.detail(r.case_id).lartas[0].missing
    cid = r.case_id
    env.pib.pay_billing(env.examiner, cid, r.version, billing_code=r.billing_code, ntpn=NTPN,
                        amount_idr=r.billing_total_idr)
    assert "LARTAS" in env.detail(cid).sla.flags
    d = env.detail(cid)
    env.pib.record_goods_ready(env.examiner, cid, d.version, location="TPS KOJA", ready_on="2026-11-21", contact="-")
    env.pib.issue_instruction(env.examiner, cid, env.detail(cid).version, inspector_login="budi", level_pct=30,
                              containers=["CSQU3054383", "MSKU9070323"])
    env.pib.record_bap(env.inspector, cid, env.detail(cid).version, bap_form())
    env.pib.submit_lhp(env.inspector, cid, env.detail(cid).version, lhp_form())
    assert env.determine(cid).assessment.outcome.value == "SPBL"


def test_lhp_amendment_is_a_new_version_and_the_old_is_locked(env):
    cid = env.in_research()
    first = env.detail(cid).lhp
    with pytest.raises(Refusal):  # a submitted LHP is amended explicitly, never submitted again
        env.pib.submit_lhp(env.inspector, cid, env.detail(cid).version, lhp_form(match=False))
    env.pib.amend_lhp(env.inspector, cid, env.detail(cid).version, lhp_form(match=False, undeclared=True),
                      reason="recount")
    d = env.detail(cid)
    assert d.state == P.RESEARCH and d.lhp.version == 2 and d.lhp.content["conclusion"] == "MISMATCH"
    assert d.lhp.document_number == first.document_number
    versions = [x.version for x in d.documents if x.number == first.document_number]
    assert versions == [1, 2]
    with env.services.ctx.db.read() as s:
        assert len(s.scalars(select(PibReport).where(PibReport.kind == "LHP")).all()) == 2
    # the stored report itself refuses change (append-only trigger)
    with pytest.raises(Exception, match="append-only"), env.services.ctx.db.write() as s:
        s.execute(text("UPDATE pib_reports SET version = 9"))


def test_determinations_and_submissions_are_append_only(env):
    cid = env.in_research()
    env.determine(cid)
    for table in ("pib_determinations", "pib_submissions"):
        with pytest.raises(Exception, match="append-only"), env.services.ctx.db.write() as s:
            s.execute(text(f"DELETE FROM {table}"))
    with env.services.ctx.db.read() as s:
        assert s.scalar(select(PibDetermination.outcome)) == "SPPB"


def test_ip_reissue_to_another_inspector_is_a_new_version(env):
    from tests.services.test_pib_support import make_dual_role_user

    other = make_dual_role_user(env, "joko", roles=["inspector"])
    cid = env.in_inspection()
    first = env.detail(cid).instruction
    env.pib.issue_instruction(env.examiner, cid, env.detail(cid).version, inspector_login="joko", level_pct=30,
                              containers=["CSQU3054383", "MSKU9070323"])
    d = env.detail(cid)
    assert (d.instruction.version, d.instruction.inspector_login, d.instruction.level_pct) == (2, "joko", 30)
    assert d.instruction.document_number == first.document_number
    # budi is no longer the inspector the IP names
    with pytest.raises(PermissionDenied) as e:
        env.pib.record_bap(env.inspector, cid, d.version, bap_form())
    assert e.value.code == "NOT_ASSIGNED"
    env.pib.record_bap(other, cid, d.version, bap_form())


def test_sampling_and_lab_test_gate_the_determination(env):
    cid = env.in_research(samples=True)
    d = env.detail(cid)
    assert d.sampling is not None and "BA-CONTOH" in doc_types(env, cid)
    with pytest.raises(Refusal) as e:
        env.pib.request_lab_test(env.examiner, cid, d.version, item_seq=1, text="composition")
    assert e.value.code == "NO_SAMPLE"
    env.pib.request_lab_test(env.examiner, cid, d.version, item_seq=2, text="composition of the inner pot")
    before = env.counts()
    with pytest.raises(Refusal) as e:
        env.determine(cid)
    assert e.value.code == "OPEN_REQUESTS" and env.counts() == before
    req = env.detail(cid).requests[-1]
    with pytest.raises(InputError):
        env.pib.record_answer(env.examiner, cid, env.detail(cid).version, req.id, answer="done", result="MAYBE")
    env.pib.record_answer(env.examiner, cid, env.detail(cid).version, req.id, answer="aluminium, as declared",
                          result="CONFORMS")
    assert env.determine(cid).assessment.outcome.value == "SPPB"


def test_submit_lhp_needs_the_samples_the_ip_asked_for(env):
    cid = env.in_inspection(samples=True)
    env.pib.record_bap(env.inspector, cid, env.detail(cid).version, bap_form())
    with pytest.raises(Refusal) as e:
        env.pib.submit_lhp(env.inspector, cid, env.detail(cid).version, lhp_form())
    assert e.value.code == "SAMPLING_REQUIRED"


def test_npd_due_in_three_working_days_blocks_determination_until_answered_or_due(env, clock):
    cid = env.in_research()
    env.pib.request_information(env.examiner, cid, env.detail(cid).version, kind="NPD",
                                text="Send the sales contract and proof of payment.")
    req = env.detail(cid).requests[-1]
    # requested Saturday 21 Nov 2026: three working days -> Wednesday 25 Nov
    assert req.kind == "NPD" and req.due_on.isoformat() == "2026-11-25" and req.document_number
    assert "NPD" in doc_types(env, cid) and "OPEN_REQUEST" in env.detail(cid).sla.flags
    with pytest.raises(Refusal):
        env.determine(cid)
    clock.advance(days=5)  # past due without an answer: the examiner decides on what there is
    assert env.determine(cid).assessment.outcome.value == "SPPB"


def test_dnp_answer_is_recorded_once(env):
    cid = env.in_research()
    env.pib.request_information(env.examiner, cid, env.detail(cid).version, kind="DNP", text="Declare the value.")
    req = env.detail(cid).requests[-1]
    env.pib.record_answer(env.examiner, cid, env.detail(cid).version, req.id, answer="DNP lodged, transaction value")
    with pytest.raises(Refusal) as e:
        env.pib.record_answer(env.examiner, cid, env.detail(cid).version, req.id, answer="again")
    assert e.value.code == "ALREADY_ANSWERED"
    assert env.detail(cid).requests[-1].answer == "DNP lodged, transaction value"
    assert "DNP" in doc_types(env, cid)


def test_referral_to_enforcement_flags_the_case(env):
    cid = env.in_research(lhp=lhp_form(undeclared=True))
    env.pib.refer_to_enforcement(env.examiner, cid, env.detail(cid).version, reason="undeclared goods found")
    d = env.detail(cid)
    assert "ENFORCEMENT" in d.sla.flags and d.requests[-1].kind == "ENFORCEMENT"
    assert not d.requests[-1].open  # a referral does not hold up the determination
    env.pib.determine(env.examiner, cid, d.version, [], note="undeclared lids referred to P2")


def test_research_view_highlights_differences(env):
    lhp = lhp_form()
    changed = lhp.model_copy(update={"items": [lhp.items[0].model_copy(update={"hs_code": "8471500000",
                                                                                 "quantity": Decimal(12), "match": False}),
                                               lhp.items[1]]})
    cid = env.in_research(lhp=changed)
    rows = env.pib.research(env.examiner, cid)
    assert [r.seq for r in rows] == [1, 2]
    assert {d.value for d in rows[0].differences} == {"HS_CODE", "QUANTITY", "MISMATCH"}
    assert rows[1].differences == ()


def test_billing_payment_is_checked(env):
    r = env.intake()
    before = env.counts()
    with pytest.raises(InputError) as e:
        env.pib.pay_billing(env.examiner, r.case_id, r.version, billing_code="800000000000000", ntpn=NTPN,
                            amount_idr=r.billing_total_idr)
    assert e.value.field == "billing_code"
    with pytest.raises(InputError) as e:
        env.pib.pay_billing(env.examiner, r.case_id, r.version, billing_code=r.billing_code, ntpn="12",
                            amount_idr=r.billing_total_idr)
    assert e.value.field == "ntpn"
    with pytest.raises(InputError) as e:
        env.pib.pay_billing(env.examiner, r.case_id, r.version, billing_code=r.billing_code, ntpn=NTPN,
                            amount_idr="-5")
    assert e.value.field == "amount_idr"
    assert env.counts() == before
    with env.services.ctx.db.read() as s:
        assert s.scalar(select(PibBilling.paid_on)) is None


def test_every_document_of_the_path_is_signed_and_verifiable(env):
    cid = env.in_research(samples=True)
    env.pib.request_information(env.examiner, cid, env.detail(cid).version, kind="NPD", text="contract")
    env.clock.advance(days=5)
    env.determine(cid, [{"seq": 1, "hs_code": "8471500000", "cif": "6500.00", "bm_rate": "5"}])
    with env.services.ctx.db.read() as s:
        types = sorted({d.doc_type for d in s.scalars(select(Document).where(Document.case_id == cid))})
    assert types == ["BA-CONTOH", "BAP", "IP", "LHP", "NPD", "SPJM", "SPTNP"]
    from printing.content import load_content

    for d in env.detail(cid).documents:
        load_content(env.services.issuance.content(d.number, d.version))  # stored content is valid document/1
