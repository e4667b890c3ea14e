"""PIB red lane (DOMAIN.md §2, seed 003): intake and SKP checks, lartas and billing, registration and SPJM,
Instruksi Pemeriksaan, the inspector's LHP / BAP fisik / BA contoh, the examiner's research, requests and
determination, SPTNP / SPPB / SPBL, payment and release; the queues with their SLA and BTD flags; and the
reference tables intake reads (tariff, lartas, BC 1.1 manifest, blocked importers).

Every change of a case is one method = one write transaction through CaseOps.change (role, version, state,
case event, audit entry), with its documents issued in the same transaction. The figures (levies, fine
tiers, day counts) come from the `pib` rule set through workstation.rules.pib; the checks are pure functions
in workstation.rules.pib_checks."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from db import audit, numbering
from db.models import Case, Document, User
from db.models_pib import (
    Bc11Line,
    ImporterBlock,
    LartasRule,
    PibBilling,
    PibCase,
    PibDetermination,
    PibInstruction,
    PibReport,
    PibRequest,
    PibSubmission,
    PibSupportingDoc,
    TariffPost,
)
from printing.documents import pib as docs
from workstation.domain.canonical import sha256_hex
from workstation.domain.codes import CaseKind, Role
from workstation.domain.identifiers import container_number_valid
from workstation.domain.pib import (
    Determination,
    DeterminedItem,
    Levies,
    Outcome,
    PibAssessment,
    PibDocument,
    parse_pib,
    validation_input_error,
)
from workstation.errors import InputError, NotFound, PermissionDenied, Refusal
from workstation.rules import pib as rules
from workstation.rules.pib_checks import (
    BapInput,
    IntakeReference,
    ItemComparison,
    LartasFlag,
    LartasRow,
    LhpInput,
    ManifestLine,
    Problem,
    SamplingInput,
    TariffRow,
    check_signed,
    compare_items,
    lartas_flags,
    lartas_for,
    normalise_npwp,
    parse_lartas_csv,
    parse_manifest_csv,
    parse_tariff_csv,
    skp_checks,
)
from workstation.rules.rates import QUOTE_UNITS
from workstation.rules.ruleset import RuleSet, ruleset_for
from workstation.services.base import Actor, require_role
from workstation.services.cases import CaseView, Transition, ensure_other_user, transitions, view
from workstation.services.issuance import IssuedDocument

# ==================================================================================================
# The state machine
# ==================================================================================================

REJECTED = "REJECTED"  # failed the SKP checks; a rejection response was issued; may be resubmitted (same aju)
BILLED = "BILLED"  # accepted; billing code issued for the declared levies; waiting for payment
SPJM = "SPJM"  # registered (number + date; the 30-day clock runs); SPJM issued; waiting for goods readiness
READY = "READY"  # goods-readiness notice recorded; waiting for the Instruksi Pemeriksaan
INSPECTION = "INSPECTION"  # IP issued to an inspector; waiting for the LHP
RESEARCH = "RESEARCH"  # LHP recorded; the examiner researches (NPD/DNP, lab, enforcement) and determines
SPBL = "SPBL"  # lartas not met; waiting for the importer's permit, then a new determination
SPTNP_UNPAID = "SPTNP"  # SPTNP issued with a shortfall; waiting for payment (then SPPB)
RELEASE_APPROVED = "SPPB"  # SPPB issued; the goods may leave
RELEASED = "RELEASED"  # gate-out recorded

STATES = (REJECTED, BILLED, SPJM, READY, INSPECTION, RESEARCH, SPBL, SPTNP_UNPAID, RELEASE_APPROVED, RELEASED)
# Registered and not yet determined: the 30-day determination SLA runs.
AWAITING_DETERMINATION = frozenset({SPJM, READY, INSPECTION, RESEARCH})
# No SPPB yet: the TPS storage clock (BTD) matters.
WITHOUT_SPPB = frozenset({REJECTED, BILLED, SPJM, READY, INSPECTION, RESEARCH, SPBL, SPTNP_UNPAID})
LHP_OPEN = frozenset({INSPECTION, RESEARCH})  # an LHP / minutes can be recorded or amended

_DESK = (Role.EXAMINER, Role.SUPERVISOR)
_INTAKE = (Role.EXAMINER, Role.SUPERVISOR, Role.ADMIN)
_INSPECTOR = (Role.INSPECTOR,)
_EXAMINER = (Role.EXAMINER,)
_GATE = (Role.OFFICER, Role.INSPECTOR, Role.EXAMINER, Role.SUPERVISOR)

TRANSITIONS: dict[str, Transition] = transitions(
    # intake (a new aju opens the case in REJECTED, BILLED or SPJM; see import_pib)
    ("pib.resubmit.rejected", [REJECTED], REJECTED, _INTAKE),
    ("pib.resubmit.billed", [REJECTED], BILLED, _INTAKE),
    ("pib.resubmit.registered", [REJECTED], SPJM, _INTAKE),
    # payment of the declared billing: SKP registers the PIB and issues the SPJM
    ("pib.pay_billing", [BILLED], SPJM, _DESK),
    ("pib.supporting_documents", [SPJM, READY, INSPECTION, RESEARCH, SPBL, SPTNP_UNPAID], None, _DESK),
    ("pib.goods_ready", [SPJM], READY, _DESK),
    ("pib.issue_ip", [READY], INSPECTION, _DESK),
    ("pib.reissue_ip", [INSPECTION], None, _DESK),
    # hangar
    ("pib.record_bap", LHP_OPEN, None, _INSPECTOR),
    ("pib.record_sampling", LHP_OPEN, None, _INSPECTOR),
    ("pib.submit_lhp", [INSPECTION], RESEARCH, _INSPECTOR),
    ("pib.amend_lhp", [RESEARCH], None, _INSPECTOR),
    # research
    ("pib.request", [RESEARCH, SPBL], None, _EXAMINER),
    ("pib.answer", [RESEARCH, SPBL], None, _DESK),
    ("pib.refer_enforcement", [RESEARCH, SPBL], None, _DESK),
    # determination (by outcome)
    ("pib.determine.SPPB", [RESEARCH, SPBL], RELEASE_APPROVED, _EXAMINER),
    ("pib.determine.SPTNP", [RESEARCH, SPBL], SPTNP_UNPAID, _EXAMINER),
    ("pib.determine.SPTNP+SPPB", [RESEARCH, SPBL], RELEASE_APPROVED, _EXAMINER),
    ("pib.determine.SPBL", [RESEARCH, SPBL], SPBL, _EXAMINER),
    ("pib.pay_sptnp", [SPTNP_UNPAID], RELEASE_APPROVED, _DESK),
    ("pib.release", [RELEASE_APPROVED], RELEASED, _GATE),
)


def available_actions(actor: Actor, state: str) -> frozenset[str]:
    """The transitions this user could take on a case in `state` (screens grey out the rest)."""
    return frozenset(t.action for t in TRANSITIONS.values() if state in t.from_states and actor.has(*t.roles))


# Queue flags (never translated)
FLAG_SLA_BREACH = "SLA_BREACH"  # registered, not determined, the determination deadline has passed
FLAG_BTD = "BTD"  # in the TPS past the storage limit without SPPB: uncleared goods
FLAG_LARTAS = "LARTAS"  # a line needs a permit it does not have
FLAG_ENFORCEMENT = "ENFORCEMENT"  # referred to the enforcement unit
FLAG_OPEN_REQUEST = "OPEN_REQUEST"  # an NPD/DNP/lab request awaits its answer
FLAG_SPTNP_OVERDUE = "SPTNP_OVERDUE"  # SPTNP shortfall unpaid after its due date

SUPPORTING_KINDS = ("INVOICE", "PACKING_LIST", "BL", "INSURANCE", "COO", "PERMIT", "CONTRACT", "OTHER")
REQUEST_KINDS = ("NPD", "DNP")
LAB_RESULTS = ("CONFORMS", "DIFFERS")
_NTPN_RE = re.compile(r"^[A-Z0-9]{16}$")
DATA_DIR = "data"
SAMPLE_TARIFF = "tariff_sample.csv"
SAMPLE_LARTAS = "lartas_sample.csv"


# ==================================================================================================
# What the service returns
# ==================================================================================================


@dataclass(frozen=True)
class IntakeResult:
    case_id: uuid.UUID
    aju: str
    version: int
    state: str
    accepted: bool
    submission: int
    problems: tuple[Problem, ...]
    billing_code: str | None = None
    billing_total_idr: int | None = None
    registration_number: str | None = None
    documents: tuple[str, ...] = ()
    unchanged: bool = False  # the same document again: nothing written


@dataclass(frozen=True)
class ImportCounts:
    added: int
    changed: int
    unchanged: int


@dataclass(frozen=True)
class BlockInfo:
    npwp: str
    name: str
    reason: str
    blocked_at: dt.datetime
    blocked_by: str


@dataclass(frozen=True)
class BillingInfo:
    kind: str
    code: str
    levies: dict[str, int]
    fine_idr: int
    total_idr: int
    issued_on: dt.date
    due_on: dt.date | None
    paid_on: dt.date | None
    ntpn: str | None


@dataclass(frozen=True)
class SubmissionInfo:
    version: int
    received_at: dt.datetime
    source: str
    accepted: bool
    problems: tuple[Problem, ...]
    response_number: str | None


@dataclass(frozen=True)
class SupportingDocInfo:
    kind: str
    number: str
    doc_date: dt.date | None
    item_seq: int | None


@dataclass(frozen=True)
class InstructionInfo:
    version: int
    inspector_id: uuid.UUID
    inspector_login: str
    inspector_name: str
    level_pct: int
    containers: tuple[str, ...]
    packages: str
    memo: str
    sample_requested: bool
    document_number: str
    issued_at: dt.datetime


@dataclass(frozen=True)
class ReportInfo:
    kind: str
    version: int
    author_id: uuid.UUID
    author_login: str
    content: dict[str, Any]
    submitted_at: dt.datetime
    document_number: str

    @property
    def lhp(self) -> LhpInput:
        return LhpInput.model_validate({k: v for k, v in self.content.items() if k != "conclusion"})


@dataclass(frozen=True)
class RequestInfo:
    id: uuid.UUID
    kind: str
    text: str
    item_seq: int | None
    requested_at: dt.datetime
    due_on: dt.date | None
    document_number: str | None
    answer: str | None
    result: str | None
    answered_at: dt.datetime | None

    @property
    def open(self) -> bool:
        return self.answered_at is None and self.kind != "ENFORCEMENT"


@dataclass(frozen=True)
class DeterminationInfo:
    version: int
    examiner_login: str
    decided_on: dt.date
    items: list[dict[str, Any]]
    assessment: dict[str, Any]
    ruleset_id: str
    outcome: str
    documents: list[str]
    note: str


@dataclass(frozen=True)
class Sla:
    days_since_registration: int | None
    determination_due: dt.date | None
    storage_days: int
    storage_limit: dt.date
    flags: tuple[str, ...]


@dataclass(frozen=True)
class PibDetail:
    case: CaseView
    aju: str
    importer_npwp: str
    importer_name: str
    doc: PibDocument  # the current submission
    submissions: tuple[SubmissionInfo, ...]
    registration_number: str | None
    registered_on: dt.date | None
    submitted_on: dt.date
    first_storage_on: dt.date
    goods_ready_on: dt.date | None
    goods_location: str | None
    goods_contact: str | None
    manifest_line: ManifestLine | None
    lartas: tuple[LartasFlag, ...]
    billings: tuple[BillingInfo, ...]
    supporting: tuple[SupportingDocInfo, ...]
    instruction: InstructionInfo | None
    lhp: ReportInfo | None
    bap: ReportInfo | None
    sampling: ReportInfo | None
    lhp_authors: frozenset[uuid.UUID]
    requests: tuple[RequestInfo, ...]
    determination: DeterminationInfo | None
    documents: tuple[IssuedDocument, ...]
    sla: Sla
    examiner_login: str | None
    released_at: dt.datetime | None

    @property
    def version(self) -> int:
        return self.case.version

    @property
    def state(self) -> str:
        return self.case.state

    def billing(self, kind: str) -> BillingInfo | None:
        found = [b for b in self.billings if b.kind == kind]
        return found[-1] if found else None


@dataclass(frozen=True)
class QueueRow:
    case_id: uuid.UUID
    version: int
    aju: str
    importer_name: str
    state: str
    registration_number: str | None
    registered_on: dt.date | None
    days: int | None  # since registration
    due_on: dt.date | None
    storage_days: int
    flags: tuple[str, ...]
    inspector_login: str | None
    level_pct: int | None
    containers: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeterminationResult:
    case: CaseView
    assessment: PibAssessment
    documents: tuple[str, ...]
    billing_code: str | None


# ==================================================================================================
# Helpers
# ==================================================================================================


def _read_text(path: str | Path | None, text: str | bytes | None, what: str) -> tuple[str, str]:
    """(text, label) from a file or given text; an unreadable file is bad input naming it."""
    if text is not None:
        return (text.decode("utf-8") if isinstance(text, bytes) else text), what
    if path is None:
        raise InputError(f"no {what} file given", field="file")
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8-sig"), p.name
    except FileNotFoundError:
        raise InputError("file not found", field=str(path)) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file", field=str(path)) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", field=str(path)) from None
    except OSError as exc:
        raise InputError(exc.strerror or "cannot read", field=str(path)) from None


def _line(text: str | None, field: str, *, required: bool = True, max_len: int = 300) -> str:
    value = (text or "").strip()
    if required and not value:
        raise InputError("required", field=field)
    if len(value) > max_len:
        raise InputError(f"at most {max_len} characters", field=field)
    if any(ord(c) < 32 for c in value):
        raise InputError("control characters are not allowed", field=field)
    return value


def _date_value(value: dt.date | str | None, field: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        raise InputError("a date, not a date-time", field=field)
    if isinstance(value, dt.date):
        return value
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value.strip()):
        raise InputError("date must be YYYY-MM-DD", field=field)
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InputError("not a calendar date", field=field) from None


def _rupiah_value(value: int | str, field: str) -> int:
    if isinstance(value, bool):
        raise InputError("must be whole rupiah", field=field)
    if isinstance(value, int):
        if value < 0:
            raise InputError("must not be negative", field=field)
        return value
    text = str(value).strip().replace(".", "").replace(",", "")
    if not re.fullmatch(r"[0-9]{1,15}", text):
        raise InputError("must be whole rupiah, digits only", field=field)
    return int(text)


def _ntpn(value: str) -> str:
    v = (value or "").strip().upper()
    if not _NTPN_RE.fullmatch(v):
        raise InputError("NTPN must be 16 letters or digits", field="ntpn")
    return v


def _issued(d: Document) -> IssuedDocument:
    return IssuedDocument(d.id, d.doc_type, d.number, d.version, d.seq, d.issue_date, d.content_hash, d.signature,
                          d.status, d.case_id)


def _levies_json(levies: Levies) -> dict[str, int]:
    return levies.as_json()


def _bc11_text(pc: PibCase) -> str:
    return f"{pc.bc11_number} / {pc.bc11_date.isoformat()} pos {pc.bc11_pos} sub-pos {pc.bc11_subpos}"


def _item_rows(doc: PibDocument) -> list[dict[str, Any]]:
    return [{"seq": i.seq, "hs_code": i.hs_code, "description": i.description, "quantity": format(i.quantity, "f"),
             "unit": i.unit, "cif": f"{doc.currency} {format(i.cif, 'f')}"} for i in doc.items]


# ==================================================================================================
# The service
# ==================================================================================================


class PibService:
    def __init__(self, services):
        self.services = services
        self.ctx = services.ctx

    @property
    def cases(self):
        return self.services.cases

    # -- small shared pieces ----------------------------------------------------------------------------
    def ruleset(self, day: dt.date) -> RuleSet:
        return ruleset_for(rules.KIND, day, self.ctx.settings.rulesets_dir)

    def _change(self, s: Session, actor: Actor, case_id: uuid.UUID, version: int, transition: Transition,
                apply: Callable[[Case], dict[str, Any] | None] | None = None, *,
                data: dict[str, Any] | None = None) -> Case:
        """CaseOps.change, with the case row always rewritten: a change that only adds detail rows must
        still bump the version (when the clock has not moved, `updated_at` alone would not be a change)."""

        def wrapped(case: Case) -> dict[str, Any] | None:
            extra = apply(case) if apply else None
            flag_modified(case, "updated_at")
            return extra

        return self.cases.change(s, actor, case_id, version, transition, wrapped, data=data)

    def _ruleset_near(self, day: dt.date, fallback: dt.date) -> RuleSet:
        """The rule set of `day`, or today's when none was in force then (a queue must still show the row)."""
        try:
            return self.ruleset(day)
        except Refusal:
            return self.ruleset(fallback)

    def _letter(self) -> docs.Letter:
        o = self.ctx.settings.office
        return docs.Letter(office=self.services.issuance.office_info(), place=o.city or o.name)

    @staticmethod
    def _person(actor: Actor, role: str, role_en: str) -> docs.Person:
        return docs.Person(name=actor.full_name, role=role, role_en=role_en, nip=actor.nip or None)

    @staticmethod
    def _user_person(user: User, role: str, role_en: str) -> docs.Person:
        return docs.Person(name=user.full_name, role=role, role_en=role_en, nip=user.nip or None)

    def _header(self, pc: PibCase, doc: PibDocument) -> docs.PibHeader:
        return docs.PibHeader(aju=pc.aju, importer_name=pc.importer_name, importer_npwp=pc.importer_npwp,
                              bc11=_bc11_text(pc), bl=f"{doc.bl.number} / {doc.bl.date.isoformat()}",
                              arrival_date=pc.arrival_date, registration_number=pc.registration_number,
                              registered_on=pc.registered_on)

    def _issue(self, s: Session, actor: Actor, doc_type: str, build: Callable[[str, dt.date], Any],
               case_id: uuid.UUID, *, supersedes_number: str | None = None) -> IssuedDocument:
        supersedes = None
        if supersedes_number is not None:
            row = s.scalars(select(Document).where(Document.number == supersedes_number)
                            .order_by(Document.version.desc()).limit(1)).first()
            supersedes = _issued(row) if row is not None else None
        return self.services.issuance.issue_in(s, actor, doc_type, build, case_id=case_id, supersedes=supersedes)

    def _next_code(self, s: Session, actor: Actor, doc_type: str) -> tuple[int, int]:
        year = self.ctx.today().year
        unit = actor.unit_code or self.ctx.settings.unit_code or ""
        return numbering.next_seq(s, numbering.CounterKey(actor.office_code, unit, doc_type, year)), year

    def _billing_code(self, s: Session, actor: Actor) -> str:
        # 15 digits like a SIMPONI billing code: 8, office, year, sequence (gapless per office and year)
        seq, year = self._next_code(s, actor, "BILLING")
        return f"8{actor.office_code}{year % 100:02d}{seq:06d}"

    def _load(self, s: Session, case_id: uuid.UUID) -> tuple[Case, PibCase]:
        case = self.cases.get(s, case_id, kind=CaseKind.PIB.value)
        pc = s.get(PibCase, case_id)
        if pc is None:
            raise NotFound("no such PIB", field="case", code="UNKNOWN_CASE")
        return case, pc

    def _doc(self, s: Session, case_id: uuid.UUID, *, accepted_only: bool = True) -> PibDocument:
        q = select(PibSubmission.document).where(PibSubmission.case_id == case_id)
        if accepted_only:
            q = q.where(PibSubmission.accepted.is_(True))
        text = s.scalar(q.order_by(PibSubmission.version.desc()).limit(1))
        if text is None:
            text = s.scalar(select(PibSubmission.document).where(PibSubmission.case_id == case_id)
                            .order_by(PibSubmission.version.desc()).limit(1))
        if text is None:
            raise NotFound("no PIB document for this case", field="case", code="UNKNOWN_CASE")
        return parse_pib(text)

    @staticmethod
    def _current(s: Session, model, case_id: uuid.UUID, **where):
        q = select(model).where(model.case_id == case_id)
        for k, v in where.items():
            q = q.where(getattr(model, k) == v)
        return s.scalars(q.order_by(model.version.desc()).limit(1)).first()

    @staticmethod
    def _tariff_rows(s: Session, codes: Iterable[str]) -> dict[str, TariffRow]:
        codes = sorted(set(codes))
        if not codes:
            return {}
        return {t.hs_code: TariffRow(t.hs_code, t.description, Decimal(t.bm_rate))
                for t in s.scalars(select(TariffPost).where(TariffPost.hs_code.in_(codes)))}

    @staticmethod
    def _lartas_rows(s: Session) -> list[LartasRow]:
        return [LartasRow(r.hs_prefix, r.permit, r.agency) for r in s.scalars(select(LartasRule))]

    @staticmethod
    def _manifest(s: Session, number: str, date: dt.date, pos: str, subpos: str) -> ManifestLine | None:
        r = s.scalar(select(Bc11Line).where(Bc11Line.number == number, Bc11Line.date == date, Bc11Line.pos == pos,
                                            Bc11Line.subpos == subpos))
        if r is None:
            return None
        return ManifestLine(r.number, r.date, r.pos, r.subpos, r.bl_number, r.bl_date, r.consignee, r.packages,
                            r.package_unit, tuple(r.containers or ()))

    def _user(self, s: Session, login: str, field: str) -> User:
        user = s.scalar(select(User).where(User.login == (login or "").strip()))
        if user is None or not user.active:
            raise InputError(f"no active user {login!r}", field=field)
        return user

    def command_line_actor(self, login: str) -> Actor:
        """The named officer on whose behalf a shell command acts (issued documents need a real issuer).
        No session: audit entries show `cli:<login>`; whoever runs commands holds the database anyway."""
        with self.ctx.db.read() as s:
            user = self._user(s, login, "as")
            roles = frozenset(Role(r) for r in user.role_codes)
            return Actor(user.id, f"cli:{user.login}"[:32], user.full_name, roles, None, user.office_code,
                         self.ctx.settings.unit_code, user.nip)

    # ==============================================================================================
    # Reference data: tariff, lartas, BC 1.1 manifest, blocked importers
    # ==============================================================================================

    def import_tariff(self, actor: Actor, path: str | Path | None = None, *, text: str | None = None,
                      source: str | None = None) -> ImportCounts:
        """Store tariff posts (`hs_code,description,bm_rate`). A post already stored is updated when its
        description or rate changed. The whole file or nothing."""
        require_role(actor, Role.ADMIN, Role.SUPERVISOR, action="import the tariff table")
        body, label = _read_text(path, text, "tariff")
        label = source or label
        rows = parse_tariff_csv(body, source=label)
        with self.ctx.db.write() as s:
            stored = {t.hs_code: t for t in s.scalars(select(TariffPost))}
            added = changed = unchanged = 0
            for r in rows:
                old = stored.get(r.hs_code)
                if old is None:
                    s.add(TariffPost(hs_code=r.hs_code, description=r.description, bm_rate=r.bm_rate, source=label,
                                     imported_at=self.ctx.now()))
                    added += 1
                elif old.description != r.description or Decimal(old.bm_rate) != r.bm_rate:
                    old.description, old.bm_rate, old.source = r.description, r.bm_rate, label
                    old.imported_at = self.ctx.now()
                    changed += 1
                else:
                    unchanged += 1
            audit.append(s, actor.audit, "tariff.import", "tariff_posts", label,
                         {"added": added, "changed": changed, "unchanged": unchanged}, now=self.ctx.now())
        return ImportCounts(added, changed, unchanged)

    def import_lartas(self, actor: Actor, path: str | Path | None = None, *, text: str | None = None,
                      source: str | None = None) -> ImportCounts:
        """Store lartas rules (`hs_prefix,permit,agency`); same semantics as the tariff import."""
        require_role(actor, Role.ADMIN, Role.SUPERVISOR, action="import the lartas table")
        body, label = _read_text(path, text, "lartas")
        label = source or label
        rows = parse_lartas_csv(body, source=label)
        with self.ctx.db.write() as s:
            stored = {r.hs_prefix: r for r in s.scalars(select(LartasRule))}
            added = changed = unchanged = 0
            for r in rows:
                old = stored.get(r.hs_prefix)
                if old is None:
                    s.add(LartasRule(hs_prefix=r.hs_prefix, permit=r.permit, agency=r.agency, source=label,
                                     imported_at=self.ctx.now()))
                    added += 1
                elif (old.permit, old.agency) != (r.permit, r.agency):
                    old.permit, old.agency, old.source, old.imported_at = r.permit, r.agency, label, self.ctx.now()
                    changed += 1
                else:
                    unchanged += 1
            audit.append(s, actor.audit, "lartas.import", "lartas_rules", label,
                         {"added": added, "changed": changed, "unchanged": unchanged}, now=self.ctx.now())
        return ImportCounts(added, changed, unchanged)

    def import_sample_tables(self, actor: Actor) -> tuple[ImportCounts, ImportCounts]:
        """The shipped sample tariff and lartas tables (workstation/data/)."""
        base = resources.files("workstation").joinpath(DATA_DIR)
        tariff = self.import_tariff(actor, text=base.joinpath(SAMPLE_TARIFF).read_text(encoding="utf-8"),
                                    source=SAMPLE_TARIFF)
        lartas = self.import_lartas(actor, text=base.joinpath(SAMPLE_LARTAS).read_text(encoding="utf-8"),
                                    source=SAMPLE_LARTAS)
        return tariff, lartas

    def import_manifest(self, actor: Actor, path: str | Path | None = None, *, text: str | None = None,
                        source: str | None = None) -> ImportCounts:
        """Store BC 1.1 manifest lines. Idempotent; a line stored with other content is refused (a PIB may
        already rely on it) and then nothing of the file is written."""
        require_role(actor, Role.ADMIN, Role.SUPERVISOR, Role.EXAMINER, action="import BC 1.1 manifests")
        body, label = _read_text(path, text, "manifest")
        label = source or label
        lines = parse_manifest_csv(body, source=label)
        with self.ctx.db.write() as s:
            added = unchanged = 0
            for m in lines:
                old = self._manifest(s, *m.key)
                if old is None:
                    s.add(Bc11Line(number=m.number, date=m.date, pos=m.pos, subpos=m.subpos, bl_number=m.bl_number,
                                   bl_date=m.bl_date, consignee=m.consignee, packages=m.packages,
                                   package_unit=m.package_unit, containers=list(m.containers), source=label,
                                   imported_at=self.ctx.now()))
                    added += 1
                elif old == m:
                    unchanged += 1
                else:
                    raise InputError(f"BC 1.1 {m.number} of {m.date} pos {m.pos}/{m.subpos} is stored with other "
                                     "content; refusing to change it", field=f"{label}")
            audit.append(s, actor.audit, "manifest.import", "bc11_lines", label,
                         {"added": added, "unchanged": unchanged}, now=self.ctx.now())
        return ImportCounts(added, 0, unchanged)

    def tariff_post(self, hs_code: str) -> TariffRow | None:
        with self.ctx.db.read() as s:
            return self._tariff_rows(s, [hs_code]).get(hs_code)

    def manifest_line(self, number: str, date: dt.date, pos: str, subpos: str) -> ManifestLine | None:
        with self.ctx.db.read() as s:
            return self._manifest(s, number, date, pos, subpos)

    def declared_for_bc11(self, number: str, date: dt.date) -> bool:
        """True when a PIB (not rejected) names this BC 1.1: no PLP for these goods then (DOMAIN.md §3)."""
        with self.ctx.db.read() as s:
            q = (select(func.count()).select_from(PibCase).join(Case, Case.id == PibCase.case_id)
                 .where(PibCase.bc11_number == number, PibCase.bc11_date == date, Case.state != REJECTED))
            return bool(s.scalar(q))

    # -- blocked importers (supervisors) ---------------------------------------------------------------
    def block_importer(self, actor: Actor, npwp: str, name: str, reason: str) -> BlockInfo:
        require_role(actor, Role.SUPERVISOR, action="block an importer")
        digits = normalise_npwp(npwp or "")
        if not re.fullmatch(r"[0-9]{15}|[0-9]{16}", digits):
            raise InputError("NPWP must have 15 or 16 digits", field="npwp")
        name = _line(name, "name", max_len=200)
        reason = _line(reason, "reason", max_len=500)
        with self.ctx.db.write() as s:
            if s.scalar(select(ImporterBlock.id).where(ImporterBlock.npwp == digits, ImporterBlock.lifted_at.is_(None))):
                raise Refusal(f"importer {digits} is already blocked", code="ALREADY_BLOCKED", field="npwp")
            row = ImporterBlock(npwp=digits, name=name, reason=reason, blocked_at=self.ctx.now(),
                                blocked_by=actor.user_id)
            s.add(row)
            s.flush()
            audit.append(s, actor.audit, "importer.block", "importer", digits, {"name": name, "reason": reason},
                         now=self.ctx.now())
        return BlockInfo(digits, name, reason, row.blocked_at, actor.login)

    def unblock_importer(self, actor: Actor, npwp: str, reason: str) -> None:
        require_role(actor, Role.SUPERVISOR, action="lift an importer block")
        digits = normalise_npwp(npwp or "")
        reason = _line(reason, "reason", max_len=500)
        with self.ctx.db.write() as s:
            row = s.scalar(select(ImporterBlock).where(ImporterBlock.npwp == digits, ImporterBlock.lifted_at.is_(None)))
            if row is None:
                raise Refusal(f"importer {digits} is not blocked", code="NOT_BLOCKED", field="npwp")
            row.lifted_at, row.lifted_by, row.lift_reason = self.ctx.now(), actor.user_id, reason
            audit.append(s, actor.audit, "importer.unblock", "importer", digits, {"reason": reason},
                         now=self.ctx.now())

    def blocked_importers(self, actor: Actor) -> list[BlockInfo]:
        require_role(actor, Role.SUPERVISOR, Role.EXAMINER, Role.ADMIN, action="see blocked importers")
        with self.ctx.db.read() as s:
            rows = s.execute(select(ImporterBlock, User.login).outerjoin(User, User.id == ImporterBlock.blocked_by)
                             .where(ImporterBlock.lifted_at.is_(None)).order_by(ImporterBlock.blocked_at)).all()
            return [BlockInfo(b.npwp, b.name, b.reason, b.blocked_at, login or "-") for b, login in rows]

    # ==============================================================================================
    # 1-3. Intake: SKP checks, lartas, billing, registration and SPJM
    # ==============================================================================================

    def _reference(self, s: Session, doc: PibDocument, day: dt.date) -> IntakeReference:
        blocked = {b.npwp: b.reason for b in s.scalars(
            select(ImporterBlock).where(ImporterBlock.npwp == normalise_npwp(doc.importer.npwp),
                                        ImporterBlock.lifted_at.is_(None)))}
        try:
            quoted = self.services.reference.rate_table().rate(doc.currency, day) * QUOTE_UNITS.get(doc.currency, 1)
        except InputError:
            quoted = None
        return IntakeReference(
            office_code=self.ctx.settings.office.code, submitted_on=day, blocked=blocked,
            manifest_line=self._manifest(s, doc.bc11.number, doc.bc11.date, doc.bc11.pos, doc.bc11.subpos),
            ndpbm_quoted=quoted, tariff=self._tariff_rows(s, (i.hs_code for i in doc.items)),
            lartas=self._lartas_rows(s))

    def check(self, doc: PibDocument) -> list[Problem]:
        """The SKP checks alone, writing nothing (a preview for the intake screen)."""
        with self.ctx.db.read() as s:
            return skp_checks(doc, self._reference(s, doc, self.ctx.today()))

    def import_pib(self, actor: Actor, path: str | Path | None = None, *, text: str | bytes | None = None,
                   source: str | None = None) -> IntakeResult:
        """Receive a pib/1 document. Unreadable or malformed input is an InputError and nothing is written.
        A well-formed PIB is always kept: rejected (with a rejection response listing every problem), or
        accepted (lartas flagged, billing code issued; registered with SPJM at once when nothing is due).
        The same aju again: after a rejection it is a resubmission (version + 1); the identical document
        again is a no-op; any other change to a PIB past rejection is refused."""
        require_role(actor, *_INTAKE, action="receive PIBs")
        body, label = _read_text(path, text, "pib")
        label = source or label
        doc = parse_pib(body)
        if doc.determination is not None:
            raise InputError("an importer's PIB carries no determination", field="determination")
        digest = sha256_hex(body.strip())
        today = self.ctx.today()
        with self.ctx.db.write() as s:
            existing = s.scalar(select(PibCase).where(PibCase.aju == doc.aju))
            case = None
            if existing is not None:
                case = s.get(Case, existing.case_id)
                last = self._current(s, PibSubmission, existing.case_id)
                if last is not None and last.content_hash == digest:
                    bill = s.scalar(select(PibBilling).where(PibBilling.case_id == case.id,
                                                             PibBilling.kind == "DECLARED"))
                    return IntakeResult(case.id, doc.aju, case.version, case.state, last.accepted, last.version,
                                        tuple(Problem.from_json(p) for p in last.problems),
                                        billing_code=bill.code if bill else None,
                                        billing_total_idr=bill.total_idr if bill else None,
                                        registration_number=existing.registration_number, unchanged=True)
                if case.state != REJECTED:
                    raise Refusal(f"PIB {doc.aju} is already {case.state}; only a rejected PIB can be resubmitted",
                                  code="DUPLICATE", field="aju")
            ref = self._reference(s, doc, today)
            problems = skp_checks(doc, ref)
            accepted = not problems
            submission = (existing.submission_version + 1) if existing is not None else 1
            flags = lartas_flags(doc.items, ref.lartas) if accepted else []
            assessment = rules.assess_pib(doc, ruleset=self.ruleset(today)) if accepted else None
            due = assessment.declared.totals.total_idr if assessment else None
            to_state = REJECTED if not accepted else (BILLED if due else SPJM)
            data = {"submission": submission, "source": label, "accepted": accepted,
                    "problems": [p.code.value for p in problems]}
            summary = {"importer": doc.importer.name, "submission": submission}
            if existing is None:
                case = self.cases.open(s, actor, kind=CaseKind.PIB.value, reference=doc.aju, state=to_state,
                                       summary=summary, audit_data=data)
                pc = PibCase(case_id=case.id, aju=doc.aju)
                s.add(pc)
            else:
                pc = existing
                action = {REJECTED: "pib.resubmit.rejected", BILLED: "pib.resubmit.billed",
                          SPJM: "pib.resubmit.registered"}[to_state]

                def apply(c: Case) -> None:
                    c.summary = {**(c.summary or {}), **summary}

                case = self._change(s, actor, case.id, case.version, TRANSITIONS[action], apply, data=data)
            pc.importer_npwp = normalise_npwp(doc.importer.npwp)[:16]
            pc.importer_name = doc.importer.name[:200]
            pc.bc11_number, pc.bc11_date, pc.bc11_pos, pc.bc11_subpos = (
                doc.bc11.number, doc.bc11.date, doc.bc11.pos, doc.bc11.subpos)
            pc.arrival_date = doc.arrival_date
            pc.first_storage_on = doc.arrival_date
            pc.submission_version = submission
            pc.submitted_on = today
            pc.lartas = [f.as_json() for f in flags]
            s.flush()
            sub = PibSubmission(case_id=case.id, version=submission, received_at=self.ctx.now(),
                                received_by=actor.user_id, source=label[:200], document=body, content_hash=digest,
                                accepted=accepted, problems=[p.as_json() for p in problems])
            issued: list[str] = []
            billing_code = None
            if not accepted:
                header = self._header(pc, doc)
                d = self._issue(s, actor, docs.REJECTION, partial(
                    docs.rejection_response, letter=self._letter(), header=header, submission=submission,
                    problems=[p.as_json() for p in problems]), case.id)
                sub.response_number = d.number
                issued.append(d.number)
            s.add(sub)
            if accepted:
                rs = self.ruleset(today)
                self.services.reference.record_ruleset(s, rs)
                if due:
                    billing_code = self._billing_code(s, actor)
                    s.add(PibBilling(case_id=case.id, kind="DECLARED", code=billing_code,
                                     levies=_levies_json(assessment.declared.totals), fine_idr=0, total_idr=due,
                                     issued_on=today))
                else:
                    issued.append(self._register(s, actor, case, pc, doc, billing_code=None,
                                                 levies=assessment.declared.totals))
            s.flush()
            return IntakeResult(case.id, doc.aju, case.version, case.state, accepted, submission, tuple(problems),
                                billing_code=billing_code, billing_total_idr=due,
                                registration_number=pc.registration_number, documents=tuple(issued))

    def _register(self, s: Session, actor: Actor, case: Case, pc: PibCase, doc: PibDocument, *,
                  billing_code: str | None, levies: Levies | dict[str, int]) -> str:
        """SKP registration: the PIB's gapless number and date, and the SPJM. The 30-day clock starts."""
        seq, _ = self._next_code(s, actor, "PIB")
        unit = actor.unit_code or self.ctx.settings.unit_code
        pc.registration_number = f"{unit}-{seq:06d}" if unit else f"{seq:06d}"
        pc.registered_on = self.ctx.today()
        s.flush()
        lev = levies.as_json() if isinstance(levies, Levies) else dict(levies)
        d = self._issue(s, actor, docs.SPJM, partial(
            docs.spjm, letter=self._letter(), header=self._header(pc, doc), items=_item_rows(doc),
            billing_code=billing_code, levies=lev, lartas=list(pc.lartas or [])), case.id)
        return d.number

    def pay_billing(self, actor: Actor, case_id: uuid.UUID, version: int, *, billing_code: str, ntpn: str,
                    amount_idr: int | str, paid_on: dt.date | str | None = None) -> CaseView:
        """Record the payment of the declared billing (from the bank's NTPN); SKP then registers the PIB
        and issues the SPJM."""
        ntpn, amount, day = self._payment_input(ntpn, amount_idr, paid_on)
        with self.ctx.db.write() as s:
            case, pc = self._load(s, case_id)

            def apply(case: Case) -> dict[str, Any]:
                bill = self._settle(s, actor, case_id, "DECLARED", billing_code, ntpn, amount, day)
                spjm = self._register(s, actor, case, pc, self._doc(s, case_id), billing_code=bill.code,
                                      levies=bill.levies)
                return {"billing_code": bill.code, "ntpn": ntpn, "amount_idr": amount, "paid_on": day.isoformat(),
                        "registration": pc.registration_number, "spjm": spjm}

            case = self._change(s, actor, case_id, version, TRANSITIONS["pib.pay_billing"], apply)
            return view(case)

    def _payment_input(self, ntpn: str, amount_idr: int | str,
                       paid_on: dt.date | str | None) -> tuple[str, int, dt.date]:
        """Checked before any write: the bank's NTPN, the whole-rupiah amount, a payment date not in the future."""
        ntpn = _ntpn(ntpn)
        amount = _rupiah_value(amount_idr, "amount_idr")
        day = _date_value(paid_on, "paid_on") or self.ctx.today()
        if day > self.ctx.today():
            raise InputError("payment date is in the future", field="paid_on")
        return ntpn, amount, day

    def _settle(self, s: Session, actor: Actor, case_id: uuid.UUID, kind: str, code: str, ntpn: str, amount: int,
                day: dt.date) -> PibBilling:
        """Mark this case's unpaid billing of `kind` paid, after checking it is the one being paid."""
        bill = s.scalar(select(PibBilling).where(PibBilling.case_id == case_id, PibBilling.kind == kind,
                                                 PibBilling.paid_on.is_(None)))
        self._check_payment(bill, code, amount, day)
        bill.paid_on, bill.ntpn, bill.paid_amount_idr = day, ntpn, amount
        bill.recorded_by, bill.recorded_at = actor.user_id, self.ctx.now()
        return bill

    @staticmethod
    def _check_payment(bill: PibBilling | None, code: str, amount: int, day: dt.date) -> None:
        if bill is None:
            raise Refusal("no unpaid billing on this PIB", code="NO_BILLING")
        if (code or "").strip() != bill.code:
            raise InputError(f"billing code does not match this PIB's ({bill.code})", field="billing_code")
        if amount != bill.total_idr:
            raise InputError(f"amount must be the billed {bill.total_idr:,} rupiah", field="amount_idr")
        if day < bill.issued_on:
            raise InputError("payment date is before the billing was issued", field="paid_on")

    def record_supporting_documents(self, actor: Actor, case_id: uuid.UUID, version: int,
                                    documents: Sequence[Mapping[str, Any]]) -> CaseView:
        """The importer's supporting documents (invoice, packing list, B/L, permits...). A PERMIT names the
        PIB item it covers (`item_seq`); it then counts for that line's lartas requirement."""
        if not documents:
            raise InputError("no document given", field="documents")
        parsed = []
        for n, d in enumerate(documents):
            where = f"documents[{n}]"
            kind = str(d.get("kind", "")).strip().upper()
            if kind not in SUPPORTING_KINDS:
                raise InputError(f"kind must be one of {', '.join(SUPPORTING_KINDS)}", field=f"{where}.kind")
            number = _line(d.get("number"), f"{where}.number", max_len=100)
            day = _date_value(d.get("date"), f"{where}.date")
            seq = d.get("item_seq")
            if seq in ("", None):
                seq = None
            else:
                try:
                    seq = int(seq)
                except (TypeError, ValueError):
                    raise InputError("must be an item number", field=f"{where}.item_seq") from None
            if kind == "PERMIT" and seq is None:
                raise InputError("a permit names the PIB item it covers", field=f"{where}.item_seq")
            parsed.append((kind, number, day, seq))
        with self.ctx.db.write() as s:
            case, pc = self._load(s, case_id)

            def apply(case: Case) -> dict[str, Any]:
                seqs = {i.seq for i in self._doc(s, case_id).items}
                lartas = [dict(f) for f in (pc.lartas or [])]
                for n, (kind, number, day, seq) in enumerate(parsed):
                    if seq is not None and seq not in seqs:
                        raise InputError(f"the PIB has no item {seq}", field=f"documents[{n}].item_seq")
                    s.add(PibSupportingDoc(case_id=case_id, kind=kind, number=number, doc_date=day, item_seq=seq,
                                           recorded_at=self.ctx.now(), recorded_by=actor.user_id))
                    if kind == "PERMIT":
                        for f in lartas:
                            if f["seq"] == seq:
                                f["permit"], f["missing"] = number, False
                pc.lartas = lartas
                return {"documents": [{"kind": k, "number": n, "item_seq": q} for k, n, _, q in parsed]}

            case = self._change(s, actor, case_id, version, TRANSITIONS["pib.supporting_documents"], apply)
            return view(case)

    def record_goods_ready(self, actor: Actor, case_id: uuid.UUID, version: int, *, location: str,
                           ready_on: dt.date | str, contact: str) -> CaseView:
        """The importer's goods-readiness notice: where (TPS) and from when the goods can be inspected."""
        location = _line(location, "location", max_len=100)
        contact = _line(contact, "contact", max_len=200)
        day = _date_value(ready_on, "ready_on")
        if day is None:
            raise InputError("required", field="ready_on")
        with self.ctx.db.write() as s:
            case, pc = self._load(s, case_id)
            if pc.registered_on and day < pc.registered_on:
                raise InputError("before the PIB's registration", field="ready_on")

            def apply(case: Case) -> dict[str, Any]:
                pc.goods_ready_on, pc.goods_location, pc.goods_contact = day, location, contact
                return {"location": location, "ready_on": day.isoformat()}

            case = self._change(s, actor, case_id, version, TRANSITIONS["pib.goods_ready"], apply)
            return view(case)

    # ==============================================================================================
    # 4. Instruksi Pemeriksaan
    # ==============================================================================================

    def issue_instruction(self, actor: Actor, case_id: uuid.UUID, version: int, *, inspector_login: str,
                          level_pct: int | str, containers: Sequence[str] = (), packages: str = "", memo: str = "",
                          sample_requested: bool = False) -> CaseView:
        """Appoint the physical inspector (never the case's examiner, nor the issuer) at level 10% or 30%,
        naming containers and/or packages. On a case already in inspection this re-issues the IP (a new
        version of the same document) to another inspector or with other terms."""
        try:
            level = int(str(level_pct).strip().rstrip("%"))
        except ValueError:
            raise InputError("inspection level must be a number", field="level_pct") from None
        levels = rules.pib_rules(self.ruleset(self.ctx.today())).inspection.levels_pct
        if level not in levels:
            allowed = " or ".join(f"{v}%" for v in levels)
            raise InputError(f"inspection level must be {allowed}", field="level_pct")
        numbers = [c.strip().upper() for c in containers if c and c.strip()]
        for n, c in enumerate(numbers):
            if not container_number_valid(c):
                raise InputError(f"{c} is not a valid ISO 6346 container number", field=f"containers[{n}]")
        if len(set(numbers)) != len(numbers):
            raise InputError("a container is named twice", field="containers")
        packages = _line(packages, "packages", required=False, max_len=500)
        memo = _line(memo, "memo", required=False, max_len=2000)
        if not numbers and not packages:
            raise InputError("name the containers or the packages to inspect", field="containers")
        with self.ctx.db.write() as s:
            case, pc = self._load(s, case_id)
            inspector = self._user(s, inspector_login, "inspector")
            if Role.INSPECTOR.value not in inspector.role_codes:
                raise Refusal(f"{inspector.login} is not a physical inspector", code="ROLE_REQUIRED",
                              field="inspector")
            ensure_other_user(actor, inspector.id, "the issuer of the IP cannot be its inspector")
            if case.assigned_to is not None and case.assigned_to == inspector.id:
                raise PermissionDenied("the case's examiner cannot be its physical inspector",
                                       code="SEPARATION_OF_DUTIES")
            manifest = self._manifest(s, pc.bc11_number, pc.bc11_date, pc.bc11_pos, pc.bc11_subpos)
            if manifest is not None and manifest.containers:
                for n, c in enumerate(numbers):
                    if c not in manifest.containers:
                        raise InputError(f"{c} is not on the PIB's BC 1.1 line", field=f"containers[{n}]")
            previous = self._current(s, PibInstruction, case_id)
            action = "pib.reissue_ip" if case.state == INSPECTION else "pib.issue_ip"

            def apply(case: Case) -> dict[str, Any]:
                if actor.has(Role.EXAMINER) and case.assigned_to is None:
                    case.assigned_to = actor.user_id  # the examiner who sends the case to the hangar owns it
                doc = self._doc(s, case_id)
                d = self._issue(s, actor, docs.IP, partial(
                    docs.instruction, letter=self._letter(), header=self._header(pc, doc),
                    inspector=self._user_person(inspector, "Pemeriksa Fisik", "Physical inspector"),
                    level_pct=level, containers=numbers, packages=packages, memo=memo,
                    sample_requested=sample_requested, location=pc.goods_location or "",
                    issued_by=self._person(actor, "Pejabat Pemeriksa Dokumen", "Document examiner"),
                    version=(previous.version + 1) if previous else 1),
                    case_id, supersedes_number=previous.document_number if previous else None)
                s.add(PibInstruction(case_id=case_id, version=(previous.version + 1) if previous else 1,
                                     inspector_id=inspector.id, level_pct=level, containers=numbers,
                                     packages=packages, memo=memo, sample_requested=bool(sample_requested),
                                     issued_by=actor.user_id, issued_at=self.ctx.now(), document_number=d.number))
                pc.inspector_id = inspector.id
                case.summary = {**(case.summary or {}), "inspector": inspector.login, "level_pct": level}
                return {"inspector": inspector.login, "level_pct": level, "containers": numbers, "ip": d.number}

            case = self._change(s, actor, case_id, version, TRANSITIONS[action], apply)
            return view(case)

    # ==============================================================================================
    # 5. Hangar: BAP fisik, BA pengambilan contoh, LHP
    # ==============================================================================================

    def _inspector_instruction(self, s: Session, actor: Actor, case_id: uuid.UUID) -> PibInstruction:
        ip = self._current(s, PibInstruction, case_id)
        if ip is None:
            raise Refusal("no Instruksi Pemeriksaan on this case", code="NO_INSTRUCTION")
        if ip.inspector_id != actor.user_id:
            raise PermissionDenied("only the inspector the IP names may report on it", code="NOT_ASSIGNED")
        return ip

    def _record_report(self, s: Session, actor: Actor, case: Case, pc: PibCase, kind: str, content: dict[str, Any],
                       build: Callable[..., Any]) -> tuple[int, str]:
        previous = self._current(s, PibReport, case.id, kind=kind)
        number = previous.version + 1 if previous else 1
        d = self._issue(s, actor, kind, partial(build, version=number), case.id,
                        supersedes_number=previous.document_number if previous else None)
        s.add(PibReport(case_id=case.id, kind=kind, version=number, author_id=actor.user_id, content=content,
                        submitted_at=self.ctx.now(), document_number=d.number, document_version=d.version,
                        supersedes_id=previous.id if previous else None))
        return number, d.number

    def _check_seqs(self, doc: PibDocument, seqs: Iterable[int], array: str) -> None:
        known = {i.seq for i in doc.items}
        for n, seq in enumerate(seqs):
            if seq not in known:
                raise InputError(f"the PIB has no item {seq}", field=f"{array}[{n}].seq")

    def record_bap(self, actor: Actor, case_id: uuid.UUID, version: int, form: BapInput) -> CaseView:
        """BAP fisik, signed by the importer's/PPJK's representative and the inspector. Again = amendment."""
        check_signed(form)
        content = form.model_dump(mode="json")
        with self.ctx.db.write() as s:
            case, pc = self._load(s, case_id)

            def apply(case: Case) -> dict[str, Any]:
                ip = self._inspector_instruction(s, actor, case_id)
                doc = self._doc(s, case_id)
                v, number = self._record_report(s, actor, case, pc, docs.BAP, content, partial(
                    docs.bap, letter=self._letter(), header=self._header(pc, doc), ip_number=ip.document_number,
                    minutes=content, inspector=self._person(actor, "Pemeriksa Fisik", "Physical inspector")))
                return {"bap": number, "report_version": v}

            case = self._change(s, actor, case_id, version, TRANSITIONS["pib.record_bap"], apply)
            return view(case)

    def record_sampling(self, actor: Actor, case_id: uuid.UUID, version: int, form: SamplingInput) -> CaseView:
        """BA pengambilan contoh barang, signed by both."""
        check_signed(form)
        content = form.model_dump(mode="json")
        with self.ctx.db.write() as s:
            case, pc = self._load(s, case_id)

            def apply(case: Case) -> dict[str, Any]:
                ip = self._inspector_instruction(s, actor, case_id)
                doc = self._doc(s, case_id)
                self._check_seqs(doc, (x.seq for x in form.samples), "samples")
                v, number = self._record_report(s, actor, case, pc, docs.BA_CONTOH, content, partial(
                    docs.sampling, letter=self._letter(), header=self._header(pc, doc), ip_number=ip.document_number,
                    minutes=content, inspector=self._person(actor, "Pemeriksa Fisik", "Physical inspector")))
                return {"ba_contoh": number, "report_version": v}

            case = self._change(s, actor, case_id, version, TRANSITIONS["pib.record_sampling"], apply)
            return view(case)

    def submit_lhp(self, actor: Actor, case_id: uuid.UUID, version: int, form: LhpInput) -> CaseView:
        """Record the LHP; locked once submitted. Needs the BAP fisik (and the BA contoh when the IP asked
        for samples), every container the IP names, and items that exist in the PIB. Submitting again while
        the examiner researches is an amendment: a new version of the report and of its document."""
        content = {**form.model_dump(mode="json"), "conclusion": form.conclusion}
        with self.ctx.db.write() as s:
            case, pc = self._load(s, case_id)
            action = "pib.amend_lhp" if case.state == RESEARCH else "pib.submit_lhp"

            def apply(case: Case) -> dict[str, Any]:
                ip = self._inspector_instruction(s, actor, case_id)
                doc = self._doc(s, case_id)
                self._check_seqs(doc, (i.seq for i in form.items), "items")
                reported = {c.number for c in form.containers}
                for c in ip.containers:
                    if c not in reported:
                        raise InputError(f"container {c} of the IP is not reported", field="containers")
                if self._current(s, PibReport, case_id, kind=docs.BAP) is None:
                    raise Refusal("record the BAP fisik first", code="BAP_REQUIRED")
                if ip.sample_requested and self._current(s, PibReport, case_id, kind=docs.BA_CONTOH) is None:
                    raise Refusal("the IP asked for samples: record the BA pengambilan contoh first",
                                  code="SAMPLING_REQUIRED")
                v, number = self._record_report(s, actor, case, pc, docs.LHP, content, partial(
                    docs.lhp, letter=self._letter(), header=self._header(pc, doc), ip_number=ip.document_number,
                    level_pct=ip.level_pct, report=content, conclusion=form.conclusion,
                    inspector=self._person(actor, "Pemeriksa Fisik", "Physical inspector")))
                case.summary = {**(case.summary or {}), "lhp": form.conclusion}
                return {"lhp": number, "report_version": v, "conclusion": form.conclusion}

            case = self._change(s, actor, case_id, version, TRANSITIONS[action], apply)
            return view(case)

    # ==============================================================================================
    # 6. Research: NPD / DNP, lab, enforcement
    # ==============================================================================================

    def request_information(self, actor: Actor, case_id: uuid.UUID, version: int, *, kind: str,
                            text: str) -> CaseView:
        """NPD (documents) or DNP (customs value declaration), due N working days later (rule set)."""
        kind = (kind or "").strip().upper()
        if kind not in REQUEST_KINDS:
            raise InputError("kind must be NPD or DNP", field="kind")
        text = _line(text, "text", max_len=4000)
        with self.ctx.db.write() as s:
            case, pc = self._load(s, case_id)

            def apply(case: Case) -> dict[str, Any]:
                today = self.ctx.today()
                due = rules.npd_answer_due(today, ruleset=self.ruleset(pc.registered_on or today))
                d = self._issue(s, actor, kind, partial(
                    docs.request, kind, letter=self._letter(), header=self._header(pc, self._doc(s, case_id)),
                    text=text, due_on=due, examiner=self._person(actor, "Pejabat Pemeriksa Dokumen",
                                                                 "Document examiner")), case_id)
                s.add(PibRequest(case_id=case_id, kind=kind, text=text, requested_at=self.ctx.now(),
                                 requested_by=actor.user_id, due_on=due, document_number=d.number))
                return {"kind": kind, "due_on": due.isoformat(), "document": d.number}

            case = self._change(s, actor, case_id, version, TRANSITIONS["pib.request"], apply)
            return view(case)

    def request_lab_test(self, actor: Actor, case_id: uuid.UUID, version: int, *, item_seq: int | str,
                         text: str) -> CaseView:
        """Send a sample of an item to the laboratory (needs the BA pengambilan contoh)."""
        try:
            seq = int(item_seq)
        except (TypeError, ValueError):
            raise InputError("must be an item number", field="item_seq") from None
        text = _line(text, "text", max_len=4000)
        with self.ctx.db.write() as s:
            self._load(s, case_id)

            def apply(case: Case) -> dict[str, Any]:
                self._check_seqs(self._doc(s, case_id), [seq], "item")
                ba = self._current(s, PibReport, case_id, kind=docs.BA_CONTOH)
                if ba is None or seq not in {x["seq"] for x in ba.content.get("samples", [])}:
                    raise Refusal(f"no sample of item {seq} was taken (BA pengambilan contoh)", code="NO_SAMPLE")
                s.add(PibRequest(case_id=case_id, kind="LAB", text=text, item_seq=seq, requested_at=self.ctx.now(),
                                 requested_by=actor.user_id))
                return {"kind": "LAB", "item_seq": seq}

            case = self._change(s, actor, case_id, version, TRANSITIONS["pib.request"], apply)
            return view(case)

    def record_answer(self, actor: Actor, case_id: uuid.UUID, version: int, request_id: uuid.UUID | str, *,
                      answer: str, result: str | None = None) -> CaseView:
        """The importer's answer to an NPD/DNP, or the lab's result (CONFORMS / DIFFERS). Recorded once."""
        answer = _line(answer, "answer", max_len=4000)
        result = (result or "").strip().upper() or None
        try:
            rid = request_id if isinstance(request_id, uuid.UUID) else uuid.UUID(str(request_id))
        except ValueError:
            raise InputError("not a request id", field="request") from None
        with self.ctx.db.write() as s:
            self._load(s, case_id)

            def apply(case: Case) -> dict[str, Any]:
                req = s.get(PibRequest, rid)
                if req is None or req.case_id != case_id or req.kind == "ENFORCEMENT":
                    raise NotFound("no such request on this PIB", field="request", code="UNKNOWN_REQUEST")
                if req.answered_at is not None:
                    raise Refusal("this request was already answered", code="ALREADY_ANSWERED")
                if req.kind == "LAB":
                    if result not in LAB_RESULTS:
                        raise InputError("lab result must be CONFORMS or DIFFERS", field="result")
                elif result is not None:
                    raise InputError("only a lab test has a result", field="result")
                req.answer, req.result, req.answered_at, req.answered_by = (answer, result, self.ctx.now(),
                                                                            actor.user_id)
                return {"request": str(rid), "kind": req.kind, "result": result}

            case = self._change(s, actor, case_id, version, TRANSITIONS["pib.answer"], apply)
            return view(case)

    def refer_to_enforcement(self, actor: Actor, case_id: uuid.UUID, version: int, *, reason: str) -> CaseView:
        """Hand a mismatch to the enforcement unit (P2). The case stays with the examiner, flagged."""
        reason = _line(reason, "reason", max_len=4000)
        with self.ctx.db.write() as s:
            case, pc = self._load(s, case_id)

            def apply(case: Case) -> dict[str, Any]:
                s.add(PibRequest(case_id=case_id, kind="ENFORCEMENT", text=reason, requested_at=self.ctx.now(),
                                 requested_by=actor.user_id))
                pc.enforcement = True
                return {"reason": reason}

            case = self._change(s, actor, case_id, version, TRANSITIONS["pib.refer_enforcement"], apply)
            return view(case)

    # ==============================================================================================
    # 6-7. Determination, SPTNP payment, release
    # ==============================================================================================

    @staticmethod
    def determination_from_form(rows: Sequence[Mapping[str, Any]]) -> list[DeterminedItem]:
        """Examiner's form rows (`seq`, and any of hs_code, cif, bm_rate, quantity, lartas_permit... as text;
        empty = keep declared) -> determined items. Bad values name the field: `items[seq=2].cif`."""
        out = []
        for row in rows:
            try:
                seq = int(row["seq"])
            except (KeyError, TypeError, ValueError):
                raise InputError("must be an item number", field="items.seq") from None
            data: dict[str, Any] = {"seq": seq}
            for key, value in row.items():
                if key == "seq" or value is None or (isinstance(value, str) and not value.strip()):
                    continue
                if key == "excise_idr":
                    value = _rupiah_value(value, f"items[seq={seq}].excise_idr")
                elif key == "lartas_required" and isinstance(value, str):
                    value = value.strip().lower() in ("1", "y", "yes", "true", "ya")
                elif isinstance(value, str):
                    value = value.strip()
                data[key] = value
            if len(data) == 1:
                continue
            try:
                out.append(DeterminedItem.model_validate(data))
            except ValidationError as exc:
                err = validation_input_error(exc)
                raise InputError(err.message, field=f"items[seq={seq}].{err.field}") from None
        return out

    def _effective_determination(self, s: Session, case_id: uuid.UUID, doc: PibDocument, pc: PibCase,
                                 items: Sequence[DeterminedItem]) -> Determination:
        """The examiner's items, checked against the PIB and the tariff, with the lartas table applied to
        the determined HS codes and permits presented since (supporting documents of kind PERMIT)."""
        seqs = {i.seq for i in doc.items}
        by_seq: dict[int, DeterminedItem] = {}
        for d in items:
            if d.seq not in seqs:
                raise InputError(f"the PIB has no item {d.seq}", field=f"items[seq={d.seq}].seq")
            if d.seq in by_seq:
                raise InputError("item determined twice", field=f"items[seq={d.seq}].seq")
            if d.hs_code is not None:
                if len(d.hs_code) != 10:
                    raise InputError("HS code must have 10 digits", field=f"items[seq={d.seq}].hs_code")
                if not self._tariff_rows(s, [d.hs_code]):
                    raise InputError(f"HS code {d.hs_code} is not in the tariff table",
                                     field=f"items[seq={d.seq}].hs_code")
            by_seq[d.seq] = d
        presented = {p.item_seq: p.number for p in s.scalars(
            select(PibSupportingDoc).where(PibSupportingDoc.case_id == case_id, PibSupportingDoc.kind == "PERMIT")
            .order_by(PibSupportingDoc.recorded_at))}
        lartas = self._lartas_rows(s)
        effective = rules.apply_determination(doc.items, Determination(items=list(by_seq.values())))
        for item in effective:
            d = by_seq.get(item.seq) or DeterminedItem(seq=item.seq)
            update: dict[str, Any] = {}
            needs = lartas_for(item.hs_code, lartas) is not None
            if needs and d.lartas_required is None and not item.lartas_required:
                update["lartas_required"] = True
            if (needs or item.lartas_required) and not item.lartas_permit and item.seq in presented:
                update["lartas_permit"] = presented[item.seq]
            if update:
                by_seq[item.seq] = d.model_copy(update=update)
        return Determination(items=[by_seq[k] for k in sorted(by_seq)])

    def preview_determination(self, actor: Actor, case_id: uuid.UUID,
                              items: Sequence[DeterminedItem]) -> PibAssessment:
        """What `determine` would decide, writing nothing."""
        require_role(actor, Role.EXAMINER, Role.SUPERVISOR, action="preview a determination")
        with self.ctx.db.read() as s:
            _, pc = self._load(s, case_id)
            doc = self._doc(s, case_id)
            det = self._effective_determination(s, case_id, doc, pc, items)
            day = pc.registered_on or self.ctx.today()
            return rules.assess_pib(doc.model_copy(update={"determination": det}), ruleset=self.ruleset(day))

    def _open_requests(self, s: Session, case_id: uuid.UUID) -> list[PibRequest]:
        today = self.ctx.today()
        out = []
        for r in s.scalars(select(PibRequest).where(PibRequest.case_id == case_id, PibRequest.answered_at.is_(None),
                                                    PibRequest.kind != "ENFORCEMENT")):
            if r.kind == "LAB" or (r.due_on is not None and today <= r.due_on):
                out.append(r)
        return out

    def determine(self, actor: Actor, case_id: uuid.UUID, version: int, items: Sequence[DeterminedItem], *,
                  note: str = "") -> DeterminationResult:
        """Determine HS, value and rates per item; `assess_pib` computes declared vs determined levies, the BM
        shortfall, the fine and the outcome; issue SPPB, SPTNP (+ billing, due dates), SPTNP+SPPB or SPBL.
        Refused to the inspector who recorded the LHP (separation of duties), while a lab result is
        pending or an NPD/DNP is open and not yet due."""
        note = _line(note, "note", required=False, max_len=4000)
        items = list(items)
        with self.ctx.db.write() as s:
            case, pc = self._load(s, case_id)
            authors = set(s.scalars(select(PibReport.author_id).where(PibReport.case_id == case_id)))
            if actor.user_id in authors:
                raise PermissionDenied("you recorded this case's inspection report; another examiner must determine "
                                       "it", code="SEPARATION_OF_DUTIES")
            doc = self._doc(s, case_id)
            det = self._effective_determination(s, case_id, doc, pc, items)
            today = self.ctx.today()
            rs = self.ruleset(pc.registered_on or today)
            result = rules.assess_pib(doc.model_copy(update={"determination": det}), ruleset=rs)
            transition = TRANSITIONS[f"pib.determine.{result.outcome.value}"]
            issued: list[str] = []
            billing: list[str] = []

            def apply(case: Case) -> dict[str, Any]:
                pending = self._open_requests(s, case_id)
                if pending:
                    kinds = ", ".join(sorted({r.kind for r in pending}))
                    raise Refusal(f"open requests ({kinds}) await their answer", code="OPEN_REQUESTS")
                self.services.reference.record_ruleset(s, rs)
                issued.extend(self._determination_documents(s, actor, case, pc, doc, det, result, rs, billing))
                previous = self._current(s, PibDetermination, case_id)
                s.add(PibDetermination(
                    case_id=case_id, version=(previous.version + 1) if previous else 1, examiner_id=actor.user_id,
                    decided_at=self.ctx.now(), decided_on=today,
                    items=[d.model_dump(mode="json", exclude_none=True) for d in det.items], note=note,
                    ruleset_id=rs.id, ruleset_sha256=rs.sha256, assessment=self._assessment_json(result),
                    outcome=result.outcome.value, documents=list(issued)))
                pc.outcome, pc.determined_on = result.outcome.value, today
                if case.assigned_to is None:
                    case.assigned_to = actor.user_id
                case.summary = {**(case.summary or {}), "outcome": result.outcome.value}
                return {"outcome": result.outcome.value, "ruleset": rs.id, "documents": list(issued),
                        "bm_shortfall_idr": result.bm_shortfall_idr, "fine_idr": result.fine_idr,
                        "difference_total_idr": result.difference.total_idr}

            case = self._change(s, actor, case_id, version, transition, apply)
            return DeterminationResult(view(case), result, tuple(issued), billing[0] if billing else None)

    @staticmethod
    def _assessment_json(result: PibAssessment) -> dict[str, Any]:
        return {**result.contract_json(), "ruleset": result.ruleset, "lartas_missing": list(result.lartas_missing)}

    def _determination_documents(self, s: Session, actor: Actor, case: Case, pc: PibCase, doc: PibDocument,
                                 det: Determination, result: PibAssessment, rs: RuleSet,
                                 billing: list[str]) -> list[str]:
        letter, header = self._letter(), self._header(pc, doc)
        examiner = self._person(actor, "Pejabat Pemeriksa Dokumen", "Document examiner")
        today = self.ctx.today()
        out: list[str] = []
        if result.outcome == Outcome.SPBL:
            effective = rules.apply_determination(doc.items, det)
            lartas = self._lartas_rows(s)
            rows = []
            for item in effective:
                if item.seq in result.lartas_missing:
                    rule = lartas_for(item.hs_code, lartas)
                    rows.append({"seq": item.seq, "hs_code": item.hs_code,
                                 "permit_type": rule.permit if rule else "izin yang diberitahukan / as declared",
                                 "agency": rule.agency if rule else "-"})
            out.append(self._issue(s, actor, docs.SPBL, partial(docs.spbl, letter=letter, header=header, lartas=rows,
                                                                 examiner=examiner), case.id).number)
            return out
        if result.outcome in (Outcome.SPTNP, Outcome.SPTNP_SPPB):
            payable = max(result.difference.total_idr, 0) + result.fine_idr
            code = None
            pay_due = None
            if payable > 0:
                code = self._billing_code(s, actor)
                pay_due = rules.sptnp_payment_due(today, ruleset=rs)
                levies = {k: max(v, 0) for k, v in result.difference.as_json().items()}
                s.add(PibBilling(case_id=case.id, kind="SPTNP", code=code, levies=levies, fine_idr=result.fine_idr,
                                 total_idr=payable, issued_on=today, due_on=pay_due))
                billing.append(code)
            effective = {i.seq: i for i in rules.apply_determination(doc.items, det)}
            rows = [{"seq": i.seq, "declared_hs": i.hs_code, "hs_code": effective[i.seq].hs_code,
                     "declared_cif": format(i.cif, "f"), "cif": format(effective[i.seq].cif, "f"),
                     "declared_bm_rate": format(i.bm_rate, "f"), "bm_rate": format(effective[i.seq].bm_rate, "f")}
                    for i in doc.items]
            out.append(self._issue(s, actor, docs.SPTNP, partial(
                docs.sptnp, letter=letter, header=header, assessment=result.contract_json(), ruleset=rs.id,
                items=rows, billing_code=code, payment_due=pay_due,
                objection_due=rules.objection_due(today, ruleset=rs), examiner=examiner), case.id).number)
        if result.outcome in (Outcome.SPPB, Outcome.SPTNP_SPPB):
            basis = "penelitian dokumen dan LHP" if result.outcome == Outcome.SPPB else f"SPTNP {out[-1]}"
            out.append(self._issue_sppb(s, actor, case, pc, doc, basis))
        return out

    def _issue_sppb(self, s: Session, actor: Actor, case: Case, pc: PibCase, doc: PibDocument, basis: str) -> str:
        ip = self._current(s, PibInstruction, case.id)
        d = self._issue(s, actor, docs.SPPB, partial(
            docs.sppb, letter=self._letter(), header=self._header(pc, doc),
            containers=list(ip.containers) if ip else [], location=pc.goods_location or "", basis=basis,
            officer=self._person(actor, "Pejabat Pemeriksa Dokumen", "Document examiner")), case.id)
        pc.sppb_on = self.ctx.today()
        return d.number

    def pay_sptnp(self, actor: Actor, case_id: uuid.UUID, version: int, *, billing_code: str, ntpn: str,
                  amount_idr: int | str, paid_on: dt.date | str | None = None) -> CaseView:
        """Record the SPTNP payment (shortfall + fine); the SPPB follows. A payment after the due date is
        recorded with the late-payment fine it attracts (UU 17/2006 art. 10B(6)) in the audit trail."""
        ntpn, amount, day = self._payment_input(ntpn, amount_idr, paid_on)
        with self.ctx.db.write() as s:
            case, pc = self._load(s, case_id)

            def apply(case: Case) -> dict[str, Any]:
                bill = self._settle(s, actor, case_id, "SPTNP", billing_code, ntpn, amount, day)
                late = bill.due_on is not None and day > bill.due_on
                data: dict[str, Any] = {"billing_code": bill.code, "ntpn": ntpn, "amount_idr": amount, "late": late}
                if late:
                    rs = self.ruleset(pc.registered_on or day)
                    data["late_fine_idr"] = rules.late_payment_fine_idr(bill.total_idr - bill.fine_idr, ruleset=rs)
                sptnp = self._current(s, PibDetermination, case_id)
                basis = "SPTNP " + (sptnp.documents[0] if sptnp and sptnp.documents else "-") + f", NTPN {ntpn}"
                data["sppb"] = self._issue_sppb(s, actor, case, pc, self._doc(s, case_id), basis)
                return data

            case = self._change(s, actor, case_id, version, TRANSITIONS["pib.pay_sptnp"], apply)
            return view(case)

    def release(self, actor: Actor, case_id: uuid.UUID, version: int, *, note: str = "") -> CaseView:
        """Gate-out: the goods left the customs area under the SPPB."""
        note = _line(note, "note", required=False, max_len=500)
        with self.ctx.db.write() as s:
            case, pc = self._load(s, case_id)

            def apply(case: Case) -> dict[str, Any]:
                pc.released_at = self.ctx.now()
                return {"note": note}

            case = self._change(s, actor, case_id, version, TRANSITIONS["pib.release"], apply)
            return view(case)

    # ==============================================================================================
    # Reading: one case, the research view, the queues
    # ==============================================================================================

    # -- the smart gate ---------------------------------------------------------------------------------
    def release_for_container(self, number: str):
        """A PIB with an SPPB whose BC 1.1 line carries this container: the gate may let it out."""
        from types import SimpleNamespace

        number = "".join((number or "").split()).upper()
        with self.ctx.db.read() as s:
            rows = s.execute(
                select(PibCase, Case, Bc11Line)
                .join(Case, Case.id == PibCase.case_id)
                .join(Bc11Line, (Bc11Line.number == PibCase.bc11_number) & (Bc11Line.date == PibCase.bc11_date)
                      & (Bc11Line.pos == PibCase.bc11_pos) & (Bc11Line.subpos == PibCase.bc11_subpos))
                .where(Case.state == RELEASE_APPROVED)).all()
            for pc, case, line in rows:
                if number in (line.containers or []):
                    sppb = s.scalar(select(Document.number).where(Document.case_id == case.id,
                                                                  Document.doc_type == "SPPB")
                                    .order_by(Document.issued_at.desc()).limit(1))
                    return SimpleNamespace(case_id=case.id, sppb_number=sppb or "", aju=pc.aju, version=case.version)
        return None

    def record_gate_out(self, actor: Actor, number: str, *, truck_plate: str | None = None,
                        read_by: str = "gate") -> CaseView:
        """The gate let the container out under its SPPB: the PIB is released (gate-out recorded)."""
        rel = self.release_for_container(number)
        if rel is None:
            raise Refusal(f"{number}: no SPPB releases this container", code="NO_RELEASE")
        note = f"gate-out {number} ({read_by})" + (f", truck {truck_plate}" if truck_plate else "")
        return self.release(actor, rel.case_id, rel.version, note=note[:500])

    def find(self, aju: str) -> uuid.UUID:
        with self.ctx.db.read() as s:
            cid = s.scalar(select(PibCase.case_id).where(PibCase.aju == (aju or "").strip()))
        if cid is None:
            raise NotFound(f"no PIB with aju {aju}", field="aju", code="UNKNOWN_CASE")
        return cid

    def _sla(self, pc: PibCase, state: str, today: dt.date, *, open_requests: bool = False,
             sptnp_overdue: bool = False) -> Sla:
        days = due = None
        flags: list[str] = []
        if pc.registered_on is not None:
            days = (today - pc.registered_on).days
            due = rules.determination_due(pc.registered_on, ruleset=self.ruleset(pc.registered_on))
            if state in AWAITING_DETERMINATION and today > due:
                flags.append(FLAG_SLA_BREACH)
        storage_rs = self._ruleset_near(pc.first_storage_on, today)
        limit = rules.tps_storage_deadline(pc.first_storage_on, ruleset=storage_rs)
        if state in WITHOUT_SPPB and rules.is_uncleared_goods(pc.first_storage_on, today, ruleset=storage_rs):
            flags.append(FLAG_BTD)
        if any(f.get("missing") for f in (pc.lartas or [])) and state not in (RELEASE_APPROVED, RELEASED):
            flags.append(FLAG_LARTAS)
        if pc.enforcement:
            flags.append(FLAG_ENFORCEMENT)
        if open_requests:
            flags.append(FLAG_OPEN_REQUEST)
        if sptnp_overdue:
            flags.append(FLAG_SPTNP_OVERDUE)
        return Sla(days, due, (today - pc.first_storage_on).days, limit, tuple(flags))

    def get(self, actor: Actor, case_id: uuid.UUID) -> PibDetail:
        require_role(actor, Role.EXAMINER, Role.SUPERVISOR, Role.INSPECTOR, Role.ADMIN, action="see PIBs")
        today = self.ctx.today()
        with self.ctx.db.read() as s:
            case, pc = self._load(s, case_id)
            doc = self._doc(s, case_id)
            logins = dict(s.execute(select(User.id, User.login)).all())
            names = dict(s.execute(select(User.id, User.full_name)).all())
            subs = tuple(SubmissionInfo(x.version, x.received_at, x.source, x.accepted,
                                        tuple(Problem.from_json(p) for p in x.problems), x.response_number)
                         for x in s.scalars(select(PibSubmission).where(PibSubmission.case_id == case_id)
                                            .order_by(PibSubmission.version)))
            bills = tuple(BillingInfo(b.kind, b.code, dict(b.levies), b.fine_idr, b.total_idr, b.issued_on, b.due_on,
                                      b.paid_on, b.ntpn)
                          for b in s.scalars(select(PibBilling).where(PibBilling.case_id == case_id)
                                             .order_by(PibBilling.issued_on, PibBilling.code)))
            supporting = tuple(SupportingDocInfo(d.kind, d.number, d.doc_date, d.item_seq)
                               for d in s.scalars(select(PibSupportingDoc).where(PibSupportingDoc.case_id == case_id)
                                                  .order_by(PibSupportingDoc.recorded_at)))
            ip = self._current(s, PibInstruction, case_id)
            instruction = None if ip is None else InstructionInfo(
                ip.version, ip.inspector_id, logins.get(ip.inspector_id, "?"), names.get(ip.inspector_id, "?"),
                ip.level_pct, tuple(ip.containers or ()), ip.packages, ip.memo, ip.sample_requested,
                ip.document_number, ip.issued_at)

            def report(kind: str) -> ReportInfo | None:
                r = self._current(s, PibReport, case_id, kind=kind)
                return None if r is None else ReportInfo(r.kind, r.version, r.author_id, logins.get(r.author_id, "?"),
                                                         dict(r.content), r.submitted_at, r.document_number)

            authors = frozenset(s.scalars(select(PibReport.author_id).where(PibReport.case_id == case_id)))
            reqs = tuple(RequestInfo(r.id, r.kind, r.text, r.item_seq, r.requested_at, r.due_on, r.document_number,
                                     r.answer, r.result, r.answered_at)
                         for r in s.scalars(select(PibRequest).where(PibRequest.case_id == case_id)
                                            .order_by(PibRequest.requested_at)))
            det_row = self._current(s, PibDetermination, case_id)
            det = None if det_row is None else DeterminationInfo(
                det_row.version, logins.get(det_row.examiner_id, "?"), det_row.decided_on, list(det_row.items),
                dict(det_row.assessment), det_row.ruleset_id, det_row.outcome, list(det_row.documents), det_row.note)
            documents = tuple(_issued(d) for d in s.scalars(select(Document).where(Document.case_id == case_id)
                                                            .order_by(Document.issued_at, Document.id)))
            manifest = self._manifest(s, pc.bc11_number, pc.bc11_date, pc.bc11_pos, pc.bc11_subpos)
            sptnp_bill = next((b for b in reversed(bills) if b.kind == "SPTNP"), None)
            overdue = (case.state == SPTNP_UNPAID and sptnp_bill is not None and sptnp_bill.due_on is not None
                       and today > sptnp_bill.due_on and sptnp_bill.paid_on is None)
            sla = self._sla(pc, case.state, today, open_requests=any(r.open for r in reqs), sptnp_overdue=overdue)
            lartas = tuple(LartasFlag(f["seq"], f["hs_code"], f["permit_type"], f["agency"], f.get("permit"))
                           for f in (pc.lartas or []))
            return PibDetail(
                case=view(case), aju=pc.aju, importer_npwp=pc.importer_npwp, importer_name=pc.importer_name, doc=doc,
                submissions=subs, registration_number=pc.registration_number, registered_on=pc.registered_on,
                submitted_on=pc.submitted_on, first_storage_on=pc.first_storage_on, goods_ready_on=pc.goods_ready_on,
                goods_location=pc.goods_location, goods_contact=pc.goods_contact, manifest_line=manifest,
                lartas=lartas, billings=bills, supporting=supporting, instruction=instruction, lhp=report(docs.LHP),
                bap=report(docs.BAP), sampling=report(docs.BA_CONTOH), lhp_authors=authors, requests=reqs,
                determination=det, documents=documents, sla=sla,
                examiner_login=logins.get(case.assigned_to) if case.assigned_to else None,
                released_at=pc.released_at)

    def research(self, actor: Actor, case_id: uuid.UUID) -> list[ItemComparison]:
        """PIB against LHP per item, with the differences to look at (the examiner's research view)."""
        detail = self.get(actor, case_id)
        with self.ctx.db.read() as s:
            tariff = self._tariff_rows(s, (i.hs_code for i in detail.doc.items))
        return compare_items(detail.doc.items, detail.lhp.lhp if detail.lhp else None, tariff, detail.lartas)

    def queue(self, actor: Actor, *, view_name: str = "desk", include_closed: bool = False) -> list[QueueRow]:
        """Work queues. `desk`: the examiners' (every open PIB; supervisors the same, with the flags).
        `hangar`: PIBs in inspection — an inspector sees those the IP assigns to them, a supervisor all.
        Rows carry the days since registration, the determination due date and the flags."""
        if view_name == "hangar":
            require_role(actor, Role.INSPECTOR, Role.SUPERVISOR, action="see the inspection queue")
        elif view_name == "desk":
            require_role(actor, Role.EXAMINER, Role.SUPERVISOR, Role.ADMIN, action="see the PIB queue")
        else:
            raise InputError("queue must be desk or hangar", field="queue")
        today = self.ctx.today()
        with self.ctx.db.read() as s:
            q = select(Case, PibCase).join(PibCase, PibCase.case_id == Case.id).where(Case.kind == CaseKind.PIB.value)
            if view_name == "hangar":
                q = q.where(Case.state.in_(sorted(LHP_OPEN)))
                if not actor.has(Role.SUPERVISOR):
                    q = q.where(PibCase.inspector_id == actor.user_id)
            elif not include_closed:
                q = q.where(Case.state != RELEASED)
            rows = s.execute(q).all()
            logins = dict(s.execute(select(User.id, User.login)).all())
            open_ids = {r.case_id for r in s.scalars(
                select(PibRequest).where(PibRequest.answered_at.is_(None), PibRequest.kind != "ENFORCEMENT"))}
            overdue = set(s.scalars(select(PibBilling.case_id).where(
                PibBilling.kind == "SPTNP", PibBilling.paid_on.is_(None), PibBilling.due_on < today)))
            ips = {}
            ids = [c.id for c, _ in rows]
            for ip in s.scalars(select(PibInstruction).where(PibInstruction.case_id.in_(ids))
                                .order_by(PibInstruction.version)):
                ips[ip.case_id] = ip  # the latest version wins
        out = []
        for case, pc in rows:
            if view_name == "hangar" and case.state == RESEARCH:
                continue  # done in the hangar unless amended; amendments start from the case itself
            sla = self._sla(pc, case.state, today, open_requests=case.id in open_ids,
                            sptnp_overdue=case.id in overdue and case.state == SPTNP_UNPAID)
            ip = ips.get(case.id)
            out.append(QueueRow(case.id, case.version, pc.aju, pc.importer_name, case.state, pc.registration_number,
                                pc.registered_on, sla.days_since_registration, sla.determination_due,
                                sla.storage_days, sla.flags, logins.get(ip.inspector_id) if ip else None,
                                ip.level_pct if ip else None, tuple(ip.containers or ()) if ip else ()))
        # breaches first, then the oldest registration
        out.sort(key=lambda r: (FLAG_SLA_BREACH not in r.flags, FLAG_BTD not in r.flags,
                                r.registered_on or dt.date.max, r.aju))
        return out


