"""The approvals inbox (issue #15 item 2): dual authorisation without the second user at the requester's
terminal. A request waits in the inbox; a different user with the supervisor role approves it — the action then
runs as the requester's, confirmed by the approver, exactly as the counter's two-password confirmation does — or
refuses it with a reason. The requester never approves their own; the requester's screen reads the answer
(`mine`). The counter's confirmation at the same terminal stays (ECD clearance, DOMAIN.md §1).

Kinds and the service call each runs on approval:
- ECD_CLEAR      red → green without inspection (services.ecd.clear_to_green), payload {case_id, version}
- DOCUMENT_VOID  void an issued document (services.issuance.void), payload {number}
- GATE_OVERRIDE  let a refused container through (services.gate.override), payload {container, plate, gate}

An approval runs the action first and records the answer after it: if the action is refused (the case changed
since the request: VERSION_CONFLICT; already void) the request ends FAILED with that message, and nothing else
changes. If the process dies between the two, the request is still PENDING and a second approval meets the
action's own guard (the version moved on, the document is void) — the action never runs twice.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import audit
from db.models import User
from db.models_approvals import ApprovalRequest
from workstation import inputs
from workstation.domain.codes import Role
from workstation.domain.errors import ErrorCode
from workstation.errors import (
    ConflictError,
    InputError,
    NotFound,
    PermissionDenied,
    Refusal,
    WorkstationError,
)
from workstation.services.base import Actor, require_any_role, require_role

if TYPE_CHECKING:
    from workstation.services import Services

KINDS = ("ECD_CLEAR", "DOCUMENT_VOID", "GATE_OVERRIDE")
PENDING, APPROVED, REFUSED, FAILED = "PENDING", "APPROVED", "REFUSED", "FAILED"
# Who may ask for what (the action's own role check runs again when it is carried out).
REQUESTERS: dict[str, tuple[Role, ...]] = {
    "ECD_CLEAR": (Role.OFFICER, Role.SUPERVISOR),
    "DOCUMENT_VOID": (Role.OFFICER, Role.INSPECTOR, Role.EXAMINER, Role.SUPERVISOR, Role.ADMIN),
    "GATE_OVERRIDE": (Role.SUPERVISOR,),
}


@dataclass(frozen=True)
class ApprovalView:
    id: uuid.UUID
    kind: str
    subject: str
    reason: str
    state: str
    requested_by: str
    requested_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    answer: str | None
    version: int


def _view(r: ApprovalRequest) -> ApprovalView:
    return ApprovalView(r.id, r.kind, r.subject, r.reason, r.state, r.requested_by_login, r.requested_at,
                        r.decided_by_login, r.decided_at, r.answer, r.version)


class ApprovalService:
    def __init__(self, services: Services):
        self.services = services
        self.ctx = services.ctx

    # -- filing a request ------------------------------------------------------------------------------------
    def request_clearance(self, actor: Actor, case_id: uuid.UUID, version: int, reason: str) -> ApprovalView:
        """Ask for a red → green clearance of an e-CD case (its version now: the approval applies to the case
        as the requester saw it). Raises what `request` raises, NotFound UNKNOWN_ECD."""
        view = self.services.ecd.get(case_id)
        return self.request(actor, "ECD_CLEAR", view.ecd_id, {"case_id": str(case_id), "version": int(version)},
                            reason)

    def request_void(self, actor: Actor, number: str, reason: str) -> ApprovalView:
        return self.request(actor, "DOCUMENT_VOID", inputs.text(number, "number", max_len=80),
                            {"number": number.strip()}, reason)

    def request_override(self, actor: Actor, container: str, reason: str, *, plate: str | None = None,
                         gate: str | None = None) -> ApprovalView:
        number = inputs.container_marking(container)
        if not number:
            raise InputError(field="container", code=ErrorCode.REQUIRED)
        return self.request(actor, "GATE_OVERRIDE", number, {"container": number, "plate": plate, "gate": gate},
                            reason)

    def request(self, actor: Actor, kind: str, subject: str, payload: dict[str, Any], reason: str) -> ApprovalView:
        """File a request. Raises InputError (REQUIRED reason, NOT_ONE_OF kind), PermissionDenied ROLE_REQUIRED."""
        kind = inputs.choice(kind, "kind", KINDS)
        require_role(actor, *REQUESTERS[kind], action=f"request {kind}")
        reason = inputs.text(reason, "reason", max_len=500)
        with self.ctx.db.write() as s:
            row = ApprovalRequest(kind=kind, subject=subject[:120], payload=payload, reason=reason, state=PENDING,
                                  requested_by=actor.user_id, requested_by_login=actor.login,
                                  requested_at=self.ctx.now(), office_code=actor.office_code)
            s.add(row)
            s.flush()
            audit.append(s, actor.audit, "approval.request", "approval", row.id,
                         {"kind": kind, "subject": subject[:120], "reason": reason}, now=self.ctx.now())
            return _view(row)

    # -- reading ---------------------------------------------------------------------------------------------
    def inbox(self, actor: Actor, limit: int = 200) -> list[ApprovalView]:
        """Pending requests a supervisor may decide: everyone's but their own, oldest first."""
        require_role(actor, Role.SUPERVISOR, action="review approval requests")
        with self.ctx.db.read() as s:
            rows = s.scalars(select(ApprovalRequest).where(ApprovalRequest.state == PENDING)
                             .order_by(ApprovalRequest.requested_at).limit(limit))
            return [_view(r) for r in rows if r.requested_by != actor.user_id]

    def mine(self, actor: Actor, limit: int = 50) -> list[ApprovalView]:
        """The requester's own requests, newest first, with their answers."""
        require_any_role(actor, action="read one's approval requests")
        with self.ctx.db.read() as s:
            rows = s.scalars(select(ApprovalRequest).where(ApprovalRequest.requested_by == actor.user_id)
                             .order_by(ApprovalRequest.requested_at.desc()).limit(limit))
            return [_view(r) for r in rows]

    def get(self, request_id: uuid.UUID) -> ApprovalView:
        with self.ctx.db.read() as s:
            return _view(self._row(s, request_id))

    # -- deciding --------------------------------------------------------------------------------------------
    def _row(self, s: Session, request_id: uuid.UUID) -> ApprovalRequest:
        row = s.get(ApprovalRequest, request_id)
        if row is None:
            raise NotFound(code=ErrorCode.UNKNOWN_APPROVAL, params={"value": str(request_id)})
        return row

    def _check_decider(self, actor: Actor, row: ApprovalRequest, version: int) -> None:
        require_role(actor, Role.SUPERVISOR, action="decide approval requests")
        if row.requested_by == actor.user_id:
            raise PermissionDenied(code=ErrorCode.SELF_APPROVAL)
        if row.state != PENDING:
            raise Refusal(code=ErrorCode.ALREADY_ANSWERED)
        if row.version != version:
            raise ConflictError(code=ErrorCode.VERSION_CONFLICT)

    def refuse(self, actor: Actor, request_id: uuid.UUID, version: int, reason: str) -> ApprovalView:
        """Refuse with a reason. Raises PermissionDenied (ROLE_REQUIRED, SELF_APPROVAL), Refusal
        ALREADY_ANSWERED, ConflictError VERSION_CONFLICT, InputError REQUIRED."""
        reason = inputs.text(reason, "reason", max_len=500)
        with self.ctx.db.write() as s:
            row = self._row(s, request_id)
            self._check_decider(actor, row, version)
            row.state, row.decided_by_login, row.decided_at, row.answer = REFUSED, actor.login, self.ctx.now(), reason
            audit.append(s, actor.audit, "approval.refuse", "approval", row.id,
                         {"kind": row.kind, "subject": row.subject, "reason": reason}, now=self.ctx.now())
            return _view(row)

    def approve(self, actor: Actor, request_id: uuid.UUID, version: int) -> ApprovalView:
        """Approve: the action runs as the requester's, confirmed by `actor`. The request ends APPROVED, or
        FAILED with the action's refusal (nothing of the action was written). Raises what `refuse` raises
        for the decision itself."""
        with self.ctx.db.read() as s:
            row = self._row(s, request_id)
            self._check_decider(actor, row, version)
            requester = self._requester(s, row)
            kind, payload = row.kind, dict(row.payload or {})
        outcome, answer = APPROVED, None
        try:
            self._carry_out(kind, payload, requester, actor, row.reason)
        except WorkstationError as exc:
            outcome, answer = FAILED, exc.message[:500]
        with self.ctx.db.write() as s:
            row = self._row(s, request_id)
            if row.state != PENDING or row.version != version:
                raise ConflictError(code=ErrorCode.VERSION_CONFLICT)
            row.state, row.decided_by_login, row.decided_at, row.answer = outcome, actor.login, self.ctx.now(), answer
            audit.append(s, actor.audit, "approval.approve", "approval", row.id,
                         {"kind": kind, "subject": row.subject, "outcome": outcome, "answer": answer},
                         now=self.ctx.now())
            return _view(row)

    def _requester(self, s: Session, row: ApprovalRequest) -> Actor:
        """The requester as an actor now: active, unlocked, with the roles the database holds today."""
        user = s.get(User, row.requested_by)
        if user is None or not user.active or user.locked_at is not None:
            login = user.login if user is not None else str(row.requested_by)
            raise Refusal(f"the requester's account {login} is disabled or locked", code=ErrorCode.INACTIVE,
                          params={"login": login})
        roles = frozenset(Role(r) for r in user.role_codes)
        return Actor(user.id, user.login, user.full_name, roles, None, user.office_code,
                     self.ctx.settings.unit_code, user.nip)

    def _carry_out(self, kind: str, payload: dict[str, Any], requester: Actor, approver: Actor, reason: str) -> None:
        if kind == "ECD_CLEAR":
            self.services.ecd.clear_to_green(requester, uuid.UUID(payload["case_id"]), int(payload["version"]),
                                             reason, approver)
        elif kind == "DOCUMENT_VOID":
            self.services.issuance.void(requester, payload["number"], reason, approver)
        elif kind == "GATE_OVERRIDE":
            self.services.gate.override(requester, payload["container"], approver, reason,
                                        plate=payload.get("plate"), gate=payload.get("gate"))
