"""PIB red lane (DOMAIN.md §2) tables, and the reference tables its intake checks read: the tariff (BTKI
posts), the lartas table (HS -> permit), the BC 1.1 manifest lines and the blocked-importer list.

The case header is the generic `cases` row (state, version = optimistic lock); `pib_cases` holds the PIB's
own header, one row per case, changed only inside the case's transitions. Everything an officer reports or
decides (submissions, LHP / BAP / BA contoh, determinations) is append-only: an amendment is a new version,
and the migration adds triggers that refuse UPDATE and DELETE on those tables."""

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
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models import Base, utcnow, uuid7

# Tables whose rows are never updated or deleted (guarded by triggers in the migration).
APPEND_ONLY_TABLES = ("pib_submissions", "pib_reports", "pib_determinations")


# --- reference data -----------------------------------------------------------------------------------------
class TariffPost(Base):
    """A tariff post of the BTKI (10-digit HS code) with its MFN import-duty rate in percent."""

    __tablename__ = "tariff_posts"
    hs_code: Mapped[str] = mapped_column(String(10), primary_key=True)
    description: Mapped[str] = mapped_column(String(500))
    bm_rate: Mapped[Decimal] = mapped_column(Numeric(9, 4))
    source: Mapped[str] = mapped_column(String(200), default="")
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LartasRule(Base):
    """Prohibition/restriction (lartas): goods whose HS code starts with `hs_prefix` need `permit`."""

    __tablename__ = "lartas_rules"
    hs_prefix: Mapped[str] = mapped_column(String(10), primary_key=True)
    permit: Mapped[str] = mapped_column(String(200))
    agency: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(200), default="")
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Bc11Line(Base):
    """One line (pos / sub-pos) of a BC 1.1 inward manifest: the B/L it covers and its containers."""

    __tablename__ = "bc11_lines"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    number: Mapped[str] = mapped_column(String(6))
    date: Mapped[dt.date] = mapped_column(Date)
    pos: Mapped[str] = mapped_column(String(4))
    subpos: Mapped[str] = mapped_column(String(8))
    bl_number: Mapped[str] = mapped_column(String(35))
    bl_date: Mapped[dt.date] = mapped_column(Date)
    consignee: Mapped[str] = mapped_column(String(200))
    packages: Mapped[int] = mapped_column(Integer)
    package_unit: Mapped[str] = mapped_column(String(4))
    containers: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(200), default="")
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("number", "date", "pos", "subpos"),)


class ImporterBlock(Base):
    """A supervisor's block on an importer (by NPWP, digits only). Active while `lifted_at` is NULL."""

    __tablename__ = "pib_importer_blocks"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    npwp: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(500))
    blocked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    blocked_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    lifted_at: Mapped[dt.datetime | None]
    lifted_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    lift_reason: Mapped[str | None] = mapped_column(String(500))


# --- the case -------------------------------------------------------------------------------------------------
class PibCase(Base):
    """The PIB's own header, one row per case."""

    __tablename__ = "pib_cases"
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    aju: Mapped[str] = mapped_column(String(26), unique=True)
    importer_npwp: Mapped[str] = mapped_column(String(16), index=True)
    importer_name: Mapped[str] = mapped_column(String(200))
    bc11_number: Mapped[str] = mapped_column(String(6))
    bc11_date: Mapped[dt.date] = mapped_column(Date)
    bc11_pos: Mapped[str] = mapped_column(String(4))
    bc11_subpos: Mapped[str] = mapped_column(String(8))
    arrival_date: Mapped[dt.date] = mapped_column(Date)
    submission_version: Mapped[int] = mapped_column(Integer, default=1)
    submitted_on: Mapped[dt.date] = mapped_column(Date)  # tanggal pengajuan of the current submission
    registration_number: Mapped[str | None] = mapped_column(String(20))
    registered_on: Mapped[dt.date | None] = mapped_column(Date)  # the 30-day determination clock starts here
    first_storage_on: Mapped[dt.date] = mapped_column(Date)  # the TPS clock (BTD) starts here
    goods_ready_on: Mapped[dt.date | None] = mapped_column(Date)
    goods_location: Mapped[str | None] = mapped_column(String(100))
    goods_contact: Mapped[str | None] = mapped_column(String(200))
    inspector_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # of the current IP
    lartas: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # lines needing a permit
    enforcement: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str | None] = mapped_column(String(12))
    determined_on: Mapped[dt.date | None] = mapped_column(Date)
    sppb_on: Mapped[dt.date | None] = mapped_column(Date)
    released_at: Mapped[dt.datetime | None]

    # The daily report's breaches: not determined (NULL, or later than the day) and registered before it; no SPPB
    # (NULL, or later) and stored before it. Both bounded by the cases still open on the day.
    __table_args__ = (Index("ix_pib_cases_determination", "determined_on", "registered_on"),
                      Index("ix_pib_cases_sppb", "sppb_on", "first_storage_on"))


