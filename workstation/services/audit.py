"""Audit review and verification (supervisors, admins, `workstation audit verify`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from db import audit as chain
from db.models import AuditEntry
from workstation.domain.codes import Role
from workstation.domain.errors import ErrorCode
from workstation.errors import InputError, Refusal
from workstation.services.base import Actor, ServiceContext, require_role


@dataclass(frozen=True)
class AuditRow:
    seq: int
    ts: dt.datetime
    actor_login: str
    action: str
    entity_type: str
    entity_id: str
    payload: str


class AuditService:
    def __init__(self, ctx: ServiceContext):
        self.ctx = ctx

    def verify(self, actor: Actor, progress: Callable[[int], None] | None = None) -> chain.ChainReport:
        """Walk the hash chain (supervisor or admin); `progress(n)` is called with the entries checked so far."""
        require_role(actor, Role.SUPERVISOR, Role.ADMIN, action="verify the audit log")
        key = self.ctx.office_key()
        with self.ctx.db.read() as s:
            return chain.verify_chain(s, progress=progress, key=key)

    def anchor(self, actor: Actor, reason: str = "manual") -> chain.AnchorInfo:
        """Sign the chain's current head with the office key now (supervisor or admin; `reason` manual or
        sync — the sync of #14 calls this). Refusal AUDIT_KEY_MISSING where this machine has no key file."""
        require_role(actor, Role.SUPERVISOR, Role.ADMIN, action="anchor the audit log")
        if reason not in ("manual", "sync", "daily"):
            raise InputError(code=ErrorCode.NOT_ONE_OF, field="reason",
                             params={"value": reason, "options": "manual, sync, daily"})
        key = self.ctx.office_key()
        if key is None:
            raise Refusal("this machine has no office key file; anchor on the office machine",
                          code=ErrorCode.AUDIT_KEY_MISSING)
        with self.ctx.db.write() as s:
            chain.check_actor(s, actor.audit)
            a = chain.anchor(s, key, reason, self.ctx.now())
            return chain.AnchorInfo(a.seq, chain.format_ts(a.anchored_at), a.head_seq, a.head_hash, a.reason)

    def recent(self, actor: Actor, limit: int = 200, action_prefix: str | None = None) -> list[AuditRow]:
        require_role(actor, Role.SUPERVISOR, Role.ADMIN, action="review the audit log")
        with self.ctx.db.read() as s:
            q = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
            if action_prefix:
                q = q.where(AuditEntry.action.startswith(action_prefix))
            return [AuditRow(e.seq, e.ts, e.actor_login, e.action, e.entity_type, e.entity_id, e.payload)
                    for e in s.scalars(q)]

    def for_entity(self, actor: Actor, entity_type: str, entity_id: str) -> list[AuditRow]:
        """The entries about one entity, oldest first (supervisor or admin)."""
        require_role(actor, Role.SUPERVISOR, Role.ADMIN, action="review the audit log")
        with self.ctx.db.read() as s:
            q = (select(AuditEntry).where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id)
                 .order_by(AuditEntry.seq))
            return [AuditRow(e.seq, e.ts, e.actor_login, e.action, e.entity_type, e.entity_id, e.payload)
                    for e in s.scalars(q)]
