"""Settling an e-CD: reassessment with the same rule engine on what was found (→ ASSESSED, or BILLED with a
billing slip and its billing code), payment of the billing in full (→ PAID, with a payment receipt), the release
approval, and the decision slip for the passenger.

Billing code (our choice, documented): 15 digits `7` + office code (6) + year (2) + the billing slip's gapless
sequence number (6), e.g. 704030026000001. The leading 7 keeps passenger billings apart from the PIB
workflow's codes (which start with 8). The number comes from the ECD-BILL document's gapless counter, so a
billing code exists if and only if its billing slip was issued; the column is unique, so two field units of one
office sharing a year and sequence would be refused loudly rather than share a code [U: the national
SIMPONI/MPN billing layout is not in our sources]."""

from __future__ import annotations

import datetime as dt
import re
import string
import uuid
from typing import Any

from sqlalchemy import func, select

from db import changes
from db.models import Case
from db.models_passenger import EcdBilling, EcdPayment
from printing.content import DocumentContent
from printing.documents import passenger as docs
from workstation import inputs
from workstation.domain.ecd import ASSESSED, BILLED, FLOW, EcdDocument
from workstation.domain.errors import ErrorCode
from workstation.errors import InputError, Refusal
from workstation.rules.ecd import decide
from workstation.services.base import Actor
from workstation.services.ecd.base import ENGINE_REASONS, PAYMENT_CHANNELS, EcdBase, passenger_of
from workstation.services.ecd.views import EcdView, FindingView, document_of

_RECEIPT_RE = re.compile(r"[A-Z0-9][A-Z0-9/-]{5,39}")


def billing_code(office_code: str, year: int, seq: int, slot: int | None = None) -> str:
    """15 digits: 7 + office (6) + year (2) + 6 digits from the billing slip's gapless sequence. The office's
    own slips use 000001-899999; a field unit (issue #14) works offline, so its codes come from the block of
    its enrolment: 9 + slot (2) + sequence (3), at most 999 slips per enrolment and year — unique at central
    by construction, whatever the units issue while apart.

    Raises InputError INVALID_CONFIG (office code not 6 digits), Refusal BILLING_SEQUENCE (the office's or
    the unit's block exhausted for this year)."""
    if not re.fullmatch(r"[0-9]{6}", office_code):
        raise InputError("office code must be 6 digits for a billing code", field="office.code",
                         code=ErrorCode.INVALID_CONFIG)
    if slot is not None:
        if not 0 < seq < 1_000 or not 0 < slot < 100:
            raise Refusal("this unit's block of billing codes is exhausted for this year; re-enrol it",
                          code=ErrorCode.BILLING_SEQUENCE)
        return f"7{office_code}{year % 100:02d}9{slot:02d}{seq:03d}"
    if not 0 < seq < 900_000:
        raise Refusal("billing sequence exhausted for this year", code=ErrorCode.BILLING_SEQUENCE)
    return f"7{office_code}{year % 100:02d}{seq:06d}"


def seq_of_number(fmt: str, number: str, *, doc_type: str, office: str, unit: str | None, year: int) -> int:
    """The gapless sequence inside an official number formatted with `fmt` (settings.numbering).

    Raises Refusal NUMBER_FORMAT when `number` does not have that format."""
    values = {"doc_type": doc_type, "office": office, "unit": unit or "", "year": year}
    pattern = ""
    for literal, name, spec, _conv in string.Formatter().parse(fmt):
        pattern += re.escape(literal)
        if name is None:
            continue
        pattern += r"(?P<seq>[0-9]+)" if name == "seq" else re.escape(format(values[name], spec or ""))
    m = re.fullmatch(pattern, number)
    if m is None:
        raise Refusal(f"cannot read the sequence of {number!r}", code=ErrorCode.NUMBER_FORMAT,
                      params={"value": number})
    return int(m.group("seq"))


