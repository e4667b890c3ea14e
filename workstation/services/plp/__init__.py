"""PLP — moving uncleared imports between TPS (DOMAIN.md §3, seed 004): the TPS registry with its occupancy
(YOR of the yard in TEU, SOR of the shed in m³), requests with their eligibility, the officer's decision per
line with a numbered letter, cancellation, gate-out and gate-in (by hand or from the smart gate's container
read), overdue lines, and the refusal of further requests from an operator with unreported movements.

TPS operators are not users of this app: officers import (`plp import`) or enter their requests."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from db import audit
from db.models import Case, Document
from db.models_plp import PlpLine, PlpMovement, PlpRequestRow, Tps, TpsContainer
from printing.documents import plp as letters
from workstation.domain.codes import Role
from workstation.domain.identifiers import container_number_valid
from workstation.domain.plp import PlpRefusal, PlpRequest, parse_plp
from workstation.errors import InputError, NotFound, Refusal
from workstation.rules.plp import check_plp, gate_in_due, gate_out_due, plp_rules, yor_pct
from workstation.rules.ruleset import RuleSet, ruleset_by_id, ruleset_for
from workstation.services.base import Actor, require_role
from workstation.services.cases import CaseView, transitions, view

KIND = "PLP"
OFFICERS = (Role.OFFICER, Role.SUPERVISOR)
REGISTRY_KEEPERS = (Role.SUPERVISOR, Role.ADMIN)

# -- the state machine -------------------------------------------------------------------------------------
# Case states (one case per request):
#   SUBMITTED  eligible at registration, awaiting the officer's decision
#   REJECTED   not eligible at registration, or every line rejected — refusal letter (PLP-TOLAK)    [final]
#   APPROVED   at least one line approved — PLP approval letter with its number and date; nothing out yet
#   MOVING     at least one approved line has left the origin gate
#   CLOSED     every approved line is in at the destination                                           [final]
#   CANCELLED  cancelled with a reason before anything left the origin — letter PLP-BATAL              [final]
# Line states: PENDING → APPROVED | REJECTED; APPROVED → OUT (gate-out) → IN (gate-in);
#              PENDING | APPROVED → CANCELLED with the case.
T = transitions(
    ("plp.approve", {"SUBMITTED"}, "APPROVED", OFFICERS),
    ("plp.reject", {"SUBMITTED"}, "REJECTED", OFFICERS),
    ("plp.cancel", {"SUBMITTED", "APPROVED"}, "CANCELLED", OFFICERS),
    ("plp.gate_out", {"APPROVED", "MOVING"}, "MOVING", OFFICERS),
    ("plp.gate_in", {"MOVING"}, "MOVING", OFFICERS),  # a line in, others still to come
    ("plp.close", {"MOVING"}, "CLOSED", OFFICERS),  # the gate-in of the last approved line
)
FINAL_STATES = frozenset({"REJECTED", "CLOSED", "CANCELLED"})
LINE_OPEN = ("APPROVED", "OUT")  # approved lines not yet in at the destination

# Refusals the office adds to the pure rule check, from its own records (not part of `plp check`).
UNREPORTED_MOVEMENTS = "UNREPORTED_MOVEMENTS"  # the applying operator has overdue approved lines
UNKNOWN_TPS = "UNKNOWN_TPS"  # origin or destination not in the office's TPS registry
SEAL_MISMATCH = "SEAL_MISMATCH"  # case flag: seals at gate-in differ from those at gate-out

# Advice for the officer from the registry (not refusals: the officer weighs them when deciding per line).
ORIGIN_HAS_LCL = "ORIGIN_HAS_LCL"  # ground NO_LCL_FACILITY, but the registry lists LCL storage at the origin
DESTINATION_NO_LCL = "DESTINATION_NO_LCL"  # consolidated cargo to a TPS without LCL storage
DESTINATION_NO_SPECIAL = "DESTINATION_NO_SPECIAL"  # ground NO_SPECIAL_FACILITY, destination has none either
DESTINATION_OVER_THRESHOLD = "DESTINATION_OVER_THRESHOLD"  # the destination is itself at or above the standard

FACILITIES = ("LCL", "DG", "COLD")  # consolidated cargo, dangerous goods, cold storage
_PLATE_RE = re.compile(r"^[A-Z]{1,2} ?[0-9]{1,4} ?[A-Z]{0,3}$")
_SEAL_RE = re.compile(r"[A-Z0-9-]{3,20}")
_TPS_RE = re.compile(r"[A-Z0-9]{2,8}")
_PORT_RE = re.compile(r"[A-Z]{2}[A-Z0-9]{3}")
MAX_REASON = 500
CONTAINER_SIZES = ("20", "40", "45")
TPS_CSV_HEADER = ("code", "name", "operator", "port", "capacity_teu", "capacity_m3", "facilities",
                  "occupancy_teu", "occupancy_m3")

# "No PLP once an import declaration for the goods is submitted" (seed 004, Persyaratan 3), asked of the PIB
# records: (BC 1.1 number, BC 1.1 date, container numbers) -> True when a declaration covers these goods.
ImportDeclaredHook = Callable[[str, dt.date, tuple[str, ...]], bool]


# ==========================================================================================================
# What the service returns
# ==========================================================================================================


@dataclass(frozen=True)
class TpsView:
    code: str
    name: str
    operator: str
    port: str
    capacity_teu: int | None
    teu_used: int | None  # None: no yard, or nothing known about it
    yor_pct: Decimal | None  # yard occupancy, floored to 0.1 for display
    capacity_m3: Decimal | None
    m3_used: Decimal | None
    sor_pct: Decimal | None  # shed occupancy
    threshold_pct: Decimal
    facilities: tuple[str, ...]
    source: str  # entered (the operator's report) | containers (computed) | none
    entered_at: dt.datetime | None
    containers: int  # stored here now

    @property
    def occupancy_pct(self) -> Decimal | None:
        """The higher of YOR and SOR: PLP is allowed when either reaches the standard (seed 004, 1.a)."""
        known = [p for p in (self.yor_pct, self.sor_pct) if p is not None]
        return max(known) if known else None

    @property
    def over_threshold(self) -> bool:
        return self.occupancy_pct is not None and self.occupancy_pct >= self.threshold_pct


@dataclass(frozen=True)
class TpsImportResult:
    added: int
    changed: int
    unchanged: int


@dataclass(frozen=True)
class PlpEvaluation:
    """Eligibility of a request as the office sees it: the pure rule check plus the office's own records
    (registry occupancy, unknown TPS, unreported movements, PIB on record)."""

    eligible: bool
    reasons: tuple[str, ...]
    refusals: tuple[str, ...]
    ruleset: str
    threshold_pct: Decimal
    operator: str
    origin: TpsView | None
    destination: TpsView | None
    invalid_containers: tuple[str, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class LineView:
    id: uuid.UUID
    seq: int
    kind: str
    what: str
    state: str
    reason: str | None
    out_at: dt.datetime | None
    in_at: dt.datetime | None
    overdue: bool
    container_number: str | None
    due_at: dt.datetime | None = None  # gate-out (approved) or gate-in (out) deadline
    first_stored_at: dt.datetime | None = None  # the 30-day TPS clock starts here, across the move
    storage_due: dt.date | None = None  # last day in a TPS before the goods become BTD


@dataclass(frozen=True)
class MovementView:
    seq: int
    direction: str
    tps: str
    at: dt.datetime
    truck_plate: str
    seals: tuple[str, ...]
    read_by: str


@dataclass(frozen=True)
class PlpDetail:
    case: CaseView
    origin: str
    destination: str
    operator: str
    applicant: str
    reason: str
    bc11: str
    stated_yor: tuple[Decimal, Decimal]
    eligible: bool
    reasons_met: tuple[str, ...]
    refusals: tuple[str, ...]
    ruleset: str
    plp_number: str | None
    lines: tuple[LineView, ...]
    documents: tuple[str, ...]
    registry_yor: tuple[Decimal | None, Decimal | None] = (None, None)
    plp_date: dt.date | None = None
    cancel_reason: str | None = None
    movements: tuple[MovementView, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class QueueRow:
    case_id: uuid.UUID
    reference: str
    state: str
    origin: str
    destination: str
    operator: str
    lines: int
    approved: int
    moved_in: int
    overdue: int
    plp_number: str | None
    version: int


@dataclass(frozen=True)
class GateRelease:
    """What the smart gate may let through for a container: out of its origin, or into its destination."""

    case_id: uuid.UUID
    line_id: uuid.UUID
    direction: str  # OUT | IN
    tps: str
    plp_number: str


# ==========================================================================================================
# Small input helpers (each names its field)
# ==========================================================================================================


def _what(line: PlpLine) -> str:
    if line.kind == "container":
        return f"{line.container_number} ({line.size}')"
    return f"{line.bl_awb}: {line.quantity} {line.package_kind}"


def _clean_plate(value: str | None, *, required: bool = True) -> str:
    plate = " ".join((value or "").upper().split())
    if not plate and not required:  # an automatic gate without a plate reader
        return "-"
    if not _PLATE_RE.fullmatch(plate):
        raise InputError("truck plate like 'B 1234 XYZ'", field="truck_plate")
    return plate


def _clean_seals(seals: Iterable[str] | str) -> list[str]:
    if isinstance(seals, str):
        seals = seals.split(",")
    out = []
    for seal in seals:
        seal = seal.strip().upper()
        if not seal:
            continue
        if not _SEAL_RE.fullmatch(seal):
            raise InputError(f"seal number {seal!r}: 3-20 letters, digits or '-'", field="seals")
        out.append(seal)
    return out


def _reason_text(value: str, field: str, *, required: bool = True) -> str:
    text = " ".join((value or "").split())
    if required and not text:
        raise InputError("a reason is required", field=field)
    if len(text) > MAX_REASON:
        raise InputError(f"at most {MAX_REASON} characters", field=field)
    return text


def _container(value: str) -> str:
    return "".join((value or "").split()).upper()


def _decimal(value: object, field: str, *, allow_none: bool = True) -> Decimal | None:
    """A non-negative decimal from a form or CSV cell ('71,5' accepted); never a float."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if allow_none:
            return None
        raise InputError("required", field=field)
    if isinstance(value, float):
        raise InputError("must be a decimal string, not a float", field=field)
    text = str(value).strip()
    if text.count(",") + text.count(".") > 1:  # thousands separators are ambiguous (id: '1.250,5')
        raise InputError(f"{text!r}: digits with at most one decimal separator", field=field)
    try:
        d = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise InputError(f"{value!r} is not a number", field=field) from None
    if not d.is_finite() or d < 0:
        raise InputError("must be a number of zero or more", field=field)
    return d


