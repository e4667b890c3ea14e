"""TPS Online PLP: the request a TPS operator sends to customs (`POST /permohonan-plp`, TPS Online host-to-host
API of DJBC, OpenAPI "openapi-tps" v1, schema `PermohonanPlpRequestV2`) read into the same domain model as
`plp/1` (workstation.domain.plp.PlpRequest), and the office's answer written as the TPS Online PLP response
(`ResponPLPDto` wrapped in the API's `DataResponse` envelope).

Request shape (fields this reader uses; the schema's other optional fields are accepted and ignored)::

    {"header": {"kodeKantor": "040300", "refNumber": "…", "nomorSurat": "…", "tanggalSurat": "dd-MM-yyyy",
                "kodeTpsAsal": "KOJA", "gudangAsal": "TPK1", "kodeTpsTujuan": "MTI1", "gudangTujuan": "GMTI",
                "kodeAlasanPlp": "1", "yorAsal": 71.5, "yorTujuan": 40,
                "nomorBc11": "001234", "tanggalBc11": "dd-MM-yyyy", "namaAngkut": "…", "noVoyFlight": "…",
                "callSign": "…", "tanggalTiba": "dd-MM-yyyy", "namaPemohon": "…", "tipeData": "1"},
     "detil": [{"kontainer": [{"nomorKontainer": "CSQU3054383", "ukuranKontainer": "40", "jenisKontainer": "…",
                               "jenisMuat": "F"}],
                "kemasan": [{"jenisKemasan": "PK", "jumlahKemasan": 12, "nomorBlAwb": "…",
                             "tanggalBlAwb": "dd-MM-yyyy"}]}]}

Mapping to plp/1 (CONTRACTS.md):
- `kodeAlasanPlp` is one digit. The TPS Online reference table of PLP grounds was not available; the digits
  follow the order of the grounds in PER-6/BC/2015 (seed 004): 1-6 = Persyaratan 1.a-1.f (the origin
  operator's grounds, 1 = YOR/SOR at or above the standard, as in TPS Online's own samples), 7-9 =
  Persyaratan 2.a-2.c (the destination operator's). [U: confirm against the TPS Online reference.] An unknown
  digit becomes the reason text "kodeAlasanPlp X", refused by the rule as UNKNOWN_REASON like any unknown code.
- The applicant is not in the request: a ground only the destination operator may use (7-9) means the
  destination applied; every other ground, the origin (seed 004: "Pemohon PLP adalah Pengusaha TPS Asal").
- `yorAsal`/`yorTujuan` are JSON numbers (or decimal strings): read from their decimal text, never a float.
- The port (UN/LOCODE, for the YOR threshold) is not in the request either: the caller's `port`, else the
  origin TPS's port in the office's registry, else the office's port (`OFFICE_PORTS`), else refused.
- `import_declared` is not stated in TPS Online: false (the office checks its own PIB records).
- Dates are dd-MM-yyyy. Container numbers may be written in marking form ('TOLU 473478 7', lower case):
  `workstation.inputs.container_marking` compacts them, as for plp/1.
- Package kinds are the 2-character UN/ECE Rec. 21 codes of plp/1 (CT, PK, BX…); TPS Online allows 3
  characters, and a 3-character kind ('CTN') is refused naming its path [U: no alias table].

Errors are InputError INVALID_DOCUMENT naming the TPS Online JSON path (`header.tanggalBc11`,
`detil[0].kontainer[1].nomorKontainer`)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from workstation import inputs
from workstation.domain.errors import ErrorCode, InputError
from workstation.domain.jsondoc import MAX_JSON_NUMBER_CHARS, load_json, validation_input_error
from workstation.domain.plp import PlpReason, PlpRequest, parse_plp

FORMAT = "tpsonline-plp"
PLP1 = "plp/1"

# kodeAlasanPlp -> ground (seed 004 order, see the module docstring).
REASON_CODES: dict[str, PlpReason] = {
    "1": PlpReason.YOR_OVER_THRESHOLD,
    "2": PlpReason.NO_LCL_FACILITY,
    "3": PlpReason.NO_SPECIAL_FACILITY,
    "4": PlpReason.EXCISE_RIBBON_AT_DESTINATION,
    "5": PlpReason.CONSOLIDATED_MASTER_BL,
    "6": PlpReason.STAGNATION_RISK,
    "7": PlpReason.MASTER_AWB_FORWARDER,
    "8": PlpReason.RUSH_HANDLING,
    "9": PlpReason.POSTAL_GOODS,
}
DESTINATION_CODES = frozenset({"7", "8", "9"})
CODE_OF_REASON = {reason.value: code for code, reason in REASON_CODES.items()}

# The port of a customs office's sea area, for a request that names none. KPU Tanjung Priok (040300) is the
# office of the port of Tanjung Priok (IDTPP). [U: other offices are added as the office configures them.]
OFFICE_PORTS: dict[str, str] = {"040300": "IDTPP"}

PortLookup = Callable[[str], str | None]  # origin TPS code -> its port in the office's registry

_DATE_RE = re.compile(r"([0-9]{2})-([0-9]{2})-([0-9]{4})")
_DECIMAL_RE = re.compile(r"[0-9]+(\.[0-9]+)?")


# --- reading the JSON: numbers as Decimal, never float ---------------------------------------------------------
def _decimal_hook(digits: str) -> Decimal:
    if len(digits) > MAX_JSON_NUMBER_CHARS:
        raise ValueError(f"a number of {len(digits)} characters (at most {MAX_JSON_NUMBER_CHARS})")
    return Decimal(digits)


def load_request_json(text: str | bytes) -> Any:
    """The JSON value of a request, JSON numbers with a fraction or exponent as Decimal (from their text).
    Raises InputError as workstation.domain.jsondoc.load_json."""
    return load_json(text, parse_float=_decimal_hook)


def detect(raw: Any) -> str | None:
    """'plp/1', FORMAT (TPS Online) or None for a decoded JSON value."""
    if not isinstance(raw, dict):
        return None
    if "format" in raw:
        return PLP1
    if isinstance(raw.get("header"), dict) and "detil" in raw:
        return FORMAT
    return None


# --- field types ----------------------------------------------------------------------------------------------
def _date(value: Any) -> dt.date:
    m = _DATE_RE.fullmatch(value.strip()) if isinstance(value, str) else None
    if m is None:
        raise PydanticCustomError("tps_date", "date must be dd-MM-yyyy, e.g. 18-11-2026")
    try:
        return dt.date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError:
        raise PydanticCustomError("tps_date", "not a calendar date") from None


def _optional_date(value: Any) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _date(value)


def _code_text(value: Any) -> str:
    """A code the API types as a string that some senders write as a JSON number (ukuranKontainer 20)."""
    if isinstance(value, bool):
        raise PydanticCustomError("tps_code", "must be a string")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    raise PydanticCustomError("tps_code", "must be a string")


def _percent(value: Any) -> Decimal:
    """A YOR figure: a JSON number (read as Decimal from its text) or a decimal string."""
    if isinstance(value, bool) or value is None:
        raise PydanticCustomError("tps_percent", "must be a number, e.g. 71.5")
    if isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, Decimal):
        result = value
    elif isinstance(value, str) and _DECIMAL_RE.fullmatch(value.strip()):
        result = Decimal(value.strip())
    else:
        raise PydanticCustomError("tps_percent", "must be a number, e.g. 71.5")
    if not result.is_finite() or result < 0:
        raise PydanticCustomError("tps_percent", "must be a non-negative number")
    exponent = result.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -6:  # plp/1's limit: no rounding of a figure near a threshold
        raise PydanticCustomError("tps_percent", "at most 6 decimal places")
    if result >= 1000:
        raise PydanticCustomError("tps_percent", "must be a percentage below 1000")
    return result


def _count(value: Any) -> int:
    """jumlahKemasan: a whole number, as a JSON number or digits."""
    if isinstance(value, bool):
        raise PydanticCustomError("tps_count", "must be a whole number")
    if isinstance(value, int):
        result = value
    elif isinstance(value, Decimal) and value == value.to_integral_value():
        result = int(value)
    elif isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        result = int(value.strip())
    else:
        raise PydanticCustomError("tps_count", "must be a whole number")
    if result < 1:
        raise PydanticCustomError("tps_count", "must be at least 1")
    return result


TpsDate = Annotated[dt.date, BeforeValidator(_date)]
OptTpsDate = Annotated[dt.date | None, BeforeValidator(_optional_date)]
CodeText = Annotated[str, BeforeValidator(_code_text)]
Percent = Annotated[Decimal, BeforeValidator(_percent)]
Count = Annotated[int, BeforeValidator(_count)]


def _opt(max_len: int) -> Any:
    return Field(default=None, max_length=max_len)


class _Model(BaseModel):
    # The real schema is versioned and wide: fields this reader does not use are accepted and ignored.
    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)


class TpsKontainer(_Model):
    nomorKontainer: Annotated[str, Field(min_length=1, max_length=20)]
    ukuranKontainer: CodeText
    jenisKontainer: Annotated[str | None, BeforeValidator(lambda v: None if v is None else _code_text(v))] = None
    jenisMuat: str | None = _opt(3)

    @field_validator("ukuranKontainer")
    @classmethod
    def _size(cls, v: str) -> str:
        if v not in ("20", "40", "45"):
            raise PydanticCustomError("tps_size", "container size must be 20, 40 or 45")
        return v


class TpsKemasan(_Model):
    jenisKemasan: Annotated[str, Field(min_length=1, max_length=3)]
    jumlahKemasan: Count
    nomorBlAwb: Annotated[str, Field(min_length=1, max_length=30)]
    tanggalBlAwb: OptTpsDate = None

    @field_validator("jenisKemasan")
    @classmethod
    def _kind(cls, v: str) -> str:
        v = v.upper()
        if not re.fullmatch(r"[A-Z0-9]{2}", v):
            raise PydanticCustomError(
                "tps_kind", "package kind must be a UN/ECE Rec. 21 code of 2 characters, e.g. CT or PK")
        return v


class TpsDetil(_Model):
    kontainer: list[TpsKontainer] = []
    kemasan: list[TpsKemasan] = []


class TpsHeader(_Model):
    kodeKantor: Annotated[str, Field(pattern=r"^[0-9]{6}$")]
    refNumber: str | None = _opt(20)
    nomorSurat: str | None = _opt(60)
    tanggalSurat: OptTpsDate = None
    kodeTpsAsal: Annotated[str, Field(min_length=1, max_length=4)]
    gudangAsal: str | None = _opt(4)
    kodeTpsTujuan: Annotated[str, Field(min_length=1, max_length=4)]
    gudangTujuan: str | None = _opt(4)
    kodeAlasanPlp: Annotated[CodeText, Field(min_length=1, max_length=1)]
    yorAsal: Percent
    yorTujuan: Percent
    nomorBc11: Annotated[str, Field(pattern=r"^[0-9]{6}$")]
    tanggalBc11: TpsDate
    namaAngkut: str | None = _opt(50)
    noVoyFlight: str | None = _opt(20)
    callSign: str | None = _opt(20)
    tanggalTiba: OptTpsDate = None
    namaPemohon: str | None = _opt(50)
    tipeData: str | None = _opt(1)

    @field_validator("kodeTpsAsal", "kodeTpsTujuan", "gudangAsal", "gudangTujuan")
    @classmethod
    def _upper(cls, v: str | None) -> str | None:
        return v.upper() if v else v


def _detil_list(value: Any) -> Any:
    # Some senders write one `detil` object instead of an array of them.
    return [value] if isinstance(value, dict) else value


class TpsOnlinePlp(_Model):
    """A TPS Online PLP request (`PermohonanPlpRequestV2`), validated."""

    header: TpsHeader
    detil: Annotated[list[TpsDetil], BeforeValidator(_detil_list)]

    def containers(self) -> list[tuple[str, TpsKontainer]]:
        """Every container with its JSON path, in request order (detil by detil)."""
        return [(f"detil[{i}].kontainer[{j}]", k) for i, d in enumerate(self.detil) for j, k in enumerate(d.kontainer)]

    def packages(self) -> list[tuple[str, TpsKemasan]]:
        return [(f"detil[{i}].kemasan[{j}]", k) for i, d in enumerate(self.detil) for j, k in enumerate(d.kemasan)]


def parse_tps_online(raw: Any) -> TpsOnlinePlp:
    """Validate a decoded TPS Online request. Raises InputError INVALID_DOCUMENT naming its JSON path."""
    try:
        return TpsOnlinePlp.model_validate(raw)
    except ValidationError as exc:
        raise validation_input_error(exc) from None


# --- to plp/1 ------------------------------------------------------------------------------------------------
def _port(doc: TpsOnlinePlp, port: str | None, port_of: PortLookup | None) -> str:
    if port:
        return port.strip().upper()
    found = port_of(doc.header.kodeTpsAsal) if port_of is not None else None
    found = found or OFFICE_PORTS.get(doc.header.kodeKantor)
    if not found:
        reason = (f"no port known for office {doc.header.kodeKantor} or TPS {doc.header.kodeTpsAsal}; "
                  "give the port (UN/LOCODE, e.g. --port IDTPP)")
        raise InputError(reason, code=ErrorCode.INVALID_DOCUMENT, field="header.kodeKantor",
                         params={"reason": reason})
    return found


def to_plp1(doc: TpsOnlinePlp, *, port: str | None = None, port_of: PortLookup | None = None
            ) -> tuple[dict[str, Any], dict[str, str]]:
    """The plp/1 document (a dict, decimals as strings) of a TPS Online request, and the map from plp/1 JSON
    paths to the TPS Online ones (for naming errors the plp/1 model finds in the source's terms)."""
    h = doc.header
    code = h.kodeAlasanPlp
    reason = REASON_CODES[code].value if code in REASON_CODES else f"kodeAlasanPlp {code}"
    containers = doc.containers()
    packages = doc.packages()
    paths = {"office": "header.kodeKantor", "reason": "header.kodeAlasanPlp", "applicant": "header.kodeAlasanPlp",
             "origin.tps": "header.kodeTpsAsal", "origin.yor_pct": "header.yorAsal", "origin": "header.kodeTpsAsal",
             "destination.tps": "header.kodeTpsTujuan", "destination.yor_pct": "header.yorTujuan",
             "destination": "header.kodeTpsTujuan", "port": "header.kodeKantor",
             "bc11.number": "header.nomorBc11", "bc11.date": "header.tanggalBc11", "bc11": "header.nomorBc11",
             "containers": "detil", "packages": "detil"}
    for i, (where, _k) in enumerate(containers):
        paths[f"containers[{i}].number"] = f"{where}.nomorKontainer"
        paths[f"containers[{i}].size"] = f"{where}.ukuranKontainer"
        paths[f"containers[{i}]"] = where
    for i, (where, _p) in enumerate(packages):
        paths[f"packages[{i}].bl_awb"] = f"{where}.nomorBlAwb"
        paths[f"packages[{i}].quantity"] = f"{where}.jumlahKemasan"
        paths[f"packages[{i}].kind"] = f"{where}.jenisKemasan"
        paths[f"packages[{i}]"] = where
    document = {
        "format": PLP1,
        "office": h.kodeKantor,
        "applicant": "destination" if code in DESTINATION_CODES else "origin",
        "reason": reason,
        "origin": {"tps": h.kodeTpsAsal, "yor_pct": format(h.yorAsal, "f")},
        "destination": {"tps": h.kodeTpsTujuan, "yor_pct": format(h.yorTujuan, "f")},
        "port": _port(doc, port, port_of),
        "bc11": {"number": h.nomorBc11, "date": h.tanggalBc11.isoformat()},
        "import_declared": False,
        "containers": [{"number": inputs.container_marking(k.nomorKontainer), "size": k.ukuranKontainer}
                       for _w, k in containers],
        "packages": [{"bl_awb": p.nomorBlAwb, "quantity": p.jumlahKemasan, "kind": p.jenisKemasan}
                     for _w, p in packages],
    }
    return document, paths


def _renamed(exc: InputError, paths: dict[str, str]) -> InputError:
    field = exc.field or ""
    for key in sorted(paths, key=len, reverse=True):
        if field == key or field.startswith(key + ".") or field.startswith(key + "["):
            field = paths[key] + field[len(key):]
            break
    reason = str(exc.params.get("reason", exc.message))
    return InputError(reason, code=ErrorCode.INVALID_DOCUMENT, field=field, params={"reason": reason})


def _validated(document: dict[str, Any]) -> PlpRequest:
    try:
        return PlpRequest.model_validate_json(json.dumps(document, ensure_ascii=False))
    except ValidationError as exc:
        raise validation_input_error(exc) from None


def _compact_containers(request: PlpRequest) -> PlpRequest:
    """plp/1 read as before, its container numbers compacted (marking form), checked again (duplicates)."""
    if all(c.number == inputs.container_marking(c.number) for c in request.containers):
        return request
    document = request.model_dump(mode="json")
    for c in document["containers"]:
        c["number"] = inputs.container_marking(c["number"])
    return _validated(document)


@dataclass(frozen=True)
class ReadRequest:
    """A PLP request as read: its format, the domain model, and the TPS Online original when it was one."""

    format: str  # PLP1 | FORMAT
    request: PlpRequest
    tps_online: TpsOnlinePlp | None = None


def read_request(text: str | bytes, *, port: str | None = None, port_of: PortLookup | None = None) -> ReadRequest:
    """Read a PLP request in either format, detected from its content: a `format` member means plp/1 (read
    exactly as before: decimals as strings, floats refused), a `header` object with `detil` means TPS Online.
    Container numbers are compacted from their marking form in both. `port`/`port_of`: see the module
    docstring (TPS Online only; plp/1 states its port). Raises InputError (INVALID_JSON, INVALID_DOCUMENT naming
    the path in the format that was sent, …)."""
    raw = load_request_json(text)
    kind = detect(raw)
    if kind == PLP1:
        return ReadRequest(PLP1, _compact_containers(parse_plp(text)))
    if kind != FORMAT:
        reason = "not a PLP request: expected plp/1 (a \"format\" member) or TPS Online (\"header\" and \"detil\")"
        raise InputError(reason, code=ErrorCode.INVALID_DOCUMENT, field="$", params={"reason": reason})
    doc = parse_tps_online(raw)
    document, paths = to_plp1(doc, port=port, port_of=port_of)
    try:
        return ReadRequest(FORMAT, _validated(document), doc)
    except InputError as exc:
        raise _renamed(exc, paths) from None


def read_plp_request(text: str | bytes, *, port: str | None = None, port_of: PortLookup | None = None
                     ) -> PlpRequest:
    """`read_request(...).request`: the domain model of a plp/1 or TPS Online request."""
    return read_request(text, port=port, port_of=port_of).request


# --- the answer: TPS Online PLP response ------------------------------------------------------------------------
APPROVED_FLAG = "Y"  # flagSetuju: Y = setuju (approved)
_ANY_PORT = "ZZZZZ"  # re-reading a stored request for its answer: the port (a threshold input) plays no part
REFUSED_FLAG = "T"  # T = tidak (refused) [U: the response schema types flagSetuju as a string, values unstated]


@dataclass(frozen=True)
class LineOutcome:
    """One line of the request with the office's decision: `approved` or not, and the officer's reason."""

    kind: str  # container | package
    approved: bool
    reason: str | None = None


def _d(day: dt.date | None) -> str | None:
    return None if day is None else day.strftime("%d-%m-%Y")


def response_document(received: str | bytes, *, reference: str, approved: bool, plp_number: str | None,
                      plp_date: dt.date | None, lines: list[LineOutcome], refusals: tuple[str, ...],
                      issued_at: dt.datetime) -> dict[str, Any]:
    """The TPS Online PLP response (DataResponse envelope, `data.responPlp[0]` = header + kontainer + kemasan)
    for the request `received` (plp/1 or TPS Online, as stored) and the office's decision.

    `approved`: the request was approved (a PLP number and date; lines flagged Y or T); else it was refused
    (no PLP number, every line T) and `alasanReject` lists the refusal codes (or the officer's reasons).
    `lines` are the request's lines in the order they were registered (containers, then packages, each in the
    request's order). Dates are dd-MM-yyyy as in the TPS Online API; `issued_at` (the office's local time) is
    the envelope's `date`. A request whose lines do not match `lines` is a programming error (ValueError)."""
    read = read_request(received, port=_ANY_PORT)
    request = read.request
    header = read.tps_online.header if read.tps_online is not None else None
    containers = [line for line in lines if line.kind == "container"]
    packages = [line for line in lines if line.kind == "package"]
    if len(containers) != len(request.containers) or len(packages) != len(request.packages):
        raise ValueError("the decided lines do not match the request")
    if read.tps_online is not None:
        sources_k: list[Any] = [k for _w, k in read.tps_online.containers()]
        sources_p: list[Any] = [p for _w, p in read.tps_online.packages()]
    else:
        sources_k = [None] * len(containers)
        sources_p = [None] * len(packages)

    def flag(line: LineOutcome) -> str:
        return APPROVED_FLAG if approved and line.approved else REFUSED_FLAG

    kontainer = [{"nomorKontainer": c.number, "ukuranKontainer": c.size,
                  "jenisKontainer": getattr(src, "jenisKontainer", None), "flagSetuju": flag(line)}
                 for c, line, src in zip(request.containers, containers, sources_k, strict=True)]
    kemasan = [{"jenisKemasan": p.kind, "jumlahKemasan": p.quantity, "nomorBlAwb": p.bl_awb,
                "tanggalBlAwb": _d(getattr(src, "tanggalBlAwb", None)), "flagSetuju": flag(line)}
               for p, line, src in zip(request.packages, packages, sources_p, strict=True)]
    if approved:
        line_reasons = sorted({ln.reason for ln in lines if not ln.approved and ln.reason})
        reject = "; ".join(line_reasons) or None
    else:
        reject = "; ".join(refusals) or "; ".join(sorted({ln.reason for ln in lines if ln.reason})) or "DITOLAK"
    head = {
        "refNumber": header.refNumber if header is not None and header.refNumber else reference,
        "nomorSurat": header.nomorSurat if header is not None else None,
        "tanggalSurat": _d(header.tanggalSurat) if header is not None else None,
        "kodeKantor": request.office,
        "kodeTpsAsal": request.origin.tps,
        "gudangAsal": header.gudangAsal if header is not None else None,
        "kodeTpsTujuan": request.destination.tps,
        "gudangTujuan": header.gudangTujuan if header is not None else None,
        "kodeAlasanPlp": CODE_OF_REASON.get(request.reason, header.kodeAlasanPlp if header is not None else None),
        "nomorPlp": plp_number if approved else None,
        "tanggalPlp": _d(plp_date) if approved else None,
        "alasanReject": reject,
        "nomorBc11": request.bc11.number,
        "tanggalBc11": _d(request.bc11.date),
        "namaAngkut": header.namaAngkut if header is not None else None,
        "nomorVoyFlight": header.noVoyFlight if header is not None else None,
        "callSign": header.callSign if header is not None else None,
        "tanggalTiba": _d(header.tanggalTiba) if header is not None else None,
    }
    zone = issued_at.tzname() or ""
    return {
        "result": "Data(s) successfully fetched.",
        "detail": "PLP disetujui" if approved else "PLP ditolak",
        "path": "/respon-plp",
        "date": f"{issued_at:%d-%m-%Y %H:%M:%S}{' ' + zone if zone else ''}",
        "code": 200,
        "version": "1",
        "data": {"responPlp": [{"header": head, "kontainer": kontainer, "kemasan": kemasan}]},
    }


__all__ = [
    "APPROVED_FLAG", "CODE_OF_REASON", "DESTINATION_CODES", "FORMAT", "OFFICE_PORTS", "PLP1", "REASON_CODES",
    "REFUSED_FLAG", "LineOutcome", "ReadRequest", "TpsOnlinePlp", "detect", "load_request_json", "parse_tps_online",
    "read_plp_request", "read_request", "response_document", "to_plp1",
]
