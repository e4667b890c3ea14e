"""One case as the screens see it: the full detail (submissions, billings, instruction, reports, requests,
determination, documents, SLA) and the examiner's research view (PIB against LHP, per item)."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from db.models import Document, User
from db.models_pib import (
    PibBilling,
    PibCase,
    PibDetermination,
    PibInstruction,
    PibReport,
    PibRequest,
    PibSubmission,
    PibSupportingDoc,
)
from printing.documents import pib as docs
from workstation.domain.codes import Role
from workstation.domain.errors import ErrorCode
from workstation.domain.pib import PibState
from workstation.errors import NotFound
from workstation.rules.pib_checks import ItemComparison, LartasFlag, Problem, compare_items
from workstation.services.base import Actor, require_role
from workstation.services.cases import view
from workstation.services.pib.base import issued
from workstation.services.pib.sla import SlaMixin
from workstation.services.pib.views import (
    BillingInfo,
    DeterminationInfo,
    InstructionInfo,
    PibDetail,
    ReportInfo,
    RequestInfo,
    SubmissionInfo,
    SupportingDocInfo,
)


class DetailMixin(SlaMixin):
    def find(self, aju: str) -> uuid.UUID:
        """The case id of a PIB by its aju. Raises NotFound UNKNOWN_CASE."""
        with self.ctx.db.read() as s:
            cid: uuid.UUID | None = s.scalar(select(PibCase.case_id).where(PibCase.aju == (aju or "").strip()))
        if cid is None:
            raise NotFound(f"no PIB with aju {aju}", field="aju", code=ErrorCode.UNKNOWN_CASE)
        return cid

    def get(self, actor: Actor, case_id: uuid.UUID) -> PibDetail:
        """Everything about one case for the examiner's and the hangar's screens (one read)."""
        require_role(actor, Role.EXAMINER, Role.SUPERVISOR, Role.INSPECTOR, Role.ADMIN, action="see PIBs")
        today = self.ctx.today()
        with self.ctx.db.read() as s:
            case, pc = self._load(s, case_id)
            doc = self._doc(s, case_id)
            logins = dict(s.execute(select(User.id, User.login)).all())
            names = dict(s.execute(select(User.id, User.full_name)).all())
            subs = tuple(SubmissionInfo(x.version, x.received_at, x.source, x.accepted,
                                        tuple(Problem.from_json(p) for p in x.problems), x.response_number,
                                        _format_of(x.document))
                         for x in s.scalars(select(PibSubmission).where(PibSubmission.case_id == case_id)
                                            .order_by(PibSubmission.version)))
            bills = tuple(BillingInfo(b.kind, b.code, dict(b.levies), b.fine_idr, b.total_idr, b.issued_on, b.due_on,
                                      b.paid_on, b.ntpn)
                          for b in s.scalars(select(PibBilling).where(PibBilling.case_id == case_id)
                                             .order_by(PibBilling.issued_on, PibBilling.code)))
            supporting = tuple(SupportingDocInfo(d.kind, d.number, d.doc_date, d.item_seq)
                               for d in s.scalars(select(PibSupportingDoc).where(PibSupportingDoc.case_id == case_id)
                                                  .order_by(PibSupportingDoc.recorded_at)))
            ip = self._current(s, PibInstruction, case_id)
            instruction = None if ip is None else InstructionInfo(
                ip.version, ip.inspector_id, logins.get(ip.inspector_id, "?"), names.get(ip.inspector_id, "?"),
                ip.level_pct, tuple(ip.containers or ()), ip.packages, ip.memo, ip.sample_requested,
                ip.document_number, ip.issued_at)

            def report(kind: str) -> ReportInfo | None:
                r = self._current(s, PibReport, case_id, kind=kind)
                return None if r is None else ReportInfo(r.kind, r.version, r.author_id, logins.get(r.author_id, "?"),
                                                         dict(r.content), r.submitted_at, r.document_number)

            authors = frozenset(s.scalars(select(PibReport.author_id).where(PibReport.case_id == case_id)))
            reqs = tuple(RequestInfo(r.id, r.kind, r.text, r.item_seq, r.requested_at, r.due_on, r.document_number,
                                     r.answer, r.result, r.answered_at)
                         for r in s.scalars(select(PibRequest).where(PibRequest.case_id == case_id)
                                            .order_by(PibRequest.requested_at)))
            det_row = self._current(s, PibDetermination, case_id)
            det = None if det_row is None else DeterminationInfo(
                det_row.version, logins.get(det_row.examiner_id, "?"), det_row.decided_on, list(det_row.items),
                dict(det_row.assessment), det_row.ruleset_id, det_row.outcome, list(det_row.documents), det_row.note)
            documents = tuple(issued(d) for d in s.scalars(select(Document).where(Document.case_id == case_id)
                                                            .order_by(Document.issued_at, Document.id)))
            manifest = self._manifest(s, pc.bc11_number, pc.bc11_date, pc.bc11_pos, pc.bc11_subpos)
            sptnp_bill = next((b for b in reversed(bills) if b.kind == "SPTNP"), None)
            overdue = (case.state == PibState.SPTNP and sptnp_bill is not None and sptnp_bill.due_on is not None
                       and today > sptnp_bill.due_on and sptnp_bill.paid_on is None)
            sla = self._sla(pc, case.state, today, open_requests=any(r.open for r in reqs), sptnp_overdue=overdue)
            lartas = tuple(LartasFlag(f["seq"], f["hs_code"], f["permit_type"], f["agency"], f.get("permit"))
                           for f in (pc.lartas or []))
            return PibDetail(
                case=view(case), aju=pc.aju, importer_npwp=pc.importer_npwp, importer_name=pc.importer_name, doc=doc,
                submissions=subs, registration_number=pc.registration_number, registered_on=pc.registered_on,
                submitted_on=pc.submitted_on, first_storage_on=pc.first_storage_on, goods_ready_on=pc.goods_ready_on,
                goods_location=pc.goods_location, goods_contact=pc.goods_contact, manifest_line=manifest,
                lartas=lartas, billings=bills, supporting=supporting, instruction=instruction, lhp=report(docs.LHP),
                bap=report(docs.BAP), sampling=report(docs.BA_CONTOH), lhp_authors=authors, requests=reqs,
                determination=det, documents=documents, sla=sla,
                examiner_login=logins.get(case.assigned_to) if case.assigned_to else None,
                released_at=pc.released_at)

    def research(self, actor: Actor, case_id: uuid.UUID) -> list[ItemComparison]:
        """PIB against LHP per item, with the differences to look at (the examiner's research view)."""
        detail = self.get(actor, case_id)
        with self.ctx.db.read() as s:
            tariff = self._tariff_rows(s, (i.hs_code for i in detail.doc.items))
        return compare_items(detail.doc.items, detail.lhp.lhp if detail.lhp else None, tariff, detail.lartas)


def _format_of(document: str) -> str:
    """The format a stored submission came in (the screen says what came in: issue #13 item 1)."""
    import json

    from workstation.formats import pib_format

    try:
        return pib_format(json.loads(document))
    except Exception:  # a submission refused as unreadable is stored as received
        return "?"
