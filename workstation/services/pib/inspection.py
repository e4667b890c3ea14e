"""Physical inspection (DOMAIN.md §2 steps 3-5): the importer's goods-readiness notice, the Instruksi
Pemeriksaan (inspector, level from the rule set, containers / packages), and in the hangar the inspector's
BAP fisik, BA pengambilan contoh and LHP — each signed, versioned (an amendment is a new version of the report
and of its document) and locked once submitted."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from db.models import Case
from db.models_pib import PibCase, PibInstruction, PibReport
from printing.documents import pib as docs
from workstation import inputs
from workstation.domain.codes import Role
from workstation.domain.errors import ErrorCode
from workstation.domain.pib import FLOW, PibState
from workstation.errors import InputError, PermissionDenied, Refusal
from workstation.rules.pib_checks import BapInput, LhpInput, LhpItem, SamplingInput, check_signed, parse_form
from workstation.services.base import Actor
from workstation.services.cases import CaseView, ensure_other_user, view
from workstation.services.pib.base import EXAMINER_ROLE, INSPECTOR_ROLE, PibBase, check_seqs, renamed


class InspectionMixin(PibBase):
    def inspection_levels(self) -> tuple[int, ...]:
        """The inspection levels (percent of containers / packages) an IP may name today (rule set
        `[inspection] levels_pct`); the examiner's form offers these."""
        return tuple(self.figures(self.ctx.today()).inspection.levels_pct)

    def record_goods_ready(self, actor: Actor, case_id: uuid.UUID, version: int, *, location: str,
                           ready_on: dt.date | str, contact: str) -> CaseView:
        """The importer's goods-readiness notice: where (TPS) and from when the goods can be inspected.
        Raises InputError REQUIRED, TOO_LONG, DATE_FORMAT, BEFORE_REGISTRATION."""
        location = inputs.text(location, "location", max_len=100)
        contact = inputs.text(contact, "contact", max_len=200)
        day = inputs.date(ready_on, "ready_on")
        with self.ctx.db.write() as s:
            _, pc = self._load(s, case_id)
            if pc.registered_on and day < pc.registered_on:
                raise InputError("before the PIB's registration", code=ErrorCode.BEFORE_REGISTRATION, field="ready_on",
                                 params={"registered_on": pc.registered_on.isoformat()})

            def apply(case: Case) -> dict[str, Any]:
                pc.goods_ready_on, pc.goods_location, pc.goods_contact = day, location, contact
                return {"location": location, "ready_on": day.isoformat()}

            case = self.cases.change(s, actor, case_id, version, FLOW["pib.goods_ready"], apply)
            return view(case)

    # -- Instruksi Pemeriksaan ------------------------------------------------------------------------------
    def issue_instruction(self, actor: Actor, case_id: uuid.UUID, version: int, *, inspector_login: str,
                          level_pct: int | str, containers: Sequence[str] = (), packages: str = "", memo: str = "",
                          sample_requested: bool = False) -> CaseView:
        """Appoint the physical inspector (never the case's examiner, nor the issuer) at one of the rule set's
        levels (`inspection_levels`, percent), naming containers and/or packages. On a case already in
        inspection this re-issues the IP (a new version of the same document) to another inspector or with
        other terms. Raises InputError NOT_ONE_OF (level_pct), CONTAINER_NUMBER, DUPLICATE_VALUE,
        NOT_ON_MANIFEST, NOTHING_TO_INSPECT, UNKNOWN_USER; Refusal ROLE_REQUIRED; PermissionDenied
        SEPARATION_OF_DUTIES."""
        levels = self.inspection_levels()
        level = int(inputs.choice(str(level_pct).strip().rstrip("%"), "level_pct", [str(v) for v in levels]))
        numbers = inputs.container_numbers(containers, "containers")
        packages = inputs.text(packages, "packages", max_len=500, required=False)
        memo = inputs.text(memo, "memo", max_len=2000, required=False)
        if not numbers and not packages:
            raise InputError("name the containers or the packages to inspect", code=ErrorCode.NOTHING_TO_INSPECT,
                             field="containers")
        with self.ctx.db.write() as s:
            case, pc = self._load(s, case_id)
            inspector = self._user(s, inspector_login, "inspector")
            if Role.INSPECTOR.value not in inspector.role_codes:
                raise Refusal(f"{inspector.login} is not a physical inspector", code=ErrorCode.ROLE_REQUIRED,
                              field="inspector", params={"login": inspector.login, "roles": Role.INSPECTOR.value})
            ensure_other_user(actor, inspector.id, "the issuer of the IP cannot be its inspector")
            if case.assigned_to is not None and case.assigned_to == inspector.id:
                raise PermissionDenied("the case's examiner cannot be its physical inspector",
                                       code=ErrorCode.SEPARATION_OF_DUTIES)
            manifest = self._manifest(s, pc.bc11_number, pc.bc11_date, pc.bc11_pos, pc.bc11_subpos)
            if manifest is not None and manifest.containers:
                for n, c in enumerate(numbers):
                    if c not in manifest.containers:
                        raise InputError(f"{c} is not on the PIB's BC 1.1 line", code=ErrorCode.NOT_ON_MANIFEST,
                                         field=f"containers[{n}]", params={"value": c})
            previous = self._current(s, PibInstruction, case_id)
            action = "pib.reissue_ip" if case.state == PibState.INSPECTION else "pib.issue_ip"
            number = (previous.version + 1) if previous else 1

            def apply(case: Case) -> dict[str, Any]:
                if actor.has(Role.EXAMINER) and case.assigned_to is None:
                    case.assigned_to = actor.user_id  # the examiner who sends the case to the hangar owns it
                doc = self._doc(s, case_id)
                d = self._issue(s, actor, docs.IP, partial(
                    docs.instruction, letter=self._letter(), header=self._header(pc, doc),
                    inspector=self._user_person(inspector, INSPECTOR_ROLE),
                    level_pct=level, containers=numbers, packages=packages, memo=memo,
                    sample_requested=sample_requested, location=pc.goods_location or "",
                    issued_by=self._person(actor, EXAMINER_ROLE), version=number),
                    case_id, supersedes_number=previous.document_number if previous else None)
                s.add(PibInstruction(case_id=case_id, version=number, inspector_id=inspector.id, level_pct=level,
                                     containers=numbers, packages=packages, memo=memo,
                                     sample_requested=bool(sample_requested), issued_by=actor.user_id,
                                     issued_at=self.ctx.now(), document_number=d.number))
                pc.inspector_id = inspector.id
                return {"inspector": inspector.login, "level_pct": level, "containers": numbers, "ip": d.number}

            case = self.cases.change(s, actor, case_id, version, FLOW[action], apply)
            return view(case)

    # -- hangar: BAP fisik, BA pengambilan contoh, LHP ----------------------------------------------------
    def _inspector_instruction(self, s: Session, actor: Actor, case_id: uuid.UUID) -> PibInstruction:
        ip: PibInstruction | None = self._current(s, PibInstruction, case_id)
        if ip is None:
            raise Refusal("no Instruksi Pemeriksaan on this case", code=ErrorCode.NO_INSTRUCTION)
        if ip.inspector_id != actor.user_id:
            raise PermissionDenied("only the inspector the IP names may report on it", code=ErrorCode.NOT_ASSIGNED)
        return ip

    def _record_report(self, s: Session, actor: Actor, case: Case, kind: str, content: dict[str, Any],
                       build: Callable[..., Any]) -> tuple[int, str]:
        previous = self._current(s, PibReport, case.id, kind=kind)
        number = previous.version + 1 if previous else 1
        d = self._issue(s, actor, kind, partial(build, version=number), case.id,
                        supersedes_number=previous.document_number if previous else None)
        s.add(PibReport(case_id=case.id, kind=kind, version=number, author_id=actor.user_id, content=content,
                        submitted_at=self.ctx.now(), document_number=d.number, document_version=d.version,
                        supersedes_id=previous.id if previous else None))
        return number, d.number

    def _minutes(self, s: Session, actor: Actor, case: Case, pc: PibCase, kind: str, content: dict[str, Any],
                 build: Callable[..., Any], ip: PibInstruction) -> tuple[int, str]:
        doc = self._doc(s, case.id)
        return self._record_report(s, actor, case, kind, content, partial(
            build, letter=self._letter(), header=self._header(pc, doc), ip_number=ip.document_number,
            minutes=content, inspector=self._person(actor, INSPECTOR_ROLE)))

    def record_bap(self, actor: Actor, case_id: uuid.UUID, version: int, form: BapInput) -> CaseView:
        """BAP fisik, signed by the importer's/PPJK's representative and the inspector. Again = amendment.
        Raises InputError (unsigned); Refusal NO_INSTRUCTION; PermissionDenied NOT_ASSIGNED."""
        check_signed(form)
        content = form.model_dump(mode="json")
        with self.ctx.db.write() as s:
            _, pc = self._load(s, case_id)

            def apply(case: Case) -> dict[str, Any]:
                ip = self._inspector_instruction(s, actor, case_id)
                v, number = self._minutes(s, actor, case, pc, docs.BAP, content, docs.bap, ip)
                return {"bap": number, "report_version": v}

            case = self.cases.change(s, actor, case_id, version, FLOW["pib.record_bap"], apply)
            return view(case)

    def record_sampling(self, actor: Actor, case_id: uuid.UUID, version: int, form: SamplingInput) -> CaseView:
        """BA pengambilan contoh barang, signed by both. Raises as `record_bap`, and UNKNOWN_ITEM."""
        check_signed(form)
        content = form.model_dump(mode="json")
        with self.ctx.db.write() as s:
            _, pc = self._load(s, case_id)

            def apply(case: Case) -> dict[str, Any]:
                ip = self._inspector_instruction(s, actor, case_id)
                check_seqs(self._doc(s, case_id), (x.seq for x in form.samples), "samples")
                v, number = self._minutes(s, actor, case, pc, docs.BA_CONTOH, content, docs.sampling, ip)
                return {"ba_contoh": number, "report_version": v}

            case = self.cases.change(s, actor, case_id, version, FLOW["pib.record_sampling"], apply)
            return view(case)

    def _check_posts(self, items: Sequence[LhpItem], array: str = "items") -> None:
        """Every HS code the inspector read has the digits of a tariff post (rule set). Raises InputError
        HS_CODE naming `items[n].hs_code`."""
        lengths = self.figures(self.ctx.today()).tariff.post_lengths
        for n, item in enumerate(items):
            inputs.hs_code(item.hs_code, f"{array}[{n}].hs_code", lengths=lengths)

    def lhp_item(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """One item row of the LHP being drafted on the hangar screen, checked as the LHP will be (form model
        and tariff-post length), as JSON for the draft. Nothing is stored. Raises InputError naming the field."""
        item = parse_form(LhpItem, values)
        try:
            self._check_posts([item])
        except InputError as exc:
            raise renamed(exc, "hs_code") from None
        return item.model_dump(mode="json")  # type: ignore[no-any-return]

    def submit_lhp(self, actor: Actor, case_id: uuid.UUID, version: int, form: LhpInput) -> CaseView:
        """Record the LHP; locked once submitted. Needs the BAP fisik (Refusal BAP_REQUIRED), the BA contoh
        when the IP asked for samples (SAMPLING_REQUIRED), every container the IP names (InputError
        CONTAINER_NOT_REPORTED) and items that exist in the PIB (UNKNOWN_ITEM). Submitting again while the
        examiner researches is an amendment: a new version of the report and of its document."""
        self._check_posts(form.items)
        content = {**form.model_dump(mode="json"), "conclusion": form.conclusion}
        with self.ctx.db.write() as s:
            case, pc = self._load(s, case_id)
            action = "pib.amend_lhp" if case.state == PibState.RESEARCH else "pib.submit_lhp"

            def apply(case: Case) -> dict[str, Any]:
                ip = self._inspector_instruction(s, actor, case_id)
                doc = self._doc(s, case_id)
                check_seqs(doc, (i.seq for i in form.items), "items")
                reported = {c.number for c in form.containers}
                for c in ip.containers:
                    if c not in reported:
                        raise InputError(f"container {c} of the IP is not reported",
                                         code=ErrorCode.CONTAINER_NOT_REPORTED, field="containers", params={"value": c})
                if self._current(s, PibReport, case_id, kind=docs.BAP) is None:
                    raise Refusal("record the BAP fisik first", code=ErrorCode.BAP_REQUIRED)
                if ip.sample_requested and self._current(s, PibReport, case_id, kind=docs.BA_CONTOH) is None:
                    raise Refusal("the IP asked for samples: record the BA pengambilan contoh first",
                                  code=ErrorCode.SAMPLING_REQUIRED)
                v, number = self._record_report(s, actor, case, docs.LHP, content, partial(
                    docs.lhp, letter=self._letter(), header=self._header(pc, doc), ip_number=ip.document_number,
                    level_pct=ip.level_pct, report=content, conclusion=form.conclusion,
                    inspector=self._person(actor, INSPECTOR_ROLE)))
                return {"lhp": number, "report_version": v, "conclusion": form.conclusion}

            case = self.cases.change(s, actor, case_id, version, FLOW[action], apply)
            return view(case)
