"""The audit hash chain. Appended inside the business transaction (under the write lock that
Database.write() holds), so an entry exists if and only if its change was committed.

row_hash = SHA-256( prev_hash | seq | ts | canonical JSON of the entry body )
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from db.models import AuditEntry
from workstation.domain.canonical import canonical_json

GENESIS_HASH = "0" * 64
# Built once: statement construction is most of the Python cost of an append.
_LAST = select(AuditEntry.seq, AuditEntry.row_hash).order_by(AuditEntry.seq.desc()).limit(1)
_INSERT = insert(AuditEntry)


def format_ts(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _body(e: AuditEntry, data: Any) -> dict[str, Any]:
    return {
        "action": e.action,
        "actor_id": str(e.actor_id) if e.actor_id else None,
        "actor_login": e.actor_login,
        "data": data,
        "entity_id": e.entity_id,
        "entity_type": e.entity_type,
        "office_code": e.office_code,
        "session_id": str(e.session_id) if e.session_id else None,
        "unit_code": e.unit_code,
    }


def compute_hash(prev_hash: str, seq: int, ts: dt.datetime, body: dict[str, Any]) -> str:
    material = f"{prev_hash}|{seq}|{format_ts(ts)}|{canonical_json(body)}"
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AuditActor:
    user_id: uuid.UUID | None
    login: str
    session_id: uuid.UUID | None
    office_code: str | None
    unit_code: str | None


def append(
    session: Session,
    actor: AuditActor,
    action: str,
    entity_type: str,
    entity_id: str | uuid.UUID,
    data: dict[str, Any] | None = None,
    *,
    now: dt.datetime | None = None,
) -> AuditEntry:
    """Append one entry. The caller is inside Database.write(), which serialises writers."""
    last = session.execute(_LAST).first()
    seq = (last.seq + 1) if last else 1
    prev = last.row_hash if last else GENESIS_HASH
    ts = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    payload_json = canonical_json(data or {})
    entry = AuditEntry(
        seq=seq,
        ts=ts,
        actor_id=actor.user_id,
        actor_login=actor.login,
        session_id=actor.session_id,
        office_code=actor.office_code,
        unit_code=actor.unit_code,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        payload=payload_json,
        prev_hash=prev,
        row_hash="",
    )
    entry.row_hash = compute_hash(prev, seq, ts, _body(entry, json.loads(payload_json)))
    # Core insert: the hot path of every change; no identity-map bookkeeping needed for an append-only row.
    session.execute(_INSERT, [dict(
        seq=seq, ts=ts, actor_id=entry.actor_id, actor_login=entry.actor_login, session_id=entry.session_id,
        office_code=entry.office_code, unit_code=entry.unit_code, action=action, entity_type=entity_type,
        entity_id=entry.entity_id, payload=payload_json, prev_hash=prev, row_hash=entry.row_hash)])
    return entry


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    broken_seq: int | None = None
    problem: str | None = None
    entry_summary: str | None = None


def iter_entries(session: Session, batch: int = 2000) -> Iterator[AuditEntry]:
    stmt = select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=batch)
    yield from session.scalars(stmt)


def verify_chain(session: Session, progress=None) -> ChainReport:
    """Walk the whole chain; stop at the first entry whose link or hash does not hold."""
    prev_hash = GENESIS_HASH
    expected_seq = 1
    count = 0
    for e in iter_entries(session):
        summary = f"#{e.seq} {format_ts(e.ts)} {e.action} by {e.actor_login} on {e.entity_type}:{e.entity_id}"
        if e.seq != expected_seq:
            return ChainReport(False, count, expected_seq, f"entry #{expected_seq} is missing", summary)
        if e.prev_hash != prev_hash:
            return ChainReport(False, count, e.seq, "link to the previous entry is broken", summary)
        try:
            data = json.loads(e.payload)
        except ValueError:
            return ChainReport(False, count, e.seq, "payload is not valid JSON", summary)
        if compute_hash(prev_hash, e.seq, e.ts, _body(e, data)) != e.row_hash:
            return ChainReport(False, count, e.seq, "content does not match its hash (edited)", summary)
        prev_hash = e.row_hash
        expected_seq += 1
        count += 1
        if progress and count % 5000 == 0:
            progress(count)
    return ChainReport(True, count)
