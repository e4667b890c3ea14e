"""Risk rules: matching per condition type, validity dates, random draws (statistical bounds over 10,000 draws,
reproducible from the seed), percentiles and outliers, Wilson intervals."""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal

import pytest

from workstation.domain.risk import Profile, RiskWorkflow, parse_profile_file, shown_reasons
from workstation.errors import InputError
from workstation.rules import risk as R

DAY = dt.date(2026, 11, 21)


def profile(conditions: dict, *, workflow: str = "ecd", code: str = "P1", **kw) -> Profile:
    data = {"code": code, "workflow": workflow, "name": "test", "reason": "why", "valid_from": "2026-01-01",
            "conditions": conditions, **kw}
    return Profile.model_validate_json(json.dumps(data))


def facts(**kw) -> R.EcdFacts:
    base = dict(port="CGK", flight="GA881", from_port="NRT", nationality="IDN", hs_codes=("847130",),
                declared_value_usd=Decimal("1200"), arrival_date=DAY)
    base.update(kw)
    return R.EcdFacts(**base)


def matches(p: Profile, f: R.EcdFacts, day: dt.date = DAY) -> bool:
    return bool(R.compile_profiles([(p, 1)], day, RiskWorkflow.ECD).match_ecd(f))


@pytest.mark.parametrize("conditions, hit, miss", [
    ({"arrival_port": ["CGK", "DPS"]}, {}, {"port": "SUB"}),
    ({"flight": ["GA881"]}, {}, {"flight": "SQ956"}),
    ({"origin_port": ["NRT"]}, {}, {"from_port": "SIN"}),
    ({"nationality": ["IDN"]}, {}, {"nationality": "MYS"}),
    ({"hs_chapters": ["84"]}, {}, {"hs_codes": ("950300",)}),
    ({"hs_chapters": ["847130"]}, {}, {"hs_codes": ("847150",)}),
    ({"declared_value_min_usd": "1000"}, {}, {"declared_value_usd": Decimal("999.99")}),
    ({"previous_findings_min": 1}, {"previous_findings": 1}, {"previous_findings": 0}),
    ({"trips_min": 3, "trips_days": 30},
     {"prior_arrivals": (DAY - dt.timedelta(days=1), DAY - dt.timedelta(days=10), DAY - dt.timedelta(days=29))},
     {"prior_arrivals": (DAY - dt.timedelta(days=1), DAY - dt.timedelta(days=10), DAY - dt.timedelta(days=31))}),
    ({"value_outlier": True}, {"value_outlier": True}, {"value_outlier": False}),
])
def test_each_ecd_condition_matches_and_refuses(conditions, hit, miss):
    p = profile(conditions)
    assert matches(p, facts(**hit))
    assert not matches(p, facts(**miss))


def test_conditions_combine_with_and_lists_with_or():
    p = profile({"arrival_port": ["CGK"], "nationality": ["IDN", "SGP"], "hs_chapters": ["85", "84"]})
    assert matches(p, facts(nationality="SGP"))
    assert not matches(p, facts(port="DPS", nationality="SGP"))  # one condition fails: no match


@pytest.mark.parametrize("conditions, hit, miss", [
    ({"importer": ["012345678901000"]}, {}, {"importer": "099999999999000"}),
    ({"hs": ["8516"]}, {}, {"hs_codes": ("8471300000",)}),
    ({"origin_country": ["CN"]}, {"origin_countries": ("CN",)}, {"origin_countries": ("JP",)}),
    ({"value_outlier": True}, {"value_outlier": True}, {}),
])
def test_each_pib_condition(conditions, hit, miss):
    p = profile(conditions, workflow="pib")
    base = dict(importer="012345678901000", hs_codes=("8471300000", "8516600000"))
    index = R.compile_profiles([(p, 2)], DAY, RiskWorkflow.PIB)
    got = index.match_pib(R.PibFacts(**{**base, **hit}))
    assert [(r.code, r.version) for r in got] == [("P1", 2)]
    assert not index.match_pib(R.PibFacts(**{**base, **miss}))


def test_validity_dates_and_withdrawal_are_respected():
    p = profile({"arrival_port": ["CGK"]}, valid_from="2026-11-01", valid_to="2026-11-30")
    assert matches(p, facts(), dt.date(2026, 11, 1)) and matches(p, facts(), dt.date(2026, 11, 30))
    assert not matches(p, facts(), dt.date(2026, 10, 31))
    assert not matches(p, facts(), dt.date(2026, 12, 1))
    assert not matches(profile({"arrival_port": ["CGK"]}, active=False), facts())
    # profiles of the other workflow are not in the index
    assert R.compile_profiles([(p, 1)], DAY, RiskWorkflow.PIB).size == 0


