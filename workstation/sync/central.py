"""Central's side of the field-unit sync: the unit registry, enrolment, and the push / pull / state operations
the sync API (workstation.sync.server) and bundle imports call. Every operation is one write (or read)
transaction on central's database; the HTTP layer only authenticates and translates.

Apply rules (issue #14):
- a change is applied at most once: its change_id is unique in central's change log; a second copy is answered
  "already applied";
- append-only rows (events, findings, prints, movements, reports) are inserted if absent; a different copy of an
  existing one is kept as a conflict, never overwrites;
- an update merges by field: the fields the unit set that central changed too since the feed position the unit
  had seen (its `base_seq`) collide; the first committed at central wins and the unit's change is kept whole in
  sync_conflicts (which flows back to the unit); a case's state follows stage order instead (a later stage wins);
- every applied change enters central's change feed with the whole row as it now stands, so every unit (the
  sender too) converges on it.
A unit's audit chain is stored beside central's own (sync_unit_audit) after its continuity is checked.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, literal, select
from sqlalchemy.orm import Session

from db import audit, changes
from db.audit import AuditActor, compute_hash
from db.models import Office, Unit
from db.models_sync import SyncBundle, SyncChange, SyncConflict, SyncNode, SyncUnit, UnitAuditEntry
from db.schema import metadata
from workstation.domain.canonical import canonical_json
from workstation.domain.codes import CaseKind, Role
from workstation.domain.ecd import EcdState
from workstation.domain.errors import ErrorCode
from workstation.domain.pib import PibState
from workstation.domain.plp import PlpState
from workstation.errors import InputError, NotFound, Refusal
from workstation.services.base import Actor, ServiceContext, require_role

TOKEN_DAYS = 14
MAX_BILLING_SLOTS = 99  # e-CD billing codes: workstation.services.ecd.settlement.billing_code
# the most feed entries one pull page holds: each page is one local transaction at the unit (its look-ups, one
# insert per table, the commit's fsync), so fewer, larger pages pull faster (100,000 changes: 5.6 → 4.0 s with
# 5,000 instead of 1,000, bench/README "sync"); ≈ 350 KiB gzipped, ≈ 11 s at 256 kbit/s
PULL_LIMIT = 5000
STAGES: dict[str, list[str]] = {CaseKind.ECD.value: [s.value for s in EcdState],
                                CaseKind.PIB.value: [s.value for s in PibState],
                                CaseKind.PLP.value: [s.value for s in PlpState]}


def _versioned() -> dict[str, str]:
    """Tables whose mapper keeps an optimistic-lock version column, and its name."""
    from db.models import Base

    out = {}
    for m in Base.registry.mappers:
        if m.version_id_col is not None:
            out[str(getattr(m.local_table, "name", ""))] = m.version_id_col.name
    return out


VERSIONED = _versioned()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def stage_rank(kind: str | None, state: str | None) -> int:
    order = STAGES.get(kind or "", [])
    return order.index(state) if state in order else -1


def audit_entry_json(row: Any) -> dict[str, Any]:
    """A unit's audit_log row as it travels: every column, encoded like any synced row."""
    return changes.encode_row(metadata.tables["audit_log"], dict(row._mapping))


def entry_hash(entry: dict[str, Any]) -> str:
    """Recompute an audit entry's hash from its content (db.audit.compute_hash); raises ValueError/KeyError on
    an entry that is not one."""
    body = {"action": entry["action"], "actor_id": entry["actor_id"], "actor_login": entry["actor_login"],
            "data": json.loads(entry["payload"]), "entity_id": entry["entity_id"],
            "entity_type": entry["entity_type"], "office_code": entry["office_code"],
            "session_id": entry["session_id"], "unit_code": entry["unit_code"]}
    return compute_hash(entry["prev_hash"], int(entry["seq"]), dt.datetime.fromisoformat(entry["ts"]), body)


@dataclass(frozen=True)
class UnitView:
    code: str
    name: str
    epoch: int
    enrolled: bool
    revoked: bool
    last_seen_at: dt.datetime | None
    acked_seq: int
    pending_token: bool


@dataclass(frozen=True)
class PushResult:
    applied: int
    duplicates: int
    conflicts: int
    acked_seq: int
    audit_received: int

    def as_json(self) -> dict[str, int]:
        return {"applied": self.applied, "duplicates": self.duplicates, "conflicts": self.conflicts,
                "acked_seq": self.acked_seq, "audit_received": self.audit_received}


def _refuse(code: ErrorCode, **params: Any) -> Refusal:
    return Refusal(code=code, params=params)


def _bad(change_id: str, reason: str) -> InputError:
    return InputError(code=ErrorCode.SYNC_BAD_CHANGE, params={"change": change_id, "reason": reason})


