"""Risk management (issue #16): targeting profiles (versioned: a new row per changed import, like rule sets),
random-selection rates with their seeds, the selection recorded for each case assessed, the outcome of each
red-lane inspection, the unit values the value check compares with, and imported pre-arrival records."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    Uuid,
)
from sqlalchemy import UniqueConstraint as Unique
from sqlalchemy.orm import Mapped, mapped_column

from db.models import Base, uuid7


class RiskProfileRow(Base):
    """One version of a targeting profile (workstation.domain.risk.Profile). `content` is the profile's JSON
    and `sha256` its canonical hash: an import that changes nothing adds no version."""

    __tablename__ = "risk_profiles"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    workflow: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(512))
    active: Mapped[bool] = mapped_column(Boolean)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(200), default="")
    imported_at: Mapped[dt.datetime]
    imported_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    __table_args__ = (Unique("code", "version"),)


class RiskRandomRate(Base):
    """A random-selection rate for a workflow and port ("*": any port) from `valid_from` (the latest row wins)
    with the secret seed every draw under it is computed from (hex, 32 bytes)."""

    __tablename__ = "risk_random_rates"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    workflow: Mapped[str] = mapped_column(String(8))
    port: Mapped[str] = mapped_column(String(5))
    rate: Mapped[Decimal] = mapped_column(Numeric(9, 6))
    seed: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    __table_args__ = (Index("ix_risk_random_rates_lookup", "workflow", "port"),)


class RiskSelection(Base):
    """The risk decision on one case at assessment: the profiles that matched (code + version), whether the
    random draw selected it (with the rate row and the draw, 16 hex digits, to recompute it), the value-check
    flags, and the true reasons (RISK_PROFILE / RANDOM_SELECTION)."""

    __tablename__ = "risk_selections"
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    reference: Mapped[str] = mapped_column(String(64))
    decided_on: Mapped[dt.date] = mapped_column(Date)
    port: Mapped[str] = mapped_column(String(5))
    profiles: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{"code", "version"}]
    random: Mapped[bool] = mapped_column(Boolean)
    rate_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("risk_random_rates.id"))
    draw: Mapped[str | None] = mapped_column(String(16))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    value_flags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    recorded_at: Mapped[dt.datetime]

    __table_args__ = (Index("ix_risk_selections_decided", "decided_on", "kind"),)


class RiskOutcome(Base):
    """What the red-lane inspection of a case found (workstation.domain.risk.Outcome values) and the duties
    it recovered (rupiah). One row per case; a correction bumps `version` (each change is audited)."""

    __tablename__ = "risk_outcomes"
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    outcomes: Mapped[list[str]] = mapped_column(JSON, default=list)
    hit: Mapped[bool] = mapped_column(Boolean)
    duties_idr: Mapped[int] = mapped_column(BigInteger, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(10))  # officer | findings
    version: Mapped[int] = mapped_column(Integer, default=1)
    recorded_at: Mapped[dt.datetime]
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class RiskValueObservation(Base):
    """A declared unit value (per unit of the line, in its currency) for the value check. `accepted` turns
    false when the inspection found the value misdeclared."""

    __tablename__ = "risk_value_history"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    hs: Mapped[str] = mapped_column(String(10))
    origin: Mapped[str] = mapped_column(String(5))
    currency: Mapped[str] = mapped_column(String(3))
    unit_value: Mapped[Decimal] = mapped_column(Numeric(24, 6))
    observed_on: Mapped[dt.date] = mapped_column(Date)
    accepted: Mapped[bool] = mapped_column(Boolean, default=True)

    # covering: the value check counts values below / equal to the declared one without reading the table
    __table_args__ = (Index("ix_risk_value_history_key", "kind", "hs", "origin", "currency", "accepted",
                            "unit_value"),)


class RiskPrearrival(Base):
    """An imported pre-arrival record: a passenger of an advance passenger list (PASSENGER) or a partner
    customs' pre-declaration (PREDECLARATION). `natural_key` makes re-imports idempotent."""

    __tablename__ = "risk_prearrival"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    kind: Mapped[str] = mapped_column(String(16))
    natural_key: Mapped[str] = mapped_column(String(200))
    arrival_date: Mapped[dt.date] = mapped_column(Date)
    port: Mapped[str] = mapped_column(String(5), default="")
    flight: Mapped[str] = mapped_column(String(20), default="")
    passport: Mapped[str] = mapped_column(String(100), default="")
    name: Mapped[str] = mapped_column(String(500), default="")
    nationality: Mapped[str] = mapped_column(String(3), default="")
    importer_npwp: Mapped[str] = mapped_column(String(16), default="")
    bl_number: Mapped[str] = mapped_column(String(35), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source: Mapped[str] = mapped_column(String(200), default="")
    imported_at: Mapped[dt.datetime]
    imported_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    __table_args__ = (Unique("kind", "natural_key"), Index("ix_risk_prearrival_day", "kind", "arrival_date"))
