"""PLP requests in: a plp/1 document or a TPS Online PLP request (file, `plp import`, or the request screen's
form; the format is detected from the content, workstation/formats/tpsonline.py) is parsed, checked by
the rules plus the office's own records (registry occupancy, unknown TPS, unreported movements, PIB on record)
and registered — an eligible request waits for the decision, one that is not is kept REJECTED with its refusals
and a numbered refusal letter."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Case
from db.models_plp import PlpLine, PlpRequestRow, Tps
from workstation import inputs
from workstation.domain.errors import ErrorCode
from workstation.domain.plp import LINE_OPEN, OFFICERS, LineState, PlpRefusal, PlpRequest, PlpState
from workstation.errors import InputError, NotFound
from workstation.formats.tpsonline import read_request
from workstation.rules.plp import check_plp
from workstation.rules.ruleset import RuleSet
from workstation.services.base import Actor, require_role
from workstation.services.plp.common import (
    KIND,
    UNKNOWN_TPS,
    UNREPORTED_MOVEMENTS,
    ImportDeclaredHook,
    PlpBase,
    container_key,
)
from workstation.services.plp.registry import registry_pct, registry_warnings
from workstation.services.plp.views import PlpDetail, PlpEvaluation

CONTAINER_SIZES = ("20", "40", "45")


def request_from_form(*, office: str, applicant: str, reason: str, origin: str, origin_yor: str,
                      destination: str, destination_yor: str, port: str, bc11_number: str, bc11_date: str,
                      import_declared: bool, containers: str, packages: str) -> str:
    """The plp/1 JSON of a request typed in on the request screen. Containers: one per line (or ';'),
    'CSQU3054383 40'; packages: 'BL-OR-AWB QUANTITY KIND', e.g. 'MAEU123456789 12 PK'; YOR in % ('71,5'
    accepted); the BC 1.1 date day first ('18-11-2026') or ISO. The result still goes through parse_plp, so a
    form and a file are checked alike. Raises InputError PATTERN (containers, packages) or a number's code."""

    def rows(text: str) -> list[tuple[int, list[str]]]:
        parts = [p for chunk in (text or "").splitlines() for p in chunk.split(";")]
        return [(n, p.replace(",", " ").split()) for n, p in enumerate(parts, 1) if p.strip()]

    container_rows = []
    for n, tokens in rows(containers):
        # several containers may share a line; a number split by spaces ('CSQU 305438 3') is joined up to its
        # size, which never looks like a part of a container number
        parts: list[str] = []
        for token in tokens:
            if token in CONTAINER_SIZES and parts:
                container_rows.append({"number": "".join(parts).upper(), "size": token})
                parts = []
            else:
                parts.append(token)
        if parts:
            raise InputError(f"line {n}: container number and size (20, 40 or 45), e.g. 'CSQU3054383 40'",
                             code=ErrorCode.PATTERN, field="containers", params={"example": "CSQU3054383 40"})
    package_rows = []
    for n, tokens in rows(packages):
        if len(tokens) < 3 or not tokens[-2].isdigit():
            raise InputError(f"line {n}: B/L or AWB, quantity and package kind, e.g. 'MAEU123456789 12 PK'",
                             code=ErrorCode.PATTERN, field="packages", params={"example": "MAEU123456789 12 PK"})
        package_rows.append({"bl_awb": " ".join(tokens[:-2]), "quantity": int(tokens[-2]),
                             "kind": tokens[-1].upper()})

    def pct(value: str, field: str) -> str:
        return format(inputs.decimal(value, field, comma=True), "f")

    day = bc11_date.strip()
    m = re.fullmatch(r"([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{4})", day)
    if m:  # the office writes dates day first
        day = f"{int(m[3]):04d}-{int(m[2]):02d}-{int(m[1]):02d}"

    return json.dumps({
        "format": "plp/1", "office": office.strip(), "applicant": applicant.strip().lower(),
        "reason": reason.strip().upper(),
        "origin": {"tps": origin.strip().upper(), "yor_pct": pct(origin_yor, "origin.yor_pct")},
        "destination": {"tps": destination.strip().upper(), "yor_pct": pct(destination_yor, "destination.yor_pct")},
        "port": port.strip().upper(), "bc11": {"number": bc11_number.strip(), "date": day},
        "import_declared": bool(import_declared), "containers": container_rows, "packages": package_rows,
    }, ensure_ascii=False)


