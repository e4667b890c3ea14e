"""Passenger e-CD at the counter (DOMAIN.md §1, seed 002, PER-09/BC/2018): intake (pre-arrival import, offline
`ECD1:` scan, oral declaration), the lane decision, diversion green → red, clearance red → green with a
supervisor's confirmation, the red-lane inspection (findings per item, excise count, referrals, the cash
procedure, destruction of excise goods above the allowance), reassessment with the same rule engine, billing,
payment and release, and the queue of the day.

Every state change is ONE service call: role check, optimistic lock on the case version, state machine, detail
rows (append-only), documents through issuance (gapless numbers), a case event and an audit entry, one commit.

States: GREEN (released on approval) · RED (awaiting inspection) → INSPECTING (findings recorded) → ASSESSED
(reassessed, nothing to pay) | BILLED → PAID; GREEN | ASSESSED | PAID → RELEASED.

Billing code (our choice, documented): 15 digits `7` + office code (6) + year (2) + the billing slip's gapless
sequence number (6), e.g. 704030026000001. The leading 7 keeps passenger billings apart from the PIB
workflow's codes (which start with 8). The number comes from the ECD-BILL document's gapless counter, so a
billing code exists if and only if its billing slip was issued; the column is unique, so two field units of one
office sharing a year and sequence would be refused loudly rather than share a code [U: the national
SIMPONI/MPN billing layout is not in our sources].
"""

from __future__ import annotations

import datetime as dt
import json
import re
import string
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from db.models import Case, Document, User
from db.models_passenger import (
    EcdBilling,
    EcdDecisionRow,
    EcdDeclaration,
    EcdExciseCount,
    EcdFinding,
    EcdPayment,
    EcdReferral,
)
from printing.documents import passenger as docs
from workstation.domain.canonical import canonical_json, sha256_hex
from workstation.domain.codes import CaseKind, Lane, LaneReason, Referral, Role
from workstation.domain.ecd import EcdDocument, ExciseQuantities, GoodsItem, ecd_from_obj, parse_ecd
from workstation.errors import InputError, NotFound, PermissionDenied, Refusal
from workstation.rules.ecd import (
    ORAL_GROUPS,
    age_on,
    assess,
    cash_total_idr,
    compile_rules,
    decide,
    oral_declaration_allowed,
    undeclared_cash_fine_idr,
)
from workstation.rules.ruleset import RuleSet, ruleset_for
from workstation.rules.scan import decode_scan
from workstation.services.base import Actor, require_role
from workstation.services.cases import CaseView, transitions, view

KIND = CaseKind.ECD.value
OFFICERS = (Role.OFFICER, Role.SUPERVISOR)
IMPORTERS = (Role.OFFICER, Role.SUPERVISOR, Role.ADMIN)

GREEN, RED, INSPECTING, ASSESSED, BILLED, PAID, RELEASED = (
    "GREEN", "RED", "INSPECTING", "ASSESSED", "BILLED", "PAID", "RELEASED")
STATES = (GREEN, RED, INSPECTING, ASSESSED, BILLED, PAID, RELEASED)
_INSPECTION = {RED, INSPECTING, ASSESSED}
_OPEN = {GREEN, RED, INSPECTING, ASSESSED, BILLED, PAID}

T = transitions(
    ("ecd.divert", {GREEN}, RED, OFFICERS),
    ("ecd.clear", {RED}, GREEN, OFFICERS),
    ("ecd.finding", _INSPECTION, INSPECTING, OFFICERS),
    ("ecd.excise_count", _INSPECTION, INSPECTING, OFFICERS),
    ("ecd.refer", _OPEN, None, OFFICERS),
    ("ecd.pibk", _OPEN, None, OFFICERS),
    ("ecd.cash_procedure", _OPEN - {GREEN}, None, OFFICERS),
    ("ecd.destroy", _OPEN, None, OFFICERS),
    ("ecd.reassess", {GREEN, RED, INSPECTING, ASSESSED}, None, OFFICERS),  # → ASSESSED | BILLED
    ("ecd.pay", {BILLED}, PAID, OFFICERS),
    ("ecd.release", {GREEN, ASSESSED, PAID}, RELEASED, OFFICERS),
    ("ecd.slip", set(STATES), None, OFFICERS),
)

FOUND, NOT_FOUND, UNDECLARED = "FOUND", "NOT_FOUND", "UNDECLARED"
FINDING_STATUSES = (FOUND, NOT_FOUND, UNDECLARED)
PAYMENT_CHANNELS = ("CASH", "CARD", "BANK", "QRIS")
# Reasons the engine derives from the goods; the others (officer, risk, random) are carried over on reassessment.
_ENGINE_REASONS = {LaneReason.VALUE_OVER_ALLOWANCE, LaneReason.EXCISE_OVER_ALLOWANCE, LaneReason.QUARANTINE_GOODS,
                   LaneReason.PROHIBITED_GOODS, LaneReason.CASH_OVER_THRESHOLD, LaneReason.NON_PERSONAL_GOODS}
# Referrals recorded by their own step (with their own inputs), not by the generic `refer`.
_OWN_STEP = {Referral.CASH_DECLARATION: "cash_procedure", Referral.PIBK: "hand_off_pibk",
             Referral.EXCISE_DESTRUCTION: "destroy_excise"}

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DECIMAL_RE = re.compile(r"[0-9]{1,15}(?:\.[0-9]{1,6})?")
_RECEIPT_RE = re.compile(r"[A-Z0-9][A-Z0-9/-]{5,39}")
_HS_RE = re.compile(r"[0-9]{4,10}")


# ---------------------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DecisionView:
    seq: int
    kind: str  # INITIAL | DIVERSION | CLEARANCE | REASSESSMENT
    lane: str
    reasons: tuple[str, ...]
    referrals: tuple[str, ...]
    ruleset: str
    ruleset_sha256: str
    total_idr: int
    record: dict[str, Any]  # Decision.to_record()
    note: str | None
    decided_at: dt.datetime
    decided_by: str  # login, "" for the system / command line
    confirmed_by: str | None

    @property
    def assessment(self) -> dict[str, Any]:
        return self.record["assessment"]

    @property
    def excise_excess(self) -> dict[str, Any]:
        return self.record["excise_excess"]

    @property
    def has_excise_excess(self) -> bool:
        ex = self.excise_excess
        return bool(ex["cigarettes"] or ex["cigars"] or ex["sliced_tobacco_g"] or Decimal(ex["alcohol_l"]))


@dataclass(frozen=True)
class FindingView:
    item_no: int
    status: str
    description: str
    quantity: Decimal
    unit: str
    hs_code: str | None
    value: Decimal
    currency: str
    personal_use: bool
    note: str | None
    revisions: int  # how many rows were recorded for this item (1 = never amended)
    row_id: uuid.UUID = field(compare=False, repr=False)  # what an amendment supersedes


@dataclass(frozen=True)
class ReferralView:
    code: str
    receiver: str
    receiver_name: str
    items: tuple[dict[str, Any], ...]
    cash_idr: int | None
    cash_declared: bool | None
    fine_idr: int | None
    document_number: str
    recorded_at: dt.datetime


@dataclass(frozen=True)
class BillingView:
    code: str
    amount_idr: int
    levies: dict[str, Any]
    document_number: str
    issued_at: dt.datetime


@dataclass(frozen=True)
class PaymentView:
    receipt_number: str
    amount_idr: int
    channel: str
    document_number: str
    paid_at: dt.datetime


@dataclass(frozen=True)
class DocRef:
    number: str
    doc_type: str


@dataclass(frozen=True)
class EcdView:
    """Everything the counter shows about one e-CD. Screens keep `case.version` to send back."""

    case: CaseView
    ecd_id: str
    source: str
    document: EcdDocument
    oral_group: str | None
    decision: DecisionView  # the current one
    decisions: tuple[DecisionView, ...]
    findings: tuple[FindingView, ...]
    excise_count: ExciseQuantities | None
    referrals: tuple[ReferralView, ...]
    billing: BillingView | None
    payment: PaymentView | None
    documents: tuple[DocRef, ...]
    created: bool = False  # stored by this call (first scan / import)

    @property
    def state(self) -> str:
        return self.case.state

    @property
    def version(self) -> int:
        return self.case.version

    @property
    def lane(self) -> str:
        return self.case.lane or self.decision.lane

    @property
    def diversion_note(self) -> str | None:
        notes = [d.note for d in self.decisions if d.kind == "DIVERSION"]
        return notes[-1] if notes else None

    @property
    def cleared(self) -> DecisionView | None:
        found = [d for d in self.decisions if d.kind == "CLEARANCE"]
        return found[-1] if found and self.case.lane == Lane.GREEN.value else None

    def handed_over(self) -> set[str]:
        return {r.code for r in self.referrals}

    def release_blockers(self) -> list[str]:
        """Why release is not possible yet (empty: it is, in an allowed state)."""
        out = []
        d = self.decision
        if self.state in (BILLED,):
            out.append(f"billing {self.billing.code if self.billing else ''} is not paid".replace("  ", " "))
        elif d.total_idr and self.state != PAID:
            out.append(f"Rp{d.total_idr:,} assessed: reassess and bill before release")
        missing = [r for r in d.referrals if r not in self.handed_over()]
        out += [f"{code} not recorded" for code in missing]
        if self.state in (RED, INSPECTING):
            out.append("the inspection is not reassessed")
        return out

    def actions(self) -> frozenset[str]:
        """Counter actions that apply in the current state (the screen greys out the others)."""
        s = self.state
        acts = {"slip"}
        if s == GREEN:
            acts |= {"divert", "reassess"}
        if s == RED:
            acts.add("clear")
        if s in _INSPECTION:
            acts |= {"finding", "excise", "reassess"}
        if s in _OPEN:
            acts |= {"refer", "pibk"}
            if s != GREEN:
                acts.add("cash")
            if self.decision.has_excise_excess and Referral.EXCISE_DESTRUCTION not in self.handed_over():
                acts.add("destroy")
        if s == BILLED:
            acts.add("pay")
        if s in (GREEN, ASSESSED, PAID) and not self.release_blockers():
            acts.add("release")
        return frozenset(acts)