# ==================================================================================================
# Demo data
# ==================================================================================================


_DEMO_IMPORTERS = [
    ("01.234.567.8-901.000", "PT Sinar Data Nusantara"),
    ("02.345.678.9-012.000", "PT Dapur Sejahtera Abadi"),
    ("03.456.789.0-123.000", "CV Mitra Elektronika"),
    ("09.876.543.2-109.000", "PT Niaga Bermasalah"),  # blocked by the supervisor in the demo
]
_DEMO_ITEMS = [
    ("8471300000", "Laptop computers, 14 inch", "40", "PCE", "18000.00", "0"),
    ("8516600000", "Rice cookers, 1.8 l", "600", "PCE", "6000.00", "7.5"),
    ("8528520000", "LCD monitors, 24 inch", "120", "PCE", "9600.00", "0"),
    ("8517130000", "Smartphones", "200", "PCE", "30000.00", "0"),
    ("8450111000", "Washing machines, 6 kg", "80", "PCE", "12000.00", "10"),
]


def _demo_container(n: int) -> str:
    from workstation.domain.identifiers import iso6346_check_digit

    head = f"DJBU{700000 + n:06d}"
    return head + str(iso6346_check_digit(head))


def _demo_actor(services, login: str) -> Actor:
    with services.ctx.db.read() as s:
        user = s.scalar(select(User).where(User.login == login))
        return Actor(user.id, user.login, user.full_name, frozenset(Role(r) for r in user.role_codes), None,
                     user.office_code, services.settings.unit_code, user.nip)