def pib_declared_hook(services: Any) -> ImportDeclaredHook:
    """The default "import already declared" check: asks the PIB workflow when it is there (duck-typed, no
    import of its models): `declared_for_bc11(number, date)` and, when it offers one,
    `declared_for_containers(numbers)`. Without a PIB workflow nothing is on record."""

    def declared(bc11_number: str, bc11_date: dt.date, containers: tuple[str, ...]) -> bool:
        try:
            pib = services.pib
        except ImportError:  # a build without the PIB workflow
            return False
        by_bc11 = getattr(pib, "declared_for_bc11", None)
        if by_bc11 is not None and by_bc11(bc11_number, bc11_date):
            return True
        by_containers = getattr(pib, "declared_for_containers", None)
        return bool(containers and by_containers is not None and by_containers(containers))

    return declared


class RequestsMixin(PlpBase):
    def _parse(self, actor: Actor, text: str | bytes, port: str | None = None) -> PlpRequest:
        """plp/1 or TPS Online (detected); a TPS Online request's port: `port`, else its origin TPS's port in
        the registry, else the office's (formats.tpsonline)."""

        def registry_port(code: str) -> str | None:
            with self.ctx.db.read() as s:
                tps = s.get(Tps, code)
                return tps.port if tps is not None else None

        read = read_request(text, port=port, port_of=registry_port)
        request = read.request
        if request.office != actor.office_code:
            field = "header.kodeKantor" if read.tps_online is not None else "office"
            raise InputError(f"request is for office {request.office}, this is {actor.office_code}",
                             code=ErrorCode.OTHER_OFFICE, field=field, params={"value": request.office})
        for i, c in enumerate(request.containers):
            if len(container_key(c.number)) > 32:
                raise InputError(code=ErrorCode.TOO_LONG, field=f"containers[{i}].number", params={"limit": 32})
        return request

    def _declared(self, request: PlpRequest) -> bool:
        containers = tuple(container_key(c.number) for c in request.containers)
        return bool(self.import_declared(request.bc11.number, request.bc11.date, containers))

    def _evaluate(self, s: Session, request: PlpRequest, ruleset: RuleSet, declared_on_record: bool) -> PlpEvaluation:
        check = check_plp(request, ruleset=ruleset)
        reasons = {r.value for r in check.reasons}
        refusals = {r.value for r in check.refusals}
        origin, destination = s.get(Tps, request.origin.tps), s.get(Tps, request.destination.tps)
        if origin is None or destination is None:
            refusals.add(UNKNOWN_TPS)
        applying = origin if request.applicant.value == "origin" else destination
        operator = applying.operator if applying is not None else (
            request.origin.tps if request.applicant.value == "origin" else request.destination.tps)
        if "YOR_OVER_THRESHOLD" in reasons:
            # the office's own occupancy figure, where it has one, beats the operator's statement
            ratio = self._registry_ratio(s, origin)
            if ratio is not None and ratio < check.yor_threshold_pct:
                refusals.add(PlpRefusal.YOR_BELOW_THRESHOLD.value)
                reasons.discard("YOR_OVER_THRESHOLD")
        if declared_on_record:
            refusals.add(PlpRefusal.IMPORT_ALREADY_DECLARED.value)
        if self._has_unreported(s, operator):
            refusals.add(UNREPORTED_MOVEMENTS)
        origin_view = self._tps_view(s, origin) if origin is not None else None
        destination_view = self._tps_view(s, destination) if destination is not None else None
        return PlpEvaluation(
            eligible=bool(reasons) and not refusals, reasons=tuple(sorted(reasons)),
            refusals=tuple(sorted(refusals)), ruleset=ruleset.id, threshold_pct=check.yor_threshold_pct,
            operator=operator, origin=origin_view, destination=destination_view,
            invalid_containers=check.invalid_containers,
            warnings=registry_warnings(request.reason, origin_view, destination_view))

    def check_request(self, actor: Actor, text: str | bytes, *, port: str | None = None) -> PlpEvaluation:
        """What registering this request would decide, without writing anything (the request screen's check).
        Raises InputError naming the JSON path (or OTHER_OFFICE); PermissionDenied ROLE_REQUIRED."""
        require_role(actor, *OFFICERS, action="check PLP requests")
        request = self._parse(actor, text, port)
        declared = self._declared(request)
        with self.ctx.db.read() as s:
            return self._evaluate(s, request, self.ruleset(), declared)

    def import_request(self, actor: Actor, text: str | bytes, *, source: str = "request",
                       port: str | None = None) -> PlpDetail:
        """Register a plp/1 or TPS Online request with its eligibility (the text is kept as received). A
        request that is not eligible is kept, REJECTED with every refusal listed (and a numbered refusal
        letter) — never lost. Malformed input writes nothing: InputError naming the JSON path of the format
        sent (or OTHER_OFFICE). `port`: a TPS Online request's port (see `_parse`)."""
        require_role(actor, *OFFICERS, action="register PLP requests")
        request = self._parse(actor, text, port)
        declared = self._declared(request)
        ruleset = self.ruleset()
        with self.ctx.db.write() as s:
            ev = self._evaluate(s, request, ruleset, declared)
            reference = self._reference(s)
            # The queue reads the request row, not the case summary: nothing is kept there.
            case = self.cases.open(s, actor, kind=KIND, reference=reference,
                                   state=PlpState.SUBMITTED if ev.eligible else PlpState.REJECTED,
                                   reasons=ev.reasons,
                                   audit_data={"source": source[:200], "eligible": ev.eligible,
                                               "refusals": list(ev.refusals), "ruleset": ruleset.id})
            if isinstance(text, bytes):
                try:
                    stored = text.decode("utf-8")
                except UnicodeDecodeError:  # JSON in UTF-16/32 is valid too; keep what was understood
                    stored = request.model_dump_json()
            else:
                stored = text
            s.add(PlpRequestRow(
                case_id=case.id, origin_tps=request.origin.tps, destination_tps=request.destination.tps,
                operator=ev.operator, applicant=request.applicant.value, reason=request.reason,
                port=request.port, bc11_number=request.bc11.number, bc11_date=request.bc11.date,
                import_declared=request.import_declared, origin_yor_pct=request.origin.yor_pct,
                destination_yor_pct=request.destination.yor_pct,
                origin_registry_yor_pct=registry_pct(ev.origin),
                destination_registry_yor_pct=registry_pct(ev.destination),
                request_json=stored, eligible=ev.eligible, reasons_met=list(ev.reasons), refusals=list(ev.refusals),
                ruleset=ruleset.id))
            line_state = LineState.PENDING if ev.eligible else LineState.REJECTED
            invalid = set(ev.invalid_containers)
            seq = 0
            for c in request.containers:
                seq += 1
                s.add(PlpLine(case_id=case.id, seq=seq, kind="container", container_number=container_key(c.number),
                              size=c.size, state=line_state,
                              decision_reason=PlpRefusal.INVALID_CONTAINER_NUMBER.value if c.number in invalid
                              else None))
            for p in request.packages:
                seq += 1
                s.add(PlpLine(case_id=case.id, seq=seq, kind="package", bl_awb=p.bl_awb, quantity=p.quantity,
                              package_kind=p.kind, state=line_state))
            self.services.reference.record_ruleset(s, ruleset)
            s.flush()
            if not ev.eligible:
                self._issue(s, actor, case, "PLP-TOLAK", refusals=ev.refusals)
            return self._detail(s, case)

    def received(self, case_id: uuid.UUID) -> str:
        """The request as it was received (plp/1 or TPS Online JSON text), for answering it in its own format.
        Raises NotFound UNKNOWN_CASE."""
        with self.ctx.db.read() as s:
            self.cases.get(s, case_id, kind=KIND)
            row = s.get(PlpRequestRow, case_id)
            if row is None:
                raise NotFound(f"no PLP request {case_id}", code=ErrorCode.UNKNOWN_CASE, field="reference",
                               params={"value": str(case_id)})
            return row.request_json

    def _reference(self, s: Session) -> str:
        """PLP request references: PLP-<yyyymmdd>-<n> (not an official number; the letter carries that)."""
        prefix = f"PLP-{self.ctx.today():%Y%m%d}-"
        n = s.scalar(select(func.count()).select_from(Case).where(Case.kind == KIND,
                                                                 Case.reference.startswith(prefix))) or 0
        return f"{prefix}{n + 1:04d}"

    def _has_unreported(self, s: Session, operator: str) -> bool:
        """Whether the applying operator has an approved line overdue at a gate (refuses its next request)."""
        now = self.ctx.now()
        rows = s.execute(select(PlpLine, PlpRequestRow).join(PlpRequestRow, PlpRequestRow.case_id == PlpLine.case_id)
                         .where(PlpRequestRow.operator == operator, PlpLine.state.in_(LINE_OPEN))).all()
        return any(self._overdue(line, req, now) for line, req in rows)
