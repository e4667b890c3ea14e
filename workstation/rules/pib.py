"""PIB red lane (DOMAIN.md §2): levies, the examiner's determination, the SPTNP fine, the outcome, and the
deadlines the workflow tracks. Pure functions; every figure comes from the `pib` rule set.

Levies (PMK 190/2022 art. 22), per item i with NDPBM rupiah per currency unit:
    customs value  cv_i  = cif_i x NDPBM                     (JPY: NDPBM is per 100 yen)
    import duty    bm_i  = cv_i x bm_rate_i + quantity_i x specific_i
    import value   iv_i  = cv_i + bm_i + excise_i            (unrounded BM)
    PPN/PPnBM/PPh  t_i   = iv_i x rate_i
then each levy is summed over the items and rounded once, as the rule set says (BM and excise up to the
thousand, the taxes down to the rupiah). Item figures stay exact (Decimal with Inexact trapped) so the
rounding happens in one place only."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from decimal import (
    Clamped,
    Context,
    Decimal,
    DivisionByZero,
    FloatOperation,
    Inexact,
    InvalidOperation,
    Overflow,
    Rounded,
    Subnormal,
    Underflow,
    localcontext,
)
from fractions import Fraction
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, model_validator
from pydantic_core import PydanticCustomError

from workstation.domain.pib import (
    Determination,
    ItemLevies,
    Levies,
    LevyBreakdown,
    Outcome,
    PibAssessment,
    PibDocument,
    PibItem,
)
from workstation.errors import InputError
from workstation.rules.rates import quote_units
from workstation.rules.ruleset import RuleSet, ruleset_for

KIND = "pib"
M = TypeVar("M", bound=BaseModel)
_HUNDRED = Decimal(100)


_SIGNALS = (Clamped, DivisionByZero, FloatOperation, Inexact, InvalidOperation, Overflow, Rounded, Subnormal,
            Underflow)
_TRAPPED = (InvalidOperation, DivisionByZero, Overflow, Inexact)


def exact_decimal() -> AbstractContextManager[Context]:
    """Decimal context for money arithmetic: wide enough for any valid input (each input has at most 24
    significant digits, a levy multiplies at most four), and any implicit rounding raises Inexact, so
    the only rounding is the rule set's. Only the four signals above trap (every other one is off)."""
    return localcontext(prec=200, traps={s: s in _TRAPPED for s in _SIGNALS})


# --------------------------------------------------------------------------------------------------
# Rule-set figures
# --------------------------------------------------------------------------------------------------


def _rule_decimal(value: Any) -> Decimal:
    """Rule-set number: TOML integer or decimal string. A TOML float is refused (binary fractions)."""
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise PydanticCustomError("rule_decimal", "must be an integer or a decimal string, not a TOML float")
    try:
        d = Decimal(value)
    except ArithmeticError:
        raise PydanticCustomError("rule_decimal", "not a decimal: {value}", {"value": value}) from None
    if not d.is_finite() or d < 0:
        raise PydanticCustomError("rule_decimal", "must be a non-negative number")
    return d


RuleDecimal = Annotated[Decimal, PlainValidator(_rule_decimal)]
"""A rule-set figure: integer or decimal string in TOML, never a float."""


