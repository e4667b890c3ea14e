"""Intake at the counter: a pre-arrival import (one e-CD or a feed), a scanned `ECD:` / offline `ECD1:` code,
the look-up of a stored e-CD, and the oral declaration an officer writes for the eligible groups. Each stored
e-CD opens a case with its lane decision (GREEN or RED) in one transaction; storing is idempotent by e-CD id."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Case
from db.models_passenger import EcdDeclaration
from workstation import inputs
from workstation.domain.canonical import canonical_json, sha256_hex
from workstation.domain.ecd import GREEN, RED, EcdDocument, ecd_from_obj, parse_ecd
from workstation.domain.errors import ErrorCode
from workstation.errors import InputError, NotFound, Refusal
from workstation.rules.ecd import ORAL_GROUPS, age_on, assess, compile_rules, oral_declaration_allowed
from workstation.rules.scan import decode_scan
from workstation.services.base import Actor, require_role
from workstation.services.ecd.base import IMPORTERS, KIND, OFFICERS, EcdBase
from workstation.services.ecd.views import EcdView, ImportResult, OralForm


def _at_position(exc: InputError | Refusal, i: int, ecd_id: str) -> InputError | Refusal:
    """The same error, naming the document's position in a batch: `[3].goods[0].value`, or `[3] ECD-…: …`."""
    if isinstance(exc, InputError):
        exc.field = f"[{i}].{exc.field}" if exc.field else f"[{i}]"
        exc.params["field"] = exc.field
    else:
        exc.message = f"[{i}] {ecd_id}: {exc.message}"
    exc.params["position"] = i
    exc.args = (exc.message,)
    return exc


