"""Outcomes of red-lane inspections (issue #16 item 3): what was found (workstation.domain.risk.Outcome) and
the duties recovered, recorded by the inspecting officer or read from the findings the workflows already keep:
e-CD findings, referrals and reassessments; the PIB's LHP and determination."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import audit
from db.models import Case
from db.models_passenger import EcdDecisionRow, EcdDeclaration, EcdFinding, EcdReferral
from db.models_pib import PibDetermination, PibReport, PibSubmission
from db.models_risk import RiskOutcome, RiskProfileRow, RiskSelection, RiskValueObservation
from workstation import inputs
from workstation.domain.codes import CaseKind, Lane
from workstation.domain.errors import ErrorCode
from workstation.domain.risk import HITS, INSPECTORS, SUPERVISORS, Outcome, shown_reasons
from workstation.errors import InputError, NotFound, Refusal
from workstation.rules.risk import ProfileRef
from workstation.services.base import Actor, require_role
from workstation.services.risk.base import RiskBase
from workstation.services.risk.views import CaseRisk, OutcomeView


def _view(r: RiskOutcome) -> OutcomeView:
    return OutcomeView(r.case_id, r.kind, tuple(r.outcomes), r.hit, r.duties_idr, r.source, r.version)


def outcomes_from_list(values: list[str] | tuple[str, ...], field: str = "outcomes") -> tuple[str, ...]:
    """Outcome codes, checked and sorted; NOTHING alone or not at all. Raises InputError NOT_ONE_OF, REQUIRED,
    INVALID_VALUE."""
    names = [o.value for o in Outcome]
    out = sorted({inputs.choice(v, field, names) for v in values})
    if not out:
        raise InputError(code=ErrorCode.REQUIRED, field=field)
    if Outcome.NOTHING.value in out and len(out) > 1:
        raise InputError("NOTHING cannot go with a finding", code=ErrorCode.INVALID_VALUE, field=field,
                         params={"reason": "NOTHING cannot go with a finding"})
    return tuple(out)


def ecd_outcome(s: Session, case_id: uuid.UUID) -> tuple[tuple[str, ...], int]:
    """What the e-CD's inspection found, from its records: undeclared goods (a finding UNDECLARED), a value or
    HS code other than declared on a goods line found, prohibited goods (an ENFORCEMENT referral), excise over
    the allowance (EXCISE_DESTRUCTION); duties recovered = the latest reassessment's total above the first
    decision's (rupiah, never negative)."""
    import json

    decl = s.get(EcdDeclaration, case_id)
    declared: list[dict[str, Any]] = json.loads(decl.document_json)["goods"] if decl is not None else []
    latest: dict[int, EcdFinding] = {}
    for f in s.scalars(select(EcdFinding).where(EcdFinding.case_id == case_id)
                       .order_by(EcdFinding.recorded_at, EcdFinding.id)):
        latest[f.item_no] = f
    found: set[str] = set()
    for item_no, f in latest.items():
        if f.status == "UNDECLARED":
            found.add(Outcome.UNDECLARED.value)
        elif f.status == "FOUND" and 1 <= item_no <= len(declared):
            line = declared[item_no - 1]
            if Decimal(str(line["value"])) != Decimal(f.value) or line["currency"] != f.currency:
                found.add(Outcome.MISDECLARED_VALUE.value)
            if f.hs_code and (line.get("hs_code") or "") != f.hs_code:
                found.add(Outcome.MISDECLARED_HS.value)
    codes = set(s.scalars(select(EcdReferral.code).where(EcdReferral.case_id == case_id)))
    if "ENFORCEMENT" in codes:
        found.add(Outcome.PROHIBITED.value)
    if "EXCISE_DESTRUCTION" in codes:
        found.add(Outcome.EXCISE_OVER.value)
    decisions = list(s.scalars(select(EcdDecisionRow).where(EcdDecisionRow.case_id == case_id)
                               .order_by(EcdDecisionRow.seq)))
    first = decisions[0].total_idr if decisions else 0
    reassessed = [d.total_idr for d in decisions if d.kind == "REASSESSMENT"]
    duties = max(0, reassessed[-1] - first) if reassessed else 0
    return (tuple(sorted(found)) or (Outcome.NOTHING.value,)), duties