class CentralSync:
    """Central's operations. `ctx` is central's service context (PostgreSQL in an office, any back end in tests)."""

    def __init__(self, ctx: ServiceContext):
        self.ctx = ctx
        self.db = ctx.db

    # -- the registry (command line and the supervisor's screens) -------------------------------------------
    def _unit_actor(self, code: str) -> AuditActor:
        return AuditActor(None, f"unit:{code}"[:32], None, self.ctx.settings.office.code, code)

    def _ensure_central(self, s: Session) -> None:
        me = s.get(SyncNode, 1)
        if me is None:
            s.add(SyncNode(id=1, role="central", office_code=self.ctx.settings.office.code, epoch=0,
                           pull_cursor=0, last_result="", enrolled_at=self.ctx.now()))
            s.flush()
        elif me.role != "central":
            raise _refuse(ErrorCode.SYNC_NOT_CENTRAL)

    def add_unit(self, actor: Actor, code: str, name: str) -> str:
        """Register a field unit and return its one-time enrolment token (valid TOKEN_DAYS days). Makes this
        database the central one of a sync. Raises PermissionDenied (admin only), Refusal SYNC_UNIT_EXISTS,
        InputError for a bad code."""
        require_role(actor, Role.ADMIN, action="unit.add")
        code = _unit_code(code)
        name = name.strip()
        if not name:
            raise InputError(field="name", code=ErrorCode.REQUIRED)
        token = f"{code}.{secrets.token_urlsafe(24)}"
        with self.db.write() as s:
            self._ensure_central(s)
            if s.get(SyncUnit, code) is not None:
                raise _refuse(ErrorCode.SYNC_UNIT_EXISTS, unit=code)
            office = self.ctx.settings.office
            if s.get(Office, office.code) is None:
                s.add(Office(code=office.code, name=office.name, address=office.address, city=office.city,
                             timezone=office.timezone))
                s.flush()
            if s.get(Unit, code) is None:
                s.add(Unit(code=code, office_code=self.ctx.settings.office.code, name=name[:200]))
            s.add(SyncUnit(code=code, name=name[:200], office_code=self.ctx.settings.office.code,
                           token_hash=token_hash(token), token_expires_at=self.ctx.now() + dt.timedelta(days=TOKEN_DAYS),
                           epoch=0, acked_seq=0, reported_cursor=0, created_by=actor.login))
            audit.append(s, actor.audit, "sync.unit_add", "unit", code, {"name": name[:200]}, now=self.ctx.now())
        return token

    def reenrol_unit(self, actor: Actor, code: str) -> str:
        """A new one-time token for a unit that must enrol again (restored from a backup, replaced machine):
        its next enrolment starts a new epoch. Raises PermissionDenied, Refusal SYNC_UNKNOWN_UNIT."""
        require_role(actor, Role.ADMIN, action="unit.reenrol")
        code = _unit_code(code)
        token = f"{code}.{secrets.token_urlsafe(24)}"
        with self.db.write() as s:
            u = s.get(SyncUnit, code)
            if u is None:
                raise _refuse(ErrorCode.SYNC_UNKNOWN_UNIT, unit=code)
            u.token_hash = token_hash(token)
            u.token_expires_at = self.ctx.now() + dt.timedelta(days=TOKEN_DAYS)
            u.revoked_at = None
            audit.append(s, actor.audit, "sync.unit_reenrol", "unit", code, {"epoch": u.epoch}, now=self.ctx.now())
        return token

    def revoke_unit(self, actor: Actor, code: str) -> None:
        """Refuse every further request of the unit (a lost or stolen machine)."""
        require_role(actor, Role.ADMIN, action="unit.revoke")
        code = _unit_code(code)
        with self.db.write() as s:
            u = s.get(SyncUnit, code)
            if u is None:
                raise _refuse(ErrorCode.SYNC_UNKNOWN_UNIT, unit=code)
            u.revoked_at = self.ctx.now()
            u.token_hash = None
            audit.append(s, actor.audit, "sync.unit_revoke", "unit", code, {}, now=self.ctx.now())

    def units(self) -> list[UnitView]:
        with self.db.read() as s:
            return [UnitView(u.code, u.name, u.epoch, u.enrolled_at is not None, u.revoked_at is not None,
                             u.last_seen_at, u.acked_seq, u.token_hash is not None)
                    for u in s.scalars(select(SyncUnit).order_by(SyncUnit.code))]

    # -- authentication ------------------------------------------------------------------------------------
    def public_key(self, code: str) -> str:
        """The registered key of an enrolled, unrevoked unit. Raises Refusal SYNC_UNKNOWN_UNIT / SYNC_REVOKED."""
        with self.db.read() as s:
            u = s.get(SyncUnit, code)
            if u is None or u.public_key is None:
                raise _refuse(ErrorCode.SYNC_UNKNOWN_UNIT, unit=code)
            if u.revoked_at is not None:
                raise _refuse(ErrorCode.SYNC_REVOKED, unit=code)
            return u.public_key

    def _unit(self, s: Session, code: str, epoch: int | None = None) -> SyncUnit:
        u = s.get(SyncUnit, code)
        if u is None or u.public_key is None:
            raise _refuse(ErrorCode.SYNC_UNKNOWN_UNIT, unit=code)
        if u.revoked_at is not None:
            raise _refuse(ErrorCode.SYNC_REVOKED, unit=code)
        if epoch is not None and epoch != u.epoch:
            raise _refuse(ErrorCode.SYNC_EPOCH, unit=code, epoch=epoch, current=u.epoch)
        return u

    # -- enrolment -----------------------------------------------------------------------------------------
    def enrol(self, code: str, token: str, public_key: str) -> dict[str, Any]:
        """Register the unit's key with its one-time token and start its next epoch. Returns
        {"unit", "epoch", "office", "central_key", "cursor", "snapshot": [change, …]}: the reference data as it
        stands (users, roles, rule sets, rates, tariff, TPS …) and the feed position it was read at.
        Raises Refusal SYNC_BAD_TOKEN (wrong, used or expired: nothing changes)."""
        code = _unit_code(code)
        _check_key(public_key)
        with self.db.write() as s:
            u = s.get(SyncUnit, code)
            if (u is None or u.token_hash is None or not secrets.compare_digest(u.token_hash, token_hash(token))
                    or (u.token_expires_at is not None and u.token_expires_at < self.ctx.now())):
                raise _refuse(ErrorCode.SYNC_BAD_TOKEN, unit=code)
            slot = (s.scalar(select(func.max(SyncUnit.billing_slot))) or 0) + 1
            if slot > MAX_BILLING_SLOTS:
                raise Refusal("every block of e-CD billing codes has been given out; a unit cannot be enrolled",
                              code=ErrorCode.SYNC_BAD_TOKEN, params={"unit": code})
            u.billing_slot = slot  # a new block for every enrolment: a restored unit never reissues a code
            u.token_hash = None
            u.public_key = public_key
            u.epoch += 1
            u.enrolled_at = self.ctx.now()
            u.revoked_at = None
            u.acked_seq = 0
            u.reported_cursor = 0
            cursor = changes.next_seq(s) - 1
            snapshot = []
            for name, f in changes.FLOWS.items():
                if f != changes.DOWN or name not in metadata.tables:
                    continue
                tbl = metadata.tables[name]
                for row in s.execute(select(tbl)).mappings():
                    values = changes.encode_row(tbl, dict(row))
                    snapshot.append({"table": name, "key": changes.key_of(tbl, dict(row)), "op": "insert",
                                     "row": values})
            audit.append(s, self._unit_actor(code), "sync.enrol", "unit", code, {"epoch": u.epoch},
                         now=self.ctx.now())
            epoch = u.epoch
        return {"unit": code, "epoch": epoch, "office": self.ctx.settings.office.code, "billing_slot": slot,
                "central_key": self.central_key(), "cursor": cursor, "snapshot": _order_snapshot(snapshot)}

    def central_key(self) -> str:
        """Central's Ed25519 public key (the office key), base64 raw: it signs the bundles central writes."""
        key = self.ctx.office_key()
        if key is None:
            raise Refusal(code=ErrorCode.AUDIT_KEY_MISSING)
        return key.public_b64

    # -- state, push, pull ---------------------------------------------------------------------------------
    def state(self, code: str, epoch: int) -> dict[str, Any]:
        """What central holds of the unit: {"epoch", "acked_seq", "audit_seq", "audit_hash", "feed_head"}.
        audit_hash is None when central holds nothing of this epoch (audit_seq is then the last entry of any
        earlier epoch, or 0)."""
        with self.db.read() as s:
            u = self._unit(s, code, epoch)
            last = s.execute(select(UnitAuditEntry.seq, UnitAuditEntry.row_hash)
                             .where(UnitAuditEntry.unit_code == code, UnitAuditEntry.epoch == u.epoch)
                             .order_by(UnitAuditEntry.seq.desc()).limit(1)).first()
            if last is None:
                before = s.scalar(select(func.max(UnitAuditEntry.seq)).where(UnitAuditEntry.unit_code == code)) or 0
                audit_seq, audit_h = int(before), None
            else:
                audit_seq, audit_h = int(last.seq), last.row_hash
            head = s.scalar(select(func.max(SyncChange.seq))) or 0
            return {"epoch": u.epoch, "acked_seq": u.acked_seq, "audit_seq": audit_seq, "audit_hash": audit_h,
                    "feed_head": int(head)}

    def push(self, code: str, body: dict[str, Any], *, bundle: tuple[str, str] | None = None) -> PushResult:
        """Apply a unit's audit entries and changes in one transaction; all or nothing.
        body: {"epoch": int, "cursor": int, "audit": [entry, …], "changes": [change, …]} (shapes:
        workstation.sync.unit). Raises Refusal SYNC_EPOCH / SYNC_WRONG_ORIGIN / SYNC_CHAIN_BROKEN /
        SYNC_REVOKED / SYNC_UNKNOWN_UNIT, InputError SYNC_BAD_CHANGE; nothing is applied then. `bundle`
        (bundle id, SHA-256 of its content) records an imported bundle in the same transaction and refuses one
        imported before (SYNC_BUNDLE_REPLAYED)."""
        epoch = _int(body.get("epoch"), "epoch")
        with self.db.write() as s:
            u = self._unit(s, code, epoch)
            if bundle is not None:
                self.record_bundle(s, bundle[0], code, bundle[1], len(body.get("changes") or []))
            received = self._ingest_audit(s, u, body.get("audit") or [])
            applied = dup = conflicts = 0
            acked = u.acked_seq
            parsed = [_change(raw) for raw in body.get("changes") or []]
            for ch in parsed:
                if ch["origin"] != code:
                    raise _refuse(ErrorCode.SYNC_WRONG_ORIGIN, unit=code, origin=ch["origin"])
                if ch["epoch"] != u.epoch:
                    raise _refuse(ErrorCode.SYNC_EPOCH, unit=code, epoch=ch["epoch"], current=u.epoch)
                if changes.flow(ch["table"]) != changes.BOTH:
                    raise _bad(ch["change_id"], f"table {ch['table']} does not flow from units")
            # a batch costs a few reads, whatever its size: the ids central has, the rows the changes touch and
            # what others changed on them; new rows are then written by one COPY (or executemany) per table,
            # other changes one by one, and the feed entries by one COPY
            batch = _Batch(s, code, parsed)
            seq = changes.next_seq(s)  # under the write lock: positions counted on here
            feed: list[dict[str, Any]] = []
            now = self.ctx.now()
            try:
                for ch in parsed:
                    if ch["cid"] in batch.known:
                        dup += 1
                    else:
                        batch.known.add(ch["cid"])
                        name, key = ch["table"], ch["key"]
                        if ch["op"] != "delete" and batch.row(name, key) is None:
                            # the common case, a row central does not have: queued, its feed entry is the row as
                            # sent (its canonical text and hash were checked by _change)
                            theirs = ch["row"]
                            try:
                                batch.insert(name, theirs, ch["change_id"], ch["text"])
                            except (KeyError, ValueError, TypeError, AttributeError) as exc:
                                raise _bad(ch["change_id"], f"row does not fit table {name}: {exc}") from None
                            batch.rows[(name, key)] = theirs
                            outcome = "applied"
                            entry = dict(change_id=ch["cid"], txn_id=ch["tid"], origin=ch["origin"],
                                         epoch=ch["epoch"], table_name=name, row_key=key, op="insert",
                                         changed=_columns_text(theirs), base_seq=ch["base_seq"], row=ch["text"],
                                         row_hash=ch["row_hash"], created_at=now, acked_at=now)
                        else:
                            outcome, entry = self._apply(s, ch, batch)
                        entry["seq"] = seq
                        seq += 1
                        feed.append(entry)
                        applied += 1
                        conflicts += outcome == "conflict"
                    acked = max(acked, ch["seq"])
                batch.flush()
            except changes.BadRow as exc:
                raise _bad(str(exc.tag), f"row does not fit its table: {exc.reason}") from None
            if feed:
                if self.db.backend == "postgresql":
                    changes.copy_rows(s, "sync_changes", FEED_COLUMNS, [_feed_line(e) for e in feed])
                else:
                    for e in feed:
                        e["change_id"], e["txn_id"] = uuid.UUID(e["change_id"]), uuid.UUID(e["txn_id"])
                    s.execute(insert(SyncChange), feed)
            u.acked_seq = acked
            u.reported_cursor = max(u.reported_cursor, _int(body.get("cursor", 0), "cursor"))
            u.last_seen_at = self.ctx.now()
            if applied or received:
                audit.append(s, self._unit_actor(code), "sync.push", "unit", code,
                             {"applied": applied, "duplicates": dup, "conflicts": conflicts, "audit": received},
                             now=self.ctx.now())
        return PushResult(applied, dup, conflicts, acked, received)

    def pull(self, code: str, epoch: int, after: int, limit: int = PULL_LIMIT) -> dict[str, Any]:
        """Central's change feed after position `after`, in commit order: {"changes": [...], "next": int,
        "more": bool}. Positions are gapless and assigned under the write lock, so nothing committed later can
        appear below one already read."""
        return json.loads(self.pull_text(code, epoch, after, limit))

    def pull_text(self, code: str, epoch: int, after: int, limit: int = PULL_LIMIT) -> str:
        """`pull` as the JSON text that travels, put together from the stored texts of the rows (canonical
        JSON already): no row is parsed and written again."""
        limit = max(1, min(limit, PULL_LIMIT))
        with self.db.read() as s:
            self._unit(s, code, epoch)
            # the page's entries put together by the database (db.changes.entry_text_column); on PostgreSQL
            # joined there too: one value comes back, whatever the page's size
            page = (select(SyncChange.seq, changes.entry_text_column(s))
                    .where(SyncChange.seq > after).order_by(SyncChange.seq).limit(limit))
            if self.db.backend == "postgresql":
                from sqlalchemy.dialects.postgresql import aggregate_order_by

                sub = page.subquery()
                texts, last, count, made = s.execute(select(
                    func.string_agg(sub.c.text, aggregate_order_by(literal(","), sub.c.seq)),
                    func.max(sub.c.seq), func.count(), func.count(sub.c.text))).one()
                if count != made:  # string_agg would skip an entry it could not put together (a NULL column)
                    raise RuntimeError(f"feed entries after {after} could not be put together")
            else:
                found = s.execute(page).all()
                texts, last = ",".join(r.text for r in found), (found[-1].seq if found else None)
            if last is None:
                texts, nxt, more = "", after, False
            else:
                nxt = int(last)
                more = s.scalar(select(SyncChange.seq).where(SyncChange.seq > nxt).limit(1)) is not None
        return '{"changes":[' + (texts or "") + f'],"next":{int(nxt)},"more":' + ("true" if more else "false") + "}"

    # -- internals -----------------------------------------------------------------------------------------
    def _ingest_audit(self, s: Session, u: SyncUnit, entries: list[Any]) -> int:
        last = s.execute(select(UnitAuditEntry.seq, UnitAuditEntry.row_hash)
                         .where(UnitAuditEntry.unit_code == u.code, UnitAuditEntry.epoch == u.epoch)
                         .order_by(UnitAuditEntry.seq.desc()).limit(1)).first()
        head_seq, head_hash = (int(last.seq), last.row_hash) if last else (None, None)
        received = 0
        for e in entries:
            if not isinstance(e, dict):
                raise _refuse(ErrorCode.SYNC_CHAIN_BROKEN, unit=u.code, seq="?")
            try:
                seq = int(e["seq"])
                ok = entry_hash(e) == e["row_hash"]
            except (KeyError, TypeError, ValueError):
                raise _refuse(ErrorCode.SYNC_CHAIN_BROKEN, unit=u.code, seq=e.get("seq", "?")) from None
            if not ok:
                raise _refuse(ErrorCode.SYNC_CHAIN_BROKEN, unit=u.code, seq=seq)
            if head_seq is not None and seq <= head_seq:
                stored = s.scalar(select(UnitAuditEntry.row_hash).where(
                    UnitAuditEntry.unit_code == u.code, UnitAuditEntry.epoch == u.epoch, UnitAuditEntry.seq == seq))
                if stored != e["row_hash"]:
                    raise _refuse(ErrorCode.SYNC_CHAIN_BROKEN, unit=u.code, seq=seq)
                continue  # sent again after a lost reply
            if head_seq is not None and (seq != head_seq + 1 or e["prev_hash"] != head_hash):
                raise _refuse(ErrorCode.SYNC_CHAIN_BROKEN, unit=u.code, seq=seq)
            s.execute(insert(UnitAuditEntry).values(unit_code=u.code, epoch=u.epoch, seq=seq,
                                                    entry=canonical_json(e), prev_hash=e["prev_hash"],
                                                    row_hash=e["row_hash"], received_at=self.ctx.now()))
            head_seq, head_hash = seq, e["row_hash"]
            received += 1
        return received

    def _apply(self, s: Session, ch: dict[str, Any], batch: _Batch) -> tuple[str, dict[str, Any]]:
        """Apply one change (rules in the module's docstring); returns (applied | conflict, its feed entry
        without its position)."""
        name = ch["table"]
        tbl = changes.table(name)
        key = ch["key"]
        theirs: dict[str, Any] = ch["row"]
        try:
            changes.decode_row(tbl, theirs)
            current = batch.row(name, key)
        except (KeyError, ValueError, TypeError) as exc:
            raise _bad(ch["change_id"], f"row does not fit table {name}: {exc}") from None
        ignore = {"updated_at", VERSIONED.get(name, "")}
        collide: set[str] = set()
        applied: set[str] = set()
        after: dict[str, Any] | None = current
        if current is None:
            if ch["op"] != "delete":
                batch.insert(name, theirs)  # sent with the run of inserts into this table (executemany)
                applied, after = set(theirs), dict(theirs)
        elif name in changes.APPEND_ONLY:
            local = changes.COPY_LOCAL.get(name, frozenset())
            collide = {k for k in theirs if k not in local and current.get(k) != theirs[k]}
        elif ch["op"] == "delete":
            since = batch.changed_since(name, key, ch["base_seq"])
            if since:
                collide = since
            else:
                batch.flush()
                changes.delete_row(s, tbl, key)
                after = None
        else:
            wanted = {k for k in (ch["changed"] if ch["op"] == "update" else theirs) if k in theirs} - ignore
            wanted = {k for k in wanted if current.get(k) != theirs[k]}
            collide = wanted & batch.changed_since(name, key, ch["base_seq"])
            kind = current.get("kind")
            if (name == "cases" and "state" in collide
                    and stage_rank(kind, theirs.get("state")) > stage_rank(kind, current.get("state"))):
                collide.discard("state")  # a later stage wins
            applied = wanted - collide
            if applied:
                values = {k: theirs[k] for k in applied}
                if "updated_at" in theirs:
                    values["updated_at"] = theirs["updated_at"]
                if name in VERSIONED:
                    vcol = VERSIONED[name]
                    values[vcol] = int(current.get(vcol) or 0) + 1  # central's online writers lock on this
                after = {**current, **values}
                batch.flush()
                changes.write_row(s, tbl, key, current, after)
        if collide:
            s.add(SyncConflict(change_id=uuid.UUID(ch["cid"]), origin=ch["origin"], table_name=name, row_key=key,
                               fields=canonical_json(sorted(collide)), theirs=canonical_json(theirs),
                               ours=canonical_json(current), detected_at=self.ctx.now()))
            s.flush()
        batch.rows[(name, key)] = after
        text = canonical_json(after if after is not None else {})
        op = "delete" if after is None else "insert" if current is None else "update"
        now = self.ctx.now()
        entry = dict(change_id=ch["cid"], txn_id=ch["tid"], origin=ch["origin"], epoch=ch["epoch"],
                     table_name=name, row_key=key, op=op, changed=canonical_json(sorted(applied)),
                     base_seq=ch["base_seq"], row=text, row_hash=changes.row_digest(text), created_at=now,
                     acked_at=now)
        return ("conflict" if collide else "applied"), entry

    # -- bundles and review --------------------------------------------------------------------------------
    def record_bundle(self, s: Session, bundle_id: str, origin: str, digest: str, count: int) -> None:
        """Refuse a bundle imported before (by id or content); record this one in the caller's transaction."""
        bid = uuid.UUID(bundle_id)
        if s.get(SyncBundle, bid) is not None or s.scalar(select(SyncBundle.bundle_id).where(
                SyncBundle.sha256 == digest)) is not None:
            raise _refuse(ErrorCode.SYNC_BUNDLE_REPLAYED, bundle=bundle_id)
        s.add(SyncBundle(bundle_id=bid, origin=origin, sha256=digest, imported_at=self.ctx.now(), changes=count))
        s.flush()

    def bundle_for(self, code: str) -> dict[str, Any]:
        """A signed bundle for a unit without network: what central holds of it (acknowledgements) and the
        feed after the position the unit last reported. Raises Refusal AUDIT_KEY_MISSING (no office key)."""
        from workstation.sync import protocol

        key = self.ctx.office_key()
        if key is None:
            raise Refusal(code=ErrorCode.AUDIT_KEY_MISSING)
        code = _unit_code(code)
        with self.db.read() as s:
            u = self._unit(s, code)
            epoch, after, acked = u.epoch, u.reported_cursor, u.acked_seq
        st = self.state(code, epoch)
        entries: list[dict[str, Any]] = []
        nxt = after
        while True:
            page = self.pull(code, epoch, nxt)
            entries.extend(page["changes"])
            nxt = page["next"]
            if not page["more"]:
                break
        bundle: dict[str, Any] = {
            "format": protocol.BUNDLE_FORMAT, "bundle_id": str(uuid.uuid4()), "kind": "central", "unit": code,
            "epoch": epoch, "created_at": self.ctx.now().isoformat(),
            "payload": {"acked_seq": acked, "audit_seq": st["audit_seq"] if st["audit_hash"] else 0,
                        "changes": entries, "next": nxt}}
        bundle["signature"] = protocol.sign(key.private_key, protocol.bundle_message(bundle))
        return bundle

    def import_bundle(self, bundle: dict[str, Any]) -> PushResult:
        """Apply a unit's signed bundle (as a push). Raises Refusal SYNC_BUNDLE_TAMPERED (signature, or not a
        unit's bundle), SYNC_BUNDLE_REPLAYED, and what push raises; nothing is applied then."""
        from workstation.sync import protocol

        code = str(bundle.get("unit") or "")
        if bundle.get("kind") != "unit" or not code:
            raise _refuse(ErrorCode.SYNC_BUNDLE_TAMPERED, unit=code or "?")
        key = self.public_key(code)
        message = protocol.bundle_message(bundle)
        if not protocol.verify(key, message, str(bundle.get("signature", ""))):
            raise _refuse(ErrorCode.SYNC_BUNDLE_TAMPERED, unit=code)
        payload = bundle.get("payload")
        if not isinstance(payload, dict) or payload.get("epoch") != bundle.get("epoch"):
            raise _refuse(ErrorCode.SYNC_BUNDLE_TAMPERED, unit=code)
        return self.push(code, payload, bundle=(str(bundle.get("bundle_id")), hashlib.sha256(message).hexdigest()))

    def open_conflicts(self, limit: int = 200) -> list[SyncConflict]:
        with self.db.read() as s:
            return list(s.scalars(select(SyncConflict).where(SyncConflict.resolved_at.is_(None))
                                  .order_by(SyncConflict.detected_at).limit(limit)))

    def resolve_conflict(self, actor: Actor, conflict_id: Any, resolution: str) -> None:
        """A supervisor marks a conflict reviewed, with what was done about it (audited)."""
        require_role(actor, Role.SUPERVISOR, action="sync.resolve")
        text = resolution.strip()
        if not text:
            raise InputError(field="resolution", code=ErrorCode.REQUIRED)
        with self.db.write() as s:
            c = s.get(SyncConflict, conflict_id)
            if c is None:
                raise NotFound(code=ErrorCode.UNKNOWN_CASE, params={"value": str(conflict_id)})
            if c.resolved_at is not None:
                raise Refusal(code=ErrorCode.ALREADY_DONE)
            c.resolved_at, c.resolved_by, c.resolution = self.ctx.now(), actor.login, text[:500]
            audit.append(s, actor.audit, "sync.conflict_resolve", "sync_conflict", c.id, {"resolution": text[:500]},
                         now=self.ctx.now())

    def verify_unit_chains(self) -> list[tuple[str, int, int, str | None]]:
        """Every unit's chain as central holds it: [(unit, epoch, entries, problem or None)]."""
        out = []
        with self.db.read() as s:
            keys = s.execute(select(UnitAuditEntry.unit_code, UnitAuditEntry.epoch).distinct()
                             .order_by(UnitAuditEntry.unit_code, UnitAuditEntry.epoch)).all()
            for code, epoch in keys:
                prev: tuple[int, str] | None = None
                count, problem = 0, None
                for r in s.execute(select(UnitAuditEntry).where(UnitAuditEntry.unit_code == code,
                                                                UnitAuditEntry.epoch == epoch)
                                   .order_by(UnitAuditEntry.seq)).scalars():
                    try:
                        e = json.loads(r.entry)
                        good = entry_hash(e) == r.row_hash == e["row_hash"] and int(e["seq"]) == r.seq
                    except (KeyError, TypeError, ValueError):
                        good = False
                    if not good:
                        problem = f"entry #{r.seq} does not match its hash"
                    elif prev is not None and (r.seq != prev[0] + 1 or r.prev_hash != prev[1]):
                        problem = f"entry #{r.seq} does not follow #{prev[0]}"
                    if problem:
                        break
                    prev = (r.seq, r.row_hash)
                    count += 1
                out.append((code, epoch, count, problem))
        return out


