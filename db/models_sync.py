"""Field-unit sync (issue #14): the change log both ends keep, the unit's identity, central's unit registry,
conflicts for a supervisor's review, the audit chains central keeps for each unit, and imported bundles.

`sync_changes` is one table with two uses:
- on a field unit it is the outbox: every local change of a synced table, written in the same transaction as the
  change by the one write path (db.changes); `acked_at` is set only after central answered for it;
- on central it is the change feed and the applied-changes table at once: every change committed at central —
  by an online workstation or applied from a unit — with a gapless `seq` assigned under the write lock, so reading
  "seq > cursor" never skips a slow transaction (writers are serialised; a seq is visible only after every lower
  one). A unit's change keeps its `change_id` (unique): a second push of it is answered "already applied".
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from db.models import Base, utcnow, uuid7


class SyncChange(Base):
    __tablename__ = "sync_changes"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    change_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    txn_id: Mapped[uuid.UUID] = mapped_column(Uuid)  # the write transaction it was part of
    origin: Mapped[str] = mapped_column(String(8), default="")  # unit code; "" = central
    epoch: Mapped[int] = mapped_column(Integer, default=0)
    table_name: Mapped[str] = mapped_column(String(40))
    row_key: Mapped[str] = mapped_column(String(200))  # canonical JSON of the primary key
    op: Mapped[str] = mapped_column(String(6))  # insert | update | delete
    changed: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of the columns this change set
    base_seq: Mapped[int] = mapped_column(BigInteger, default=0)  # unit: central's feed position it had seen
    row: Mapped[str] = mapped_column(Text)  # canonical JSON of the whole row after the change
    row_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of `row`
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    acked_at: Mapped[dt.datetime | None]  # unit: central has it; central: when applied from a unit

    __table_args__ = (
        Index("ix_sync_changes_key", "table_name", "row_key", "seq"),
        # the unit's pending changes (acked_at IS NULL), in order
        Index("ix_sync_changes_pending", "acked_at", "seq"),
    )


class SyncNode(Base):
    """What this database is in the sync: one row or none (a standalone office). role 'central' (units enrol
    here) or 'unit' (a field unit: its code, epoch and key; the feed position it pulled up to)."""

    __tablename__ = "sync_node"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    role: Mapped[str] = mapped_column(String(8))  # central | unit
    unit_code: Mapped[str | None] = mapped_column(String(8))
    epoch: Mapped[int] = mapped_column(Integer, default=1)
    office_code: Mapped[str | None] = mapped_column(String(6))
    public_key: Mapped[str | None] = mapped_column(String(100))  # the unit's Ed25519 key (base64 raw)
    server_url: Mapped[str | None] = mapped_column(String(300))
    central_key: Mapped[str | None] = mapped_column(String(100))  # central's Ed25519 key, for its bundles
    pull_cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    audit_acked: Mapped[int] = mapped_column(BigInteger, default=0)  # unit: its audit entries central holds
    billing_slot: Mapped[int | None] = mapped_column(Integer)  # unit: its block of e-CD billing codes
    last_sync_at: Mapped[dt.datetime | None]
    last_result: Mapped[str] = mapped_column(String(300), default="")
    enrolled_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SyncUnit(Base):
    """Central's registry of field units: the enrolment token's hash (one-time), the key registered with it,
    the epoch (a unit restored from a backup re-enrols with a new one), revocation."""

    __tablename__ = "sync_units"
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    office_code: Mapped[str] = mapped_column(String(6))
    token_hash: Mapped[str | None] = mapped_column(String(64))  # SHA-256 of the pending one-time token
    token_expires_at: Mapped[dt.datetime | None]
    public_key: Mapped[str | None] = mapped_column(String(100))
    epoch: Mapped[int] = mapped_column(Integer, default=0)  # 0: never enrolled
    enrolled_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    last_seen_at: Mapped[dt.datetime | None]
    # the unit's own outbox position central has applied up to (its acknowledgement), and the feed position
    # the unit last said it had pulled (what a bundle for it starts from)
    acked_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # the block of e-CD billing codes the unit's current epoch issues from (1-99; never given out twice)
    billing_slot: Mapped[int | None] = mapped_column(Integer)
    reported_cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(32), default="")


class SyncConflict(Base):
    """A unit's change that lost to one committed first at central on the same field, kept whole for a
    supervisor's review (and synced back to the unit like any row)."""

    __tablename__ = "sync_conflicts"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    change_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    origin: Mapped[str] = mapped_column(String(8))
    table_name: Mapped[str] = mapped_column(String(40))
    row_key: Mapped[str] = mapped_column(String(200))
    fields: Mapped[str] = mapped_column(Text)  # JSON list of the fields that collided
    theirs: Mapped[str] = mapped_column(Text)  # the unit's whole row (canonical JSON), as it sent it
    ours: Mapped[str] = mapped_column(Text)  # central's row when the change arrived
    detected_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[dt.datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(32))
    resolution: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (Index("ix_sync_conflicts_open", "resolved_at", "detected_at"),)


class UnitAuditEntry(Base):
    """Central's copy of each unit's audit hash chain (append-only, triggers). Continuity is verified on
    ingest: seq follows the last one of the unit's epoch and prev_hash equals its row_hash."""

    __tablename__ = "sync_unit_audit"
    unit_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    entry: Mapped[str] = mapped_column(Text)  # canonical JSON of the unit's audit_log row
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SyncBundle(Base):
    """Every bundle file imported, by id and digest: a replayed bundle is refused."""

    __tablename__ = "sync_bundles"
    bundle_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    origin: Mapped[str] = mapped_column(String(8))
    sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    changes: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("sha256"),)
