"""Typed look-ups over a session for the risk service, other workflows and reports. Each is bounded by an
index: risk_profiles (code, version), risk_random_rates (workflow, port), risk_selections (case_id; decided_on,
kind), risk_value_history (kind, hs, origin, currency, accepted), ecd_declarations (passport)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models_passenger import EcdDeclaration
from db.models_risk import RiskOutcome, RiskProfileRow, RiskRandomRate, RiskSelection, RiskValueObservation
from workstation.domain.risk import Profile, profile_from_content
from workstation.services.risk.views import ProfileView, RateView

HISTORY_LIMIT = 2000  # past unit values read for one value check (the most recent)


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


def profiles_stamp(s: Session) -> tuple[Any, ...]:
    """Changes whenever a profile version is added (by any process): (rows, latest import time)."""
    return tuple(s.execute(select(func.count(RiskProfileRow.id), func.max(RiskProfileRow.imported_at))).one())


def current_rates(s: Session) -> list[RiskRandomRate]:
    """The rate in force for each (workflow, port): the latest row."""
    out: dict[tuple[str, str], RiskRandomRate] = {}
    for r in s.scalars(select(RiskRandomRate).order_by(RiskRandomRate.created_at, RiskRandomRate.id)):
        out[(r.workflow, r.port)] = r
    return sorted(out.values(), key=lambda r: (r.workflow, r.port))


def rate_views(s: Session) -> list[RateView]:
    return [RateView(r.workflow, r.port, Decimal(r.rate), r.created_at, r.id) for r in current_rates(s)]


def traveller_history(s: Session, passport: str, before: dt.date) -> tuple[tuple[dt.date, ...], int]:
    """Earlier arrivals (dates of e-CDs of `passport` before `before`, latest 10 years) and how many of their
    inspections found something."""
    since = before - dt.timedelta(days=3660)
    rows = s.execute(select(EcdDeclaration.arrival_date, RiskOutcome.hit)
                     .outerjoin(RiskOutcome, RiskOutcome.case_id == EcdDeclaration.case_id)
                     .where(EcdDeclaration.passport == passport, EcdDeclaration.arrival_date < before,
                            EcdDeclaration.arrival_date >= since)).all()
    return tuple(sorted(r[0] for r in rows)), sum(1 for r in rows if r[1])


def value_history(s: Session, kind: str, hs: str, origin: str, currency: str) -> list[Decimal]:
    """Past accepted unit values for the key, the most recent HISTORY_LIMIT."""
    q = (select(RiskValueObservation.unit_value)
         .where(RiskValueObservation.kind == kind, RiskValueObservation.hs == hs,
                RiskValueObservation.origin == origin, RiskValueObservation.currency == currency,
                RiskValueObservation.accepted.is_(True))
         .order_by(RiskValueObservation.observed_on.desc()).limit(HISTORY_LIMIT))
    return [Decimal(v) for v in s.scalars(q)]


def selection_of(s: Session, case_id: uuid.UUID) -> RiskSelection | None:
    """The stored risk selection of a case (None when it was assessed without one)."""
    return s.get(RiskSelection, case_id)
