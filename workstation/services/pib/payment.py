"""Payments (DOMAIN.md §2 steps 2 and 7): the declared billing (then SKP registers the PIB and issues the SPJM)
and the SPTNP shortfall with its fine (then the SPPB), each recorded from the bank's NTPN. The billing code,
the exact amount and a payment date between the billing and today are checked before anything is written."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Case
from db.models_pib import PibBilling, PibDetermination
from workstation import inputs
from workstation.domain.errors import ErrorCode
from workstation.domain.pib import FLOW
from workstation.errors import InputError, Refusal
from workstation.rules import pib as rules
from workstation.services.base import Actor
from workstation.services.cases import CaseView, view
from workstation.services.pib.base import PibBase


class PaymentMixin(PibBase):
    def pay_billing(self, actor: Actor, case_id: uuid.UUID, version: int, *, billing_code: str, ntpn: str,
                    amount_idr: int | str, paid_on: dt.date | str | None = None) -> CaseView:
        """Record the payment of the declared billing (from the bank's NTPN, amount in whole rupiah); SKP then
        registers the PIB and issues the SPJM. Raises InputError NTPN, NOT_RUPIAH, DATE_FORMAT,
        PAID_IN_FUTURE, PAYMENT_MISMATCH, PAID_BEFORE_BILLING; Refusal NO_BILLING."""
        ntpn, amount, day = self._payment_input(ntpn, amount_idr, paid_on)
        with self.ctx.db.write() as s:
            _, pc = self._load(s, case_id)

            def apply(case: Case) -> dict[str, Any]:
                bill = self._settle(s, actor, case_id, "DECLARED", billing_code, ntpn, amount, day)
                spjm = self._register(s, actor, case, pc, self._doc(s, case_id), billing_code=bill.code,
                                      levies=bill.levies)
                return {"billing_code": bill.code, "ntpn": ntpn, "amount_idr": amount, "paid_on": day.isoformat(),
                        "registration": pc.registration_number, "spjm": spjm}

            case = self.cases.change(s, actor, case_id, version, FLOW["pib.pay_billing"], apply)
            return view(case)

    def pay_sptnp(self, actor: Actor, case_id: uuid.UUID, version: int, *, billing_code: str, ntpn: str,
                  amount_idr: int | str, paid_on: dt.date | str | None = None) -> CaseView:
        """Record the SPTNP payment (shortfall + fine); the SPPB follows. A payment after the due date is
        recorded with the late-payment fine it attracts (UU 17/2006 art. 10B(6)) in the audit trail.
        Raises as `pay_billing`."""
        ntpn, amount, day = self._payment_input(ntpn, amount_idr, paid_on)
        with self.ctx.db.write() as s:
            _, pc = self._load(s, case_id)

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

            case = self.cases.change(s, actor, case_id, version, FLOW["pib.pay_sptnp"], apply)
            return view(case)

    def _payment_input(self, ntpn: str, amount_idr: int | str,
                       paid_on: dt.date | str | None) -> tuple[str, int, dt.date]:
        """Checked before any write: the bank's NTPN, the whole-rupiah amount, a payment date not in the future
        (today when none is given)."""
        number = inputs.ntpn(ntpn)
        amount = inputs.rupiah(amount_idr, "amount_idr")
        day = inputs.optional_date(paid_on, "paid_on") or self.ctx.today()
        if day > self.ctx.today():
            raise InputError("payment date is in the future", code=ErrorCode.PAID_IN_FUTURE, field="paid_on")
        return number, amount, day

    def _settle(self, s: Session, actor: Actor, case_id: uuid.UUID, kind: str, code: str, ntpn: str, amount: int,
                day: dt.date) -> PibBilling:
        """Mark this case's unpaid billing of `kind` paid, after checking it is the one being paid."""
        bill = s.scalar(select(PibBilling).where(PibBilling.case_id == case_id, PibBilling.kind == kind,
                                                 PibBilling.paid_on.is_(None)))
        if bill is None:
            raise Refusal("no unpaid billing on this PIB", code=ErrorCode.NO_BILLING)
        if (code or "").strip() != bill.code:
            raise InputError(f"billing code does not match this PIB's ({bill.code})", code=ErrorCode.PAYMENT_MISMATCH,
                             field="billing_code", params={"expected": bill.code})
        if amount != bill.total_idr:
            raise InputError(f"amount must be the billed {bill.total_idr:,} rupiah", code=ErrorCode.PAYMENT_MISMATCH,
                             field="amount_idr", params={"expected": bill.total_idr})
        if day < bill.issued_on:
            raise InputError("payment date is before the billing was issued", code=ErrorCode.PAID_BEFORE_BILLING,
                             field="paid_on", params={"issued_on": bill.issued_on.isoformat()})
        bill.paid_on, bill.ntpn, bill.paid_amount_idr = day, ntpn, amount
        bill.recorded_by, bill.recorded_at = actor.user_id, self.ctx.now()
        return bill