def pib_outcome(s: Session, case_id: uuid.UUID) -> tuple[tuple[str, ...], int]:
    """What the PIB's inspection found, from the latest LHP (undeclared goods; an item not matching: an HS code
    other than the declared one → MISDECLARED_HS, else MISDECLARED_VALUE) and the latest determination (more
    duties due → MISDECLARED_VALUE); duties recovered = the determination's difference total (rupiah, never
    negative)."""

    found: set[str] = set()
    sub = s.scalars(select(PibSubmission).where(PibSubmission.case_id == case_id)
                    .order_by(PibSubmission.version.desc()).limit(1)).first()
    declared: dict[int, str] = {}
    if sub is not None:
        from workstation.formats import read_pib  # pib/1 or CEISA BC 2.0, as it was received

        declared = {int(i.seq): str(i.hs_code) for i in read_pib(sub.document).items}
    lhp = s.scalars(select(PibReport).where(PibReport.case_id == case_id, PibReport.kind == "LHP")
                    .order_by(PibReport.version.desc()).limit(1)).first()
    if lhp is not None:
        if lhp.content.get("undeclared"):
            found.add(Outcome.UNDECLARED.value)
        for item in lhp.content.get("items", []):
            if item.get("match") is False:
                hs = str(item.get("hs_code") or "")
                other_hs = bool(hs) and declared.get(int(item.get("seq", 0))) not in (None, hs)
                found.add(Outcome.MISDECLARED_HS.value if other_hs else Outcome.MISDECLARED_VALUE.value)
    det = s.scalars(select(PibDetermination).where(PibDetermination.case_id == case_id)
                    .order_by(PibDetermination.version.desc()).limit(1)).first()
    duties = 0
    if det is not None:
        diff = (det.assessment or {}).get("difference") or {}
        duties = max(0, int(diff.get("total_idr", 0) or 0))
        if duties > 0 and Outcome.MISDECLARED_HS.value not in found:
            found.add(Outcome.MISDECLARED_VALUE.value)
    return (tuple(sorted(found)) or (Outcome.NOTHING.value,)), duties