class RuleModel(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Rounding(RuleModel):
    unit: Annotated[int, Field(ge=1)]
    mode: Literal["up", "down", "half_up"]

    def apply(self, value: Decimal) -> int:
        """Round a non-negative rupiah amount to a whole multiple of `unit` (exact, via Fraction)."""
        q = Fraction(value) / self.unit
        if self.mode == "up":
            n = math.ceil(q)
        elif self.mode == "down":
            n = math.floor(q)
        else:
            n = math.floor(q + Fraction(1, 2))
        return n * self.unit


class RoundingRules(RuleModel):
    customs_value: Rounding
    bm: Rounding
    excise: Rounding
    ppn: Rounding
    ppnbm: Rounding
    pph: Rounding
    fine: Rounding
    late_payment_fine: Rounding


class FineTier(RuleModel):
    up_to_pct: RuleDecimal
    fine_pct: RuleDecimal


class FineRules(RuleModel):
    tiers: Annotated[list[FineTier], Field(min_length=1)]
    above_fine_pct: RuleDecimal
    nothing_declared_fine_pct: RuleDecimal

    @model_validator(mode="after")
    def _ascending(self) -> FineRules:
        bounds = [t.up_to_pct for t in self.tiers]
        if bounds != sorted(set(bounds)):
            raise PydanticCustomError("tiers", "tiers must have strictly ascending up_to_pct")
        return self


class Deadlines(RuleModel):
    determination_days: Annotated[int, Field(ge=1)]
    sptnp_payment_days: Annotated[int, Field(ge=1)]
    objection_days: Annotated[int, Field(ge=1)]
    npd_answer_working_days: Annotated[int, Field(ge=1)]
    weekend: list[Annotated[int, Field(ge=1, le=7)]]
    holidays: list[dt.date]


class Sanctions(RuleModel):
    late_payment_fine_pct: RuleDecimal
    release_without_sppb_fine_idr: Annotated[int, Field(ge=0)]


class Storage(RuleModel):
    tps_max_days: Annotated[int, Field(ge=1)]


class Inspection(RuleModel):
    levels_pct: list[Annotated[int, Field(ge=1, le=100)]]


class Tariff(RuleModel):
    post_lengths: Annotated[list[Annotated[int, Field(ge=6, le=12)]], Field(min_length=1)]


class PibRules(RuleModel):
    """The figures of a `pib` rule set (rulesets/pib/*.toml). Every section is required: a missing key is an
    error of the rule set, never a figure from the code."""

    inspection: Inspection
    tariff: Tariff
    rounding: RoundingRules
    fine: FineRules
    deadlines: Deadlines
    sanctions: Sanctions
    storage: Storage


_parsed: dict[tuple[str, str, type[BaseModel]], BaseModel] = {}


def parsed_figures(ruleset: RuleSet, kind: str, model: type[M]) -> M:
    """A rule set's figures validated by `model`, once per file content. Refuses a rule set of another kind."""
    if ruleset.kind != kind:
        raise InputError(f"rule set {ruleset.id} is of kind {ruleset.kind!r}, not {kind!r}", field="ruleset")
    key = (ruleset.id, ruleset.sha256, model)
    if key not in _parsed:
        _parsed[key] = ruleset.parse(model)
    return _parsed[key]  # type: ignore[return-value]


def pib_rules(ruleset: RuleSet) -> PibRules:
    """Validated figures of a `pib` rule set."""
    return parsed_figures(ruleset, KIND, PibRules)


def _ruleset(ruleset: RuleSet | None, day: dt.date) -> RuleSet:
    return ruleset if ruleset is not None else ruleset_for(KIND, day)


# --------------------------------------------------------------------------------------------------
# Levies
# --------------------------------------------------------------------------------------------------


def idr_per_unit(ndpbm: Decimal, currency: str, *, ruleset: RuleSet) -> Decimal:
    """Rupiah per one unit of `currency` from the NDPBM as quoted (JPY per 100 yen: the rates format says how
    many units a quote is for, in one place — workstation.rules.rates.quote_units). `ruleset` is kept for the
    callers' signature; the quote unit is not a rule-set figure."""
    return ndpbm / quote_units(currency)


def item_levies(item: PibItem, idr_per_unit: Decimal) -> ItemLevies:
    """One item's exact, unrounded levies (no rule-set figure is needed before rounding)."""
    with exact_decimal():
        cv = item.cif * idr_per_unit
        bm = cv * item.bm_rate / _HUNDRED
        if item.bm_specific_idr is not None:
            bm += item.quantity * item.bm_specific_idr
        excise = Decimal(item.excise_idr)
        iv = cv + bm + excise
        return ItemLevies(
            seq=item.seq,
            hs_code=item.hs_code,
            customs_value=cv,
            bm=bm,
            excise=excise,
            import_value=iv,
            ppn=iv * item.ppn_rate / _HUNDRED,
            ppnbm=iv * item.ppnbm_rate / _HUNDRED,
            pph=iv * item.pph_rate / _HUNDRED,
        )


def compute_levies(
    items: Sequence[PibItem], *, ndpbm: Decimal, currency: str, ruleset: RuleSet
) -> LevyBreakdown:
    """Per-item breakdown and the PIB's rounded levies (the examiner's screen uses both)."""
    rules = pib_rules(ruleset)
    rate = idr_per_unit(ndpbm, currency, ruleset=ruleset)
    rows = tuple(item_levies(i, rate) for i in items)

    def total(attr: str) -> Decimal:
        with exact_decimal():
            return sum((getattr(r, attr) for r in rows), Decimal(0))

    r = rules.rounding
    bm = r.bm.apply(total("bm"))
    excise = r.excise.apply(total("excise"))
    ppn = r.ppn.apply(total("ppn"))
    ppnbm = r.ppnbm.apply(total("ppnbm"))
    pph = r.pph.apply(total("pph"))
    totals = Levies(
        customs_value_idr=r.customs_value.apply(total("customs_value")),
        bm_idr=bm,
        ppn_idr=ppn,
        ppnbm_idr=ppnbm,
        pph_idr=pph,
        excise_idr=excise,
        total_idr=bm + ppn + ppnbm + pph + excise,
    )
    return LevyBreakdown(items=rows, totals=totals)


def apply_determination(items: Sequence[PibItem], determination: Determination | None) -> tuple[PibItem, ...]:
    """Declared items with the examiner's determined fields laid over them, matched by seq; items the
    determination does not mention keep their declared values."""
    if determination is None:
        return tuple(items)
    by_seq = {d.seq: d.overrides() for d in determination.items}
    return tuple(i.model_copy(update=by_seq[i.seq]) if i.seq in by_seq else i for i in items)


# --------------------------------------------------------------------------------------------------
# SPTNP fine and outcome
# --------------------------------------------------------------------------------------------------


def fine_rate_pct(shortfall_idr: int, declared_bm_idr: int, *, ruleset: RuleSet) -> Decimal:
    """PP 39/2019 art. 6 tier for a BM shortfall, as a percentage of the shortfall (0 without shortfall)."""
    if shortfall_idr < 0 or declared_bm_idr < 0:
        raise ValueError("shortfall and declared BM are non-negative")
    fine = pib_rules(ruleset).fine
    if shortfall_idr == 0:
        return Decimal(0)
    if declared_bm_idr == 0:
        return fine.nothing_declared_fine_pct
    with exact_decimal():
        # share <= bound  <=>  shortfall x 100 <= bound x declared  (exact, no division)
        for tier in fine.tiers:
            if shortfall_idr * _HUNDRED <= tier.up_to_pct * declared_bm_idr:
                return tier.fine_pct
    return fine.above_fine_pct


def sptnp_fine_idr(shortfall_idr: int, declared_bm_idr: int, *, ruleset: RuleSet) -> tuple[Decimal, int]:
    """(tier rate in percent, fine in rupiah) on a BM shortfall."""
    rate = fine_rate_pct(shortfall_idr, declared_bm_idr, ruleset=ruleset)
    with exact_decimal():
        amount = Decimal(shortfall_idr) * rate / _HUNDRED
    return rate, pib_rules(ruleset).rounding.fine.apply(amount)


def decide_outcome(declared_total_idr: int, determined_total_idr: int | None, *, lartas_missing: bool) -> Outcome:
    """SPBL when a lartas permit is missing; else by the determined total against the declared one."""
    if lartas_missing:
        return Outcome.SPBL
    if determined_total_idr is None or determined_total_idr == declared_total_idr:
        return Outcome.SPPB
    if determined_total_idr > declared_total_idr:
        return Outcome.SPTNP
    return Outcome.SPTNP_SPPB


def assess_pib(doc: PibDocument, *, ruleset: RuleSet | None = None) -> PibAssessment:
    """Declared and (if present) determined levies, the BM shortfall, its fine and the outcome.

    The rule set defaults to the one in force on the arrival date: pib/1 carries no registration date.
    The workflow, which knows the registration date, passes `ruleset=` chosen on that date."""
    rs = _ruleset(ruleset, doc.arrival_date)

    def breakdown(items: Sequence[PibItem]) -> LevyBreakdown:
        return compute_levies(items, ndpbm=doc.ndpbm, currency=doc.currency, ruleset=rs)

    declared = breakdown(doc.items)
    determined = None
    effective: Sequence[PibItem] = doc.items
    if doc.determination is not None:
        effective = apply_determination(doc.items, doc.determination)
        determined = breakdown(effective)

    missing = tuple(i.seq for i in effective if i.lartas_missing)
    if determined is None:
        difference = Levies.zero()
        shortfall = 0
    else:
        difference = determined.totals.minus(declared.totals)
        shortfall = max(0, difference.bm_idr)
    rate, fine = sptnp_fine_idr(shortfall, declared.totals.bm_idr, ruleset=rs)
    outcome = decide_outcome(
        declared.totals.total_idr,
        None if determined is None else determined.totals.total_idr,
        lartas_missing=bool(missing),
    )
    return PibAssessment(
        aju=doc.aju,
        ruleset=rs.id,
        declared=declared,
        determined=determined,
        difference=difference,
        bm_shortfall_idr=shortfall,
        fine_idr=fine,
        fine_rate_pct=rate,
        outcome=outcome,
        lartas_missing=missing,
    )


# --------------------------------------------------------------------------------------------------
# Deadlines and sanctions the workflow needs
# --------------------------------------------------------------------------------------------------


def add_working_days(
    start: dt.date, days: int, *, weekend: Iterable[int], holidays: Iterable[dt.date] = ()
) -> dt.date:
    """The date `days` working days after `start` (the start day itself is not counted)."""
    off_days = set(weekend)
    off_dates = set(holidays)
    if len(off_days) >= 7:
        raise ValueError("every weekday is a weekend day")
    day = start
    left = days
    while left > 0:
        day += dt.timedelta(days=1)
        if day.isoweekday() not in off_days and day not in off_dates:
            left -= 1
    return day


def determination_due(registered: dt.date, *, ruleset: RuleSet | None = None) -> dt.date:
    """Last day for SPPB/SPTNP/SPBL: N calendar days from PIB registration (the SLA)."""
    rules = pib_rules(_ruleset(ruleset, registered))
    return registered + dt.timedelta(days=rules.deadlines.determination_days)


def sptnp_payment_due(sptnp_date: dt.date, *, ruleset: RuleSet | None = None) -> dt.date:
    rules = pib_rules(_ruleset(ruleset, sptnp_date))
    return sptnp_date + dt.timedelta(days=rules.deadlines.sptnp_payment_days)


def objection_due(sptnp_date: dt.date, *, ruleset: RuleSet | None = None) -> dt.date:
    """Last day to lodge a keberatan against the determination."""
    rules = pib_rules(_ruleset(ruleset, sptnp_date))
    return sptnp_date + dt.timedelta(days=rules.deadlines.objection_days)


def npd_answer_due(
    requested: dt.date, *, ruleset: RuleSet | None = None, holidays: Iterable[dt.date] = ()
) -> dt.date:
    """Answer to an NPD/DNP: N working days after the request; weekends and the rule set's holidays are
    skipped, plus any `holidays` the caller knows (e.g. a local office closure)."""
    d = pib_rules(_ruleset(ruleset, requested)).deadlines
    return add_working_days(
        requested, d.npd_answer_working_days, weekend=d.weekend, holidays=[*d.holidays, *holidays]
    )


def late_payment_fine_idr(duty_due_idr: int, *, ruleset: RuleSet) -> int:
    """Duties not paid in time: a percentage of the duty due."""
    if duty_due_idr < 0:
        raise ValueError("duty due is non-negative")
    rules = pib_rules(ruleset)
    with exact_decimal():
        amount = Decimal(duty_due_idr) * rules.sanctions.late_payment_fine_pct / _HUNDRED
    return rules.rounding.late_payment_fine.apply(amount)


def release_without_sppb_fine_idr(*, ruleset: RuleSet) -> int:
    return pib_rules(ruleset).sanctions.release_without_sppb_fine_idr


def tps_storage_deadline(first_storage: dt.date, *, ruleset: RuleSet | None = None) -> dt.date:
    """Last day goods may lie in a TPS (counted from first storage, also across a PLP move)."""
    rules = pib_rules(_ruleset(ruleset, first_storage))
    return first_storage + dt.timedelta(days=rules.storage.tps_max_days)


def is_uncleared_goods(first_storage: dt.date, on: dt.date, *, ruleset: RuleSet | None = None) -> bool:
    """True once goods without SPPB have passed the TPS limit and become BTD (to be moved to a TPP)."""
    return on > tps_storage_deadline(first_storage, ruleset=ruleset)
