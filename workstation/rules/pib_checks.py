"""PIB intake (SKP) checks, lartas matching, the inspector's report models and the examiner's PIB-vs-LHP
comparison (DOMAIN.md §2 steps 1, 2, 5 and 6). Pure: the service looks the reference data up and passes it in.

Also the strict parsers of the reference files the checks read: the tariff table (BTKI posts), the lartas
table (HS prefix -> permit) and BC 1.1 manifest lines. CSV, one header line, errors name `file:line N:column`.

Check codes are ours (DOMAIN.md lists the checks, not codes); spelled as below in the rejection response,
the UI and the audit trail."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from workstation.domain.errors import ErrorCode
from workstation.domain.identifiers import container_marking, container_number_valid
from workstation.domain.pib import (
    PibDocument,
    PibItem,
    PositiveDecimalStr,
    at_path,
    check_unique,
    validation_input_error,
)
from workstation.errors import InputError

# Inspection levels an Instruksi Pemeriksaan may set, in percent of the packages (DOMAIN.md §2 step 4).
# [U] A category list rather than a computed figure; it belongs in the pib rule set once PibRules has a table
# for it (reported to the lead).


class CheckCode(StrEnum):
    IMPORTER_BLOCKED = "IMPORTER_BLOCKED"  # on the supervisors' blocked-importer list
    NO_CUSTOMS_ACCESS = "NO_CUSTOMS_ACCESS"  # no API (importer identification number) [U]
    OFFICE_MISMATCH = "OFFICE_MISMATCH"  # lodged for another customs office
    BC11_UNKNOWN = "BC11_UNKNOWN"  # no such BC 1.1 manifest number/date/pos/sub-pos
    BL_MISMATCH = "BL_MISMATCH"  # the B/L is not the one on that manifest line
    NDPBM_NO_RATE = "NDPBM_NO_RATE"  # no NDPBM in the rate table for the currency and day
    NDPBM_MISMATCH = "NDPBM_MISMATCH"  # the NDPBM stated differs from the rate table's
    HS_NOT_10_DIGITS = "HS_NOT_10_DIGITS"  # not a length of [tariff] post_lengths (name kept: stored)
    HS_UNKNOWN = "HS_UNKNOWN"  # not a post of the tariff table
    INCOMPLETE = "INCOMPLETE"  # a required value is empty or zero
    INCONSISTENT = "INCONSISTENT"  # values contradict each other (dates)


# English and Indonesian wording of each problem (the rejection response is an official, bilingual document).
_WORDING: dict[CheckCode, tuple[str, str]] = {
    CheckCode.IMPORTER_BLOCKED: ("importer {npwp} is blocked: {reason}", "importir {npwp} diblokir: {reason}"),
    CheckCode.NO_CUSTOMS_ACCESS: ("importer has no API (importer identification number)",
                                  "importir tidak memiliki API (angka pengenal importir)"),
    CheckCode.OFFICE_MISMATCH: ("PIB is for office {office}, this office is {ours}",
                                "PIB ditujukan ke kantor {office}, kantor ini {ours}"),
    CheckCode.BC11_UNKNOWN: ("no BC 1.1 {number} of {date} pos {pos} sub-pos {subpos}",
                             "BC 1.1 {number} tanggal {date} pos {pos} sub-pos {subpos} tidak ditemukan"),
    CheckCode.BL_MISMATCH: ("B/L {bl} of {bl_date} is not on that manifest line (manifest: {m_bl} of {m_date})",
                            "B/L {bl} tanggal {bl_date} tidak sesuai pos manifes (manifes: {m_bl} tanggal {m_date})"),
    CheckCode.NDPBM_NO_RATE: ("no NDPBM for {currency} on {day}", "tidak ada NDPBM {currency} untuk tanggal {day}"),
    CheckCode.NDPBM_MISMATCH: ("NDPBM stated {stated}, rate table {table} for {currency} on {day}",
                               "NDPBM diberitahukan {stated}, tabel kurs {table} untuk {currency} tanggal {day}"),
    CheckCode.HS_NOT_10_DIGITS: ("HS code {hs} must have {digits} digits", "pos tarif {hs} harus {digits} digit"),
    CheckCode.HS_UNKNOWN: ("HS code {hs} is not in the tariff table", "pos tarif {hs} tidak ada dalam BTKI"),
    CheckCode.INCOMPLETE: ("{what}", "{what_id}"),
    CheckCode.INCONSISTENT: ("{what}", "{what_id}"),
}


@dataclass(frozen=True)
class Problem:
    """One failed check: its code, the JSON path of the value at fault, and the wording in both languages."""

    code: CheckCode
    field: str
    message: str
    message_id: str

    def as_json(self) -> dict[str, str]:
        return {"code": self.code.value, "field": self.field, "message": self.message, "message_id": self.message_id}

    @classmethod
    def from_json(cls, data: Mapping[str, str]) -> Problem:
        return cls(CheckCode(data["code"]), data["field"], data["message"], data.get("message_id", data["message"]))


def problem(code: CheckCode, path: str, **params: Any) -> Problem:
    en, id_ = _WORDING[code]
    return Problem(code, path, en.format(**params), id_.format(**params))


# --------------------------------------------------------------------------------------------------
# Reference rows (as the service loads them)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TariffRow:
    hs_code: str
    description: str
    bm_rate: Decimal


@dataclass(frozen=True)
class LartasRow:
    hs_prefix: str
    permit: str
    agency: str


@dataclass(frozen=True)
class ManifestLine:
    number: str
    date: dt.date
    pos: str
    subpos: str
    bl_number: str
    bl_date: dt.date
    consignee: str
    packages: int
    package_unit: str
    containers: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, dt.date, str, str]:
        return (self.number, self.date, self.pos, self.subpos)


@dataclass(frozen=True)
class IntakeReference:
    """What the SKP checks compare a PIB with, looked up by the service for this one PIB."""

    office_code: str
    submitted_on: dt.date  # the day the NDPBM must be valid on
    blocked: Mapping[str, str]  # NPWP (digits) -> reason, active blocks only
    manifest_line: ManifestLine | None  # the line the PIB's BC 1.1 reference names, if it exists
    ndpbm_quoted: Decimal | None  # the rate table's NDPBM for the PIB's currency on submitted_on, as quoted
    tariff: Mapping[str, TariffRow]  # at least the posts the PIB's items name
    post_lengths: Collection[int]  # digits of a tariff post, from the rule set ([tariff] post_lengths)
    lartas: Sequence[LartasRow] = ()


def normalise_npwp(text: str) -> str:
    """NPWP digits only (printed as 01.234.567.8-012.000)."""
    return re.sub(r"[.\-\s]", "", text or "")


def normalise_bl(text: str) -> str:
    return re.sub(r"\s", "", text or "").upper()


# --------------------------------------------------------------------------------------------------
# SKP checks
# --------------------------------------------------------------------------------------------------


def skp_checks(doc: PibDocument, ref: IntakeReference) -> list[Problem]:
    """Every problem of the PIB, in document order (importer, office, manifest, B/L, NDPBM, items).
    An empty list means the PIB passes to lartas and billing."""
    out: list[Problem] = []
    npwp = normalise_npwp(doc.importer.npwp)

    # importer: blocked, customs access, NPWP complete
    if npwp in ref.blocked:
        out.append(problem(CheckCode.IMPORTER_BLOCKED, "importer.npwp", npwp=npwp, reason=ref.blocked[npwp]))
    if not re.fullmatch(r"[0-9]{15}|[0-9]{16}", npwp):
        out.append(problem(CheckCode.INCOMPLETE, "importer.npwp", what="NPWP must have 15 or 16 digits",
                           what_id="NPWP harus 15 atau 16 digit"))
    if not doc.importer.api:
        out.append(problem(CheckCode.NO_CUSTOMS_ACCESS, "importer.api"))
    if doc.office != ref.office_code:
        out.append(problem(CheckCode.OFFICE_MISMATCH, "office", office=doc.office, ours=ref.office_code))

    # BC 1.1 reference and B/L
    b = doc.bc11
    line = ref.manifest_line
    if line is None or line.key != (b.number, b.date, b.pos, b.subpos):
        out.append(problem(CheckCode.BC11_UNKNOWN, "bc11", number=b.number, date=b.date.isoformat(), pos=b.pos,
                           subpos=b.subpos))
    elif normalise_bl(line.bl_number) != normalise_bl(doc.bl.number) or line.bl_date != doc.bl.date:
        path = "bl.number" if normalise_bl(line.bl_number) != normalise_bl(doc.bl.number) else "bl.date"
        out.append(problem(CheckCode.BL_MISMATCH, path, bl=doc.bl.number, bl_date=doc.bl.date.isoformat(),
                           m_bl=line.bl_number, m_date=line.bl_date.isoformat()))

    # dates
    if doc.bl.date > doc.arrival_date:
        out.append(problem(CheckCode.INCONSISTENT, "bl.date", what="B/L date is after the arrival date",
                           what_id="tanggal B/L setelah tanggal kedatangan"))
    if doc.arrival_date > ref.submitted_on:
        out.append(problem(CheckCode.INCONSISTENT, "arrival_date", what="arrival date is in the future",
                           what_id="tanggal kedatangan belum terjadi"))
    if doc.bc11.date > ref.submitted_on:
        out.append(problem(CheckCode.INCONSISTENT, "bc11.date", what="BC 1.1 date is in the future",
                           what_id="tanggal BC 1.1 belum terjadi"))

    # NDPBM
    day = ref.submitted_on.isoformat()
    if ref.ndpbm_quoted is None:
        out.append(problem(CheckCode.NDPBM_NO_RATE, "currency", currency=doc.currency, day=day))
    elif doc.ndpbm != ref.ndpbm_quoted:
        out.append(problem(CheckCode.NDPBM_MISMATCH, "ndpbm", stated=format(doc.ndpbm, "f"),
                           table=format(ref.ndpbm_quoted.normalize(), "f"), currency=doc.currency, day=day))

    # items
    for n, item in enumerate(doc.items):
        base = f"items[{n}]"
        if len(item.hs_code) not in ref.post_lengths:
            out.append(problem(CheckCode.HS_NOT_10_DIGITS, f"{base}.hs_code", hs=item.hs_code,
                               digits=_lengths_text(ref.post_lengths)))
        elif item.hs_code not in ref.tariff:
            out.append(problem(CheckCode.HS_UNKNOWN, f"{base}.hs_code", hs=item.hs_code))
        if item.cif <= 0:
            out.append(problem(CheckCode.INCOMPLETE, f"{base}.cif", what="CIF value must be greater than zero",
                               what_id="nilai CIF harus lebih dari nol"))
    return out


# --------------------------------------------------------------------------------------------------
# Lartas
# --------------------------------------------------------------------------------------------------


def lartas_for(hs_code: str, rules: Iterable[LartasRow]) -> LartasRow | None:
    """The most specific rule whose prefix the HS code starts with."""
    best: LartasRow | None = None
    for r in rules:
        if hs_code.startswith(r.hs_prefix) and (best is None or len(r.hs_prefix) > len(best.hs_prefix)):
            best = r
    return best


@dataclass(frozen=True)
class LartasFlag:
    """A PIB line that needs a permit (by the lartas table, or as declared), and whether it has one."""

    seq: int
    hs_code: str
    permit_type: str
    agency: str
    permit: str | None  # the permit number declared or presented later

    @property
    def missing(self) -> bool:
        return not self.permit

    def as_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "hs_code": self.hs_code, "permit_type": self.permit_type, "agency": self.agency,
                "permit": self.permit, "missing": self.missing}


def lartas_flags(items: Iterable[PibItem], rules: Sequence[LartasRow]) -> list[LartasFlag]:
    """Lines needing a permit: those the table names, and those the importer declared as restricted."""
    out = []
    for item in items:
        rule = lartas_for(item.hs_code, rules)
        if rule is None and not item.lartas_required:
            continue
        out.append(LartasFlag(item.seq, item.hs_code, rule.permit if rule else "declared by the importer",
                              rule.agency if rule else "-", item.lartas_permit))
    return out


# --------------------------------------------------------------------------------------------------
# The inspector's reports (LHP, BAP fisik, BA pengambilan contoh) and the IP
# --------------------------------------------------------------------------------------------------

Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
OptLine = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
LongLine = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
# An HS code as the inspector read it; that it has the digits of a tariff post (rule set `[tariff] post_lengths`)
# is checked by the service, which knows the rule set.
HsDigits = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{6,12}$")]


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


UnitCode = Annotated[str, BeforeValidator(_upper), StringConstraints(pattern=r"^[A-Z0-9]{1,4}$")]
Country = Annotated[str, BeforeValidator(_upper), StringConstraints(pattern=r"^[A-Z]{2}$")]
TypeCode = Annotated[str, BeforeValidator(_upper), StringConstraints(pattern=r"^[A-Z0-9]{2,4}$")]


class FormModel(BaseModel):
    """Officers' form input: unknown fields refused, strings stripped; dates and numbers may come as text."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class SealCondition(StrEnum):
    INTACT = "intact"
    BROKEN = "broken"
    NONE = "none"  # no seal found


