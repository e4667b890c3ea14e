"""The officer's decision on a request, per line, with its numbered letter (PLP approval or PLP-TOLAK refusal),
a preview of that letter before anything is written, and cancellation (PLP-BATAL) before anything moved."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Case
from db.models_plp import PlpLine, PlpRequestRow, Tps
from printing.documents import plp as letters
from workstation import inputs
from workstation.domain.errors import ErrorCode
from workstation.domain.plp import FLOW, OFFICERS, LineState
from workstation.errors import InputError, NotFound, PermissionDenied, Refusal
from workstation.rules.plp import plp_rules
from workstation.services.base import Actor, require_role
from workstation.services.plp.common import KIND, MAX_REASON, PlpBase, fmt_pct, what
from workstation.services.plp.views import PlpDetail

if TYPE_CHECKING:
    from workstation.services.issuance import IssuedDocument

Decisions = Mapping[int, tuple[bool, str]]  # line seq -> (approved, reason when rejected)


def _reason(value: str, field: str, *, required: bool = True) -> str:
    return inputs.text(value, field, max_len=MAX_REASON, required=required)


def clean_decisions(lines: Sequence[PlpLine], decisions: Decisions) -> dict[int, tuple[bool, str]]:
    """A decision for every line of the request and none for another; a rejected line needs a reason.
    Raises InputError UNKNOWN_LINE, REQUIRED, TOO_LONG (field `lines[seq]` / `lines[seq].reason`)."""
    seqs = {ln.seq for ln in lines}
    unknown = sorted(set(decisions) - seqs)
    if unknown:
        raise InputError(f"no line {unknown[0]} on this request", code=ErrorCode.UNKNOWN_LINE,
                         field=f"lines[{unknown[0]}]", params={"value": unknown[0]})
    missing = [ln.seq for ln in lines if ln.seq not in decisions]
    if missing:
        raise InputError(f"no decision for line {missing[0]}", code=ErrorCode.REQUIRED, field=f"lines[{missing[0]}]")
    out = {}
    for seq, (ok, reason) in decisions.items():
        out[seq] = (True, "") if ok else (False, _reason(reason, f"lines[{seq}].reason"))
    return out


def _not_the_registrar(actor: Actor, case: Case) -> None:
    """Raises PermissionDenied SEPARATION_OF_DUTIES when `actor` registered the request. The command-line
    actor (user id None) and a request registered without a user are exempt."""
    if case.created_by is not None and case.created_by == actor.user_id:
        # separation of duties, as for the PIB: who registered the request does not decide it
        raise PermissionDenied("you registered this PLP request; another officer must decide it",
                               code=ErrorCode.SEPARATION_OF_DUTIES)


class DecisionMixin(PlpBase):
    def decide(self, actor: Actor, case_id: uuid.UUID, version: int, decisions: Decisions,
               note: str = "") -> PlpDetail:
        """Approve or reject each line (by seq); a rejected line needs a reason. At least one approved line →
        APPROVED with a numbered PLP approval letter (its number and date are the PLP's); none → REJECTED
        with a refusal letter. Raises InputError (see `clean_decisions`), NotFound UNKNOWN_CASE,
        PermissionDenied SEPARATION_OF_DUTIES to the officer who registered the request (the command-line
        actor, without a user id, is exempt), and the case's own refusals (ROLE_REQUIRED, VERSION_CONFLICT,
        INVALID_STATE)."""
        note = _reason(note, "note", required=False)
        with self.ctx.db.write() as s:
            lines = list(s.scalars(select(PlpLine).where(PlpLine.case_id == case_id).order_by(PlpLine.seq)))
            if not lines:
                raise NotFound("no such PLP request", code=ErrorCode.UNKNOWN_CASE, field="case")
            clean = clean_decisions(lines, decisions)
            approve = any(ok for ok, _ in clean.values())

            def apply(case: Case) -> dict[str, Any]:
                _not_the_registrar(actor, case)
                req = s.get(PlpRequestRow, case.id)
                assert req is not None
                for ln in lines:
                    ok, reason = clean[ln.seq]
                    ln.state = LineState.APPROVED if ok else LineState.REJECTED
                    ln.decision_reason = None if ok else reason
                req.decided_by, req.decided_at, req.decision_note = actor.user_id, self.ctx.now(), note or None
                return {"approved": [ln.seq for ln in lines if ln.state == LineState.APPROVED],
                        "rejected": [ln.seq for ln in lines if ln.state == LineState.REJECTED]}

            case = self.cases.change(s, actor, case_id, version, FLOW["plp.approve" if approve else "plp.reject"],
                                     apply)
            doc = self._issue(s, actor, case, "PLP" if approve else "PLP-TOLAK", note=note)
            if approve:
                req = s.get(PlpRequestRow, case.id)
                assert req is not None
                req.plp_number, req.plp_date = doc.number, doc.issue_date
            s.flush()
            return self._detail(s, case)

    def cancel(self, actor: Actor, case_id: uuid.UUID, version: int, reason: str) -> PlpDetail:
        """Cancel a request or an approved PLP before anything left the origin, with a reason and a letter
        (PLP-BATAL). Raises InputError REQUIRED / TOO_LONG (reason); Refusal ALREADY_MOVING once a line is out;
        the case's own refusals."""
        reason = _reason(reason, "reason")
        with self.ctx.db.write() as s:
            def apply(case: Case) -> dict[str, Any]:
                lines = list(s.scalars(select(PlpLine).where(PlpLine.case_id == case.id)))
                if any(ln.out_at for ln in lines):
                    raise Refusal("goods have already left the origin TPS; record their arrival instead",
                                  code=ErrorCode.ALREADY_MOVING)
                req = s.get(PlpRequestRow, case.id)
                assert req is not None
                req.cancel_reason = reason
                for ln in lines:
                    if ln.state in (LineState.PENDING, LineState.APPROVED):
                        ln.state = LineState.CANCELLED
                return {"reason": reason}

            case = self.cases.change(s, actor, case_id, version, FLOW["plp.cancel"], apply)
            self._issue(s, actor, case, "PLP-BATAL", cancel_reason=reason)
            return self._detail(s, case)

    def _letter(self, s: Session, actor: Actor, case: Case, doc_type: str, *, note: str = "",
                refusals: Iterable[str] = (), cancel_reason: str = "",
                decisions: Mapping[int, tuple[bool, str]] | None = None) -> Callable[[str, dt.date], Any]:
        """The content builder of a PLP letter. `decisions` (for a preview) stand in for the lines' states."""
        req = s.get(PlpRequestRow, case.id)
        assert req is not None
        letter_lines = []
        for ln in s.scalars(select(PlpLine).where(PlpLine.case_id == case.id).order_by(PlpLine.seq)):
            state, reason = ln.state, ln.decision_reason or ""
            if decisions is not None and ln.seq in decisions:
                ok, why = decisions[ln.seq]
                state, reason = (LineState.APPROVED, "") if ok else (LineState.REJECTED, why.strip())
            letter_lines.append(letters.PlpLetterLine(ln.seq, what(ln), state, reason))
        names = {t.code: t.name for t in s.scalars(select(Tps).where(Tps.code.in_((req.origin_tps,
                                                                                   req.destination_tps))))}
        movement = plp_rules(self._ruleset_by_id(req.ruleset)).movement
        data = letters.PlpLetterData(
            reference=case.reference, origin=req.origin_tps, destination=req.destination_tps, operator=req.operator,
            reason=req.reason, bc11=f"{req.bc11_number} / {req.bc11_date:%d-%m-%Y}", lines=letter_lines,
            officer_name=actor.full_name, officer_nip=actor.nip or None, place=self.ctx.settings.office.city or "-",
            note=note, origin_name=names.get(req.origin_tps, ""), destination_name=names.get(req.destination_tps, ""),
            yor=(fmt_pct(req.origin_yor_pct), fmt_pct(req.destination_yor_pct)), ruleset=req.ruleset,
            gate_out_hours=movement.gate_out_within_hours, gate_in_hours=movement.gate_in_within_hours)
        office = self.services.issuance.office_info()
        plp_number = req.plp_number

        def build(number: str, day: dt.date) -> Any:
            if doc_type == "PLP":
                return letters.approval(number, day, office, data)
            if doc_type == "PLP-TOLAK":
                return letters.rejection(number, day, office, data, sorted(refusals))
            return letters.cancellation(number, day, office, data, plp_number, cancel_reason)

        return build

    def _issue(self, s: Session, actor: Actor, case: Case, doc_type: str, **kw: Any) -> IssuedDocument:
        """Issue a numbered PLP letter (PLP, PLP-TOLAK, PLP-BATAL) for the case, in the caller's transaction."""
        return self.services.issuance.issue_in(s, actor, doc_type, self._letter(s, actor, case, doc_type, **kw),
                                               case_id=case.id)

    def preview_decision(self, actor: Actor, case_id: uuid.UUID, decisions: Decisions, note: str = "") -> str:
        """The letter the decision would issue, as text, before anything is written (number still blank).
        Raises as `decide` does for its input, and PermissionDenied SEPARATION_OF_DUTIES to the officer who
        registered the request (told before the letter, not after)."""
        require_role(actor, *OFFICERS, action="decide PLP requests")
        note = _reason(note, "note", required=False)
        with self.ctx.db.read() as s:
            case = self.cases.get(s, case_id, kind=KIND)
            _not_the_registrar(actor, case)
            lines = list(s.scalars(select(PlpLine).where(PlpLine.case_id == case_id).order_by(PlpLine.seq)))
            clean = clean_decisions(lines, decisions)
            approve = any(ok for ok, _ in clean.values())
            build = self._letter(s, actor, case, "PLP" if approve else "PLP-TOLAK", note=note, decisions=clean)
            result: str = self.services.issuance.preview(build)
            return result
