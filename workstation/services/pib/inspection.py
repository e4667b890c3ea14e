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

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Case, User
from db.models_pib import PibCase, PibInstruction, PibReport
from printing.documents import pib as docs
from workstation import inputs
from workstation.domain.codes import Role
from workstation.domain.errors import ErrorCode
from workstation.domain.pib import FLOW, PibState
from workstation.errors import InputError, PermissionDenied, Refusal
from workstation.rules.pib_checks import BapInput, LhpInput, LhpItem, SamplingInput, check_signed, parse_form
from workstation.services.base import Actor, require_role
from workstation.services.cases import CaseView, ensure_other_user, view
from workstation.services.pib.base import EXAMINER_ROLE, INSPECTOR_ROLE, PibBase, check_seqs, renamed
from workstation.services.pib.views import ReportInfo


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

    def _check_lhp(self, s: Session, actor: Actor, case: Case, form: LhpInput) -> tuple[PibInstruction, Any]:
        """What an LHP needs before it is recorded (submission, amendment and their preview alike): the IP names
        this inspector, the items exist in the PIB, every container of the IP is reported, the BAP fisik (and
        the BA contoh when samples were asked) is recorded. Returns the IP and the PIB document."""
        ip = self._inspector_instruction(s, actor, case.id)
        doc = self._doc(s, case.id)
        check_seqs(doc, (i.seq for i in form.items), "items")
        reported = {c.number for c in form.containers}
        for c in ip.containers:
            if c not in reported:
                raise InputError(f"container {c} of the IP is not reported",
                                 code=ErrorCode.CONTAINER_NOT_REPORTED, field="containers", params={"value": c})
        if self._current(s, PibReport, case.id, kind=docs.BAP) is None:
            raise Refusal("record the BAP fisik first", code=ErrorCode.BAP_REQUIRED)
        if ip.sample_requested and self._current(s, PibReport, case.id, kind=docs.BA_CONTOH) is None:
            raise Refusal("the IP asked for samples: record the BA pengambilan contoh first",
                          code=ErrorCode.SAMPLING_REQUIRED)
        return ip, doc

    def _lhp_builder(self, actor: Actor, pc: PibCase, doc: Any, ip: PibInstruction, form: LhpInput,
                     content: dict[str, Any]) -> Callable[..., Any]:
        return partial(docs.lhp, letter=self._letter(), header=self._header(pc, doc), ip_number=ip.document_number,
                       level_pct=ip.level_pct, report=content, conclusion=form.conclusion,
                       inspector=self._person(actor, INSPECTOR_ROLE))

    def preview_lhp(self, actor: Actor, case_id: uuid.UUID, form: LhpInput) -> str:
        """The LHP document the submission (or, in research, the amendment) would issue, as text, before
        anything is written (number still blank; an amendment shows the version it amends). Checks everything
        the submission checks, so what is confirmed can be submitted. Raises as `submit_lhp` / `amend_lhp`."""
        self._check_posts(form.items)
        content = {**form.model_dump(mode="json"), "conclusion": form.conclusion}
        with self.ctx.db.read() as s:
            case, pc = self._load(s, case_id)
            action = "pib.amend_lhp" if case.state == PibState.RESEARCH else "pib.submit_lhp"
            transition = FLOW[action]
            require_role(actor, *transition.roles, action=transition.action)
            if case.state not in transition.from_states:
                raise Refusal(code=ErrorCode.INVALID_STATE, params={"action": transition.action, "state": case.state})
            ip, doc = self._check_lhp(s, actor, case, form)
            previous = self._current(s, PibReport, case_id, kind=docs.LHP)
            number = previous.version + 1 if previous else 1
            build = partial(self._lhp_builder(actor, pc, doc, ip, form, content), version=number)
            result: str = self.services.issuance.preview(build)
            return result

    def lhp_versions(self, actor: Actor, case_id: uuid.UUID) -> tuple[ReportInfo, ...]:
        """Every recorded version of the case's LHP, oldest first: an amendment adds one, none is changed.
        PermissionDenied ROLE_REQUIRED (as seeing a PIB), NotFound for an unknown case."""
        require_role(actor, Role.EXAMINER, Role.SUPERVISOR, Role.INSPECTOR, Role.ADMIN, action="see PIBs")
        with self.ctx.db.read() as s:
            self._load(s, case_id)
            rows = list(s.scalars(select(PibReport).where(PibReport.case_id == case_id, PibReport.kind == docs.LHP)
                                  .order_by(PibReport.version)))
            logins = dict(s.execute(select(User.id, User.login).where(User.id.in_({r.author_id for r in rows})))
                          .all()) if rows else {}
            return tuple(ReportInfo(r.kind, r.version, r.author_id, logins.get(r.author_id, "?"), dict(r.content),
                                    r.submitted_at, r.document_number) for r in rows)

    def submit_lhp(self, actor: Actor, case_id: uuid.UUID, version: int, form: LhpInput) -> CaseView:
        """Record the LHP; locked once submitted (a case in research has one: `amend_lhp` is the explicit way
        to a new version; this refuses it, INVALID_STATE). Needs the BAP fisik (Refusal BAP_REQUIRED), the BA
        contoh when the IP asked for samples (SAMPLING_REQUIRED), every container the IP names (InputError
        CONTAINER_NOT_REPORTED) and items that exist in the PIB (UNKNOWN_ITEM)."""
        return self._record_lhp(actor, case_id, version, form, "pib.submit_lhp")

    def amend_lhp(self, actor: Actor, case_id: uuid.UUID, version: int, form: LhpInput, *, reason: str) -> CaseView:
        """An amendment of the submitted LHP while the examiner researches: a new version of the report and of
        its document (the LHP document's next version, "Perubahan ke n"), with the reason in the report and
        the audit trail. Every earlier version stays as it was recorded. Raises InputError REQUIRED / TOO_LONG
        (reason) and as `submit_lhp`; Refusal INVALID_STATE outside research."""
        reason = inputs.text(reason, "reason", max_len=500)
        return self._record_lhp(actor, case_id, version, form, "pib.amend_lhp", reason=reason)

    def _record_lhp(self, actor: Actor, case_id: uuid.UUID, version: int, form: LhpInput, action: str, *,
                    reason: str = "") -> CaseView:
        self._check_posts(form.items)
        content = {**form.model_dump(mode="json"), "conclusion": form.conclusion}
        if reason:
            content["amendment_reason"] = reason
        with self.ctx.db.write() as s:
            _, pc = self._load(s, case_id)

            def apply(case: Case) -> dict[str, Any]:
                ip, doc = self._check_lhp(s, actor, case, form)
                v, number = self._record_report(s, actor, case, docs.LHP, content,
                                                self._lhp_builder(actor, pc, doc, ip, form, content))
                audit = {"lhp": number, "report_version": v, "conclusion": form.conclusion}
                return {**audit, "reason": reason} if reason else audit

            case = self.cases.change(s, actor, case_id, version, FLOW[action], apply)
            return view(case)
