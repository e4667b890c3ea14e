"""Risk service on a real database: profiles versioned on import, export round trip, selection of real e-CDs
and PIBs (profiles, traveller history, random draw reproducible from the stored seed, value outliers)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from db.models import AuditEntry
from db.models_risk import RiskProfileRow, RiskRandomRate, RiskSelection
from tests.risk.support import base_doc, green_doc, profile_file, risk, setup, store_ecd, supervisor
from tests.services.test_pib_support import fixture_text
from workstation.domain.codes import Role
from workstation.domain.pib import parse_pib
from workstation.errors import InputError, NotFound, PermissionDenied
from workstation.rules import risk as R
from workstation.services.risk.selection import select_for_pib, verify_draw

CGK_LAPTOPS = {"code": "CGK-ELEC", "conditions": {"arrival_port": ["CGK"], "hs_chapters": ["84", "85"]}}


@pytest.fixture
def ready(services, users):
    setup(services, users)
    return services


def test_import_versions_profiles_and_export_round_trips(ready, users):
    svc = risk(ready)
    sup = supervisor(users)
    first = svc.import_profiles(sup, profile_file(CGK_LAPTOPS, random=[{"workflow": "ecd", "rate": "0.02"}]))
    assert first.added == ("CGK-ELEC",) and first.rates_set == ("ecd:*",)
    again = svc.import_profiles(sup, profile_file(CGK_LAPTOPS, random=[{"workflow": "ecd", "rate": "0.02"}]))
    assert again.unchanged == ("CGK-ELEC",) and not again.added and not again.changed and not again.rates_set
    changed = dict(CGK_LAPTOPS, conditions={"arrival_port": ["CGK", "DPS"], "hs_chapters": ["84"]})
    assert svc.import_profiles(sup, profile_file(changed)).changed == ("CGK-ELEC",)
    assert [p.version for p in svc.profile_versions("CGK-ELEC")] == [1, 2]
    exported = svc.export_profiles()
    doc = json.loads(exported)
    assert doc["random"] == [{"workflow": "ecd", "port": "*", "rate": "0.02"}]
    assert doc["profiles"][0]["conditions"]["arrival_port"] == ["CGK", "DPS"]
    assert svc.import_profiles(sup, exported).unchanged == ("CGK-ELEC",)  # the export imports as "no change"
    withdrawn = svc.withdraw_profile(sup, "CGK-ELEC")
    assert (withdrawn.version, withdrawn.active) == (3, False)
    with ready.ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(RiskProfileRow)) == 3
        actions = list(s.scalars(select(AuditEntry.action).where(AuditEntry.action.like("risk.%"))))
        assert actions.count("risk.profile.import") == 3 and "risk.random.set" in actions


def test_bad_files_and_roles_write_nothing(ready, users):
    svc = risk(ready)
    with pytest.raises(PermissionDenied):
        svc.import_profiles(users[Role.OFFICER], profile_file(CGK_LAPTOPS))
    with pytest.raises(InputError) as e:
        svc.import_profiles(supervisor(users), profile_file(CGK_LAPTOPS, {"code": "BAD", "conditions": {}}))
    assert e.value.field.startswith("profiles[1]")
    with pytest.raises(NotFound):
        svc.withdraw_profile(supervisor(users), "NOPE")
    assert svc.profiles() == []


def test_a_real_ecd_matches_and_records_the_profile_version(ready, users):
    svc = risk(ready)
    svc.import_profiles(supervisor(users), profile_file(CGK_LAPTOPS, {"code": "DPS-ONLY",
                                                                      "conditions": {"arrival_port": ["DPS"]}}))
    case_id, sel = store_ecd(ready, users, base_doc())  # the contract laptop: CGK, HS 847130
    assert [(p.code, p.version) for p in sel.profiles] == [("CGK-ELEC", 1)]
    assert sel.reasons == ("RISK_PROFILE",) and not sel.random
    _, green = store_ecd(ready, users, green_doc(goods=[{"description": "Souvenir", "hs_code": "950300",
                                                         "quantity": 2, "unit": "PCE", "value": "120.00",
                                                         "currency": "USD", "personal_use": True}]))
    assert green.profiles == () and green.reasons == ()
    with ready.ctx.db.read() as s:
        row = s.get(RiskSelection, case_id)
        assert row.profiles == [{"code": "CGK-ELEC", "version": 1}] and row.reasons == ["RISK_PROFILE"]


def test_traveller_history_conditions(ready, users, clock):
    svc = risk(ready)
    svc.import_profiles(supervisor(users), profile_file({"code": "FREQ", "conditions": {"trips_min": 2,
                                                                                       "trips_days": 30}}))
    passport = {"name": "Rudi", "passport": "X7654321", "nationality": "IDN", "birth_date": "1985-01-01",
                "traveller_type": "passenger", "npwp": None}
    sels = []
    for n, day in enumerate(("2026-11-18", "2026-11-20", "2026-11-22")):
        doc = green_doc(f"ECD-FREQ-{n}", declarant=passport,
                        arrival={"date": day, "port": "CGK", "flight": "GA881", "from_port": "SIN"})
        clock.now = dt.datetime.fromisoformat(day + "T02:00:00+00:00")
        doc["submitted_at"] = day + "T08:00:00+07:00"
        sels.append(store_ecd(ready, users, doc)[1])
    assert [bool(s.profiles) for s in sels] == [False, False, True]  # the third trip in 30 days


def test_random_selection_is_reproducible_from_the_stored_seed(ready, users):
    svc = risk(ready)
    svc.import_profiles(supervisor(users), profile_file(random=[{"workflow": "ecd", "port": "CGK", "rate": "1"}]))
    case_id, sel = store_ecd(ready, users, green_doc())
    assert sel.random and sel.reasons == ("RANDOM_SELECTION",) and sel.shown_reasons == ("RISK_PROFILE",)
    with ready.ctx.db.read() as s:
        row = s.get(RiskSelection, case_id)
        rate = s.get(RiskRandomRate, row.rate_id)
        assert verify_draw(rate.seed, "ecd", row.reference, Decimal(rate.rate), row.draw)
        assert R.selected(int(row.draw, 16), Decimal(rate.rate))
        assert not verify_draw("00" * 32, "ecd", row.reference, Decimal(rate.rate), row.draw)


def test_value_outlier_is_flagged_with_its_percentile(ready, users):
    def doc(n: int, value: str) -> dict:
        return green_doc(f"ECD-VAL-{n:03d}", goods=[{"description": "Watch", "hs_code": "910211", "quantity": 1,
                                                     "unit": "PCE", "value": value, "currency": "USD",
                                                     "personal_use": True}])

    for n in range(25):
        _, sel = store_ecd(ready, users, doc(n, f"{100 + (n * 7) % 25}.00"))
        assert sel.value_flags == ()
    _, low = store_ecd(ready, users, doc(99, "3.00"))
    (flag,) = low.value_flags
    assert (flag.line, flag.hs, flag.origin, flag.percentile, flag.history) == (1, "910211", "NRT", Decimal(0), 25)
    assert low.flags == ("VALUE_OUTLIER",) and low.reasons == ()  # a flag, not a lane by itself
    # ... unless a profile says so
    risk(ready).import_profiles(supervisor(users), profile_file({"code": "VAL", "conditions": {"value_outlier": True}}))
    _, again = store_ecd(ready, users, doc(98, "2.00"))
    assert [p.code for p in again.profiles] == ["VAL"]


def test_a_real_pib_matches_importer_and_hs(env):
    svc = risk(env.services)
    svc.import_profiles(env.supervisor, json.dumps({"format": "risk/1", "profiles": [
        {"code": "IMP-COOKERS", "workflow": "pib", "name": "cookers", "reason": "undervalued cookers",
         "valid_from": "2026-01-01", "conditions": {"importer": ["012345678901000"], "hs": ["8516"]}}]}))
    doc = parse_pib(fixture_text("intake_ok.json"))
    with env.services.ctx.db.read() as s:
        sel = select_for_pib(s, doc, dt.date(2026, 11, 21), port="IDTPP")
    assert [p.code for p in sel.profiles] == ["IMP-COOKERS"] and sel.reasons == ("RISK_PROFILE",)
    assert len(sel.observations) == 2


def test_case_risk_hides_random_selection_from_officers(ready, users):
    svc = risk(ready)
    svc.import_profiles(supervisor(users), profile_file(random=[{"workflow": "ecd", "rate": "1"}]))
    case_id, _ = store_ecd(ready, users, green_doc())
    officer_view = svc.case_risk(users[Role.OFFICER], case_id)
    assert officer_view.reasons == ("RISK_PROFILE",) and officer_view.random is None and officer_view.draw is None
    sup_view = svc.case_risk(supervisor(users), case_id)
    assert sup_view.reasons == ("RANDOM_SELECTION",) and sup_view.random and len(sup_view.draw) == 16
    svc.import_profiles(supervisor(users), profile_file(CGK_LAPTOPS))
    laptop_id, _ = store_ecd(ready, users, base_doc())
    (ref,) = svc.case_risk(supervisor(users), laptop_id).profiles
    assert (ref.code, ref.version, ref.name, ref.reason) == ("CGK-ELEC", 1, "profile CGK-ELEC", "test reason")
    assert svc.case_risk(supervisor(users), laptop_id).reasons == ("RANDOM_SELECTION", "RISK_PROFILE")
