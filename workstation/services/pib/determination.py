"""The determination (DOMAIN.md §2 steps 6-7): the examiner's HS code, value and rates per item, checked
against the PIB, the tariff (post length from the rule set) and the lartas table; `assess_pib` computes the
levies, the BM shortfall, the fine and the outcome; the documents follow — SPPB, SPTNP (+ billing and its due
dates), SPTNP+SPPB or SPBL — in the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import partial
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Case
from db.models_pib import PibBilling, PibCase, PibDetermination, PibReport, PibRequest, PibSupportingDoc
from printing.documents import pib as docs
from workstation import inputs
from workstation.domain.codes import Role
from workstation.domain.errors import ErrorCode
from workstation.domain.pib import (
    FLOW,
    Determination,
    DeterminedItem,
    Outcome,
    PibAssessment,
    PibDocument,
    PibItem,
    validation_input_error,
)
from workstation.errors import InputError, PermissionDenied, Refusal
from workstation.rules import pib as rules
from workstation.rules.pib_checks import LhpInput, lartas_for
from workstation.rules.ruleset import RuleSet
from workstation.services.base import Actor, require_role
from workstation.services.cases import view
from workstation.services.pib.base import EXAMINER_ROLE, PibBase
from workstation.services.pib.views import DeterminationResult

_YES = ("1", "y", "yes", "true", "ya")


def determination_from_form(rows: Sequence[Mapping[str, Any]]) -> list[DeterminedItem]:
    """Examiner's form rows (`seq`, and any of hs_code, cif, bm_rate, quantity, lartas_permit... as text;
    empty = keep declared) -> determined items. Bad values name the field: `items[seq=2].cif`
    (InputError NOT_WHOLE_NUMBER / REQUIRED for `items.seq`, NOT_RUPIAH, INVALID_VALUE)."""
    out = []
    for row in rows:
        seq = inputs.whole(row.get("seq"), "items.seq", positive=True)
        data: dict[str, Any] = {"seq": seq}
        for key, value in row.items():
            if key == "seq" or value is None or (isinstance(value, str) and not value.strip()):
                continue
            if key == "excise_idr":
                value = inputs.rupiah(value, f"items[seq={seq}].excise_idr")
            elif key == "lartas_required" and isinstance(value, str):
                value = value.strip().lower() in _YES
            elif isinstance(value, str):
                value = value.strip()
            data[key] = value
        if len(data) == 1:
            continue
        try:
            out.append(DeterminedItem.model_validate(data))
        except ValidationError as exc:
            err = validation_input_error(exc)
            raise InputError(err.message, code=ErrorCode.INVALID_VALUE, field=f"items[seq={seq}].{err.field}",
                             params={"reason": err.message}) from None
    return out


def undeclared_items(doc: PibDocument, lhp: LhpInput | None) -> list[PibItem]:
    """The goods the inspector found and the PIB does not declare (LHP `undeclared`), as PIB items numbered
    after the declared ones (seq = last declared seq + 1, + 2, …) so the examiner can determine them like any
    item. Declared at nothing (CIF 0, every rate 0): what the examiner determines for them is all shortfall.
    The HS code shown is the first declared item's until the examiner sets one."""
    if lhp is None or not lhp.undeclared:
        return []
    last = max(i.seq for i in doc.items)
    base = doc.items[0].hs_code
    return [PibItem(seq=last + k, hs_code=base, description=g.description[:200], quantity=g.quantity, unit=g.unit,
                    cif=Decimal(0), bm_rate=Decimal(0), ppn_rate=Decimal(0), ppnbm_rate=Decimal(0),
                    pph_rate=Decimal(0), excise_idr=0, lartas_required=False)
            for k, g in enumerate(lhp.undeclared, start=1)]


