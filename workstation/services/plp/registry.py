"""The TPS registry: warehouses with their capacity (yard in TEU, shed in m³), facilities and occupancy
(the operator's latest report, or computed from the containers stored there), and the containers stored."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import audit
from db.models import AuditEntry
from db.models_plp import Tps, TpsContainer
from workstation import inputs
from workstation.domain.codes import Role
from workstation.domain.errors import ErrorCode
from workstation.domain.plp import OFFICERS, REGISTRY_KEEPERS
from workstation.errors import ConflictError, InputError, NotFound, Refusal
from workstation.rules.plp import plp_rules, yor_pct
from workstation.services.base import Actor, require_role
from workstation.services.plp.common import (
    DESTINATION_NO_LCL,
    DESTINATION_NO_SPECIAL,
    DESTINATION_OVER_THRESHOLD,
    ORIGIN_HAS_LCL,
    PlpBase,
    container_key,
    floored_pct,
)
from workstation.services.plp.views import TpsImportResult, TpsView

FACILITIES = ("LCL", "DG", "COLD")  # consolidated cargo, dangerous goods, cold storage
TPS_CSV_HEADER = ("code", "name", "operator", "port", "capacity_teu", "capacity_m3", "facilities",
                  "occupancy_teu", "occupancy_m3")
_TPS_CODE = r"[A-Z0-9]{2,8}"
_PORT = r"[A-Z]{2}[A-Z0-9]{3}"  # UN/LOCODE


def _m3(value: Decimal | None) -> Decimal | None:
    return value.quantize(Decimal("0.01")) if value is not None else None


def registry_warnings(reason: str, origin: TpsView | None, destination: TpsView | None) -> tuple[str, ...]:
    """What the registry says against the stated ground, for the officer to weigh (never a refusal: the
    registry may be out of date, and "not available" may mean full). Sorted advice codes."""
    out = set()
    if reason == "NO_LCL_FACILITY" and origin is not None and "LCL" in origin.facilities:
        out.add(ORIGIN_HAS_LCL)
    if reason in ("NO_LCL_FACILITY", "CONSOLIDATED_MASTER_BL") and destination is not None \
            and "LCL" not in destination.facilities:
        out.add(DESTINATION_NO_LCL)
    if reason == "NO_SPECIAL_FACILITY" and destination is not None \
            and not {"DG", "COLD"} & set(destination.facilities):
        out.add(DESTINATION_NO_SPECIAL)
    if destination is not None and destination.source != "none" and destination.over_threshold:
        out.add(DESTINATION_OVER_THRESHOLD)
    return tuple(sorted(out))


def registry_pct(v: TpsView | None) -> Decimal | None:
    """The registry's occupancy of a TPS (%), None when it knows nothing of it."""
    if v is None or v.source == "none":
        return None
    return v.occupancy_pct


def clean_tps(*, code: Any, name: Any, operator: Any, port: Any, capacity_teu: Any, capacity_m3: Any,
              facilities: Iterable[str] | str, occupancy_teu: Any, occupancy_m3: Any,
              where: str = "") -> dict[str, Any]:
    """One TPS row from a form or a CSV line, each field checked; `where` prefixes the field names (the CSV
    line, 'tps.csv:3:'). Capacities: TEU (whole, > 0) and m³ (decimal, > 0, '71,5' accepted), at least one.
    Raises InputError naming the field (PATTERN, REQUIRED, TOO_LONG, NOT_POSITIVE, NOT_ONE_OF, NO_CAPACITY…)."""
    def f(name_: str) -> str:
        return f"{where}{name_}"

    row: dict[str, Any] = {
        "code": inputs.pattern(code, f("code"), _TPS_CODE, example="KOJA"),
        "port": inputs.pattern(port, f("port"), _PORT, example="IDTPP"),
        "name": inputs.text(name, f("name"), max_len=200),
        "operator": inputs.text(operator, f("operator"), max_len=200),
    }
    teu = inputs.optional_whole(capacity_teu, f("capacity_teu"), positive=True)
    m3 = inputs.optional_decimal(capacity_m3, f("capacity_m3"), positive=True, comma=True)
    if teu is None and m3 is None:
        raise InputError("a yard capacity in TEU or a shed capacity in m³ is required", code=ErrorCode.REQUIRED,
                         field=f("capacity_teu"))
    items = re.split(r"[;,\s]+", facilities) if isinstance(facilities, str) else list(facilities)
    chosen = sorted({inputs.choice(x, f("facilities"), FACILITIES) for x in items if x and x.strip()})
    occ_teu = inputs.optional_whole(occupancy_teu, f("occupancy_teu"))
    occ_m3 = inputs.optional_decimal(occupancy_m3, f("occupancy_m3"), comma=True)
    if occ_teu is not None and teu is None:
        raise InputError("no yard capacity to relate it to", code=ErrorCode.NO_CAPACITY, field=f("occupancy_teu"))
    if occ_m3 is not None and m3 is None:
        raise InputError("no shed capacity to relate it to", code=ErrorCode.NO_CAPACITY, field=f("occupancy_m3"))
    return {**row, "capacity_teu": teu, "capacity_m3": _m3(m3), "facilities": chosen,
            "occupancy_teu_entered": occ_teu, "occupancy_m3_entered": _m3(occ_m3)}