class _Batch(changes.RowCache):
    """What one push reads up front: the change ids central already has, the current rows the changes touch
    (db.changes.RowCache: kept up to date as the batch applies, new rows written together) and for each row the
    columns other writers changed after a position (their feed entries)."""

    def __init__(self, s: Session, origin: str, parsed: list[dict[str, Any]]):
        super().__init__(s)
        ids = [ch["cid"] for ch in parsed]
        self.known: set[str] = set()  # change ids as text (_change normalises them)
        for i in range(0, len(ids), self.CHUNK):
            self.known.update(str(x) for x in s.scalars(select(SyncChange.change_id).where(
                changes.any_of(s, SyncChange.change_id, ids[i:i + self.CHUNK]))))
        self.preload((ch["table"], ch["key"]) for ch in parsed)
        # others' changes to these rows after the earliest position any change of the batch had seen. Not needed
        # for a row central does not have that the batch only inserts, once (the common case): nothing asks.
        self.others: dict[tuple[str, str], list[tuple[int, list[str]]]] = {}
        if parsed:
            low = min(ch["base_seq"] for ch in parsed)
            count: dict[tuple[str, str], int] = {}
            need: set[tuple[str, str]] = set()
            for ch in parsed:
                pair = (ch["table"], ch["key"])
                count[pair] = count.get(pair, 0) + 1
                if ch["op"] != "insert" or self.rows[pair] is not None:
                    need.add(pair)
            need.update(pair for pair, n in count.items() if n > 1)
            by_table: dict[str, list[str]] = {}
            for t, k in need:
                by_table.setdefault(t, []).append(k)
            for t, keys in by_table.items():
                keys.sort()
                for i in range(0, len(keys), self.CHUNK):
                    for k, seq, changed in s.execute(
                            select(SyncChange.row_key, SyncChange.seq, SyncChange.changed)
                            .where(SyncChange.table_name == t,
                                   changes.any_of(s, SyncChange.row_key, keys[i:i + self.CHUNK]),
                                   SyncChange.seq > low, SyncChange.origin != origin)):
                        self.others.setdefault((t, k), []).append((seq, json.loads(changed)))

    def changed_since(self, name: str, key: str, base_seq: int) -> set[str]:
        cols: set[str] = set()
        for seq, changed in self.others.get((name, key), ()):
            if seq > base_seq:
                cols.update(changed)
        return cols


