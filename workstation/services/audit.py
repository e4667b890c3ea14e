"""Audit review and verification (supervisors, admins, `workstation audit verify`).

The viewer's search (issue #15 item 4) filters by user, case (its reference: e-CD id, PIB aju, PLP request
reference), document number, action and time; every filter is bounded by an index: case and document resolve to
their entities first (ix_audit_log_entity), an action is a prefix on the action index, and a time range becomes a
range of `seq` (the primary key) found by bisection on `ts`. Entries are appended under the chain's lock with the
service clock, so `ts` grows with `seq`; an entry written by a machine whose clock was behind by more than the
gap between two entries may fall just outside a range it belongs to. The newest entries come first, `limit` at a
time (`before_seq` pages on)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from db import audit as chain
from db.models import AuditAnchor, AuditEntry, Case, Document, User
from workstation.domain.codes import Role
from workstation.domain.errors import ErrorCode
from workstation.errors import InputError, NotFound, Refusal
from workstation.i18n import N_
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
    subject: str = ""  # the entity as a person names it (case reference, document number, login); "" if none


# What the viewer calls each action (English source strings, translated by the screen; the code is shown beside
# them, never translated). Actions of the workflows' state tables (ecd.*, pib.*, plp.*) are named by
# WORKFLOW_LABELS and their code; an action in neither table is shown by its code alone.
ACTION_LABELS: dict[str, str] = {
    "auth.login": N_("Logged in"),
    "auth.logout": N_("Logged out"),
    "auth.failure": N_("Failed login"),
    "auth.locked": N_("Account locked"),
    "auth.lock_screen": N_("Screen locked"),
    "auth.unlock_screen": N_("Screen unlocked"),
    "auth.confirm_failure": N_("Failed confirmation"),
    "session.end": N_("Session ended by a supervisor"),
    "user.first_admin": N_("First administrator"),
    "user.create": N_("User created"),
    "user.roles": N_("Roles changed"),
    "user.unlock": N_("Account unlocked"),
    "user.password": N_("Password changed"),
    "user.deactivate": N_("User deactivated"),
    "user.reactivate": N_("User reactivated"),
    "user.password_reset": N_("Password reset"),
    "user.ssh_key_add": N_("SSH key added"),
    "user.ssh_key_remove": N_("SSH key removed"),
    "ssh.connect": N_("SSH connected"),
    "ssh.disconnect": N_("SSH disconnected"),
    "document.issue": N_("Document issued"),
    "document.void": N_("Document voided"),
    "document.print": N_("Document printed"),
    "document.print_failed": N_("Print failed"),
    "report.daily": N_("Daily report"),
    "rates.import": N_("Exchange rates imported"),
    "tariff.import": N_("Tariff imported"),
    "lartas.import": N_("Lartas rules imported"),
    "manifest.import": N_("Manifest imported"),
    "importer.block": N_("Importer blocked"),
    "importer.unblock": N_("Importer unblocked"),
    "device.barrier_command": N_("Barrier command"),
    "device.barrier_override": N_("Barrier opened by hand"),
    "scanner.result": N_("Scanner result"),
    "gate.open": N_("Gate opened"),
    "gate.shut": N_("Gate kept shut"),
    "gate.override": N_("Gate override"),
    "office.signing_key": N_("Office signing key"),
    "office.pades_certificate": N_("Office PDF certificate"),
    "plp.tps_save": N_("TPS saved"),
    "plp.tps_occupancy": N_("TPS occupancy"),
    "plp.container_stored": N_("Container stored"),
    "risk.outcome": N_("Inspection outcome"),
    "risk.prearrival.import": N_("Pre-arrival data imported"),
    "risk.profile.import": N_("Risk profile imported"),
    "risk.random.set": N_("Random inspection rate set"),
    "sync.unit_add": N_("Field unit added"),
    "sync.unit_reenrol": N_("Field unit re-enrolled"),
    "sync.unit_revoke": N_("Field unit revoked"),
    "sync.enrol": N_("Field unit enrolled"),
    "sync.push": N_("Field unit synced"),
    "sync.conflict_resolve": N_("Sync conflict resolved"),
    "approval.request": N_("Approval requested"),
    "approval.approve": N_("Request approved"),
    "approval.refuse": N_("Request refused"),
}
# The workflows' own actions, each by name (the state tables of workstation/domain/{ecd,pib,plp}.py).
ACTION_LABELS.update({
    "ecd.open": N_("e-CD received"),
    "ecd.cash_procedure": N_("e-CD: cash procedure"),
    "ecd.clear": N_("e-CD cleared to the green lane"),
    "ecd.destroy": N_("e-CD: goods destroyed"),
    "ecd.divert": N_("e-CD diverted to the red lane"),
    "ecd.excise_count": N_("e-CD: excise goods counted"),
    "ecd.finding": N_("e-CD: finding recorded"),
    "ecd.pay": N_("e-CD: duties paid"),
    "ecd.pibk": N_("e-CD: PIBK procedure"),
    "ecd.reassess": N_("e-CD reassessed"),
    "ecd.refer": N_("e-CD referred"),
    "ecd.release": N_("e-CD released"),
    "ecd.slip": N_("e-CD: slip issued"),
    "pib.open": N_("PIB received"),
    "pib.amend_lhp": N_("PIB: LHP amended"),
    "pib.answer": N_("PIB: request answered"),
    "pib.determine": N_("PIB determined"),
    "pib.determine.SPBL": N_("PIB determined: SPBL"),
    "pib.determine.SPPB": N_("PIB determined: SPPB"),
    "pib.determine.SPTNP": N_("PIB determined: SPTNP"),
    "pib.determine.SPTNP+SPPB": N_("PIB determined: SPTNP and SPPB"),
    "pib.goods_ready": N_("PIB: goods ready"),
    "pib.issue_ip": N_("PIB: inspection instruction issued"),
    "pib.pay_billing": N_("PIB: billing paid"),
    "pib.pay_sptnp": N_("PIB: SPTNP paid"),
    "pib.record_bap": N_("PIB: BAP recorded"),
    "pib.record_sampling": N_("PIB: sampling recorded"),
    "pib.refer_enforcement": N_("PIB referred to enforcement"),
    "pib.reissue_ip": N_("PIB: inspection instruction reissued"),
    "pib.release": N_("PIB released at the gate"),
    "pib.request": N_("PIB: request sent"),
    "pib.resubmit.billed": N_("PIB resubmitted (billed)"),
    "pib.resubmit.registered": N_("PIB resubmitted (registered)"),
    "pib.resubmit.rejected": N_("PIB resubmitted (rejected)"),
    "pib.submit_lhp": N_("PIB: LHP submitted"),
    "pib.supporting_documents": N_("PIB: supporting documents"),
    "plp.open": N_("PLP requested"),
    "plp.approve": N_("PLP approved"),
    "plp.cancel": N_("PLP cancelled"),
    "plp.close": N_("PLP closed"),
    "plp.gate_in": N_("PLP: container in at the gate"),
    "plp.gate_out": N_("PLP: container out at the gate"),
    "plp.reject": N_("PLP rejected"),
})
WORKFLOW_LABELS: dict[str, str] = {
    "ecd": N_("e-CD case"),
    "pib": N_("PIB case"),
    "plp": N_("PLP case"),
}
DAY_FORMATS = ("%d-%m-%Y", "%Y-%m-%d")


def action_label(action: str) -> str | None:
    """The English source label of an action code (translate it for the screen), or None when it has none."""
    label = ACTION_LABELS.get(action)
    if label is None:
        label = WORKFLOW_LABELS.get(action.partition(".")[0])
    return label


@cache
def known_actions() -> frozenset[str]:
    """Every action code the code base appends: the labelled ones and the workflows' state-table actions
    (with `<kind>.open`, the opening of a case). A test keeps ACTION_LABELS complete."""
    from workstation.domain import ecd, pib, plp

    codes = set(ACTION_LABELS)
    for flow in (ecd.FLOW, pib.FLOW, plp.FLOW):
        codes |= set(flow.actions) | {f"{flow.name}.open"}
    return frozenset(codes)


def matching_actions(code: str) -> list[str]:
    """The action codes a filter means: `auth.` (ending in a dot) every known code under it; `auth.login` that
    code and the known codes under it (`pib.determine` → its outcomes), never a longer word. As a list of codes
    the filter is an IN on the action index (a LIKE prefix uses no index on SQLite, nor on PostgreSQL unless
    the database's collation is C)."""
    known = known_actions()
    if code.endswith("."):
        return sorted(a for a in known if a.startswith(code))
    return sorted({code} | {a for a in known if a.startswith(code + ".")})


def parse_day(value: str, field: str) -> dt.date:
    """A day typed as DD-MM-YYYY (as the screens show dates) or YYYY-MM-DD. Raises InputError REQUIRED,
    DATE_FORMAT_DMY."""
    raw = value.strip()
    if not raw:
        raise InputError("required", field=field, code=ErrorCode.REQUIRED)
    for fmt in DAY_FORMATS:
        try:
            return dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise InputError("date must be DD-MM-YYYY", field=field, code=ErrorCode.DATE_FORMAT_DMY)


@dataclass(frozen=True)
class AuditFilter:
    """What the viewer asks for; every part optional. `user`: the login as recorded (exact); `case`: a case
    reference; `document`: a document number (every version); `action`: an action code or its prefix
    (`auth.`, `pib.`: see matching_actions); `since`/`until`: UTC instants, [since, until)."""

    user: str | None = None
    case: str | None = None
    document: str | None = None
    action: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


@dataclass(frozen=True)
class AnchorRow:
    seq: int
    anchored_at: dt.datetime
    head_seq: int
    head_hash: str
    reason: str
    public_key: str


def _row(e: AuditEntry, subjects: dict[tuple[str, str], str] | None = None) -> AuditRow:
    subject = (subjects or {}).get((e.entity_type, e.entity_id), "")
    return AuditRow(e.seq, e.ts, e.actor_login, e.action, e.entity_type, e.entity_id, e.payload, subject)


def _uuids(ids: set[str]) -> list[uuid.UUID]:
    out = []
    for value in ids:
        try:
            out.append(uuid.UUID(value))
        except ValueError:
            continue
    return sorted(out)


def subjects(s: Session, entries: list[AuditEntry]) -> dict[tuple[str, str], str]:
    """(entity_type, entity_id) → what a person calls it, for a page of entries: cases by reference (with
    their kind), documents by number, users by login. One IN query per table for the whole page (by
    primary key), never one per row; an id that names nothing (a deleted row, a foreign id) stays unnamed."""
    wanted: dict[str, set[str]] = {"case": set(), "document": set(), "user": set()}
    for e in entries:
        family = "case" if e.entity_type == "case" or e.entity_type.startswith("case:") else e.entity_type
        if family in wanted:
            wanted[family].add(e.entity_id)
    names: dict[str, dict[str, str]] = {family: {} for family in wanted}
    if ids := _uuids(wanted["case"]):
        for cid, kind, ref in s.execute(select(Case.id, Case.kind, Case.reference).where(Case.id.in_(ids))):
            names["case"][str(cid)] = ref if ref.startswith(kind) else f"{kind} {ref}"
    if ids := _uuids(wanted["document"]):
        for did, number in s.execute(select(Document.id, Document.number).where(Document.id.in_(ids))):
            names["document"][str(did)] = number
    if ids := _uuids(wanted["user"]):
        for uid, login in s.execute(select(User.id, User.login).where(User.id.in_(ids))):
            names["user"][str(uid)] = login
    out: dict[tuple[str, str], str] = {}
    for e in entries:
        family = "case" if e.entity_type == "case" or e.entity_type.startswith("case:") else e.entity_type
        name = names.get(family, {}).get(e.entity_id)
        if name:
            out[(e.entity_type, e.entity_id)] = name
    return out


def _rows(s: Session, entries: list[AuditEntry]) -> list[AuditRow]:
    names = subjects(s, entries)
    return [_row(e, names) for e in entries]


@dataclass(frozen=True)
class AuditEntryDetail:
    """An entry with what the list leaves out: session, office and unit, and its place in the chain."""

    row: AuditRow
    session_id: str | None
    office_code: str | None
    unit_code: str | None
    prev_hash: str
    row_hash: str
    row_mac: str | None


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
            return _rows(s, list(s.scalars(q)))

    def for_entity(self, actor: Actor, entity_type: str, entity_id: str) -> list[AuditRow]:
        """The entries about one entity, oldest first (supervisor or admin)."""
        require_role(actor, Role.SUPERVISOR, Role.ADMIN, action="review the audit log")
        with self.ctx.db.read() as s:
            q = (select(AuditEntry).where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id)
                 .order_by(AuditEntry.seq))
            return [AuditRow(e.seq, e.ts, e.actor_login, e.action, e.entity_type, e.entity_id, e.payload)
                    for e in s.scalars(q)]

    # -- the viewer -------------------------------------------------------------------------------------------
    @staticmethod
    def _first_seq_at(s: Session, ts: dt.datetime) -> int:
        """The smallest seq whose entry is at or after `ts` (max seq + 1 when none): bisection on the primary
        key, about log2(entries) look-ups. seq is gapless from 1 (the chain's insert guard)."""
        last = int(s.scalar(select(func.max(AuditEntry.seq))) or 0)
        lo, hi = 1, last + 1
        while lo < hi:
            mid = (lo + hi) // 2
            at = s.scalar(select(AuditEntry.ts).where(AuditEntry.seq == mid))
            if at is None or at < ts:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def search(self, actor: Actor, flt: AuditFilter, *, limit: int = 200,
               before_seq: int | None = None) -> list[AuditRow]:
        """Entries matching every part of `flt`, newest first, at most `limit`, older than `before_seq` if given.
        Raises PermissionDenied ROLE_REQUIRED (supervisor or admin), NotFound UNKNOWN_CASE / UNKNOWN_DOCUMENT
        when the case reference or document number names nothing, InputError NOT_ONE_OF for a limit outside
        1..1000."""
        require_role(actor, Role.SUPERVISOR, Role.ADMIN, action="review the audit log")
        if not 1 <= limit <= 1000:
            raise InputError(code=ErrorCode.NOT_ONE_OF, field="limit", params={"value": limit, "options": "1..1000"})
        with self.ctx.db.read() as s:
            q = select(AuditEntry)
            entities: list[tuple[str, str]] = []
            if flt.case and flt.case.strip():
                ref = flt.case.strip()
                cases = s.execute(select(Case.id, Case.kind).where(Case.kind.in_(("ECD", "PIB", "PLP")),
                                                                   Case.reference == ref)).all()
                if not cases:
                    raise NotFound(f"no case {ref}", field="case", code=ErrorCode.UNKNOWN_CASE,
                                   params={"value": ref})
                entities += [(f"case:{kind.lower()}", str(cid)) for cid, kind in cases]
                # the case's documents (issued, printed, voided) belong to its history
                entities += [("document", str(did)) for did in s.scalars(
                    select(Document.id).where(Document.case_id.in_([cid for cid, _ in cases])))]
            if flt.document and flt.document.strip():
                number = flt.document.strip()
                docs = [("document", str(did)) for did in s.scalars(select(Document.id).where(Document.number == number))]
                if not docs:
                    raise NotFound(f"no document {number}", field="document", code=ErrorCode.UNKNOWN_DOCUMENT,
                                   params={"number": number})
                if entities:  # both given: the document must be one of the case's
                    wanted = set(docs)
                    entities = [e for e in entities if e in wanted]
                    if not entities:
                        return []
                else:
                    entities = docs
            if entities:
                by_type: dict[str, list[str]] = {}
                for kind, eid in entities:
                    by_type.setdefault(kind, []).append(eid)
                q = q.where(or_(*(((AuditEntry.entity_type == kind) & AuditEntry.entity_id.in_(sorted(ids)))
                                  for kind, ids in by_type.items())))
            if flt.user and flt.user.strip():
                q = q.where(AuditEntry.actor_login == flt.user.strip())
            if flt.action and flt.action.strip():
                codes = matching_actions(flt.action.strip())
                if not codes:
                    return []
                q = q.where(AuditEntry.action.in_(codes))  # the action index, on either back end
            if flt.since is not None:
                q = q.where(AuditEntry.seq >= self._first_seq_at(s, flt.since), AuditEntry.ts >= flt.since)
            if flt.until is not None:
                q = q.where(AuditEntry.seq < self._first_seq_at(s, flt.until), AuditEntry.ts < flt.until)
            if before_seq is not None:
                q = q.where(AuditEntry.seq < before_seq)
            return _rows(s, list(s.scalars(q.order_by(AuditEntry.seq.desc()).limit(limit))))

    def entry(self, actor: Actor, seq: int) -> AuditEntryDetail:
        """One entry whole, for the detail view. Raises NotFound UNKNOWN (seq)."""
        require_role(actor, Role.SUPERVISOR, Role.ADMIN, action="review the audit log")
        with self.ctx.db.read() as s:
            e = s.get(AuditEntry, seq)
            if e is None:
                raise NotFound(template="no audit entry {value}", field="seq", code=ErrorCode.UNKNOWN,
                               params={"value": seq})
            return AuditEntryDetail(_rows(s, [e])[0], str(e.session_id) if e.session_id else None, e.office_code,
                                    e.unit_code, e.prev_hash, e.row_hash, e.row_mac)

    def anchors(self, actor: Actor, limit: int = 100) -> list[AnchorRow]:
        """The newest anchors (#9/#11: the head signed with the office key), newest first."""
        require_role(actor, Role.SUPERVISOR, Role.ADMIN, action="review the audit log")
        with self.ctx.db.read() as s:
            return [AnchorRow(a.seq, a.anchored_at, a.head_seq, a.head_hash, a.reason, a.public_key)
                    for a in s.scalars(select(AuditAnchor).order_by(AuditAnchor.seq.desc()).limit(limit))]

    def filter_from_text(self, *, user: str = "", case: str = "", document: str = "", action: str = "",
                         from_day: str = "", to_day: str = "") -> AuditFilter:
        """The viewer's fields as typed: days DD-MM-YYYY in the office's zone, `to_day` inclusive. Raises
        InputError DATE_FORMAT_DMY (from / to), INVALID_VALUE when `to` is before `from`."""
        zone = self.ctx.settings.zone
        since = until = None
        start = parse_day(from_day, "from") if from_day.strip() else None
        end = parse_day(to_day, "to") if to_day.strip() else None
        if start and end and end < start:
            raise InputError("the end is before the start", field="to", code=ErrorCode.INVALID_VALUE)
        if start:
            since = dt.datetime.combine(start, dt.time(0), zone).astimezone(dt.UTC)
        if end:
            until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), zone).astimezone(dt.UTC)
        return AuditFilter(user=user.strip() or None, case=case.strip() or None, document=document.strip() or None,
                           action=action.strip() or None, since=since, until=until)
