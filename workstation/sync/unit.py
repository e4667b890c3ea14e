"""The field unit's side of the sync: enrol, push then pull, status, and bundles for a link without network.

Order and durability (issue #14):
- push first: pending changes are sent in outbox order; central applies each at most once and answers with the
  outbox position it holds up to (`acked_seq`); only then, in a local transaction, are they marked acknowledged.
  A reply lost on the way is harmless: the next push sends them again and central answers "already applied";
- then pull: each page of central's feed is applied and the cursor saved in ONE local transaction; a row with
  local changes not yet acknowledged is left alone (its push comes back merged on a later pull);
- a killed process loses at most the transaction it was in; the next run starts from what is stored.

Failpoints (tests): set WORKSTATION_SYNC_FAILPOINT to one of FAILPOINTS and the process kills itself there
with SIGKILL, as a power cut would.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import itertools
import json
import os
import signal
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from db import audit, changes
from db.audit import AuditActor
from db.engine import bulk_page_cache
from db.models import AuditEntry, Case, User
from db.models_sync import SyncBundle, SyncChange, SyncNode
from db.schema import metadata
from workstation.domain.canonical import canonical_json
from workstation.domain.errors import ErrorCode
from workstation.errors import InputError, Refusal
from workstation.services.base import ServiceContext
from workstation.sync import protocol

PUSH_BATCH = 500
AUDIT_BATCH = 2000
PULL_PAGE = 5000  # as many as central gives (central.PULL_LIMIT)
FAILPOINTS = ("before_send", "after_send", "after_reply", "mid_pull", "after_apply")


def failpoint(name: str) -> None:
    if os.environ.get("WORKSTATION_SYNC_FAILPOINT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


class Transport(Protocol):
    """How a unit reaches central: HTTP (workstation.sync.client) or in process (tests)."""

    def enrol(self, token: str, public_key: str) -> dict[str, Any]: ...
    def state(self, epoch: int) -> dict[str, Any]: ...
    def push(self, body: dict[str, Any] | str) -> dict[str, Any]: ...  # str: the body's JSON text
    def pull(self, epoch: int, after: int, limit: int) -> dict[str, Any]: ...


@dataclass(frozen=True)
class SyncSummary:
    pushed: int
    pulled: int
    conflicts: int
    pending: int
    skipped: int = 0  # pulled rows left alone because local changes to them are not acknowledged yet

    def as_json(self) -> dict[str, int]:
        return {"pushed": self.pushed, "pulled": self.pulled, "conflicts": self.conflicts, "pending": self.pending}


@dataclass(frozen=True)
class SyncStatus:
    role: str | None
    unit: str | None
    epoch: int
    server: str | None
    pending: int
    cursor: int
    last_sync_at: dt.datetime | None
    last_result: str
    conflicts: int

    def as_json(self) -> dict[str, Any]:
        return {"role": self.role, "unit": self.unit, "epoch": self.epoch, "server": self.server,
                "pending": self.pending, "cursor": self.cursor,
                "last_sync_at": self.last_sync_at.isoformat() if self.last_sync_at else None,
                "last_result": self.last_result, "open_conflicts": self.conflicts}


Progress = Callable[[str, int, int], None]  # (phase, done, total)


def status(ctx: ServiceContext) -> SyncStatus:
    """This database's part in the sync (any role), for `sync status` and the status bar."""
    from db.models_sync import SyncConflict

    with ctx.db.read() as s:
        me = s.get(SyncNode, 1)
        # a unit's outbox (index-bounded); central's own changes are never "pending"
        pending = s.scalar(select(func.count()).select_from(SyncChange).where(SyncChange.acked_at.is_(None))) \
            if me is not None and me.role == "unit" else 0
        conflicts = s.scalar(select(func.count()).select_from(SyncConflict)
                             .where(SyncConflict.resolved_at.is_(None))) or 0
        if me is None:
            return SyncStatus(None, None, 0, None, 0, 0, None, "", 0)
        # central: its feed's head; a unit: the feed position it has pulled up to
        cursor = me.pull_cursor if me.role == "unit" else int(s.scalar(select(func.max(SyncChange.seq))) or 0)
        return SyncStatus(me.role, me.unit_code, me.epoch, me.server_url,
                          int(pending or 0) if me.role == "unit" else 0, cursor, me.last_sync_at, me.last_result,
                          int(conflicts))