class PibSubmission(Base):
    """Every pib/1 document received for a case, exactly as received, with the SKP check result.
    A rejected PIB is kept here; a corrected resubmission of the same aju is version + 1."""

    __tablename__ = "pib_submissions"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    received_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    source: Mapped[str] = mapped_column(String(200), default="")
    document: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    accepted: Mapped[bool] = mapped_column(Boolean)
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    response_number: Mapped[str | None] = mapped_column(String(80))  # the rejection response, if rejected

    __table_args__ = (UniqueConstraint("case_id", "version"),)


class PibBilling(Base):
    """A billing code (kode billing): the declared levies at intake, or an SPTNP's shortfall plus fine."""

    __tablename__ = "pib_billings"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # DECLARED | SPTNP
    code: Mapped[str] = mapped_column(String(15), unique=True)
    levies: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    fine_idr: Mapped[int] = mapped_column(BigInteger, default=0)
    total_idr: Mapped[int] = mapped_column(BigInteger)
    issued_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    paid_on: Mapped[dt.date | None] = mapped_column(Date)
    ntpn: Mapped[str | None] = mapped_column(String(32))  # the state-revenue receipt number of the payment
    paid_amount_idr: Mapped[int | None] = mapped_column(BigInteger)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    recorded_at: Mapped[dt.datetime | None]

    # the daily report: billed on a day, paid on a day, unpaid (NULL) past its due date
    __table_args__ = (Index("ix_pib_billings_issued", "issued_on"), Index("ix_pib_billings_paid", "paid_on", "due_on"))


class PibSupportingDoc(Base):
    """A supporting document the importer handed over (invoice, packing list, B/L, permit, ...)."""

    __tablename__ = "pib_supporting_docs"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # INVOICE | PACKING_LIST | BL | PERMIT | ...
    number: Mapped[str] = mapped_column(String(100))
    doc_date: Mapped[dt.date | None] = mapped_column(Date)
    item_seq: Mapped[int | None] = mapped_column(Integer)  # a permit names the PIB item it covers
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class PibInstruction(Base):
    """Instruksi Pemeriksaan: who inspects, at what level, which containers/packages. Reassignment = new version."""

    __tablename__ = "pib_instructions"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    inspector_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    level_pct: Mapped[int] = mapped_column(Integer)
    containers: Mapped[list[str]] = mapped_column(JSON, default=list)
    packages: Mapped[str] = mapped_column(String(500), default="")
    memo: Mapped[str] = mapped_column(Text, default="")
    sample_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    issued_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    document_number: Mapped[str] = mapped_column(String(80))

    __table_args__ = (UniqueConstraint("case_id", "version"),)


class PibReport(Base):
    """The inspector's reports: LHP, BAP fisik, BA pengambilan contoh. Locked once submitted: an amendment
    is a new version (and a new version of its document under the same number)."""

    __tablename__ = "pib_reports"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # LHP | BAP | BA-CONTOH
    version: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    document_number: Mapped[str] = mapped_column(String(80))
    document_version: Mapped[int] = mapped_column(Integer, default=1)
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("pib_reports.id"))

    __table_args__ = (UniqueConstraint("case_id", "kind", "version"),)


class PibRequest(Base):
    """The examiner's requests while researching: NPD (documents), DNP (value declaration), a lab test, a
    referral to enforcement. The answer (or lab result) is recorded once."""

    __tablename__ = "pib_requests"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # NPD | DNP | LAB | ENFORCEMENT
    text: Mapped[str] = mapped_column(Text)
    item_seq: Mapped[int | None] = mapped_column(Integer)
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    requested_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    document_number: Mapped[str | None] = mapped_column(String(80))
    answer: Mapped[str | None] = mapped_column(Text)
    result: Mapped[str | None] = mapped_column(String(20))  # lab: CONFORMS | DIFFERS
    answered_at: Mapped[dt.datetime | None]
    answered_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    # The PIB desk queue reads only the open (unanswered) requests (migration 0008).
    __table_args__ = (Index("ix_pib_requests_open", "answered_at", "kind"),)


class PibDetermination(Base):
    """The examiner's determination (penetapan) of HS, value and rates, with the assessment it produced, the
    rule set it used and the documents issued. A re-determination (after SPBL) is version + 1."""

    __tablename__ = "pib_determinations"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    examiner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_on: Mapped[dt.date] = mapped_column(Date)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    ruleset_id: Mapped[str] = mapped_column(String(40))
    ruleset_sha256: Mapped[str] = mapped_column(String(64))
    assessment: Mapped[dict[str, Any]] = mapped_column(JSON)
    outcome: Mapped[str] = mapped_column(String(12))
    documents: Mapped[list[str]] = mapped_column(JSON, default=list)

    __table_args__ = (UniqueConstraint("case_id", "version"),)
