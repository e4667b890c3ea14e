"""What the warehouse screen reads: the office's queue of requests (open, moving, overdue, all) and one
request in full (lines with their deadlines and the 30-day TPS clock, movements, letters, registry advice)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from db.models import Case, Document
from db.models_plp import PlpLine, PlpMovement, PlpRequestRow, Tps, TpsContainer
from workstation import inputs
from workstation.domain.errors import ErrorCode
from workstation.domain.plp import LineState, PlpState
from workstation.errors import NotFound, Refusal
from workstation.rules.ruleset import ruleset_for
from workstation.services.cases import view
from workstation.services.plp.common import KIND, PlpBase, what
from workstation.services.plp.registry import registry_warnings
from workstation.services.plp.views import LineView, MovementView, PlpDetail, QueueRow

QUEUES = ("open", "moving", "overdue", "all")


class QueueMixin(PlpBase):
    def get(self, case_id: uuid.UUID) -> PlpDetail:
        """One request in full. Raises NotFound UNKNOWN_CASE."""
        with self.ctx.db.read() as s:
            return self._detail(s, self.cases.get(s, case_id, kind=KIND))

    def find(self, reference_or_number: str) -> uuid.UUID:
        """A request by its reference (PLP-yyyymmdd-n) or its PLP letter number. Raises NotFound UNKNOWN_CASE."""
        key = (reference_or_number or "").strip()
        with self.ctx.db.read() as s:
            cid = s.scalar(select(Case.id).where(Case.kind == KIND, Case.reference == key))
            if cid is None:
                cid = s.scalar(select(PlpRequestRow.case_id).where(PlpRequestRow.plp_number == key))
        if cid is None:
            raise NotFound(f"no PLP request {key}", code=ErrorCode.UNKNOWN_CASE, field="reference",
                           params={"value": key})
        return cid

    def _detail(self, s: Session, case: Case) -> PlpDetail:
        req = s.get(PlpRequestRow, case.id)
        assert req is not None
        now = self.ctx.now()
        lines = list(s.scalars(select(PlpLine).where(PlpLine.case_id == case.id).order_by(PlpLine.seq)))
        numbers = [ln.container_number for ln in lines if ln.container_number]
        first: dict[str | None, dt.datetime] = dict(
            s.execute(select(TpsContainer.number, func.min(TpsContainer.first_stored_at))
                      .where(TpsContainer.number.in_(numbers)).group_by(TpsContainer.number)).all()) \
            if numbers else {}
        views = []
        for ln in lines:
            due = self._due(ln, req)
            stored = first.get(ln.container_number)
            views.append(LineView(ln.id, ln.seq, ln.kind, what(ln), ln.state, ln.decision_reason, ln.out_at,
                                  ln.in_at, due is not None and now > due, ln.container_number, due, stored,
                                  self._storage_due(stored)))
        seq_of = {ln.id: ln.seq for ln in lines}
        moves = tuple(MovementView(seq_of[m.line_id], m.direction, m.tps_code, m.at, m.truck_plate,
                                   tuple(m.seals or ()), m.read_by)
                      for m in s.scalars(select(PlpMovement).where(PlpMovement.line_id.in_(list(seq_of)))
                                         .order_by(PlpMovement.at, PlpMovement.id))) if lines else ()
        docs = tuple(s.scalars(select(Document.number).where(Document.case_id == case.id)
                               .order_by(Document.issued_at, Document.seq)))
        registry = {t.code: self._tps_view(s, t) for t in s.scalars(
            select(Tps).where(Tps.code.in_((req.origin_tps, req.destination_tps))))}
        warnings = registry_warnings(req.reason, registry.get(req.origin_tps), registry.get(req.destination_tps)) \
            if case.state in (PlpState.SUBMITTED, PlpState.APPROVED) else ()
        return PlpDetail(view(case), req.origin_tps, req.destination_tps, req.operator, req.applicant, req.reason,
                         f"{req.bc11_number} / {req.bc11_date:%d-%m-%Y}",
                         (req.origin_yor_pct, req.destination_yor_pct), req.eligible, tuple(req.reasons_met),
                         tuple(req.refusals), req.ruleset, req.plp_number, tuple(views), docs,
                         (req.origin_registry_yor_pct, req.destination_registry_yor_pct), req.plp_date,
                         req.cancel_reason, moves, warnings)

    def _storage_due(self, first: dt.datetime | None) -> dt.date | None:
        """The last day in a TPS before the goods become BTD (the PIB rule set of the first storage day)."""
        if first is None:
            return None
        from workstation.rules.pib import tps_storage_deadline

        day = first.astimezone(self.ctx.settings.zone).date()
        try:
            ruleset = ruleset_for("pib", day, self.ctx.settings.rulesets_dir)
        except Refusal as exc:  # no pib rule set covers that day: the clock is shown without a deadline
            if exc.code != ErrorCode.NO_RULESET:
                raise
            return None
        return tps_storage_deadline(day, ruleset=ruleset)  # a rule set without the limit is an error

    def queue(self, which: str = "open", search: str = "") -> list[QueueRow]:
        """open = awaiting decision; moving = approved, not all in (incl. approved, nothing moved yet);
        overdue = a line overdue; all. `search` matches reference, PLP number, TPS, operator or a container.
        Newest first, at most 500. Raises InputError NOT_ONE_OF (which)."""
        which = inputs.choice(which, "which", QUEUES, upper=False)
        now = self.ctx.now()
        with self.ctx.db.read() as s:
            q = (select(Case, PlpRequestRow).join(PlpRequestRow, PlpRequestRow.case_id == Case.id)
                 .where(Case.kind == KIND).order_by(Case.created_at.desc(), Case.reference.desc()).limit(500))
            if which == "open":
                q = q.where(Case.state == PlpState.SUBMITTED)
            elif which in ("moving", "overdue"):
                q = q.where(Case.state.in_((PlpState.APPROVED, PlpState.MOVING)))
            search = inputs.search(search, "search")
            if search:
                like, esc = inputs.like_pattern(search.upper())  # '%' and '_' typed are literal
                sub = select(PlpLine.case_id).where(PlpLine.container_number.like(like, escape=esc))
                q = q.where(or_(Case.reference.like(like, escape=esc), PlpRequestRow.plp_number.like(like, escape=esc),
                                PlpRequestRow.origin_tps.like(like, escape=esc),
                                PlpRequestRow.destination_tps.like(like, escape=esc),
                                func.upper(PlpRequestRow.operator).like(like, escape=esc), Case.id.in_(sub)))
            found = s.execute(q).all()
            by_case: dict[uuid.UUID, list[PlpLine]] = {}
            if found:
                for ln in s.scalars(select(PlpLine).where(PlpLine.case_id.in_([c.id for c, _ in found]))):
                    by_case.setdefault(ln.case_id, []).append(ln)
            rows = []
            approved = (LineState.APPROVED, LineState.OUT, LineState.IN)
            for case, req in found:
                lines = by_case.get(case.id, [])
                overdue = sum(self._overdue(ln, req, now) for ln in lines)
                if which == "overdue" and not overdue:
                    continue
                rows.append(QueueRow(case.id, case.reference, case.state, req.origin_tps, req.destination_tps,
                                     req.operator, len(lines), sum(ln.state in approved for ln in lines),
                                     sum(ln.state == LineState.IN for ln in lines), overdue, req.plp_number,
                                     case.version))
            return rows

    def counts(self) -> dict[str, int]:
        """Queue sizes for the office: open, moving (approved, not all in), overdue."""
        return {"open": len(self.queue("open")), "moving": len(self.queue("moving")),
                "overdue": len(self.queue("overdue"))}