@dataclass(frozen=True)
class QueueRow:
    case_id: uuid.UUID
    ecd_id: str
    name: str
    passport: str
    flight: str
    arrival_date: dt.date
    lane: str
    state: str
    reasons: tuple[str, ...]
    persons: int
    total_idr: int
    version: int


@dataclass(frozen=True)
class QueueData:
    day: dt.date
    rows: tuple[QueueRow, ...]
    lanes: dict[str, int]  # lane → declarations (with the flight filter, without the lane filter)
    states: dict[str, int]
    flights: tuple[tuple[str, int], ...]  # (flight, declarations) of the day


@dataclass(frozen=True)
class ImportResult:
    view: EcdView
    created: bool


@dataclass(frozen=True)
class OralForm:
    """An oral declaration taken by the officer at a designated place (PMK 34/2025): the traveller's answers."""

    group: str  # over_60 | disabled | hajj_regular | vvip
    name: str
    passport: str
    nationality: str
    birth_date: str | dt.date
    port: str
    flight: str = ""
    traveller_type: str = "passenger"
    goods: Sequence[tuple[str, str | Decimal, str, bool]] = ()  # (description, value, currency, personal use)
    cash: Sequence[tuple[str, str | Decimal]] = ()  # (currency, amount)
    npwp: str | None = None
    family: Sequence[tuple[str, str, str | dt.date]] = field(default_factory=tuple)  # (name, passport, birth)


class _Cash(NamedTuple):
    currency: str
    amount: Decimal
    bearer_instrument: bool = False


# ---------------------------------------------------------------------------------------------------------
# Form-field checks: each error names the field; nothing is written.
# ---------------------------------------------------------------------------------------------------------
def _text(value: Any, field_name: str, *, max_len: int = 200, required: bool = True) -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        raise InputError("required", field=field_name)
    if len(text) > max_len:
        raise InputError(f"at most {max_len} characters", field=field_name)
    if _CONTROL.search(text):
        raise InputError("control characters are not allowed", field=field_name)
    return text


def _decimal(value: Any, field_name: str, *, positive: bool = False) -> Decimal:
    if isinstance(value, bool | float):
        raise InputError("must be a decimal number like 12.50 (not a float)", field=field_name)
    if isinstance(value, int):
        value = Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite() or value < 0:
            raise InputError("must not be negative", field=field_name)
        result = value
    else:
        text = str(value or "").strip()  # no thousands separators: "1.200,50" is ambiguous
        if not _DECIMAL_RE.fullmatch(text):
            raise InputError("must be a number like 1200 or 1200.50", field=field_name)
        result = Decimal(text)
    if positive and result <= 0:
        raise InputError("must be greater than zero", field=field_name)
    return result


def _count(value: Any, field_name: str) -> int:
    if isinstance(value, bool):
        raise InputError("must be a whole number", field=field_name)
    if isinstance(value, int):
        if value < 0:
            raise InputError("must not be negative", field=field_name)
        return value
    text = str(value or "0").strip()
    if not text.isdigit() or len(text) > 9:
        raise InputError("must be a whole number", field=field_name)
    return int(text)


def _rupiah(value: Any, field_name: str) -> int:
    if isinstance(value, bool):
        raise InputError("must be whole rupiah", field=field_name)
    if isinstance(value, int):
        if value < 0:
            raise InputError("must not be negative", field=field_name)
        return value
    text = str(value or "").strip().replace(".", "").replace(",", "")
    if text.lower().startswith("rp"):
        text = text[2:].strip()
    if not re.fullmatch(r"[0-9]{1,15}", text):
        raise InputError("must be whole rupiah, digits only", field=field_name)
    return int(text)


