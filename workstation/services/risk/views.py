"""What the risk service hands out: typed, frozen views (screens and commands read these, never rows)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from workstation.domain.codes import LaneReason
from workstation.domain.risk import VALUE_OUTLIER, shown_reasons
from workstation.rules.risk import HitRate, ProfileRef


@dataclass(frozen=True)
class ValueFlag:
    """A declared unit value outside the usual range: goods line `line` (1-based), its HS sub-heading, origin,
    currency, the unit value, its percentile among `history` past accepted values."""

    line: int
    hs: str
    origin: str
    currency: str
    unit_value: Decimal
    percentile: Decimal
    history: int

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "hs": self.hs, "origin": self.origin, "currency": self.currency,
                "unit_value": format(self.unit_value, "f"), "percentile": format(self.percentile, "f"),
                "history": self.history}

    def text(self) -> str:
        return (f"{VALUE_OUTLIER} line {self.line} HS {self.hs}: {format(self.unit_value, 'f')} {self.currency}"
                f"/unit at percentile {self.percentile} of {self.history}")


@dataclass(frozen=True)
class Observation:
    """A declared unit value to keep for later value checks (recorded with the selection)."""

    hs: str
    origin: str
    currency: str
    unit_value: Decimal


@dataclass(frozen=True)
class RiskSelection:
    """The risk decision on one declaration (select_for_ecd / select_for_pib): the profiles that matched
    (code, version, name, reason), the random draw (rate row, rate, draw as 16 hex digits, selected or not),
    the value-check flags. `reasons`: the true lane reasons (recorded, supervisors see them);
    `shown_reasons`: what the officer sees before inspecting (random shown as RISK_PROFILE); `flags`: case
    flags (VALUE_OUTLIER)."""

    workflow: str
    reference: str
    decided_on: dt.date
    port: str
    profiles: tuple[ProfileRef, ...] = ()
    random: bool = False
    rate_id: uuid.UUID | None = None
    rate: Decimal | None = None
    draw: str | None = None
    value_flags: tuple[ValueFlag, ...] = ()
    observations: tuple[Observation, ...] = field(default=(), repr=False)

    @property
    def reasons(self) -> tuple[str, ...]:
        out = []
        if self.profiles:
            out.append(LaneReason.RISK_PROFILE.value)
        if self.random:
            out.append(LaneReason.RANDOM_SELECTION.value)
        return tuple(sorted(out))

    @property
    def shown_reasons(self) -> tuple[str, ...]:
        return shown_reasons(self.reasons)

    @property
    def flags(self) -> tuple[str, ...]:
        return (VALUE_OUTLIER,) if self.value_flags else ()

    @property
    def red(self) -> bool:
        return bool(self.reasons)

    def to_record(self) -> dict[str, Any]:
        """For the audit entry of the decision (no seed: the rate row names it)."""
        return {"profiles": [{"code": p.code, "version": p.version} for p in self.profiles],
                "random": self.random, "rate_id": str(self.rate_id) if self.rate_id else None,
                "rate": format(self.rate, "f") if self.rate is not None else None, "draw": self.draw,
                "reasons": list(self.reasons), "value_flags": [f.to_json() for f in self.value_flags]}


@dataclass(frozen=True)
class ProfileView:
    code: str
    version: int
    workflow: str
    name: str
    reason: str
    active: bool
    valid_from: dt.date
    valid_to: dt.date | None
    conditions: dict[str, Any]
    imported_at: dt.datetime

    def in_force(self, day: dt.date) -> bool:
        return self.active and self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class RateView:
    workflow: str
    port: str
    rate: Decimal
    created_at: dt.datetime
    id: uuid.UUID


@dataclass(frozen=True)
class ImportSummary:
    """`risk import`: profiles added (new codes), changed (new versions), unchanged; random rates set."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    unchanged: tuple[str, ...]
    rates_set: tuple[str, ...]


@dataclass(frozen=True)
class OutcomeView:
    case_id: uuid.UUID
    kind: str
    outcomes: tuple[str, ...]
    hit: bool
    duties_idr: int
    source: str
    version: int


@dataclass(frozen=True)
class ReportRow:
    """One group of the hit-rate report: `group` is profile | rule | random | all; `key` the profile code,
    rule reason code, or "RANDOM"/"ALL"; `lift` the hit rate over the random baseline's."""

    group: str
    key: str
    name: str
    figures: HitRate
    lift: Decimal | None

    def to_json(self) -> dict[str, Any]:
        f = self.figures

        def dec(v: Decimal | None) -> str | None:
            return format(v, "f") if v is not None else None

        return {"group": self.group, "key": self.key, "name": self.name, "selections": f.selections,
                "inspected": f.inspected, "hits": f.hits, "hit_rate": dec(f.rate), "ci_low": dec(f.ci_low),
                "ci_high": dec(f.ci_high), "duties_idr": f.duties_idr, "lift": dec(self.lift)}


@dataclass(frozen=True)
class WeekPoint:
    """Hit rates in one week (Monday `week`) for targeted (profiles), random and rule selections."""

    week: dt.date
    targeted: HitRate
    random: HitRate
    rules: HitRate


@dataclass(frozen=True)
class RiskReport:
    date_from: dt.date
    date_to: dt.date
    rows: tuple[ReportRow, ...]
    weeks: tuple[WeekPoint, ...]

    @property
    def baseline(self) -> ReportRow | None:
        return next((r for r in self.rows if r.group == "random"), None)

    def to_json(self) -> dict[str, Any]:
        def point(h: HitRate) -> dict[str, Any]:
            return {"inspected": h.inspected, "hits": h.hits,
                    "hit_rate": format(h.rate, "f") if h.rate is not None else None}

        return {"from": self.date_from.isoformat(), "to": self.date_to.isoformat(),
                "rows": [r.to_json() for r in self.rows],
                "weeks": [{"week": w.week.isoformat(), "targeted": point(w.targeted), "random": point(w.random),
                           "rules": point(w.rules)} for w in self.weeks]}


@dataclass(frozen=True)
class Mismatch:
    """Pre-arrival data not matched on arrival: kind (MismatchKind), the day, and what is missing."""

    kind: str
    arrival_date: dt.date
    key: str  # passport, or B/L number
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "arrival_date": self.arrival_date.isoformat(), "key": self.key,
                "detail": self.detail}


@dataclass(frozen=True)
class PrearrivalImport:
    kind: str  # PASSENGER | PREDECLARATION
    added: int
    unchanged: int


@dataclass(frozen=True)
class CaseRisk:
    """The risk record of one case as the asking user may see it: supervisors get the true reasons and the
    profiles (code, version, name, reason) and the draw; others the reasons shown to officers
    (RANDOM_SELECTION as RISK_PROFILE) and no profile (issue #16 item 2). Value flags for everyone (the
    examiner sees them as reasons)."""

    case_id: uuid.UUID
    reasons: tuple[str, ...]
    profiles: tuple[ProfileRef, ...]
    random: bool | None  # None: not disclosed
    draw: str | None
    value_flags: tuple[dict[str, Any], ...]
    outcome: OutcomeView | None