class UnitSync:
    def __init__(self, ctx: ServiceContext):
        self.ctx = ctx
        self.db = ctx.db

    # -- identity --------------------------------------------------------------------------------------------
    def node(self) -> SyncNode:
        with self.db.read() as s:
            me = s.get(SyncNode, 1)
        if me is None or me.role != "unit" or not me.unit_code:
            raise Refusal(code=ErrorCode.SYNC_NOT_ENROLLED)
        return me

    def key(self, unit: str):
        return protocol.load_or_create_key(protocol.key_path(self.ctx.settings.data_dir, unit))

    def _actor(self, unit: str) -> AuditActor:
        return AuditActor(None, f"sync:{unit}"[:32], None, self.ctx.settings.office.code, unit)

    def enrol(self, transport: Transport, token: str, server_url: str | None) -> dict[str, Any]:
        """Enrol this database as the unit the token names: register a new key, take the reference data and
        the feed position. A database holding cases or users of its own cannot be enrolled (they would clash
        with central's); the same unit may enrol again (a new epoch). Raises InputError (token shape),
        Refusal SYNC_ALREADY_ENROLLED / SYNC_BAD_TOKEN (from central)."""
        try:
            code, _secret = protocol.split_token(token)
        except ValueError as exc:
            raise InputError(str(exc), field="enrol", code=ErrorCode.INVALID_VALUE,
                             params={"reason": str(exc)}) from None
        with self.db.read() as s:
            me = s.get(SyncNode, 1)
            if me is not None and (me.role != "unit" or me.unit_code != code):
                raise Refusal(code=ErrorCode.SYNC_ALREADY_ENROLLED, params={"unit": me.unit_code or me.role})
            if me is None and (s.scalar(select(func.count()).select_from(Case)) or
                               s.scalar(select(func.count()).select_from(User))):
                raise Refusal("enrol a new database: this one already holds users or cases of its own",
                              code=ErrorCode.SYNC_ALREADY_ENROLLED, params={"unit": "-"})
        key = self.key(code)
        answer = transport.enrol(token, protocol.public_b64(key))
        with self.db.write() as s:
            me = s.get(SyncNode, 1)
            if me is None:
                me = SyncNode(id=1, role="unit", unit_code=code, epoch=0, pull_cursor=0, last_result="",
                              enrolled_at=self.ctx.now())
                s.add(me)
            me.epoch = int(answer["epoch"])
            me.office_code = answer.get("office")
            me.public_key = protocol.public_b64(key)
            me.central_key = answer.get("central_key")
            me.server_url = server_url
            me.pull_cursor = int(answer["cursor"])
            me.billing_slot = answer.get("billing_slot")
            s.flush()
            for entry in answer.get("snapshot") or []:
                tbl = _table(entry)
                changes.upsert_row(s, tbl, entry["key"], entry["row"])
            audit.append(s, self._actor(code), "sync.enrol", "unit", code,
                         {"epoch": me.epoch, "reference_rows": len(answer.get("snapshot") or [])}, now=self.ctx.now())
        return {"unit": code, "epoch": int(answer["epoch"]), "reference_rows": len(answer.get("snapshot") or [])}

    # -- push then pull --------------------------------------------------------------------------------------
    def sync(self, transport: Transport, progress: Progress | None = None) -> SyncSummary:
        """Push every pending change, then pull central's feed to its end. Raises Refusal (central refused;
        nothing of that push was applied) and the transport's SYNC_UNREACHABLE (nothing lost)."""
        me = self.node()
        self._anchor()
        pushed, conflicts = self._push(transport, me, progress)
        pulled, skipped = self._pull(transport, me, progress)
        pending = self._pending_count()
        self._record(f"pushed {pushed}, pulled {pulled}, conflicts {conflicts}, pending {pending}")
        return SyncSummary(pushed, pulled, conflicts, pending, skipped)

    def _anchor(self) -> None:
        """Anchor the audit chain's head at every sync (#9), where this machine has the office key."""
        key = self.ctx.office_key()
        if key is None:
            return
        with self.db.write() as s:
            audit.anchor(s, key, "sync", self.ctx.now())

    def _pending_count(self) -> int:
        with self.db.read() as s:
            return int(s.scalar(select(func.count()).select_from(SyncChange)
                                .where(SyncChange.acked_at.is_(None))) or 0)

    def _record(self, result: str) -> None:
        with self.db.write() as s:
            me = s.get(SyncNode, 1)
            if me is not None:
                me.last_sync_at = self.ctx.now()
                me.last_result = result[:300]

    def push_body(self, me: SyncNode, state: dict[str, Any] | None, *, limit: int = PUSH_BATCH,
                  after_seq: int = 0) -> tuple[dict[str, Any], int]:
        """The next push: audit entries central lacks and up to `limit` pending changes after `after_seq`.
        Returns (body, highest outbox position in it). Raises Refusal SYNC_CHAIN_BROKEN when this chain does
        not continue what central holds (the store was restored from a backup: re-enrol)."""
        entries, rows = self._outgoing(me, state, limit, after_seq)
        body = {"epoch": me.epoch, "cursor": me.pull_cursor, "audit": entries,
                "changes": [_outbox_entry(r) for r in rows]}
        return body, (rows[-1].seq if rows else after_seq)

    def _outgoing(self, me: SyncNode, state: dict[str, Any] | None, limit: int,
                  after_seq: int) -> tuple[list[dict[str, Any]], list[Any]]:
        """push_body's audit entries and outbox rows (db.changes.ENTRY_COLUMNS)."""
        with self.db.read() as s:
            head = s.execute(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1)).scalar() or 0
            if state is None:  # a bundle: from what central confirmed last
                start = min(int(me.audit_acked or 0), head)
            elif state.get("audit_hash") is None:
                start = min(int(state.get("audit_seq") or 0), head)
            else:
                start = int(state["audit_seq"])
                mine = s.scalar(select(AuditEntry.row_hash).where(AuditEntry.seq == start))
                if mine != state["audit_hash"]:
                    raise Refusal(code=ErrorCode.SYNC_CHAIN_BROKEN, params={"unit": me.unit_code, "seq": start})
            entries = [_audit_json(r) for r in s.execute(
                select(*metadata.tables["audit_log"].columns).where(AuditEntry.seq > start)
                .order_by(AuditEntry.seq).limit(AUDIT_BATCH))]
            pending = select(*changes.ENTRY_COLUMNS).where(SyncChange.acked_at.is_(None)).order_by(SyncChange.seq)
            rows: list[Any] = list(s.execute(pending.where(SyncChange.seq > after_seq).limit(limit)).all())
            # never end a batch inside one of this unit's transactions (its entries are consecutive): central
            # would otherwise hold half of it for a while, e.g. a case without its decision
            while rows and len(rows) >= limit:  # (the rest of a transaction is read a little at a time)
                more = s.execute(pending.where(SyncChange.seq > rows[-1].seq).limit(min(limit, 64))).all()
                same = list(itertools.takewhile(lambda r, t=rows[-1].txn_id: r.txn_id == t, more))  # type: ignore[misc]
                rows = [*rows, *same]
                if len(same) < len(more) or not more:
                    break
        return entries, rows

    def _push(self, transport: Transport, me: SyncNode, progress: Progress | None) -> tuple[int, int]:
        state = transport.state(me.epoch)
        self._ack(int(state.get("acked_seq") or 0))  # what central holds already (a reply lost last time)
        total = self._pending_count()
        pushed = conflicts = 0
        after = 0
        # what central has answered for, marked here once at the end (or when a later batch fails): one local
        # write transaction per push instead of one per batch. Only answered changes are marked; a process
        # killed before that sends them again and central answers "already applied" (its state says so first).
        acked, audit_seq = 0, None
        # the next batch is read and put together while central applies this one (read-only here: nothing is
        # marked until the answers are in); batches still go one at a time, in outbox order
        with _read_ahead("sync-push") as ahead:
            try:
                nxt = ahead.submit(self._batch, me, state, after)
                while True:
                    entries, rows, body = nxt.result()
                    if not rows and not entries:
                        break
                    after = rows[-1].seq if rows else after
                    if entries:  # central holds the chain up to the last entry sent once this batch is answered
                        state = {**state, "audit_seq": int(entries[-1]["seq"]), "audit_hash": entries[-1]["row_hash"]}
                    nxt = ahead.submit(self._batch, me, state, after)
                    failpoint("before_send")
                    reply = transport.push(body)
                    failpoint("after_send")
                    acked = max(acked, int(reply.get("acked_seq") or 0))
                    failpoint("after_reply")
                    if entries:
                        audit_seq = int(entries[-1]["seq"])
                    pushed += len(rows)
                    conflicts += int(reply.get("conflicts") or 0)
                    if progress:
                        progress("push", pushed, total)
            finally:
                self._ack(acked, audit_seq=audit_seq)
        return pushed, conflicts

    def _batch(self, me: SyncNode, state: dict[str, Any], after: int) -> tuple[list[dict[str, Any]], list[Any], str]:
        """The next push batch after outbox position `after`: (audit entries, outbox rows, the body's text)."""
        entries, rows = self._outgoing(me, state, PUSH_BATCH, after)
        return entries, rows, _push_text(me, entries, rows)  # no row parsed and written again

    def _ack(self, acked_seq: int, *, audit_seq: int | None = None) -> None:
        """Mark what central holds: outbox entries up to `acked_seq`, audit entries up to `audit_seq`."""
        if acked_seq <= 0 and audit_seq is None:
            return
        with self.db.write() as s:
            if acked_seq > 0:
                s.execute(update(SyncChange).where(SyncChange.acked_at.is_(None), SyncChange.seq <= acked_seq)
                          .values(acked_at=self.ctx.now()))
            if audit_seq is not None:
                s.execute(update(SyncNode).where(SyncNode.id == 1).values(audit_acked=audit_seq))

    def _pull(self, transport: Transport, me: SyncNode, progress: Progress | None) -> tuple[int, int]:
        pulled = skipped = 0
        cursor = self.node().pull_cursor
        # the next page travels while this one is applied: reading the feed changes nothing at central, and
        # the pages are still applied in order, each with its cursor in one local transaction
        with _read_ahead("sync-pull") as ahead:
            nxt = ahead.submit(transport.pull, me.epoch, cursor, PULL_PAGE)
            while True:
                page = nxt.result()
                failpoint("mid_pull")
                entries = page.get("changes") or []
                after = int(page.get("next") or cursor)
                more = bool(page.get("more"))
                if more:
                    nxt = ahead.submit(transport.pull, me.epoch, after, PULL_PAGE)
                with self.db.write() as s:
                    bulk_page_cache(s)
                    applied, left = apply_feed(s, entries)
                    failpoint("after_apply")
                    s.execute(update(SyncNode).where(SyncNode.id == 1).values(pull_cursor=after))
                pulled += applied
                skipped += left
                cursor = after
                if progress:
                    progress("pull", pulled, pulled + (PULL_PAGE if more else 0))
                if not more:
                    break
        return pulled, skipped

    # -- bundles -----------------------------------------------------------------------------------------------
    def export_bundle(self, path: Path) -> dict[str, Any]:
        """Write every pending change and the audit entries since the last sync to a signed bundle file."""
        me = self.node()
        body, _ = self.push_body(me, None, limit=10**9)
        bundle = {"format": protocol.BUNDLE_FORMAT, "bundle_id": str(uuid.uuid4()), "kind": "unit",
                  "unit": me.unit_code, "epoch": me.epoch, "created_at": self.ctx.now().isoformat(),
                  "payload": body}
        bundle["signature"] = protocol.sign(self.key(me.unit_code or ""), protocol.bundle_message(bundle))
        _write_atomically(path, canonical_json(bundle))
        return {"changes": len(body["changes"]), "audit": len(body["audit"])}

    def import_bundle(self, bundle: dict[str, Any]) -> SyncSummary:
        """Apply central's bundle for this unit: acknowledgements, then its feed, then the cursor — one
        transaction. Raises Refusal SYNC_BUNDLE_TAMPERED (signature), SYNC_BUNDLE_REPLAYED (imported before)."""
        me = self.node()
        if bundle.get("kind") != "central" or bundle.get("unit") != me.unit_code:
            raise Refusal(code=ErrorCode.SYNC_BUNDLE_TAMPERED, params={"unit": "central"})
        if not me.central_key or not protocol.verify(me.central_key, protocol.bundle_message(bundle),
                                                     str(bundle.get("signature", ""))):
            raise Refusal(code=ErrorCode.SYNC_BUNDLE_TAMPERED, params={"unit": "central"})
        payload = bundle["payload"]
        digest = hashlib.sha256(protocol.bundle_message(bundle)).hexdigest()
        with self.db.write() as s:
            bulk_page_cache(s)
            bid = uuid.UUID(str(bundle["bundle_id"]))
            if s.get(SyncBundle, bid) is not None:
                raise Refusal(code=ErrorCode.SYNC_BUNDLE_REPLAYED, params={"bundle": str(bid)})
            s.add(SyncBundle(bundle_id=bid, origin="central", sha256=digest, imported_at=self.ctx.now(),
                             changes=len(payload.get("changes") or [])))
            s.execute(update(SyncChange).where(SyncChange.acked_at.is_(None),
                                               SyncChange.seq <= int(payload.get("acked_seq") or 0))
                      .values(acked_at=self.ctx.now()))
            s.flush()
            cursor = s.get(SyncNode, 1).pull_cursor  # type: ignore[union-attr]
            entries = [e for e in payload.get("changes") or [] if int(e["seq"]) > cursor]
            applied, skipped = apply_feed(s, entries)
            s.execute(update(SyncNode).where(SyncNode.id == 1).values(
                pull_cursor=max(cursor, int(payload.get("next") or cursor)),
                audit_acked=int(payload.get("audit_seq") or 0)))
        pending = self._pending_count()
        self._record(f"bundle: pulled {applied}, pending {pending}")
        return SyncSummary(0, applied, 0, pending, skipped)