def _container_number(value: str) -> str:
    number = container_marking(value)
    if not container_number_valid(number):
        raise ValueError(f"{number} is not a valid ISO 6346 container number (check digit)")
    return number


class LhpContainer(FormModel):
    number: str
    size: Literal["20", "40", "45"]
    type: TypeCode
    seal_number: OptLine = ""
    seal_condition: SealCondition

    @field_validator("number")
    @classmethod
    def _number(cls, v: str) -> str:
        return _container_number(v)

    @model_validator(mode="after")
    def _seal(self) -> LhpContainer:
        if self.seal_condition != SealCondition.NONE and not self.seal_number:
            raise at_path("seal number required when a seal was found", "seal_number")
        return self


class LhpItem(FormModel):
    """What the inspector found for one declared item."""

    seq: Annotated[int, Field(ge=1)]
    packages_examined: Line  # e.g. "3 CT of 40"
    description: Line
    brand_type: OptLine = ""
    specification: OptLine = ""
    quantity: PositiveDecimalStr
    unit: UnitCode
    origin: Country
    hs_code: HsDigits
    match: bool
    note: OptLine = ""


class UndeclaredGoods(FormModel):
    description: Line
    quantity: PositiveDecimalStr
    unit: UnitCode
    container: OptLine = ""


class LhpInput(FormModel):
    containers: list[LhpContainer] = Field(default_factory=list)
    items: Annotated[list[LhpItem], Field(min_length=1)]
    undeclared: list[UndeclaredGoods] = Field(default_factory=list)
    photos: list[Line] = Field(default_factory=list)  # references to photos stored elsewhere (file names, ids)
    notes: LongLine = ""

    @model_validator(mode="after")
    def _unique(self) -> LhpInput:
        check_unique([c.number for c in self.containers], "containers", "number")
        check_unique([i.seq for i in self.items], "items", "seq")
        return self

    @property
    def conclusion(self) -> str:
        """MATCH when every examined item matches and nothing undeclared was found."""
        return "MATCH" if all(i.match for i in self.items) and not self.undeclared else "MISMATCH"