class DeterminationMixin(PibBase):
    determination_from_form = staticmethod(determination_from_form)
    undeclared_items = staticmethod(undeclared_items)

    def _lhp(self, s: Session, case_id: uuid.UUID) -> LhpInput | None:
        """The current LHP as the inspector recorded it, or None before one."""
        r = self._current(s, PibReport, case_id, kind=docs.LHP)
        if r is None:
            return None
        return LhpInput.model_validate({k: v for k, v in r.content.items() if k != "conclusion"})

    def _from_lhp(self, s: Session, doc: PibDocument, lhp: LhpInput | None,
                  items: Sequence[DeterminedItem]) -> tuple[PibDocument, list[DeterminedItem], list[int]]:
        """The determination starts from the LHP's findings (#11 item 11): (the PIB with the undeclared goods the
        examiner determined added as items, the examiner's items with the LHP's HS code and quantity laid under
        each mismatched item the examiner did not set, the seqs of undeclared goods left out). An undeclared
        item counts as determined once it has an HS code and a CIF; one with only some of them is refused
        (InputError UNDECLARED_INCOMPLETE naming `items[seq=N]`)."""
        added = {i.seq: i for i in undeclared_items(doc, lhp)}
        given = {d.seq: d for d in items}
        kept: list[PibItem] = []
        left_out: list[int] = []
        for seq, item in added.items():
            d = given.get(seq)
            if d is None or not d.overrides():
                left_out.append(seq)
                given.pop(seq, None)
                continue
            if d.hs_code is None or d.cif is None:
                raise InputError(f"undeclared item {seq} needs an HS code and a CIF value",
                                 code=ErrorCode.UNDECLARED_INCOMPLETE, field=f"items[seq={seq}]",
                                 params={"seq": seq})
            kept.append(item)
        out = dict(given)
        if lhp is not None:
            declared = {i.seq: i for i in doc.items}
            for found in lhp.items:
                if found.match or found.seq not in declared:
                    continue
                d = out.get(found.seq) or DeterminedItem(seq=found.seq)
                update: dict[str, Any] = {}
                if d.hs_code is None and found.hs_code != declared[found.seq].hs_code \
                        and self._tariff_rows(s, [found.hs_code]):
                    update["hs_code"] = found.hs_code
                if d.quantity is None and found.quantity != declared[found.seq].quantity:
                    update["quantity"] = found.quantity
                if update:
                    out[found.seq] = d.model_copy(update=update)
        full = doc.model_copy(update={"items": [*doc.items, *kept]}) if kept else doc
        return full, [out[k] for k in sorted(out)], left_out

    def _effective_determination(self, s: Session, case_id: uuid.UUID, doc: PibDocument, pc: PibCase,
                                 items: Sequence[DeterminedItem]) -> Determination:
        """The examiner's items, checked against the PIB and the tariff, with the lartas table applied to
        the determined HS codes and permits presented since (supporting documents of kind PERMIT)."""
        seqs = {i.seq for i in doc.items}
        lengths = self.figures(pc.registered_on or self.ctx.today()).tariff.post_lengths
        by_seq: dict[int, DeterminedItem] = {}
        for d in items:
            where = f"items[seq={d.seq}]"
            if d.seq not in seqs:
                raise InputError(f"the PIB has no item {d.seq}", code=ErrorCode.UNKNOWN_ITEM, field=f"{where}.seq",
                                 params={"seq": d.seq})
            if d.seq in by_seq:
                raise InputError("item determined twice", code=ErrorCode.ITEM_TWICE, field=f"{where}.seq")
            if d.hs_code is not None:
                inputs.hs_code(d.hs_code, f"{where}.hs_code", lengths=lengths)
                if not self._tariff_rows(s, [d.hs_code]):
                    raise InputError(f"HS code {d.hs_code} is not in the tariff table",
                                     code=ErrorCode.HS_NOT_IN_TARIFF, field=f"{where}.hs_code",
                                     params={"value": d.hs_code})
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
            doc, items, _ = self._from_lhp(s, self._doc(s, case_id), self._lhp(s, case_id), items)
            det = self._effective_determination(s, case_id, doc, pc, items)
            day = pc.registered_on or self.ctx.today()
            return rules.assess_pib(doc.model_copy(update={"determination": det}), ruleset=self.ruleset(day))

    def _open_requests(self, s: Session, case_id: uuid.UUID) -> list[PibRequest]:
        """Requests that hold the determination: a lab test without result, an NPD/DNP not answered and
        not yet due."""
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
        Refused to the inspector who recorded the LHP (PermissionDenied SEPARATION_OF_DUTIES), and while a
        lab result is pending or an NPD/DNP is open and not yet due (Refusal OPEN_REQUESTS)."""
        note = inputs.text(note, "note", max_len=4000, required=False)
        items = list(items)
        with self.ctx.db.write() as s:
            _, pc = self._load(s, case_id)
            authors = set(s.scalars(select(PibReport.author_id).where(PibReport.case_id == case_id)))
            if actor.user_id in authors:
                raise PermissionDenied("you recorded this case's inspection report; another examiner must determine "
                                       "it", code=ErrorCode.SEPARATION_OF_DUTIES)
            lhp = self._lhp(s, case_id)
            doc, items, left_out = self._from_lhp(s, self._doc(s, case_id), lhp, items)
            det = self._effective_determination(s, case_id, doc, pc, items)
            today = self.ctx.today()
            rs = self.ruleset(pc.registered_on or today)
            result = rules.assess_pib(doc.model_copy(update={"determination": det}), ruleset=rs)
            mismatch = lhp is not None and lhp.conclusion == "MISMATCH"
            # An SPPB on a mismatch LHP, or LHP goods left out of the determination, is the examiner's call
            # and needs their written reason (stored with the determination and in the audit entry).
            if not note and mismatch and (result.outcome == Outcome.SPPB or left_out):
                if left_out:
                    raise Refusal(template="undeclared goods (item {seqs}) are not determined: write the reason in "
                                  "the note", code=ErrorCode.LHP_REASON_REQUIRED, field="note",
                                  params={"items": left_out, "seqs": ", ".join(map(str, left_out))})
                raise Refusal("the LHP found a mismatch: write the reason in the note",
                              code=ErrorCode.LHP_REASON_REQUIRED, field="note", params={"items": left_out})
            issued: list[str] = []
            billing: list[str] = []

            def apply(case: Case) -> dict[str, Any]:
                pending = self._open_requests(s, case_id)
                if pending:
                    kinds = ", ".join(sorted({r.kind for r in pending}))
                    raise Refusal(f"open requests ({kinds}) await their answer", code=ErrorCode.OPEN_REQUESTS,
                                  params={"kinds": kinds})
                self.services.reference.record_ruleset(s, rs)
                issued.extend(self._determination_documents(s, actor, case, pc, doc, det, result, rs, billing))
                previous = self._current(s, PibDetermination, case_id)
                s.add(PibDetermination(
                    case_id=case_id, version=(previous.version + 1) if previous else 1, examiner_id=actor.user_id,
                    decided_at=self.ctx.now(), decided_on=today,
                    items=[d.model_dump(mode="json", exclude_none=True) for d in det.items], note=note,
                    ruleset_id=rs.id, ruleset_sha256=rs.sha256, assessment=_assessment_json(result),
                    outcome=result.outcome.value, documents=list(issued)))
                pc.outcome, pc.determined_on = result.outcome.value, today
                if case.assigned_to is None:
                    case.assigned_to = actor.user_id
                return {"outcome": result.outcome.value, "ruleset": rs.id, "documents": list(issued),
                        "lhp": lhp.conclusion if lhp else None, "undeclared_left_out": left_out, "note": note,
                        "bm_shortfall_idr": result.bm_shortfall_idr, "fine_idr": result.fine_idr,
                        "difference_total_idr": result.difference.total_idr}

            case = self.cases.change(s, actor, case_id, version, FLOW[f"pib.determine.{result.outcome.value}"],
                                     apply)
            # risk (#16): the inspection's outcome (LHP and determination) counts in the hit rates
            self.services.risk.record_at_close(s, actor, case.id)
            return DeterminationResult(view(case), result, tuple(issued), billing[0] if billing else None)

    def _determination_documents(self, s: Session, actor: Actor, case: Case, pc: PibCase, doc: PibDocument,
                                 det: Determination, result: PibAssessment, rs: RuleSet,
                                 billing: list[str]) -> list[str]:
        letter, header = self._letter(), self._header(pc, doc)
        examiner = self._person(actor, EXAMINER_ROLE)
        today = self.ctx.today()
        out: list[str] = []
        if result.outcome == Outcome.SPBL:
            lartas = self._lartas_rows(s)
            rows = []
            for item in rules.apply_determination(doc.items, det):
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


def _assessment_json(result: PibAssessment) -> dict[str, Any]:
    return {**result.contract_json(), "ruleset": result.ruleset, "lartas_missing": list(result.lartas_missing)}
