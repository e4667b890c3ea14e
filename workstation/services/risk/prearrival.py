"""Pre-arrival data (issue #16 item 5): advance passenger lists (api/1 JSON or CSV) and partner customs'
pre-declarations (predeclaration/1 JSON), stored idempotently, then matched with what arrived: a passenger on
the list without an e-CD for that arrival (declarant or family member, arrival date within a day), a
pre-declaration without a PIB for its importer and B/L, pre-declared goods (HS sub-heading) absent from the
PIB. Formats: docs/risk.md."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from db import audit
from db.models_passenger import EcdDeclaration
from db.models_pib import PibCase, PibSubmission
from db.models_risk import RiskPrearrival
from workstation import inputs
from workstation.domain.errors import ErrorCode
from workstation.domain.jsondoc import load_json, validation_input_error
from workstation.domain.risk import (
    API_CSV_COLUMNS,
    SUPERVISORS,
    ApiPassenger,
    MismatchKind,
    PreDeclaration,
    parse_api_list,
    parse_predeclarations,
)
from workstation.errors import InputError
from workstation.formats import read_pib
from workstation.services.base import Actor, require_role
from workstation.services.risk.base import RiskBase
from workstation.services.risk.views import Mismatch, PrearrivalImport

PASSENGER, PREDECLARATION = "PASSENGER", "PREDECLARATION"
MAX_DAYS = 366


def parse_api_csv(text: str, source: str = "csv") -> list[ApiPassenger]:
    """An advance passenger list as CSV with the header arrival_date,port,flight,passport,nationality,name
    (from_port optional). Raises InputError INVALID_CSV / INVALID_DOCUMENT naming `source:line:column`."""
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in API_CSV_COLUMNS if c not in header]
    if missing:
        reason = f"missing column {missing[0]} (header: {','.join(API_CSV_COLUMNS)}[,from_port])"
        raise InputError(reason, code=ErrorCode.INVALID_CSV, field=f"{source}:1", params={"reason": reason})
    out = []
    for row in reader:
        line = reader.line_num
        data: dict[str, Any] = {k: (v or "").strip() for k, v in row.items() if k is not None}
        if not data.get("from_port"):
            data.pop("from_port", None)
        for k in ("port", "flight", "passport", "nationality", "from_port"):
            if k in data:
                data[k] = data[k].upper()
        try:
            out.append(ApiPassenger.model_validate_json(json.dumps(data)))
        except ValidationError as exc:
            err = validation_input_error(exc)
            raise InputError(f"line {line}: {err.message}", code=ErrorCode.INVALID_CSV,
                             field=f"{source}:{line}:{err.field}", params={"reason": err.message}) from None
    return out


class PrearrivalMixin(RiskBase):
    def import_prearrival(self, actor: Actor, text: str, *, source: str = "prearrival") -> PrearrivalImport:
        """Store a file of pre-arrival data: JSON api/1 or predeclaration/1 (by its `format`), anything else
        read as the passenger CSV. Idempotent: records already stored are counted as unchanged."""
        require_role(actor, *SUPERVISORS, action="import pre-arrival data")
        stripped = text.lstrip("\ufeff \t\r\n")
        if stripped.startswith("{"):
            fmt = load_json(text, source=source)
            fmt_name = fmt.get("format") if isinstance(fmt, dict) else None
            if fmt_name == "predeclaration/1":
                decls = parse_predeclarations(text).declarations
                return self._store(actor, PREDECLARATION, [self._predecl_row(d) for d in decls], source)
            passengers = parse_api_list(text).passengers
        else:
            passengers = parse_api_csv(text, source)
        return self._store(actor, PASSENGER, [self._passenger_row(p) for p in passengers], source)

    @staticmethod
    def _passenger_row(p: ApiPassenger) -> dict[str, Any]:
        return {"natural_key": f"{p.arrival_date.isoformat()}/{p.flight}/{p.passport}", "arrival_date": p.arrival_date,
                "port": p.port, "flight": p.flight, "passport": p.passport, "name": p.name[:500],
                "nationality": p.nationality[:3], "data": p.model_dump(mode="json")}

    @staticmethod
    def _predecl_row(d: PreDeclaration) -> dict[str, Any]:
        return {"natural_key": d.reference, "arrival_date": d.arrival_date, "importer_npwp": d.importer_npwp,
                "bl_number": d.bl_number, "name": d.exporter[:500], "data": d.model_dump(mode="json")}

    def _store(self, actor: Actor, kind: str, rows: list[dict[str, Any]], source: str) -> PrearrivalImport:
        now = self.ctx.now()
        added = unchanged = 0
        with self.ctx.db.write() as s:
            keys = [r["natural_key"] for r in rows]
            known: set[str] = set()
            for i in range(0, len(keys), 500):
                known.update(s.scalars(select(RiskPrearrival.natural_key).where(
                    RiskPrearrival.kind == kind, RiskPrearrival.natural_key.in_(keys[i:i + 500]))))
            for r in rows:
                if r["natural_key"] in known:
                    unchanged += 1
                    continue
                known.add(r["natural_key"])
                s.add(RiskPrearrival(kind=kind, source=source[:200], imported_at=now, imported_by=actor.user_id, **r))
                added += 1
            s.flush()
            audit.append(s, actor.audit, "risk.prearrival.import", "risk_prearrival", source[:80],
                         {"kind": kind, "added": added, "unchanged": unchanged}, now=now)
        return PrearrivalImport(kind, added, unchanged)

    def mismatches(self, actor: Actor, date_from: Any, date_to: Any) -> list[Mismatch]:
        """Pre-arrival records from `date_from` to `date_to` (arrival dates, at most a year) not matched by what
        arrived. Raises InputError DATE_FORMAT / INVALID_VALUE; PermissionDenied ROLE_REQUIRED."""
        require_role(actor, *SUPERVISORS, action="see pre-arrival mismatches")
        start, end = inputs.date(date_from, "from"), inputs.date(date_to, "to")
        if end < start or (end - start).days > MAX_DAYS:
            reason = "'to' must be on or after 'from', at most a year later"
            raise InputError(reason, code=ErrorCode.INVALID_VALUE, field="to", params={"reason": reason})
        out: list[Mismatch] = []
        with self.ctx.db.read() as s:
            out.extend(self._passengers(s, start, end))
            out.extend(self._predeclarations(s, start, end))
        return out

    def _passengers(self, s: Any, start: dt.date, end: dt.date) -> list[Mismatch]:
        listed = list(s.scalars(select(RiskPrearrival).where(
            RiskPrearrival.kind == PASSENGER, RiskPrearrival.arrival_date >= start, RiskPrearrival.arrival_date <= end)
            .order_by(RiskPrearrival.arrival_date, RiskPrearrival.flight, RiskPrearrival.passport)))
        if not listed:
            return []
        declared: dict[str, set[dt.date]] = {}
        for passport, day, doc in s.execute(select(EcdDeclaration.passport, EcdDeclaration.arrival_date,
                                                   EcdDeclaration.document_json).where(
                EcdDeclaration.arrival_date >= start - dt.timedelta(days=1),
                EcdDeclaration.arrival_date <= end + dt.timedelta(days=1))):
            declared.setdefault(passport.upper(), set()).add(day)
            for member in json.loads(doc).get("family_members", []):
                declared.setdefault(str(member.get("passport", "")).upper(), set()).add(day)
        out = []
        for p in listed:
            days = declared.get(p.passport, set())
            if not any(abs((d - p.arrival_date).days) <= 1 for d in days):
                out.append(Mismatch(MismatchKind.PASSENGER_WITHOUT_ECD.value, p.arrival_date, p.passport,
                                    f"{p.flight} {p.port}: {p.name} has no e-CD"))
        return out

    def _predeclarations(self, s: Any, start: dt.date, end: dt.date) -> list[Mismatch]:
        out = []
        for r in s.scalars(select(RiskPrearrival).where(
                RiskPrearrival.kind == PREDECLARATION, RiskPrearrival.arrival_date >= start,
                RiskPrearrival.arrival_date <= end).order_by(RiskPrearrival.arrival_date, RiskPrearrival.natural_key)):
            pib_items: list[dict[str, Any]] | None = None
            aju = ""
            for case_id, a in s.execute(select(PibCase.case_id, PibCase.aju)
                                        .where(PibCase.importer_npwp == r.importer_npwp)):
                sub = s.scalars(select(PibSubmission).where(PibSubmission.case_id == case_id)
                                .order_by(PibSubmission.version.desc()).limit(1)).first()
                if sub is None:
                    continue
                doc = read_pib(sub.document)  # pib/1 or CEISA BC 2.0, as it was received
                if doc.bl.number.upper() == r.bl_number:
                    pib_items, aju = [{"seq": i.seq, "hs_code": i.hs_code} for i in doc.items], a
                    break
            if pib_items is None:
                out.append(Mismatch(MismatchKind.PREDECLARED_WITHOUT_PIB.value, r.arrival_date, r.bl_number,
                                    f"{r.natural_key} ({r.name}) to {r.importer_npwp}: no PIB for B/L {r.bl_number}"))
                continue
            have = {str(i.get("hs_code", ""))[:6] for i in pib_items}
            for item in r.data.get("items", []):
                hs = str(item.get("hs_code", ""))
                if hs[:6] not in have:
                    out.append(Mismatch(MismatchKind.GOODS_MISSING_FROM_PIB.value, r.arrival_date, r.bl_number,
                                        f"{r.natural_key}: HS {hs} {item.get('description', '')} not in PIB {aju}"))
        return out