def seed_demo(services) -> None:
    """A few PIBs in different states for `workstation demo`: rejected, billed, registered, in the hangar
    (budi), in research (for dewi), an SPTNP awaiting payment, one released, and one registered 35 days ago
    that shows the SLA breach and BTD flags. Uses the demo users admin/dewi/budi/agus, looked up by login."""
    import json

    from workstation.services.base import cli_actor

    pib: PibService = services.pib
    system = cli_actor(services.settings)
    dewi, budi, agus = (_demo_actor(services, login) for login in ("dewi", "budi", "agus"))
    pib.import_sample_tables(system)
    office = services.settings.office.code
    real_clock = services.ctx.clock
    today = services.ctx.today()
    rates = services.reference.rate_table()

    plans = [  # (days ago submitted, importer, items, target state, aju serial)
        (35, 0, [0, 2], INSPECTION, 1),
        (6, 1, [1], RESEARCH, 2),
        (4, 2, [2, 4], SPTNP_UNPAID, 3),
        (3, 0, [0], RELEASED, 4),
        (2, 2, [3], SPJM, 5),
        (1, 1, [4], BILLED, 6),
        (0, 3, [0], REJECTED, 7),
        (0, 1, [1, 2], INSPECTION, 8),
    ]
    manifest = ["bc11_number,bc11_date,pos,subpos,bl_number,bl_date,consignee,packages,package_unit,containers"]
    docs_: list[tuple[int, dt.date, str, str]] = []
    for ago, imp, items, _state, serial in plans:
        day = today - dt.timedelta(days=ago)
        arrival = day - dt.timedelta(days=2)
        npwp, name = _DEMO_IMPORTERS[imp]
        containers = " ".join(_demo_container(serial * 10 + k) for k in range(len(items)))
        bl = f"MAEU26{serial:07d}"
        manifest.append(f"{300 + serial:06d},{arrival.isoformat()},{serial:04d},00000000,{bl},"
                        f"{(arrival - dt.timedelta(days=8)).isoformat()},{name},{40 * len(items)},CT,{containers}")
        doc = {
            "format": "pib/1", "aju": f"{office}000000{day.strftime('%Y%m%d')}{serial:06d}", "office": office,
            "importer": {"npwp": npwp, "name": name, "api": True},
            "bc11": {"number": f"{300 + serial:06d}", "date": arrival.isoformat(), "pos": f"{serial:04d}",
                     "subpos": "00000000"},
            "bl": {"number": bl, "date": (arrival - dt.timedelta(days=8)).isoformat()},
            "arrival_date": arrival.isoformat(), "currency": "USD",
            "ndpbm": format(rates.rate("USD", day).normalize(), "f"),
            "items": [{"seq": n + 1, "hs_code": _DEMO_ITEMS[i][0], "description": _DEMO_ITEMS[i][1],
                       "quantity": _DEMO_ITEMS[i][2], "unit": _DEMO_ITEMS[i][3], "cif": _DEMO_ITEMS[i][4],
                       "bm_rate": _DEMO_ITEMS[i][5], "ppn_rate": "11", "ppnbm_rate": "0", "pph_rate": "2.5",
                       "excise_idr": 0, "lartas_required": _DEMO_ITEMS[i][0] == "8517130000",
                       "lartas_permit": None} for n, i in enumerate(items)],
        }
        docs_.append((serial, day, json.dumps(doc), containers))
    pib.import_manifest(system, text="\n".join(manifest) + "\n", source="demo-bc11.csv")
    pib.block_importer(agus, _DEMO_IMPORTERS[3][0], _DEMO_IMPORTERS[3][1], "demo: unpaid SPTNP from 2025")

    lhp_base = {"photos": ["IMG-0001.jpg"], "notes": "", "undeclared": []}
    bap = BapInput.model_validate({
        "place": "TPS KOJA", "inspected_on": today.isoformat(),
        "representative": {"name": "Rina Kartika", "capacity": "PPJK", "id_number": "PPJK-0451"},
        "findings": "Containers opened in the presence of the PPJK; goods counted at the instructed level.",
        "representative_signed": True, "inspector_signed": True})
    registered: dict[int, uuid.UUID] = {}
    try:
        # First each PIB is received (and paid) "on" its own date, oldest first, so that the SLA and storage
        # clocks show; the oldest is also sent to the hangar then. The rest happens today.
        for (ago, _imp, _items, state, serial), (_, day, text, containers) in zip(plans, docs_, strict=True):
            services.ctx.clock = (lambda d=day: dt.datetime.combine(d, dt.time(2, 0), tzinfo=dt.UTC))
            r = pib.import_pib(dewi, text=text, source=f"demo-{serial}.json")
            if state in (REJECTED, BILLED) or not r.accepted:
                continue
            pib.pay_billing(dewi, r.case_id, r.version, billing_code=r.billing_code, ntpn=f"DEMO{serial:012d}",
                            amount_idr=r.billing_total_idr)
            registered[serial] = r.case_id
            if ago >= 30:
                _demo_to_hangar(pib, dewi, r.case_id, day, containers, serial)
    finally:
        services.ctx.clock = real_clock
    for (ago, _imp, _items, state, serial), (_, day, _text, containers) in zip(plans, docs_, strict=True):
        cid = registered.get(serial)
        if cid is None or state == SPJM or ago >= 30:
            continue
        v = _demo_to_hangar(pib, dewi, cid, day, containers, serial)
        if state == INSPECTION:
            continue
        v = pib.record_bap(budi, cid, v, bap).version
        detail = pib.get(budi, cid)
        lhp = LhpInput.model_validate({**lhp_base, "containers": [
            {"number": c, "size": "40", "type": "HC", "seal_number": f"SL-{serial}{n}", "seal_condition": "intact"}
            for n, c in enumerate(containers.split())], "items": [
            {"seq": i.seq, "packages_examined": "4 CT", "description": i.description, "brand_type": "-",
             "specification": "-", "quantity": format(i.quantity, "f"), "unit": i.unit, "origin": "CN",
             "hs_code": i.hs_code, "match": not (serial == 2 and i.seq == 1)} for i in detail.doc.items]})
        v = pib.submit_lhp(budi, cid, v, lhp).version
        if state == RESEARCH:
            continue
        rows = [{"seq": 1, "cif": "13000.00"}] if state == SPTNP_UNPAID else []
        result = pib.determine(dewi, cid, v, pib.determination_from_form(rows))
        if state == RELEASED:
            pib.release(agus, cid, result.case.version, note="gate out TPS KOJA")


def _demo_to_hangar(pib: PibService, dewi: Actor, cid: uuid.UUID, day: dt.date, containers: str, serial: int) -> int:
    v = pib.get(dewi, cid).version
    v = pib.record_goods_ready(dewi, cid, v, location="TPS KOJA", ready_on=day.isoformat(),
                               contact="Rina Kartika 0812-1111-2222").version
    return pib.issue_instruction(dewi, cid, v, inspector_login="budi", level_pct=10 if serial % 2 else 30,
                                 containers=containers.split(), packages="as instructed",
                                 memo="check brand and specification").version