class RegistryMixin(PlpBase):
    def save_tps(self, actor: Actor, code: str, name: str, operator: str, port: str,
                 capacity_teu: int | str | None, *, capacity_m3: Decimal | str | None = None,
                 facilities: Iterable[str] | str = (), occupancy_teu_entered: int | str | None = None,
                 occupancy_m3_entered: Decimal | str | None = None, version: int | None = None) -> TpsView:
        """Add or change a TPS (supervisor/admin). A yard has a capacity in TEU, a shed in m³: at least one.
        `version`: the TpsView.version the screen showed, 0 for a TPS it believes new — when the TPS `code`
        exists at another version, it was changed (or added) since: ConflictError VERSION_CONFLICT naming who
        changed it last. None saves over whatever is stored (the CSV import: the last writer wins). Raises PermissionDenied ROLE_REQUIRED; InputError naming the field
        (see `clean_tps`)."""
        require_role(actor, *REGISTRY_KEEPERS, action="maintain the TPS registry")
        row = clean_tps(code=code, name=name, operator=operator, port=port, capacity_teu=capacity_teu,
                        capacity_m3=capacity_m3, facilities=facilities, occupancy_teu=occupancy_teu_entered,
                        occupancy_m3=occupancy_m3_entered)
        with self.ctx.db.write() as s:
            self._check_version(s, s.get(Tps, row["code"]), version)
            tps, _changed = self._apply_tps(s, actor, row)
            return self._tps_view(s, tps)

    @staticmethod
    def _check_version(s: Session, tps: Tps | None, version: int | None) -> None:
        """Optimistic locking of a TPS row (the caller holds the write lock: writers are serialised, so the row
        cannot change between this check and the update). ConflictError VERSION_CONFLICT when it moved on."""
        if version is None or tps is None or tps.version == version:
            return
        who = s.scalar(select(AuditEntry.actor_login)
                       .where(AuditEntry.entity_type == "tps", AuditEntry.entity_id == tps.code)
                       .order_by(AuditEntry.seq.desc()).limit(1))
        raise ConflictError(f"TPS {tps.code} was changed by {who or 'another user'} since you opened it; "
                            "reload and redo", code=ErrorCode.VERSION_CONFLICT,
                            params={"reference": tps.code, "who": who or "another user"})

    def _apply_tps(self, s: Session, actor: Actor, row: dict[str, Any]) -> tuple[Tps, bool]:
        tps = s.get(Tps, row["code"])
        new = tps is None
        if tps is None:
            tps = Tps(code=row["code"], office_code=actor.office_code)
        before = None if new else self._tps_fields(tps)
        if before == row:
            return tps, False
        entered_changed = before is None or (before["occupancy_teu_entered"], before["occupancy_m3_entered"]) != (
            row["occupancy_teu_entered"], row["occupancy_m3_entered"])
        for key, value in row.items():
            setattr(tps, key, value)
        now = self.ctx.now()
        tps.office_code = actor.office_code
        tps.updated_at = now
        if entered_changed:
            has_entry = row["occupancy_teu_entered"] is not None or row["occupancy_m3_entered"] is not None
            tps.occupancy_entered_at = now if has_entry else None
        s.add(tps)
        s.flush()
        audit.append(s, actor.audit, "plp.tps_save", "tps", tps.code,
                     {k: (format(v, "f") if isinstance(v, Decimal) else v) for k, v in row.items()}, now=now)
        return tps, True

    @staticmethod
    def _tps_fields(tps: Tps) -> dict[str, Any]:
        def dec(v: Any) -> Decimal | None:
            return None if v is None else Decimal(v).quantize(Decimal("0.01"))

        return dict(code=tps.code, name=tps.name, operator=tps.operator, port=tps.port,
                    capacity_teu=tps.capacity_teu, capacity_m3=dec(tps.capacity_m3),
                    facilities=sorted(tps.facilities or []), occupancy_teu_entered=tps.occupancy_teu_entered,
                    occupancy_m3_entered=dec(tps.occupancy_m3_entered))

    def import_tps(self, actor: Actor, text: str | bytes, *, source: str = "tps.csv") -> TpsImportResult:
        """The TPS registry from CSV (header TPS_CSV_HEADER; facilities separated by ';'). All or nothing:
        one bad cell names its line and column ('tps.csv:3:capacity_teu') and nothing is written. Importing
        the same file again changes nothing. Raises InputError NOT_UTF8, INVALID_CSV, DUPLICATE_VALUE or a
        field's code."""
        require_role(actor, *REGISTRY_KEEPERS, action="maintain the TPS registry")
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise InputError(code=ErrorCode.NOT_UTF8, field=source) from None
        reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
        header = [h.strip().lower() for h in next(reader, [])]
        if tuple(header) != TPS_CSV_HEADER:
            raise InputError(code=ErrorCode.INVALID_CSV, field=f"{source}:1",
                             params={"reason": f"header must be: {','.join(TPS_CSV_HEADER)}"})
        rows, seen = [], set()
        for n, cells in enumerate(reader, 2):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(TPS_CSV_HEADER):
                raise InputError(code=ErrorCode.INVALID_CSV, field=f"{source}:{n}",
                                 params={"reason": f"{len(cells)} columns, expected {len(TPS_CSV_HEADER)}"})
            raw = dict(zip(TPS_CSV_HEADER, cells, strict=True))
            row = clean_tps(code=raw["code"], name=raw["name"], operator=raw["operator"], port=raw["port"],
                            capacity_teu=raw["capacity_teu"], capacity_m3=raw["capacity_m3"],
                            facilities=raw["facilities"], occupancy_teu=raw["occupancy_teu"],
                            occupancy_m3=raw["occupancy_m3"], where=f"{source}:{n}:")
            if row["code"] in seen:
                raise InputError(f"TPS {row['code']} appears twice", code=ErrorCode.DUPLICATE_VALUE,
                                 field=f"{source}:{n}:code", params={"value": row["code"]})
            seen.add(row["code"])
            rows.append(row)
        if not rows:
            raise InputError(code=ErrorCode.INVALID_CSV, field=source, params={"reason": "no TPS rows"})
        added = changed = unchanged = 0
        with self.ctx.db.write() as s:
            for row in rows:
                existed = s.get(Tps, row["code"]) is not None
                _tps, did = self._apply_tps(s, actor, row)
                if not did:
                    unchanged += 1
                elif existed:
                    changed += 1
                else:
                    added += 1
        return TpsImportResult(added, changed, unchanged)

    def record_occupancy(self, actor: Actor, code: str, *, teu: int | str | None = None,
                         m3: Decimal | str | None = None, version: int | None = None) -> TpsView:
        """The operator's latest occupancy report (TPS Online), entered by an officer: TEU used of the yard,
        m³ used of the shed. Both empty: go back to computing the yard from the containers stored here.
        `version`: the TpsView.version the screen showed (ConflictError VERSION_CONFLICT when the TPS changed
        since; None: no check). Raises NotFound UNKNOWN_TPS; InputError NO_CAPACITY or a number's code."""
        require_role(actor, *OFFICERS, Role.ADMIN, action="record TPS occupancy")
        teu_v = inputs.optional_whole(teu, "occupancy_teu")
        m3_v = inputs.optional_decimal(m3, "occupancy_m3", comma=True)
        with self.ctx.db.write() as s:
            tps = s.get(Tps, (code or "").strip().upper())
            if tps is None:
                raise NotFound(f"unknown TPS {code}", code=ErrorCode.UNKNOWN_TPS, field="tps",
                               params={"value": code})
            self._check_version(s, tps, version)
            if teu_v is not None and not tps.capacity_teu:
                raise InputError("this TPS has no yard capacity", code=ErrorCode.NO_CAPACITY, field="occupancy_teu")
            if m3_v is not None and not tps.capacity_m3:
                raise InputError("this TPS has no shed capacity", code=ErrorCode.NO_CAPACITY, field="occupancy_m3")
            now = self.ctx.now()
            tps.occupancy_teu_entered = teu_v
            tps.occupancy_m3_entered = _m3(m3_v)
            tps.occupancy_entered_at = now if (teu_v is not None or m3_v is not None) else None
            tps.updated_at = now
            s.flush()
            audit.append(s, actor.audit, "plp.tps_occupancy", "tps", tps.code,
                         {"teu": teu_v, "m3": format(m3_v, "f") if m3_v is not None else None}, now=now)
            return self._tps_view(s, tps)

    def store_container(self, actor: Actor, tps_code: str, number: str, size: str,
                        first_stored_at: dt.datetime | None = None) -> None:
        """A container arrives in a TPS from the ship (the TPS operator's report, entered by an officer).
        `first_stored_at` (aware, not in the future) starts the 30-day TPS clock; now by default.
        Raises InputError CONTAINER_NUMBER, NOT_ONE_OF (size), INVALID_VALUE, UNKNOWN_TPS;
        Refusal ALREADY_STORED when the container is in a TPS already."""
        require_role(actor, *OFFICERS, action="record stored containers")
        number = inputs.container_number(number, "container")
        size = inputs.choice(size, "size", tuple(plp_rules(self.ruleset()).teu))
        now = self.ctx.now()
        if first_stored_at is not None and (first_stored_at.tzinfo is None or first_stored_at > now):
            raise InputError("a past time with its time zone", code=ErrorCode.INVALID_VALUE, field="first_stored_at")
        with self.ctx.db.write() as s:
            if s.get(Tps, tps_code) is None:
                raise InputError(f"unknown TPS {tps_code}", code=ErrorCode.UNKNOWN_TPS, field="tps",
                                 params={"value": tps_code})
            if s.scalar(select(TpsContainer.id).where(TpsContainer.number == number, TpsContainer.left_at.is_(None))):
                raise Refusal(f"{number} is already stored in a TPS", code=ErrorCode.ALREADY_STORED,
                              field="container", params={"value": number})
            s.add(TpsContainer(tps_code=tps_code, number=number, size=size, first_stored_at=first_stored_at or now,
                               stored_at=now))
            audit.append(s, actor.audit, "plp.container_stored", "tps", tps_code, {"container": number}, now=now)

    def first_storage(self, container_number: str) -> dt.datetime | None:
        """When the goods in this container were first stored in a TPS of this office (the 30-day clock
        keeps counting across PLP moves); None when the registry never saw it."""
        with self.ctx.db.read() as s:
            return s.scalar(select(func.min(TpsContainer.first_stored_at))
                            .where(TpsContainer.number == container_key(container_number)))

    def _yard_used(self, s: Session, tps: Tps) -> tuple[int | None, str, int]:
        """(TEU used or None when unknown, source, containers stored here)."""
        sizes = s.execute(select(TpsContainer.size, func.count()).where(TpsContainer.tps_code == tps.code,
                                                                         TpsContainer.left_at.is_(None))
                          .group_by(TpsContainer.size)).all()
        stored = sum(n for _size, n in sizes)
        if tps.occupancy_teu_entered is not None:  # the operator's latest report wins while it stands
            return tps.occupancy_teu_entered, "entered", stored
        if stored:
            teu: dict[str, int] = {str(k): n for k, n in plp_rules(self.ruleset()).teu.items()}
            return sum(teu[size] * n for size, n in sizes), "containers", stored  # every size: rule set
        return None, "none", stored

    def _tps_view(self, s: Session, tps: Tps) -> TpsView:
        rules = plp_rules(self.ruleset())
        used, source, stored = self._yard_used(s, tps)
        if used is None and tps.capacity_teu and tps.occupancy_m3_entered is None:
            used = 0  # nothing stored, nothing reported: shown as empty, but not "known" (source none)
        m3_used = tps.occupancy_m3_entered
        if source == "none" and m3_used is not None:
            source = "entered"
        return TpsView(tps.code, tps.name, tps.operator, tps.port, tps.capacity_teu,
                       used if tps.capacity_teu else None, floored_pct(used, tps.capacity_teu),
                       tps.capacity_m3, m3_used, floored_pct(m3_used, tps.capacity_m3), rules.yor_threshold(tps.port),
                       tuple(tps.facilities or ()), source, tps.occupancy_entered_at, stored, tps.version)

    def _registry_ratio(self, s: Session, tps: Tps | None) -> Decimal | None:
        """The office's own occupancy figure for a TPS (exact, not floored), or None when it has none."""
        if tps is None:
            return None
        used, source, _stored = self._yard_used(s, tps)
        known = []
        if source != "none" and used is not None and tps.capacity_teu:
            known.append(yor_pct(used, tps.capacity_teu))
        if tps.occupancy_m3_entered is not None and tps.capacity_m3:
            known.append(yor_pct(tps.occupancy_m3_entered, tps.capacity_m3))
        return max(known) if known else None

    def tps_overview(self) -> list[TpsView]:
        """Every TPS of the registry with its occupancy, by code."""
        with self.ctx.db.read() as s:
            return [self._tps_view(s, t) for t in s.scalars(select(Tps).order_by(Tps.code))]

    def tps(self, code: str) -> TpsView:
        """One TPS. Raises NotFound UNKNOWN_TPS."""
        with self.ctx.db.read() as s:
            tps = s.get(Tps, (code or "").strip().upper())
            if tps is None:
                raise NotFound(f"unknown TPS {code}", code=ErrorCode.UNKNOWN_TPS, field="tps",
                               params={"value": code})
            return self._tps_view(s, tps)
