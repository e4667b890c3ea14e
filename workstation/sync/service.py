"""The field-unit sync as the screens see it (issue #14): a thin service over workstation.sync.unit/central
returning frozen views, so that screens/ never imports db.

    SyncService(ctx).panel()            -> SyncPanel      the status bar's figures (bounded index reads)
    SyncService(ctx).status()           -> SyncStatusView the sync screen's figures
    SyncService(ctx).sync_now(progress) -> SyncResult     push then pull over HTTP to the stored server URL
    SyncService(ctx).conflicts()        -> [ConflictRow]  open conflicts, oldest first
    SyncService(ctx).conflict(id)       -> ConflictView   one conflict, field by field (theirs vs ours)
    SyncService(ctx).resolve(actor, id, text)             a supervisor at central marks it reviewed (audited)

Roles of the database (sync_node): "unit" (a field unit), "central" (units are registered here), None (a
standalone office: nothing to show). Conflicts live at central and flow down to units, where they are shown
read-only: only central resolves them (a resolution written on a unit would be overwritten by central's row).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from db.models_sync import SyncChange, SyncConflict, SyncNode
from workstation.domain.canonical import canonical_json
from workstation.domain.errors import ErrorCode
from workstation.errors import NotFound, Refusal
from workstation.services.base import Actor, ServiceContext
from workstation.sync.unit import Progress, SyncStatus, SyncSummary, Transport

# The status bar counts at most this many pending changes / open conflicts (an index range read of bounded
# length every few seconds, whatever the size of the outbox); more shows as "10000+".
PANEL_CAP = 10_000
CONFLICT_LIMIT = 200

TransportFactory = Callable[[str, str, Any], Transport]  # (server URL, unit code, unit's private key)


@dataclass(frozen=True)
class SyncPanel:
    """The status bar's sync figures. role None: a standalone office (nothing shown). `pending` and
    `conflicts` are capped at PANEL_CAP (`pending_more` / `conflicts_more` then true)."""

    role: str | None
    unit: str | None = None
    pending: int = 0
    pending_more: bool = False
    last_sync_at: dt.datetime | None = None  # UTC
    conflicts: int = 0
    conflicts_more: bool = False


# The sync screen's figures and one sync's outcome are the engine's own views (workstation.sync.unit):
# SyncStatus (role, unit, epoch, server, pending, cursor, last_sync_at, last_result, conflicts) and SyncSummary
# (pushed, pulled, conflicts, pending, skipped).
SyncStatusView = SyncStatus
SyncResult = SyncSummary


@dataclass(frozen=True)
class ConflictRow:
    """One open conflict in the review list. `label`: the row's human reference (case reference, document
    number) when it has one, else its key; `fields`: the fields that collided."""

    id: uuid.UUID
    table: str
    key: str
    label: str
    fields: tuple[str, ...]
    unit: str
    detected_at: dt.datetime


@dataclass(frozen=True)
class FieldDiff:
    """One field of a conflict: the unit's value (theirs) and central's when the change arrived (ours), as
    text (JSON values as canonical JSON, None as ""). `collided`: the field both sides changed."""

    field: str
    theirs: str
    ours: str
    collided: bool


@dataclass(frozen=True)
class ConflictView:
    """One conflict: the row's identity, every field whose values differ (collided ones first), how many
    fields are equal on both sides, and its review when resolved."""

    row: ConflictRow
    diffs: tuple[FieldDiff, ...]
    same_fields: int
    resolved_at: dt.datetime | None
    resolved_by: str | None
    resolution: str | None


def _http_transport(url: str, unit: str, key: Any) -> Transport:
    from workstation.sync.client import HttpTransport

    return HttpTransport(url, unit=unit, key=key)


class SyncService:
    """See the module docstring. `transport`: how to reach the server named by the stored URL (default:
    HTTP, workstation.sync.client.HttpTransport, signed with the unit's key)."""

    def __init__(self, ctx: ServiceContext, *, transport: TransportFactory | None = None):
        self.ctx = ctx
        self.db = ctx.db
        self._transport = transport or _http_transport

    # -- figures ---------------------------------------------------------------------------------------------
    def panel(self) -> SyncPanel:
        """The status bar's figures: one primary-key read on a standalone office; on a unit its pending
        changes (ix_sync_changes_pending, at most PANEL_CAP + 1 entries read) and last sync; on central its
        open conflicts (ix_sync_conflicts_open, likewise bounded)."""
        with self.db.read() as s:
            me = s.get(SyncNode, 1)
            if me is None:
                return SyncPanel(None)
            conflicts = _bounded_count(s, select(SyncConflict.id).where(SyncConflict.resolved_at.is_(None)))
            if me.role != "unit":
                return SyncPanel(me.role, conflicts=min(conflicts, PANEL_CAP), conflicts_more=conflicts > PANEL_CAP)
            pending = _bounded_count(s, select(SyncChange.seq).where(SyncChange.acked_at.is_(None)))
            return SyncPanel(me.role, me.unit_code, min(pending, PANEL_CAP), pending > PANEL_CAP, me.last_sync_at,
                             min(conflicts, PANEL_CAP), conflicts > PANEL_CAP)

    def status(self) -> SyncStatusView:
        """The sync screen's figures (workstation.sync.unit.status)."""
        from workstation.sync.unit import status

        return status(self.ctx)

    # -- sync ------------------------------------------------------------------------------------------------
    def sync_now(self, progress: Progress | None = None) -> SyncResult:
        """Push every pending change, then pull central's feed, over the transport to the server URL stored
        at enrolment (UnitSync.sync). `progress(phase, done, total)` is called from this thread ("push" /
        "pull"). Raises Refusal SYNC_NOT_ENROLLED (not a unit), SYNC_NO_SERVER (no URL stored),
        SYNC_UNREACHABLE (nothing lost: the outbox keeps everything) and whatever central refused with."""
        from workstation.sync.unit import UnitSync

        sync = UnitSync(self.ctx)
        me = sync.node()
        if not me.server_url:
            raise Refusal(code=ErrorCode.SYNC_NO_SERVER)
        unit = me.unit_code or ""
        transport = self._transport(me.server_url, unit, sync.key(unit))
        try:
            summary = sync.sync(transport, progress)
        finally:
            close = getattr(transport, "close", None)
            if close is not None:
                close()
        return summary

    def set_server(self, url: str) -> None:
        """Store the sync server's URL on this enrolled unit (the next `sync_now` uses it). Raises Refusal
        SYNC_NOT_ENROLLED, InputError REQUIRED (empty URL)."""
        from workstation.errors import InputError

        url = url.strip()
        if not url:
            raise InputError(field="server", code=ErrorCode.REQUIRED)
        with self.db.write() as s:
            me = s.get(SyncNode, 1)
            if me is None or me.role != "unit":
                raise Refusal(code=ErrorCode.SYNC_NOT_ENROLLED)
            me.server_url = url[:300]

    # -- conflicts -------------------------------------------------------------------------------------------
    def role(self) -> str | None:
        """'unit', 'central' or None (a standalone office)."""
        with self.db.read() as s:
            me = s.get(SyncNode, 1)
            return me.role if me is not None else None

    def conflicts(self, limit: int = CONFLICT_LIMIT) -> list[ConflictRow]:
        """Open conflicts, oldest first (at most `limit`), on central or (read-only) on a unit."""
        with self.db.read() as s:
            rows = s.scalars(select(SyncConflict).where(SyncConflict.resolved_at.is_(None))
                             .order_by(SyncConflict.detected_at, SyncConflict.id).limit(limit)).all()
            return [_row(c) for c in rows]

    def conflict(self, conflict_id: uuid.UUID | str) -> ConflictView:
        """One conflict, field by field. Raises NotFound SYNC_UNKNOWN_CONFLICT."""
        cid = _conflict_id(conflict_id)
        with self.db.read() as s:
            c = s.get(SyncConflict, cid)
            if c is None:
                raise NotFound(code=ErrorCode.SYNC_UNKNOWN_CONFLICT, params={"value": str(conflict_id)[:40]})
            theirs, ours = _json_dict(c.theirs), _json_dict(c.ours)
            collided = set(_json_list(c.fields))
            diffs: list[FieldDiff] = []
            same = 0
            for name in sorted(set(theirs) | set(ours), key=lambda n: (n not in collided, n)):
                t, o = theirs.get(name), ours.get(name)
                if t == o and name not in collided:
                    same += 1
                    continue
                diffs.append(FieldDiff(name, _text(t), _text(o), name in collided))
            return ConflictView(_row(c), tuple(diffs), same, c.resolved_at, c.resolved_by, c.resolution)

    def resolve(self, actor: Actor, conflict_id: uuid.UUID | str, text: str) -> None:
        """A supervisor at central marks a conflict reviewed with what was done about it (audited, in one
        transaction: CentralSync.resolve_conflict). Raises Refusal SYNC_NOT_CENTRAL (on a unit or a
        standalone office), PermissionDenied (not a supervisor), InputError REQUIRED (empty text), NotFound
        SYNC_UNKNOWN_CONFLICT, Refusal ALREADY_DONE."""
        from workstation.sync.central import CentralSync

        cid = _conflict_id(conflict_id)
        if self.role() != "central":
            raise Refusal(code=ErrorCode.SYNC_NOT_CENTRAL)
        with self.db.read() as s:
            if s.get(SyncConflict, cid) is None:
                raise NotFound(code=ErrorCode.SYNC_UNKNOWN_CONFLICT, params={"value": str(conflict_id)[:40]})
        CentralSync(self.ctx).resolve_conflict(actor, cid, text)


def _bounded_count(s: Any, query: Any) -> int:
    """COUNT over at most PANEL_CAP + 1 rows of `query` (a LIMITed subquery: the index range read stops there)."""
    sub = query.limit(PANEL_CAP + 1).subquery()
    return int(s.scalar(select(func.count()).select_from(sub)) or 0)


def _conflict_id(value: uuid.UUID | str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(code=ErrorCode.SYNC_UNKNOWN_CONFLICT, params={"value": str(value)[:40]}) from None


def _json_dict(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _json_list(text: str) -> list[str]:
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def _text(value: Any) -> str:
    """A row value as one line of text: None as "", strings as they are, anything else as canonical JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return canonical_json(value)


_LABELS = ("reference", "number", "ecd_id", "aju", "container_no", "login", "code")


def _row(c: SyncConflict) -> ConflictRow:
    theirs = _json_dict(c.theirs)
    label = next((str(theirs[k]) for k in _LABELS if theirs.get(k)), "")
    if not label:
        parts = _json_list(c.row_key)
        label = ", ".join(parts) if parts else c.row_key
    return ConflictRow(c.id, c.table_name, c.row_key, label, tuple(_json_list(c.fields)), c.origin, c.detected_at)
