"""Outcomes of red-lane inspections (recorded, or read from the e-CD's findings) and the hit-rate report,
checked against a direct computation on a fixture of cases; pre-arrival mismatches."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from db.models_risk import RiskValueObservation
from tests.risk.support import base_doc, green_doc, profile_file, risk, setup, store_ecd, supervisor
from workstation.domain.codes import Role
from workstation.errors import InputError, PermissionDenied, Refusal
from workstation.rules.risk import wilson_interval
from workstation.services.risk.report import compute_report


@pytest.fixture
def ready(services, users):
    setup(services, users)
    risk(services).import_profiles(supervisor(users), profile_file(
        {"code": "ELEC", "conditions": {"hs_chapters": ["84"]}},
        {"code": "NRT", "conditions": {"origin_port": ["NRT"]}},
        random=[{"workflow": "ecd", "rate": "0.5"}]))
    return services


def laptop(n: int, hs: str = "847130", from_port: str = "NRT") -> dict:
    doc = base_doc(f"ECD-RISK-{n:03d}")
    doc["arrival"] = {**doc["arrival"], "from_port": from_port}
    doc["goods"][0]["hs_code"] = hs
    return doc


def test_outcome_read_from_findings(ready, users):
    officer = users[Role.OFFICER]
    case_id, sel = store_ecd(ready, users, laptop(1))
    assert sel.red
    v = ready.ecd.get(case_id)
    v = ready.ecd.record_finding(officer, case_id, v.case.version, item_no=1, status="FOUND", value="1500.00")
    v = ready.ecd.record_finding(officer, case_id, v.case.version, item_no=None, status="UNDECLARED",
                                 description="Phone", quantity="1", unit="PCE", value="800", currency="USD")
    v = ready.ecd.reassess(officer, case_id, v.case.version)
    out = risk(ready).outcome_from_findings(officer, case_id)
    assert out.outcomes == ("MISDECLARED_VALUE", "UNDECLARED") and out.hit
    assert out.duties_idr == v.decision.total_idr - 2_476_000 > 0
    with ready.ctx.db.read() as s:  # a misdeclared value leaves the value check's history
        assert not s.scalar(select(RiskValueObservation.accepted).where(RiskValueObservation.case_id == case_id))
    corrected = risk(ready).record_outcome(officer, case_id, ["NOTHING"], duties_idr="0", note="recount")
    assert (corrected.version, corrected.hit, corrected.source) == (2, False, "officer")


def test_outcome_refusals(ready, users):
    officer = users[Role.OFFICER]
    risk(ready).import_profiles(supervisor(users), profile_file(random=[{"workflow": "ecd", "rate": "0"}]))
    green_id, sel = store_ecd(ready, users, green_doc(goods=[{
        "description": "Souvenir", "hs_code": "950300", "quantity": 2, "unit": "PCE", "value": "120.00",
        "currency": "USD", "personal_use": True}], arrival={"date": "2026-11-21", "port": "CGK",
                                                           "from_port": "SIN"}))
    assert not sel.red
    with pytest.raises(Refusal) as e:
        risk(ready).record_outcome(officer, green_id, ["NOTHING"])
    assert e.value.code == "NOT_RED_LANE"
    red_id, _ = store_ecd(ready, users, laptop(2))
    with pytest.raises(InputError):
        risk(ready).record_outcome(officer, red_id, ["NOTHING", "UNDECLARED"])
    with pytest.raises(InputError):
        risk(ready).record_outcome(officer, red_id, ["FOUND_GOLD"])
    with pytest.raises(PermissionDenied):
        risk(ready).report(users[Role.OFFICER], "2026-11-01", "2026-11-30")


FINDINGS = ["UNDECLARED", "NOTHING", "MISDECLARED_VALUE", "NOTHING", "NOTHING", "PROHIBITED", "NOTHING",
            "EXCISE_OVER", "NOTHING", "NOTHING", "MISDECLARED_HS", "NOTHING"]


def test_hit_rates_equal_a_direct_computation(ready, users):
    officer = users[Role.OFFICER]
    cases = []
    for n, found in enumerate(FINDINGS):
        hs = "847130" if n % 3 else "950300"
        origin = "NRT" if n % 2 else "SIN"
        case_id, sel = store_ecd(ready, users, laptop(100 + n, hs=hs, from_port=origin))
        duties = 100_000 * (n + 1)
        if n != 5:  # one red case is not inspected yet
            risk(ready).record_outcome(officer, case_id, [found], duties_idr=duties)
        cases.append((sel, None if n == 5 else found, duties))
    rep = risk(ready).report(supervisor(users), "2026-11-01", "2026-11-30")
    rows = {(r.group, r.key): r for r in rep.rows}

    def direct(pred):
        chosen = [(f, d) for sel, f, d in cases if pred(sel)]
        inspected = [(f, d) for f, d in chosen if f is not None]
        hits = [(f, d) for f, d in inspected if f != "NOTHING"]
        return len(chosen), len(inspected), len(hits), sum(d for _, d in hits)

    for key, pred in (("ELEC", lambda s: "ELEC" in [p.code for p in s.profiles]),
                      ("NRT", lambda s: "NRT" in [p.code for p in s.profiles])):
        sel_n, insp, hits, duties = direct(pred)
        f = rows[("profile", key)].figures
        assert (f.selections, f.inspected, f.hits, f.duties_idr) == (sel_n, insp, hits, duties)
        assert f.rate == (Decimal(hits) / insp).quantize(Decimal("0.0001"))
        assert (f.ci_low, f.ci_high) == wilson_interval(hits, insp)
    sel_n, insp, hits, duties = direct(lambda s: s.random)
    base = rows[("random", "RANDOM")].figures
    assert (base.selections, base.inspected, base.hits) == (sel_n, insp, hits)
    elec = rows[("profile", "ELEC")]
    if base.rate:
        assert elec.lift == (elec.figures.rate / base.rate).quantize(Decimal("0.01"))
    # every laptop is over the allowance: the rule's row counts every case
    rule = rows[("rule", "VALUE_OVER_ALLOWANCE")].figures
    assert (rule.selections, rule.inspected) == (12, 11)
    assert rule.hits == sum(1 for f in FINDINGS if f != "NOTHING") - (FINDINGS[5] != "NOTHING")
    assert rep.weeks and rep.weeks[0].week == dt.date(2026, 11, 16)
    json.dumps(rep.to_json())  # plain JSON


def test_compute_report_without_random_has_no_lift():
    day = dt.date(2026, 11, 2)
    rep = compute_report([(("A",), False, day, True, 5), (("A",), False, day, False, 0)], [], {"A": "a"}, day, day)
    (row,) = rep.rows
    assert row.figures.hits == 1 and row.figures.duties_idr == 5 and row.lift is None and row.name == "a"


def test_prearrival_passengers_without_ecd(ready, users):
    svc = risk(ready)
    store_ecd(ready, users, base_doc())  # C1234567 arrives 2026-11-21 on GA881
    csv_text = ("arrival_date,port,flight,passport,nationality,name\n"
                "2026-11-21,CGK,GA881,C1234567,IDN,Budi Santoso\n"
                "2026-11-21,CGK,GA881,B9999999,SGP,Tan Ah Kow\n")
    r = svc.import_prearrival(supervisor(users), csv_text, source="api.csv")
    assert (r.kind, r.added, r.unchanged) == ("PASSENGER", 2, 0)
    assert svc.import_prearrival(supervisor(users), csv_text).unchanged == 2  # idempotent
    found = svc.mismatches(supervisor(users), "2026-11-20", "2026-11-22")
    assert [(m.kind, m.key) for m in found] == [("PASSENGER_WITHOUT_ECD", "B9999999")]
    with pytest.raises(InputError) as e:
        svc.import_prearrival(supervisor(users), "arrival_date,port,flight,passport,nationality,name\n"
                                                 "2026-13-01,CGK,GA881,X1,IDN,N\n", source="bad.csv")
    assert e.value.field.startswith("bad.csv:2")


def test_prearrival_goods_missing_from_the_pib(env):
    env.intake()  # PIB for NPWP 012345678901000, B/L MAEU260001101: laptops 8471, rice cookers 8516
    svc = risk(env.services)
    doc = {"format": "predeclaration/1", "declarations": [
        {"reference": "CN-EXP-1", "exporter": "Shenzhen Co", "importer_npwp": "012345678901000",
         "bl_number": "MAEU260001101", "arrival_date": "2026-11-18",
         "items": [{"hs_code": "847130", "description": "laptops"},
                   {"hs_code": "851762", "description": "phones"}]},
        {"reference": "CN-EXP-2", "exporter": "Ningbo Co", "importer_npwp": "012345678901000",
         "bl_number": "MAEU000000000", "arrival_date": "2026-11-18",
         "items": [{"hs_code": "950300", "description": "toys"}]}]}
    r = svc.import_prearrival(env.supervisor, json.dumps(doc), source="partner.json")
    assert (r.kind, r.added) == ("PREDECLARATION", 2)
    found = svc.mismatches(env.supervisor, "2026-11-18", "2026-11-18")
    assert sorted((m.kind, m.key) for m in found) == [("GOODS_MISSING_FROM_PIB", "MAEU260001101"),
                                                      ("PREDECLARED_WITHOUT_PIB", "MAEU000000000")]
    assert "851762" in next(m.detail for m in found if m.kind == "GOODS_MISSING_FROM_PIB")


def test_pib_outcome_read_from_lhp_and_determination(env):
    from tests.services.test_pib_support import lhp_form

    cid = env.in_research(lhp=lhp_form(match=False, undeclared=True))
    out = risk(env.services).outcome_from_findings(env.inspector, cid)
    assert out.kind == "PIB" and out.hit and "UNDECLARED" in out.outcomes and "MISDECLARED_VALUE" in out.outcomes
