"""What every use case of the counter shares: the service's context, the rule set and rates, and reading a
case's rows (declaration, decisions, findings, excise count, counted cash, billing) into views. The use cases
(intake.py, inspection.py, settlement.py, queue.py) are mixins on `EcdBase`; `PassengerService` composes them."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
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
from workstation import inputs
from workstation.domain.codes import CaseKind, Lane, LaneReason, Referral, Role
from workstation.domain.ecd import HS_LENGTHS, ExciseQuantities, GoodsItem
from workstation.domain.errors import ErrorCode
from workstation.errors import InputError, NotFound
from workstation.rules.rates import RateTable
from workstation.rules.ruleset import RuleSet, ruleset_for
from workstation.services.base import Actor, ServiceContext
from workstation.services.cases import CaseOps, view
from workstation.services.ecd.views import (
    BillingView,
    CashCounted,
    DecisionView,
    DocRef,
    EcdView,
    FindingView,
    PaymentView,
    ReferralView,
    decision_view,
    document_of,
    tidy,
)

if TYPE_CHECKING:
    from workstation.services import Services

KIND = CaseKind.ECD.value
OFFICERS = (Role.OFFICER, Role.SUPERVISOR)
IMPORTERS = (Role.OFFICER, Role.SUPERVISOR, Role.ADMIN)

FOUND, NOT_FOUND, UNDECLARED = "FOUND", "NOT_FOUND", "UNDECLARED"
FINDING_STATUSES = (FOUND, NOT_FOUND, UNDECLARED)
PAYMENT_CHANNELS = ("CASH", "CARD", "BANK", "QRIS")
# Reasons the engine derives from the goods; the others (officer, risk, random) are carried over on reassessment.
ENGINE_REASONS = {LaneReason.VALUE_OVER_ALLOWANCE, LaneReason.EXCISE_OVER_ALLOWANCE, LaneReason.QUARANTINE_GOODS,
                  LaneReason.PROHIBITED_GOODS, LaneReason.CASH_OVER_THRESHOLD, LaneReason.NON_PERSONAL_GOODS}
# Referrals recorded by their own step (with their own inputs), not by the generic `refer`.
OWN_STEP = {Referral.CASH_DECLARATION: "cash_procedure", Referral.PIBK: "hand_off_pibk",
            Referral.EXCISE_DESTRUCTION: "destroy_excise"}
MAX_COUNT = 999_999_999  # pieces, grams: nine digits


def count(value: Any, field: str) -> int:
    """A counted quantity (cigarettes, grams): a whole number, empty meaning 0. Raises InputError
    NOT_WHOLE_NUMBER, NEGATIVE, TOO_LARGE."""
    return inputs.optional_whole(value, field, maximum=MAX_COUNT) or 0


def optional_hs_code(value: Any, field: str) -> str | None:
    """An optional HS code of 4 to 10 digits, as the e-CD carries them. Raises InputError HS_CODE."""
    try:
        return inputs.hs_code(value, field, lengths=HS_LENGTHS, required=False)
    except InputError:  # the shared parser lists every length; say it as a range
        raise InputError(code=ErrorCode.HS_CODE, field=field,
                         params={"lengths": f"{HS_LENGTHS[0]} to {HS_LENGTHS[-1]}"}) from None


class EcdBase:
    """The state every use case works with, and the reads they share (each inside the caller's session)."""

    def __init__(self, services: Services):
        self.services = services
        self.ctx: ServiceContext = services.ctx
        self.cases: CaseOps = services.cases

    # -- rule sets and rates ------------------------------------------------------------------------------
    def ruleset(self, day: dt.date) -> RuleSet:
        """The e-CD rule set in force on `day`. Raises Refusal NO_RULESET when none is."""
        return ruleset_for("ecd", day, self.ctx.settings.rulesets_dir)

    def _rates(self) -> RateTable:
        return self.services.reference.rate_table()

    # -- reading ------------------------------------------------------------------------------------------
    def _decl(self, s: Session, case_id: uuid.UUID) -> EcdDeclaration:
        decl = s.get(EcdDeclaration, case_id)
        if decl is None:
            raise NotFound("no such e-CD case", field="case", code=ErrorCode.UNKNOWN_CASE)
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
        return row

    def _current(self, s: Session, case_id: uuid.UUID) -> DecisionView:
        row = s.scalars(select(EcdDecisionRow).where(EcdDecisionRow.case_id == case_id)
                        .order_by(EcdDecisionRow.seq.desc()).limit(1)).first()
        if row is None:
            raise NotFound("no decision on this e-CD", field="case", code=ErrorCode.UNKNOWN_CASE)
        return decision_view(row, {})

    def _findings(self, s: Session, case_id: uuid.UUID) -> dict[int, FindingView]:
        rows = list(s.scalars(select(EcdFinding).where(EcdFinding.case_id == case_id)
                              .order_by(EcdFinding.recorded_at, EcdFinding.id)))
        out: dict[int, FindingView] = {}
        counts: dict[int, int] = {}
        for r in rows:  # the latest row of each item counts
            counts[r.item_no] = counts.get(r.item_no, 0) + 1
            out[r.item_no] = FindingView(r.item_no, r.status, r.description, tidy(r.quantity, 0), r.unit,
                                         r.hs_code, tidy(r.value, 2), r.currency, r.personal_use, r.note,
                                         counts[r.item_no], r.id)
        return dict(sorted(out.items()))

    def _goods_now(self, s: Session, case_id: uuid.UUID) -> list[GoodsItem]:
        """Goods as found: declared lines unless the officer recorded otherwise, plus undeclared goods."""
        doc = document_of(self._decl(s, case_id))
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

    def _cash_now(self, s: Session, case_id: uuid.UUID) -> list[CashCounted] | None:
        row = s.scalars(select(EcdReferral).where(EcdReferral.case_id == case_id,
                                                  EcdReferral.code == Referral.CASH_DECLARATION.value)
                        .order_by(EcdReferral.recorded_at.desc(), EcdReferral.id.desc()).limit(1)).first()
        if row is None:
            return None
        # the last entry may be the declared amount (see _declared_idr), not a counted line
        return [CashCounted(c["currency"], Decimal(c["amount"]), bool(c.get("bearer_instrument")))
                for c in row.cash_lines if "currency" in c]

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
        decisions = tuple(decision_view(r, logins) for r in decision_rows)
        findings: tuple[FindingView, ...] = ()
        excise = None
        referrals: tuple[ReferralView, ...] = ()
        billing = payment = None
        documents: tuple[DocRef, ...] = ()
        if case.version > 1:  # a case never changed since it was opened has nothing more (the scan's fast path)
            findings = tuple(self._findings(s, case.id).values())
            excise = self._excise_now(s, case.id)
            referrals = tuple(ReferralView(r.code, r.receiver, r.receiver_name, tuple(r.items or ()), r.cash_idr,
                                           r.cash_declared, r.fine_idr, r.document_number, r.recorded_at,
                                           _declared_idr(r.cash_lines))
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
        return EcdView(view(case), decl.ecd_id, decl.source, document_of(decl), decl.oral_group, decisions[-1],
                       decisions, findings, excise, referrals, billing, payment, documents, created)


def passenger_of(decl: EcdDeclaration) -> docs.Passenger:
    """The passenger header every counter document prints."""
    return docs.Passenger(decl.ecd_id, decl.name, decl.passport, decl.nationality, decl.flight, decl.arrival_date,
                          decl.port, decl.persons, decl.traveller_type)


def with_reasons(record: dict[str, Any], reasons: Iterable[str]) -> dict[str, Any]:
    """A decision record with `reasons` added; the lane follows (any reason: red)."""
    out = dict(record)
    out["reasons"] = sorted({*record["reasons"], *(str(r) for r in reasons)})
    out["lane"] = Lane.RED.value if out["reasons"] else Lane.GREEN.value
    return out


def _declared_idr(cash_lines: list[dict[str, Any]] | None) -> int | None:
    """The declared cash in rupiah a cash procedure stored as the last entry of its counted lines."""
    for line in reversed(cash_lines or []):
        if "declared_idr" in line:
            return int(line["declared_idr"])
    return None