def _int(value: object, field: str, *, allow_none: bool = True) -> int | None:
    """A whole number of digits only: '3.000' is three thousand in Indonesian writing, so no separators."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise InputError("must be a number of zero or more", field=field)
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        if allow_none:
            return None
        raise InputError("required", field=field)
    text = str(value).strip()
    if not text.isascii() or not text.isdigit():
        raise InputError(f"{text!r}: a whole number, digits only", field=field)
    return int(text)


def _pct(used: int | Decimal | None, capacity: int | Decimal | None) -> Decimal | None:
    if used is None or not capacity:
        return None
    # floored: a figure shown at or above the threshold is at or above it
    return yor_pct(used, capacity).quantize(Decimal("0.1"), rounding=ROUND_FLOOR)


def request_from_form(*, office: str, applicant: str, reason: str, origin: str, origin_yor: str,
                      destination: str, destination_yor: str, port: str, bc11_number: str, bc11_date: str,
                      import_declared: bool, containers: str, packages: str) -> str:
    """The plp/1 JSON of a request typed in on the request screen. Containers: one per line (or ';'),
    'CSQU3054383 40'; packages: 'BL-OR-AWB QUANTITY KIND', e.g. 'MAEU123456789 12 PK'. The result still goes
    through parse_plp, so a form and a file are checked alike."""

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
                             field="containers")
    package_rows = []
    for n, tokens in rows(packages):
        if len(tokens) < 3 or not tokens[-2].isdigit():
            raise InputError(f"line {n}: B/L or AWB, quantity and package kind, e.g. 'MAEU123456789 12 PK'",
                             field="packages")
        package_rows.append({"bl_awb": " ".join(tokens[:-2]), "quantity": int(tokens[-2]),
                             "kind": tokens[-1].upper()})

    def pct(value: str, field: str) -> str:
        d = _decimal(value, field, allow_none=False)
        return format(d, "f")

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


# ==========================================================================================================
# The service
# ==========================================================================================================


class PlpService:
    def __init__(self, services, import_declared: ImportDeclaredHook | None = None):
        self.services = services
        self.ctx = services.ctx
        self.cases = services.cases
        self.import_declared = import_declared or pib_declared_hook(services)

    # -- rule sets ----------------------------------------------------------------------------------------
    def ruleset(self, day: dt.date | None = None) -> RuleSet:
        return ruleset_for("plp", day or self.ctx.today(), self.ctx.settings.rulesets_dir)

    def _ruleset_by_id(self, ruleset_id: str) -> RuleSet:
        return ruleset_by_id(ruleset_id, self.ctx.settings.rulesets_dir)

    # -- TPS registry --------------------------------------------------------------------------------------
    def save_tps(self, actor: Actor, code: str, name: str, operator: str, port: str, capacity_teu: int | None, *,
                 capacity_m3: Decimal | None = None, facilities: Iterable[str] = (),
                 occupancy_teu_entered: int | None = None, occupancy_m3_entered: Decimal | None = None) -> TpsView:
        """Add or change a TPS (supervisor/admin). A yard has a capacity in TEU, a shed in m³: at least one."""
        require_role(actor, *REGISTRY_KEEPERS, action="maintain the TPS registry")
        row = self._clean_tps(code=code, name=name, operator=operator, port=port, capacity_teu=capacity_teu,
                              capacity_m3=capacity_m3, facilities=facilities, occupancy_teu=occupancy_teu_entered,
                              occupancy_m3=occupancy_m3_entered)
        with self.ctx.db.write() as s:
            tps, _changed = self._apply_tps(s, actor, row)
            return self._tps_view(s, tps)

    def _clean_tps(self, *, code, name, operator, port, capacity_teu, capacity_m3, facilities, occupancy_teu,
                   occupancy_m3, where: str = "") -> dict:
        f = (lambda name_: f"{where}{name_}")  # noqa: E731  (field names prefixed with the CSV line)
        code = (code or "").strip().upper()
        if not _TPS_RE.fullmatch(code):
            raise InputError("2-8 capital letters or digits", field=f("code"))
        port = (port or "").strip().upper()
        if not _PORT_RE.fullmatch(port):
            raise InputError("UN/LOCODE such as IDTPP", field=f("port"))
        name, operator = " ".join((name or "").split()), " ".join((operator or "").split())
        if not name or len(name) > 200:
            raise InputError("1-200 characters", field=f("name"))
        if not operator or len(operator) > 200:
            raise InputError("1-200 characters", field=f("operator"))
        teu = _int(capacity_teu, f("capacity_teu"))
        m3 = _decimal(capacity_m3, f("capacity_m3"))
        if teu is not None and teu <= 0:
            raise InputError("must be greater than zero", field=f("capacity_teu"))
        if m3 is not None and m3 <= 0:
            raise InputError("must be greater than zero", field=f("capacity_m3"))
        if teu is None and m3 is None:
            raise InputError("a yard capacity in TEU or a shed capacity in m³ is required", field=f("capacity_teu"))
        if isinstance(facilities, str):
            facilities = re.split(r"[;,\s]+", facilities)
        facilities = sorted({x.strip().upper() for x in facilities if x and x.strip()})
        unknown = set(facilities) - set(FACILITIES)
        if unknown:
            raise InputError(f"unknown facility {sorted(unknown)[0]!r} ({', '.join(FACILITIES)})",
                             field=f("facilities"))
        occ_teu = _int(occupancy_teu, f("occupancy_teu"))
        occ_m3 = _decimal(occupancy_m3, f("occupancy_m3"))
        if occ_teu is not None and teu is None:
            raise InputError("no yard capacity to relate it to", field=f("occupancy_teu"))
        if occ_m3 is not None and m3 is None:
            raise InputError("no shed capacity to relate it to", field=f("occupancy_m3"))
        return dict(code=code, name=name, operator=operator, port=port, capacity_teu=teu,
                    capacity_m3=m3.quantize(Decimal("0.01")) if m3 is not None else None, facilities=facilities,
                    occupancy_teu_entered=occ_teu,
                    occupancy_m3_entered=occ_m3.quantize(Decimal("0.01")) if occ_m3 is not None else None)

    def _apply_tps(self, s: Session, actor: Actor, row: dict) -> tuple[Tps, bool]:
        tps = s.get(Tps, row["code"])
        new = tps is None
        if new:
            tps = Tps(code=row["code"], office_code=actor.office_code)
        before = None if new else self._tps_fields(tps)
        if before == row:
            return tps, False
        entered_changed = new or (before["occupancy_teu_entered"], before["occupancy_m3_entered"]) != (
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
    def _tps_fields(tps: Tps) -> dict:
        def dec(v):
            return None if v is None else Decimal(v).quantize(Decimal("0.01"))

        return dict(code=tps.code, name=tps.name, operator=tps.operator, port=tps.port,
                    capacity_teu=tps.capacity_teu, capacity_m3=dec(tps.capacity_m3),
                    facilities=sorted(tps.facilities or []), occupancy_teu_entered=tps.occupancy_teu_entered,
                    occupancy_m3_entered=dec(tps.occupancy_m3_entered))

    def import_tps(self, actor: Actor, text: str | bytes, *, source: str = "tps.csv") -> TpsImportResult:
        """The TPS registry from CSV (header TPS_CSV_HEADER; facilities separated by ';'). All or nothing:
        one bad cell names its line and column and nothing is written. Importing the same file again
        changes nothing."""
        require_role(actor, *REGISTRY_KEEPERS, action="maintain the TPS registry")
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise InputError("not UTF-8 text", field=source) from None
        reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
        header = [h.strip().lower() for h in next(reader, [])]
        if tuple(header) != TPS_CSV_HEADER:
            raise InputError(f"header must be: {','.join(TPS_CSV_HEADER)}", field=f"{source}:1")
        rows, seen = [], set()
        for n, cells in enumerate(reader, 2):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(TPS_CSV_HEADER):
                raise InputError(f"{len(cells)} columns, expected {len(TPS_CSV_HEADER)}", field=f"{source}:{n}")
            raw = dict(zip(TPS_CSV_HEADER, cells, strict=True))
            row = self._clean_tps(code=raw["code"], name=raw["name"], operator=raw["operator"], port=raw["port"],
                                  capacity_teu=raw["capacity_teu"], capacity_m3=raw["capacity_m3"],
                                  facilities=raw["facilities"], occupancy_teu=raw["occupancy_teu"],
                                  occupancy_m3=raw["occupancy_m3"], where=f"{source}:{n}:")
            if row["code"] in seen:
                raise InputError(f"TPS {row['code']} appears twice", field=f"{source}:{n}:code")
            seen.add(row["code"])
            rows.append(row)
        if not rows:
            raise InputError("no TPS rows", field=source)
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
                         m3: Decimal | str | None = None) -> TpsView:
        """The operator's latest occupancy report (TPS Online), entered by an officer. Both empty: go back to
        computing the yard from the containers stored here."""
        require_role(actor, *OFFICERS, Role.ADMIN, action="record TPS occupancy")
        teu_v, m3_v = _int(teu, "occupancy_teu"), _decimal(m3, "occupancy_m3")
        with self.ctx.db.write() as s:
            tps = s.get(Tps, (code or "").strip().upper())
            if tps is None:
                raise NotFound(f"unknown TPS {code}", field="tps", code=UNKNOWN_TPS)
            if teu_v is not None and not tps.capacity_teu:
                raise InputError("this TPS has no yard capacity", field="occupancy_teu")
            if m3_v is not None and not tps.capacity_m3:
                raise InputError("this TPS has no shed capacity", field="occupancy_m3")
            now = self.ctx.now()
            tps.occupancy_teu_entered = teu_v
            tps.occupancy_m3_entered = m3_v.quantize(Decimal("0.01")) if m3_v is not None else None
            tps.occupancy_entered_at = now if (teu_v is not None or m3_v is not None) else None
            tps.updated_at = now
            s.flush()
            audit.append(s, actor.audit, "plp.tps_occupancy", "tps", tps.code,
                         {"teu": teu_v, "m3": format(m3_v, "f") if m3_v is not None else None}, now=now)
            return self._tps_view(s, tps)

    def store_container(self, actor: Actor, tps_code: str, number: str, size: str,
                        first_stored_at: dt.datetime | None = None) -> None:
        """A container arrives in a TPS from the ship (the TPS operator's report, entered by an officer)."""
        require_role(actor, *OFFICERS, action="record stored containers")
        number = _container(number)
        if not container_number_valid(number):
            raise InputError(f"{number}: not a valid ISO 6346 container number", field="container")
        if size not in plp_rules(self.ruleset()).teu:
            raise InputError("20, 40 or 45", field="size")
        now = self.ctx.now()
        if first_stored_at is not None and (first_stored_at.tzinfo is None or first_stored_at > now):
            raise InputError("a past time with its time zone", field="first_stored_at")
        with self.ctx.db.write() as s:
            if s.get(Tps, tps_code) is None:
                raise InputError(f"unknown TPS {tps_code}", field="tps")
            if s.scalar(select(TpsContainer.id).where(TpsContainer.number == number, TpsContainer.left_at.is_(None))):
                raise Refusal(f"{number} is already stored in a TPS", code="ALREADY_STORED", field="container")
            s.add(TpsContainer(tps_code=tps_code, number=number, size=size, first_stored_at=first_stored_at or now,
                               stored_at=now))
            audit.append(s, actor.audit, "plp.container_stored", "tps", tps_code, {"container": number}, now=now)

    def first_storage(self, container_number: str) -> dt.datetime | None:
        """When the goods in this container were first stored in a TPS of this office (the 30-day clock
        keeps counting across PLP moves); None when the registry never saw it."""
        with self.ctx.db.read() as s:
            return s.scalar(select(func.min(TpsContainer.first_stored_at))
                            .where(TpsContainer.number == _container(container_number)))

    def _yard_used(self, s: Session, tps: Tps) -> tuple[int | None, str, int]:
        """(TEU used or None when unknown, source, containers stored here)."""
        sizes = s.execute(select(TpsContainer.size, func.count()).where(TpsContainer.tps_code == tps.code,
                                                                         TpsContainer.left_at.is_(None))
                          .group_by(TpsContainer.size)).all()
        stored = sum(n for _size, n in sizes)
        if tps.occupancy_teu_entered is not None:  # the operator's latest report wins while it stands
            return tps.occupancy_teu_entered, "entered", stored
        if stored:
            teu = plp_rules(self.ruleset()).teu
            return sum(teu.get(size, 2) * n for size, n in sizes), "containers", stored
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
                       used if tps.capacity_teu else None, _pct(used, tps.capacity_teu),
                       tps.capacity_m3, m3_used, _pct(m3_used, tps.capacity_m3), rules.yor_threshold(tps.port),
                       tuple(tps.facilities or ()), source, tps.occupancy_entered_at, stored)

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
        with self.ctx.db.read() as s:
            return [self._tps_view(s, t) for t in s.scalars(select(Tps).order_by(Tps.code))]

    def tps(self, code: str) -> TpsView:
        with self.ctx.db.read() as s:
            tps = s.get(Tps, (code or "").strip().upper())
            if tps is None:
                raise NotFound(f"unknown TPS {code}", field="tps", code=UNKNOWN_TPS)
            return self._tps_view(s, tps)

    # -- requests --------------------------------------------------------------------------------------------
    def _parse(self, actor: Actor, text: str | bytes) -> PlpRequest:
        request = parse_plp(text)
        if request.office != actor.office_code:
            raise InputError(f"request is for office {request.office}, this is {actor.office_code}", field="office")
        for i, c in enumerate(request.containers):
            if len(_container(c.number)) > 32:
                raise InputError("at most 32 characters", field=f"containers[{i}].number")
        return request

    def _declared(self, request: PlpRequest) -> bool:
        containers = tuple(_container(c.number) for c in request.containers)
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

    def check_request(self, actor: Actor, text: str | bytes) -> PlpEvaluation:
        """What registering this request would decide, without writing anything (the request screen's check)."""
        require_role(actor, *OFFICERS, action="check PLP requests")
        request = self._parse(actor, text)
        declared = self._declared(request)
        with self.ctx.db.read() as s:
            return self._evaluate(s, request, self.ruleset(), declared)

    def import_request(self, actor: Actor, text: str | bytes, *, source: str = "request") -> PlpDetail:
        """Register a plp/1 request with its eligibility. A request that is not eligible is kept, REJECTED with
        every refusal listed (and a numbered refusal letter) — never lost. Malformed input writes nothing."""
        require_role(actor, *OFFICERS, action="register PLP requests")
        request = self._parse(actor, text)
        declared = self._declared(request)
        ruleset = self.ruleset()
        with self.ctx.db.write() as s:
            ev = self._evaluate(s, request, ruleset, declared)
            reference = self._reference(s)
            case = self.cases.open(s, actor, kind=KIND, reference=reference,
                                   state="SUBMITTED" if ev.eligible else "REJECTED", reasons=ev.reasons,
                                   summary={"origin": request.origin.tps, "destination": request.destination.tps,
                                            "operator": ev.operator, "refusals": list(ev.refusals)},
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
                origin_registry_yor_pct=_registry_pct(ev.origin), destination_registry_yor_pct=_registry_pct(ev.destination),
                request_json=stored, eligible=ev.eligible, reasons_met=list(ev.reasons), refusals=list(ev.refusals),
                ruleset=ruleset.id))
            line_state = "PENDING" if ev.eligible else "REJECTED"
            invalid = set(ev.invalid_containers)
            seq = 0
            for c in request.containers:
                seq += 1
                s.add(PlpLine(case_id=case.id, seq=seq, kind="container", container_number=_container(c.number),
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

    def _reference(self, s: Session) -> str:
        """PLP request references: PLP-<yyyymmdd>-<n> (not an official number; the letter carries that)."""
        prefix = f"PLP-{self.ctx.today():%Y%m%d}-"
        n = s.scalar(select(func.count()).select_from(Case).where(Case.kind == KIND,
                                                                 Case.reference.startswith(prefix)))
        return f"{prefix}{n + 1:04d}"

    def _has_unreported(self, s: Session, operator: str) -> bool:
        now = self.ctx.now()
        rows = s.execute(select(PlpLine, PlpRequestRow).join(PlpRequestRow, PlpRequestRow.case_id == PlpLine.case_id)
                         .where(PlpRequestRow.operator == operator, PlpLine.state.in_(LINE_OPEN))).all()
        return any(self._overdue(line, req, now) for line, req in rows)

    def _due(self, line: PlpLine, req: PlpRequestRow) -> dt.datetime | None:
        """When this line must next be at a gate (rule set of the request, [U] figures)."""
        rs = self._ruleset_by_id(req.ruleset)
        if line.state == "APPROVED" and req.decided_at is not None:
            return gate_out_due(req.decided_at, ruleset=rs)
        if line.state == "OUT" and line.out_at is not None:
            return gate_in_due(line.out_at, ruleset=rs)
        return None

    def _overdue(self, line: PlpLine, req: PlpRequestRow, now: dt.datetime) -> bool:
        due = self._due(line, req)
        return due is not None and now > due

    # -- decision ---------------------------------------------------------------------------------------------
    def _clean_decisions(self, lines: Sequence[PlpLine], decisions: Mapping[int, tuple[bool, str]]
                         ) -> dict[int, tuple[bool, str]]:
        seqs = {ln.seq for ln in lines}
        unknown = sorted(set(decisions) - seqs)
        if unknown:
            raise InputError(f"no line {unknown[0]} on this request", field=f"lines[{unknown[0]}]")
        missing = [ln.seq for ln in lines if ln.seq not in decisions]
        if missing:
            raise InputError(f"no decision for line {missing[0]}", field=f"lines[{missing[0]}]")
        out = {}
        for seq, (ok, reason) in decisions.items():
            out[seq] = (True, "") if ok else (False, _reason_text(reason, f"lines[{seq}].reason"))
        return out

    def decide(self, actor: Actor, case_id: uuid.UUID, version: int, decisions: Mapping[int, tuple[bool, str]],
               note: str = "") -> PlpDetail:
        """Approve or reject each line (by seq); a rejected line needs a reason. At least one approved line →
        APPROVED with a numbered PLP approval letter (its number and date are the PLP's); none → REJECTED
        with a refusal letter."""
        note = _reason_text(note, "note", required=False)
        with self.ctx.db.write() as s:
            lines = list(s.scalars(select(PlpLine).where(PlpLine.case_id == case_id).order_by(PlpLine.seq)))
            if not lines:
                raise NotFound("no such PLP request", field="case", code="UNKNOWN_CASE")
            clean = self._clean_decisions(lines, decisions)
            approve = any(ok for ok, _ in clean.values())

            def apply(case: Case) -> dict:
                req = s.get(PlpRequestRow, case.id)
                for ln in lines:
                    ok, reason = clean[ln.seq]
                    ln.state = "APPROVED" if ok else "REJECTED"
                    ln.decision_reason = None if ok else reason
                req.decided_by, req.decided_at, req.decision_note = actor.user_id, self.ctx.now(), note or None
                return {"approved": [ln.seq for ln in lines if ln.state == "APPROVED"],
                        "rejected": [ln.seq for ln in lines if ln.state == "REJECTED"]}

            case = self.cases.change(s, actor, case_id, version, T["plp.approve" if approve else "plp.reject"], apply)
            doc = self._issue(s, actor, case, "PLP" if approve else "PLP-TOLAK", note=note)
            if approve:
                req = s.get(PlpRequestRow, case.id)
                req.plp_number, req.plp_date = doc.number, doc.issue_date
                case.summary = {**case.summary, "plp_number": doc.number}
            s.flush()
            return self._detail(s, case)

    def cancel(self, actor: Actor, case_id: uuid.UUID, version: int, reason: str) -> PlpDetail:
        """Cancel a request or an approved PLP before anything left the origin, with a reason and a letter."""
        reason = _reason_text(reason, "reason")
        with self.ctx.db.write() as s:
            def apply(case: Case) -> dict:
                lines = list(s.scalars(select(PlpLine).where(PlpLine.case_id == case.id)))
                if any(ln.out_at for ln in lines):
                    raise Refusal("goods have already left the origin TPS; record their arrival instead",
                                  code="ALREADY_MOVING")
                s.get(PlpRequestRow, case.id).cancel_reason = reason
                for ln in lines:
                    if ln.state in ("PENDING", "APPROVED"):
                        ln.state = "CANCELLED"
                return {"reason": reason}

            case = self.cases.change(s, actor, case_id, version, T["plp.cancel"], apply)
            self._issue(s, actor, case, "PLP-BATAL", cancel_reason=reason)
            return self._detail(s, case)

    def _letter(self, s: Session, actor: Actor, case: Case, doc_type: str, *, note: str = "",
                refusals: Iterable[str] = (), cancel_reason: str = "",
                decisions: Mapping[int, tuple[bool, str]] | None = None):
        """The content builder of a PLP letter. `decisions` (for a preview) stand in for the lines' states."""
        req = s.get(PlpRequestRow, case.id)
        letter_lines = []
        for ln in s.scalars(select(PlpLine).where(PlpLine.case_id == case.id).order_by(PlpLine.seq)):
            state, reason = ln.state, ln.decision_reason or ""
            if decisions is not None and ln.seq in decisions:
                ok, why = decisions[ln.seq]
                state, reason = ("APPROVED", "") if ok else ("REJECTED", why.strip())
            letter_lines.append(letters.PlpLetterLine(ln.seq, _what(ln), state, reason))
        names = {t.code: t.name for t in s.scalars(select(Tps).where(Tps.code.in_((req.origin_tps,
                                                                                   req.destination_tps))))}
        movement = plp_rules(self._ruleset_by_id(req.ruleset)).movement
        data = letters.PlpLetterData(
            reference=case.reference, origin=req.origin_tps, destination=req.destination_tps, operator=req.operator,
            reason=req.reason, bc11=f"{req.bc11_number} / {req.bc11_date.isoformat()}", lines=letter_lines,
            officer_name=actor.full_name, officer_nip=actor.nip or None, place=self.ctx.settings.office.city or "-",
            note=note, origin_name=names.get(req.origin_tps, ""), destination_name=names.get(req.destination_tps, ""),
            yor=(_fmt_pct(req.origin_yor_pct), _fmt_pct(req.destination_yor_pct)), ruleset=req.ruleset,
            gate_out_hours=movement.gate_out_within_hours, gate_in_hours=movement.gate_in_within_hours)
        office = self.services.issuance.office_info()

        def build(number: str, day: dt.date):
            if doc_type == "PLP":
                return letters.approval(number, day, office, data)
            if doc_type == "PLP-TOLAK":
                return letters.rejection(number, day, office, data, sorted(refusals))
            return letters.cancellation(number, day, office, data, req.plp_number, cancel_reason)

        return build

    def _issue(self, s: Session, actor: Actor, case: Case, doc_type: str, **kw):
        return self.services.issuance.issue_in(s, actor, doc_type, self._letter(s, actor, case, doc_type, **kw),
                                               case_id=case.id)

    def preview_decision(self, actor: Actor, case_id: uuid.UUID, decisions: Mapping[int, tuple[bool, str]],
                         note: str = "") -> str:
        """The letter the decision would issue, as text, before anything is written (number still blank)."""
        require_role(actor, *OFFICERS, action="decide PLP requests")
        note = _reason_text(note, "note", required=False)
        with self.ctx.db.read() as s:
            case = self.cases.get(s, case_id, kind=KIND)
            lines = list(s.scalars(select(PlpLine).where(PlpLine.case_id == case_id).order_by(PlpLine.seq)))
            clean = self._clean_decisions(lines, decisions)
            approve = any(ok for ok, _ in clean.values())
            build = self._letter(s, actor, case, "PLP" if approve else "PLP-TOLAK", note=note, decisions=clean)
            return self.services.issuance.preview(build)

    # -- movements ----------------------------------------------------------------------------------------------
    def gate_out(self, actor: Actor, case_id: uuid.UUID, version: int, seq: int, *, truck_plate: str,
                 seals: Iterable[str] | str = (), read_by: str = "manual") -> PlpDetail:
        """An approved line leaves the origin TPS (recorded by hand on the request screen)."""
        return self._move(actor, "OUT", truck_plate, seals, read_by, case_id=case_id, version=version, seq=seq)

    def gate_in(self, actor: Actor, case_id: uuid.UUID, version: int, seq: int, *, truck_plate: str,
                seals: Iterable[str] | str = (), read_by: str = "manual") -> PlpDetail:
        """A line that left the origin arrives at the destination TPS; the last one closes the case."""
        return self._move(actor, "IN", truck_plate, seals, read_by, case_id=case_id, version=version, seq=seq)

    def _move(self, actor: Actor, direction: str, truck_plate: str | None, seals, read_by: str, *,
              case_id: uuid.UUID | None = None, version: int | None = None, seq: int | None = None,
              container: str | None = None, tps: str | None = None) -> PlpDetail:
        """Record one gate event. By (case, version, seq) from a screen, or by container number from the smart
        gate (then the line is looked up under the write lock and the case's current version is used: the gate
        saw no version)."""
        require_role(actor, *OFFICERS, action="record PLP movements")
        read_by = " ".join((read_by or "manual").split())[:64] or "manual"
        plate, seal_list = _clean_plate(truck_plate, required=read_by == "manual"), _clean_seals(seals)
        with self.ctx.db.write() as s:
            if container is not None:
                found = self._line_for_gate(s, container, direction, tps)
                if found is None:
                    where = f" at {tps}" if tps else ""
                    what = "gate-out" if direction == "OUT" else "gate-in"
                    raise Refusal(f"{container}: no approved PLP {what}{where}", code="NO_RELEASE",
                                  field="container")
                line = found
                case_id = line.case_id
                version = s.get(Case, case_id).version
            else:
                line = s.scalar(select(PlpLine).where(PlpLine.case_id == case_id, PlpLine.seq == seq))
                if line is None:
                    raise NotFound(f"no line {seq} on this request", field="line")
            open_before = s.scalar(select(func.count()).select_from(PlpLine).where(
                PlpLine.case_id == case_id, PlpLine.state.in_(LINE_OPEN)))
            last = direction == "IN" and line.state == "OUT" and open_before == 1
            transition = T["plp.gate_out" if direction == "OUT" else ("plp.close" if last else "plp.gate_in")]

            def apply(case: Case) -> dict:
                req = s.get(PlpRequestRow, case.id)
                now = self.ctx.now()
                extra: dict = {}
                if direction == "OUT":
                    if line.state != "APPROVED":
                        raise Refusal(f"line {line.seq} is {line.state}, not approved to leave",
                                      code="LINE_NOT_APPROVED", field="line")
                    line.state, line.out_at, at = "OUT", now, req.origin_tps
                    self._container_leaves(s, line, now)
                else:
                    if line.state != "OUT":
                        raise Refusal(f"line {line.seq} has not left the origin TPS", code="LINE_NOT_OUT",
                                      field="line")
                    line.state, line.in_at, at = "IN", now, req.destination_tps
                    self._container_arrives(s, line, req.destination_tps, now)
                    out_seals = s.scalar(select(PlpMovement.seals).where(PlpMovement.line_id == line.id,
                                                                         PlpMovement.direction == "OUT")) or []
                    if out_seals and seal_list and sorted(out_seals) != sorted(seal_list):
                        extra = {"seal_mismatch": True, "seals_out": out_seals}
                        case.flags = sorted({*(case.flags or []), SEAL_MISMATCH})
                s.add(PlpMovement(line_id=line.id, direction=direction, tps_code=at, at=now, truck_plate=plate,
                                  seals=seal_list, read_by=read_by, recorded_by=actor.user_id, extra=extra))
                s.flush()
                return {"line": line.seq, "direction": direction, "tps": at, "truck_plate": plate,
                        "seals": seal_list, "read_by": read_by, "container": line.container_number, **extra}

            case = self.cases.change(s, actor, case_id, version, transition, apply)
            return self._detail(s, case)

    def _container_leaves(self, s: Session, line: PlpLine, now: dt.datetime) -> None:
        if line.container_number:
            for row in s.scalars(select(TpsContainer).where(TpsContainer.number == line.container_number,
                                                            TpsContainer.left_at.is_(None))):
                row.left_at = now

    def _container_arrives(self, s: Session, line: PlpLine, tps: str, now: dt.datetime) -> None:
        if not line.container_number:
            return
        first = s.scalar(select(func.min(TpsContainer.first_stored_at)).where(
            TpsContainer.number == line.container_number))
        s.add(TpsContainer(tps_code=tps, number=line.container_number, size=line.size or "20",
                           first_stored_at=first or now, stored_at=now))

    # -- the smart gate ------------------------------------------------------------------------------------------
    def _gate_rows(self, s: Session, number: str):
        return s.execute(select(PlpLine, PlpRequestRow).join(PlpRequestRow, PlpRequestRow.case_id == PlpLine.case_id)
                         .where(PlpLine.container_number == number, PlpLine.state.in_(LINE_OPEN))
                         .order_by(PlpRequestRow.decided_at)).all()

    def _line_for_gate(self, s: Session, number: str, direction: str | None, tps: str | None) -> PlpLine | None:
        number = _container(number)
        for line, req in self._gate_rows(s, number):
            d, at = ("OUT", req.origin_tps) if line.state == "APPROVED" else ("IN", req.destination_tps)
            if (direction is None or d == direction) and (tps is None or tps == at):
                return line
        return None

    def release_for_container(self, number: str, tps: str | None = None) -> GateRelease | None:
        """An approved PLP line for this container that may pass a gate now: OUT at its origin (approved,
        not yet out) or IN at its destination (out, not yet in). `tps` narrows to one gate's warehouse.
        The gate opens the barrier on it."""
        number = _container(number)
        with self.ctx.db.read() as s:
            for line, req in self._gate_rows(s, number):
                direction, at = ("OUT", req.origin_tps) if line.state == "APPROVED" else ("IN", req.destination_tps)
                if tps is None or tps == at:
                    return GateRelease(line.case_id, line.id, direction, at, req.plp_number or "")
        return None

    def record_gate_out(self, actor: Actor, container_number: str, *, tps: str | None = None,
                        truck_plate: str | None = None, seals: Iterable[str] | str = (),
                        read_by: str = "gate") -> PlpDetail:
        """The gate at the origin read `container_number` and let it out: the approved line goes OUT.
        Refusal NO_RELEASE when no approved PLP line releases it (at `tps`, when given)."""
        return self._move(actor, "OUT", truck_plate, seals, read_by, container=container_number, tps=tps)

    def record_gate_in(self, actor: Actor, container_number: str, *, tps: str | None = None,
                       truck_plate: str | None = None, seals: Iterable[str] | str = (),
                       read_by: str = "gate") -> PlpDetail:
        """The gate at the destination read `container_number` coming in: the line goes IN (the last one
        closes the case)."""
        return self._move(actor, "IN", truck_plate, seals, read_by, container=container_number, tps=tps)

    def record_gate_move(self, actor: Actor, number: str, *, tps: str | None, truck_plate: str | None,
                         seals: Iterable[str] | str = (), read_by: str = "gate") -> GateRelease:
        """The gate read `number` and let it through, whichever way its PLP line is due: record it."""
        release = self.release_for_container(number, tps)
        if release is None:
            raise Refusal(f"{number}: no approved PLP movement at this gate", code="NO_RELEASE", field="container")
        self._move(actor, release.direction, truck_plate, seals, read_by, container=number, tps=release.tps)
        return release

    # -- queries -------------------------------------------------------------------------------------------------
    def get(self, case_id: uuid.UUID) -> PlpDetail:
        with self.ctx.db.read() as s:
            return self._detail(s, self.cases.get(s, case_id, kind=KIND))

    def find(self, reference_or_number: str) -> uuid.UUID:
        """A request by its reference (PLP-yyyymmdd-n) or its PLP letter number."""
        key = (reference_or_number or "").strip()
        with self.ctx.db.read() as s:
            cid = s.scalar(select(Case.id).where(Case.kind == KIND, Case.reference == key))
            if cid is None:
                cid = s.scalar(select(PlpRequestRow.case_id).where(PlpRequestRow.plp_number == key))
        if cid is None:
            raise NotFound(f"no PLP request {key}", field="reference", code="UNKNOWN_CASE")
        return cid

    def _detail(self, s: Session, case: Case) -> PlpDetail:
        req = s.get(PlpRequestRow, case.id)
        now = self.ctx.now()
        lines = list(s.scalars(select(PlpLine).where(PlpLine.case_id == case.id).order_by(PlpLine.seq)))
        numbers = [ln.container_number for ln in lines if ln.container_number]
        first = dict(s.execute(select(TpsContainer.number, func.min(TpsContainer.first_stored_at))
                               .where(TpsContainer.number.in_(numbers)).group_by(TpsContainer.number)).all()) \
            if numbers else {}
        views = []
        for ln in lines:
            due = self._due(ln, req)
            stored = first.get(ln.container_number)
            views.append(LineView(ln.id, ln.seq, ln.kind, _what(ln), ln.state, ln.decision_reason, ln.out_at,
                                  ln.in_at, due is not None and now > due, ln.container_number, due, stored,
                                  self._storage_due(stored)))
        seq_of = {ln.id: ln.seq for ln in lines}
        moves = tuple(MovementView(seq_of[m.line_id], m.direction, m.tps_code, m.at, m.truck_plate,
                                   tuple(m.seals or ()), m.read_by)
                      for m in s.scalars(select(PlpMovement).where(PlpMovement.line_id.in_(list(seq_of)))
                                         .order_by(PlpMovement.at, PlpMovement.id))) if lines else ()
        docs = tuple(s.scalars(select(Document.number).where(Document.case_id == case.id)
                               .order_by(Document.issued_at, Document.seq)))
        registry = {t.code: self._tps_view(s, t) for t in s.scalars(
            select(Tps).where(Tps.code.in_((req.origin_tps, req.destination_tps))))}
        warnings = registry_warnings(req.reason, registry.get(req.origin_tps), registry.get(req.destination_tps)) \
            if case.state in ("SUBMITTED", "APPROVED") else ()
        return PlpDetail(view(case), req.origin_tps, req.destination_tps, req.operator, req.applicant, req.reason,
                         f"{req.bc11_number} / {req.bc11_date.isoformat()}",
                         (req.origin_yor_pct, req.destination_yor_pct), req.eligible, tuple(req.reasons_met),
                         tuple(req.refusals), req.ruleset, req.plp_number, tuple(views), docs,
                         (req.origin_registry_yor_pct, req.destination_registry_yor_pct), req.plp_date,
                         req.cancel_reason, moves, warnings)

    def _storage_due(self, first: dt.datetime | None) -> dt.date | None:
        if first is None:
            return None
        from workstation.rules.pib import tps_storage_deadline

        day = first.astimezone(self.ctx.settings.zone).date()
        try:
            return tps_storage_deadline(day, ruleset=ruleset_for("pib", day, self.ctx.settings.rulesets_dir))
        except Exception:  # no pib rule set covers that day: the clock is shown without a deadline
            return None

    def queue(self, which: str = "open", search: str = "") -> list[QueueRow]:
        """open = awaiting decision; moving = approved, not all in (incl. approved, nothing moved yet);
        overdue = a line overdue; all."""
        if which not in ("open", "moving", "overdue", "all"):
            raise InputError("open, moving, overdue or all", field="which")
        now = self.ctx.now()
        with self.ctx.db.read() as s:
            q = (select(Case, PlpRequestRow).join(PlpRequestRow, PlpRequestRow.case_id == Case.id)
                 .where(Case.kind == KIND).order_by(Case.created_at.desc(), Case.reference.desc()).limit(500))
            if which == "open":
                q = q.where(Case.state == "SUBMITTED")
            elif which in ("moving", "overdue"):
                q = q.where(Case.state.in_(("APPROVED", "MOVING")))
            if search.strip():
                like = f"%{search.strip().upper()}%"
                sub = select(PlpLine.case_id).where(PlpLine.container_number.like(like))
                q = q.where(or_(Case.reference.like(like), PlpRequestRow.plp_number.like(like),
                                PlpRequestRow.origin_tps.like(like), PlpRequestRow.destination_tps.like(like),
                                func.upper(PlpRequestRow.operator).like(like), Case.id.in_(sub)))
            found = s.execute(q).all()
            by_case: dict[uuid.UUID, list[PlpLine]] = {}
            if found:
                for ln in s.scalars(select(PlpLine).where(PlpLine.case_id.in_([c.id for c, _ in found]))):
                    by_case.setdefault(ln.case_id, []).append(ln)
            rows = []
            for case, req in found:
                lines = by_case.get(case.id, [])
                overdue = sum(self._overdue(ln, req, now) for ln in lines)
                if which == "overdue" and not overdue:
                    continue
                rows.append(QueueRow(case.id, case.reference, case.state, req.origin_tps, req.destination_tps,
                                     req.operator, len(lines), sum(ln.state in ("APPROVED", "OUT", "IN") for ln in lines),
                                     sum(ln.state == "IN" for ln in lines), overdue, req.plp_number, case.version))
            return rows

    def counts(self) -> dict[str, int]:
        """Queue sizes for the office: open, moving (approved, not all in), overdue."""
        return {"open": len(self.queue("open")), "moving": len(self.queue("moving")),
                "overdue": len(self.queue("overdue"))}


def registry_warnings(reason: str, origin: TpsView | None, destination: TpsView | None) -> tuple[str, ...]:
    """What the registry says against the stated ground, for the officer to weigh (never a refusal: the
    registry may be out of date, and "not available" may mean full)."""
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


def _registry_pct(v: TpsView | None) -> Decimal | None:
    if v is None or v.source == "none":
        return None
    return v.occupancy_pct


def _fmt_pct(d: Decimal | None) -> str:
    return "-" if d is None else f"{d.normalize():f}"


def pib_declared_hook(services) -> ImportDeclaredHook:
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


# ==========================================================================================================
# Demo
# ==========================================================================================================

SAMPLE_TPS = "plp_tps_sample.csv"


def sample_tps_csv() -> str:
    """The TPS registry of Tanjung Priok (IDTPP) used by the demo (workstation/data/plp_tps_sample.csv)."""
    from importlib.resources import files

    return files("workstation").joinpath("data", SAMPLE_TPS).read_text(encoding="utf-8")


def demo_request(origin: str, destination: str, reason: str, containers: list[tuple[str, str]], *,
                 yor: str = "71.5", applicant: str = "origin", bc11: str = "001234",
                 packages: list[tuple[str, int, str]] | None = None, declared: bool = False,
                 office: str = "040300") -> str:
    return json.dumps({
        "format": "plp/1", "office": office, "applicant": applicant, "reason": reason,
        "origin": {"tps": origin, "yor_pct": yor}, "destination": {"tps": destination, "yor_pct": "40"},
        "port": "IDTPP", "bc11": {"number": bc11, "date": "2026-11-18"}, "import_declared": declared,
        "containers": [{"number": n, "size": sz} for n, sz in containers],
        "packages": [{"bl_awb": b, "quantity": q, "kind": k} for b, q, k in (packages or [])]})


def seed_demo(services) -> None:
    """TPS registry of Tanjung Priok and requests in every state: submitted (one with packages), approved
    (the demo gate at KOJA lets its container out), moving, closed, refused at registration, cancelled."""
    from workstation.demo import DEMO_PASSWORD

    plp = services.plp
    sup = services.auth.login("agus", DEMO_PASSWORD, client="demo set-up")
    officer = services.auth.login("siti", DEMO_PASSWORD, client="demo set-up")
    office = services.settings.office.code
    try:
        plp.import_tps(sup, sample_tps_csv(), source=SAMPLE_TPS)
        now = services.ctx.now()
        for i, number in enumerate(("CSQU3054383", "MSCU6639870", "TGHU8839415", "MSKU9070323")):
            plp.store_container(officer, "KOJA", number, "40", first_stored_at=now - dt.timedelta(days=4 + i))

        def req(*a, **kw):
            return plp.import_request(officer, demo_request(*a, office=office, **kw), source="demo")

        # APPROVED, one line refused: the demo gate (TPS KOJA) opens for CSQU3054383
        a = req("KOJA", "MTI1", "YOR_OVER_THRESHOLD", [("CSQU3054383", "40"), ("MSCU6639870", "40")])
        plp.decide(officer, a.case.id, a.case.version, {1: (True, ""), 2: (False, "nomor BL tidak sesuai BC 1.1")})
        # CLOSED: out of KOJA and in at JICT
        b = req("KOJA", "JICT", "YOR_OVER_THRESHOLD", [("MSKU9070323", "40")], bc11="001240")
        b = plp.decide(officer, b.case.id, b.case.version, {1: (True, "")})
        b = plp.gate_out(officer, b.case.id, b.case.version, 1, truck_plate="B 9044 UIO", seals=["SL-7781230"])
        plp.gate_in(officer, b.case.id, b.case.version, 1, truck_plate="B 9044 UIO", seals=["SL-7781230"])
        # SUBMITTED: excisable goods to be ribboned at the destination, and an LCL request with packages
        req("KOJA", "GRAHA", "EXCISE_RIBBON_AT_DESTINATION", [("TGHU8839415", "40")], bc11="001236")
        req("MTI1", "GRAHA", "MASTER_AWB_FORWARDER", [], applicant="destination", bc11="001237",
            packages=[("MAEU123456789", 12, "PK"), ("HLCU987654321", 3, "PL")])
        # REJECTED at registration: the origin operator may not apply on rush handling
        req("JICT", "MTI1", "RUSH_HANDLING", [("CSQU3054383", "20")], bc11="001238")
        # CANCELLED after approval: the importer lodged the PIB in the meantime
        c = req("JICT", "GRAHA", "NO_SPECIAL_FACILITY", [], bc11="001239", packages=[("OOLU555000111", 40, "CT")])
        c = plp.decide(officer, c.case.id, c.case.version, {1: (True, "")})
        plp.cancel(sup, c.case.id, c.case.version, "importir telah mengajukan PIB")
    finally:
        services.auth.logout(sup, "demo set-up done")
        services.auth.logout(officer, "demo set-up done")
