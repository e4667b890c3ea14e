"""Typed look-ups over the passenger e-CD tables for the daily report: cases opened per lane, and duties billed
and paid per levy on one business day.

Each function takes an open `Session` and plain values (the day, or its UTC bounds `start` <= t < `end`), reads
with `select`s bounded by an index (migration 0005) and sums in SQL; it returns frozen dataclasses. The e-CD has
no SLA of its own (the counter decides while the passenger waits), so it reports no breaches."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, cast, func, select
from sqlalchemy.orm import Session

from db.models import Case
from db.models_passenger import EcdBilling, EcdPayment
from workstation.domain.codes import CaseKind

KIND = CaseKind.ECD.value
# The levies of a billing row's `levies` JSON (workstation.domain.ecd Assessment.levies), in report order, with
# the label the report prints: the same labels as the PIB's, so the report adds them up per levy.
LEVY_KEYS = (("BM", "import_duty_idr"), ("PPN", "vat_idr"), ("PPnBM", "luxury_tax_idr"), ("PPh", "income_tax_idr"))


@dataclass(frozen=True)
class LaneCount:
    lane: str | None  # green | red; None before the first decision
    count: int


@dataclass(frozen=True)
class LevyAmount:
    """One levy of the e-CD billings: rupiah billed on the day and paid on the day."""

    billing: str  # "ECD"
    levy: str
    billed_idr: int
    paid_idr: int


def opened(s: Session, day: dt.date) -> tuple[LaneCount, ...]:
    """e-CD cases opened on `day` (business date, office zone) per lane, counted on ix_cases_opened
    (opened_on, kind, lane: the index alone answers)."""
    rows = s.execute(select(Case.lane, func.count()).where(Case.opened_on == day, Case.kind == KIND)
                     .group_by(Case.lane)).all()
    return tuple(LaneCount(lane, int(n)) for lane, n in sorted(rows, key=lambda r: r[0] or ""))


def _sums(table: type[EcdBilling]) -> list[Any]:
    return [func.sum(cast(table.levies[key].as_string(), BigInteger)) for _, key in LEVY_KEYS]


def duties(s: Session, start: dt.datetime, end: dt.datetime) -> tuple[LevyAmount, ...]:
    """Rupiah per levy billed in [start, end) (ix_ecd_billings_issued_at) and paid in [start, end)
    (ix_ecd_payments_paid_at, each payment with the levies of the billing it settles: the service accepts
    only the billing's full amount). `start`/`end` are UTC-aware. Levies zero both ways are left out."""
    billed = s.execute(select(*_sums(EcdBilling)).where(EcdBilling.issued_at >= start, EcdBilling.issued_at < end)
                       ).one()
    paid = s.execute(select(*_sums(EcdBilling)).select_from(EcdPayment)
                     .join(EcdBilling, EcdBilling.id == EcdPayment.billing_id)
                     .where(EcdPayment.paid_at >= start, EcdPayment.paid_at < end)).one()
    out = []
    for i, (levy, _) in enumerate(LEVY_KEYS):
        b, p = int(billed[i] or 0), int(paid[i] or 0)
        if b or p:
            out.append(LevyAmount(KIND, levy, b, p))
    return tuple(out)
