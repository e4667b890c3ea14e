"""The passenger e-CD rules engine (DOMAIN.md §1). Pure: no database, no clock, no I/O but the rule-set files.

Layers, so the counter workflow can reassess after a red inspection with the officer's findings:
- `assess(doc, rates)`: the whole e-CD — submission window, then `decide()` on the document's parts with
  the rule set in force on the ARRIVAL date.
- `decide(...)`: lane, reasons, referrals, assessment and excise excess from goods lines, excise quantities,
  cash lines, carrying flags and the traveller; callers add lane reasons (RISK_PROFILE, RANDOM_SELECTION,
  OFFICER_DIVERSION...) through `extra_reasons`. The lane is red iff there is any reason.
- `assess_goods(...)`, `check_excise(...)`, `cash_total_idr(...)`: the parts.

Every figure (allowances, ages, limits, threshold, levy rates, rounding, window) is rule-set data
(rulesets/ecd/*.toml), validated once and compiled into an `EcdRules` object cached by the file's hash.

Levies (per the rule set): customs value = taxable USD × USD NDPBM of the arrival date; BM on it; PPN,
PPnBM and PPh on (customs value + BM), PPN on `vat_base_numerator/vat_base_denominator` of that; each levy
rounded as the rule set says (up to the full thousand rupiah); total = sum of the levies. Goods in other
currencies are converted to USD through rupiah (value × their NDPBM ÷ USD NDPBM).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, StrictBool, model_validator
from pydantic_core import PydanticCustomError

from workstation.domain.codes import LaneReason, Referral
from workstation.domain.ecd import (
    CARRYING_FLAGS,
    EXCISE_FIELDS,
    NO_EXCESS,
    Assessment,
    Decision,
    EcdDocument,
    ExciseLike,
    ExciseQuantities,
    GoodsLike,
    Traveller,
    TravellerType,
)
from workstation.domain.errors import ErrorCode
from workstation.errors import InputError, Refusal
from workstation.rules.rates import RateTable
from workstation.rules.ruleset import RuleSet, generation, ruleset_for

KIND = "ecd"
TOBACCO_FIELDS: tuple[str, ...] = tuple(f for f in EXCISE_FIELDS if f != "alcohol_l")
ORAL_GROUPS = ("over_60", "disabled", "hajj_regular", "vvip")

_ZERO = Decimal(0)
_ONE = Decimal(1)


# ---------------------------------------------------------------------------------------------------------
# Rule-set figures: validated from TOML (strict; a bad file names its key), then compiled
# ---------------------------------------------------------------------------------------------------------
def _rule_decimal(value: Any) -> Decimal:
    # Figures are decimal strings or integers in TOML; TOML floats would carry binary error.
    if isinstance(value, str):
        try:
            d = Decimal(value)
        except ArithmeticError:
            d = None
        if d is not None and d.is_finite() and d >= 0:
            return d
    elif isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return Decimal(value)
    raise PydanticCustomError("rule_decimal", 'must be a non-negative decimal string like "7.5" (not a float)')


RuleDecimal = Annotated[Decimal, PlainValidator(_rule_decimal)]
RoundingMode = Literal[
    "ROUND_CEILING", "ROUND_FLOOR", "ROUND_UP", "ROUND_DOWN", "ROUND_HALF_UP", "ROUND_HALF_DOWN", "ROUND_HALF_EVEN"
]
UtcOffset = Annotated[str, Field(pattern=r"^[+-](?:0[0-9]|1[0-4]):[0-5][0-9]$")]
CarryingFlag = Literal[CARRYING_FLAGS]  # type: ignore[valid-type]
TobaccoField = Literal[TOBACCO_FIELDS]  # type: ignore[valid-type]
OralGroup = Literal[ORAL_GROUPS]  # type: ignore[valid-type]
Count = Annotated[int, Field(strict=True, ge=0)]


# Bounded whole numbers (strict: a TOML "7" string or 7.0 float is refused). Spelled out as aliases because a
# type checker cannot evaluate a call in an annotation.
Days = Annotated[int, Field(strict=True, ge=0, le=60)]
Age = Annotated[int, Field(strict=True, ge=0, le=120)]
Places = Annotated[int, Field(strict=True, ge=0, le=6)]
Positive = Annotated[int, Field(strict=True, ge=1)]


class _Fig(BaseModel):
    # Not globally strict: enum keys come from TOML strings. Numbers and booleans are strict per field.
    # No field has a default: a figure missing from the file is an error naming the file and key
    # (RuleSet.parse), never a value from the code standing in for it. Empty lists and tables are written out.
    model_config = ConfigDict(extra="forbid")


class SubmissionFigures(_Fig):
    days_before: Days
    days_after: Days
    default_utc_offset: UtcOffset
    port_utc_offset: dict[str, UtcOffset]


class AllowanceFigures(_Fig):
    family_pooling: StrictBool
    exempt_traveller_types: list[TravellerType]
    usd: dict[TravellerType, RuleDecimal]

    @model_validator(mode="after")
    def _every_type(self) -> AllowanceFigures:
        for t in TravellerType:
            if t not in self.usd and t not in self.exempt_traveller_types:
                raise ValueError(f"no allowance for traveller type {t.value!r} (add usd.{t.value} or exempt it)")
        return self


class ExciseLimitFigures(_Fig):
    cigarettes: Count
    cigars: Count
    sliced_tobacco_g: Count
    alcohol_l: RuleDecimal


class ExciseFigures(_Fig):
    tobacco_min_age: Age
    alcohol_min_age: Age
    tobacco_order: list[TobaccoField]
    limits_for: dict[TravellerType, str]
    limits: dict[str, ExciseLimitFigures]

    @model_validator(mode="after")
    def _consistent(self) -> ExciseFigures:
        if sorted(self.tobacco_order) != sorted(TOBACCO_FIELDS):
            raise ValueError(f"tobacco_order must list each of {', '.join(TOBACCO_FIELDS)} once")
        for t in TravellerType:
            name = self.limits_for.get(t)
            if name is None:
                raise ValueError(f"limits_for has no entry for {t.value!r}")
            if name not in self.limits:
                raise ValueError(f"limits_for.{t.value} names unknown table {name!r}")
        return self


class CashFigures(_Fig):
    threshold_idr: Count
    count_bearer_instruments: StrictBool
    undeclared_fine_pct: RuleDecimal
    undeclared_fine_cap_idr: Count


class LevyFigures(_Fig):
    import_duty_pct: RuleDecimal
    vat_pct: RuleDecimal
    vat_base_numerator: Positive
    vat_base_denominator: Positive
    luxury_tax_pct: RuleDecimal
    income_tax_pct_with_npwp: RuleDecimal
    income_tax_pct_without_npwp: RuleDecimal
    levy_base: Literal["unrounded", "rounded"]


class RoundingFigures(_Fig):
    usd_places: Places
    usd_mode: RoundingMode
    customs_value_unit: Positive
    customs_value_mode: RoundingMode
    levy_unit: Positive
    levy_mode: RoundingMode
    fine_unit: Positive
    fine_mode: RoundingMode


class CategoryFigures(_Fig):
    flags: list[CarryingFlag]
    hs_prefixes: list[Annotated[str, Field(pattern=r"^[0-9]{2,10}$")]]


class OralFigures(_Fig):
    eligible_groups: list[OralGroup]
    min_age: Age


class EcdFigures(_Fig):
    submission: SubmissionFigures
    allowance: AllowanceFigures
    excise: ExciseFigures
    cash: CashFigures
    levies: LevyFigures
    rounding: RoundingFigures
    prohibited: CategoryFigures
    quarantine: CategoryFigures
    oral_declaration: OralFigures


def _tz(offset: str) -> dt.timezone:
    sign = -1 if offset[0] == "-" else 1
    hours, minutes = int(offset[1:3]), int(offset[4:6])
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


@dataclass(frozen=True, slots=True)
class ExciseLimits:
    """One traveller type's limits, compiled for integer arithmetic: each tobacco kind weighs
    `unit // limit` so that "sum of fractions ≤ adults" becomes "sum of q × weight ≤ adults × unit"."""

    tobacco: tuple[tuple[str, int, int | None], ...]  # (field, limit, weight or None when the limit is 0)
    unit: int
    alcohol_l: Decimal


@dataclass(frozen=True, slots=True)
class EcdRules:
    """Compiled figures of one e-CD rule set. Build with `compile_rules()` (cached)."""

    id: str
    sha256: str
    valid_from: dt.date
    valid_to: dt.date | None
    # submission window
    days_before: int
    days_after: int
    window_before: dt.timedelta
    window_after: dt.timedelta
    default_tz: dt.timezone
    port_tz: dict[str, dt.timezone]
    # allowances
    family_pooling: bool
    allowance_usd: dict[str, Decimal | None]  # None: exempt
    # excise
    tobacco_min_age: int
    alcohol_min_age: int
    excise_limits: dict[str, ExciseLimits]
    # cash
    cash_threshold_idr: Decimal
    count_bearer_instruments: bool
    fine_pct: Decimal
    fine_cap_idr: int
    # levies
    bm_pct: Decimal
    vat_pct_num: Decimal  # vat_pct × numerator
    vat_den: Decimal  # 100 × denominator
    luxury_pct: Decimal
    pph_pct_npwp: Decimal
    pph_pct_no_npwp: Decimal
    base_unrounded: bool
    # rounding
    usd_exp: Decimal
    usd_zero: Decimal  # 0 with the USD places ("0.00")
    usd_mode: str
    cv_unit: int
    cv_mode: str
    levy_unit: int
    levy_mode: str
    fine_unit: int
    fine_mode: str
    # categories
    prohibited_flags: tuple[str, ...]
    prohibited_hs: tuple[str, ...]
    quarantine_flags: tuple[str, ...]
    quarantine_hs: tuple[str, ...]
    oral_groups: frozenset[str]
    oral_min_age: int
    figures: EcdFigures

    def usd(self, value: Decimal) -> Decimal:
        return value.quantize(self.usd_exp, rounding=self.usd_mode)


_COMPILED: dict[tuple[str, str, str], EcdRules] = {}


def _allowances(fig: EcdFigures, ruleset: RuleSet) -> dict[str, Decimal | None]:
    """Per-person allowances at the USD places (so pooling is an exact multiplication); None = exempt."""
    exp = Decimal(1).scaleb(-fig.rounding.usd_places)
    out: dict[str, Decimal | None] = {}
    for t in TravellerType:
        if t in fig.allowance.exempt_traveller_types:
            out[t.value] = None
            continue
        value = fig.allowance.usd[t]
        out[t.value] = value.quantize(exp)
        if out[t.value] != value:
            raise InputError(
                template="has more decimals than rounding.usd_places ({places})",
                code=ErrorCode.RULESET_INVALID, field=f"{ruleset.path.name}:allowance.usd.{t.value}",
                params={"places": fig.rounding.usd_places},
            )
    return out


def compile_rules(ruleset: RuleSet) -> EcdRules:
    """Validate and compile a rule set's figures; cached by id, file hash and path."""
    key = (ruleset.id, ruleset.sha256, str(ruleset.path))
    hit = _COMPILED.get(key)
    if hit is not None:
        return hit
    if ruleset.kind != KIND:
        raise InputError(template="rule set {ruleset!r} is of kind {kind!r}, not {expected!r}",
                         code=ErrorCode.RULESET_INVALID, field="ruleset",
                         params={"ruleset": ruleset.id, "kind": ruleset.kind, "expected": KIND})
    fig = ruleset.parse(EcdFigures)
    ex = fig.excise
    limits: dict[str, ExciseLimits] = {}
    for t in TravellerType:
        table = ex.limits[ex.limits_for[t]]
        per_kind = [(f, getattr(table, f)) for f in ex.tobacco_order]
        unit = math.lcm(*(lim for _, lim in per_kind if lim > 0)) if any(lim for _, lim in per_kind) else 1
        limits[t.value] = ExciseLimits(
            tobacco=tuple((f, lim, unit // lim if lim else None) for f, lim in per_kind),
            unit=unit,
            alcohol_l=table.alcohol_l,
        )
    lv, rd = fig.levies, fig.rounding
    rules = EcdRules(
        id=ruleset.id,
        sha256=ruleset.sha256,
        valid_from=ruleset.valid_from,
        valid_to=ruleset.valid_to,
        days_before=fig.submission.days_before,
        days_after=fig.submission.days_after,
        window_before=dt.timedelta(days=fig.submission.days_before),
        window_after=dt.timedelta(days=fig.submission.days_after),
        default_tz=_tz(fig.submission.default_utc_offset),
        port_tz={p: _tz(o) for p, o in fig.submission.port_utc_offset.items()},
        family_pooling=fig.allowance.family_pooling,
        allowance_usd=_allowances(fig, ruleset),
        tobacco_min_age=ex.tobacco_min_age,
        alcohol_min_age=ex.alcohol_min_age,
        excise_limits=limits,
        cash_threshold_idr=Decimal(fig.cash.threshold_idr),
        count_bearer_instruments=fig.cash.count_bearer_instruments,
        fine_pct=fig.cash.undeclared_fine_pct,
        fine_cap_idr=fig.cash.undeclared_fine_cap_idr,
        bm_pct=lv.import_duty_pct,
        vat_pct_num=lv.vat_pct * lv.vat_base_numerator,
        vat_den=Decimal(100 * lv.vat_base_denominator),
        luxury_pct=lv.luxury_tax_pct,
        pph_pct_npwp=lv.income_tax_pct_with_npwp,
        pph_pct_no_npwp=lv.income_tax_pct_without_npwp,
        base_unrounded=lv.levy_base == "unrounded",
        usd_exp=Decimal(1).scaleb(-rd.usd_places),
        usd_zero=Decimal(0).scaleb(-rd.usd_places),
        usd_mode=rd.usd_mode,
        cv_unit=rd.customs_value_unit,
        cv_mode=rd.customs_value_mode,
        levy_unit=rd.levy_unit,
        levy_mode=rd.levy_mode,
        fine_unit=rd.fine_unit,
        fine_mode=rd.fine_mode,
        prohibited_flags=tuple(fig.prohibited.flags),
        prohibited_hs=tuple(fig.prohibited.hs_prefixes),
        quarantine_flags=tuple(fig.quarantine.flags),
        quarantine_hs=tuple(fig.quarantine.hs_prefixes),
        oral_groups=frozenset(fig.oral_declaration.eligible_groups),
        oral_min_age=fig.oral_declaration.min_age,
        figures=fig,
    )
    _COMPILED[key] = rules
    return rules


_BY_DAY: dict[tuple[dt.date, str | None, int], EcdRules] = {}


def _rules_on(day: dt.date, rulesets_dir: str | None) -> EcdRules:
    # Plain dict (not lru_cache): a hit is one tuple and one lookup. Bounded: days x directories in use. The
    # generation changes when a rule-set file is corrected: the next assessment compiles the new figures.
    key = (day, rulesets_dir, generation(rulesets_dir))
    hit = _BY_DAY.get(key)
    if hit is None:
        if len(_BY_DAY) > 20_000:
            _BY_DAY.clear()
        hit = _BY_DAY[key] = compile_rules(ruleset_for(KIND, day, rulesets_dir))
    return hit


def rules_in_force(day: dt.date, rulesets_dir: Path | str | None = None) -> EcdRules:
    """The compiled e-CD rule set in force on `day` (Refusal NO_RULESET when none)."""
    return _rules_on(day, str(rulesets_dir) if rulesets_dir else None)


def as_rules(ruleset: RuleSet | EcdRules) -> EcdRules:
    return ruleset if isinstance(ruleset, EcdRules) else compile_rules(ruleset)


# ---------------------------------------------------------------------------------------------------------
# Helpers. Public functions accept a RuleSet or compiled EcdRules; the underscored ones, used on the hot
# path (thousands of assessments a second), take EcdRules only.
# ---------------------------------------------------------------------------------------------------------
def round_to_unit(amount: Decimal, unit: int, mode: str) -> int:
    """Round `amount` rupiah to a multiple of `unit` with the decimal rounding `mode`."""
    if unit == 1:
        return int(amount.quantize(_ONE, rounding=mode))
    return int((amount / unit).quantize(_ONE, rounding=mode)) * unit


def age_on(birth: dt.date, day: dt.date) -> int:
    """Completed years on `day` (a 29 February birthday counts from 1 March in other years)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


_CUTOFFS: dict[tuple[dt.date, int], dt.date] = {}


def born_by(day: dt.date, years: int) -> dt.date:
    """The latest birth date of someone `years` old or more on `day` (same rule as `age_on`):
    `age_on(b, day) >= years` iff `b <= born_by(day, years)`. Cached: one comparison per person."""
    key = (day, years)
    hit = _CUTOFFS.get(key)
    if hit is None:
        if len(_CUTOFFS) > 50_000:
            _CUTOFFS.clear()
        try:
            hit = day.replace(year=day.year - years)
        except ValueError:  # 29 February on the arrival day, target year not a leap year
            hit = dt.date(day.year - years, 2, 28)
        _CUTOFFS[key] = hit
    return hit


def _rate(rates: RateTable, currency: str, day: dt.date, path: str) -> Decimal:
    try:
        return rates.rate(currency, day)
    except InputError as exc:
        raise InputError(exc.message, code=exc.code, field=path, params=exc.params,
                         template=exc.template) from None


def local_date(moment: dt.datetime, port: str, rules: RuleSet | EcdRules) -> dt.date:
    """The calendar date of `moment` at the arrival port (its zone from the rule set, else WIB)."""
    r = as_rules(rules)
    return moment.astimezone(r.port_tz.get(port, r.default_tz)).date()


def check_submission_window(
    submitted_at: dt.datetime, arrival_date: dt.date, port: str, rules: RuleSet | EcdRules
) -> None:
    """The e-CD may be filed from `days_before` before to `days_after` after the arrival date, both
    inclusive, comparing calendar dates at the arrival port (so a filing at 23:30 WIB is that day).
    Refusal OUTSIDE_SUBMISSION_WINDOW otherwise."""
    _check_window(submitted_at, arrival_date, port, as_rules(rules))


_WINDOWS: dict[tuple[dt.date, dt.timezone, dt.timedelta, dt.timedelta], tuple[dt.datetime, dt.datetime]] = {}


def _check_window(submitted_at: dt.datetime, arrival_date: dt.date, port: str, r: EcdRules) -> None:
    tz = r.port_tz.get(port, r.default_tz)
    key = (arrival_date, tz, r.window_before, r.window_after)
    bounds = _WINDOWS.get(key)
    if bounds is None:  # [first day 00:00, day after the last 00:00) at the port
        if len(_WINDOWS) > 50_000:
            _WINDOWS.clear()
        start = dt.datetime.combine(arrival_date - r.window_before, dt.time(), tz)
        end = dt.datetime.combine(arrival_date + r.window_after + dt.timedelta(days=1), dt.time(), tz)
        bounds = _WINDOWS[key] = (start, end)
    if not bounds[0] <= submitted_at < bounds[1]:
        filed = submitted_at.astimezone(tz).date()
        first = arrival_date - r.window_before
        last = arrival_date + r.window_after
        raise Refusal(
            f"OUTSIDE_SUBMISSION_WINDOW: submitted on {filed.isoformat()} ({port} local date); an e-CD for "
            f"arrival on {arrival_date.isoformat()} may be submitted {first.isoformat()} to {last.isoformat()} "
            f"(rule set {r.id})",
            code=ErrorCode.OUTSIDE_SUBMISSION_WINDOW,
        )


# ---------------------------------------------------------------------------------------------------------
# Goods: allowance and levies
# ---------------------------------------------------------------------------------------------------------
def goods_total_usd(
    goods: Sequence[GoodsLike], arrival_date: dt.date, rates: RateTable, rules: RuleSet | EcdRules
) -> Decimal:
    """FOB total of the PERSONAL goods lines in USD (rounded per the rule set)."""
    return _goods_usd(goods, arrival_date, rates, as_rules(rules))


def _goods_usd(goods: Sequence[GoodsLike], day: dt.date, rates: RateTable, r: EcdRules) -> Decimal:
    # Every non-zero value needs a rate on the arrival date, personal or not (CONTRACTS.md); only the
    # personal lines are summed. Other currencies are summed in rupiah and divided by the USD rate once,
    # so there is at most one inexact step before the rounding to USD places.
    usd = _ZERO
    idr = _ZERO
    first_other = -1
    i = 0
    try:
        for i, g in enumerate(goods):  # `i` also names the line in an error
            value = g.value
            if not value:
                continue
            cur = g.currency
            if cur == "USD":
                rates.rate("USD", day)
                if g.personal_use:
                    usd += value
                continue
            in_idr = value if cur == "IDR" else value * rates.rate(cur, day)
            if g.personal_use:
                idr += in_idr
                if first_other < 0:
                    first_other = i
        if first_other >= 0:
            i = first_other
            usd += idr / rates.rate("USD", day)
    except InputError as exc:
        raise InputError(exc.message, code=exc.code, field=f"goods[{i}].currency", params=exc.params,
                         template=exc.template) from None
    return usd.quantize(r.usd_exp, rounding=r.usd_mode)


def allowance_usd(traveller: Traveller, rules: RuleSet | EcdRules) -> Decimal | None:
    """The (pooled) allowance in USD; None when the traveller type's personal goods are exempt."""
    return _allowance(traveller, as_rules(rules))


def _allowance(traveller: Traveller, r: EcdRules) -> Decimal | None:
    per_person = r.allowance_usd[traveller.traveller_type]
    if per_person is None:
        return None
    if not r.family_pooling:
        return per_person
    persons = len(traveller.birth_dates)
    return per_person if persons == 1 else per_person * persons  # exact: keeps the USD places


def assess_goods(
    goods: Sequence[GoodsLike],
    traveller: Traveller,
    arrival_date: dt.date,
    rates: RateTable,
    rules: RuleSet | EcdRules,
) -> Assessment:
    """Levies on the personal goods above the allowance (non-personal lines are ignored: they go to PIBK).
    Also the entry point for a reassessment with the officer's findings."""
    return _assess_goods(goods, traveller, arrival_date, rates, as_rules(rules))


def _assess_goods(
    goods: Sequence[GoodsLike], traveller: Traveller, day: dt.date, rates: RateTable, r: EcdRules
) -> Assessment:
    goods_usd = _goods_usd(goods, day, rates, r) if goods else r.usd_zero
    allowance = _allowance(traveller, r)
    if allowance is None:  # exempt: the allowance covers everything declared
        allowance = goods_usd
    if goods_usd <= allowance:
        return Assessment(allowance, goods_usd, r.usd_zero)
    taxable = goods_usd - allowance
    usd_rate = _rate(rates, "USD", day, "arrival.date")
    return _levies(allowance, goods_usd, taxable, usd_rate, traveller.npwp is not None, r)


def _levies(
    allowance: Decimal, goods_usd: Decimal, taxable: Decimal, usd_rate: Decimal, has_npwp: bool, r: EcdRules
) -> Assessment:
    cv = taxable * usd_rate
    cv_shown = round_to_unit(cv, r.cv_unit, r.cv_mode)
    bm_raw = cv * r.bm_pct / 100
    bm = round_to_unit(bm_raw, r.levy_unit, r.levy_mode)
    base = cv + bm_raw if r.base_unrounded else Decimal(cv_shown + bm)
    vat = round_to_unit(base * r.vat_pct_num / r.vat_den, r.levy_unit, r.levy_mode)
    luxury = round_to_unit(base * r.luxury_pct / 100, r.levy_unit, r.levy_mode) if r.luxury_pct else 0
    pph_pct = r.pph_pct_npwp if has_npwp else r.pph_pct_no_npwp
    pph = round_to_unit(base * pph_pct / 100, r.levy_unit, r.levy_mode) if pph_pct else 0
    return Assessment(allowance, goods_usd, taxable, cv_shown, bm, vat, luxury, pph)


# ---------------------------------------------------------------------------------------------------------
# Excise goods, cash, prohibited and quarantine goods
# ---------------------------------------------------------------------------------------------------------
def check_excise(
    excise: ExciseLike, traveller: Traveller, arrival_date: dt.date, rules: RuleSet | EcdRules
) -> ExciseQuantities:
    """Quantities above the allowance (to be destroyed, never taxed). Adults only, by age on the arrival
    date; limits per eligible adult (pooled over the family when the rule set pools). Several tobacco kinds:
    each counted as a fraction of its own limit, the sum compared with the number of adults [U]; when over,
    the allowance is used up in the rule set's `tobacco_order` and the rest of each kind is the excess."""
    return _check_excise(excise, traveller, arrival_date, as_rules(rules))


def _check_excise(excise: ExciseLike, traveller: Traveller, day: dt.date, r: EcdRules) -> ExciseQuantities:
    alcohol = excise.alcohol_l
    tobacco_carried = excise.cigarettes or excise.cigars or excise.sliced_tobacco_g
    if not (tobacco_carried or alcohol):
        return NO_EXCESS
    lim = r.excise_limits[traveller.traveller_type]
    births = traveller.birth_dates if r.family_pooling else traveller.birth_dates[:1]
    excess: dict[str, int] = {}
    over = False
    if tobacco_carried:
        cutoff = born_by(day, r.tobacco_min_age)
        capacity = lim.unit * sum(1 for b in births if b <= cutoff)
        for name, _limit, weight in lim.tobacco:
            qty = getattr(excise, name)
            if not qty:
                continue
            allowed = 0 if weight is None else min(qty, capacity // weight)
            if allowed:
                capacity -= allowed * weight  # type: ignore[operator]
            if qty > allowed:
                excess[name] = qty - allowed
                over = True
    alcohol_excess = _ZERO
    if alcohol:
        cutoff = born_by(day, r.alcohol_min_age)
        drinkers = sum(1 for b in births if b <= cutoff)
        alcohol_excess = alcohol - lim.alcohol_l * drinkers
        if alcohol_excess > 0:
            over = True
        else:
            alcohol_excess = _ZERO
    if not over:
        return NO_EXCESS
    return ExciseQuantities(alcohol_l=alcohol_excess, **excess)


def cash_total_idr(
    cash: Iterable[Any], arrival_date: dt.date, rates: RateTable, rules: RuleSet | EcdRules
) -> Decimal:
    """Cash (and bearer instruments when the rule set counts them) in rupiah at the arrival date's NDPBM."""
    return _cash_idr(cash, arrival_date, rates, as_rules(rules))


def _cash_idr(cash: Iterable[Any], day: dt.date, rates: RateTable, r: EcdRules) -> Decimal:
    total = _ZERO
    i = 0
    try:
        for i, c in enumerate(cash):  # noqa: B007 - `i` names the line in an error
            amount = c.amount
            if not amount:
                continue
            cur = c.currency
            in_idr = amount if cur == "IDR" else amount * rates.rate(cur, day)  # a rate is needed either way
            if not c.bearer_instrument or r.count_bearer_instruments:
                total += in_idr
    except InputError as exc:
        raise InputError(exc.message, code=exc.code, field=f"cash[{i}].currency", params=exc.params,
                         template=exc.template) from None
    return total


def undeclared_cash_fine_idr(amount_idr: Decimal | int, rules: RuleSet | EcdRules) -> int:
    """Fine on undeclared cash ≥ the threshold: the rule set's percentage of the whole amount, capped [U]."""
    r = as_rules(rules)
    amount = Decimal(amount_idr)
    if amount < r.cash_threshold_idr:
        return 0
    fine = round_to_unit(amount * r.fine_pct / 100, r.fine_unit, r.fine_mode)
    return min(fine, r.fine_cap_idr)


def undeclared_cash(counted_idr: Decimal | int, declared_idr: Decimal | int,
                    rules: RuleSet | EcdRules) -> tuple[int, int]:
    """(the cash not declared, its fine), rupiah. Cash counted at or above the threshold: the rule set's
    undeclared-cash fine (percentage, rounding, cap) applies to what was counted above what was declared — the
    whole amount when nothing was declared, the excess over a declaration otherwise (UU 8/2010 art. 35) [U].
    Below the threshold, or nothing above the declaration: no fine (the excess is still returned)."""
    r = as_rules(rules)
    counted = Decimal(counted_idr)
    excess = max(counted - Decimal(declared_idr), Decimal(0))
    excess_idr = int(round_to_unit(excess, 1, "ROUND_HALF_UP"))
    if counted < r.cash_threshold_idr or not excess:
        return excess_idr, 0
    fine = round_to_unit(excess * r.fine_pct / 100, r.fine_unit, r.fine_mode)
    return excess_idr, min(fine, r.fine_cap_idr)


def oral_declaration_allowed(
    rules: RuleSet | EcdRules,
    *,
    traveller_type: str,
    age: int,
    disabled: bool = False,
    vvip: bool = False,
) -> bool:
    """Whether the traveller may declare orally at a designated place (groups from the rule set)."""
    r = as_rules(rules)
    g = r.oral_groups
    return (
        ("over_60" in g and age >= r.oral_min_age)
        or ("disabled" in g and disabled)
        or ("hajj_regular" in g and traveller_type == TravellerType.HAJJ_REGULAR)
        or ("vvip" in g and vvip)
    )


# ---------------------------------------------------------------------------------------------------------
# The decision
# ---------------------------------------------------------------------------------------------------------
_REASON_RE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")


def _checked_reasons(extra: Iterable[str]) -> list[str]:
    out = []
    for code in extra:
        if not isinstance(code, str) or not _REASON_RE.fullmatch(code):
            raise InputError(template="not a reason code: {value!r}", code=ErrorCode.INVALID_VALUE,
                             field="extra_reasons", params={"value": code})
        out.append(str(code))
    return out


def decide(
    *,
    ecd_id: str,
    goods: Sequence[GoodsLike],
    excise: ExciseLike,
    cash: Iterable[Any],
    carrying: Any,
    traveller: Traveller,
    arrival_date: dt.date,
    rates: RateTable,
    rules: RuleSet | EcdRules,
    extra_reasons: Iterable[str] = (),
) -> Decision:
    """Lane, reasons, referrals, assessment and excise excess. `carrying` has the ecd/1 carrying flags as
    attributes; `cash` lines have currency, amount, bearer_instrument. Used for the first assessment and
    for a reassessment after inspection (with the officer's goods and excise findings)."""
    return _decide(
        ecd_id, goods, excise, cash, carrying, traveller, arrival_date, rates, as_rules(rules), extra_reasons
    )


def _decide(
    ecd_id: str,
    goods: Sequence[GoodsLike],
    excise: ExciseLike,
    cash: Iterable[Any],
    carrying: Any,
    traveller: Traveller,
    day: dt.date,
    rates: RateTable,
    r: EcdRules,
    extra_reasons: Iterable[str],
) -> Decision:
    assessment = _assess_goods(goods, traveller, day, rates, r)
    excess = _check_excise(excise, traveller, day, r)

    quarantine = prohibited = non_personal = False
    for f in r.quarantine_flags:
        if getattr(carrying, f):
            quarantine = True
    for f in r.prohibited_flags:
        if getattr(carrying, f):
            prohibited = True
    for g in goods:
        if not g.personal_use:
            non_personal = True
        hs = g.hs_code
        if hs:
            if hs.startswith(r.quarantine_hs):
                quarantine = True
            if hs.startswith(r.prohibited_hs):
                prohibited = True
    cash_idr = _cash_idr(cash, day, rates, r) if cash else _ZERO
    cash_over = cash_idr >= r.cash_threshold_idr
    excise_over = excess is not NO_EXCESS

    # Appended in alphabetical order, so both tuples come out sorted without a sort.
    reasons: list[str] = []
    if cash_over:
        reasons.append(LaneReason.CASH_OVER_THRESHOLD)
    if excise_over:
        reasons.append(LaneReason.EXCISE_OVER_ALLOWANCE)
    if non_personal:
        reasons.append(LaneReason.NON_PERSONAL_GOODS)
    if prohibited:
        reasons.append(LaneReason.PROHIBITED_GOODS)
    if quarantine:
        reasons.append(LaneReason.QUARANTINE_GOODS)
    if assessment.taxable_usd:
        reasons.append(LaneReason.VALUE_OVER_ALLOWANCE)
    if extra_reasons:
        reasons = sorted({*reasons, *_checked_reasons(extra_reasons)})
    referrals: list[str] = []
    if cash_over:
        referrals.append(Referral.CASH_DECLARATION)
    if prohibited:
        referrals.append(Referral.ENFORCEMENT)
    if excise_over:
        referrals.append(Referral.EXCISE_DESTRUCTION)
    if non_personal:
        referrals.append(Referral.PIBK)
    if quarantine:
        referrals.append(Referral.QUARANTINE)

    return Decision(ecd_id, r.id, r.sha256, tuple(reasons), tuple(referrals), assessment, excess, cash_idr)


def assess(
    doc: EcdDocument,
    rates: RateTable,
    *,
    ruleset: RuleSet | EcdRules | None = None,
    extra_reasons: Iterable[str] = (),
    rulesets_dir: Path | str | None = None,
    check_window: bool = True,
) -> Decision:
    """Assess one e-CD with the rule set in force on its ARRIVAL date (or `ruleset`, e.g. the one recorded
    when it was first assessed). Refusal OUTSIDE_SUBMISSION_WINDOW when filed outside the window;
    InputError naming the JSON path when a needed NDPBM rate is missing."""
    arrival = doc.arrival
    day = arrival.date
    if ruleset is not None:
        r = as_rules(ruleset)
    else:
        r = _rules_on(day, str(rulesets_dir) if rulesets_dir else None)
    if check_window:
        _check_window(doc.submitted_at, day, arrival.port, r)
    d = doc.declarant
    family = doc.family_members
    births = tuple([d.birth_date] + [m.birth_date for m in family]) if family else (d.birth_date,)
    traveller = Traveller(d.traveller_type, births, d.npwp)
    return _decide(doc.ecd_id, doc.goods, doc.excise, doc.cash, doc.carrying, traveller, day, rates, r,
                   extra_reasons)


__all__ = [
    "ORAL_GROUPS",
    "EcdFigures",
    "EcdRules",
    "ExciseLimits",
    "age_on",
    "allowance_usd",
    "as_rules",
    "assess",
    "assess_goods",
    "born_by",
    "cash_total_idr",
    "check_excise",
    "check_submission_window",
    "compile_rules",
    "decide",
    "goods_total_usd",
    "local_date",
    "oral_declaration_allowed",
    "round_to_unit",
    "rules_in_force",
    "undeclared_cash",
    "undeclared_cash_fine_idr",
]