FEED_COLUMNS = tuple(c.name for c in SyncChange.__table__.columns)
_COLUMNS_TEXT: dict[tuple[str, ...], str] = {}


def _columns_text(row: dict[str, Any]) -> str:
    """canonical_json of the sorted column names of a row (one text per shape of row, remembered)."""
    names = tuple(row)
    text = _COLUMNS_TEXT.get(names)
    if text is None:
        text = _COLUMNS_TEXT[names] = canonical_json(sorted(names))
    return text


def _feed_line(e: dict[str, Any]) -> str:
    """A feed entry (FEED_COLUMNS) as a line of COPY's text format. Ids are checked UUID text, numbers checked
    integers, times aware (UTC text); origin (the pushing unit's code), table (a known table), op (one of
    three words) and row_hash (hex digits: compared with or made by SHA-256) are checked before and need no
    escape; the key and the JSON texts are escaped."""
    f = changes.copy_field
    created = _time_text(e["created_at"])
    acked = created if e["acked_at"] is e["created_at"] else _time_text(e["acked_at"])
    return (f"{int(e['seq'])}\t{e['change_id']}\t{e['txn_id']}\t{e['origin']}\t{int(e['epoch'])}\t"
            f"{e['table_name']}\t{f(e['row_key'])}\t{e['op']}\t{f(e['changed'])}\t{int(e['base_seq'])}\t"
            f"{f(e['row'])}\t{e['row_hash']}\t{created}\t{acked}\n")


