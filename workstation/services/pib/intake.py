"""Intake (DOMAIN.md §2 steps 1-3): a PIB (pib/1 or CEISA BC 2.0) is received, checked by SKP (blocked importer, BC 1.1,
B/L, NDPBM, tariff, completeness), kept when rejected (with a rejection response), or accepted with its lartas
flags and billing code — registered at once with the SPJM when nothing is due; a rejected PIB may be
resubmitted under the same aju. Also: the supervisors' blocked-importer list and the importer's supporting
documents (a permit presented counts for its line's lartas requirement)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import audit
from db.models import Case, User
from db.models_pib import ImporterBlock, PibBilling, PibCase, PibSubmission, PibSupportingDoc
from printing.documents import pib as docs
from workstation import inputs
from workstation.domain.canonical import sha256_hex
from workstation.domain.codes import CaseKind, Role
from workstation.domain.errors import ErrorCode
from workstation.domain.pib import FLOW, INTAKE_ROLES, PibDocument, PibState
from workstation.errors import InputError, Refusal
from workstation.formats import read_pib
from workstation.rules import pib as rules
from workstation.rules.pib_checks import (
    IntakeReference,
    Problem,
    lartas_flags,
    normalise_npwp,
    skp_checks,
)
from workstation.services.base import Actor, require_role
from workstation.services.cases import CaseView, view
from workstation.services.pib.base import PibBase, read_text
from workstation.services.pib.views import BlockInfo, IntakeResult

SUPPORTING_KINDS = ("INVOICE", "PACKING_LIST", "BL", "INSURANCE", "COO", "PERMIT", "CONTRACT", "OTHER")
_RESUBMIT = {PibState.REJECTED: "pib.resubmit.rejected", PibState.BILLED: "pib.resubmit.billed",
             PibState.SPJM: "pib.resubmit.registered"}


def npwp_digits(value: str, field: str = "npwp") -> str:
    """An NPWP as its 15 or 16 digits, punctuation removed. Unlike `inputs.npwp` the old 15-digit form's check
    digit is not checked: blocks and PIBs name importers as the registry printed them. Raises InputError NPWP."""
    digits = normalise_npwp(value or "")
    if not re.fullmatch(r"[0-9]{15}|[0-9]{16}", digits):
        raise InputError(code=ErrorCode.NPWP, field=field)
    return digits


class IntakeMixin(PibBase):
    # -- the stored document, in whichever format it came ---------------------------------------------------
    # -- SKP checks ---------------------------------------------------------------------------------------
    def _reference(self, s: Session, doc: PibDocument, day: dt.date) -> IntakeReference:
        blocked = {b.npwp: b.reason for b in s.scalars(
            select(ImporterBlock).where(ImporterBlock.npwp == normalise_npwp(doc.importer.npwp),
                                        ImporterBlock.lifted_at.is_(None)))}
        try:
            # compared as the decree quotes it (JPY per 100 yen): the rates format's one fact
            quoted = self.services.reference.rate_table().quoted(doc.currency, day)
        except InputError:
            quoted = None
        return IntakeReference(
            office_code=self.ctx.settings.office.code, submitted_on=day, blocked=blocked,
            manifest_line=self._manifest(s, doc.bc11.number, doc.bc11.date, doc.bc11.pos, doc.bc11.subpos),
            ndpbm_quoted=quoted, tariff=self._tariff_rows(s, (i.hs_code for i in doc.items)),
            # the tariff book in force on the document's (arrival) date says how many digits a post has
            post_lengths=tuple(rules.pib_rules(self._ruleset_near(doc.arrival_date, day)).tariff.post_lengths),
            lartas=self._lartas_rows(s))

    def check(self, doc: PibDocument) -> list[Problem]:
        """The SKP checks alone, writing nothing (a preview for the intake screen)."""
        with self.ctx.db.read() as s:
            return skp_checks(doc, self._reference(s, doc, self.ctx.today()))

    # -- receiving a PIB ----------------------------------------------------------------------------------
    def import_pib(self, actor: Actor, path: str | Path | None = None, *, text: str | bytes | None = None,
                   source: str | None = None) -> IntakeResult:
        """Receive a PIB: a pib/1 or CEISA 4.0 BC 2.0 JSON document, detected from the content
        (workstation.formats.read_pib; the text is stored as received). Unreadable or malformed input is an
        InputError and nothing is written.
        A well-formed PIB is always kept: rejected (with a rejection response listing every problem), or
        accepted (lartas flagged, billing code issued; registered with SPJM at once when nothing is due).
        The same aju again: after a rejection it is a resubmission (version + 1); the identical document
        again is a no-op; any other change to a PIB past rejection is refused (Refusal DUPLICATE)."""
        require_role(actor, *INTAKE_ROLES, action="receive PIBs")
        body, label = read_text(path, text, "pib")
        label = source or label
        doc = read_pib(body)
        from printing.fonts import check_all_drawable

        # printed on the SPJM, SPPB, SPTNP: a script no embedded font draws is refused here, never printed as boxes
        check_all_drawable([("importer.name", doc.importer.name),
                            *((f"items[{i}].description", it.description) for i, it in enumerate(doc.items))])
        if doc.determination is not None:
            raise InputError("an importer's PIB carries no determination", code=ErrorCode.INVALID_DOCUMENT,
                             field="determination", params={"reason": "an importer's PIB carries no determination"})
        digest = sha256_hex(body.strip())
        today = self.ctx.today()
        with self.ctx.db.write() as s:
            existing = s.scalar(select(PibCase).where(PibCase.aju == doc.aju))
            if existing is not None:
                old = s.get(Case, existing.case_id)
                assert old is not None  # the PIB row's foreign key
                last = self._current(s, PibSubmission, existing.case_id)
                if last is not None and last.content_hash == digest:
                    bill = s.scalar(select(PibBilling).where(PibBilling.case_id == old.id,
                                                             PibBilling.kind == "DECLARED"))
                    return IntakeResult(old.id, doc.aju, old.version, old.state, last.accepted, last.version,
                                        tuple(Problem.from_json(p) for p in last.problems),
                                        billing_code=bill.code if bill else None,
                                        billing_total_idr=bill.total_idr if bill else None,
                                        registration_number=existing.registration_number, unchanged=True)
                if old.state != PibState.REJECTED:
                    raise Refusal(f"PIB {doc.aju} is already {old.state}; only a rejected PIB can be resubmitted",
                                  code=ErrorCode.DUPLICATE, field="aju", params={"value": doc.aju})
            ref = self._reference(s, doc, today)
            problems = skp_checks(doc, ref)
            accepted = not problems
            submission = (existing.submission_version + 1) if existing is not None else 1
            flags = lartas_flags(doc.items, ref.lartas) if accepted else []
            assessment = rules.assess_pib(doc, ruleset=self.ruleset(today)) if accepted else None
            due = assessment.declared.totals.total_idr if assessment else None
            to_state = PibState.REJECTED if not accepted else (PibState.BILLED if due else PibState.SPJM)
            data = {"submission": submission, "source": label, "accepted": accepted,
                    "problems": [p.code.value for p in problems]}
            # the queue shows the importer; everything else is read from the PIB's own tables
            summary = {"importer": doc.importer.name}
            if existing is None:
                case = self.cases.open(s, actor, kind=CaseKind.PIB.value, reference=doc.aju,
                                       state=to_state.value, summary=summary, audit_data=data)
                pc = PibCase(case_id=case.id, aju=doc.aju)
                s.add(pc)
            else:
                pc = existing

                def apply(c: Case) -> None:
                    c.summary = {**(c.summary or {}), **summary}

                case = self.cases.change(s, actor, existing.case_id, old.version, FLOW[_RESUBMIT[to_state]], apply,
                                         data=data)
            pc.importer_npwp = normalise_npwp(doc.importer.npwp)[:16]
            pc.importer_name = doc.importer.name[:200]
            pc.bc11_number, pc.bc11_date, pc.bc11_pos, pc.bc11_subpos = (
                doc.bc11.number, doc.bc11.date, doc.bc11.pos, doc.bc11.subpos)
            pc.arrival_date = doc.arrival_date
            pc.submission_version = submission
            pc.submitted_on = today
            pc.lartas = [f.as_json() for f in flags]
            with s.no_autoflush:  # the BC 1.1 reference above is what it looks up
                pc.first_storage_on = self._storage_start(s, pc)
            s.flush()
            sub = PibSubmission(case_id=case.id, version=submission, received_at=self.ctx.now(),
                                received_by=actor.user_id, source=label[:200], document=body, content_hash=digest,
                                accepted=accepted, problems=[p.as_json() for p in problems])
            issued: list[str] = []
            billing_code = None
            if not accepted:
                d = self._issue(s, actor, docs.REJECTION, partial(
                    docs.rejection_response, letter=self._letter(), header=self._header(pc, doc),
                    submission=submission, problems=[p.as_json() for p in problems]), case.id)
                sub.response_number = d.number
                issued.append(d.number)
            s.add(sub)
            if assessment is not None:
                self.services.reference.record_ruleset(s, self.ruleset(today))
                # risk targeting (#16): the profiles and the random draw, recorded with the case
                from workstation.services.risk.selection import record_selection, select_for_pib

                risk = select_for_pib(s, doc, today)
                record_selection(s, case.id, risk, self.ctx.now())
                if risk.shown_reasons or risk.flags:
                    case.reasons = sorted({*(case.reasons or []), *risk.shown_reasons})
                    case.flags = sorted({*(case.flags or []), *risk.flags})
                if due:
                    billing_code = self._billing_code(s, actor)
                    s.add(PibBilling(case_id=case.id, kind="DECLARED", code=billing_code,
                                     levies=assessment.declared.totals.as_json(), fine_idr=0, total_idr=due,
                                     issued_on=today))
                else:
                    issued.append(self._register(s, actor, case, pc, doc, billing_code=None,
                                                 levies=assessment.declared.totals))
            s.flush()
            return IntakeResult(case.id, doc.aju, case.version, case.state, accepted, submission, tuple(problems),
                                billing_code=billing_code, billing_total_idr=due,
                                registration_number=pc.registration_number, documents=tuple(issued))

    # -- blocked importers (supervisors) -----------------------------------------------------------------
    def block_importer(self, actor: Actor, npwp: str, name: str, reason: str) -> BlockInfo:
        """Block an importer (supervisor or administrator; the one write path, Administration calls it too): its
        next PIBs are rejected (IMPORTER_BLOCKED). Raises InputError NPWP,
        REQUIRED/TOO_LONG (name, reason); Refusal ALREADY_BLOCKED."""
        require_role(actor, Role.SUPERVISOR, Role.ADMIN, action="block an importer")
        digits = npwp_digits(npwp)
        name = inputs.text(name, "name", max_len=200)
        reason = inputs.text(reason, "reason", max_len=500)
        with self.ctx.db.write() as s:
            if s.scalar(select(ImporterBlock.id).where(ImporterBlock.npwp == digits, ImporterBlock.lifted_at.is_(None))):
                raise Refusal(f"importer {digits} is already blocked", code=ErrorCode.ALREADY_BLOCKED, field="npwp",
                              params={"value": digits})
            row = ImporterBlock(npwp=digits, name=name, reason=reason, blocked_at=self.ctx.now(),
                                blocked_by=actor.user_id)
            s.add(row)
            s.flush()
            audit.append(s, actor.audit, "importer.block", "importer", digits, {"name": name, "reason": reason},
                         now=self.ctx.now())
        return BlockInfo(digits, name, reason, row.blocked_at, actor.login)

    def unblock_importer(self, actor: Actor, npwp: str, reason: str) -> None:
        """Lift an importer's block. Raises InputError REQUIRED (reason); Refusal NOT_BLOCKED."""
        require_role(actor, Role.SUPERVISOR, Role.ADMIN, action="lift an importer block")
        digits = normalise_npwp(npwp or "")
        reason = inputs.text(reason, "reason", max_len=500)
        with self.ctx.db.write() as s:
            row = s.scalar(select(ImporterBlock).where(ImporterBlock.npwp == digits, ImporterBlock.lifted_at.is_(None)))
            if row is None:
                raise Refusal(f"importer {digits} is not blocked", code=ErrorCode.NOT_BLOCKED, field="npwp",
                              params={"value": digits})
            row.lifted_at, row.lifted_by, row.lift_reason = self.ctx.now(), actor.user_id, reason
            audit.append(s, actor.audit, "importer.unblock", "importer", digits, {"reason": reason},
                         now=self.ctx.now())

    def blocked_importers(self, actor: Actor) -> list[BlockInfo]:
        require_role(actor, Role.SUPERVISOR, Role.EXAMINER, Role.ADMIN, action="see blocked importers")
        with self.ctx.db.read() as s:
            rows = s.execute(select(ImporterBlock, User.login).outerjoin(User, User.id == ImporterBlock.blocked_by)
                             .where(ImporterBlock.lifted_at.is_(None)).order_by(ImporterBlock.blocked_at)).all()
            return [BlockInfo(b.npwp, b.name, b.reason, b.blocked_at, login or "-") for b, login in rows]

    # -- supporting documents -------------------------------------------------------------------------------
    def record_supporting_documents(self, actor: Actor, case_id: uuid.UUID, version: int,
                                    documents: Sequence[Mapping[str, Any]]) -> CaseView:
        """The importer's supporting documents (invoice, packing list, B/L, permits...). A PERMIT names the
        PIB item it covers (`item_seq`); it then counts for that line's lartas requirement. Fields are
        named `documents[n].kind` etc.; InputError REQUIRED, NOT_ONE_OF, PERMIT_NEEDS_ITEM, UNKNOWN_ITEM."""
        if not documents:
            raise InputError("no document given", code=ErrorCode.REQUIRED, field="documents")
        parsed = []
        for n, d in enumerate(documents):
            where = f"documents[{n}]"
            kind = inputs.choice(d.get("kind", ""), f"{where}.kind", SUPPORTING_KINDS)
            number = inputs.text(d.get("number"), f"{where}.number", max_len=100)
            day = inputs.optional_date(d.get("date"), f"{where}.date")
            seq = inputs.optional_whole(d.get("item_seq"), f"{where}.item_seq", positive=True)
            if kind == "PERMIT" and seq is None:
                raise InputError("a permit names the PIB item it covers", code=ErrorCode.PERMIT_NEEDS_ITEM,
                                 field=f"{where}.item_seq")
            parsed.append((kind, number, day, seq))
        with self.ctx.db.write() as s:
            _, pc = self._load(s, case_id)

            def apply(case: Case) -> dict[str, Any]:
                seqs = {i.seq for i in self._doc(s, case_id).items}
                lartas = [dict(f) for f in (pc.lartas or [])]
                for n, (kind, number, day, seq) in enumerate(parsed):
                    if seq is not None and seq not in seqs:
                        raise InputError(f"the PIB has no item {seq}", code=ErrorCode.UNKNOWN_ITEM,
                                         field=f"documents[{n}].item_seq", params={"seq": seq})
                    s.add(PibSupportingDoc(case_id=case_id, kind=kind, number=number, doc_date=day, item_seq=seq,
                                           recorded_at=self.ctx.now(), recorded_by=actor.user_id))
                    if kind == "PERMIT":
                        for f in lartas:
                            if f["seq"] == seq:
                                f["permit"], f["missing"] = number, False
                pc.lartas = lartas
                return {"documents": [{"kind": k, "number": n, "item_seq": q} for k, n, _, q in parsed]}

            case = self.cases.change(s, actor, case_id, version, FLOW["pib.supporting_documents"], apply)
            return view(case)