class OutcomesMixin(RiskBase):
    def record_outcome(self, actor: Actor, case_id: uuid.UUID, outcomes: list[str] | tuple[str, ...], *,
                       duties_idr: Any = None, note: str = "") -> OutcomeView:
        """Record (or correct: version + 1) what the red-lane inspection of a case found. `duties_idr` empty:
        read from the case's records (as `outcome_from_findings`). A value found misdeclared takes the case's
        declared unit values out of the value check's history. Raises InputError (outcomes, duties_idr),
        NotFound UNKNOWN_CASE, Refusal NOT_RED_LANE, PermissionDenied ROLE_REQUIRED."""
        require_role(actor, *INSPECTORS, action="record inspection outcomes")
        codes = outcomes_from_list(list(outcomes))
        duties = None if duties_idr in (None, "") else inputs.rupiah(duties_idr, "duties_idr")
        note_text = inputs.optional_text(note, "note", max_len=2000) or ""
        return self._store_outcome(actor, case_id, codes, duties, note_text, "officer")

    def outcome_from_findings(self, actor: Actor, case_id: uuid.UUID) -> OutcomeView:
        """Record the outcome read from the case's own records (e-CD findings/referrals/reassessment, PIB
        LHP/determination)."""
        require_role(actor, *INSPECTORS, action="record inspection outcomes")
        return self._store_outcome(actor, case_id, None, None, "", "findings")

    def _store_outcome(self, actor: Actor, case_id: uuid.UUID, codes: tuple[str, ...] | None, duties: int | None,
                       note: str, source: str) -> OutcomeView:
        with self.ctx.db.write() as s:
            return self.store_outcome_in(s, actor, case_id, codes, duties, note, source)

    def record_at_close(self, s: Session, actor: Actor, case_id: uuid.UUID) -> None:
        """Inside the caller's write transaction, when a red-lane case is closed (e-CD release, PIB
        determination): record what its inspection found, read from its own records, so every red-lane case
        counts in the hit rates without anyone having to remember it. A green case (no selection, no red
        lane) records nothing."""
        case = s.get(Case, case_id)
        selected = s.get(RiskSelection, case_id)
        red = case is not None and (case.kind == CaseKind.PIB.value or case.lane == Lane.RED.value)
        if red or (selected is not None and selected.reasons):
            self.store_outcome_in(s, actor, case_id, None, None, "", "findings")

    def store_outcome_in(self, s: Session, actor: Actor, case_id: uuid.UUID, codes: tuple[str, ...] | None,
                         duties: int | None, note: str, source: str) -> OutcomeView:
        """`_store_outcome` inside the caller's write transaction."""
        now = self.ctx.now()
        case = s.get(Case, case_id)
        if case is None:
            raise NotFound("no such case", code=ErrorCode.UNKNOWN_CASE, field="case")
        selected = s.get(RiskSelection, case_id)
        # every PIB here is a red-lane PIB (SPJM); an e-CD must have been sent red
        red = case.kind == CaseKind.PIB.value or case.lane == Lane.RED.value
        if not red and not (selected is not None and selected.reasons):
            raise Refusal(f"{case.reference} was not in the red lane: no inspection outcome to record",
                          code=ErrorCode.NOT_RED_LANE, params={"reference": case.reference})
        if codes is None or duties is None:
            derived, derived_duties = (ecd_outcome(s, case_id) if case.kind == CaseKind.ECD.value
                                       else pib_outcome(s, case_id))
            codes = codes if codes is not None else derived
            duties = duties if duties is not None else derived_duties
        hit = bool(set(codes) & {o.value for o in HITS})
        row = s.get(RiskOutcome, case_id)
        if row is None:
            row = RiskOutcome(case_id=case_id, kind=case.kind, outcomes=list(codes), hit=hit, duties_idr=duties,
                              note=note, source=source, version=1, recorded_at=now, recorded_by=actor.user_id)
            s.add(row)
        else:
            row.outcomes, row.hit, row.duties_idr, row.note = list(codes), hit, duties, note
            row.source, row.version, row.recorded_at, row.recorded_by = source, row.version + 1, now, actor.user_id
        # through the ORM, row by row (a case has a few goods lines): the one write path the field-unit sync
        # captures (db/changes.py) — a bulk UPDATE would never reach the change log
        accepted = Outcome.MISDECLARED_VALUE.value not in codes
        for obs in s.scalars(select(RiskValueObservation).where(RiskValueObservation.case_id == case_id)):
            obs.accepted = accepted
        s.flush()
        audit.append(s, actor.audit, "risk.outcome", "case", str(case_id),
                     {"reference": case.reference, "outcomes": list(codes), "duties_idr": duties,
                      "source": source, "version": row.version}, now=now)
        return _view(row)

    def outcome(self, case_id: uuid.UUID) -> OutcomeView | None:
        with self.ctx.db.read() as s:
            row = s.get(RiskOutcome, case_id)
            return _view(row) if row is not None else None

    def case_risk(self, actor: Actor, case_id: uuid.UUID) -> CaseRisk | None:
        """The case's risk record for `actor` (see CaseRisk: supervisors see profiles and random selection;
        others only the shown reasons and value flags). None when the case was assessed without one."""
        require_role(actor, *INSPECTORS, action="see a case's risk record")
        with self.ctx.db.read() as s:
            sel = s.get(RiskSelection, case_id)
            if sel is None:
                return None
            out = s.get(RiskOutcome, case_id)
            flags = tuple(dict(f) for f in sel.value_flags or [])
            if not actor.has(*SUPERVISORS):
                return CaseRisk(case_id, shown_reasons(list(sel.reasons or [])), (), None, None, flags,
                                _view(out) if out is not None else None)
            rows = {(r.code, r.version): r for r in s.scalars(select(RiskProfileRow).where(
                RiskProfileRow.code.in_([p["code"] for p in sel.profiles or []])))}
            refs = []
            for p in sel.profiles or []:
                row = rows.get((p["code"], p["version"]))
                refs.append(ProfileRef(p["code"], p["version"], row.name if row else "",
                                       str(row.content.get("reason", "")) if row else ""))
            return CaseRisk(case_id, tuple(sel.reasons or ()), tuple(refs), sel.random, sel.draw, flags,
                            _view(out) if out is not None else None)