_TIME_TEXT: dict[dt.datetime, str] = {}


def _time_text(value: dt.datetime) -> str:
    """A time as COPY takes it (UTC ISO text); a push has one `now`, so the last few are remembered."""
    text = _TIME_TEXT.get(value)
    if text is None:
        if len(_TIME_TEXT) > 16:
            _TIME_TEXT.clear()
        text = _TIME_TEXT[value] = changes.encode_value(value)
    return text


def feed_entry(r: Any) -> dict[str, Any]:
    """One feed entry as it travels, from a SyncChange (or a db.changes.ENTRY_COLUMNS row)."""
    return json.loads(changes.entry_text(r))


def _order_snapshot(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Parents before children (foreign keys): the metadata's dependency order."""
    order = {t.name: i for i, t in enumerate(metadata.sorted_tables)}
    return sorted(entries, key=lambda e: order.get(e["table"], 0))


def _unit_code(code: str) -> str:
    code = (code or "").strip().upper()
    if not code or len(code) > 6 or not code.isalnum():
        raise InputError(field="code", code=ErrorCode.PATTERN,
                         params={"pattern": "1-6 letters or digits", "value": code[:20]})
    return code


def _check_key(public_key: str) -> None:
    try:
        raw = base64.b64decode(public_key, validate=True)
    except (ValueError, TypeError):
        raw = b""
    if len(raw) != 32:
        raise InputError(field="public_key", code=ErrorCode.INVALID_VALUE,
                         params={"reason": "not a base64 Ed25519 public key"})


def _int(value: Any, name: str) -> int:
    if type(value) is not int:  # (JSON gives int or bool: a bool is refused)
        raise InputError(field=name, code=ErrorCode.NOT_WHOLE_NUMBER)
    return value


def _change(raw: Any) -> dict[str, Any]:
    """Check the shape of one change as it travels; returns it with parsed ids and its row's canonical text."""
    if not isinstance(raw, dict):
        raise _bad("?", "not an object")
    cid = str(raw.get("change_id", "?"))[:40]
    try:
        out = dict(raw)
        out["cid"] = changes.uuid_norm(cid)  # the ids as text in their usual form
        out["tid"] = changes.uuid_norm(str(raw["txn_id"]))
        for k in ("seq", "epoch", "base_seq"):
            out[k] = _int(raw[k], k)
        if raw["op"] not in ("insert", "update", "delete"):
            raise ValueError("bad op")
        if raw["table"] not in metadata.tables or not isinstance(raw["row"], dict):
            raise ValueError("unknown table or row")
        if not isinstance(raw["changed"], list) or not isinstance(raw["key"], str) or not isinstance(raw["origin"], str):
            raise ValueError("bad fields")
        if "\x00" in raw["key"]:  # no database text holds NUL
            raise ValueError("a NUL character in the key")
        text = changes.row_text(raw["row"])
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != raw["row_hash"]:
            raise ValueError("row does not match its hash")
        out["text"] = text
    except (KeyError, ValueError, TypeError, InputError) as exc:
        raise _bad(cid, str(exc) or type(exc).__name__) from None
    return out
