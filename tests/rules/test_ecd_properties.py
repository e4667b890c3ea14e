"""Properties of the e-CD engine, checked against an independent oracle written with exact fractions."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from workstation.domain.ecd import ExciseQuantities, GoodsItem, Traveller, TravellerType, ecd_from_obj
from workstation.errors import InputError, Refusal
from workstation.rules import ecd as engine
from workstation.rules.rates import RateRow, RateTable

FIRST_DAY = dt.date(2022, 4, 1)
LAST_DAY = dt.date(2027, 12, 31)
HS_CODES = [None, "847130", "620342", "851713", "090111", "030111", "930700", "360200", "010121"]
CURRENCIES = ["USD", "USD", "EUR", "JPY", "IDR", "SGD"]
EXTRA = ["RISK_PROFILE", "RANDOM_SELECTION", "OFFICER_DIVERSION"]
CASH_MAX = {"IDR": 120_000_000, "USD": 9_000, "JPY": 1_500_000}
E_CD_TRIGGERS = [
    "VALUE_OVER_ALLOWANCE",
    "EXCISE_OVER_ALLOWANCE",
    "QUARANTINE_GOODS",
    "PROHIBITED_GOODS",
    "CASH_OVER_THRESHOLD",
    "NON_PERSONAL_GOODS",
]


@dataclass(frozen=True)
class Case:
    arrival: dt.date
    traveller: Traveller
    goods: tuple[GoodsItem, ...]
    excise: ExciseQuantities
    cash: tuple[SimpleNamespace, ...]
    carrying: SimpleNamespace
    rates: dict[str, Decimal]  # quoted as in the file (JPY per 100)
    extra: tuple[str, ...]

    def table(self) -> RateTable:
        return RateTable.from_rows(RateRow(c, r, FIRST_DAY, None) for c, r in self.rates.items())

    def decide(self):
        return engine.decide(
            ecd_id="ECD-P", goods=self.goods, excise=self.excise, cash=self.cash, carrying=self.carrying,
            traveller=self.traveller, arrival_date=self.arrival, rates=self.table(),
            rules=engine.rules_in_force(self.arrival), extra_reasons=self.extra,
        )


money = st.integers(min_value=0, max_value=400_000).map(lambda c: Decimal(c).scaleb(-2))
rate_values = st.integers(min_value=100_000, max_value=2_000_000).map(lambda c: Decimal(c).scaleb(-2))


@st.composite
def cases(draw) -> Case:
    arrival = draw(st.dates(min_value=FIRST_DAY, max_value=LAST_DAY))
    # Ages spread over 0-80 years (sampled_from: integers() would favour newborns), some on the birthday.
    ages_days = draw(st.lists(st.tuples(st.sampled_from(range(81)), st.sampled_from([0, 1, 180, 364, 365])),
                              min_size=1, max_size=4))
    births = tuple(arrival - dt.timedelta(days=y * 365 + y // 4 + d) for y, d in ages_days)
    traveller = Traveller(
        draw(st.sampled_from(list(TravellerType))), births, draw(st.sampled_from([None, "012345678901000"]))
    )
    goods = tuple(
        GoodsItem(
            description="x",
            value=draw(money) * (draw(st.sampled_from([1, 1, 10, 1000])) if cur in ("JPY", "IDR") else 1),
            currency=cur,
            personal_use=draw(st.integers(0, 9)) != 0,  # one line in ten is not for personal use
            hs_code=draw(st.sampled_from(HS_CODES[:4] if draw(st.integers(0, 9)) else HS_CODES)),
        )
        for cur in draw(st.lists(st.sampled_from(CURRENCIES), max_size=5))
    )
    excise = ExciseQuantities() if draw(st.booleans()) else ExciseQuantities(
        cigarettes=draw(st.sampled_from([0, 0, 0, 0, 40, 100, 200, 201, 400, 401, 650])),
        cigars=draw(st.sampled_from([0, 0, 5, 13, 25, 26, 60])),
        sliced_tobacco_g=draw(st.sampled_from([0, 0, 40, 50, 100, 101, 250])),
        alcohol_l=draw(st.sampled_from(["0", "0", "0.35", "0.5", "1", "1.5", "2", "3.1"]).map(Decimal)),
    )
    cash = tuple(
        SimpleNamespace(
            currency=cur,
            amount=Decimal(draw(st.integers(0, CASH_MAX[cur]))),
            bearer_instrument=draw(st.booleans()),
        )
        for cur in draw(st.lists(st.sampled_from(["IDR", "USD", "JPY"]), max_size=3))
    )
    rare = st.sampled_from([False] * 19 + [True])
    carrying = SimpleNamespace(
        animals_fish_plants=draw(rare),
        narcotics_psychotropics=draw(rare),
        weapons_ammunition_explosives=draw(rare),
        pornography=draw(rare),
    )
    rates = {"USD": draw(rate_values), "EUR": draw(rate_values), "SGD": draw(rate_values), "JPY": draw(rate_values)}
    extra = tuple(e for e in EXTRA if draw(rare))
    return Case(arrival, traveller, goods, excise, cash, carrying, rates, extra)


# ---------------------------------------------------------------------------------------------------------
# The oracle: the rules of DOMAIN.md §1 with exact fractions and the rule set's figures
# ---------------------------------------------------------------------------------------------------------
def per_unit(case: Case, cur: str) -> Fraction:
    if cur == "IDR":
        return Fraction(1)
    return Fraction(case.rates[cur]) / (100 if cur == "JPY" else 1)


def half_up_cents(x: Fraction) -> Fraction:
    return Fraction(int(x * 100 + Fraction(1, 2)), 100)


def years_on(birth: dt.date, day: dt.date) -> int:
    n = 0
    while True:
        try:
            anniversary = birth.replace(year=birth.year + n + 1)
        except ValueError:  # 29 February
            anniversary = dt.date(birth.year + n + 1, 3, 1)
        if anniversary > day:
            return n
        n += 1


def oracle_goods_usd(case: Case) -> Fraction:
    usd = per_unit(case, "USD")
    return half_up_cents(sum((Fraction(g.value) * per_unit(case, g.currency) / usd
                              for g in case.goods if g.personal_use), Fraction(0)))


def oracle_triggers(case: Case) -> set[str]:
    fig = engine.rules_in_force(case.arrival).figures
    t = case.traveller
    out: set[str] = set(case.extra)
    # allowance
    if t.traveller_type not in fig.allowance.exempt_traveller_types:
        persons = t.persons if fig.allowance.family_pooling else 1
        if oracle_goods_usd(case) > Fraction(fig.allowance.usd[t.traveller_type]) * persons:
            out.add("VALUE_OVER_ALLOWANCE")
    # excise
    limits = fig.excise.limits[fig.excise.limits_for[t.traveller_type]]
    ages = [years_on(b, case.arrival) for b in t.birth_dates]
    smokers = sum(a >= fig.excise.tobacco_min_age for a in ages)
    drinkers = sum(a >= fig.excise.alcohol_min_age for a in ages)
    ex = case.excise
    tobacco = [(ex.cigarettes, limits.cigarettes), (ex.cigars, limits.cigars), (ex.sliced_tobacco_g, limits.sliced_tobacco_g)]
    carried = [(q, lim) for q, lim in tobacco if q]
    if carried and (smokers == 0 or any(lim == 0 for _, lim in carried)):
        tobacco_over = True
    else:
        tobacco_over = sum((Fraction(q, lim * smokers) for q, lim in carried), Fraction(0)) > 1
    if tobacco_over:
        out.add("EXCISE_OVER_ALLOWANCE")
    if Fraction(ex.alcohol_l) > Fraction(limits.alcohol_l) * drinkers:
        out.add("EXCISE_OVER_ALLOWANCE")
    # categories
    hs = [g.hs_code for g in case.goods if g.hs_code]
    if any(getattr(case.carrying, f) for f in fig.quarantine.flags) or any(
        h.startswith(p) for h in hs for p in fig.quarantine.hs_prefixes
    ):
        out.add("QUARANTINE_GOODS")
    if any(getattr(case.carrying, f) for f in fig.prohibited.flags) or any(
        h.startswith(p) for h in hs for p in fig.prohibited.hs_prefixes
    ):
        out.add("PROHIBITED_GOODS")
    if any(not g.personal_use for g in case.goods):
        out.add("NON_PERSONAL_GOODS")
    cash = sum((Fraction(c.amount) * per_unit(case, c.currency) for c in case.cash), Fraction(0))
    if cash >= fig.cash.threshold_idr:
        out.add("CASH_OVER_THRESHOLD")
    return out


REFERRAL_OF = {
    "EXCISE_OVER_ALLOWANCE": "EXCISE_DESTRUCTION",
    "QUARANTINE_GOODS": "QUARANTINE",
    "PROHIBITED_GOODS": "ENFORCEMENT",
    "CASH_OVER_THRESHOLD": "CASH_DECLARATION",
    "NON_PERSONAL_GOODS": "PIBK",
}

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(cases())
def test_reasons_are_exactly_the_triggers_and_green_iff_none(case):
    d = case.decide()
    expected = oracle_triggers(case)
    assert set(d.reasons) == expected
    assert (d.lane == "green") == (not expected)
    assert set(d.referrals) == {REFERRAL_OF[r] for r in expected if r in REFERRAL_OF}
    out = d.to_json()
    assert out["reasons"] == sorted(out["reasons"]) and out["referrals"] == sorted(out["referrals"])


@FAST
@given(cases())
def test_total_is_the_sum_of_levies_and_levies_round_up_to_thousands(case):
    d = case.decide()
    a = d.to_json()["assessment"]
    levies = [a["import_duty_idr"], a["vat_idr"], a["luxury_tax_idr"], a["income_tax_idr"]]
    assert a["total_idr"] == sum(levies)
    assert all(isinstance(v, int) and v % 1000 == 0 for v in levies)
    assert Fraction(a["goods_usd"]) == oracle_goods_usd(case)
    # Unrounded levies, from the figures with exact fractions.
    fig = engine.rules_in_force(case.arrival).figures
    taxable = Fraction(a["taxable_usd"])
    assert taxable == max(Fraction(0), Fraction(a["goods_usd"]) - Fraction(a["allowance_usd"]))
    cv = taxable * per_unit(case, "USD")
    lv = fig.levies
    bm = cv * Fraction(lv.import_duty_pct) / 100
    base = cv + bm
    vat = base * Fraction(lv.vat_pct) / 100 * Fraction(lv.vat_base_numerator, lv.vat_base_denominator)
    pph_pct = lv.income_tax_pct_with_npwp if case.traveller.npwp else lv.income_tax_pct_without_npwp
    pph = base * Fraction(pph_pct) / 100
    lux = base * Fraction(lv.luxury_tax_pct) / 100
    for got, raw in zip(levies, [bm, vat, lux, pph], strict=True):
        assert raw <= got < raw + 1000
    assert abs(a["customs_value_idr"] - cv) <= Fraction(1, 2)


@FAST
@given(
    st.dates(min_value=FIRST_DAY, max_value=LAST_DAY),
    money,
    money,
    rate_values,
    st.sampled_from(list(TravellerType)),
    st.booleans(),
)
def test_levies_are_monotone_in_value(day, v1, v2, usd_rate, ttype, npwp):
    lo, hi = sorted((v1 * 3, v2 * 3))
    rates = RateTable.from_rows([RateRow("USD", usd_rate, FIRST_DAY, None)])
    rules = engine.rules_in_force(day)
    t = Traveller(ttype, (dt.date(1980, 1, 1),), "012345678901000" if npwp else None)
    a = engine.assess_goods([GoodsItem("x", lo, "USD")], t, day, rates, rules)
    b = engine.assess_goods([GoodsItem("x", hi, "USD")], t, day, rates, rules)
    for k in ("import_duty_idr", "vat_idr", "luxury_tax_idr", "income_tax_idr"):
        assert a.levies[k] <= b.levies[k]
    assert a.customs_value_idr <= b.customs_value_idr and a.total_idr <= b.total_idr


@st.composite
def quiet_cases(draw) -> Case:
    """Cases that trigger nothing: small personal goods, nothing excise, no cash, no flags, no extras."""
    case = draw(cases())
    ttype = draw(st.sampled_from(list(TravellerType)))
    return Case(
        case.arrival,
        Traveller(ttype, case.traveller.birth_dates, case.traveller.npwp),
        tuple(GoodsItem("x", Decimal(draw(st.integers(0, 4000))).scaleb(-2), "USD", True, "847130")
              for _ in range(draw(st.integers(0, 1)))),
        ExciseQuantities(),
        (SimpleNamespace(currency="IDR", amount=Decimal(draw(st.integers(0, 99_999_999))), bearer_instrument=False),),
        SimpleNamespace(animals_fish_plants=False, narcotics_psychotropics=False,
                        weapons_ammunition_explosives=False, pornography=False),
        case.rates,
        (),
    )


def with_trigger(case: Case, code: str, data) -> Case:
    """`case` changed just enough to trigger `code` (and nothing else)."""
    goods, excise, cash, carrying, extra = list(case.goods), case.excise, list(case.cash), case.carrying, case.extra
    traveller = case.traveller
    if code == "VALUE_OVER_ALLOWANCE":
        if traveller.traveller_type == TravellerType.HAJJ_REGULAR:  # exempt: nothing is ever over
            traveller = Traveller(TravellerType.PASSENGER, traveller.birth_dates, traveller.npwp)
        goods.append(GoodsItem("x", Decimal(data.draw(st.integers(2_501, 10**6))) * traveller.persons, "USD"))
    elif code == "EXCISE_OVER_ALLOWANCE":
        excise = ExciseQuantities(cigarettes=data.draw(st.integers(201, 10_000)) * traveller.persons)
    elif code in ("QUARANTINE_GOODS", "PROHIBITED_GOODS"):
        fig = engine.rules_in_force(case.arrival).figures
        cat = fig.quarantine if code == "QUARANTINE_GOODS" else fig.prohibited
        how = data.draw(st.sampled_from([("flag", f) for f in cat.flags] + [("hs", h) for h in cat.hs_prefixes]))
        if how[0] == "flag":
            carrying = SimpleNamespace(**{**vars(carrying), how[1]: True})
        else:
            goods.append(GoodsItem("x", Decimal(1), "USD", True, (how[1] + "000000")[:6]))
    elif code == "CASH_OVER_THRESHOLD":
        cash.append(SimpleNamespace(currency="IDR", amount=Decimal(data.draw(st.integers(10**8, 10**10))),
                                    bearer_instrument=data.draw(st.booleans())))
        cash = cash[1:]  # drop the quiet cash so the sum is the new line alone
    elif code == "NON_PERSONAL_GOODS":
        goods.append(GoodsItem("x", Decimal(data.draw(st.integers(0, 10**6))), "USD", False, "847130"))
    else:
        extra = (code,)
    return Case(case.arrival, traveller, tuple(goods), excise, tuple(cash), carrying, case.rates, extra)


@FAST
@given(quiet_cases(), st.sampled_from(E_CD_TRIGGERS + EXTRA), st.data())
def test_every_reason_code_is_reachable_alone(case, code, data):
    assert case.decide().lane == "green"
    d = with_trigger(case, code, data).decide()
    assert d.reasons == (code,)
    assert d.lane == "red"


# ---------------------------------------------------------------------------------------------------------
# Parsing properties
# ---------------------------------------------------------------------------------------------------------
CONTRACT = {
    "format": "ecd/1", "ecd_id": "ECD-1", "submitted_at": "2026-11-20T09:15:00+07:00",
    "arrival": {"date": "2026-11-21", "port": "CGK"},
    "declarant": {"name": "A", "passport": "P", "nationality": "IDN", "birth_date": "1980-05-01",
                  "traveller_type": "passenger", "npwp": None},
    "goods": [{"description": "x", "hs_code": "847130", "quantity": 1, "unit": "PCE", "value": "1",
               "currency": "USD", "personal_use": True}],
    "excise": {"cigarettes": 0, "cigars": 0, "sliced_tobacco_g": 0, "alcohol_l": "0"},
    "cash": [{"currency": "IDR", "amount": "0", "bearer_instrument": False}],
    "carrying": {"animals_fish_plants": False, "narcotics_psychotropics": False,
                 "weapons_ammunition_explosives": False, "pornography": False},
}
AMOUNT_PATHS = [("goods", 0, "value"), ("excise", "alcohol_l"), ("cash", 0, "amount")]


def _set(doc, path, value):
    target = doc
    for p in path[:-1]:
        target = target[p]
    target[path[-1]] = value


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(AMOUNT_PATHS), st.floats(allow_nan=False, allow_infinity=False))
def test_json_floats_are_refused_for_every_amount(path, value):
    doc = json.loads(json.dumps(CONTRACT))
    _set(doc, path, value)
    with pytest.raises(InputError) as err:
        ecd_from_obj(json.loads(json.dumps(doc)))
    assert err.value.field == "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(AMOUNT_PATHS), st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False))
def test_decimal_strings_parse_exactly_and_round_trip(path, value):
    assume(value.is_finite())
    doc = json.loads(json.dumps(CONTRACT))
    _set(doc, path, format(value, "f"))
    parsed = ecd_from_obj(doc)
    again = ecd_from_obj(json.loads(json.dumps(parsed.to_json())))
    assert again == parsed
    got = parsed
    for p in path:
        got = got[p] if isinstance(p, int) else getattr(got, p)
    assert got == value


# ---------------------------------------------------------------------------------------------------------
# Dates: adult cut-offs and the submission window
# ---------------------------------------------------------------------------------------------------------
@settings(max_examples=500, deadline=None)
@given(
    st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2030, 12, 31)),
    st.dates(min_value=dt.date(2022, 1, 1), max_value=dt.date(2030, 12, 31))
    | st.sampled_from([dt.date(2024, 2, 29), dt.date(2028, 2, 29), dt.date(2025, 3, 1)]),
    st.sampled_from([18, 21, 60]),
)
def test_born_by_agrees_with_completed_years(birth, day, years):
    assume(birth <= day)
    assert (birth <= engine.born_by(day, years)) == (years_on(birth, day) >= years)
    assert engine.age_on(birth, day) == years_on(birth, day)


@settings(max_examples=300, deadline=None)
@given(
    st.dates(min_value=FIRST_DAY, max_value=LAST_DAY),
    st.integers(-5 * 86400, 5 * 86400),
    st.sampled_from([0, 7, 8, 9, -5, 5.5, 14]),
    st.sampled_from(["CGK", "DPS", "DJJ", "KNO"]),
)
def test_submission_window_compares_the_ports_local_date(arrival, seconds, offset_hours, port):
    rules = engine.rules_in_force(arrival)
    tz = dt.timezone(dt.timedelta(hours=offset_hours))
    submitted = (dt.datetime.combine(arrival, dt.time(12), dt.UTC) + dt.timedelta(seconds=seconds)).astimezone(tz)
    port_offset = {"DPS": 8, "DJJ": 9}.get(port, 7)
    local = submitted.astimezone(dt.timezone(dt.timedelta(hours=port_offset))).date()
    inside = arrival - dt.timedelta(days=2) <= local <= arrival + dt.timedelta(days=1)
    if inside:
        engine.check_submission_window(submitted, arrival, port, rules)
    else:
        with pytest.raises(Refusal):
            engine.check_submission_window(submitted, arrival, port, rules)
