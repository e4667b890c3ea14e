"""What every PIB use case shares: loading a case and its current document, the reference rows, the rule set,
issuing documents (letterhead, header, persons), the gapless billing and registration numbers, and the two
documents more than one use case issues (SPJM at registration, SPPB after a determination or a payment).

Each use-case module (intake, payment, inspection, research, determination, release, sla, detail) is a mixin
on `PibBase`; `workstation.services.pib.PibService` composes them."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import changes, numbering
from db.models import Case, Document, User
from db.models_pib import Bc11Line, LartasRule, PibCase, PibInstruction, PibSubmission, TariffPost
from db.models_plp import TpsContainer
from printing.documents import pib as docs
from workstation import inputs
from workstation.domain.codes import CaseKind, Role
from workstation.domain.errors import ErrorCode
from workstation.domain.pib import FLOW, Levies, PibDocument
from workstation.errors import InputError, NotFound, Refusal
from workstation.rules import pib as rules
from workstation.rules.pib_checks import LartasRow, ManifestLine, TariffRow
from workstation.rules.ruleset import RuleSet, ruleset_for
from workstation.services.base import Actor
from workstation.services.cases import CaseOps
from workstation.services.issuance import IssuedDocument
from workstation.services.pib.views import FormLimits

EXAMINER_ROLE = ("Pejabat Pemeriksa Dokumen", "Document examiner")
INSPECTOR_ROLE = ("Pemeriksa Fisik", "Physical inspector")


class HasState(Protocol):
    """Anything a screen holds for a case: a PibDetail, a QueueRow, a CaseView."""

    @property
    def state(self) -> str: ...


# -- plain helpers -------------------------------------------------------------------------------------------


def read_text(path: str | Path | None, text: str | bytes | None, what: str) -> tuple[str, str]:
    """(text, label) from a file or given text. Raises InputError REQUIRED (no file), FILE_UNREADABLE (the
    field is the path), NOT_UTF8."""
    if text is not None:
        if isinstance(text, bytes):
            try:
                return text.decode("utf-8"), what
            except UnicodeDecodeError:
                raise InputError(code=ErrorCode.NOT_UTF8, field=what) from None
        return text, what
    if path is None:
        raise InputError(f"no {what} file given", code=ErrorCode.REQUIRED, field="file")
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8-sig"), p.name
    except FileNotFoundError:
        reason = "file not found"
    except IsADirectoryError:
        reason = "is a directory, not a file"
    except UnicodeDecodeError:
        raise InputError(code=ErrorCode.NOT_UTF8, field=str(path)) from None
    except OSError as exc:
        reason = exc.strerror or "cannot read"
    raise InputError(reason, code=ErrorCode.FILE_UNREADABLE, field=str(path), params={"reason": reason})


def issued(d: Document) -> IssuedDocument:
    return IssuedDocument(d.id, d.doc_type, d.number, d.version, d.seq, d.issue_date, d.content_hash, d.signature,
                          d.status, d.case_id)


def bc11_text(pc: PibCase) -> str:
    return f"{pc.bc11_number} / {pc.bc11_date.isoformat()} pos {pc.bc11_pos} sub-pos {pc.bc11_subpos}"


def item_rows(doc: PibDocument) -> list[dict[str, Any]]:
    return [{"seq": i.seq, "hs_code": i.hs_code, "description": i.description, "quantity": format(i.quantity, "f"),
             "unit": i.unit, "cif": f"{doc.currency} {format(i.cif, 'f')}"} for i in doc.items]


def renamed(err: InputError, field: str) -> InputError:
    """The same error (code, parameters, message) naming the form's field instead of the parser's."""
    err.field = field
    err.params = {**err.params, "field": field}
    return err


def check_seqs(doc: PibDocument, seqs: Iterable[int], array: str) -> None:
    """Every seq names an item of the PIB. Raises InputError UNKNOWN_ITEM (field `array[n].seq`)."""
    known = {i.seq for i in doc.items}
    for n, seq in enumerate(seqs):
        if seq not in known:
            raise InputError(f"the PIB has no item {seq}", code=ErrorCode.UNKNOWN_ITEM, field=f"{array}[{n}].seq",
                             params={"seq": seq})


# -- the base of every use case ------------------------------------------------------------------------------


class PibBase:
    """Shared state and lookups. `services` is the application's Services (issuance, reference, cases)."""

    def __init__(self, services: Any):
        self.services = services
        self.ctx = services.ctx

    @property
    def cases(self) -> CaseOps:
        return self.services.cases  # type: ignore[no-any-return]

    # -- what a user may do -------------------------------------------------------------------------------
    @staticmethod
    def allowed_actions(actor: Actor, case: HasState) -> frozenset[str]:
        """The transition ids of `workstation.domain.pib.FLOW` this user may take on a case in its state (the
        screens grey out the rest). Derived from the table alone; preconditions that are not about state
        (unpaid billing, missing BAP, open requests…) are refused by the use case itself, with their code."""
        return FLOW.allowed(case.state, actor.roles)

    # -- rule set -------------------------------------------------------------------------------------------
    def ruleset(self, day: dt.date) -> RuleSet:
        return ruleset_for(rules.KIND, day, self.ctx.settings.rulesets_dir)

    def figures(self, day: dt.date) -> rules.PibRules:
        """The validated figures of the rule set in force on `day` (a missing key is the rule set's error)."""
        return rules.pib_rules(self.ruleset(day))

    def form_limits(self) -> FormLimits:
        """Today's rule-set figures the screens' forms need (levels to offer, HS field length)."""
        figures = self.figures(self.ctx.today())
        return FormLimits(tuple(figures.inspection.levels_pct), tuple(figures.tariff.post_lengths))

    def _ruleset_near(self, day: dt.date, fallback: dt.date) -> RuleSet:
        """The rule set of `day`, or today's when none was in force then (a queue must still show the row)."""
        try:
            return self.ruleset(day)
        except Refusal:
            return self.ruleset(fallback)

    # -- documents ------------------------------------------------------------------------------------------
    def _letter(self) -> docs.Letter:
        o = self.ctx.settings.office
        return docs.Letter(office=self.services.issuance.office_info(), place=o.city or o.name)

    @staticmethod
    def _person(actor: Actor, role: tuple[str, str]) -> docs.Person:
        return docs.Person(name=actor.full_name, role=role[0], role_en=role[1], nip=actor.nip or None)

    @staticmethod
    def _user_person(user: User, role: tuple[str, str]) -> docs.Person:
        return docs.Person(name=user.full_name, role=role[0], role_en=role[1], nip=user.nip or None)

    def _header(self, pc: PibCase, doc: PibDocument) -> docs.PibHeader:
        return docs.PibHeader(aju=pc.aju, importer_name=pc.importer_name, importer_npwp=pc.importer_npwp,
                              bc11=bc11_text(pc), bl=f"{doc.bl.number} / {doc.bl.date.isoformat()}",
                              arrival_date=pc.arrival_date, registration_number=pc.registration_number,
                              registered_on=pc.registered_on)

    def _issue(self, s: Session, actor: Actor, doc_type: str, build: Callable[..., Any],
               case_id: uuid.UUID, *, supersedes_number: str | None = None) -> IssuedDocument:
        supersedes = None
        if supersedes_number is not None:
            row = s.scalars(select(Document).where(Document.number == supersedes_number)
                            .order_by(Document.version.desc()).limit(1)).first()
            supersedes = issued(row) if row is not None else None
        return self.services.issuance.issue_in(  # type: ignore[no-any-return]
            s, actor, doc_type, build, case_id=case_id, supersedes=supersedes)

    def _next_code(self, s: Session, actor: Actor, doc_type: str) -> tuple[int, int]:
        year = self.ctx.today().year
        unit = changes.numbering_unit(s, actor.unit_code or self.ctx.settings.unit_code) or ""
        return numbering.next_seq(s, numbering.CounterKey(actor.office_code, unit, doc_type, year)), year

    def _billing_code(self, s: Session, actor: Actor) -> str:
        # 15 digits like a SIMPONI billing code: 8, office, year, sequence (gapless per office and year); a field
        # unit's from the block of its enrolment, as e-CD billing codes (services/ecd/settlement.billing_code)
        seq, year = self._next_code(s, actor, "BILLING")
        slot = changes.billing_slot(s)
        if slot is not None:
            if seq >= 1_000:
                raise Refusal("this unit's block of billing codes is exhausted for this year; re-enrol it",
                              code=ErrorCode.BILLING_SEQUENCE)
            return f"8{actor.office_code}{year % 100:02d}9{slot:02d}{seq:03d}"
        return f"8{actor.office_code}{year % 100:02d}{seq:06d}"

    def _register(self, s: Session, actor: Actor, case: Case, pc: PibCase, doc: PibDocument, *,
                  billing_code: str | None, levies: Levies | dict[str, int]) -> str:
        """SKP registration: the PIB's gapless number and date, and the SPJM. The determination clock starts.
        Returns the SPJM's number."""
        seq, _ = self._next_code(s, actor, "PIB")
        unit = changes.numbering_unit(s, actor.unit_code or self.ctx.settings.unit_code)
        pc.registration_number = f"{unit}-{seq:06d}" if unit else f"{seq:06d}"
        pc.registered_on = self.ctx.today()
        s.flush()
        lev = levies.as_json() if isinstance(levies, Levies) else dict(levies)
        d = self._issue(s, actor, docs.SPJM, partial(
            docs.spjm, letter=self._letter(), header=self._header(pc, doc), items=item_rows(doc),
            billing_code=billing_code, levies=lev, lartas=list(pc.lartas or [])), case.id)
        return d.number

    def _issue_sppb(self, s: Session, actor: Actor, case: Case, pc: PibCase, doc: PibDocument, basis: str) -> str:
        """The release approval (after a determination or the SPTNP payment). Returns its number."""
        ip = self._current(s, PibInstruction, case.id)
        d = self._issue(s, actor, docs.SPPB, partial(
            docs.sppb, letter=self._letter(), header=self._header(pc, doc),
            containers=list(ip.containers) if ip else [], location=pc.goods_location or "", basis=basis,
            officer=self._person(actor, EXAMINER_ROLE)), case.id)
        pc.sppb_on = self.ctx.today()
        return d.number

    # -- loading --------------------------------------------------------------------------------------------
    def _load(self, s: Session, case_id: uuid.UUID) -> tuple[Case, PibCase]:
        case = self.cases.get(s, case_id, kind=CaseKind.PIB.value)
        pc = s.get(PibCase, case_id)
        if pc is None:
            raise NotFound("no such PIB", field="case", code=ErrorCode.UNKNOWN_CASE)
        return case, pc

    def _doc(self, s: Session, case_id: uuid.UUID, *, accepted_only: bool = True) -> PibDocument:
        """The case's current PIB as the domain model: the last accepted submission (else the last one), in the
        format it was received in (pib/1 or CEISA BC 2.0: workstation.formats.read_pib). Raises NotFound
        UNKNOWN_CASE."""
        q = select(PibSubmission.document).where(PibSubmission.case_id == case_id)
        if accepted_only:
            q = q.where(PibSubmission.accepted.is_(True))
        text = s.scalar(q.order_by(PibSubmission.version.desc()).limit(1))
        if text is None:
            text = s.scalar(select(PibSubmission.document).where(PibSubmission.case_id == case_id)
                            .order_by(PibSubmission.version.desc()).limit(1))
        if text is None:
            raise NotFound("no PIB document for this case", field="case", code=ErrorCode.UNKNOWN_CASE)
        from workstation.formats import read_pib

        return read_pib(text)

    @staticmethod
    def _current(s: Session, model: Any, case_id: uuid.UUID, **where: Any) -> Any:
        """The latest version of a versioned detail row (instruction, report, determination…), or None."""
        q = select(model).where(model.case_id == case_id)
        for k, v in where.items():
            q = q.where(getattr(model, k) == v)
        return s.scalars(q.order_by(model.version.desc()).limit(1)).first()

    @staticmethod
    def _tariff_rows(s: Session, codes: Iterable[str]) -> dict[str, TariffRow]:
        wanted = sorted(set(codes))
        if not wanted:
            return {}
        return {t.hs_code: TariffRow(t.hs_code, t.description, Decimal(t.bm_rate))
                for t in s.scalars(select(TariffPost).where(TariffPost.hs_code.in_(wanted)))}

    @staticmethod
    def _lartas_rows(s: Session) -> list[LartasRow]:
        return [LartasRow(r.hs_prefix, r.permit, r.agency) for r in s.scalars(select(LartasRule))]

    @staticmethod
    def _manifest(s: Session, number: str, date: dt.date, pos: str, subpos: str) -> ManifestLine | None:
        r = s.scalar(select(Bc11Line).where(Bc11Line.number == number, Bc11Line.date == date, Bc11Line.pos == pos,
                                            Bc11Line.subpos == subpos))
        if r is None:
            return None
        return ManifestLine(r.number, r.date, r.pos, r.subpos, r.bl_number, r.bl_date, r.consignee, r.packages,
                            r.package_unit, tuple(r.containers or ()))

    def _storage_start(self, s: Session, pc: PibCase) -> dt.date:
        """THE start of a PIB's 30-day TPS clock (BTD), the one date every screen, queue and report uses: the
        first storage in a TPS of any container of the PIB's BC 1.1 line, from the PLP registry's stored-container
        records (the clock keeps counting across PLP moves), as a business date in the office's zone; the manifest
        arrival date when the registry has none of them."""
        line = self._manifest(s, pc.bc11_number, pc.bc11_date, pc.bc11_pos, pc.bc11_subpos)
        numbers = sorted({c.strip().upper() for c in (line.containers if line else ()) if c})
        first = None
        if numbers:
            first = s.scalar(select(func.min(TpsContainer.first_stored_at)).where(TpsContainer.number.in_(numbers)))
        if first is None:
            return pc.arrival_date
        if first.tzinfo is None:  # stored in UTC without a zone (SQLite)
            first = first.replace(tzinfo=dt.UTC)
        return first.astimezone(self.ctx.settings.zone).date()

    def _user(self, s: Session, login: str, field: str) -> User:
        """An active user by login. Raises InputError UNKNOWN_USER naming `field`."""
        name = inputs.text(login, field, max_len=64)
        user = s.scalar(select(User).where(User.login == name))
        if user is None or not user.active:
            raise InputError(f"no active user {login!r}", code=ErrorCode.UNKNOWN_USER, field=field,
                             params={"value": name})
        return user

    def command_line_actor(self, login: str) -> Actor:
        """The named officer on whose behalf a shell command acts (issued documents need a real issuer).
        No session: audit entries show `cli:<login>`; whoever runs commands holds the database anyway."""
        with self.ctx.db.read() as s:
            user = self._user(s, login, "as")
            roles = frozenset(Role(r) for r in user.role_codes)
            return Actor(user.id, f"cli:{user.login}"[:32], user.full_name, roles, None, user.office_code,
                         self.ctx.settings.unit_code, user.nip)
