"""The examiner's research (DOMAIN.md §2 step 6): requests to the importer (NPD for documents, DNP for the
customs value declaration, due N working days later per the rule set), laboratory tests of a sampled item,
their answers, and the referral of a mismatch to the enforcement unit (P2)."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

from db.models import Case
from db.models_pib import PibReport, PibRequest
from printing.documents import pib as docs
from workstation import inputs
from workstation.domain.errors import ErrorCode
from workstation.domain.pib import FLOW
from workstation.errors import InputError, NotFound, Refusal
from workstation.rules import pib as rules
from workstation.services.base import Actor
from workstation.services.cases import CaseView, view
from workstation.services.pib.base import EXAMINER_ROLE, PibBase, check_seqs

REQUEST_KINDS = ("NPD", "DNP")
LAB_RESULTS = ("CONFORMS", "DIFFERS")


class ResearchMixin(PibBase):
    def request_information(self, actor: Actor, case_id: uuid.UUID, version: int, *, kind: str,
                            text: str) -> CaseView:
        """NPD (documents) or DNP (customs value declaration), due N working days later (rule set).
        Raises InputError NOT_ONE_OF (kind), REQUIRED / TOO_LONG (text)."""
        kind = inputs.choice(kind, "kind", REQUEST_KINDS)
        text = inputs.text(text, "text", max_len=4000)
        with self.ctx.db.write() as s:
            _, pc = self._load(s, case_id)

            def apply(case: Case) -> dict[str, Any]:
                today = self.ctx.today()
                due = rules.npd_answer_due(today, ruleset=self.ruleset(pc.registered_on or today))
                d = self._issue(s, actor, kind, partial(
                    docs.request, kind, letter=self._letter(), header=self._header(pc, self._doc(s, case_id)),
                    text=text, due_on=due, examiner=self._person(actor, EXAMINER_ROLE)), case_id)
                s.add(PibRequest(case_id=case_id, kind=kind, text=text, requested_at=self.ctx.now(),
                                 requested_by=actor.user_id, due_on=due, document_number=d.number))
                return {"kind": kind, "due_on": due.isoformat(), "document": d.number}

            case = self.cases.change(s, actor, case_id, version, FLOW["pib.request"], apply)
            return view(case)

    def request_lab_test(self, actor: Actor, case_id: uuid.UUID, version: int, *, item_seq: int | str,
                         text: str) -> CaseView:
        """Send a sample of an item to the laboratory. Raises InputError NOT_WHOLE_NUMBER / UNKNOWN_ITEM
        (item_seq); Refusal NO_SAMPLE when the BA pengambilan contoh has no sample of it."""
        seq = inputs.whole(item_seq, "item_seq", positive=True)
        text = inputs.text(text, "text", max_len=4000)
        with self.ctx.db.write() as s:
            self._load(s, case_id)

            def apply(case: Case) -> dict[str, Any]:
                check_seqs(self._doc(s, case_id), [seq], "item")
                ba = self._current(s, PibReport, case_id, kind=docs.BA_CONTOH)
                if ba is None or seq not in {x["seq"] for x in ba.content.get("samples", [])}:
                    raise Refusal(f"no sample of item {seq} was taken (BA pengambilan contoh)",
                                  code=ErrorCode.NO_SAMPLE, params={"seq": seq})
                s.add(PibRequest(case_id=case_id, kind="LAB", text=text, item_seq=seq, requested_at=self.ctx.now(),
                                 requested_by=actor.user_id))
                return {"kind": "LAB", "item_seq": seq}

            case = self.cases.change(s, actor, case_id, version, FLOW["pib.request"], apply)
            return view(case)

    def record_answer(self, actor: Actor, case_id: uuid.UUID, version: int, request_id: uuid.UUID | str, *,
                      answer: str, result: str | None = None) -> CaseView:
        """The importer's answer to an NPD/DNP, or the lab's result (CONFORMS / DIFFERS). Recorded once.
        Raises InputError NOT_ONE_OF (result), RESULT_NOT_EXPECTED, UNKNOWN_REQUEST; NotFound UNKNOWN_REQUEST;
        Refusal ALREADY_ANSWERED."""
        answer = inputs.text(answer, "answer", max_len=4000)
        outcome = inputs.optional_text(result, "result", max_len=20)
        try:
            rid = request_id if isinstance(request_id, uuid.UUID) else uuid.UUID(str(request_id))
        except ValueError:
            raise InputError("not a request id", code=ErrorCode.UNKNOWN_REQUEST, field="request") from None
        with self.ctx.db.write() as s:
            self._load(s, case_id)

            def apply(case: Case) -> dict[str, Any]:
                req = s.get(PibRequest, rid)
                if req is None or req.case_id != case_id or req.kind == "ENFORCEMENT":
                    raise NotFound("no such request on this PIB", field="request", code=ErrorCode.UNKNOWN_REQUEST)
                if req.answered_at is not None:
                    raise Refusal("this request was already answered", code=ErrorCode.ALREADY_ANSWERED)
                lab = None
                if req.kind == "LAB":
                    lab = inputs.choice(outcome, "result", LAB_RESULTS)
                elif outcome is not None:
                    raise InputError("only a lab test has a result", code=ErrorCode.RESULT_NOT_EXPECTED,
                                     field="result")
                req.answer, req.result, req.answered_at, req.answered_by = (answer, lab, self.ctx.now(),
                                                                            actor.user_id)
                return {"request": str(rid), "kind": req.kind, "result": lab}

            case = self.cases.change(s, actor, case_id, version, FLOW["pib.answer"], apply)
            return view(case)

    def refer_to_enforcement(self, actor: Actor, case_id: uuid.UUID, version: int, *, reason: str) -> CaseView:
        """Hand a mismatch to the enforcement unit (P2). The case stays with the examiner, flagged."""
        reason = inputs.text(reason, "reason", max_len=4000)
        with self.ctx.db.write() as s:
            _, pc = self._load(s, case_id)

            def apply(case: Case) -> dict[str, Any]:
                s.add(PibRequest(case_id=case_id, kind="ENFORCEMENT", text=reason, requested_at=self.ctx.now(),
                                 requested_by=actor.user_id))
                pc.enforcement = True
                return {"reason": reason}

            case = self.cases.change(s, actor, case_id, version, FLOW["pib.refer_enforcement"], apply)
            return view(case)