@contextlib.contextmanager
def _read_ahead(name: str) -> Iterator[ThreadPoolExecutor]:
    """One thread that reads the next batch or page while this one is applied, and the collector's full passes
    leaving alone what existed before (modules, caches, the app's screens): pages of rows come and go by the
    thousand and each pass would scan all of it again (100,000 pulled rows: 15-20 % of the time). The freeze is
    process-wide while the sync runs; both end with it, whatever way (what is read ahead and not used is
    dropped: nothing there writes)."""
    ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
    gc.freeze()
    try:
        yield ahead
    finally:
        gc.unfreeze()
        ahead.shutdown(wait=False, cancel_futures=True)


def apply_feed(s: Session, entries: list[dict[str, Any]]) -> tuple[int, int]:
    """Apply central's feed entries in order, inside the caller's transaction: the whole row as central holds
    it, except where this unit has changes to the row that central has not acknowledged. Returns (rows that
    changed here, entries skipped)."""
    applied = skipped = 0
    # the rows with changes central has not acknowledged: read once per page (after a push, usually none)
    mine = {(t, k) for t, k in s.execute(select(SyncChange.table_name, SyncChange.row_key)
                                         .where(SyncChange.acked_at.is_(None)))}
    cache = changes.RowCache(s)
    # the feed's tables this unit takes (a known table that is not local to central), judged once per name
    takes = {name: name in metadata.tables and changes.flow(name) != changes.LOCAL
             for name in {str(e.get("table")) for e in entries}}
    cache.preload((name, e["key"]) for e in entries
                  if takes[name := str(e.get("table"))] and (name, e["key"]) not in mine)
    for e in entries:
        name = str(e.get("table"))
        if not takes[name]:
            continue
        tbl = metadata.tables[name]
        key = e["key"]
        if (name, key) in mine:
            skipped += 1
            continue
        current = cache.row(name, key)
        if e["op"] == "delete":
            cache.flush()
            changes.delete_row(s, tbl, key)
            cache.rows[(name, key)] = None
            applied += 1
        elif current is None:
            cache.insert(name, e["row"])
            cache.rows[(name, key)] = e["row"]
            applied += 1
        else:
            cache.flush()
            if changes.write_row(s, tbl, key, current, e["row"]) != "same":
                applied += 1  # this unit's own changes come back unchanged: not counted as pulled
            cache.rows[(name, key)] = e["row"]
    cache.flush()
    return applied, skipped


def _table(entry: dict[str, Any]):
    name = str(entry.get("table"))
    if name not in metadata.tables:
        raise InputError(code=ErrorCode.SYNC_BAD_CHANGE, params={"change": "?", "reason": f"unknown table {name}"})
    return metadata.tables[name]


def _audit_json(row: Any) -> dict[str, Any]:
    return changes.encode_row(metadata.tables["audit_log"], dict(row._mapping))


def _outbox_entry(r: Any) -> dict[str, Any]:
    """One change as it travels, from an outbox row (db.changes.ENTRY_COLUMNS, or a SyncChange)."""
    return json.loads(changes.entry_text(r))


def _push_text(me: SyncNode, audit_entries: list[dict[str, Any]], rows: list[Any]) -> str:
    """push_body's body as the JSON text that travels, the changes put together from their stored texts."""
    return (f'{{"epoch":{int(me.epoch)},"cursor":{int(me.pull_cursor)},'
            f'"audit":{json.dumps(audit_entries, ensure_ascii=False, separators=(",", ":"))},'
            f'"changes":[{",".join(map(changes.entry_text, rows))}]}}')


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
