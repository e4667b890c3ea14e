"""Passenger e-CD at the counter (DOMAIN.md §1): the stored declarations (one per case, keyed by ecd_id), every
decision made on them (append-only: first decision, diversion, clearance, reassessment), the officer's
findings (append-only: an amendment is a new row that supersedes the old one), referrals and destruction with
their minutes, billings and payments.

Indexes carry the counter's three lookups at a million rows: ecd_id (unique), passport, and flight on an
arrival date (bench/ecd.py proves them)."""

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
from sqlalchemy.orm import Mapped, mapped_column

from db.models import Base, uuid7


class EcdDeclaration(Base):
    """One e-CD as received (imported pre-arrival, scanned offline, or recorded orally by the officer)."""

    __tablename__ = "ecd_declarations"
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    ecd_id: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(8))  # import | scan | oral
    submitted_at: Mapped[dt.datetime]
    arrival_date: Mapped[dt.date] = mapped_column(Date)
    port: Mapped[str] = mapped_column(String(5))
    flight: Mapped[str] = mapped_column(String(100), default="")  # "" when the e-CD names none
    name: Mapped[str] = mapped_column(String(500))
    passport: Mapped[str] = mapped_column(String(100))
    nationality: Mapped[str] = mapped_column(String(3))
    traveller_type: Mapped[str] = mapped_column(String(16))
    persons: Mapped[int] = mapped_column(Integer)
    oral_group: Mapped[str | None] = mapped_column(String(16))  # over_60 | disabled | hajj_regular | vvip
    document_json: Mapped[str] = mapped_column(Text)  # canonical ecd/1 JSON
    document_sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[dt.datetime]
    received_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    __table_args__ = (
        Index("ix_ecd_declarations_passport", "passport"),
        Index("ix_ecd_declarations_flight", "arrival_date", "flight"),
    )


class EcdDecisionRow(Base):
    """A decision on the e-CD (append-only). kind: INITIAL | DIVERSION | CLEARANCE | REASSESSMENT. `record` is
    workstation.domain.ecd.Decision.to_record() (the contract JSON plus rule-set hash and cash total)."""

    __tablename__ = "ecd_decisions"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    lane: Mapped[str] = mapped_column(String(8))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    referrals: Mapped[list[str]] = mapped_column(JSON, default=list)
    ruleset: Mapped[str] = mapped_column(String(40))
    ruleset_sha256: Mapped[str] = mapped_column(String(64))
    total_idr: Mapped[int] = mapped_column(BigInteger)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(String(500))
    decided_at: Mapped[dt.datetime]
    decided_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    confirmed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # dual authorisation (clearance)

    __table_args__ = (Index("ix_ecd_decisions_case", "case_id", "seq", unique=True),)


class EcdFinding(Base):
    """What the officer found for one item at the red-lane inspection (append-only). item_no = the declared
    goods line number (1-based) or a new number for undeclared goods; the latest row per item counts."""

    __tablename__ = "ecd_findings"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    item_no: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))  # FOUND | NOT_FOUND | UNDECLARED
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal] = mapped_column(Numeric(24, 6))
    unit: Mapped[str] = mapped_column(String(20))
    hs_code: Mapped[str | None] = mapped_column(String(10))
    value: Mapped[Decimal] = mapped_column(Numeric(24, 6))
    currency: Mapped[str] = mapped_column(String(3))
    personal_use: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(String(500))
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    recorded_at: Mapped[dt.datetime]
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class EcdExciseCount(Base):
    """The officer's count of tobacco and alcohol carried (append-only; the latest counts)."""

    __tablename__ = "ecd_excise_counts"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    cigarettes: Mapped[int] = mapped_column(Integer)
    cigars: Mapped[int] = mapped_column(Integer)
    sliced_tobacco_g: Mapped[int] = mapped_column(Integer)
    alcohol_l: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    recorded_at: Mapped[dt.datetime]
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class EcdReferral(Base):
    """A hand-over (QUARANTINE, ENFORCEMENT, CASH_DECLARATION, PIBK) or the destruction of excise goods above
    the allowance (EXCISE_DESTRUCTION), each with its numbered minutes. Append-only."""

    __tablename__ = "ecd_referrals"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    receiver: Mapped[str] = mapped_column(String(200))  # the unit/agency, or the destruction witnesses
    receiver_name: Mapped[str] = mapped_column(String(200))
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(String(500))
    cash_lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # CASH_DECLARATION only
    cash_idr: Mapped[int | None] = mapped_column(BigInteger)
    cash_declared: Mapped[bool | None] = mapped_column(Boolean)
    fine_idr: Mapped[int | None] = mapped_column(BigInteger)
    document_number: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[dt.datetime]
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class EcdBilling(Base):
    """The billing of a reassessment. `code` is derived from the billing slip's gapless number (see
    workstation.services.ecd.billing_code)."""

    __tablename__ = "ecd_billings"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    decision_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ecd_decisions.id"))
    code: Mapped[str] = mapped_column(String(20), unique=True)
    amount_idr: Mapped[int] = mapped_column(BigInteger)
    levies: Mapped[dict[str, Any]] = mapped_column(JSON)
    document_number: Mapped[str] = mapped_column(String(80))
    issued_at: Mapped[dt.datetime]
    issued_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    __table_args__ = (Index("ix_ecd_billings_issued_at", "issued_at"),)  # the daily report: billed on a day


class EcdPayment(Base):
    """A payment of a billing (append-only)."""

    __tablename__ = "ecd_payments"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    billing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ecd_billings.id"))
    receipt_number: Mapped[str] = mapped_column(String(40))
    amount_idr: Mapped[int] = mapped_column(BigInteger)
    channel: Mapped[str] = mapped_column(String(10))
    document_number: Mapped[str] = mapped_column(String(80))
    paid_at: Mapped[dt.datetime]
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    __table_args__ = (Index("ix_ecd_payments_paid_at", "paid_at"),)  # the daily report: paid on a day