class SettlementMixin(EcdBase):
    def reassess(self, actor: Actor, case_id: uuid.UUID, version: int) -> EcdView:
        """Reassessment with the same rule engine on what was found (items as found, else as declared; the
        officer's excise count and counted cash, else the declared ones), the rule set in force on the
        arrival date. Something to pay → a billing slip with its billing code (BILLED); else ASSESSED."""
        with self.ctx.db.read() as s:
            decl = self._decl(s, case_id)
            goods = self._goods_now(s, case_id)
            excise = self._excise_now(s, case_id)
            cash = self._cash_now(s, case_id)
        doc = document_of(decl)
        rs = self.ruleset(decl.arrival_date)
        rates = self._rates()
        with self.ctx.db.write() as s:
            header = passenger_of(decl)
            office = self.services.issuance.office_info()
            officer = self._officer(actor)

            def apply(case: Case) -> dict[str, Any]:
                extra = [r for r in (case.reasons or []) if r not in ENGINE_REASONS]
                decision = decide(ecd_id=decl.ecd_id, goods=goods, excise=excise if excise is not None else doc.excise,
                                  cash=cash if cash is not None else doc.cash, carrying=doc.carrying,
                                  traveller=doc.traveller(), arrival_date=decl.arrival_date, rates=rates, rules=rs,
                                  extra_reasons=extra)
                record = decision.to_record()
                row = self._add_decision(s, case, "REASSESSMENT", record, actor)
                self.services.reference.record_ruleset(s, rs)
                total = decision.assessment.total_idr
                case.reasons = sorted({*(case.reasons or []), *decision.reasons})
                out: dict[str, Any] = {"total_idr": total, "reasons": list(decision.reasons),
                                       "referrals": list(decision.referrals), "ruleset": decision.ruleset}
                if total > 0:
                    assessed = docs.Assessed.from_record(record["assessment"])
                    rows = goods_rows(doc, self._findings(s, case.id))
                    codes: dict[str, str] = {}

                    unit = changes.numbering_unit(s, actor.unit_code or self.ctx.settings.unit_code)
                    slot = changes.billing_slot(s)

                    def build(number: str, day: dt.date) -> DocumentContent:
                        fmt = self.ctx.settings.numbering.unit_format if unit else self.ctx.settings.numbering.format
                        seq = seq_of_number(fmt, number, doc_type=docs.DOC_BILLING, office=actor.office_code,
                                            unit=unit, year=day.year)
                        codes["code"] = billing_code(actor.office_code, day.year, seq, slot)
                        return docs.billing_slip(number, day, office, header, billing_code=codes["code"],
                                                 reasons=decision.reasons, ruleset=decision.ruleset,
                                                 assessed=assessed, goods=rows, officer=officer)

                    issued = self.services.issuance.issue_in(s, actor, docs.DOC_BILLING, build, case_id=case.id,
                                                             audit_data={"billing_code": codes.get("code")})
                    s.add(EcdBilling(case_id=case.id, decision_id=row.id, code=codes["code"], amount_idr=total,
                                     levies=decision.assessment.levies, document_number=issued.number,
                                     issued_at=self.ctx.now(), issued_by=actor.user_id))
                    case.state = BILLED
                    out |= {"billing_code": codes["code"], "document": issued.number}
                else:
                    case.state = ASSESSED
                return out

            case = self.cases.change(s, actor, case_id, inputs.version(version), FLOW["ecd.reassess"], apply)
            return self._view(s, case, decl)

    def record_payment(self, actor: Actor, case_id: uuid.UUID, version: int, *, billing_code: str,
                       receipt_number: str, amount_idr: Any, channel: str) -> EcdView:
        """Payment of the billing in full (receipt/NTPN number, amount, channel) → PAID with a payment
        receipt (printable on the receipt printer)."""
        code = inputs.billing_code(billing_code, "billing_code")
        receipt = inputs.pattern("".join(str(receipt_number or "").split()), "receipt_number", _RECEIPT_RE,
                                 example="NTPN1234567890AB")
        amount = inputs.rupiah(amount_idr, "amount_idr")
        channel = inputs.choice(channel, "channel", PAYMENT_CHANNELS)
        with self.ctx.db.write() as s:
            decl = self._decl(s, case_id)
            header = passenger_of(decl)
            office = self.services.issuance.office_info()
            officer = self._officer(actor)

            def apply(case: Case) -> dict[str, Any]:
                bill = self._billing(s, case.id)
                if bill is None or bill.code != code:
                    raise InputError(template="not the billing of this case ({value})", field="billing_code",
                                     code=ErrorCode.INVALID_VALUE, params={"value": bill.code if bill else "none"})
                if amount != bill.amount_idr:
                    raise InputError(f"the billing is Rp{bill.amount_idr:,}; Rp{amount:,} does not settle it",
                                     field="amount_idr", code=ErrorCode.PAYMENT_MISMATCH,
                                     params={"billed_idr": bill.amount_idr, "paid_idr": amount})
                if s.scalar(select(func.count()).select_from(EcdPayment)
                            .where(EcdPayment.receipt_number == receipt, EcdPayment.case_id != case.id)):
                    raise InputError(f"{receipt} already pays another billing", field="receipt_number",
                                     code=ErrorCode.DUPLICATE, params={"value": receipt})

                def build(number: str, day: dt.date) -> DocumentContent:
                    return docs.payment_receipt(number, day, office, header, billing_code=bill.code,
                                                billing_number=bill.document_number, receipt_number=receipt,
                                                channel=channel, levies=bill.levies, officer=officer)

                issued = self.services.issuance.issue_in(s, actor, docs.DOC_RECEIPT, build, case_id=case.id,
                                                         audit_data={"billing_code": bill.code})
                s.add(EcdPayment(case_id=case.id, billing_id=bill.id, receipt_number=receipt, amount_idr=amount,
                                 channel=channel, document_number=issued.number, paid_at=self.ctx.now(),
                                 recorded_by=actor.user_id))
                return {"billing_code": bill.code, "receipt_number": receipt, "amount_idr": amount,
                        "channel": channel, "document": issued.number}

            case = self.cases.change(s, actor, case_id, inputs.version(version), FLOW["ecd.pay"], apply)
            return self._view(s, case, decl)

    def release(self, actor: Actor, case_id: uuid.UUID, version: int, note: str = "") -> EcdView:
        """The officer approves release: green lane, or after reassessment with everything paid and every
        referral of the current decision handed over. Issues the release approval.

        Raises Refusal RELEASE_BLOCKED (params `blockers`: what is missing, the texts of `release_blockers()`)."""
        note = inputs.text(note, "note", max_len=500, required=False)
        with self.ctx.db.write() as s:
            decl = self._decl(s, case_id)
            header = passenger_of(decl)
            office = self.services.issuance.office_info()
            officer = self._officer(actor)

            def apply(case: Case) -> dict[str, Any]:
                current = self._view(s, case, decl)
                blockers = current.release_blockers()
                if blockers:
                    raise Refusal(template="cannot release yet: {reasons}", code=ErrorCode.RELEASE_BLOCKED,
                                  params={"blockers": blockers, "reasons": "; ".join(blockers)})
                d = current.decision
                pay = current.payment
                handovers = [f"{r.code}: {r.document_number}" for r in current.referrals]

                def build(number: str, day: dt.date) -> DocumentContent:
                    return docs.release_approval(
                        number, day, office, header, lane=case.lane or d.lane, ruleset=d.ruleset,
                        reasons=list(case.reasons or []), total_idr=d.total_idr if pay else 0,
                        billing_code=current.billing.code if current.billing and pay else None,
                        payment=f"{pay.receipt_number} ({pay.channel}) {pay.document_number}" if pay else None,
                        handovers=handovers, note=note, officer=officer)

                issued = self.services.issuance.issue_in(s, actor, docs.DOC_RELEASE, build, case_id=case.id)
                return {"document": issued.number, "note": note}

            case = self.cases.change(s, actor, case_id, inputs.version(version), FLOW["ecd.release"], apply)
            # risk (#16): a red-lane case records what its inspection found, for the hit rates
            self.services.risk.record_at_close(s, actor, case.id)
            return self._view(s, case, decl)

    def issue_slip(self, actor: Actor, case_id: uuid.UUID, version: int) -> EcdView:
        """The decision slip (lane, reasons, rule set, levies) for the passenger; also a receipt document."""
        with self.ctx.db.write() as s:
            decl = self._decl(s, case_id)
            header = passenger_of(decl)
            office = self.services.issuance.office_info()
            officer = self._officer(actor)

            def apply(case: Case) -> dict[str, Any]:
                d = self._current(s, case.id)

                def build(number: str, day: dt.date) -> DocumentContent:
                    return docs.decision_slip(number, day, office, header, lane=case.lane or d.lane,
                                              reasons=list(d.reasons), referrals=list(d.referrals),
                                              ruleset=d.ruleset, assessed=docs.Assessed.from_record(d.assessment),
                                              officer=officer)

                issued = self.services.issuance.issue_in(s, actor, docs.DOC_SLIP, build, case_id=case.id)
                return {"document": issued.number}

            case = self.cases.change(s, actor, case_id, inputs.version(version), FLOW["ecd.slip"], apply)
            return self._view(s, case, decl)


def goods_rows(doc: EcdDocument, findings: dict[int, FindingView]) -> list[docs.GoodsRow]:
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