class IntakeMixin(EcdBase):
    def import_ecd(self, actor: Actor, text: str | bytes, *, source: str = "ecd") -> ImportResult:
        """Store one ecd/1 document (pre-arrival) with its lane decision. Idempotent by ecd_id: the same
        document again changes nothing; a different document under a stored id is refused."""
        require_role(actor, *IMPORTERS, action="import e-CDs")
        doc = parse_ecd(text, source=source)
        return self._store(actor, doc, "import")

    def import_documents(self, actor: Actor, documents: Sequence[EcdDocument], *,
                         source: str = "import") -> list[ImportResult]:
        """Store several e-CDs (a pre-arrival feed). All are checked first (window, rates, conflicting ids):
        one bad document refuses the whole batch, naming it by position, and nothing is written."""
        require_role(actor, *IMPORTERS, action="import e-CDs")
        rates = self._rates()
        seen: dict[str, str] = {}
        for i, doc in enumerate(documents):
            digest = sha256_hex(canonical_json(doc.to_json()))
            if seen.setdefault(doc.ecd_id, digest) != digest:
                raise InputError(f"{doc.ecd_id} appears twice with different content", field=f"[{i}].ecd_id",
                                 code=ErrorCode.DUPLICATE_VALUE, params={"value": doc.ecd_id})
            try:
                _check_printable(doc)
                with self.ctx.db.read() as s:
                    if self._existing(s, doc.ecd_id, digest) is not None:
                        continue
                assess(doc, rates, ruleset=self.ruleset(doc.arrival.date))
            except (InputError, Refusal) as exc:
                raise _at_position(exc, i, doc.ecd_id) from None
        return [self._store(actor, doc, source) for doc in documents]

    def scan(self, actor: Actor, text: str) -> EcdView:
        """A scanned `ECD:<id>` (the stored e-CD) or `ECD1:<payload>` (stored on first scan, idempotent)."""
        require_role(actor, *OFFICERS, action="work the passenger counter")
        decoded = decode_scan(text or "")
        if decoded.kind != "ecd":
            what = "nothing readable" if decoded.kind == "unknown" else f"a {decoded.kind} code"
            reason = f"{what}; expected an e-CD code ECD:<id> or ECD1:<payload>"
            raise InputError(reason, field="scan", code=ErrorCode.INVALID_SCAN, params={"reason": reason})
        if not decoded.valid:
            detail = decoded.detail
            where = f" at {detail['field']}" if detail.get("field") else ""
            reason = f"e-CD code not readable: {detail.get('error', 'invalid')}{where}"
            raise InputError(reason, field="scan", code=ErrorCode.INVALID_SCAN, params={"reason": reason})
        if decoded.document is None:
            return self.find(decoded.value)
        return self._store(actor, decoded.document, "scan").view

    def find(self, ecd_id: str) -> EcdView:
        """The stored e-CD `ecd_id`. Raises NotFound UNKNOWN_ECD (the message says how to store it)."""
        with self.ctx.db.read() as s:
            row = s.execute(select(EcdDeclaration, Case).join(Case, Case.id == EcdDeclaration.case_id)
                            .where(EcdDeclaration.ecd_id == ecd_id)).first()
            if row is None:
                raise NotFound(f"no stored e-CD {ecd_id}; scan the passenger's offline code (ECD1) or import it",
                               field="scan", code=ErrorCode.UNKNOWN_ECD, params={"value": ecd_id})
            return self._view(s, row[1], row[0])

    def get(self, case_id: uuid.UUID) -> EcdView:
        """The e-CD case `case_id` as the counter shows it. Raises NotFound UNKNOWN_CASE."""
        with self.ctx.db.read() as s:
            case = self.cases.get(s, case_id, kind=KIND)
            return self._view(s, case, self._decl(s, case_id))

    def _store(self, actor: Actor, doc: EcdDocument, source: str, *, oral_group: str | None = None) -> ImportResult:
        _check_printable(doc)
        doc_json = canonical_json(doc.to_json())
        digest = sha256_hex(doc_json)
        if oral_group is None:
            with self.ctx.db.read() as s:
                known = self._existing(s, doc.ecd_id, digest)
                if known is not None:
                    return ImportResult(known, False)
        rs = self.ruleset(doc.arrival.date)
        decision = assess(doc, self._rates(), ruleset=rs)  # refusals and missing rates: nothing written
        with self.ctx.db.write() as s:
            if oral_group is not None:  # numbered under the write lock: two counters never take the same id
                prefix = f"ORAL-{doc.arrival.date:%Y%m%d}-"
                n = s.scalar(select(func.count()).select_from(EcdDeclaration)
                             .where(EcdDeclaration.ecd_id.startswith(prefix))) or 0
                doc = doc.model_copy(update={"ecd_id": f"{prefix}{n + 1:04d}"})
                decision = decision._replace(ecd_id=doc.ecd_id)
                doc_json = canonical_json(doc.to_json())
                digest = sha256_hex(doc_json)
            known = self._existing(s, doc.ecd_id, digest)  # another counter may have stored it meanwhile
            if known is not None:
                return ImportResult(known, False)
            # risk targeting (#16): profiles and the random draw may send the case red; an officer sees
            # RISK_PROFILE for both (a random selection is not told apart before the inspection)
            from workstation.services.risk.selection import record_selection, select_for_ecd

            risk = select_for_ecd(s, doc, doc.arrival.date, goods_usd=decision.assessment.goods_usd)
            if risk.shown_reasons:
                decision = decision.with_reasons(*risk.shown_reasons)
            d = doc.declarant
            record = decision.to_record()
            # Only what a queue line shows; duties, billing and release live in the e-CD tables (queries.py).
            summary = {"flight": doc.arrival.flight or "", "name": d.name, "passport": d.passport,
                       "persons": doc.persons}
            lane = decision.lane.value
            case = self.cases.open(
                s, actor, kind=KIND, reference=doc.ecd_id, state=RED if lane == "red" else GREEN, lane=lane,
                reasons=decision.reasons, summary=summary, opened_on=doc.arrival.date,
                audit_data={"source": source, "ecd_sha256": digest, "lane": lane, "reasons": list(decision.reasons),
                            "referrals": list(decision.referrals), "ruleset": decision.ruleset,
                            "ruleset_sha256": decision.ruleset_sha256, "total_idr": decision.assessment.total_idr,
                            "risk": risk.to_record(), **({"oral_group": oral_group} if oral_group else {})})
            if risk.flags:
                case.flags = sorted({*(case.flags or []), *risk.flags})
            decl = EcdDeclaration(
                case_id=case.id, ecd_id=doc.ecd_id, source=source, submitted_at=doc.submitted_at,
                arrival_date=doc.arrival.date, port=doc.arrival.port, flight=doc.arrival.flight or "", name=d.name,
                passport=d.passport, nationality=d.nationality, traveller_type=d.traveller_type.value,
                persons=doc.persons, oral_group=oral_group, document_json=doc_json, document_sha256=digest,
                received_at=self.ctx.now(), received_by=actor.user_id)
            s.add(decl)
            record_selection(s, case.id, risk, self.ctx.now())
            self._add_decision(s, case, "INITIAL", record, actor)
            self.services.reference.record_ruleset(s, rs)
            s.flush()
            return ImportResult(self._view(s, case, decl, created=True), True)

    def _existing(self, s: Session, ecd_id: str, digest: str) -> EcdView | None:
        row = s.execute(select(EcdDeclaration, Case).join(Case, Case.id == EcdDeclaration.case_id)
                        .where(EcdDeclaration.ecd_id == ecd_id)).first()
        if row is None:
            return None
        decl, case = row
        if decl.document_sha256 != digest:
            raise Refusal(f"another e-CD is already stored as {ecd_id}; nothing changed", code=ErrorCode.ECD_ID_CONFLICT,
                          params={"value": ecd_id})
        return self._view(s, case, decl)

    def record_oral(self, actor: Actor, form: OralForm) -> EcdView:
        """An oral declaration for the eligible groups (over 60, disabled, regular hajj, VVIP per the rule
        set): stored as an e-CD written by the officer (source `oral`) and decided like any other."""
        require_role(actor, *OFFICERS, action="record oral declarations")
        group = inputs.choice(form.group, "group", ORAL_GROUPS, upper=False)
        today = self.ctx.today()
        rs = self.ruleset(today)
        rules = compile_rules(rs)
        goods = []
        for i, (description, value, currency, personal) in enumerate(form.goods):
            goods.append({"description": inputs.text(description, f"goods[{i}].description", max_len=500),
                          "quantity": 1, "unit": "PCE",
                          "value": format(inputs.decimal(value, f"goods[{i}].value"), "f"),
                          "currency": inputs.currency(currency, f"goods[{i}].currency"), "personal_use": bool(personal)})
        cash = [{"currency": inputs.currency(cur, f"cash[{i}].currency"),
                 "amount": format(inputs.decimal(amount, f"cash[{i}].amount"), "f"), "bearer_instrument": False}
                for i, (cur, amount) in enumerate(form.cash)]
        now_local = self.ctx.now().astimezone(self.ctx.settings.zone)
        obj = {  # the ecd_id is numbered when stored
            "format": "ecd/1", "ecd_id": "ORAL-PENDING", "submitted_at": now_local.isoformat(timespec="seconds"),
            "arrival": {"date": today.isoformat(), "port": inputs.text(form.port, "port", max_len=5).upper(),
                        **({"flight": inputs.text(form.flight, "flight", max_len=20).upper()} if form.flight else {})},
            "declarant": {"name": inputs.text(form.name, "name", max_len=500),
                          "passport": inputs.text(form.passport, "passport", max_len=100).upper(),
                          "nationality": inputs.text(form.nationality, "nationality", max_len=3).upper(),
                          "birth_date": str(form.birth_date).strip(), "traveller_type": form.traveller_type,
                          "npwp": form.npwp or None},
            "family_members": [{"name": n, "passport": p, "birth_date": str(b)} for n, p, b in form.family],
            "goods": goods,
            "excise": {"cigarettes": 0, "cigars": 0, "sliced_tobacco_g": 0, "alcohol_l": "0"},
            "cash": cash,
            "carrying": {"animals_fish_plants": False, "narcotics_psychotropics": False,
                         "weapons_ammunition_explosives": False, "pornography": False},
        }
        doc = ecd_from_obj(obj)  # errors name the path (declarant.birth_date, arrival.port ...)
        d = doc.declarant
        age = age_on(d.birth_date, today)
        holds = {"over_60": age >= rules.oral_min_age, "disabled": True, "vvip": True,
                 "hajj_regular": d.traveller_type.value == "hajj_regular"}[group]
        allowed = group in rules.oral_groups and holds and oral_declaration_allowed(
            rules, traveller_type=d.traveller_type.value, age=age, disabled=group == "disabled", vvip=group == "vvip")
        if not allowed:
            raise Refusal(f"oral declaration is not allowed for {group} (age {age}, {d.traveller_type.value}) "
                          f"under {rules.id}; the passenger files an e-CD", code=ErrorCode.ORAL_NOT_ALLOWED,
                          params={"group": group, "age": age, "ruleset": rules.id})
        return self._store(actor, doc, "oral", oral_group=group).view


def _check_printable(doc: EcdDocument) -> None:
    """Names and descriptions go onto official documents: a script no embedded font can draw is refused at
    intake (InputError UNDRAWABLE_TEXT naming the field), never printed as empty boxes (issue #13 item 7)."""
    from printing.fonts import check_all_drawable

    check_all_drawable([("declarant.name", doc.declarant.name),
                        *((f"family_members[{i}].name", m.name) for i, m in enumerate(doc.family_members)),
                        *((f"goods[{i}].description", g.description) for i, g in enumerate(doc.goods))])
