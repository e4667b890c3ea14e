"""e-CD rules engine: worked examples, boundaries, reasons and referrals, rule-set choice, parsing."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from workstation.domain.ecd import (
    Decision,
    EcdDocument,
    ExciseQuantities,
    GoodsItem,
    Traveller,
    TravellerType,
    ecd_from_obj,
    parse_ecd,
)
from workstation.errors import InputError, Refusal
from workstation.rules import ecd as engine
from workstation.rules.rates import RateRow, RateTable
from workstation.rules.ruleset import ruleset_by_id

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ecd"
SHIPPED = Path(engine.__file__).with_name("rulesets") / "ecd"


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def rates_at(usd: str = "16000", day_from: str = "2020-01-01", **others: str) -> RateTable:
    rows = [RateRow("USD", Decimal(usd), dt.date.fromisoformat(day_from), None)]
    rows += [RateRow(cur, Decimal(v), dt.date.fromisoformat(day_from), None) for cur, v in others.items()]
    return RateTable.from_rows(rows)


def base_doc(arrival: str = "2026-11-21", **declarant) -> dict:
    """The contract example with no goods, on `arrival`, submitted the day before."""
    doc = load("contract_laptop.json")
    doc["goods"] = []
    doc["arrival"]["date"] = arrival
    day = dt.date.fromisoformat(arrival) - dt.timedelta(days=1)
    doc["submitted_at"] = f"{day.isoformat()}T09:15:00+07:00"
    doc["declarant"].update(declarant)
    return doc


def goods(value: str, currency: str = "USD", personal: bool = True, hs: str | None = "847130") -> dict:
    return {"description": "Item", "hs_code": hs, "quantity": 1, "unit": "PCE", "value": value,
            "currency": currency, "personal_use": personal}


def run(doc: dict, rates: RateTable | None = None, **kw) -> Decision:
    return engine.assess(ecd_from_obj(doc), rates or rates_at(), **kw)


# ---------------------------------------------------------------------------------------------------------
# Worked examples (DOMAIN.md §1) and the CONTRACTS.md decision
# ---------------------------------------------------------------------------------------------------------
def test_worked_example_pmk_203_2017():
    doc = parse_ecd((FIXTURES / "worked_example_pmk203.json").read_bytes())
    d = engine.assess(doc, RateTable.from_csv_file(FIXTURES / "rates.csv"))
    a = d.assessment
    assert d.ruleset == "PMK-203-2017"
    assert (a.goods_usd, a.allowance_usd, a.taxable_usd) == (Decimal("750.00"), Decimal("500.00"), Decimal("250.00"))
    assert a.customs_value_idr == 3_750_000
    assert a.import_duty_idr == 375_000
    assert a.vat_idr == 454_000  # 453,750 rounded up
    assert a.income_tax_idr == 619_000  # 15% without NPWP: 618,750 rounded up
    assert a.luxury_tax_idr == 0
    assert a.total_idr == 1_448_000
    assert d.reasons == ("VALUE_OVER_ALLOWANCE",)


def test_worked_example_pmk_203_2017_with_npwp_uses_lower_income_tax():
    doc = load("worked_example_pmk203.json")
    doc["declarant"]["npwp"] = "012345678901000"
    d = run(doc, rates_at("15000"))
    assert d.assessment.income_tax_idr == 310_000  # 7.5% of 4,125,000 = 309,375 rounded up
    assert d.assessment.total_idr == 375_000 + 454_000 + 310_000


def test_worked_example_pmk_34_2025():
    doc = parse_ecd((FIXTURES / "worked_example_pmk34.json").read_bytes())
    d = engine.assess(doc, RateTable.from_csv_file(FIXTURES / "rates.csv"))
    a = d.assessment
    assert d.ruleset == "PMK-34-2025"
    assert a.customs_value_idr == 4_000_000
    assert a.import_duty_idr == 400_000
    assert a.vat_idr == 484_000
    assert a.income_tax_idr == 0
    assert a.total_idr == 884_000


def test_contract_decision_example_exact_json():
    doc = parse_ecd((FIXTURES / "contract_laptop.json").read_bytes())
    d = engine.assess(doc, RateTable.from_csv_file(FIXTURES / "rates.csv"))
    assert d.to_json() == {
        "ecd_id": "ECD-20261121-000123",
        "ruleset": "PMK-34-2025",
        "lane": "red",
        "reasons": ["VALUE_OVER_ALLOWANCE"],
        "referrals": [],
        "assessment": {"allowance_usd": "500.00", "goods_usd": "1200.00", "taxable_usd": "700.00",
                       "customs_value_idr": 11200000, "import_duty_idr": 1120000, "vat_idr": 1356000,
                       "luxury_tax_idr": 0, "income_tax_idr": 0, "total_idr": 2476000},
        "excise_excess": {"cigarettes": 0, "cigars": 0, "sliced_tobacco_g": 0, "alcohol_l": "0"},
    }
    assert list(d.to_json()) == ["ecd_id", "ruleset", "lane", "reasons", "referrals", "assessment", "excise_excess"]


def test_decision_records_ruleset_file_hash():
    d = run(base_doc())
    assert d.ruleset_sha256 == ruleset_by_id("PMK-34-2025").sha256
    assert d.to_record()["ruleset_sha256"] == d.ruleset_sha256


# ---------------------------------------------------------------------------------------------------------
# Rule set by arrival date
# ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("arrival", "ruleset", "total"),
    [
        # USD 750, Rp16,000, no NPWP: PMK-203-2017 adds PPh 15% (660,000) and PPN 11% of 4,400,000.
        ("2025-06-05", "PMK-203-2017", 400_000 + 484_000 + 660_000),
        ("2025-06-06", "PMK-34-2025", 884_000),
    ],
)
def test_ruleset_chosen_by_arrival_date_at_boundary(arrival, ruleset, total):
    doc = base_doc(arrival)
    doc["goods"] = [goods("750.00")]
    d = run(doc)
    assert (d.ruleset, d.assessment.total_idr) == (ruleset, total)


def test_ruleset_follows_arrival_not_submission_date():
    doc = base_doc("2025-06-06")
    doc["submitted_at"] = "2025-06-04T10:00:00+07:00"  # filed under the old rule set
    assert run(doc).ruleset == "PMK-34-2025"


def test_no_ruleset_before_2022_04_01():
    with pytest.raises(Refusal) as err:
        run(base_doc("2022-03-31"))
    assert err.value.code == "NO_RULESET"


def test_explicit_ruleset_overrides_date():
    doc = base_doc("2026-11-21")
    doc["goods"] = [goods("750.00")]
    d = run(doc, ruleset=ruleset_by_id("PMK-203-2017"))
    assert d.ruleset == "PMK-203-2017"
    assert d.assessment.income_tax_idr == 660_000


def test_corrected_ruleset_directory_replaces_shipped_file(tmp_path):
    kind_dir = tmp_path / "ecd"
    kind_dir.mkdir()
    text = (SHIPPED / "PMK-34-2025.toml").read_text(encoding="utf-8")
    text = text.replace('passenger = "500.00"', 'passenger = "1000.00"')
    (kind_dir / "PMK-34-2025.toml").write_text(text, encoding="utf-8")
    doc = base_doc()
    doc["goods"] = [goods("1000.00")]
    d = run(doc, rulesets_dir=tmp_path)
    assert d.lane == "green"
    assert d.assessment.allowance_usd == Decimal("1000.00")
    assert d.ruleset_sha256 != ruleset_by_id("PMK-34-2025").sha256


def test_bad_ruleset_figure_names_file_and_key(tmp_path):
    kind_dir = tmp_path / "ecd"
    kind_dir.mkdir()
    text = (SHIPPED / "PMK-34-2025.toml").read_text(encoding="utf-8")
    (kind_dir / "PMK-34-2025.toml").write_text(text.replace('vat_pct = "12"', "vat_pct = 12.0"), encoding="utf-8")
    with pytest.raises(InputError) as err:
        run(base_doc(), rulesets_dir=tmp_path)
    assert "PMK-34-2025.toml:levies.vat_pct" in str(err.value)


def test_allowance_with_more_places_than_usd_rounding_is_refused(tmp_path):
    kind_dir = tmp_path / "ecd"
    kind_dir.mkdir()
    text = (SHIPPED / "PMK-34-2025.toml").read_text(encoding="utf-8")
    (kind_dir / "PMK-34-2025.toml").write_text(text.replace('crew = "50.00"', 'crew = "50.005"'), encoding="utf-8")
    with pytest.raises(InputError) as err:
        run(base_doc(), rulesets_dir=tmp_path)
    assert err.value.field == "PMK-34-2025.toml:allowance.usd.crew"


@pytest.mark.parametrize("path", sorted(SHIPPED.glob("*.toml")), ids=lambda p: p.name)
def test_every_figure_in_shipped_rulesets_has_a_source_comment(path):
    # Outside [meta], a figure carries an inline comment or sits under a comment block (no blank line between).
    section, covered, bare = "", False, []
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("["):
            section = stripped if stripped else section
            covered = False
        elif stripped.startswith("#"):
            covered = True
        elif section != "[meta]" and "=" in stripped and "#" not in stripped and not covered:
            bare.append(stripped)
    assert bare == []


# ---------------------------------------------------------------------------------------------------------
# Allowance
# ---------------------------------------------------------------------------------------------------------
def test_exactly_at_allowance_is_green_and_one_cent_above_is_red():
    doc = base_doc()
    doc["goods"] = [goods("300.00"), goods("200.00")]
    d = run(doc)
    assert d.lane == "green" and d.reasons == ()
    assert d.assessment.taxable_usd == Decimal("0.00") and d.assessment.total_idr == 0
    doc["goods"][1]["value"] = "200.01"
    d = run(doc)
    assert d.reasons == ("VALUE_OVER_ALLOWANCE",)
    assert d.assessment.taxable_usd == Decimal("0.01")
    assert d.assessment.import_duty_idr == 1000  # Rp160 × 10% rounded up to a thousand


def test_family_pools_the_allowance():
    doc = base_doc()
    doc["family_members"] = [{"name": "A", "passport": "X1", "birth_date": "2010-01-01"},
                             {"name": "B", "passport": "X2", "birth_date": "2012-01-01"}]
    doc["goods"] = [goods("1500.00")]
    d = run(doc)
    assert d.assessment.allowance_usd == Decimal("1500.00") and d.lane == "green"


@pytest.mark.parametrize(
    ("ttype", "allowance", "value", "lane"),
    [
        ("crew", "50.00", "50.00", "green"),
        ("crew", "50.00", "50.01", "red"),
        ("hajj_special", "2500.00", "2500.00", "green"),
        ("hajj_special", "2500.00", "2600.00", "red"),
        ("hajj_regular", "99999.00", "99999.00", "green"),  # exempt: the allowance covers it all
    ],
)
def test_traveller_type_allowances(ttype, allowance, value, lane):
    doc = base_doc(traveller_type=ttype)
    doc["goods"] = [goods(value)]
    d = run(doc)
    assert d.assessment.allowance_usd == Decimal(allowance)
    assert d.lane == lane


def test_other_currencies_convert_to_usd_through_rupiah():
    doc = base_doc()
    doc["goods"] = [goods("100.00", "EUR"), goods("10000", "JPY"), goods("1600000", "IDR")]
    d = run(doc, rates_at("16000", EUR="17500.50", JPY="10500"))
    # 100 × 17500.50 / 16000 = 109.378125; 10000 × 105 / 16000 = 65.625; 1,600,000 / 16000 = 100
    assert d.assessment.goods_usd == Decimal("275.00")


def test_non_personal_goods_go_to_pibk_and_are_not_assessed():
    doc = base_doc()
    doc["goods"] = [goods("400.00"), goods("5000.00", personal=False)]
    d = run(doc)
    assert d.reasons == ("NON_PERSONAL_GOODS",)
    assert d.referrals == ("PIBK",)
    assert d.assessment.goods_usd == Decimal("400.00") and d.assessment.total_idr == 0


def test_missing_rate_names_the_json_path():
    doc = base_doc()
    doc["goods"] = [goods("10.00"), goods("100.00", "EUR")]
    with pytest.raises(InputError) as err:
        run(doc)
    assert err.value.field == "goods[1].currency"
    assert "EUR" in err.value.message and "2026-11-21" in err.value.message


def test_missing_usd_rate_for_rupiah_goods_names_the_line():
    doc = base_doc()
    doc["goods"] = [goods("900000", "IDR")]
    with pytest.raises(InputError) as err:
        run(doc, RateTable.from_rows([]))
    assert err.value.field == "goods[0].currency" and "USD" in err.value.message


def test_every_value_needs_a_rate_even_when_not_converted():
    # CONTRACTS.md: a value in a currency without a rate for the date is an input error.
    doc = base_doc()
    doc["goods"] = [goods("100.00"), goods("50.00", "SGD", personal=False)]
    with pytest.raises(InputError) as err:
        run(doc, RateTable.from_rows([]))
    assert err.value.field == "goods[0].currency"
    with pytest.raises(InputError) as err:
        run(doc)
    assert err.value.field == "goods[1].currency"
    doc["goods"] = [goods("0", "SGD")]
    doc["cash"] = [{"currency": "IDR", "amount": "5000", "bearer_instrument": False},
                   {"currency": "AUD", "amount": "0", "bearer_instrument": False}]
    assert run(doc, RateTable.from_rows([])).lane == "green"  # zero amounts and rupiah need none


# ---------------------------------------------------------------------------------------------------------
# Excise
# ---------------------------------------------------------------------------------------------------------
def _excise_doc(birth: str, arrival: str = "2026-11-21", **excise) -> dict:
    doc = base_doc(arrival, birth_date=birth)
    doc["excise"].update(excise)
    return doc


@pytest.mark.parametrize(
    ("birth", "reasons"),
    [
        ("2008-11-21", ()),  # 18 on the arrival date
        ("2008-11-22", ("EXCISE_OVER_ALLOWANCE",)),  # still 17
    ],
)
def test_tobacco_age_17_vs_18(birth, reasons):
    d = run(_excise_doc(birth, cigarettes=20))
    assert d.reasons == reasons
    if reasons:
        assert d.excise_excess.cigarettes == 20
        assert d.referrals == ("EXCISE_DESTRUCTION",)


@pytest.mark.parametrize(("birth", "over"), [("2005-11-21", False), ("2005-11-22", True)])
def test_alcohol_age_20_vs_21(birth, over):
    d = run(_excise_doc(birth, alcohol_l="1"))
    assert ("EXCISE_OVER_ALLOWANCE" in d.reasons) is over
    assert d.excise_excess.alcohol_l == (Decimal(1) if over else 0)


def test_excise_limits_exact_and_over():
    assert run(_excise_doc("1980-01-01", cigarettes=200, alcohol_l="1")).lane == "green"
    d = run(_excise_doc("1980-01-01", cigarettes=201, alcohol_l="1.25"))
    assert d.excise_excess == ExciseQuantities(cigarettes=1, alcohol_l=Decimal("0.25"))
    assert d.to_json()["excise_excess"]["alcohol_l"] == "0.25"
    assert d.assessment.total_idr == 0  # the excess is destroyed, never taxed


def test_several_tobacco_kinds_are_fractions_of_their_limits():
    # 100/200 + 12/25 = 0.98 ≤ 1
    assert run(_excise_doc("1980-01-01", cigarettes=100, cigars=12)).lane == "green"
    # 100/200 + 13/25 = 1.02 > 1: cigarettes use half the allowance, 12 cigars fit in the rest
    d = run(_excise_doc("1980-01-01", cigarettes=100, cigars=13))
    assert d.excise_excess == ExciseQuantities(cigarettes=0, cigars=1)
    # 100/200 + 50/100 = 1 exactly
    assert run(_excise_doc("1980-01-01", cigarettes=100, sliced_tobacco_g=50)).lane == "green"
    d = run(_excise_doc("1980-01-01", cigarettes=100, sliced_tobacco_g=51))
    assert d.excise_excess.sliced_tobacco_g == 1


def test_excise_limits_multiply_by_eligible_adults_only():
    doc = _excise_doc("1980-01-01", cigarettes=400, alcohol_l="2")
    doc["family_members"] = [{"name": "Adult", "passport": "P1", "birth_date": "1982-01-01"},
                             {"name": "Child", "passport": "P2", "birth_date": "2016-01-01"}]
    assert run(doc).lane == "green"
    doc["excise"]["cigarettes"] = 401
    assert run(doc).excise_excess.cigarettes == 1


def test_crew_excise_limits():
    doc = _excise_doc("1980-01-01", cigarettes=40, alcohol_l="0.35")
    doc["declarant"]["traveller_type"] = "crew"
    assert run(doc).lane == "green"
    doc["excise"]["alcohol_l"] = "0.5"
    assert run(doc).excise_excess.alcohol_l == Decimal("0.15")


# ---------------------------------------------------------------------------------------------------------
# Cash, quarantine, prohibited, extra reasons
# ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cash", "red"),
    [
        ([{"currency": "IDR", "amount": "100000000", "bearer_instrument": False}], True),
        ([{"currency": "IDR", "amount": "99999999.99", "bearer_instrument": False}], False),
        ([{"currency": "USD", "amount": "6250", "bearer_instrument": False}], True),  # × 16,000
        ([{"currency": "USD", "amount": "6249.99", "bearer_instrument": False}], False),
        ([{"currency": "JPY", "amount": "952381", "bearer_instrument": False}], True),  # × 105 = 100,000,005
        ([{"currency": "JPY", "amount": "952380", "bearer_instrument": False}], False),
        ([{"currency": "IDR", "amount": "60000000", "bearer_instrument": False},
          {"currency": "USD", "amount": "2500", "bearer_instrument": True}], True),  # 60m + 40m bearer
    ],
)
def test_cash_threshold(cash, red):
    doc = base_doc()
    doc["cash"] = cash
    d = run(doc, rates_at("16000", JPY="10500"))
    assert (d.reasons == ("CASH_OVER_THRESHOLD",)) is red
    assert (d.referrals == ("CASH_DECLARATION",)) is red
    assert d.lane == ("red" if red else "green")


def test_quarantine_by_flag_and_by_hs_chapter():
    doc = base_doc()
    doc["carrying"]["animals_fish_plants"] = True
    d = run(doc)
    assert (d.reasons, d.referrals) == (("QUARANTINE_GOODS",), ("QUARANTINE",))
    doc = base_doc()
    doc["goods"] = [goods("20.00", hs="090111")]  # coffee beans
    assert run(doc).reasons == ("QUARANTINE_GOODS",)


@pytest.mark.parametrize("flag", ["narcotics_psychotropics", "weapons_ammunition_explosives", "pornography"])
def test_prohibited_flags(flag):
    doc = base_doc()
    doc["carrying"][flag] = True
    d = run(doc)
    assert (d.reasons, d.referrals) == (("PROHIBITED_GOODS",), ("ENFORCEMENT",))


def test_prohibited_by_hs_code():
    doc = base_doc()
    doc["goods"] = [goods("50.00", hs="930700")]  # swords
    assert run(doc).reasons == ("PROHIBITED_GOODS",)


def test_extra_reasons_make_the_lane_red_and_are_sorted():
    d = run(base_doc(), extra_reasons=["RISK_PROFILE", "OFFICER_DIVERSION"])
    assert d.lane == "red"
    assert d.reasons == ("OFFICER_DIVERSION", "RISK_PROFILE")
    assert d.with_reasons("RANDOM_SELECTION").reasons == ("OFFICER_DIVERSION", "RANDOM_SELECTION", "RISK_PROFILE")
    with pytest.raises(InputError):
        run(base_doc(), extra_reasons=["not a code"])


def test_several_triggers_sorted():
    doc = base_doc()
    doc["goods"] = [goods("800.00"), goods("10.00", personal=False, hs="030111")]
    doc["carrying"]["pornography"] = True
    doc["cash"] = [{"currency": "IDR", "amount": "150000000", "bearer_instrument": False}]
    d = run(doc, extra_reasons=["RANDOM_SELECTION"])
    assert d.reasons == ("CASH_OVER_THRESHOLD", "NON_PERSONAL_GOODS", "PROHIBITED_GOODS", "QUARANTINE_GOODS",
                         "RANDOM_SELECTION", "VALUE_OVER_ALLOWANCE")
    assert d.referrals == ("CASH_DECLARATION", "ENFORCEMENT", "PIBK", "QUARANTINE")


# ---------------------------------------------------------------------------------------------------------
# Submission window (2 days before .. 1 day after arrival, arrival port's local date)
# ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("submitted", "port", "ok"),
    [
        ("2026-11-19T00:00:00+07:00", "CGK", True),
        ("2026-11-18T23:59:59+07:00", "CGK", False),
        ("2026-11-22T23:59:59+07:00", "CGK", True),
        ("2026-11-23T00:00:00+07:00", "CGK", False),
        ("2026-11-18T23:30:00+07:00", "DPS", True),  # 00:30 on the 19th in Bali (WITA)
        ("2026-11-18T17:30:00Z", "CGK", True),  # 00:30 WIB on the 19th
        ("2026-11-18T16:30:00Z", "CGK", False),
    ],
)
def test_submission_window(submitted, port, ok):
    doc = base_doc("2026-11-21")
    doc["submitted_at"] = submitted
    doc["arrival"]["port"] = port
    if ok:
        assert run(doc).lane == "green"
    else:
        with pytest.raises(Refusal) as err:
            run(doc)
        assert err.value.code == "OUTSIDE_SUBMISSION_WINDOW"
        assert "OUTSIDE_SUBMISSION_WINDOW" in str(err.value)
        assert run(doc, check_window=False).lane == "green"


# ---------------------------------------------------------------------------------------------------------
# Lower-level API for the counter's reassessment
# ---------------------------------------------------------------------------------------------------------
def test_reassess_with_officer_findings():
    rules = engine.rules_in_force(dt.date(2026, 11, 21))
    traveller = Traveller(TravellerType.PASSENGER, (dt.date(1980, 5, 1),), None)
    found = [GoodsItem("Laptop", Decimal("1200.00"), "USD"), GoodsItem("Bags for resale", Decimal("3000"), "USD",
                                                                         personal_use=False)]
    a = engine.assess_goods(found, traveller, dt.date(2026, 11, 21), rates_at(), rules)
    assert a.total_idr == 2_476_000
    d = engine.decide(
        ecd_id="ECD-X", goods=found, excise=ExciseQuantities(cigarettes=250), cash=[],
        carrying=ecd_from_obj(base_doc()).carrying, traveller=traveller, arrival_date=dt.date(2026, 11, 21),
        rates=rates_at(), rules=rules, extra_reasons=["OFFICER_DIVERSION"],
    )
    assert d.reasons == ("EXCISE_OVER_ALLOWANCE", "NON_PERSONAL_GOODS", "OFFICER_DIVERSION", "VALUE_OVER_ALLOWANCE")
    assert d.excise_excess.cigarettes == 50
    assert d.assessment == a


def test_traveller_from_document():
    doc = ecd_from_obj(load("family_green.json"))
    t = Traveller.from_document(doc)
    assert t.persons == 3 and t.npwp == "012345678901000" and t.birth_dates[0] == dt.date(1985, 3, 15)


def test_undeclared_cash_fine_is_ten_percent_capped():
    rules = engine.rules_in_force(dt.date(2026, 11, 21))
    assert engine.undeclared_cash_fine_idr(99_999_999, rules) == 0
    assert engine.undeclared_cash_fine_idr(500_000_000, rules) == 50_000_000
    assert engine.undeclared_cash_fine_idr(5_000_000_000, rules) == 300_000_000


def test_oral_declaration_only_from_pmk_34_2025():
    old = engine.rules_in_force(dt.date(2025, 6, 5))
    new = engine.rules_in_force(dt.date(2025, 6, 6))
    assert not engine.oral_declaration_allowed(old, traveller_type="passenger", age=70)
    assert engine.oral_declaration_allowed(new, traveller_type="passenger", age=60)
    assert not engine.oral_declaration_allowed(new, traveller_type="passenger", age=59)
    assert engine.oral_declaration_allowed(new, traveller_type="hajj_regular", age=30)
    assert engine.oral_declaration_allowed(new, traveller_type="passenger", age=30, disabled=True)
    assert engine.oral_declaration_allowed(new, traveller_type="passenger", age=30, vvip=True)


# ---------------------------------------------------------------------------------------------------------
# Parsing ecd/1
# ---------------------------------------------------------------------------------------------------------
def _parse_error(doc: dict) -> InputError:
    with pytest.raises(InputError) as err:
        ecd_from_obj(doc)
    return err.value


def test_contract_example_parses_and_round_trips():
    doc = parse_ecd((FIXTURES / "contract_laptop.json").read_bytes())
    assert isinstance(doc, EcdDocument)
    assert doc.goods[0].value == Decimal("1200.00")
    assert ecd_from_obj(doc.to_json()) == doc


@pytest.mark.parametrize(
    ("mutate", "path", "words"),
    [
        (lambda d: d["goods"][0].update(value=1200.0), "goods[0].value", "not a JSON number"),
        (lambda d: d["goods"][0].update(value=1200), "goods[0].value", "not a JSON number"),
        (lambda d: d["goods"][0].update(value="1.2e3"), "goods[0].value", "decimal string"),
        (lambda d: d["goods"][0].update(value="-5"), "goods[0].value", "non-negative"),
        (lambda d: d["excise"].update(alcohol_l=0.5), "excise.alcohol_l", "not a JSON number"),
        (lambda d: d["excise"].update(cigarettes=1.0), "excise.cigarettes", "whole number"),
        (lambda d: d["excise"].update(cigarettes=True), "excise.cigarettes", "whole number"),
        (lambda d: d["cash"][0].update(amount=5.5), "cash[0].amount", "not a JSON number"),
        (lambda d: d["goods"][0].update(colour="red"), "goods[0].colour", "unknown field"),
        (lambda d: d.update(extra=1), "extra", "unknown field"),
        (lambda d: d["goods"][0].pop("value"), "goods[0].value", "missing"),
        (lambda d: d["arrival"].pop("date"), "arrival.date", "missing"),
        (lambda d: d.pop("carrying"), "carrying", "missing"),
        (lambda d: d["carrying"].pop("pornography"), "carrying.pornography", "missing"),
        (lambda d: d["carrying"].update(pornography="no"), "carrying.pornography", "true or false"),
        (lambda d: d.update(format="ecd/2"), "format", "ecd/1"),
        (lambda d: d.update(submitted_at="2026-11-20T09:15:00"), "submitted_at", "UTC offset"),
        (lambda d: d["arrival"].update(date="21/11/2026"), "arrival.date", "YYYY-MM-DD"),
        (lambda d: d["arrival"].update(date="2026-02-30"), "arrival.date", "YYYY-MM-DD"),
        (lambda d: d["declarant"].update(traveller_type="pilot"), "declarant.traveller_type", "passenger"),
        (lambda d: d["declarant"].update(npwp="123"), "declarant.npwp", "NPWP"),
        (lambda d: d["goods"][0].update(currency="usd"), "goods[0].currency", "three capital letters"),
        (lambda d: d.update(goods={}), "goods", "JSON array"),
    ],
)
def test_parse_errors_name_the_json_path(mutate, path, words):
    doc = load("contract_laptop.json")
    mutate(doc)
    err = _parse_error(doc)
    assert err.field == path
    assert words in err.message


def test_bad_json_names_source_line_and_column():
    with pytest.raises(InputError) as err:
        parse_ecd(b'{"format": "ecd/1",\n  "ecd_id": }', source="x.json")
    assert err.value.field == "x.json" and "line 2" in err.value.message


def test_top_level_must_be_an_object():
    err = _parse_error(copy.deepcopy([1, 2]))  # type: ignore[arg-type]
    assert err.field == "$"


def test_optional_fields_default():
    doc = load("contract_laptop.json")
    del doc["family_members"], doc["declarant"]["npwp"], doc["goods"][0]["hs_code"]
    del doc["cash"][0]["bearer_instrument"], doc["arrival"]["carrier"]
    parsed = ecd_from_obj(doc)
    assert parsed.family_members == [] and parsed.declarant.npwp is None
    assert parsed.goods[0].hs_code is None and parsed.cash[0].bearer_instrument is False


def test_shipped_fixture_rates_file_parses():
    table = RateTable.from_csv_file(FIXTURES / "rates.csv")
    assert table.rate("JPY", dt.date(2026, 11, 21)) == Decimal(105)
