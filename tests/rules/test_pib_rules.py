"""PIB levies, determination, SPTNP fine tiers, outcome and deadlines (DOMAIN.md §2, rule set PMK-190-2022)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workstation.domain.pib import LEVY_FIELDS, Levies, Outcome, PibItem, parse_pib
from workstation.errors import InputError, Refusal
from workstation.rules import pib as rules
from workstation.rules.pib import assess_pib, compute_levies, fine_rate_pct
from workstation.rules.ruleset import ruleset_by_id, ruleset_for

FIXTURES = Path(__file__).parents[1] / "fixtures" / "pib"
RS = ruleset_by_id("PMK-190-2022")


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def base_doc(*items: dict, determination: dict | None = None, **top) -> dict:
    doc = load("no_determination.json")
    doc["ndpbm"] = "10000"
    doc["items"] = [dict(doc["items"][0], **it) for it in items] if items else doc["items"]
    if determination is not None:
        doc["determination"] = determination
    doc.update(top)
    return doc


def assess(doc: dict):
    return assess_pib(parse_pib(json.dumps(doc)))


# ------------------------------------------------------------------------------------------------
# The CONTRACTS.md example, by hand
# ------------------------------------------------------------------------------------------------


def test_contract_example_by_hand():
    # Declared: CIF USD 5,000 x NDPBM 16,000      = customs value 80,000,000
    #   BM 0 %                                    = 0
    #   import value 80,000,000 + 0 + 0           = 80,000,000
    #   PPN 11 % of 80,000,000                    = 8,800,000
    #   PPh 2.5 % of 80,000,000                   = 2,000,000
    #   total 0 + 8,800,000 + 0 + 2,000,000 + 0   = 10,800,000
    # Determined (HS 8471500000, CIF 6,500, BM 5 %):
    #   customs value 6,500 x 16,000              = 104,000,000
    #   BM 5 %                                    = 5,200,000 (already a thousand)
    #   import value 104,000,000 + 5,200,000      = 109,200,000
    #   PPN 11 %                                  = 12,012,000
    #   PPh 2.5 %                                 = 2,730,000
    #   total 5,200,000 + 12,012,000 + 2,730,000  = 19,942,000
    # Shortfall 5,200,000 on BM declared 0: nothing declared -> top tier 1,000 % -> fine 52,000,000.
    # Determined total higher -> SPTNP.
    result = assess(load("contract_example.json"))
    assert result.contract_json() == {
        "declared": {"customs_value_idr": 80_000_000, "bm_idr": 0, "ppn_idr": 8_800_000, "ppnbm_idr": 0,
                     "pph_idr": 2_000_000, "excise_idr": 0, "total_idr": 10_800_000},
        "determined": {"customs_value_idr": 104_000_000, "bm_idr": 5_200_000, "ppn_idr": 12_012_000,
                       "ppnbm_idr": 0, "pph_idr": 2_730_000, "excise_idr": 0, "total_idr": 19_942_000},
        "difference": {"customs_value_idr": 24_000_000, "bm_idr": 5_200_000, "ppn_idr": 3_212_000,
                       "ppnbm_idr": 0, "pph_idr": 730_000, "excise_idr": 0, "total_idr": 9_142_000},
        "bm_shortfall_idr": 5_200_000,
        "fine_idr": 52_000_000,
        "fine_rate_pct": "1000",
        "outcome": "SPTNP",
    }
    assert result.ruleset == "PMK-190-2022"
    # The examiner's per-item breakdown carries the determined HS code and exact figures.
    (row,) = result.determined.items
    assert (row.hs_code, row.customs_value, row.bm) == ("8471500000", Decimal("104000000"), Decimal("5200000"))


# ------------------------------------------------------------------------------------------------
# Rounding
# ------------------------------------------------------------------------------------------------


def test_rounding_bm_up_to_thousand_taxes_down_to_rupiah():
    # CIF 1,234.56 x NDPBM 15,432.10          = 19,051,853.376   -> customs value 19,051,853 (down)
    # BM 7.5 %                                = 1,428,889.0032   -> 1,429,000 (up to the thousand)
    # import value 19,051,853.376 + 1,428,889.0032 (unrounded BM) = 20,480,742.3792
    # PPN 11 %                                = 2,252,881.661712 -> 2,252,881 (down)
    # PPh 2.5 %                               = 512,018.55948    -> 512,018 (down)
    # total 1,429,000 + 2,252,881 + 512,018   = 4,193,899
    result = assess(load("no_determination.json"))
    assert result.declared.totals == Levies(
        customs_value_idr=19_051_853, bm_idr=1_429_000, ppn_idr=2_252_881, ppnbm_idr=0,
        pph_idr=512_018, excise_idr=0, total_idr=4_193_899,
    )


def test_levies_are_summed_before_rounding():
    # Two items, each CIF 0.40 x 10,000 = 4,000; BM 10 % = 400 each. Summed 800 -> 1,000
    # (rounding each item would give 2,000). PPN on 5 rupiah at 11 % = 0.55 each: 1.10 -> 1 (not 0).
    doc = base_doc(
        {"seq": 1, "cif": "0.40", "bm_rate": "10", "ppn_rate": "0", "pph_rate": "0"},
        {"seq": 2, "cif": "0.40", "bm_rate": "10", "ppn_rate": "0", "pph_rate": "0"},
        {"seq": 3, "cif": "0.0005", "bm_rate": "0", "ppn_rate": "11", "pph_rate": "0"},
        {"seq": 4, "cif": "0.0005", "bm_rate": "0", "ppn_rate": "11", "pph_rate": "0"},
    )
    totals = assess(doc).declared.totals
    assert totals.bm_idr == 1_000
    assert totals.ppn_idr == 1


def test_excise_rounded_up_but_unrounded_in_import_value():
    # CIF 1 x 10,000 = 10,000; excise 1,500 -> levy 2,000 (up); import value 10,000 + 0 + 1,500 = 11,500;
    # PPN 11 % = 1,265 (the rounded 2,000 would have given 1,320).
    doc = base_doc({"cif": "1", "bm_rate": "0", "ppn_rate": "11", "pph_rate": "0", "excise_idr": 1500})
    totals = assess(doc).declared.totals
    assert (totals.excise_idr, totals.ppn_idr, totals.total_idr) == (2_000, 1_265, 3_265)


def test_specific_duty_per_unit():
    # 100 KGM at Rp450/kg specific BM, CIF 10 x 16,000 = 160,000: BM 45,000; import value 205,000;
    # PPN 11 % = 22,550; PPh 2.5 % = 5,125.
    doc = base_doc({"quantity": "100", "unit": "KGM", "cif": "10", "bm_rate": "0", "bm_specific_idr": "450"},
                   ndpbm="16000")
    totals = assess(doc).declared.totals
    assert (totals.bm_idr, totals.ppn_idr, totals.pph_idr) == (45_000, 22_550, 5_125)


def test_jpy_ndpbm_is_per_hundred_yen():
    # JPY 100,000 at NDPBM 10,650.50 per 100 yen = 106.505 x 100,000 = 10,650,500.
    doc = base_doc({"cif": "100000", "bm_rate": "0"}, currency="JPY", ndpbm="10650.50")
    assert assess(doc).declared.totals.customs_value_idr == 10_650_500


# ------------------------------------------------------------------------------------------------
# Determination and outcome
# ------------------------------------------------------------------------------------------------


def test_no_determination_is_sppb_with_zero_difference():
    result = assess(load("no_determination.json"))
    out = result.contract_json()
    assert out["outcome"] == "SPPB"
    assert out["determined"] is None
    assert out["difference"] == dict.fromkeys(LEVY_FIELDS, 0)
    assert (out["bm_shortfall_idr"], out["fine_idr"], out["fine_rate_pct"]) == (0, 0, "0")


def test_determination_equal_total_is_sppb():
    # Reclassified to another post with the same rates: same levies.
    doc = base_doc(determination={"items": [{"seq": 1, "hs_code": "85166090"}]})
    result = assess(doc)
    assert result.outcome is Outcome.SPPB
    assert result.determined.totals == result.declared.totals
    assert result.determined.items[0].hs_code == "85166090"


def test_determination_lower_total_is_sptnp_and_sppb():
    doc = load("contract_example.json")
    doc["determination"] = {"items": [{"seq": 1, "cif": "4000.00"}]}
    result = assess(doc)
    assert result.outcome is Outcome.SPTNP_SPPB
    assert result.difference.total_idr < 0
    assert (result.bm_shortfall_idr, result.fine_idr) == (0, 0)


def test_determination_higher_total_is_sptnp():
    assert assess(load("contract_example.json")).outcome is Outcome.SPTNP


def test_missing_lartas_permit_is_spbl_even_when_underpaid():
    doc = load("spbl_missing_permit.json")
    assert assess(doc).outcome is Outcome.SPBL
    doc["determination"] = {"items": [{"seq": 1, "bm_rate": "10"}]}
    result = assess(doc)
    assert result.outcome is Outcome.SPBL
    assert result.lartas_missing == (1,)
    assert result.bm_shortfall_idr > 0  # the figures are still computed


def test_determination_can_make_an_item_lartas_or_record_its_permit():
    doc = base_doc(determination={"items": [{"seq": 1, "lartas_required": True}]})
    assert assess(doc).outcome is Outcome.SPBL
    doc = load("spbl_missing_permit.json")
    doc["determination"] = {"items": [{"seq": 1, "lartas_permit": "PI-04.PI-123/2026"}]}
    assert assess(doc).outcome is Outcome.SPPB
    doc = load("spbl_missing_permit.json")
    doc["items"][0]["lartas_permit"] = "PI-04.PI-123/2026"
    assert assess(doc).outcome is Outcome.SPPB


def test_items_not_determined_keep_declared_values():
    # Item 2 is re-valued; item 1 keeps its declared figures, so item 1's row is identical in both.
    doc = base_doc({"seq": 1, "cif": "100"}, {"seq": 2, "cif": "200"},
                   determination={"items": [{"seq": 2, "cif": "300", "bm_rate": None}]})
    result = assess(doc)
    assert result.determined.items[0] == result.declared.items[0]
    assert result.determined.items[1].customs_value == Decimal("3000000")
    # `"bm_rate": null` keeps the declared rate.
    assert result.determined.items[1].bm == Decimal("3000000") * Decimal("7.5") / 100


# ------------------------------------------------------------------------------------------------
# SPTNP fine tiers (PP 39/2019 art. 6)
# ------------------------------------------------------------------------------------------------

TIERS = [  # (shortfall share bound %, rate at the bound, rate just above)
    (50, "100", "125"),
    (100, "125", "150"),
    (150, "150", "175"),
    (200, "175", "200"),
    (250, "200", "225"),
    (300, "225", "250"),
    (350, "250", "300"),
    (400, "300", "600"),
    (450, "600", "1000"),
]
DECLARED = 1_000_000


@pytest.mark.parametrize(("bound", "at", "above"), TIERS)
def test_fine_tier_at_and_just_above_boundary(bound, at, above):
    at_boundary = DECLARED * bound // 100
    assert fine_rate_pct(at_boundary, DECLARED, ruleset=RS) == Decimal(at)
    # Just above: one rupiah (the pure rule), and one thousand (the smallest step between BM figures).
    assert fine_rate_pct(at_boundary + 1, DECLARED, ruleset=RS) == Decimal(above)
    assert fine_rate_pct(at_boundary + 1_000, DECLARED, ruleset=RS) == Decimal(above)


def test_fine_lowest_tier_nothing_declared_and_no_shortfall():
    assert fine_rate_pct(1, DECLARED, ruleset=RS) == Decimal(100)
    assert fine_rate_pct(1_000, 0, ruleset=RS) == Decimal(1000)  # nothing declared: top tier
    assert fine_rate_pct(0, 0, ruleset=RS) == Decimal(0)
    assert fine_rate_pct(0, DECLARED, ruleset=RS) == Decimal(0)


@pytest.mark.parametrize(
    ("determined_rate", "shortfall", "fine_rate", "fine"),
    [
        # CIF 625 x 16,000 = 10,000,000; BM declared 10 % = 1,000,000.
        ("15", 500_000, "100", 500_000),  # 1,500,000 - 1,000,000 = 50 % of declared -> 100 %
        ("15.01", 501_000, "125", 626_250),  # 1,501,000 -> 50.1 % -> 125 % of 501,000
        ("55", 4_500_000, "600", 27_000_000),  # 450 % -> 600 %
        ("55.01", 4_501_000, "1000", 45_010_000),  # above 450 % -> 1,000 %
    ],
)
def test_fine_through_assessment(determined_rate, shortfall, fine_rate, fine):
    doc = base_doc({"cif": "625", "bm_rate": "10"}, ndpbm="16000",
                   determination={"items": [{"seq": 1, "bm_rate": determined_rate}]})
    out = assess(doc).contract_json()
    assert out["declared"]["bm_idr"] == 1_000_000
    assert (out["bm_shortfall_idr"], out["fine_rate_pct"], out["fine_idr"]) == (shortfall, fine_rate, fine)


@given(declared=st.integers(1, 10**12), a=st.integers(0, 10**13), b=st.integers(0, 10**13))
def test_fine_rate_never_falls_as_shortfall_grows(declared, a, b):
    lo, hi = sorted((a, b))
    assert fine_rate_pct(lo, declared, ruleset=RS) <= fine_rate_pct(hi, declared, ruleset=RS)


# ------------------------------------------------------------------------------------------------
# Properties of the levies
# ------------------------------------------------------------------------------------------------

RATES = st.sampled_from(["0", "2.5", "5", "7.5", "10", "11", "12", "15", "20", "40", "125"])
MONEY = st.integers(0, 10**11).map(lambda c: Decimal(c) / 100)


@st.composite
def items(draw):
    n = draw(st.integers(1, 5))
    return [
        PibItem(
            seq=i + 1, hs_code="84713000", description="x", unit="PCE",
            quantity=Decimal(draw(st.integers(1, 10_000))),
            cif=draw(MONEY), bm_rate=Decimal(draw(RATES)), ppn_rate=Decimal(draw(RATES)),
            ppnbm_rate=Decimal(draw(RATES)), pph_rate=Decimal(draw(RATES)),
            bm_specific_idr=draw(st.none() | st.sampled_from([Decimal(0), Decimal("450"), Decimal("0.5")])),
            excise_idr=draw(st.integers(0, 10**9)), lartas_required=False,
        )
        for i in range(n)
    ]


NDPBM = st.integers(1, 10**8).map(lambda c: Decimal(c) / 100)


@settings(max_examples=150)
@given(items=items(), ndpbm=NDPBM, pick=st.integers(0, 4), extra=MONEY)
def test_levies_monotone_in_cif(items, ndpbm, pick, extra):
    before = compute_levies(items, ndpbm=ndpbm, currency="USD", ruleset=RS).totals
    i = pick % len(items)
    raised = [*items[:i], items[i].model_copy(update={"cif": items[i].cif + extra}), *items[i + 1:]]
    after = compute_levies(raised, ndpbm=ndpbm, currency="USD", ruleset=RS).totals
    for field in LEVY_FIELDS:
        assert getattr(after, field) >= getattr(before, field), field


@settings(max_examples=150)
@given(items=items(), ndpbm=NDPBM)
def test_totals_and_rounding_properties(items, ndpbm):
    result = compute_levies(items, ndpbm=ndpbm, currency="USD", ruleset=RS)
    t = result.totals
    assert t.total_idr == t.bm_idr + t.ppn_idr + t.ppnbm_idr + t.pph_idr + t.excise_idr
    assert t.bm_idr % 1000 == 0 and t.excise_idr % 1000 == 0
    exact = {f: sum((Fraction(getattr(r, f)) for r in result.items), Fraction(0))
             for f in ("customs_value", "bm", "excise", "ppn", "ppnbm", "pph")}
    assert 0 <= t.bm_idr - exact["bm"] < 1000  # up to the thousand
    assert 0 <= t.excise_idr - exact["excise"] < 1000
    for levy in ("ppn", "ppnbm", "pph", "customs_value"):  # down to the rupiah
        assert 0 <= exact[levy] - getattr(t, f"{levy}_idr") < 1
    assert t.customs_value_idr == math.floor(sum(Fraction(i.cif) * Fraction(ndpbm) for i in items))


@settings(max_examples=50)
@given(items=items(), ndpbm=NDPBM)
def test_determination_repeating_declared_values_changes_nothing(items, ndpbm):
    doc = base_doc(ndpbm=format(ndpbm, "f"))
    doc["items"] = [json.loads(i.model_dump_json()) for i in items]
    doc["determination"] = {"items": [{"seq": i.seq, "cif": format(i.cif, "f"), "bm_rate": format(i.bm_rate, "f")}
                                      for i in items]}
    result = assess(doc)
    assert result.outcome is Outcome.SPPB
    assert result.difference == Levies.zero()


# ------------------------------------------------------------------------------------------------
# Parsing: strict, floats refused, errors name the JSON path
# ------------------------------------------------------------------------------------------------


def _error(doc) -> InputError:
    text = doc if isinstance(doc, str) else json.dumps(doc)
    with pytest.raises(InputError) as exc:
        parse_pib(text)
    return exc.value


def _mutated(fn) -> dict:
    doc = load("contract_example.json")
    fn(doc)
    return doc


@pytest.mark.parametrize(
    ("mutate", "field", "words"),
    [
        (lambda d: d["items"][0].update(cif=5000.0), "items[0].cif", "not a JSON number"),
        (lambda d: d["items"][0].update(cif=5000), "items[0].cif", "not a JSON number"),
        (lambda d: d.update(ndpbm=16000.5), "ndpbm", "not a JSON number"),
        (lambda d: d["items"][0].update(ppn_rate="1e1"), "items[0].ppn_rate", "decimal string"),
        (lambda d: d["items"][0].update(cif="-5"), "items[0].cif", "decimal string"),
        (lambda d: d["items"][0].update(excise_idr=0.0), "items[0].excise_idr", "integer"),
        (lambda d: d["determination"]["items"][0].update(cif=6500.0), "determination.items[0].cif", "JSON number"),
        (lambda d: d["items"][0].pop("pph_rate"), "items[0].pph_rate", "missing"),
        (lambda d: d["importer"].update(tin="x"), "importer.tin", "unknown field"),
        (lambda d: d.update(ndpbm="0"), "ndpbm", "greater than zero"),
        (lambda d: d.update(items=[]), "items", ""),
        (lambda d: d["items"].append(dict(d["items"][0])), "items[1].seq", "duplicate"),
        (lambda d: d["determination"]["items"][0].update(seq=9), "determination.items[0].seq", "no declared item"),
        (lambda d: d.update(format="pib/2"), "format", "unsupported format"),
        (lambda d: d["bc11"].update(date="18-11-2026"), "bc11.date", ""),
        (lambda d: d["items"][0].update(hs_code="8471"), "items[0].hs_code", ""),
        (lambda d: d["items"][0].update(lartas_required="no"), "items[0].lartas_required", ""),
    ],
)
def test_bad_input_names_the_json_path(mutate, field, words):
    err = _error(_mutated(mutate))
    assert err.field == field
    assert words in err.message


def test_not_json_not_object_and_duplicate_keys():
    assert _error("{").field == "$"
    assert _error("[]").field == "$"
    assert "duplicate key" in _error('{"format": "pib/1", "format": "pib/1"}').message


@given(st.decimals(min_value=0, max_value=Decimal(10**18) - 1, places=6, allow_nan=False, allow_infinity=False))
def test_any_plain_decimal_string_parses_exactly(value):
    text = format(value, "f")
    doc = copy.deepcopy(load("contract_example.json"))
    doc["items"][0]["cif"] = text
    assert parse_pib(json.dumps(doc)).items[0].cif == Decimal(text)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_any_json_float_is_refused(value):
    doc = load("contract_example.json")
    doc["items"][0]["cif"] = value
    assert _error(doc).field == "items[0].cif"


# ------------------------------------------------------------------------------------------------
# Rule set: dates in force, figures from data, deadlines and sanctions
# ------------------------------------------------------------------------------------------------


def test_rule_set_in_force_from_pmk_190_start():
    assert ruleset_for("pib", dt.date(2023, 1, 14)).id == "PMK-190-2022"
    with pytest.raises(Refusal):
        ruleset_for("pib", dt.date(2023, 1, 13))


def test_a_corrected_rule_set_changes_the_result(tmp_path):
    # Figures come from the data file: a corrected copy (PPN rounded up to the thousand, lowest fine tier
    # 90 %) changes the outcome of the same document without touching code.
    text = RS.path.read_text()
    text = text.replace('ppn = { unit = 1, mode = "down" }', 'ppn = { unit = 1000, mode = "up" }')
    text = text.replace("{ up_to_pct = 50, fine_pct = 100 }", '{ up_to_pct = 50, fine_pct = "90" }')
    (tmp_path / "pib").mkdir()
    (tmp_path / "pib" / "PMK-190-2022.toml").write_text(text)
    corrected = ruleset_by_id("PMK-190-2022", extra_dir=tmp_path)
    doc = parse_pib(json.dumps(load("no_determination.json")))
    assert assess_pib(doc, ruleset=corrected).declared.totals.ppn_idr == 2_253_000
    assert fine_rate_pct(10, 100, ruleset=corrected) == Decimal(90)


def test_a_float_figure_in_the_rule_set_is_refused(tmp_path):
    text = RS.path.read_text().replace("late_payment_fine_pct = 10 ", "late_payment_fine_pct = 10.0 ")
    (tmp_path / "pib").mkdir()
    (tmp_path / "pib" / "PMK-190-2022.toml").write_text(text)
    with pytest.raises(InputError) as exc:
        rules.pib_rules(ruleset_by_id("PMK-190-2022", extra_dir=tmp_path))
    assert "sanctions.late_payment_fine_pct" in str(exc.value)


@pytest.mark.parametrize(("section", "key"), [("[inspection]", "levels_pct"), ("[tariff]", "post_lengths")])
def test_a_missing_rule_set_key_is_an_error_not_a_code_default(tmp_path, section, key):
    """Inspection levels and the tariff-post length are the rule set's figures: without them the rule set is
    refused, naming the key; no number in the code stands in."""
    text = RS.path.read_text()
    lines = [line for line in text.splitlines() if not line.startswith(f"{key} =")]
    assert len(lines) == len(text.splitlines()) - 1 and section in text
    (tmp_path / "pib").mkdir()
    (tmp_path / "pib" / "PMK-190-2022.toml").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as exc:
        rules.pib_rules(ruleset_by_id("PMK-190-2022", extra_dir=tmp_path))
    assert f"{section.strip('[]')}.{key}" in str(exc.value)


def test_the_shipped_rule_set_gives_levels_and_post_lengths():
    figures = rules.pib_rules(RS)
    assert figures.inspection.levels_pct == [10, 30] and figures.tariff.post_lengths == [8, 10]


def test_deadlines():
    registered = dt.date(2026, 11, 20)
    assert rules.determination_due(registered) == dt.date(2026, 12, 20)
    assert rules.sptnp_payment_due(dt.date(2026, 12, 1)) == dt.date(2027, 1, 30)
    assert rules.objection_due(dt.date(2026, 12, 1)) == dt.date(2027, 1, 30)


def test_npd_answer_due_skips_weekends_and_holidays():
    friday = dt.date(2026, 11, 20)
    assert friday.isoweekday() == 5
    assert rules.npd_answer_due(friday) == dt.date(2026, 11, 25)  # Mon, Tue, Wed
    assert rules.npd_answer_due(dt.date(2026, 11, 16)) == dt.date(2026, 11, 19)  # Monday -> Thursday
    assert rules.npd_answer_due(friday, holidays=[dt.date(2026, 11, 24)]) == dt.date(2026, 11, 26)


def test_sanctions():
    assert rules.late_payment_fine_idr(5_200_000, ruleset=RS) == 520_000
    assert rules.late_payment_fine_idr(1_005, ruleset=RS) == 100  # 100.5 rounded down
    assert rules.release_without_sppb_fine_idr(ruleset=RS) == 25_000_000


def test_tps_thirty_day_limit():
    stored = dt.date(2026, 11, 1)
    assert rules.tps_storage_deadline(stored) == dt.date(2026, 12, 1)
    assert not rules.is_uncleared_goods(stored, dt.date(2026, 12, 1))
    assert rules.is_uncleared_goods(stored, dt.date(2026, 12, 2))
