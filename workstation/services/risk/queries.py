"""Typed look-ups over a session for the risk service, other workflows and reports. Each is bounded by an
index: risk_profiles (code, version), risk_random_rates (workflow, port), risk_selections (case_id; decided_on,
kind), risk_value_history (kind, hs, origin, currency, accepted), ecd_declarations (passport)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import String, bindparam, case, cast, func, select
from sqlalchemy.orm import Session

from db.models_passenger import EcdDeclaration
from db.models_risk import RiskOutcome, RiskProfileRow, RiskRandomRate, RiskSelection, RiskValueObservation
from workstation.domain.risk import Profile, profile_from_content
from workstation.services.risk.views import ProfileView, RateView


def latest_profile_rows(s: Session) -> list[RiskProfileRow]:
    """The latest version of every profile, by code."""
    latest = (select(RiskProfileRow.code, func.max(RiskProfileRow.version).label("v"))
              .group_by(RiskProfileRow.code).subquery())
    q = (select(RiskProfileRow).join(latest, (RiskProfileRow.code == latest.c.code)
                                     & (RiskProfileRow.version == latest.c.v)).order_by(RiskProfileRow.code))
    return list(s.scalars(q))


def profile_view(row: RiskProfileRow) -> ProfileView:
    c: dict[str, Any] = row.content
    return ProfileView(row.code, row.version, row.workflow, row.name, str(c.get("reason", "")), row.active,
                       row.valid_from, row.valid_to, dict(c.get("conditions") or {}), row.imported_at)


def latest_profiles(s: Session) -> list[tuple[Profile, int]]:
    """(profile, version) for the latest version of every profile (withdrawn ones too: `active` says)."""
    return [(profile_from_content(r.content), r.version) for r in latest_profile_rows(s)]


_STAMP = select(
    select(func.count(RiskProfileRow.id)).scalar_subquery(),
    select(func.max(cast(RiskProfileRow.id, String))).scalar_subquery(),
    select(func.count(RiskRandomRate.id)).scalar_subquery(),
    select(func.max(cast(RiskRandomRate.id, String))).scalar_subquery())


def profiles_stamp(s: Session) -> tuple[Any, ...]:
    """Changes whenever a profile version or a random rate is added (by any process): rows and greatest ids
    (UUIDv7, unique) of both tables, in one query (built once: selection runs it for every declaration)."""
    return tuple(s.connection().execute(_STAMP).one())


def current_rates(s: Session) -> list[RiskRandomRate]:
    """The rate in force for each (workflow, port): the latest row."""
    out: dict[tuple[str, str], RiskRandomRate] = {}
    for r in s.scalars(select(RiskRandomRate).order_by(RiskRandomRate.created_at, RiskRandomRate.id)):
        out[(r.workflow, r.port)] = r
    return sorted(out.values(), key=lambda r: (r.workflow, r.port))


def rate_views(s: Session) -> list[RateView]:
    return [RateView(r.workflow, r.port, Decimal(r.rate), r.created_at, r.id) for r in current_rates(s)]


_D, _R = EcdDeclaration.__table__.c, RiskOutcome.__table__.c
_HISTORY = (select(_D.arrival_date, _R.hit).select_from(EcdDeclaration.__table__.outerjoin(
    RiskOutcome.__table__, _R.case_id == _D.case_id))
    .where(_D.passport == bindparam("passport"), _D.arrival_date < bindparam("before"),
           _D.arrival_date >= bindparam("since")))


def traveller_history(s: Session, passport: str, before: dt.date) -> tuple[tuple[dt.date, ...], int]:
    """Earlier arrivals (dates of e-CDs of `passport` before `before`, latest 10 years) and how many of their
    inspections found something. Index ix_ecd_declarations_passport."""
    rows = s.connection().execute(_HISTORY, {"passport": passport, "before": before,
                                             "since": before - dt.timedelta(days=3660)}).all()
    return tuple(sorted(r[0] for r in rows)), sum(1 for r in rows if r[1])


_O = RiskValueObservation.__table__.c
_VALUE_COUNTS = (select(func.count(), func.sum(case((_O.unit_value < bindparam("value"), 1), else_=0)),
                        func.sum(case((_O.unit_value == bindparam("value"), 1), else_=0)))
                 .where(_O.kind == bindparam("kind"), _O.hs == bindparam("hs"), _O.origin == bindparam("origin"),
                        _O.currency == bindparam("currency"), _O.accepted.is_(True)))


def value_counts(s: Session, kind: str, hs: str, origin: str, currency: str,
                 value: Decimal) -> tuple[int, int, int]:
    """(below, equal, n): how many past accepted unit values of the key are below / equal to `value`, and how
    many there are. Counted in the database over the covering index ix_risk_value_history_key (the statement
    is built once: the value check runs it for every declared line)."""
    row = s.connection().execute(_VALUE_COUNTS, {"kind": kind, "hs": hs, "origin": origin, "currency": currency,
                                                 "value": value}).one()
    return int(row[1] or 0), int(row[2] or 0), int(row[0] or 0)


def selection_of(s: Session, case_id: uuid.UUID) -> RiskSelection | None:
    """The stored risk selection of a case (None when it was assessed without one)."""
    return s.get(RiskSelection, case_id)
