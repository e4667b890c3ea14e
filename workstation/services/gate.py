"""The smart gate (DOMAIN.md §4): a container read at the gate — by a reader or a scanner's OCR record — is
checked against the releases (SPPB of an import declaration, an approved PLP movement). A match opens the
barrier and records the movement; a bad check digit, an unknown container, no release, or a scanner's
suspicion flag keep it shut and flag the case. A supervisor may override, with a second person confirming.
Every container presented is logged (gate_events, append-only) and audited.

The releases are looked up once per truck, before any write (PLP: its approved lines by container number; PIB:
workstation.services.pib.queries.release_for_container, bounded by the cases awaiting gate-out). Recording the
movement then re-checks only what the look-up returned, by key: the case version and state (PIB), the line
(PLP) — so the office-wide write lock is never held for a search.

The barrier lets one truck through: `move_barrier` opens it for an OPEN decision and the device manager closes
it again when the vehicle detector reports the passage, or after `[gate] close_after_s` (devices/manager.py);
a refusal closes it at once, so a refused truck never finds it open. Every command, the automatic close
included, is audited with its reason (DevicesService.record_barrier_command)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import audit
from db.models import Case, GateEvent, ScanResultRecord
from workstation.domain.codes import Role
from workstation.domain.errors import ErrorCode
from workstation.domain.identifiers import container_marking, container_number_valid
from workstation.errors import InputError, NotFound, PermissionDenied
from workstation.services.base import Actor, ServiceContext, require_role

if TYPE_CHECKING:
    from db.audit import AuditActor
    from workstation.services import Services

INVALID_CONTAINER_NUMBER = "INVALID_CONTAINER_NUMBER"
NO_RELEASE = "NO_RELEASE"
SCANNER_SUSPICION = "SCANNER_SUSPICION"


@dataclass(frozen=True)
class Release:
    kind: str  # PLP | SPPB
    reference: str  # the document number that releases it
    direction: str  # OUT | IN
    case_id: uuid.UUID
    detail: Any = None  # what the workflow needs to record the movement


@dataclass(frozen=True)
class GateDecision:
    container: str
    open: bool
    reasons: tuple[str, ...]
    release: Release | None
    scan: dict[str, Any] | None = None
    event_id: uuid.UUID | None = None
    recorded: bool = False
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class OverrideAnswer:
    request: Any  # services.approvals.ApprovalView
    decision: GateDecision | None  # set when approved: open the barrier for this container


class GateService:
    def __init__(self, services: Services):
        self.services = services
        self.ctx = services.ctx

    # -- releases from the workflows -----------------------------------------------------------------------
    def _releases(self, number: str, tps: str | None) -> list[Release]:
        """What releases container `number` at this gate's TPS: an approved PLP movement, then an SPPB. Each is
        one indexed look-up; called outside the write lock."""
        found: list[Release] = []
        r = self.services.plp.release_for_container(number, tps)
        if r is not None:
            found.append(Release("PLP", r.plp_number, r.direction, r.case_id, r))
        pib_queries = _pib_queries()
        if pib_queries is not None:
            with self.ctx.db.read() as s:
                sppb = pib_queries.release_for_container(s, number)
            if sppb is not None:
                found.append(Release("SPPB", sppb.sppb_number, "OUT", sppb.case_id, sppb))
        return found

    # -- scanner results -------------------------------------------------------------------------------------
    def record_scan_result(self, event: Any) -> uuid.UUID | None:
        """Store a scanner's result (devices.events.ScanResult) and attach it to the case the container
        belongs to. Idempotent by scan id."""
        container = (event.container or "").strip().upper() or None
        rel = self._releases(container, None) if container else []  # looked up before the write lock
        case_id = rel[0].case_id if rel else None
        with self.ctx.db.write() as s:
            if s.scalar(select(ScanResultRecord.id).where(ScanResultRecord.scan_id == event.scan_id)):
                return None
            rec = ScanResultRecord(scan_id=event.scan_id, scanned_at=event.scanned_at or event.at, device=event.device,
                                   container=container, plate=getattr(event, "plate", None),
                                   image_ref=getattr(event, "image_ref", None), verdict=getattr(event, "verdict", None),
                                   suspicious=bool(getattr(event, "suspicious", False)), case_id=case_id,
                                   received_at=self.ctx.now())
            s.add(rec)
            s.flush()
            if case_id is not None:
                case = s.get(Case, case_id)
                if case is not None and rec.suspicious and SCANNER_SUSPICION not in (case.flags or []):
                    case.flags = sorted({*(case.flags or []), SCANNER_SUSPICION})
            audit.append(s, _system(self.ctx), "scanner.result", "container", container or event.scan_id,
                         {"scan_id": event.scan_id, "suspicious": rec.suspicious, "verdict": rec.verdict,
                          "case_id": str(case_id) if case_id else None}, now=self.ctx.now())
            return rec.id

    def _recent_scan(self, s: Session, number: str) -> ScanResultRecord | None:
        since = self.ctx.now() - dt.timedelta(minutes=self.ctx.settings.gate.scanner_window_minutes)
        return s.scalars(select(ScanResultRecord).where(ScanResultRecord.container == number,
                                                        ScanResultRecord.scanned_at >= since)
                         .order_by(ScanResultRecord.scanned_at.desc()).limit(1)).first()

    # -- the check ---------------------------------------------------------------------------------------------
    def check(self, actor: Actor, text: str, *, plate: str | None = None, read_by: str = "gate",
              gate: str | None = None, record: bool = True) -> GateDecision:
        """Decide for one container read. With `record`, an OPEN decision also records the movement on the
        release (PLP gate-out/in, SPPB gate-out) — the caller opens the barrier. The releases are looked up
        once, outside the write lock. Raises PermissionDenied (ROLE_REQUIRED) unless an officer or supervisor,
        InputError (REQUIRED) for an empty read, ConflictError (VERSION_CONFLICT) when the released case
        changed between the look-up and the write (the truck is read again)."""
        require_role(actor, Role.OFFICER, Role.SUPERVISOR, action="work the gate")
        number = container_marking(text)
        if not number:
            raise InputError("no container number", field="container", code=ErrorCode.REQUIRED)
        gate_name = gate or self.ctx.settings.gate.barrier or "gate"
        tps = self.ctx.settings.gate.tps
        reasons: list[str] = []
        release = None
        scan = None
        if not container_number_valid(number):
            reasons.append(INVALID_CONTAINER_NUMBER)
        else:
            releases = self._releases(number, tps)
            release = releases[0] if releases else None
            if release is None:
                reasons.append(NO_RELEASE)
            with self.ctx.db.read() as s:
                rec = self._recent_scan(s, number)
            if rec is not None:
                scan = {"scan_id": rec.scan_id, "verdict": rec.verdict, "suspicious": rec.suspicious}
                if rec.suspicious:
                    reasons.append(SCANNER_SUSPICION)
        is_open = not reasons
        recorded = False
        notes: list[str] = []
        if is_open and record and release is not None:  # open means a release was found
            self._record_movement(actor, release, number, plate, read_by)
            recorded = True
        event_id = self._log(actor, gate_name, tps, number, plate, read_by, "OPEN" if is_open else "SHUT", reasons,
                             release)
        if not is_open and release is not None:
            self._flag(actor, release.case_id, reasons)
        return GateDecision(number, is_open, tuple(reasons), release, scan, event_id, recorded, tuple(notes))

    def _record_movement(self, actor: Actor, release: Release, number: str, plate: str | None, read_by: str) -> None:
        """Record the movement the look-up found; the write checks only that release by key."""
        if release.kind == "PLP":
            move = (self.services.plp.record_gate_out if release.direction == "OUT"
                    else self.services.plp.record_gate_in)
            move(actor, number, tps=release.detail.tps, truck_plate=plate, read_by=read_by)
        else:
            note = f"gate-out {number} ({read_by})" + (f", truck {plate}" if plate else "")
            self.services.pib.release(actor, release.case_id, release.detail.version, note=note[:500])

    def _log(self, actor: Actor, gate: str, tps: str | None, number: str, plate: str | None, read_by: str,
             decision: str, reasons: Iterable[str], release: Release | None) -> uuid.UUID:
        reasons = sorted(reasons)
        with self.ctx.db.write() as s:
            ev = GateEvent(at=self.ctx.now(), gate=gate, tps=tps, container=number[:20], plate=plate,
                           read_by=read_by[:64], decision=decision, reasons=reasons,
                           release=f"{release.kind} {release.reference} {release.direction}" if release else None,
                           case_id=release.case_id if release else None, actor_id=actor.user_id,
                           actor_login=actor.login)
            s.add(ev)
            s.flush()
            audit.append(s, actor.audit, f"gate.{decision.lower()}", "container", number,
                         {"gate": gate, "reasons": reasons, "release": ev.release, "read_by": read_by},
                         now=self.ctx.now())
            return ev.id

    def _flag(self, actor: Actor, case_id: uuid.UUID, reasons: Iterable[str]) -> None:
        with self.ctx.db.write() as s:
            case = s.get(Case, case_id)
            if case is not None:
                case.flags = sorted({*(case.flags or []), "GATE_REFUSED", *reasons})

    def override(self, actor: Actor, text: str, confirmed_by: Actor, reason: str, *, plate: str | None = None,
                 gate: str | None = None) -> GateDecision:
        """Let a container through that the gate refused: a supervisor's decision, confirmed by a second
        supervisor (dual authorisation). The movement is not recorded as a release: the log says OVERRIDE."""
        require_role(actor, Role.SUPERVISOR, action="override the gate")
        if Role.SUPERVISOR not in confirmed_by.roles or confirmed_by.user_id == actor.user_id:
            raise PermissionDenied("a gate override needs a second supervisor to confirm",
                                   code=ErrorCode.DUAL_AUTHORIZATION)
        if not reason.strip():
            raise InputError("a reason is required", field="reason", code=ErrorCode.REQUIRED)
        number = "".join(text.split()).upper()
        gate_name = gate or self.ctx.settings.gate.barrier or "gate"
        event_id = self._log(actor, gate_name, self.ctx.settings.gate.tps, number, plate, "manual", "OVERRIDE",
                             [f"CONFIRMED_BY:{confirmed_by.login}", f"REASON:{reason.strip()[:60]}"], None)
        return GateDecision(number, True, (), None, None, event_id, False, (reason.strip(),))

    # -- overrides decided in the approvals inbox (issue #15 item 2) -------------------------------------------
    def request_override(self, actor: Actor, text: str, reason: str, *, plate: str | None = None,
                         gate: str | None = None) -> Any:
        """File a GATE_OVERRIDE request: a supervisor elsewhere approves it in the approvals inbox (the override
        is then logged, confirmed by them) or refuses it. Returns the ApprovalView; this gate's screen reads the
        answer with `override_answer`. Raises PermissionDenied (ROLE_REQUIRED) unless a supervisor, InputError
        (REQUIRED) without a container or reason."""
        require_role(actor, Role.SUPERVISOR, action="override the gate")
        return self.services.approvals.request_override(actor, text, reason, plate=plate,
                                                        gate=gate or self.ctx.settings.gate.barrier)

    def override_answer(self, actor: Actor, request_id: uuid.UUID) -> OverrideAnswer:
        """The answer so far to a GATE_OVERRIDE request `actor` filed (one look-up by key): the request, and
        for an approved one the decision that opens the barrier for that container (the approval already
        logged the OVERRIDE gate event and its audit entry). Raises NotFound (UNKNOWN_APPROVAL) for a request
        that is not the actor's own gate override; PermissionDenied ROLE_REQUIRED."""
        require_role(actor, Role.SUPERVISOR, action="override the gate")
        view = self.services.approvals.get(request_id)
        if view.kind != "GATE_OVERRIDE" or view.requested_by != actor.login:
            raise NotFound(code=ErrorCode.UNKNOWN_APPROVAL, params={"value": str(request_id)})
        decision = None
        if view.state == "APPROVED":
            decision = GateDecision(view.subject, True, (), None, notes=(view.reason,))
        return OverrideAnswer(view, decision)

    # -- the barrier ---------------------------------------------------------------------------------------
    def move_barrier(self, actor: Actor, manager: Any, decision: GateDecision, *,
                     gate: str | None = None) -> Any:
        """Move this gate's barrier for `decision`: an open decision (a release or an override) opens it for
        one truck — it closes again after the passage, or after `gate.close_after_s` seconds; a refusal closes
        it at once. Blocks until the device answered (call it off the UI thread). Returns the device's
        CommandResult, or None when this workstation drives no barrier (`manager` None or no `gate.barrier`).
        Raises PermissionDenied (ROLE_REQUIRED) unless an officer or supervisor."""
        require_role(actor, Role.OFFICER, Role.SUPERVISOR, action="work the gate")
        name = gate or self.ctx.settings.gate.barrier
        if manager is None or not name:
            return None
        if decision.open:
            why = "override" if decision.release is None else f"{decision.release.kind} {decision.release.reference}"
            return manager.barrier_command(name, "open", close_after=self.ctx.settings.gate.close_after_s,
                                           reason=f"{why}: {decision.container}"[:120])
        return manager.barrier_command(name, "close", reason=f"refused: {decision.container}"[:120])

    def close_barrier(self, actor: Actor, manager: Any, *, gate: str | None = None,
                      reason: str = "closed by the officer") -> Any:
        """Close this gate's barrier now (the officer's key; a check that failed). Returns the CommandResult,
        None without a barrier. Raises PermissionDenied (ROLE_REQUIRED) unless an officer or supervisor."""
        require_role(actor, Role.OFFICER, Role.SUPERVISOR, action="work the gate")
        name = gate or self.ctx.settings.gate.barrier
        if manager is None or not name:
            return None
        return manager.barrier_command(name, "close", reason=reason[:120])

    def recent(self, limit: int = 50) -> list[GateEvent]:
        with self.ctx.db.read() as s:
            return list(s.scalars(select(GateEvent).order_by(GateEvent.at.desc()).limit(limit)))


def _pib_queries() -> ModuleType | None:
    try:
        from workstation.services.pib import queries
    except ImportError:  # a build without the PIB workflow
        return None
    return queries


def _system(ctx: ServiceContext) -> AuditActor:
    from db.audit import AuditActor

    return AuditActor(None, "system", None, ctx.settings.office.code, ctx.settings.unit_code)