class Representative(FormModel):
    """The importer's or PPJK's representative present at the inspection, who signs the minutes."""

    name: Line
    capacity: Literal["IMPORTER", "PPJK"]
    id_number: Line  # KTP or PPJK staff card


class BapInput(FormModel):
    """Berita Acara Pemeriksaan Fisik. Both signatures are recorded as given on paper."""

    place: Line
    inspected_on: dt.date
    representative: Representative
    findings: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
    representative_signed: bool
    inspector_signed: bool


class Sample(FormModel):
    seq: Annotated[int, Field(ge=1)]
    description: Line
    quantity: PositiveDecimalStr
    unit: UnitCode
    seal: OptLine = ""  # the seal or label on the sample bag


class SamplingInput(FormModel):
    """Berita Acara Pengambilan Contoh Barang."""

    place: Line
    taken_on: dt.date
    representative: Representative
    samples: Annotated[list[Sample], Field(min_length=1)]
    purpose: Line
    representative_signed: bool
    inspector_signed: bool


def parse_form(model: type[FormModel], data: Mapping[str, Any], *, prefix: str = "") -> Any:
    """Validate form data; the first problem is an InputError naming the field (`items[2].quantity`)."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        err = validation_input_error(exc)
        message = err.message.removeprefix("Value error, ")
        raise InputError(message,
                         code=ErrorCode.INVALID_VALUE, field=f"{prefix}{err.field}" if prefix else err.field) from None


def check_signed(form: BapInput | SamplingInput) -> None:
    """Minutes are recorded only once both the representative and the inspector have signed."""
    if not form.representative_signed:
        raise InputError("the importer/PPJK representative has not signed",
                         code=ErrorCode.NOT_SIGNED, field="representative_signed")
    if not form.inspector_signed:
        raise InputError("the inspector has not signed", code=ErrorCode.NOT_SIGNED, field="inspector_signed")


# --------------------------------------------------------------------------------------------------
# Research: PIB against LHP
# --------------------------------------------------------------------------------------------------


class Difference(StrEnum):
    NOT_EXAMINED = "NOT_EXAMINED"
    HS_CODE = "HS_CODE"
    QUANTITY = "QUANTITY"
    UNIT = "UNIT"
    MISMATCH = "MISMATCH"  # the inspector's own conclusion
    TARIFF_RATE = "TARIFF_RATE"  # declared BM rate differs from the tariff table's for the declared post
    LARTAS = "LARTAS"  # a permit is required and missing


@dataclass(frozen=True)
class ItemComparison:
    seq: int
    declared: PibItem
    found: LhpItem | None
    tariff_bm_rate: Decimal | None
    differences: tuple[Difference, ...] = field(default=())


def compare_items(items: Sequence[PibItem], lhp: LhpInput | None, tariff: Mapping[str, TariffRow],
                  lartas: Sequence[LartasFlag] = ()) -> list[ItemComparison]:
    """The research view: per declared item, what the LHP found and what differs."""
    found = {i.seq: i for i in (lhp.items if lhp else ())}
    missing = {f.seq for f in lartas if f.missing}
    out = []
    for item in items:
        f = found.get(item.seq)
        diffs: list[Difference] = []
        if lhp is not None and f is None:
            diffs.append(Difference.NOT_EXAMINED)
        if f is not None:
            if f.hs_code != item.hs_code:
                diffs.append(Difference.HS_CODE)
            if f.quantity != item.quantity:
                diffs.append(Difference.QUANTITY)
            if f.unit != item.unit:
                diffs.append(Difference.UNIT)
            if not f.match:
                diffs.append(Difference.MISMATCH)
        post = tariff.get(item.hs_code)
        if post is not None and post.bm_rate != item.bm_rate and item.bm_specific_idr is None:
            diffs.append(Difference.TARIFF_RATE)
        if item.seq in missing:
            diffs.append(Difference.LARTAS)
        out.append(ItemComparison(item.seq, item, f, post.bm_rate if post else None, tuple(diffs)))
    return out


# --------------------------------------------------------------------------------------------------
# Reference files
# --------------------------------------------------------------------------------------------------

TARIFF_HEADER = ("hs_code", "description", "bm_rate")
LARTAS_HEADER = ("hs_prefix", "permit", "agency")
MANIFEST_HEADER = ("bc11_number", "bc11_date", "pos", "subpos", "bl_number", "bl_date", "consignee", "packages",
                   "package_unit", "containers")

_RATE_RE = re.compile(r"(?:0|[1-9][0-9]{0,2})(?:\.[0-9]{1,4})?")


def _records(text: str, header: tuple[str, ...], source: str) -> Iterable[tuple[str, list[str]]]:
    """(line label, cells) of each non-blank data row, after checking the header."""
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text))
    header_seen = False
    rows = []
    try:
        for record in reader:
            line = reader.line_num
            if not record or all(not c.strip() for c in record):
                continue
            if not header_seen:
                got = tuple(c.strip() for c in record)
                if got != header:
                    raise InputError(f"header must be {','.join(header)}, got {','.join(got)}",
                                     code=ErrorCode.INVALID_CSV, field=f"{source}:line {line}")
                header_seen = True
                continue
            if len(record) != len(header):
                raise InputError(f"expected {len(header)} columns, got {len(record)}",
                                 code=ErrorCode.INVALID_CSV, field=f"{source}:line {line}")
            rows.append((f"line {line}", [c.strip() for c in record]))
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}",
                         code=ErrorCode.INVALID_CSV, field=f"{source}:line {reader.line_num}") from None
    if not header_seen:
        raise InputError(f"empty file; expected the header {','.join(header)}",
                         code=ErrorCode.INVALID_CSV, field=source)
    return rows


def _date(text: str, where: str) -> dt.date:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise InputError(f"expected a date YYYY-MM-DD, got {text!r}", code=ErrorCode.DATE_FORMAT, field=where)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"not a calendar date: {text!r}", code=ErrorCode.NOT_A_DATE, field=where) from None


def _unique(keys: list[Any], labels: list[str], source: str, what: str) -> None:
    seen: dict[Any, str] = {}
    for k, label in zip(keys, labels, strict=True):
        if k in seen:
            raise InputError(f"duplicate {what} (also on {seen[k]})",
                             code=ErrorCode.DUPLICATE_VALUE, field=f"{source}:{label}")
        seen[k] = label


def _lengths_text(lengths: Collection[int]) -> str:
    return " or ".join(str(n) for n in sorted(lengths))


def parse_tariff_csv(text: str, *, post_lengths: Collection[int], source: str = "tariff") -> list[TariffRow]:
    """`hs_code,description,bm_rate`: a post of one of `post_lengths` digits (the rule set's
    `[tariff] post_lengths`), its description, the MFN BM rate in percent."""
    out, labels = [], []
    for label, (hs, desc, rate) in _records(text, TARIFF_HEADER, source):
        where = f"{source}:{label}"
        if not re.fullmatch(r"[0-9]+", hs) or len(hs) not in post_lengths:
            raise InputError(f"HS code must have {_lengths_text(post_lengths)} digits, got {hs!r}",
                             code=ErrorCode.HS_CODE, field=f"{where}:hs_code",
                             params={"lengths": _lengths_text(post_lengths)})
        if not desc or len(desc) > 500:
            raise InputError("description must have 1-500 characters",
                             code=ErrorCode.INVALID_CSV, field=f"{where}:description")
        if not _RATE_RE.fullmatch(rate):
            raise InputError(f"BM rate must be a percentage such as 7.5, got {rate!r}",
                             code=ErrorCode.INVALID_CSV, field=f"{where}:bm_rate")
        out.append(TariffRow(hs, desc, Decimal(rate)))
        labels.append(label)
    _unique([r.hs_code for r in out], labels, source, "HS code")
    return out


def parse_lartas_csv(text: str, *, source: str = "lartas") -> list[LartasRow]:
    """`hs_prefix,permit,agency`: goods whose HS code starts with the prefix (4-10 digits) need the permit."""
    out, labels = [], []
    for label, (prefix, permit, agency) in _records(text, LARTAS_HEADER, source):
        where = f"{source}:{label}"
        if not re.fullmatch(r"[0-9]{4,10}", prefix):
            raise InputError(f"HS prefix must have 4-10 digits, got {prefix!r}",
                             code=ErrorCode.INVALID_CSV, field=f"{where}:hs_prefix")
        if not permit or len(permit) > 200:
            raise InputError("permit must have 1-200 characters",
                             code=ErrorCode.INVALID_CSV, field=f"{where}:permit")
        if not agency or len(agency) > 100:
            raise InputError("agency must have 1-100 characters",
                             code=ErrorCode.INVALID_CSV, field=f"{where}:agency")
        out.append(LartasRow(prefix, permit, agency))
        labels.append(label)
    _unique([r.hs_prefix for r in out], labels, source, "HS prefix")
    return out


def parse_manifest_csv(text: str, *, source: str = "manifest") -> list[ManifestLine]:
    """BC 1.1 lines: `bc11_number,bc11_date,pos,subpos,bl_number,bl_date,consignee,packages,package_unit,
    containers` with the containers separated by spaces (empty for break-bulk or LCL)."""
    out, labels = [], []
    for label, cells in _records(text, MANIFEST_HEADER, source):
        number, bc_date, pos, subpos, bl, bl_date, consignee, packages, unit, containers = cells
        where = f"{source}:{label}"
        if not re.fullmatch(r"[0-9]{6}", number):
            raise InputError(f"BC 1.1 number must have 6 digits, got {number!r}",
                             code=ErrorCode.INVALID_CSV, field=f"{where}:bc11_number")
        if not re.fullmatch(r"[0-9]{4}", pos):
            raise InputError(f"pos must have 4 digits, got {pos!r}",
                             code=ErrorCode.INVALID_CSV, field=f"{where}:pos")
        if not re.fullmatch(r"[0-9]{8}", subpos):
            raise InputError(f"sub-pos must have 8 digits, got {subpos!r}",
                             code=ErrorCode.INVALID_CSV, field=f"{where}:subpos")
        if not bl or len(bl) > 35:
            raise InputError("B/L number must have 1-35 characters",
                             code=ErrorCode.INVALID_CSV, field=f"{where}:bl_number")
        if not consignee or len(consignee) > 200:
            raise InputError("consignee must have 1-200 characters",
                             code=ErrorCode.INVALID_CSV, field=f"{where}:consignee")
        if not re.fullmatch(r"[1-9][0-9]{0,8}", packages):
            raise InputError(f"packages must be a positive whole number, got {packages!r}",
                             code=ErrorCode.INVALID_CSV, field=f"{where}:packages")
        if not re.fullmatch(r"[A-Z0-9]{1,4}", unit):
            raise InputError(f"package unit must be a code such as CT or PK, got {unit!r}",
                             code=ErrorCode.INVALID_CSV, field=f"{where}:package_unit")
        numbers = tuple(c.upper() for c in containers.split())
        for c in numbers:
            if not container_number_valid(c):
                raise InputError(f"{c} is not a valid ISO 6346 container number",
                                 code=ErrorCode.CONTAINER_NUMBER, field=f"{where}:containers")
        out.append(ManifestLine(number, _date(bc_date, f"{where}:bc11_date"), pos, subpos, bl,
                                _date(bl_date, f"{where}:bl_date"), consignee, int(packages), unit, numbers))
        labels.append(label)
    _unique([m.key for m in out], labels, source, "BC 1.1 line")
    return out


__all__ = [
    "BapInput",
    "CheckCode",
    "Difference",
    "IntakeReference",
    "ItemComparison",
    "LartasFlag",
    "LartasRow",
    "LhpContainer",
    "LhpInput",
    "LhpItem",
    "ManifestLine",
    "Problem",
    "Representative",
    "Sample",
    "SamplingInput",
    "SealCondition",
    "TariffRow",
    "UndeclaredGoods",
    "check_signed",
    "compare_items",
    "lartas_flags",
    "lartas_for",
    "normalise_bl",
    "normalise_npwp",
    "parse_form",
    "parse_lartas_csv",
    "parse_manifest_csv",
    "parse_tariff_csv",
    "problem",
    "skp_checks",
]
