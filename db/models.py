"""SQLAlchemy 2 models. Case data keys are UUIDv7 (sortable, unique across field units for sync); human
numbers are separate columns. Timestamps are UTC. Append-only tables (audit_log, documents) are guarded
by triggers created in the migrations."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import uuid_utils.compat as uuid_compat
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def uuid7() -> uuid.UUID:
    return uuid_compat.uuid7()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTC(TypeDecorator):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; use UTC-aware datetimes")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTC, dict[str, Any]: JSON, Decimal: Numeric(20, 4)}


# --- organisation ------------------------------------------------------------------------------------
class Office(Base):
    __tablename__ = "offices"
    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Jakarta")
    signing_public_key: Mapped[str | None] = mapped_column(String(100))
    # PEM of the office's self-signed PAdES certificate (printing.pades): the trust root for issued PDFs.
    signing_certificate: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Unit(Base):
    """A field unit (remote border post) working offline under an office."""

    __tablename__ = "units"
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    office_code: Mapped[str] = mapped_column(ForeignKey("offices.code"))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# --- users, roles, sessions ------------------------------------------------------------------------------
class RoleRow(Base):
    __tablename__ = "roles"
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name_id: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))


class User(Base):
    __tablename__ = "users"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    login: Mapped[str] = mapped_column(String(32), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    nip: Mapped[str] = mapped_column(String(18), default="")
    office_code: Mapped[str] = mapped_column(ForeignKey("offices.code"))
    password_hash: Mapped[str] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_at: Mapped[dt.datetime | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # set by an administrator's password reset: until the user picks their own password, the login gives a
    # session that may only change it (services.auth.PasswordChangeActor)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    __mapper_args__ = {"version_id_col": version}

    @property
    def role_codes(self) -> frozenset[str]:
        return frozenset(r.role_code for r in self.roles)


class UserRole(Base):
    __tablename__ = "user_roles"
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role_code: Mapped[str] = mapped_column(ForeignKey("roles.code"), primary_key=True)
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    granted_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    user: Mapped[User] = relationship(back_populates="roles")


class UserSession(Base):
    """One login of one user in one process (a counter PC, or an SSH session). A supervisor can end it."""

    __tablename__ = "sessions"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[dt.datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(40))
    ended_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    client: Mapped[str] = mapped_column(String(200), default="")
    office_code: Mapped[str] = mapped_column(String(6))
    unit_code: Mapped[str | None] = mapped_column(String(8))


# --- audit -----------------------------------------------------------------------------------------------
class AuditEntry(Base):
    """Hash-chained, append-only (UPDATE/DELETE refused by trigger). seq is gapless, assigned under the
    write lock; row_hash = SHA-256(prev_hash ‖ seq ‖ ts ‖ canonical JSON of the entry)."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    ts: Mapped[dt.datetime]
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    actor_login: Mapped[str] = mapped_column(String(32))
    session_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    office_code: Mapped[str | None] = mapped_column(String(6))
    unit_code: Mapped[str | None] = mapped_column(String(8))
    action: Mapped[str] = mapped_column(String(60), index=True)
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(80))
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON, exactly the bytes hashed
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))
    # HMAC-SHA256(office secret, row_hash): NULL on rows written before 0006 or where the key file is absent
    row_mac: Mapped[str | None] = mapped_column(String(64))

    # the audit viewer: one entity's entries; one user's entries newest first
    __table_args__ = (Index("ix_audit_log_entity", "entity_type", "entity_id"),
                      Index("ix_audit_log_actor", "actor_login", "seq"))


class AuditAnchor(Base):
    """The chain's head (head_seq, head_hash) signed with the office's Ed25519 key: at least daily and on
    demand (and at every sync). Append-only (triggers); `audit verify` checks every anchor against the chain."""

    __tablename__ = "audit_anchors"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    anchored_at: Mapped[dt.datetime]
    head_seq: Mapped[int] = mapped_column(BigInteger)  # 0: the chain was empty
    head_hash: Mapped[str] = mapped_column(String(64))
    office_code: Mapped[str] = mapped_column(String(6))
    reason: Mapped[str] = mapped_column(String(20))  # daily | manual | sync
    public_key: Mapped[str] = mapped_column(String(100))  # base64 raw Ed25519 public key that signed it
    signature: Mapped[str] = mapped_column(String(200))  # base64url, over db.audit.anchor_message(...)


# --- numbering and documents ---------------------------------------------------------------------------
class Counter(Base):
    """Gapless official numbers per (office, unit, document type, year). unit_code '' = the office itself."""

    __tablename__ = "counters"
    office_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(8), primary_key=True, default="")
    doc_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(BigInteger, default=0)


class Document(Base):
    """An issued official document. Append-only: the content never changes; the only update a trigger lets
    through is ISSUED -> VOID (the document keeps its number). An amendment is a new row, version + 1."""

    __tablename__ = "documents"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    doc_type: Mapped[str] = mapped_column(String(20), index=True)
    number: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer, default=1)
    seq: Mapped[int] = mapped_column(BigInteger)
    year: Mapped[int] = mapped_column(Integer)
    office_code: Mapped[str] = mapped_column(String(6))
    unit_code: Mapped[str | None] = mapped_column(String(8))
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"), index=True)
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("documents.id"))
    issue_date: Mapped[dt.date] = mapped_column(Date)
    issued_at: Mapped[dt.datetime]
    issued_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))  # None: the system / command line
    issued_by_login: Mapped[str] = mapped_column(String(32))
    content_json: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="ISSUED")
    voided_at: Mapped[dt.datetime | None]
    voided_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    void_confirmed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    void_reason: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (UniqueConstraint("number", "version"), Index("ix_documents_issued_at", "issued_at"))