def _currency(value: Any, field_name: str) -> str:
    text = str(value or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", text):
        raise InputError("three capital letters (ISO 4217), e.g. USD", field=field_name)
    return text


def _hs(value: Any, field_name: str) -> str | None:
    text = str(value or "").strip().replace(".", "")
    if not text:
        return None
    if not _HS_RE.fullmatch(text):
        raise InputError("HS code of 4 to 10 digits", field=field_name)
    return text


def _version(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError("the case version the screen showed is required", field="version")
    return value


# ---------------------------------------------------------------------------------------------------------
# Billing code
# ---------------------------------------------------------------------------------------------------------
def billing_code(office_code: str, year: int, seq: int) -> str:
    """15 digits: 7 + office (6) + year (2) + gapless sequence of the billing slip (6)."""
    if not re.fullmatch(r"[0-9]{6}", office_code):
        raise InputError("office code must be 6 digits for a billing code", field="office.code")
    if not 0 < seq < 1_000_000:
        raise Refusal("billing sequence exhausted for this year", code="BILLING_SEQUENCE")
    return f"7{office_code}{year % 100:02d}{seq:06d}"


def seq_of_number(fmt: str, number: str, *, doc_type: str, office: str, unit: str | None, year: int) -> int:
    """The gapless sequence inside an official number formatted with `fmt` (settings.numbering)."""
    values = {"doc_type": doc_type, "office": office, "unit": unit or "", "year": year}
    pattern = ""
    for literal, name, spec, _conv in string.Formatter().parse(fmt):
        pattern += re.escape(literal)
        if name is None:
            continue
        pattern += r"(?P<seq>[0-9]+)" if name == "seq" else re.escape(format(values[name], spec or ""))
    m = re.fullmatch(pattern, number)
    if m is None:
        raise Refusal(f"cannot read the sequence of {number!r}", code="NUMBER_FORMAT")
    return int(m.group("seq"))


# ---------------------------------------------------------------------------------------------------------
class PassengerService:
    def __init__(self, services):
        self.services = services
        self.ctx = services.ctx
        self.cases = services.cases

    # -- rule sets and rates ------------------------------------------------------------------------------
    def ruleset(self, day: dt.date) -> RuleSet:
        return ruleset_for("ecd", day, self.ctx.settings.rulesets_dir)

    def _rates(self):
        return self.services.reference.rate_table()

    # -- intake -------------------------------------------------------------------------------------------
    def import_ecd(self, actor: Actor, text: str | bytes, *, source: str = "ecd") -> ImportResult:
        """Store one ecd/1 document (pre-arrival) with its lane decision. Idempotent by ecd_id: the same
        document again changes nothing; a different document under a stored id is refused."""
        require_role(actor, *IMPORTERS, action="import e-CDs")
        doc = parse_ecd(text, source=source)
        return self._store(actor, doc, "import")

    def import_documents(self, actor: Actor, documents: Sequence[EcdDocument], *,
                         source: str = "import") -> list[ImportResult]:
        """Store several e-CDs (a pre-arrival feed). All are checked first (window, rates, conflicting ids):
        one bad document refuses the whole batch, naming it by position, and nothing is written."""
        require_role(actor, *IMPORTERS, action="import e-CDs")
        rates = self._rates()
        seen: dict[str, str] = {}
        for i, doc in enumerate(documents):
            digest = sha256_hex(canonical_json(doc.to_json()))
            if seen.setdefault(doc.ecd_id, digest) != digest:
                raise InputError(f"{doc.ecd_id} appears twice with different content", field=f"[{i}].ecd_id")
            try:
                with self.ctx.db.read() as s:
                    if self._existing(s, doc.ecd_id, digest) is not None:
                        continue
                assess(doc, rates, ruleset=self.ruleset(doc.arrival.date))
            except InputError as exc:
                raise InputError(exc.message, field=f"[{i}].{exc.field}" if exc.field else f"[{i}]") from None
            except Refusal as exc:
                raise Refusal(f"[{i}] {doc.ecd_id}: {exc.message}", code=exc.code) from None
        return [self._store(actor, doc, source) for doc in documents]

    def scan(self, actor: Actor, text: str) -> EcdView:
        """A scanned `ECD:<id>` (the stored e-CD) or `ECD1:<payload>` (stored on first scan, idempotent)."""
        require_role(actor, *OFFICERS, action="work the passenger counter")
        decoded = decode_scan(text or "")
        if decoded.kind != "ecd":
            what = "nothing readable" if decoded.kind == "unknown" else f"a {decoded.kind} code"
            raise InputError(f"{what}; expected an e-CD code ECD:<id> or ECD1:<payload>", field="scan")
        if not decoded.valid:
            detail = decoded.detail
            where = f" at {detail['field']}" if detail.get("field") else ""
            raise InputError(f"e-CD code not readable: {detail.get('error', 'invalid')}{where}", field="scan")
        if decoded.document is None:
            return self.find(decoded.value)
        return self._store(actor, decoded.document, "scan").view

    def find(self, ecd_id: str) -> EcdView:
        with self.ctx.db.read() as s:
            row = s.execute(select(EcdDeclaration, Case).join(Case, Case.id == EcdDeclaration.case_id)
                            .where(EcdDeclaration.ecd_id == ecd_id)).first()
            if row is None:
                raise NotFound(f"no stored e-CD {ecd_id}; scan the passenger's offline code (ECD1) or import it",
                               field="scan", code="UNKNOWN_ECD")
            return self._view(s, row[1], row[0])

    def get(self, case_id: uuid.UUID) -> EcdView:
        with self.ctx.db.read() as s:
            case = self.cases.get(s, case_id, kind=KIND)
            return self._view(s, case, s.get(EcdDeclaration, case_id))

    def _store(self, actor: Actor, doc: EcdDocument, source: str, *, oral_group: str | None = None) -> ImportResult:
        doc_json = canonical_json(doc.to_json())
        digest = sha256_hex(doc_json)
        if oral_group is None:
            with self.ctx.db.read() as s:
                known = self._existing(s, doc.ecd_id, digest)
                if known is not None:
                    return ImportResult(known, False)
        rs = self.ruleset(doc.arrival.date)
        decision = assess(doc, self._rates(), ruleset=rs)  # refusals and missing rates: nothing written
        with self.ctx.db.write() as s:
            if oral_group is not None:  # numbered under the write lock: two counters never take the same id
                prefix = f"ORAL-{doc.arrival.date:%Y%m%d}-"
                n = s.scalar(select(func.count()).select_from(EcdDeclaration)
                             .where(EcdDeclaration.ecd_id.startswith(prefix))) or 0
                doc = doc.model_copy(update={"ecd_id": f"{prefix}{n + 1:04d}"})
                decision = decision._replace(ecd_id=doc.ecd_id)
                doc_json = canonical_json(doc.to_json())
                digest = sha256_hex(doc_json)
            known = self._existing(s, doc.ecd_id, digest)  # another counter may have stored it meanwhile
            if known is not None:
                return ImportResult(known, False)
            d = doc.declarant
            record = decision.to_record()
            summary = {"ecd_id": doc.ecd_id, "flight": doc.arrival.flight or "", "arrival_date":
                       doc.arrival.date.isoformat(), "name": d.name, "passport": d.passport, "persons": doc.persons,
                       "ruleset": decision.ruleset, "source": source, "duty_assessed_idr": decision.assessment.total_idr,
                       "duty_paid_idr": 0}
            lane = decision.lane.value
            case = self.cases.open(
                s, actor, kind=KIND, reference=doc.ecd_id, state=RED if lane == "red" else GREEN, lane=lane,
                reasons=decision.reasons, summary=summary, opened_on=doc.arrival.date,
                audit_data={"source": source, "ecd_sha256": digest, "lane": lane, "reasons": list(decision.reasons),
                            "referrals": list(decision.referrals), "ruleset": decision.ruleset,
                            "ruleset_sha256": decision.ruleset_sha256, "total_idr": decision.assessment.total_idr,
                            **({"oral_group": oral_group} if oral_group else {})})
            decl = EcdDeclaration(
                case_id=case.id, ecd_id=doc.ecd_id, source=source, submitted_at=doc.submitted_at,
                arrival_date=doc.arrival.date, port=doc.arrival.port, flight=doc.arrival.flight or "", name=d.name,
                passport=d.passport, nationality=d.nationality, traveller_type=d.traveller_type.value,
                persons=doc.persons, oral_group=oral_group, document_json=doc_json, document_sha256=digest,
                received_at=self.ctx.now(), received_by=actor.user_id)
            s.add(decl)
            self._add_decision(s, case, "INITIAL", record, actor)
            self.services.reference.record_ruleset(s, rs)
            s.flush()
            return ImportResult(self._view(s, case, decl, created=True), True)

    def _existing(self, s: Session, ecd_id: str, digest: str) -> EcdView | None:
        row = s.execute(select(EcdDeclaration, Case).join(Case, Case.id == EcdDeclaration.case_id)
                        .where(EcdDeclaration.ecd_id == ecd_id)).first()
        if row is None:
            return None
        decl, case = row
        if decl.document_sha256 != digest:
            raise Refusal(f"another e-CD is already stored as {ecd_id}; nothing changed", code="ECD_ID_CONFLICT")
        return self._view(s, case, decl)

    def record_oral(self, actor: Actor, form: OralForm) -> EcdView:
        """An oral declaration for the eligible groups (over 60, disabled, regular hajj, VVIP per the rule
        set): stored as an e-CD written by the officer (source `oral`) and decided like any other."""
        require_role(actor, *OFFICERS, action="record oral declarations")
        group = str(form.group or "").strip()
        if group not in ORAL_GROUPS:
            raise InputError(f"one of {', '.join(ORAL_GROUPS)}", field="group")
        today = self.ctx.today()
        rs = self.ruleset(today)
        rules = compile_rules(rs)
        goods = []
        for i, (description, value, currency, personal) in enumerate(form.goods):
            goods.append({"description": _text(description, f"goods[{i}].description", max_len=500),
                          "quantity": 1, "unit": "PCE",
                          "value": format(_decimal(value, f"goods[{i}].value"), "f"),
                          "currency": _currency(currency, f"goods[{i}].currency"), "personal_use": bool(personal)})
        cash = [{"currency": _currency(cur, f"cash[{i}].currency"),
                 "amount": format(_decimal(amount, f"cash[{i}].amount"), "f"), "bearer_instrument": False}
                for i, (cur, amount) in enumerate(form.cash)]
        now_local = self.ctx.now().astimezone(self.ctx.settings.zone)
        obj = {  # the ecd_id is numbered when stored
            "format": "ecd/1", "ecd_id": "ORAL-PENDING", "submitted_at": now_local.isoformat(timespec="seconds"),
            "arrival": {"date": today.isoformat(), "port": _text(form.port, "port", max_len=5).upper(),
                        **({"flight": _text(form.flight, "flight", max_len=20).upper()} if form.flight else {})},
            "declarant": {"name": _text(form.name, "name", max_len=500),
                          "passport": _text(form.passport, "passport", max_len=100).upper(),
                          "nationality": _text(form.nationality, "nationality", max_len=3).upper(),
                          "birth_date": str(form.birth_date).strip(), "traveller_type": form.traveller_type,
                          "npwp": form.npwp or None},
            "family_members": [{"name": n, "passport": p, "birth_date": str(b)} for n, p, b in form.family],
            "goods": goods,
            "excise": {"cigarettes": 0, "cigars": 0, "sliced_tobacco_g": 0, "alcohol_l": "0"},
            "cash": cash,
            "carrying": {"animals_fish_plants": False, "narcotics_psychotropics": False,
                         "weapons_ammunition_explosives": False, "pornography": False},
        }
        doc = ecd_from_obj(obj)  # errors name the path (declarant.birth_date, arrival.port ...)
        d = doc.declarant
        age = age_on(d.birth_date, today)
        holds = {"over_60": age >= rules.oral_min_age, "disabled": True, "vvip": True,
                 "hajj_regular": d.traveller_type.value == "hajj_regular"}[group]
        allowed = group in rules.oral_groups and holds and oral_declaration_allowed(
            rules, traveller_type=d.traveller_type.value, age=age, disabled=group == "disabled", vvip=group == "vvip")
        if not allowed:
            raise Refusal(f"oral declaration is not allowed for {group} (age {age}, {d.traveller_type.value}) "
                          f"under {rules.id}; the passenger files an e-CD", code="ORAL_NOT_ALLOWED")
        return self._store(actor, doc, "oral", oral_group=group).view

    # -- decisions at the counter -------------------------------------------------------------------------
    def divert(self, actor: Actor, case_id: uuid.UUID, version: int, reason: str) -> EcdView:
        """Green → red on the officer's suspicion (PER-09/BC/2018 stage 3); the reason text is required."""
        reason = _text(reason, "reason", max_len=500)
        with self.ctx.db.write() as s:
            def apply(case: Case) -> dict:
                current = self._current(s, case.id)
                record = _with_reasons(current.record, [LaneReason.OFFICER_DIVERSION])
                self._add_decision(s, case, "DIVERSION", record, actor, note=reason)
                case.lane = Lane.RED.value
                case.reasons = sorted({*(case.reasons or []), LaneReason.OFFICER_DIVERSION.value})
                case.flags = [f for f in (case.flags or []) if f != "CLEARED"]
                return {"reason": reason, "reasons": case.reasons}

            case = self.cases.change(s, actor, case_id, _version(version), T["ecd.divert"], apply)
            return self._view(s, case, s.get(EcdDeclaration, case.id))

    def clear_to_green(self, actor: Actor, case_id: uuid.UUID, version: int, reason: str,
                       confirmed_by: Actor | None) -> EcdView:
        """Red → green without inspection: a second user with the supervisor role must confirm (dual
        authorisation, DOMAIN.md). The referrals of the cleared decision are waived by that confirmation."""
        reason = _text(reason, "reason", max_len=500)
        if confirmed_by is None or Role.SUPERVISOR not in confirmed_by.roles or confirmed_by.user_id is None:
            raise PermissionDenied("clearing a red lane needs a supervisor's confirmation", code="DUAL_AUTHORIZATION")
        if confirmed_by.user_id == actor.user_id:
            raise PermissionDenied("the confirming supervisor must be a different user", code="DUAL_AUTHORIZATION")
        with self.ctx.db.write() as s:
            def apply(case: Case) -> dict:
                current = self._current(s, case.id)
                record = {**current.record, "lane": Lane.GREEN.value, "referrals": []}
                self._add_decision(s, case, "CLEARANCE", record, actor, note=reason, confirmed_by=confirmed_by)
                case.lane = Lane.GREEN.value
                case.flags = sorted({*(case.flags or []), "CLEARED"})
                return {"reason": reason, "confirmed_by": confirmed_by.login, "waived_referrals":
                        list(current.referrals), "reasons_cleared": list(current.reasons)}

            case = self.cases.change(s, actor, case_id, _version(version), T["ecd.clear"], apply)
            return self._view(s, case, s.get(EcdDeclaration, case.id))

    # -- red-lane inspection ------------------------------------------------------------------------------
    def record_finding(self, actor: Actor, case_id: uuid.UUID, version: int, *, item_no: int | None, status: str,
                       description: str | None = None, quantity: Any = None, unit: str | None = None,
                       hs_code: str | None = None, value: Any = None, currency: str | None = None,
                       personal_use: bool | None = None, note: str = "") -> EcdView:
        """One item as found: a declared line (item_no = its line number) FOUND or NOT_FOUND, or UNDECLARED
        goods (item_no None: a new item; or the number of an undeclared item to amend it). Values not given
        default to the declaration. A new row supersedes the item's previous one (nothing is overwritten)."""
        status = str(status or "").strip().upper()
        if status not in FINDING_STATUSES:
            raise InputError(f"one of {', '.join(FINDING_STATUSES)}", field="status")
        note_text = _text(note, "note", max_len=500, required=False) or None
        with self.ctx.db.read() as s:  # validate first; the version check guards what was read
            decl = self._decl(s, case_id)
            current = self._findings(s, case_id)
        doc = _document(decl)
        declared = len(doc.goods)
        if item_no is None:
            if status != UNDECLARED:
                raise InputError("choose the declared line, or record UNDECLARED goods", field="item")
            item_no = max([declared, *current]) + 1
        elif isinstance(item_no, bool) or not isinstance(item_no, int) or item_no < 1:
            raise InputError("a line number from 1", field="item")
        elif item_no <= declared and status == UNDECLARED:
            raise InputError(f"line {item_no} is declared: FOUND or NOT_FOUND", field="status")
        elif item_no > declared and item_no not in current:
            raise InputError(f"no line {item_no} (the e-CD has {declared})", field="item")
        elif item_no > declared and status != UNDECLARED:
            raise InputError(f"item {item_no} was not declared: UNDECLARED", field="status")
        base = doc.goods[item_no - 1] if item_no <= declared else None
        prev = current.get(item_no)
        ref = prev if prev is not None and prev.status != NOT_FOUND else base

        def pick(given, attr, default=None):
            if given is not None and str(given).strip() != "":
                return given
            return getattr(ref, attr) if ref is not None else default

        desc = _text(pick(description, "description"), "description", max_len=500)
        qty = _decimal(pick(quantity, "quantity", "1"), "quantity")
        unit_text = _text(pick(unit, "unit", "PCE"), "unit", max_len=20).upper()
        hs = _hs(pick(hs_code, "hs_code"), "hs_code")
        cur = _currency(pick(currency, "currency", "USD"), "currency")
        val = _decimal(pick(value, "value"), "value") if status != NOT_FOUND else Decimal(0)
        personal = bool(pick(personal_use, "personal_use", True))
        if status == UNDECLARED and val <= 0:
            raise InputError("the value of undeclared goods is required", field="value")
        if val and not self._rates().has_rate(cur, decl.arrival_date):
            raise InputError(f"no NDPBM rate for {cur} on {decl.arrival_date.isoformat()}", field="currency")

        with self.ctx.db.write() as s:
            def apply(case: Case) -> dict:
                row = EcdFinding(case_id=case.id, item_no=item_no, status=status, description=desc, quantity=qty,
                                 unit=unit_text, hs_code=hs, value=val, currency=cur, personal_use=personal,
                                 note=note_text, supersedes_id=prev.row_id if prev is not None else None,
                                 recorded_at=self.ctx.now(), recorded_by=actor.user_id)
                s.add(row)
                return {"item": item_no, "status": status, "description": desc, "quantity": format(qty, "f"),
                        "hs_code": hs, "value": format(val, "f"), "currency": cur, "personal_use": personal}

            case = self.cases.change(s, actor, case_id, _version(version), T["ecd.finding"], apply)
            return self._view(s, case, decl)

    def record_excise_count(self, actor: Actor, case_id: uuid.UUID, version: int, *, cigarettes: Any = 0,
                            cigars: Any = 0, sliced_tobacco_g: Any = 0, alcohol_l: Any = "0") -> EcdView:
        """The officer's count of tobacco and alcohol (replaces the declared quantities on reassessment)."""
        counted = ExciseQuantities(_count(cigarettes, "cigarettes"), _count(cigars, "cigars"),
                                   _count(sliced_tobacco_g, "sliced_tobacco_g"), _decimal(alcohol_l, "alcohol_l"))
        with self.ctx.db.write() as s:
            def apply(case: Case) -> dict:
                s.add(EcdExciseCount(case_id=case.id, cigarettes=counted.cigarettes, cigars=counted.cigars,
                                     sliced_tobacco_g=counted.sliced_tobacco_g, alcohol_l=counted.alcohol_l,
                                     recorded_at=self.ctx.now(), recorded_by=actor.user_id))
                return {"excise": counted.to_json()}

            case = self.cases.change(s, actor, case_id, _version(version), T["ecd.excise_count"], apply)
            return self._view(s, case, s.get(EcdDeclaration, case.id))

    def refer(self, actor: Actor, case_id: uuid.UUID, version: int, code: str, *, receiver: str,
              receiver_name: str, items: Sequence[tuple[str, str] | tuple[str, str, str]], note: str = "") -> EcdView:
        """Hand goods over to QUARANTINE or ENFORCEMENT (P2) with numbered hand-over minutes."""
        code = str(code or "").strip().upper()
        if code in _OWN_STEP:
            raise InputError(f"{code} has its own step ({_OWN_STEP[code]})", field="code")
        if code not in (Referral.QUARANTINE, Referral.ENFORCEMENT):
            raise InputError("QUARANTINE or ENFORCEMENT", field="code")
        handed = _items(items)
        return self._handover(actor, case_id, version, code, T["ecd.refer"], receiver=receiver,
                              receiver_name=receiver_name, items=handed, note=note)

    def hand_off_pibk(self, actor: Actor, case_id: uuid.UUID, version: int, *, receiver: str, receiver_name: str,
                      note: str = "") -> EcdView:
        """Goods not for personal use go to PIBK settlement: the non-personal lines (as found, else as declared)
        are handed over with minutes; the personal goods continue at the counter."""
        with self.ctx.db.read() as s:
            goods = self._goods_now(s, case_id)
        items = [docs.HandedItem(g.description, f"{g.value} {g.currency}") for g in goods if not g.personal_use]
        if not items:
            raise Refusal("no goods for non-personal use on this e-CD", code="NO_NON_PERSONAL_GOODS")
        return self._handover(actor, case_id, version, Referral.PIBK.value, T["ecd.pibk"], receiver=receiver,
                              receiver_name=receiver_name, items=items, note=note)

    def cash_procedure(self, actor: Actor, case_id: uuid.UUID, version: int,
                       cash: Sequence[tuple[str, Any] | tuple[str, Any, bool]], *, receiver: str,
                       receiver_name: str, note: str = "") -> EcdView:
        """Cash and bearer instruments of at least the threshold (PP 99/2016): the counted amounts, converted at
        the arrival date's NDPBM, with the fine when they were not declared [U: of the whole amount], handed
        over with minutes."""
        lines = []
        for i, line in enumerate(cash):
            cur, amount = line[0], line[1]
            bearer = bool(line[2]) if len(line) > 2 else False
            lines.append(_Cash(_currency(cur, f"cash[{i}].currency"), _decimal(amount, f"cash[{i}].amount",
                                                                              positive=True), bearer))
        if not lines:
            raise InputError("at least one amount", field="cash")
        with self.ctx.db.read() as s:
            decl = self._decl(s, case_id)
        doc = _document(decl)
        rs = self.ruleset(decl.arrival_date)
        rules = compile_rules(rs)
        rates = self._rates()
        total = cash_total_idr(lines, decl.arrival_date, rates, rules)  # a currency without a rate names its line
        if total < rules.cash_threshold_idr:
            raise Refusal(f"Rp{int(total):,} is below the Rp{int(rules.cash_threshold_idr):,} threshold of "
                          f"{rules.id}: no cash procedure", code="CASH_BELOW_THRESHOLD")
        declared_total = cash_total_idr(doc.cash, decl.arrival_date, rates, rules) if doc.cash else Decimal(0)
        declared = declared_total >= rules.cash_threshold_idr
        fine = 0 if declared else undeclared_cash_fine_idr(total, rules)
        count = docs.CashCount([(c.currency, format(c.amount, "f")) for c in lines], int(total),
                               int(rules.cash_threshold_idr), declared, fine)
        return self._handover(actor, case_id, version, Referral.CASH_DECLARATION.value, T["ecd.cash_procedure"],
                              receiver=receiver, receiver_name=receiver_name, items=[], note=note, cash=count,
                              cash_lines=lines)

    def destroy_excise(self, actor: Actor, case_id: uuid.UUID, version: int, *, witnesses: str,
                       note: str = "") -> EcdView:
        """Excise goods above the allowance are destroyed, never taxed (DOMAIN.md §1): destruction minutes
        (BA pemusnahan) for the excess of the current decision."""
        with self.ctx.db.read() as s:
            current = self._current(s, case_id)
        if not current.has_excise_excess:
            raise Refusal("the current decision has no excise goods above the allowance", code="NO_EXCISE_EXCESS")
        ex = current.excise_excess
        names = {"cigarettes": ("Sigaret / cigarettes", "batang"), "cigars": ("Cerutu / cigars", "batang"),
                 "sliced_tobacco_g": ("Tembakau iris / sliced tobacco", "gram"),
                 "alcohol_l": ("Minuman mengandung etil alkohol / alcohol", "liter")}
        items = [docs.HandedItem(names[k][0], f"{ex[k]} {names[k][1]}") for k in names
                 if ex[k] and str(ex[k]) != "0"]
        return self._handover(actor, case_id, version, Referral.EXCISE_DESTRUCTION.value, T["ecd.destroy"],
                              receiver="Pemusnahan / destruction", receiver_name=witnesses, items=items, note=note,
                              witnesses=True)

    def _handover(self, actor: Actor, case_id: uuid.UUID, version: int, code: str, transition, *, receiver: str,
                  receiver_name: str, items: Sequence[docs.HandedItem], note: str,
                  cash: docs.CashCount | None = None, cash_lines: Sequence[_Cash] = (),
                  witnesses: bool = False) -> EcdView:
        receiver = _text(receiver, "receiver", max_len=200)
        receiver_name = _text(receiver_name, "witnesses" if witnesses else "receiver_name", max_len=200)
        note = _text(note, "note", max_len=500, required=False)
        with self.ctx.db.write() as s:
            decl = self._decl(s, case_id)
            header = _passenger(decl)
            office = self.services.issuance.office_info()
            officer = self._officer(actor)

            def apply(case: Case) -> dict:
                if code == Referral.EXCISE_DESTRUCTION and s.scalar(
                        select(func.count()).select_from(EcdReferral).where(
                            EcdReferral.case_id == case.id, EcdReferral.code == code,
                            EcdReferral.recorded_at >= self._current(s, case.id).decided_at)):
                    raise Refusal("the excess of the current decision is already destroyed", code="ALREADY_DONE")
                if code == Referral.EXCISE_DESTRUCTION:
                    rs_id = self._current(s, case.id).ruleset

                    def build(number: str, day: dt.date):
                        return docs.destruction_minutes(number, day, office, header, items=items,
                                                        witnesses=receiver_name, ruleset=rs_id, note=note,
                                                        officer=officer)
                    doc_type = docs.DOC_DESTRUCTION
                else:
                    def build(number: str, day: dt.date):
                        return docs.handover_minutes(number, day, office, header, code=code, receiver=receiver,
                                                     receiver_name=receiver_name, items=items, note=note,
                                                     officer=officer, cash=cash)
                    doc_type = docs.DOC_HANDOVER
                issued = self.services.issuance.issue_in(s, actor, doc_type, build, case_id=case.id,
                                                         audit_data={"referral": code})
                s.add(EcdReferral(
                    case_id=case.id, code=code, receiver=receiver, receiver_name=receiver_name,
                    items=[{"description": it.description, "quantity": it.quantity, "note": it.note} for it in items],
                    note=note or None,
                    cash_lines=[{"currency": c.currency, "amount": format(c.amount, "f"),
                                 "bearer_instrument": c.bearer_instrument} for c in cash_lines],
                    cash_idr=cash.total_idr if cash else None, cash_declared=cash.declared if cash else None,
                    fine_idr=cash.fine_idr if cash else None, document_number=issued.number,
                    recorded_at=self.ctx.now(), recorded_by=actor.user_id))
                return {"referral": code, "receiver": receiver, "receiver_name": receiver_name,
                        "document": issued.number, "items": len(items),
                        **({"cash_idr": cash.total_idr, "declared": cash.declared, "fine_idr": cash.fine_idr}
                           if cash else {})}

            case = self.cases.change(s, actor, case_id, _version(version), transition, apply)
            return self._view(s, case, decl)

    def reassess(self, actor: Actor, case_id: uuid.UUID, version: int) -> EcdView:
        """Reassessment with the same rule engine on what was found (items as found, else as declared; the
        officer's excise count and counted cash, else the declared ones), the rule set in force on the
        arrival date. Something to pay → a billing slip with its billing code (BILLED); else ASSESSED."""
        with self.ctx.db.read() as s:
            decl = self._decl(s, case_id)
            goods = self._goods_now(s, case_id)
            excise = self._excise_now(s, case_id)
            cash = self._cash_now(s, case_id)
        doc = _document(decl)
        rs = self.ruleset(decl.arrival_date)
        rates = self._rates()
        with self.ctx.db.write() as s:
            header = _passenger(decl)
            office = self.services.issuance.office_info()
            officer = self._officer(actor)

            def apply(case: Case) -> dict:
                extra = [r for r in (case.reasons or []) if r not in _ENGINE_REASONS]
                decision = decide(ecd_id=decl.ecd_id, goods=goods, excise=excise if excise is not None else doc.excise,
                                  cash=cash if cash is not None else doc.cash, carrying=doc.carrying,
                                  traveller=doc.traveller(), arrival_date=decl.arrival_date, rates=rates, rules=rs,
                                  extra_reasons=extra)
                record = decision.to_record()
                row = self._add_decision(s, case, "REASSESSMENT", record, actor)
                self.services.reference.record_ruleset(s, rs)
                total = decision.assessment.total_idr
                case.reasons = sorted({*(case.reasons or []), *decision.reasons})
                summary = {**(case.summary or {}), "duty_assessed_idr": total, "ruleset": decision.ruleset}
                out: dict[str, Any] = {"total_idr": total, "reasons": list(decision.reasons),
                                       "referrals": list(decision.referrals), "ruleset": decision.ruleset}
                if total > 0:
                    assessed = docs.Assessed.from_record(record["assessment"])
                    rows = _goods_rows(doc, self._findings(s, case.id))
                    codes: dict[str, str] = {}

                    def build(number: str, day: dt.date):
                        unit = actor.unit_code or self.ctx.settings.unit_code
                        fmt = self.ctx.settings.numbering.unit_format if unit else self.ctx.settings.numbering.format
                        seq = seq_of_number(fmt, number, doc_type=docs.DOC_BILLING, office=actor.office_code,
                                            unit=unit, year=day.year)
                        codes["code"] = billing_code(actor.office_code, day.year, seq)
                        return docs.billing_slip(number, day, office, header, billing_code=codes["code"],
                                                 reasons=decision.reasons, ruleset=decision.ruleset,
                                                 assessed=assessed, goods=rows, officer=officer)

                    issued = self.services.issuance.issue_in(s, actor, docs.DOC_BILLING, build, case_id=case.id,
                                                             audit_data={"billing_code": codes.get("code")})
                    s.add(EcdBilling(case_id=case.id, decision_id=row.id, code=codes["code"], amount_idr=total,
                                     levies=decision.assessment.levies, document_number=issued.number,
                                     issued_at=self.ctx.now(), issued_by=actor.user_id))
                    summary["billing_code"] = codes["code"]
                    case.state = BILLED
                    out |= {"billing_code": codes["code"], "document": issued.number}
                else:
                    summary.pop("billing_code", None)
                    case.state = ASSESSED
                case.summary = summary
                return out

            case = self.cases.change(s, actor, case_id, _version(version), T["ecd.reassess"], apply)
            return self._view(s, case, decl)

    def record_payment(self, actor: Actor, case_id: uuid.UUID, version: int, *, billing_code: str,
                       receipt_number: str, amount_idr: Any, channel: str) -> EcdView:
        """Payment of the billing in full (receipt/NTPN number, amount, channel) → PAID with a payment
        receipt (printable on the receipt printer)."""
        code = re.sub(r"\s", "", str(billing_code or ""))
        if not re.fullmatch(r"[0-9]{15}", code):
            raise InputError("the 15-digit billing code", field="billing_code")
        receipt = re.sub(r"\s", "", str(receipt_number or "")).upper()
        if not _RECEIPT_RE.fullmatch(receipt):
            raise InputError("6-40 letters, digits, '/' or '-'", field="receipt_number")
        amount = _rupiah(amount_idr, "amount_idr")
        channel = str(channel or "").strip().upper()
        if channel not in PAYMENT_CHANNELS:
            raise InputError(f"one of {', '.join(PAYMENT_CHANNELS)}", field="channel")
        with self.ctx.db.write() as s:
            decl = self._decl(s, case_id)
            header = _passenger(decl)
            office = self.services.issuance.office_info()
            officer = self._officer(actor)

            def apply(case: Case) -> dict:
                bill = self._billing(s, case.id)
                if bill is None or bill.code != code:
                    raise InputError(f"not the billing of this case ({bill.code if bill else 'none'})",
                                     field="billing_code")
                if amount != bill.amount_idr:
                    raise InputError(f"the billing is Rp{bill.amount_idr:,}; Rp{amount:,} does not settle it",
                                     field="amount_idr")
                if s.scalar(select(func.count()).select_from(EcdPayment)
                            .where(EcdPayment.receipt_number == receipt, EcdPayment.case_id != case.id)):
                    raise InputError(f"{receipt} already pays another billing", field="receipt_number")

                def build(number: str, day: dt.date):
                    return docs.payment_receipt(number, day, office, header, billing_code=bill.code,
                                                billing_number=bill.document_number, receipt_number=receipt,
                                                channel=channel, levies=bill.levies, officer=officer)

                issued = self.services.issuance.issue_in(s, actor, docs.DOC_RECEIPT, build, case_id=case.id,
                                                         audit_data={"billing_code": bill.code})
                s.add(EcdPayment(case_id=case.id, billing_id=bill.id, receipt_number=receipt, amount_idr=amount,
                                 channel=channel, document_number=issued.number, paid_at=self.ctx.now(),
                                 recorded_by=actor.user_id))
                case.summary = {**(case.summary or {}), "duty_paid_idr": amount}
                return {"billing_code": bill.code, "receipt_number": receipt, "amount_idr": amount,
                        "channel": channel, "document": issued.number}

            case = self.cases.change(s, actor, case_id, _version(version), T["ecd.pay"], apply)
            return self._view(s, case, decl)

    def release(self, actor: Actor, case_id: uuid.UUID, version: int, note: str = "") -> EcdView:
        """The officer approves release: green lane, or after reassessment with everything paid and every
        referral of the current decision handed over. Issues the release approval."""
        note = _text(note, "note", max_len=500, required=False)
        with self.ctx.db.write() as s:
            decl = self._decl(s, case_id)
            header = _passenger(decl)
            office = self.services.issuance.office_info()
            officer = self._officer(actor)

            def apply(case: Case) -> dict:
                current = self._view(s, case, decl)
                blockers = current.release_blockers()
                if blockers:
                    raise Refusal("cannot release yet: " + "; ".join(blockers), code="RELEASE_BLOCKED")
                d = current.decision
                pay = current.payment
                handovers = [f"{r.code}: {r.document_number}" for r in current.referrals]

                def build(number: str, day: dt.date):
                    return docs.release_approval(
                        number, day, office, header, lane=case.lane or d.lane, ruleset=d.ruleset,
                        reasons=list(case.reasons or []), total_idr=d.total_idr if pay else 0,
                        billing_code=current.billing.code if current.billing and pay else None,
                        payment=f"{pay.receipt_number} ({pay.channel}) {pay.document_number}" if pay else None,
                        handovers=handovers, note=note, officer=officer)

                issued = self.services.issuance.issue_in(s, actor, docs.DOC_RELEASE, build, case_id=case.id)
                case.summary = {**(case.summary or {}), "release_number": issued.number}
                return {"document": issued.number, "note": note}

            case = self.cases.change(s, actor, case_id, _version(version), T["ecd.release"], apply)
            return self._view(s, case, decl)

    def issue_slip(self, actor: Actor, case_id: uuid.UUID, version: int) -> EcdView:
        """The decision slip (lane, reasons, rule set, levies) for the passenger; also a receipt document."""
        with self.ctx.db.write() as s:
            decl = self._decl(s, case_id)
            header = _passenger(decl)
            office = self.services.issuance.office_info()
            officer = self._officer(actor)

            def apply(case: Case) -> dict:
                d = self._current(s, case.id)

                def build(number: str, day: dt.date):
                    return docs.decision_slip(number, day, office, header, lane=case.lane or d.lane,
                                              reasons=list(d.reasons), referrals=list(d.referrals),
                                              ruleset=d.ruleset, assessed=docs.Assessed.from_record(d.assessment),
                                              officer=officer)

                issued = self.services.issuance.issue_in(s, actor, docs.DOC_SLIP, build, case_id=case.id)
                return {"document": issued.number}

            case = self.cases.change(s, actor, case_id, _version(version), T["ecd.slip"], apply)
            return self._view(s, case, decl)

    # -- queue and search ---------------------------------------------------------------------------------
    def queue(self, day: dt.date | None = None, *, lane: str | None = None, flight: str | None = None,
              state: str | None = None, search: str = "", limit: int = 500) -> QueueData:
        """Declarations arriving on `day` (default today) by flight and lane, with counters per lane."""
        day = day or self.ctx.today()
        flight = (flight or "").strip().upper() or None
        base = (select(EcdDeclaration, Case).join(Case, Case.id == EcdDeclaration.case_id)
                .where(EcdDeclaration.arrival_date == day))
        with self.ctx.db.read() as s:
            flights = tuple((f or "-", n) for f, n in s.execute(
                select(EcdDeclaration.flight, func.count()).where(EcdDeclaration.arrival_date == day)
                .group_by(EcdDeclaration.flight).order_by(EcdDeclaration.flight)).all())
            counted = (select(Case.lane, Case.state, func.count()).join(EcdDeclaration, EcdDeclaration.case_id == Case.id)
                       .where(EcdDeclaration.arrival_date == day))
            if flight:
                base = base.where(EcdDeclaration.flight == flight)
                counted = counted.where(EcdDeclaration.flight == flight)
            lanes: dict[str, int] = {"green": 0, "red": 0}
            states: dict[str, int] = {}
            for ln, st, n in s.execute(counted.group_by(Case.lane, Case.state)).all():
                lanes[ln or "-"] = lanes.get(ln or "-", 0) + n
                states[st] = states.get(st, 0) + n
            if lane:
                base = base.where(Case.lane == lane)
            if state:
                base = base.where(Case.state == state)
            text = (search or "").strip()
            if text:
                like = f"%{text.upper()}%"
                base = base.where(or_(func.upper(EcdDeclaration.name).like(like), EcdDeclaration.passport == text.upper(),
                                      EcdDeclaration.ecd_id == text, EcdDeclaration.flight == text.upper()))
            rows = s.execute(base.order_by(EcdDeclaration.flight, Case.lane.desc(), EcdDeclaration.name)
                             .limit(limit)).all()
            return QueueData(day, tuple(_queue_row(d, c) for d, c in rows), lanes, states, flights)

    def search(self, query: str, *, day: dt.date | None = None, limit: int = 50) -> list[QueueRow]:
        """Counter search: e-CD id or passport (any day), flight or name (arrivals of the day ±1)."""
        text = _text(query, "search", max_len=100)
        upper = text.upper()
        day = day or self.ctx.today()
        near = (day - dt.timedelta(days=1), day + dt.timedelta(days=1))
        q = select(EcdDeclaration, Case).join(Case, Case.id == EcdDeclaration.case_id)
        with self.ctx.db.read() as s:
            found: dict[uuid.UUID, tuple] = {}
            for cond in (EcdDeclaration.ecd_id == text, EcdDeclaration.passport == upper):
                for d, c in s.execute(q.where(cond).order_by(EcdDeclaration.arrival_date.desc()).limit(limit)).all():
                    found.setdefault(c.id, (d, c))
            days = EcdDeclaration.arrival_date.between(*near)
            if re.fullmatch(r"[A-Z0-9]{2}[0-9]{1,4}[A-Z]?", upper):  # looks like a flight number
                for d, c in s.execute(q.where(days, EcdDeclaration.flight == upper).limit(limit)).all():
                    found.setdefault(c.id, (d, c))
            if len(upper) >= 2 and not any(ch.isdigit() for ch in upper):  # names have no digits
                for d, c in s.execute(q.where(days, func.upper(EcdDeclaration.name).like(f"%{upper}%"))
                                      .limit(limit)).all():
                    found.setdefault(c.id, (d, c))
        rows = [_queue_row(d, c) for d, c in found.values()]
        rows.sort(key=lambda r: (abs((r.arrival_date - day).days), r.flight, r.name))
        return rows[:limit]

    def demo_scan_codes(self, limit: int = 12) -> list[str]:
        """`ECD:` codes of stored e-CDs (today's arrivals first), for the demo's F5 key."""
        day = self.ctx.today()
        with self.ctx.db.read() as s:
            ids = list(s.scalars(select(EcdDeclaration.ecd_id).where(EcdDeclaration.source == "import")
                                 .order_by((EcdDeclaration.arrival_date == day).desc(),
                                           EcdDeclaration.arrival_date.desc(), EcdDeclaration.ecd_id)
                                 .limit(limit)))
        return [f"ECD:{i}" for i in ids]

    # -- reading ------------------------------------------------------------------------------------------
    def _decl(self, s: Session, case_id: uuid.UUID) -> EcdDeclaration:
        decl = s.get(EcdDeclaration, case_id)
        if decl is None:
            raise NotFound("no such e-CD case", field="case", code="UNKNOWN_CASE")
        return decl

    def _add_decision(self, s: Session, case: Case, kind: str, record: dict[str, Any], actor: Actor, *,
                      note: str | None = None, confirmed_by: Actor | None = None) -> EcdDecisionRow:
        seq = (s.scalar(select(func.max(EcdDecisionRow.seq)).where(EcdDecisionRow.case_id == case.id)) or 0) + 1
        row = EcdDecisionRow(case_id=case.id, seq=seq, kind=kind, lane=record["lane"], reasons=list(record["reasons"]),
                             referrals=list(record["referrals"]), ruleset=record["ruleset"],
                             ruleset_sha256=record["ruleset_sha256"], total_idr=record["assessment"]["total_idr"],
                             record=record, note=note, decided_at=self.ctx.now(), decided_by=actor.user_id,
                             confirmed_by=confirmed_by.user_id if confirmed_by else None)
        s.add(row)
        s.flush()
        case.summary = {**(case.summary or {}), "duty_assessed_idr": row.total_idr, "lane": record["lane"]}
        return row

    def _current(self, s: Session, case_id: uuid.UUID) -> DecisionView:
        row = s.scalars(select(EcdDecisionRow).where(EcdDecisionRow.case_id == case_id)
                        .order_by(EcdDecisionRow.seq.desc()).limit(1)).first()
        if row is None:
            raise NotFound("no decision on this e-CD", field="case", code="UNKNOWN_CASE")
        return _decision_view(row, {})

    def _findings(self, s: Session, case_id: uuid.UUID) -> dict[int, FindingView]:
        rows = list(s.scalars(select(EcdFinding).where(EcdFinding.case_id == case_id)
                              .order_by(EcdFinding.recorded_at, EcdFinding.id)))
        out: dict[int, FindingView] = {}
        counts: dict[int, int] = {}
        for r in rows:  # the latest row of each item counts
            counts[r.item_no] = counts.get(r.item_no, 0) + 1
            out[r.item_no] = FindingView(r.item_no, r.status, r.description, _tidy(r.quantity, 0), r.unit,
                                         r.hs_code, _tidy(r.value, 2), r.currency, r.personal_use, r.note,
                                         counts[r.item_no], r.id)
        return dict(sorted(out.items()))

    def _goods_now(self, s: Session, case_id: uuid.UUID) -> list[GoodsItem]:
        """Goods as found: declared lines unless the officer recorded otherwise, plus undeclared goods."""
        doc = _document(self._decl(s, case_id))
        findings = self._findings(s, case_id)
        goods = []
        for i, g in enumerate(doc.goods, 1):
            f = findings.get(i)
            if f is None:
                goods.append(GoodsItem(g.description, g.value, g.currency, g.personal_use, g.hs_code))
            elif f.status != NOT_FOUND:
                goods.append(GoodsItem(f.description, f.value, f.currency, f.personal_use, f.hs_code))
        for no, f in findings.items():
            if no > len(doc.goods) and f.status == UNDECLARED:
                goods.append(GoodsItem(f.description, f.value, f.currency, f.personal_use, f.hs_code))
        return goods

    def _excise_now(self, s: Session, case_id: uuid.UUID) -> ExciseQuantities | None:
        row = s.scalars(select(EcdExciseCount).where(EcdExciseCount.case_id == case_id)
                        .order_by(EcdExciseCount.recorded_at.desc(), EcdExciseCount.id.desc()).limit(1)).first()
        if row is None:
            return None
        return ExciseQuantities(row.cigarettes, row.cigars, row.sliced_tobacco_g, Decimal(row.alcohol_l))

    def _cash_now(self, s: Session, case_id: uuid.UUID) -> list[_Cash] | None:
        row = s.scalars(select(EcdReferral).where(EcdReferral.case_id == case_id,
                                                  EcdReferral.code == Referral.CASH_DECLARATION.value)
                        .order_by(EcdReferral.recorded_at.desc(), EcdReferral.id.desc()).limit(1)).first()
        if row is None:
            return None
        return [_Cash(c["currency"], Decimal(c["amount"]), bool(c.get("bearer_instrument"))) for c in row.cash_lines]

    def _billing(self, s: Session, case_id: uuid.UUID) -> EcdBilling | None:
        return s.scalars(select(EcdBilling).where(EcdBilling.case_id == case_id)
                         .order_by(EcdBilling.issued_at.desc(), EcdBilling.id.desc()).limit(1)).first()

    def _officer(self, actor: Actor) -> docs.Officer:
        nip = actor.nip if actor.nip and len(actor.nip.replace(" ", "")) == 18 else None
        return docs.Officer(actor.full_name, nip, self.ctx.settings.office.city or self.ctx.settings.office.name)

    def _view(self, s: Session, case: Case, decl: EcdDeclaration, *, created: bool = False) -> EcdView:
        decision_rows = list(s.scalars(select(EcdDecisionRow).where(EcdDecisionRow.case_id == case.id)
                                       .order_by(EcdDecisionRow.seq)))
        user_ids = {u for r in decision_rows for u in (r.decided_by, r.confirmed_by) if u}
        logins = dict(s.execute(select(User.id, User.login).where(User.id.in_(user_ids))).all()) if user_ids else {}
        decisions = tuple(_decision_view(r, logins) for r in decision_rows)
        findings: tuple[FindingView, ...] = ()
        excise = None
        referrals: tuple[ReferralView, ...] = ()
        billing = payment = None
        documents: tuple[DocRef, ...] = ()
        if case.version > 1:  # a case never changed since it was opened has nothing more (the scan's fast path)
            findings = tuple(self._findings(s, case.id).values())
            excise = self._excise_now(s, case.id)
            referrals = tuple(ReferralView(r.code, r.receiver, r.receiver_name, tuple(r.items or ()), r.cash_idr,
                                           r.cash_declared, r.fine_idr, r.document_number, r.recorded_at)
                              for r in s.scalars(select(EcdReferral).where(EcdReferral.case_id == case.id)
                                                 .order_by(EcdReferral.recorded_at, EcdReferral.id)))
            bill = self._billing(s, case.id)
            if bill is not None:
                billing = BillingView(bill.code, bill.amount_idr, dict(bill.levies), bill.document_number,
                                      bill.issued_at)
                pay = s.scalars(select(EcdPayment).where(EcdPayment.billing_id == bill.id).limit(1)).first()
                if pay is not None:
                    payment = PaymentView(pay.receipt_number, pay.amount_idr, pay.channel, pay.document_number,
                                          pay.paid_at)
            documents = tuple(DocRef(n, t) for n, t in s.execute(
                select(Document.number, Document.doc_type).where(Document.case_id == case.id)
                .order_by(Document.issued_at, Document.number)).all())
        return EcdView(view(case), decl.ecd_id, decl.source, _document(decl), decl.oral_group, decisions[-1],
                       decisions, findings, excise, referrals, billing, payment, documents, created)


# ---------------------------------------------------------------------------------------------------------
def _tidy(value: Decimal | int, places: int) -> Decimal:
    """A stored Numeric without its padding zeros, keeping `places` decimals when exact (1500.000000 → 1500.00)."""
    d = Decimal(value)
    q = Decimal(1).scaleb(-places)
    if d == d.quantize(q):
        return d.quantize(q)
    return d.normalize()


def _document(decl: EcdDeclaration) -> EcdDocument:
    return ecd_from_obj(json.loads(decl.document_json))


def _passenger(decl: EcdDeclaration) -> docs.Passenger:
    return docs.Passenger(decl.ecd_id, decl.name, decl.passport, decl.nationality, decl.flight, decl.arrival_date,
                          decl.port, decl.persons, decl.traveller_type)


def _decision_view(r: EcdDecisionRow, logins: dict) -> DecisionView:
    return DecisionView(r.seq, r.kind, r.lane, tuple(r.reasons or ()), tuple(r.referrals or ()), r.ruleset,
                        r.ruleset_sha256, r.total_idr, dict(r.record), r.note, r.decided_at,
                        logins.get(r.decided_by, ""), logins.get(r.confirmed_by) if r.confirmed_by else None)


def _with_reasons(record: dict[str, Any], reasons: Iterable[str]) -> dict[str, Any]:
    out = dict(record)
    out["reasons"] = sorted({*record["reasons"], *(str(r) for r in reasons)})
    out["lane"] = Lane.RED.value if out["reasons"] else Lane.GREEN.value
    return out


def _items(items: Sequence[tuple]) -> list[docs.HandedItem]:
    out = []
    for i, item in enumerate(items):
        desc = _text(item[0] if len(item) > 0 else "", f"items[{i}].description", max_len=500)
        qty = _text(item[1] if len(item) > 1 else "", f"items[{i}].quantity", max_len=50)
        note = _text(item[2] if len(item) > 2 else "", f"items[{i}].note", max_len=200, required=False)
        out.append(docs.HandedItem(desc, qty, note))
    if not out:
        raise InputError("at least one item", field="items")
    return out


def _goods_rows(doc: EcdDocument, findings: dict[int, FindingView]) -> list[docs.GoodsRow]:
    rows = []
    for i, g in enumerate(doc.goods, 1):
        f = findings.get(i)
        if f is None:
            rows.append(docs.GoodsRow(i, g.description, f"{g.quantity} {g.unit}", g.hs_code or "",
                                      f"{g.value} {g.currency}", "DECLARED"))
        else:
            rows.append(docs.GoodsRow(i, f.description, f"{f.quantity} {f.unit}", f.hs_code or "",
                                      f"{f.value} {f.currency}", f.status))
    for no, f in findings.items():
        if no > len(doc.goods):
            rows.append(docs.GoodsRow(no, f.description, f"{f.quantity} {f.unit}", f.hs_code or "",
                                      f"{f.value} {f.currency}", f.status))
    return rows


def _queue_row(d: EcdDeclaration, c: Case) -> QueueRow:
    return QueueRow(c.id, d.ecd_id, d.name, d.passport, d.flight, d.arrival_date, c.lane or "-", c.state,
                    tuple(c.reasons or ()), d.persons, int((c.summary or {}).get("duty_assessed_idr", 0) or 0),
                    c.version)


# -- demo ---------------------------------------------------------------------------------------------------------
DEMO_FLIGHTS = (("GA881", "GA", "NRT"), ("SQ956", "SQ", "SIN"), ("QR956", "QR", "DOH"), ("GA985", "GA", "JED"))
DEMO_NAMES = (
    ("Budi Santoso", "IDN"), ("Siti Aminah", "IDN"), ("Kenji Watanabe", "JPN"), ("Wong Mei Ling", "SGP"),
    ("Dewi Anggraini", "IDN"), ("Ahmad Fauzi", "IDN"), ("Maria Schneider", "DEU"), ("Rizky Pratama", "IDN"),
    ("Nurul Hidayah", "IDN"), ("Tan Wei Jie", "SGP"), ("Yuki Tanaka", "JPN"), ("Hendra Gunawan", "IDN"),
    ("Putu Ayu Lestari", "IDN"), ("Omar Al-Farsi", "QAT"), ("Linda Kusuma", "IDN"),
)


def _demo_goods(i: int) -> tuple[list[dict], dict, list[dict], dict, list[dict]]:
    """(goods, excise, cash, carrying, family) for demo passenger i: mostly green, a red one of each kind."""
    none = {"animals_fish_plants": False, "narcotics_psychotropics": False,
            "weapons_ammunition_explosives": False, "pornography": False}
    excise = {"cigarettes": 0, "cigars": 0, "sliced_tobacco_g": 0, "alcohol_l": "0"}
    small = [{"description": "Oleh-oleh / souvenirs", "hs_code": "950300", "quantity": 3, "unit": "PCE",
              "value": str(40 + 17 * (i % 9)) + ".00", "currency": "USD", "personal_use": True}]
    kind = i % 10
    if kind == 1:  # laptop above the allowance
        return ([{"description": "Laptop", "hs_code": "847130", "quantity": 1, "unit": "PCE", "value": "1450.00",
                  "currency": "USD", "personal_use": True}], excise, [], none, [])
    if kind == 3:  # cigarettes above the allowance
        return small, {**excise, "cigarettes": 400, "alcohol_l": "1"}, [], none, []
    if kind == 5:  # cash
        return small, excise, [{"currency": "USD", "amount": "9000", "bearer_instrument": False}], none, []
    if kind == 7:  # plants
        return ([{"description": "Bibit anggrek / orchid seedlings", "hs_code": "060290", "quantity": 10,
                  "unit": "PCE", "value": "60.00", "currency": "USD", "personal_use": True}], excise, [],
                {**none, "animals_fish_plants": True}, [])
    if kind == 9:  # jastip: bags for resale
        return ([{"description": "Tas titipan / bags for resale", "hs_code": "420221", "quantity": 6, "unit": "PCE",
                  "value": "2100.00", "currency": "USD", "personal_use": False}], excise, [], none, [])
    if kind == 4:  # a family: pooled allowance keeps them green
        return ([{"description": "Kamera / camera", "hs_code": "852589", "quantity": 1, "unit": "PCE",
                  "value": "880.00", "currency": "USD", "personal_use": True}], excise, [], none,
                [{"name": "Anak / child", "passport": f"C90{i:05d}", "birth_date": "2016-04-02"}])
    return small, excise, [], none, []


def demo_documents(today: dt.date, n: int = 30) -> list[dict]:
    docs_out = []
    submitted = dt.datetime.combine(today - dt.timedelta(days=1), dt.time(20, 0), dt.timezone(dt.timedelta(hours=7)))
    for i in range(n):
        flight, carrier, origin = DEMO_FLIGHTS[i % len(DEMO_FLIGHTS)]
        name, nationality = DEMO_NAMES[i % len(DEMO_NAMES)]
        goods, excise, cash, carrying, family = _demo_goods(i)
        docs_out.append({
            "format": "ecd/1", "ecd_id": f"ECD-{today:%Y%m%d}-{i + 1:06d}",
            "submitted_at": (submitted + dt.timedelta(minutes=7 * i)).isoformat(),
            "arrival": {"date": today.isoformat(), "port": "CGK", "carrier": carrier, "flight": flight,
                        "from_port": origin},
            "declarant": {"name": name, "passport": f"{'CBX'[i % 3]}{4100000 + 37 * i}", "nationality": nationality,
                          "birth_date": f"{1958 + (i * 7) % 45}-{1 + i % 12:02d}-{1 + (i * 5) % 28:02d}",
                          "traveller_type": "hajj_regular" if flight == "GA985" and i % 3 == 0 else "passenger",
                          "npwp": None},
            "family_members": family, "goods": goods, "excise": excise,
            "cash": cash or [{"currency": "IDR", "amount": "500000", "bearer_instrument": False}],
            "carrying": carrying,
        })
    return docs_out


def seed_demo(services) -> None:
    """Today's flights with 30 e-CDs across green and red lanes; a few already worked at the counter."""
    from workstation.demo import DEMO_PASSWORD

    ecd = services.ecd
    officer = services.auth.login("siti", DEMO_PASSWORD, client="demo set-up")
    try:
        documents = [ecd_from_obj(d) for d in demo_documents(services.ctx.today())]
        views = [r.view for r in ecd.import_documents(officer, documents, source="import")]
        greens = [v for v in views if v.state == GREEN]
        reds = [v for v in views if v.state == RED and "VALUE_OVER_ALLOWANCE" in v.case.reasons]
        ecd.release(officer, greens[0].case.id, greens[0].version)
        ecd.divert(officer, greens[1].case.id, greens[1].version, "gelagat mencurigakan, koper berat")
        laptop = reds[0]
        laptop = ecd.record_finding(officer, laptop.case.id, laptop.version, item_no=1, status="FOUND",
                                    value="1600.00", hs_code="8471300000", note="harga menurut invoice")
        ecd.reassess(officer, laptop.case.id, laptop.version)
    finally:
        services.auth.logout(officer, "demo set-up done")