def test_index_finds_the_same_profiles_as_checking_every_one():
    profiles = []
    for i in range(300):
        cond = [{"flight": [f"GA{i % 40}"]}, {"origin_port": ["NRT", "SIN"][i % 2:i % 2 + 1]},
                {"nationality": ["IDN"]}, {"arrival_port": ["CGK"], "declared_value_min_usd": str(i * 10)},
                {"hs_chapters": [str(10 + i % 80)]}][i % 5]
        profiles.append((profile(cond, code=f"P{i:03d}"), 1))
    index = R.compile_profiles(profiles, DAY, RiskWorkflow.ECD)
    for f in (facts(), facts(flight="GA7", nationality="MYS"), facts(hs_codes=("120000", "840000"), port="DPS")):
        brute = sorted(p.code for p, _ in profiles
                       if matches(p, f))
        assert [r.code for r in index.match_ecd(f)] == brute


def test_profile_file_errors_name_the_path():
    with pytest.raises(InputError) as e:
        parse_profile_file(json.dumps({"format": "risk/1", "profiles": [
            {"code": "P1", "workflow": "ecd", "name": "n", "reason": "r", "valid_from": "2026-01-01",
             "conditions": {}}]}))
    assert e.value.field.startswith("profiles[0]")
    with pytest.raises(InputError) as e:
        parse_profile_file(json.dumps({"format": "risk/1", "profiles": [
            {"code": "P1", "workflow": "pib", "name": "n", "reason": "r", "valid_from": "2026-01-01",
             "conditions": {"flight": ["GA881"]}}]}))
    assert "flight" in e.value.field
    with pytest.raises(InputError):
        parse_profile_file(json.dumps({"format": "risk/1", "random": [{"workflow": "ecd", "rate": "1.5"}]}))


def test_random_selection_within_bounds_over_10000_draws_and_reproducible():
    seed = bytes.fromhex("5eed" * 16)
    rate = Decimal("0.05")
    draws = [R.draw(seed, "ecd", f"ECD-{i:06d}") for i in range(10_000)]
    chosen = sum(R.selected(d, rate) for d in draws)
    sigma = math.sqrt(10_000 * 0.05 * 0.95)  # binomial standard deviation, ≈ 21.8
    assert abs(chosen - 500) < 4.5 * sigma
    # uniform: each tenth of [0, 1) holds about a tenth of the draws
    tenths = [0] * 10
    for d in draws:
        tenths[d * 10 >> 64] += 1
    assert all(abs(t - 1000) < 4.5 * math.sqrt(10_000 * 0.1 * 0.9) for t in tenths)
    # a pure function of (seed, case): again the same; another seed, other draws
    assert [R.draw(seed, "ecd", f"ECD-{i:06d}") for i in range(100)] == draws[:100]
    assert R.draw(bytes(32), "ecd", "ECD-000000") != draws[0]
    assert not R.selected(0, Decimal(0)) and R.selected((1 << 64) - 1, Decimal(1))


def test_pick_rate_prefers_the_port():
    rows = [("ecd", "*", Decimal("0.01")), ("ecd", "CGK", Decimal("0.05")), ("pib", "*", Decimal("0.1"))]
    assert R.pick_rate(rows, "ecd", "CGK") == ("CGK", Decimal("0.05"))
    assert R.pick_rate(rows, "ecd", "DPS") == ("*", Decimal("0.01"))
    assert R.pick_rate(rows[:2][1:], "ecd", "DPS") is None


def test_percentile_and_outliers():
    history = [Decimal(v) for v in range(1, 101)]  # 1..100
    assert R.value_percentile(history, Decimal(50)) == Decimal("49.5")
    assert R.value_percentile(history, Decimal(1000)) == Decimal(100)
    assert R.is_outlier(history, Decimal(1000)) == Decimal(100)
    assert R.is_outlier(history, Decimal("0.5")) == Decimal(0)
    assert R.is_outlier(history, Decimal(50)) is None
    assert R.is_outlier(history[:19], Decimal(1000)) is None  # too little history


def test_wilson_interval_matches_the_formula():
    # Newcombe (1998) table I: 0/10 -> 0 to 0.2775; 81/263 -> 0.2553 to 0.3662
    assert R.wilson_interval(0, 10) == (Decimal("0.0000"), Decimal("0.2775"))
    assert R.wilson_interval(81, 263) == (Decimal("0.2553"), Decimal("0.3662"))
    assert R.wilson_interval(0, 0) == (Decimal(0), Decimal(1))
    h = R.hit_rate(12, 10, 3, 500_000)
    assert h.rate == Decimal("0.3000") and h.ci_low < h.rate < h.ci_high
    assert R.lift(Decimal("0.3"), Decimal("0.05")) == Decimal("6.00") and R.lift(None, Decimal(1)) is None


def test_officers_cannot_tell_random_from_profile():
    assert shown_reasons(("RANDOM_SELECTION",)) == shown_reasons(("RISK_PROFILE",)) == ("RISK_PROFILE",)
    assert shown_reasons(("RANDOM_SELECTION", "VALUE_OVER_ALLOWANCE")) == ("RISK_PROFILE", "VALUE_OVER_ALLOWANCE")