# --- reference data ---------------------------------------------------------------------------------------
class ExchangeRate(Base):
    """NDPBM as quoted in the Minister's decree (JPY per 100 yen, others per one unit), valid from..to
    inclusive; valid_to NULL = until further notice."""

    __tablename__ = "exchange_rates"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    currency: Mapped[str] = mapped_column(String(3))
    rate_idr: Mapped[Decimal] = mapped_column(Numeric(24, 8))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(200), default="")
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("currency", "valid_from"), Index("ix_rates_lookup", "currency", "valid_to"))


class RuleSetRecord(Base):
    """Every rule-set file a decision used, by id and SHA-256, with its text — so a decision can be
    re-explained after the file was corrected."""

    __tablename__ = "rule_sets"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    content: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# --- cases --------------------------------------------------------------------------------------------------
class Case(Base):
    """The generic header every workflow case shares (e-CD, PIB, PLP). Workflow detail lives in its own
    tables keyed by case id. `version` is the optimistic lock: every change checks and bumps it."""

    __tablename__ = "cases"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    kind: Mapped[str] = mapped_column(String(8))
    reference: Mapped[str] = mapped_column(String(64))
    office_code: Mapped[str] = mapped_column(String(6))
    unit_code: Mapped[str | None] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(30))
    lane: Mapped[str | None] = mapped_column(String(8))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)  # open list of lane/flag reason codes
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)  # e.g. SLA_BREACH, BTD, OVERDUE
    opened_on: Mapped[dt.date] = mapped_column(Date)  # business date in the office zone
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    assigned_to: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # what queues show without joins
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("kind", "reference"),
        Index("ix_cases_queue", "kind", "office_code", "opened_on", "state"),
        # the daily report counts one day's openings per kind and lane (covering: no table read)
        Index("ix_cases_opened", "opened_on", "kind", "lane"),
        # the gate: the few cases of a kind in one state (PIB in SPPB, awaiting gate-out)
        Index("ix_cases_state", "kind", "state"),
    )


class CaseEvent(Base):
    """Append-only history of one case (state changes with their reasons), shown on the case screens."""

    __tablename__ = "case_events"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    action: Mapped[str] = mapped_column(String(60))
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str | None] = mapped_column(String(30))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# --- printing --------------------------------------------------------------------------------------------
class DocumentPrint(Base):
    """Append-only: one row per successful print or export of an issued document. The n-th print of a
    document carries copy_number n-1 (0 = the original; later ones are marked SALINAN / COPY)."""

    __tablename__ = "document_prints"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"), index=True)
    copy_number: Mapped[int] = mapped_column(Integer)
    target_kind: Mapped[str] = mapped_column(String(10))  # file | cups | escpos
    target: Mapped[str] = mapped_column(String(300))
    printed_at: Mapped[dt.datetime]
    printed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    printed_by_login: Mapped[str] = mapped_column(String(32))


class PrintJob(Base):
    """A print that could not be done (printer offline, queue missing): kept to be retried, never lost."""

    __tablename__ = "print_jobs"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"), index=True)
    number: Mapped[str] = mapped_column(String(80))
    target_kind: Mapped[str] = mapped_column(String(10))
    target: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(10), default="FAILED", index=True)  # FAILED | DONE | CANCELLED
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# --- the gate ----------------------------------------------------------------------------------------------
class GateEvent(Base):
    """Append-only log of every container presented at a gate and what the gate did."""

    __tablename__ = "gate_events"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    gate: Mapped[str] = mapped_column(String(64))  # the barrier device name
    tps: Mapped[str | None] = mapped_column(String(8))
    container: Mapped[str] = mapped_column(String(20), index=True)
    plate: Mapped[str | None] = mapped_column(String(16))
    read_by: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(10))  # OPEN | SHUT | OVERRIDE
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    release: Mapped[str | None] = mapped_column(String(120))  # e.g. "PLP 000001/PLP/040300/2026 OUT"
    case_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    actor_login: Mapped[str] = mapped_column(String(32))


class ScanResultRecord(Base):
    """An X-ray scanner's result for a container or truck, attached to the matching case when there is one."""

    __tablename__ = "scan_results"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    scan_id: Mapped[str] = mapped_column(String(64), unique=True)
    scanned_at: Mapped[dt.datetime]
    device: Mapped[str] = mapped_column(String(64))
    container: Mapped[str | None] = mapped_column(String(20), index=True)
    plate: Mapped[str | None] = mapped_column(String(16))
    image_ref: Mapped[str | None] = mapped_column(String(300))
    verdict: Mapped[str | None] = mapped_column(String(40))
    suspicious: Mapped[bool] = mapped_column(Boolean, default=False)
    case_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
