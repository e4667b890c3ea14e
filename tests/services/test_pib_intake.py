"""Intake: every SKP check with a failing fixture (rejection response listing every problem, the PIB kept as
rejected), resubmission, lartas flags, billing, bad input writing nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from db.models import AuditEntry, CaseEvent
from db.models_pib import PibBilling, PibSubmission
from tests.services.test_pib_support import (
    FIXTURES,
    env_fixture,  # noqa: F401  (the `env` fixture)
    fixture_text,
    variant,
)
from workstation.errors import InputError, PermissionDenied, Refusal
from workstation.services import pib as P

SKP_FIXTURES = [
    ("skp_importer_blocked.json", "IMPORTER_BLOCKED", "importer.npwp"),
    ("skp_no_customs_access.json", "NO_CUSTOMS_ACCESS", "importer.api"),
    ("skp_office_mismatch.json", "OFFICE_MISMATCH", "office"),
    ("skp_bc11_unknown.json", "BC11_UNKNOWN", "bc11"),
    ("skp_bl_mismatch.json", "BL_MISMATCH", "bl.number"),
    ("skp_ndpbm_mismatch.json", "NDPBM_MISMATCH", "ndpbm"),
    ("skp_ndpbm_no_rate.json", "NDPBM_NO_RATE", "currency"),
    ("skp_hs_not_10_digits.json", "HS_NOT_10_DIGITS", "items[0].hs_code"),
    ("skp_hs_unknown.json", "HS_UNKNOWN", "items[1].hs_code"),
    ("skp_npwp_incomplete.json", "INCOMPLETE", "importer.npwp"),
    ("skp_cif_zero.json", "INCOMPLETE", "items[1].cif"),
    # a B/L dated after arrival cannot be the manifest's B/L either: both problems are listed
    ("skp_bl_after_arrival.json", "BL_MISMATCH+INCONSISTENT", "bl.date"),
    ("skp_arrival_in_future.json", "INCONSISTENT", "arrival_date"),
]


def test_accepted_pib_is_billed_with_the_declared_levies(env):
    r = env.intake()
    assert (r.accepted, r.state, r.submission, r.problems) == (True, P.BILLED, 1, ())
    # laptops USD 5000 (BM 0) + cookers USD 1200 (BM 7.5 %) at 16,000
    # BM 1,440,000; PPN 11 % of 80,000,000 + 20,640,000 = 11,070,400; PPh 2.5 % = 2,516,000
    assert r.billing_total_idr == 1_440_000 + 11_070_400 + 2_516_000
    assert len(r.billing_code) == 15 and r.billing_code.startswith("8040300")
    d = env.detail(r.case_id)
    assert d.registration_number is None and d.sla.days_since_registration is None
    assert d.billing("DECLARED").levies["bm_idr"] == 1_440_000
    with env.services.ctx.db.read() as s:
        ev = s.scalars(select(CaseEvent).where(CaseEvent.case_id == r.case_id)).one()
        assert (ev.action, ev.to_state) == ("pib.open", P.BILLED)
        assert s.scalar(select(AuditEntry.action).where(AuditEntry.entity_id == str(r.case_id))) == "pib.open"


def test_each_skp_check_rejects_with_a_response_and_keeps_the_pib(env):
    """One failing fixture per check (each its own aju), all in one database."""
    env.pib.block_importer(env.supervisor, "09.876.543.2-109.000", "PT Nakal", "unpaid duties, KEP-12/2026")
    for fixture, code, field in SKP_FIXTURES:
        r = env.pib.import_pib(env.examiner, FIXTURES / fixture)
        assert (r.accepted, r.state) == (False, P.REJECTED), fixture
        expected = [(c, field) for c in code.split("+")]
        assert [(p.code.value, p.field) for p in r.problems] == expected, fixture
        assert r.billing_code is None and len(r.documents) == 1, fixture
        d = env.detail(r.case_id)
        assert d.state == P.REJECTED and d.submissions[0].response_number == r.documents[0]
        assert d.submissions[0].source == fixture
        response = json.loads(env.services.issuance.content(r.documents[0]))
        assert response["doc_type"] == "PENOLAKAN"
        table = next(b for b in response["blocks"] if b["kind"] == "table")
        assert [tuple(row[1:3]) for row in table["rows"]] == expected, fixture
        with env.services.ctx.db.read() as s:
            stored = s.scalars(select(PibSubmission).where(PibSubmission.case_id == r.case_id)).one()
            assert stored.document == fixture_text(fixture) and not stored.accepted
    with env.services.ctx.db.read() as s:
        assert s.scalar(select(PibBilling.id)) is None


def test_a_rejection_lists_every_problem_at_once(env):
    r = env.pib.import_pib(env.examiner, FIXTURES / "skp_many_problems.json")
    assert sorted(p.code.value for p in r.problems) == ["BL_MISMATCH", "HS_UNKNOWN", "NDPBM_MISMATCH",
                                                       "NO_CUSTOMS_ACCESS"]
    response = json.loads(env.services.issuance.content(r.documents[0]))
    rows = next(b for b in response["blocks"] if b["kind"] == "table")["rows"]
    assert len(rows) == 4 and all(row[3] and row[4] for row in rows)  # Indonesian and English wording


def test_rejected_pib_resubmitted_with_the_same_aju_is_a_new_version(env):
    bad = fixture_text("skp_ndpbm_mismatch.json")
    r1 = env.intake(bad)
    good = json.loads(bad)
    good["ndpbm"] = "16000"
    r2 = env.intake(json.dumps(good))
    assert r2.case_id == r1.case_id and (r2.submission, r2.accepted, r2.state) == (2, True, P.BILLED)
    d = env.detail(r2.case_id)
    assert [(x.version, x.accepted) for x in d.submissions] == [(1, False), (2, True)]
    assert d.doc.ndpbm == 16000
    events = [e.action for e in env.services.cases.history(r1.case_id)]
    assert events == ["pib.open", "pib.resubmit.billed"]


def test_the_identical_document_again_writes_nothing(env):
    r = env.intake()
    before = env.counts()
    again = env.intake()
    assert again.unchanged and again.case_id == r.case_id and again.state == P.BILLED
    assert env.counts() == before


def test_a_pib_past_rejection_cannot_be_replaced(env):
    env.intake()
    before = env.counts()
    with pytest.raises(Refusal) as e:
        env.intake(variant("101", ndpbm="16000", items={0: {"cif": "5100.00"}}))
    assert e.value.code == "DUPLICATE" and env.counts() == before


def test_lartas_line_without_permit_is_flagged_and_with_permit_is_not(env):
    r = env.intake(variant("301", "lartas_phone_no_permit.json"))
    assert r.accepted
    [flag] = env.detail(r.case_id).lartas
    assert (flag.seq, flag.hs_code, flag.missing) == (3, "8517130000", True)
    assert "Komunikasi" in flag.agency
    r2 = env.intake(variant("302", "lartas_phone_with_permit.json"))
    [flag2] = env.detail(r2.case_id).lartas
    assert not flag2.missing and flag2.permit == "PI-04.PI-61.26.0123"
    assert "LARTAS" not in env.detail(r2.case_id).sla.flags


def test_nothing_due_registers_at_once_with_spjm(env):
    r = env.intake(variant("303", "zero_levies.json"))
    assert (r.state, r.billing_code, r.billing_total_idr, r.registration_number) == (P.SPJM, None, 0, "000001")
    assert [d.doc_type for d in env.detail(r.case_id).documents] == ["SPJM"]


BAD_INPUT = [
    ("json", "{not json", "$"),
    ("float", fixture_text("float_cif.json"), "items[0].cif"),
    ("negative", fixture_text("negative_quantity.json"), "items[0].quantity"),
    ("determination", fixture_text("contract_example.json"), "determination"),
    ("unknown-field", json.dumps({**json.loads(fixture_text("intake_ok.json")), "extra": 1}), "extra"),
    ("format", json.dumps({**json.loads(fixture_text("intake_ok.json")), "format": "pib/2"}), "format"),
]


def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(env):
    before = env.counts()
    for name, text, field in BAD_INPUT:
        with pytest.raises(InputError) as e:
            env.intake(text)
        assert e.value.field == field, name
    assert env.counts() == before


def test_unreadable_file_is_bad_input(env, tmp_path):
    with pytest.raises(InputError) as e:
        env.pib.import_pib(env.examiner, tmp_path / "missing.json")
    assert e.value.field.endswith("missing.json")
    with pytest.raises(InputError):
        env.pib.import_pib(env.examiner, tmp_path)


def test_only_desk_roles_receive_pibs(env):
    with pytest.raises(PermissionDenied):
        env.pib.import_pib(env.inspector, text=fixture_text("intake_ok.json"))
    with pytest.raises(PermissionDenied):
        env.pib.import_pib(env.officer, text=fixture_text("intake_ok.json"))


def test_check_previews_without_writing(env):
    from workstation.domain.pib import parse_pib

    before = env.counts()
    problems = env.pib.check(parse_pib(fixture_text("skp_many_problems.json")))
    assert len(problems) == 4 and env.counts() == before
