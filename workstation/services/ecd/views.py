"""What the passenger counter's screens get: typed, frozen views of an e-CD case, its decisions, findings,
referrals, billing and payment, and the queue of the day. Built by the service inside its read transaction;
nothing here touches the database."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from db.models_passenger import EcdDecisionRow, EcdDeclaration
from workstation.domain.codes import Lane
from workstation.domain.ecd import (
    BILLED,
    INSPECTING,
    PAID,
    RED,
    EcdDocument,
    ExciseQuantities,
    ecd_from_obj,
)
from workstation.services.cases import CaseView

# Why an e-CD cannot be released yet (EcdView.release_blocker_codes).
UNPAID = "UNPAID"
UNBILLED = "UNBILLED"
REFERRAL_MISSING = "REFERRAL_MISSING"
NOT_REASSESSED = "NOT_REASSESSED"


class ReleaseBlocker(NamedTuple):
    """One reason release is not possible yet: `code` (UNPAID | UNBILLED | REFERRAL_MISSING | NOT_REASSESSED) and
    its `subject` (billing code or None | assessed rupiah int | referral code | None)."""

    code: str
    subject: str | int | None


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
        out: dict[str, Any] = self.record["assessment"]
        return out

    @property
    def excise_excess(self) -> dict[str, Any]:
        out: dict[str, Any] = self.record["excise_excess"]
        return out

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
    cash_declared_idr: int | None = None  # what the e-CD declared, in rupiah at NDPBM (cash procedure)

    @property
    def cash_excess_idr(self) -> int | None:
        """Cash counted above what was declared (rupiah; 0 when none), None outside the cash procedure."""
        if self.cash_idr is None:
            return None
        return max(self.cash_idr - (self.cash_declared_idr or 0), 0)


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
    """Everything the counter shows about one e-CD. Screens keep `case.version` to send back. What the user may
    do next is not here: `PassengerService.allowed_actions(actor, view)` derives it from the workflow table."""

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

    def release_blocker_codes(self) -> list[ReleaseBlocker]:
        """Why release is not possible yet, as codes (empty: it is, in a state the table releases from); the one
        place this rule lives (`release_blockers` says it in English, the counter in the UI language).

        A list of `ReleaseBlocker(code, subject)`, in this order:
        ("UNPAID", billing code or None) when billed and not paid; else ("UNBILLED", assessed rupiah as int)
        when duties are assessed and not paid; ("REFERRAL_MISSING", referral code) for each referral of the
        current decision not yet handed over; ("NOT_REASSESSED", None) while red or inspecting."""
        out: list[ReleaseBlocker] = []
        d = self.decision
        if self.state == BILLED:
            out.append(ReleaseBlocker(UNPAID, self.billing.code if self.billing else None))
        elif d.total_idr and self.state != PAID:
            out.append(ReleaseBlocker(UNBILLED, d.total_idr))
        handed = self.handed_over()
        out += [ReleaseBlocker(REFERRAL_MISSING, code) for code in d.referrals if code not in handed]
        if self.state in (RED, INSPECTING):
            out.append(ReleaseBlocker(NOT_REASSESSED, None))
        return out

    def release_blockers(self) -> list[str]:
        """Why release is not possible yet, in English (empty: it is, in a state the table releases from).
        The service refuses a release with these as RELEASE_BLOCKED; the panel shows them in the UI language
        from `release_blocker_codes`."""
        out = []
        for code, subject in self.release_blocker_codes():
            if code == UNPAID:
                out.append(f"billing {subject or ''} is not paid".replace("  ", " "))
            elif code == UNBILLED:
                out.append(f"Rp{subject:,} assessed: reassess and bill before release")
            elif code == REFERRAL_MISSING:
                out.append(f"{subject} not recorded")
            else:
                out.append("the inspection is not reassessed")
        return out


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


class CashCounted(NamedTuple):
    """One counted amount of cash or bearer instruments (the cash procedure)."""

    currency: str
    amount: Decimal
    bearer_instrument: bool = False


def tidy(value: Decimal | int, places: int) -> Decimal:
    """A stored Numeric without its padding zeros, keeping `places` decimals when exact (1500.000000 → 1500.00)."""
    d = Decimal(value)
    q = Decimal(1).scaleb(-places)
    if d == d.quantize(q):
        return d.quantize(q)
    return d.normalize()


def document_of(decl: EcdDeclaration) -> EcdDocument:
    """The stored ecd/1 document of a declaration."""
    return ecd_from_obj(json.loads(decl.document_json))


def decision_view(r: EcdDecisionRow, logins: dict[uuid.UUID, str]) -> DecisionView:
    """A decision row as the screens see it; `logins` maps user ids to logins (missing: shown as \"\")."""
    return DecisionView(r.seq, r.kind, r.lane, tuple(r.reasons or ()), tuple(r.referrals or ()), r.ruleset,
                        r.ruleset_sha256, r.total_idr, dict(r.record), r.note, r.decided_at,
                        logins.get(r.decided_by, "") if r.decided_by else "",
                        logins.get(r.confirmed_by) if r.confirmed_by else None)

