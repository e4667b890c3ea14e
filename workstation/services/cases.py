"""What every workflow's case changes share. One service call = one write transaction that:
checks the actor's role, loads the case and checks the version the user saw (optimistic locking), checks the
state machine, applies the change, records a case event and an audit entry, and commits once.

A workflow declares its transitions as data (`Transition`) and calls `CaseOps.change(...)` inside its own
service method; screens never touch cases directly."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from db import audit
from db.models import Case, CaseEvent, User
from workstation.domain.codes import Role
from workstation.domain.errors import ErrorCode
from workstation.domain.workflow import Transition
from workstation.errors import ConflictError, NotFound, PermissionDenied, Refusal
from workstation.services.base import Actor, ServiceContext, require_role


def transitions(*items: tuple[str, Iterable[str], str | None, Iterable[Role]]) -> dict[str, Transition]:
    return {a: Transition(a, frozenset(f), t, frozenset(r)) for a, f, t, r in items}


@dataclass(frozen=True)
class CaseView:
    """A read-only copy of the case header for screens (which keep `version` to send back)."""

    id: uuid.UUID
    kind: str
    reference: str
    state: str
    lane: str | None
    reasons: tuple[str, ...]
    flags: tuple[str, ...]
    version: int
    opened_on: dt.date
    updated_at: dt.datetime
    assigned_to: uuid.UUID | None
    summary: dict[str, Any]
    unit_code: str | None = None  # the field unit that opened it (None: the office)


def view(c: Case) -> CaseView:
    return CaseView(c.id, c.kind, c.reference, c.state, c.lane, tuple(c.reasons or ()), tuple(c.flags or ()),
                    c.version, c.opened_on, c.updated_at, c.assigned_to, dict(c.summary or {}), c.unit_code)


class CaseOps:
    def __init__(self, ctx: ServiceContext):
        self.ctx = ctx

    def open(self, s: Session, actor: Actor, *, kind: str, reference: str, state: str,
             summary: dict[str, Any] | None = None, lane: str | None = None, reasons: Iterable[str] = (),
             opened_on: dt.date | None = None, case_id: uuid.UUID | None = None,
             audit_data: dict[str, Any] | None = None) -> Case:
        if s.scalar(select(Case.id).where(Case.kind == kind, Case.reference == reference)):
            raise Refusal(f"{kind} {reference} already exists", code=ErrorCode.DUPLICATE, field="reference",
                          params={"value": reference})
        case = Case(kind=kind, reference=reference, office_code=actor.office_code, unit_code=actor.unit_code,
                    state=state, lane=lane, reasons=sorted(set(reasons)), flags=[], summary=summary or {},
                    opened_on=opened_on or self.ctx.today(), created_by=actor.user_id, created_at=self.ctx.now(),
                    updated_at=self.ctx.now())
        if case_id is not None:
            case.id = case_id
        s.add(case)
        s.flush()
        self._event(s, case, actor, f"{kind.lower()}.open", None, state, audit_data or {})
        return case

    def get(self, s: Session, case_id: uuid.UUID, *, kind: str | None = None) -> Case:
        case = s.get(Case, case_id)
        if case is None or (kind and case.kind != kind):
            raise NotFound(code=ErrorCode.UNKNOWN_CASE, field="case")
        return case

    def change(self, s: Session, actor: Actor, case_id: uuid.UUID, expected_version: int, transition: Transition,
               apply: Callable[[Case], dict[str, Any] | None] | None = None, *,
               data: dict[str, Any] | None = None) -> Case:
        """Check role, version and state; run `apply(case)` (which may change the case and its detail rows
        and returns extra audit data); move the state; record event + audit. Caller is inside db.write()."""
        require_role(actor, *transition.roles, action=transition.action)
        case = self.get(s, case_id)
        if case.version != expected_version:
            who = s.scalar(select(User.login).where(User.id == self._last_actor(s, case)))
            raise ConflictError(code=ErrorCode.VERSION_CONFLICT,
                                params={"reference": case.reference, "who": who or "another user"})
        if case.state not in transition.from_states:
            raise Refusal(code=ErrorCode.INVALID_STATE, params={"action": transition.action, "state": case.state})
        before = case.state
        extra = apply(case) if apply else None
        if transition.to_state is not None:
            case.state = transition.to_state
        case.updated_at = self.ctx.now()
        # Always UPDATE the header, even when only detail rows changed (and the clock did not move): the
        # version must move with every change, or a stale screen would not be caught.
        flag_modified(case, "updated_at")
        s.flush()  # version_id_col: UPDATE … WHERE version = old; a concurrent writer fails here
        self._event(s, case, actor, transition.action, before, case.state, {**(data or {}), **(extra or {})})
        return case

    def _last_actor(self, s: Session, case: Case) -> uuid.UUID | None:
        return s.scalar(select(CaseEvent.actor_id).where(CaseEvent.case_id == case.id)
                        .order_by(CaseEvent.at.desc(), CaseEvent.id.desc()).limit(1))

    def _event(self, s: Session, case: Case, actor: Actor, action: str, before: str | None, after: str | None,
               data: dict[str, Any]) -> None:
        s.add(CaseEvent(case_id=case.id, at=self.ctx.now(), actor_id=actor.user_id, action=action,
                        from_state=before, to_state=after, data=data))
        audit.append(s, actor.audit, action, f"case:{case.kind.lower()}", case.id,
                     {"reference": case.reference, "from": before, "to": after, "version": case.version, **data},
                     now=self.ctx.now())

    def history(self, case_id: uuid.UUID) -> list[CaseEvent]:
        with self.ctx.db.read() as s:
            return list(s.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.at)))


def ensure_other_user(actor: Actor, other: uuid.UUID | None, what: str) -> None:
    """Separation of duties: the same person may not do both steps."""
    if other is not None and other == actor.user_id:
        raise PermissionDenied(what, code=ErrorCode.SEPARATION_OF_DUTIES)
