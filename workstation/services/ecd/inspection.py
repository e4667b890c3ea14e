"""The red lane at the counter: diverting green → red on suspicion, clearing red → green with a supervisor's
confirmation, the inspection (findings per item, the excise count), and the hand-overs with numbered minutes:
referrals to quarantine or enforcement, the PIBK hand-off, the cash procedure (PP 99/2016), the destruction of
excise goods above the allowance. Each is one `CaseOps.change` along its row of `FLOW`."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from db.models import Case
from db.models_passenger import EcdExciseCount, EcdFinding, EcdReferral
from printing.content import DocumentContent
from printing.documents import passenger as docs
from workstation import inputs
from workstation.domain.codes import Lane, LaneReason, Referral, Role
from workstation.domain.ecd import FLOW, KEPT_ON_CLEARANCE, ExciseQuantities
from workstation.domain.errors import ErrorCode
from workstation.domain.workflow import Transition
from workstation.errors import InputError, PermissionDenied, Refusal
from workstation.rules.ecd import cash_total_idr, compile_rules, undeclared_cash
from workstation.services.base import Actor
from workstation.services.ecd.base import (
    FINDING_STATUSES,
    NOT_FOUND,
    OWN_STEP,
    UNDECLARED,
    EcdBase,
    count,
    optional_hs_code,
    passenger_of,
    with_reasons,
)
from workstation.services.ecd.views import CashCounted, EcdView, document_of


class InspectionMixin(EcdBase):
    def divert(self, actor: Actor, case_id: uuid.UUID, version: int, reason: str) -> EcdView:
        """Green → red on the officer's suspicion (PER-09/BC/2018 stage 3); the reason text is required."""
        reason = inputs.text(reason, "reason", max_len=500)
        with self.ctx.db.write() as s:
            def apply(case: Case) -> dict[str, Any]:
                current = self._current(s, case.id)
                record = with_reasons(current.record, [LaneReason.OFFICER_DIVERSION])
                self._add_decision(s, case, "DIVERSION", record, actor, note=reason)
                case.lane = Lane.RED.value
                case.reasons = sorted({*(case.reasons or []), LaneReason.OFFICER_DIVERSION.value})
                case.flags = [f for f in (case.flags or []) if f != "CLEARED"]
                return {"reason": reason, "reasons": case.reasons}

            case = self.cases.change(s, actor, case_id, inputs.version(version), FLOW["ecd.divert"], apply)
            return self._view(s, case, self._decl(s, case.id))

    def clear_to_green(self, actor: Actor, case_id: uuid.UUID, version: int, reason: str,
                       confirmed_by: Actor | None) -> EcdView:
        """Red → green without inspection: a second user with the supervisor role must confirm (dual
        authorisation, DOMAIN.md). The confirmation waives the cleared decision's own procedures, never a
        referral to another authority (QUARANTINE, `KEPT_ON_CLEARANCE`): that one stays on the green decision,
        and release is blocked until its hand-over is recorded."""
        reason = inputs.text(reason, "reason", max_len=500)
        if confirmed_by is None or Role.SUPERVISOR not in confirmed_by.roles or confirmed_by.user_id is None:
            raise PermissionDenied("clearing a red lane needs a supervisor's confirmation",
                                   code=ErrorCode.DUAL_AUTHORIZATION)
        if confirmed_by.user_id == actor.user_id:
            raise PermissionDenied("the confirming supervisor must be a different user",
                                   code=ErrorCode.DUAL_AUTHORIZATION)
        with self.ctx.db.write() as s:
            def apply(case: Case) -> dict[str, Any]:
                current = self._current(s, case.id)
                kept = [r for r in current.referrals if r in KEPT_ON_CLEARANCE]
                record = {**current.record, "lane": Lane.GREEN.value, "referrals": kept}
                self._add_decision(s, case, "CLEARANCE", record, actor, note=reason, confirmed_by=confirmed_by)
                case.lane = Lane.GREEN.value
                case.flags = sorted({*(case.flags or []), "CLEARED"})
                return {"reason": reason, "confirmed_by": confirmed_by.login, "waived_referrals":
                        [r for r in current.referrals if r not in kept], "kept_referrals": kept,
                        "reasons_cleared": list(current.reasons)}

            case = self.cases.change(s, actor, case_id, inputs.version(version), FLOW["ecd.clear"], apply)
            return self._view(s, case, self._decl(s, case.id))

    # -- red-lane inspection ------------------------------------------------------------------------------
    def record_finding(self, actor: Actor, case_id: uuid.UUID, version: int, *, item_no: int | None, status: str,
                       description: str | None = None, quantity: Any = None, unit: str | None = None,
                       hs_code: str | None = None, value: Any = None, currency: str | None = None,
                       personal_use: bool | None = None, note: str = "") -> EcdView:
        """One item as found: a declared line (item_no = its line number) FOUND or NOT_FOUND, or UNDECLARED
        goods (item_no None: a new item; or the number of an undeclared item to amend it). Values not given
        default to the declaration. A new row supersedes the item's previous one (nothing is overwritten)."""
        status = inputs.choice(status, "status", FINDING_STATUSES)
        note_text = inputs.optional_text(note, "note", max_len=500)
        with self.ctx.db.read() as s:  # validate first; the version check guards what was read
            decl = self._decl(s, case_id)
            current = self._findings(s, case_id)
        doc = document_of(decl)
        declared = len(doc.goods)
        if item_no is None:
            if status != UNDECLARED:
                raise InputError("choose the declared line, or record UNDECLARED goods", field="item",
                                 code=ErrorCode.INVALID_VALUE)
            item_no = max([declared, *current]) + 1
        elif isinstance(item_no, bool) or not isinstance(item_no, int) or item_no < 1:
            raise InputError("a line number from 1", field="item", code=ErrorCode.INVALID_VALUE)
        elif item_no <= declared and status == UNDECLARED:
            raise InputError(template="line {item} is declared: FOUND or NOT_FOUND", field="status",
                             code=ErrorCode.INVALID_VALUE, params={"item": item_no})
        elif item_no > declared and item_no not in current:
            raise InputError(template="no line {item} (the e-CD has {declared})", field="item",
                             code=ErrorCode.INVALID_VALUE, params={"item": item_no, "declared": declared})
        elif item_no > declared and status != UNDECLARED:
            raise InputError(template="item {item} was not declared: UNDECLARED", field="status",
                             code=ErrorCode.INVALID_VALUE, params={"item": item_no})
        base = doc.goods[item_no - 1] if item_no <= declared else None
        prev = current.get(item_no)
        ref = prev if prev is not None and prev.status != NOT_FOUND else base

        def pick(given: Any, attr: str, default: Any = None) -> Any:
            if given is not None and str(given).strip() != "":
                return given
            return getattr(ref, attr) if ref is not None else default

        desc = inputs.text(pick(description, "description"), "description", max_len=500)
        qty = inputs.decimal(pick(quantity, "quantity", "1"), "quantity")
        unit_text = inputs.text(pick(unit, "unit", "PCE"), "unit", max_len=20).upper()
        hs = optional_hs_code(pick(hs_code, "hs_code"), "hs_code")
        cur = inputs.currency(pick(currency, "currency", "USD"), "currency")
        val = inputs.decimal(pick(value, "value"), "value") if status != NOT_FOUND else Decimal(0)
        personal = bool(pick(personal_use, "personal_use", True))
        if status == UNDECLARED and val <= 0:
            raise InputError("the value of undeclared goods is required", field="value", code=ErrorCode.REQUIRED)
        if val and not self._rates().has_rate(cur, decl.arrival_date):
            raise InputError(f"no NDPBM rate for {cur} on {decl.arrival_date.isoformat()}", field="currency",
                             code=ErrorCode.NO_RATE, params={"currency": cur, "day": decl.arrival_date.isoformat()})

        with self.ctx.db.write() as s:
            def apply(case: Case) -> dict[str, Any]:
                row = EcdFinding(case_id=case.id, item_no=item_no, status=status, description=desc, quantity=qty,
                                 unit=unit_text, hs_code=hs, value=val, currency=cur, personal_use=personal,
                                 note=note_text, supersedes_id=prev.row_id if prev is not None else None,
                                 recorded_at=self.ctx.now(), recorded_by=actor.user_id)
                s.add(row)
                return {"item": item_no, "status": status, "description": desc, "quantity": format(qty, "f"),
                        "hs_code": hs, "value": format(val, "f"), "currency": cur, "personal_use": personal}

            case = self.cases.change(s, actor, case_id, inputs.version(version), FLOW["ecd.finding"], apply)
            return self._view(s, case, decl)

    def record_excise_count(self, actor: Actor, case_id: uuid.UUID, version: int, *, cigarettes: Any = 0,
                            cigars: Any = 0, sliced_tobacco_g: Any = 0, alcohol_l: Any = "0") -> EcdView:
        """The officer's count of tobacco and alcohol (replaces the declared quantities on reassessment)."""
        counted = ExciseQuantities(count(cigarettes, "cigarettes"), count(cigars, "cigars"),
                                   count(sliced_tobacco_g, "sliced_tobacco_g"), inputs.decimal(alcohol_l, "alcohol_l"))
        with self.ctx.db.write() as s:
            def apply(case: Case) -> dict[str, Any]:
                s.add(EcdExciseCount(case_id=case.id, cigarettes=counted.cigarettes, cigars=counted.cigars,
                                     sliced_tobacco_g=counted.sliced_tobacco_g, alcohol_l=counted.alcohol_l,
                                     recorded_at=self.ctx.now(), recorded_by=actor.user_id))
                return {"excise": counted.to_json()}

            case = self.cases.change(s, actor, case_id, inputs.version(version), FLOW["ecd.excise_count"], apply)
            return self._view(s, case, self._decl(s, case.id))

    def refer(self, actor: Actor, case_id: uuid.UUID, version: int, code: str, *, receiver: str,
              receiver_name: str, items: Sequence[tuple[str, str] | tuple[str, str, str]], note: str = "") -> EcdView:
        """Hand goods over to QUARANTINE or ENFORCEMENT (P2) with numbered hand-over minutes."""
        code = str(code or "").strip().upper()
        if code in OWN_STEP:
            raise InputError(template="{value} has its own step ({step})", field="code",
                             code=ErrorCode.INVALID_VALUE, params={"value": code, "step": OWN_STEP[Referral(code)]})
        code = inputs.choice(code, "code", (Referral.QUARANTINE.value, Referral.ENFORCEMENT.value))
        handed = _handed_items(items)
        return self._handover(actor, case_id, version, code, FLOW["ecd.refer"], receiver=receiver,
                              receiver_name=receiver_name, items=handed, note=note)

    def hand_off_pibk(self, actor: Actor, case_id: uuid.UUID, version: int, *, receiver: str, receiver_name: str,
                      note: str = "") -> EcdView:
        """Goods not for personal use go to PIBK settlement: the non-personal lines (as found, else as declared)
        are handed over with minutes; the personal goods continue at the counter.

        Raises Refusal NO_NON_PERSONAL_GOODS when every line is for personal use."""
        with self.ctx.db.read() as s:
            goods = self._goods_now(s, case_id)
        items = [docs.HandedItem(g.description, f"{g.value} {g.currency}") for g in goods if not g.personal_use]
        if not items:
            raise Refusal("no goods for non-personal use on this e-CD", code=ErrorCode.NO_NON_PERSONAL_GOODS)
        return self._handover(actor, case_id, version, Referral.PIBK.value, FLOW["ecd.pibk"], receiver=receiver,
                              receiver_name=receiver_name, items=items, note=note)

    def cash_procedure(self, actor: Actor, case_id: uuid.UUID, version: int,
                       cash: Sequence[tuple[str, Any] | tuple[str, Any, bool]], *, receiver: str,
                       receiver_name: str, note: str = "") -> EcdView:
        """Cash and bearer instruments of at least the threshold (PP 99/2016): the counted amounts, converted at
        the arrival date's NDPBM, with the fine when they were not declared [U: of the whole amount], handed
        over with minutes. `cash`: (currency, amount[, bearer instrument]) as counted.

        Raises Refusal CASH_BELOW_THRESHOLD (params total_idr, threshold_idr: rupiah); InputError naming
        `cash[n].currency` when a currency has no NDPBM rate on the arrival date."""
        lines = []
        for i, line in enumerate(cash):
            cur, amount = line[0], line[1]
            bearer = bool(line[2]) if len(line) > 2 else False
            lines.append(CashCounted(inputs.currency(cur, f"cash[{i}].currency"),
                                     inputs.decimal(amount, f"cash[{i}].amount", positive=True), bearer))
        if not lines:
            raise InputError("at least one amount", field="cash", code=ErrorCode.REQUIRED)
        with self.ctx.db.read() as s:
            decl = self._decl(s, case_id)
        doc = document_of(decl)
        rs = self.ruleset(decl.arrival_date)
        rules = compile_rules(rs)
        rates = self._rates()
        total = cash_total_idr(lines, decl.arrival_date, rates, rules)  # a currency without a rate names its line
        if total < rules.cash_threshold_idr:
            raise Refusal(template="Rp{total_idr:,} is below the Rp{threshold_idr:,} threshold of {ruleset}: no "
                          "cash procedure", code=ErrorCode.CASH_BELOW_THRESHOLD,
                          params={"total_idr": int(total), "threshold_idr": int(rules.cash_threshold_idr),
                                  "ruleset": rules.id})
        declared_total = cash_total_idr(doc.cash, decl.arrival_date, rates, rules) if doc.cash else Decimal(0)
        declared = declared_total >= rules.cash_threshold_idr
        # counted above what was declared: the rule set's undeclared-cash rule applies to the difference
        _excess, fine = undeclared_cash(total, declared_total, rules)
        count = docs.CashCount([(c.currency, format(c.amount, "f")) for c in lines], int(total),
                               int(rules.cash_threshold_idr), declared, fine)
        return self._handover(actor, case_id, version, Referral.CASH_DECLARATION.value, FLOW["ecd.cash_procedure"],
                              receiver=receiver, receiver_name=receiver_name, items=[], note=note, cash=count,
                              cash_lines=lines, cash_declared_idr=int(declared_total))

    def destroy_excise(self, actor: Actor, case_id: uuid.UUID, version: int, *, witnesses: str,
                       note: str = "") -> EcdView:
        """Excise goods above the allowance are destroyed, never taxed (DOMAIN.md §1): destruction minutes
        (BA pemusnahan) for the excess of the current decision.

        Raises Refusal NO_EXCISE_EXCESS (nothing above the allowance), ALREADY_DONE (this excess is destroyed)."""
        with self.ctx.db.read() as s:
            current = self._current(s, case_id)
        if not current.has_excise_excess:
            raise Refusal("the current decision has no excise goods above the allowance", code=ErrorCode.NO_EXCISE_EXCESS)
        ex = current.excise_excess
        names = {"cigarettes": ("Sigaret / cigarettes", "batang"), "cigars": ("Cerutu / cigars", "batang"),
                 "sliced_tobacco_g": ("Tembakau iris / sliced tobacco", "gram"),
                 "alcohol_l": ("Minuman mengandung etil alkohol / alcohol", "liter")}
        items = [docs.HandedItem(names[k][0], f"{ex[k]} {names[k][1]}") for k in names
                 if ex[k] and str(ex[k]) != "0"]
        return self._handover(actor, case_id, version, Referral.EXCISE_DESTRUCTION.value, FLOW["ecd.destroy"],
                              receiver="Pemusnahan / destruction", receiver_name=witnesses, items=items, note=note,
                              witnesses=True)

    def _handover(self, actor: Actor, case_id: uuid.UUID, version: int, code: str, transition: Transition, *, receiver: str,
                  receiver_name: str, items: Sequence[docs.HandedItem], note: str,
                  cash: docs.CashCount | None = None, cash_lines: Sequence[CashCounted] = (),
                  cash_declared_idr: int | None = None, witnesses: bool = False) -> EcdView:
        receiver = inputs.text(receiver, "receiver", max_len=200)
        receiver_name = inputs.text(receiver_name, "witnesses" if witnesses else "receiver_name", max_len=200)
        note = inputs.text(note, "note", max_len=500, required=False)
        with self.ctx.db.write() as s:
            decl = self._decl(s, case_id)
            header = passenger_of(decl)
            office = self.services.issuance.office_info()
            officer = self._officer(actor)

            def apply(case: Case) -> dict[str, Any]:
                if code == Referral.EXCISE_DESTRUCTION and s.scalar(
                        select(func.count()).select_from(EcdReferral).where(
                            EcdReferral.case_id == case.id, EcdReferral.code == code,
                            EcdReferral.recorded_at >= self._current(s, case.id).decided_at)):
                    raise Refusal("the excess of the current decision is already destroyed",
                                  code=ErrorCode.ALREADY_DONE)
                if code == Referral.EXCISE_DESTRUCTION:
                    rs_id = self._current(s, case.id).ruleset

                    def build(number: str, day: dt.date) -> DocumentContent:
                        return docs.destruction_minutes(number, day, office, header, items=items,
                                                        witnesses=receiver_name, ruleset=rs_id, note=note,
                                                        officer=officer)
                    doc_type = docs.DOC_DESTRUCTION
                else:
                    def build(number: str, day: dt.date) -> DocumentContent:
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
                                 "bearer_instrument": c.bearer_instrument} for c in cash_lines]
                    # the declared amount in rupiah rides as the last entry (no column for it): see ReferralView
                    + ([{"declared_idr": cash_declared_idr}] if cash_declared_idr is not None else []),
                    cash_idr=cash.total_idr if cash else None, cash_declared=cash.declared if cash else None,
                    fine_idr=cash.fine_idr if cash else None, document_number=issued.number,
                    recorded_at=self.ctx.now(), recorded_by=actor.user_id))
                return {"referral": code, "receiver": receiver, "receiver_name": receiver_name,
                        "document": issued.number, "items": len(items),
                        **({"cash_idr": cash.total_idr, "declared": cash.declared, "fine_idr": cash.fine_idr,
                            "declared_idr": cash_declared_idr,
                            "excess_idr": max(cash.total_idr - (cash_declared_idr or 0), 0)} if cash else {})}

            case = self.cases.change(s, actor, case_id, inputs.version(version), transition, apply)
            return self._view(s, case, decl)


def _handed_items(items: Sequence[tuple[str, ...]]) -> list[docs.HandedItem]:
    out = []
    for i, item in enumerate(items):
        desc = inputs.text(item[0] if len(item) > 0 else "", f"items[{i}].description", max_len=500)
        qty = inputs.text(item[1] if len(item) > 1 else "", f"items[{i}].quantity", max_len=50)
        note = inputs.text(item[2] if len(item) > 2 else "", f"items[{i}].note", max_len=200, required=False)
        out.append(docs.HandedItem(desc, qty, note))
    if not out:
        raise InputError("at least one item", field="items", code=ErrorCode.REQUIRED)
    return out

