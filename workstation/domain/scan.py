"""Classify and validate one scanned string: the decoder behind `workstation scan decode` and the screens.

Pure: no I/O, no clock unless none is given (`today`), no project import but the domain. It lives in the
domain (beside the check digits of `identifiers`) because it says what a scanned payload means, and both the
device drivers (devices/) and the services need it; devices may import the domain but not the rules.
The output shape is CONTRACTS.md "scan decode --json":
`{"kind", "symbology", "valid", "value", "detail"}`.

Recognised kinds, tried in this order:

* ``ecd``        ``ECD:<ecd_id>`` references a stored e-CD; ``ECD1:<base64url(zlib(ecd/1 JSON))>`` carries one
                 offline. The offline form is decoded with a cap on the inflated size (a zip bomb is refused),
                 parsed and validated by ``workstation.domain.ecd.EcdDocument``.
* ``mrz``        ICAO 9303 TD3 (passport): two lines of 44 characters joined by a newline (an 88-character run
                 without the newline is accepted too). Each field's check digit and the composite one are checked.
* ``pib_aju``    the PIB submission number (nomor aju): 26 characters ``[A-Za-z0-9]`` as CEISA 4.0 defines it
                 (docs-api-ceisa, "Kirim Dokumen", ``nomorAju``): ``KKKK DD PPPPPP YYYYMMDD NNNNNN`` = office
                 code (4) + customs document code (2) + company id (6, letters allowed) + submission date (8) +
                 sequence (6); e.g. ``0403 20 AB1234 20261120 000001``. Only document code 20 (BC 2.0) is a
                 PIB. Valid when office, document code, date and sequence are digits, the date is a calendar
                 date and the sequence is not zero. The office part is reported, not checked against the PIB's
                 6-digit ``kodeKantor``.
* ``aju``        the same layout with another document code (BC 2.3, BC 3.0, ...): an aju, not a PIB. Its
                 detail carries the same parts and ``document`` (the form, when known).
* ``container``  ISO 6346: owner code (3 letters), category (U, J or Z), serial (6 digits), check digit.
                 Spaces and hyphens are ignored (``CSQU 305438-3``). Ten characters (no check digit) are
                 recognised but invalid, with the expected digit in the detail.
* ``unknown``    anything else.

An AIM symbology identifier (ISO/IEC 15424, ``]`` + code character + modifier) at the start is stripped and
reported as ``symbology``. The AIM table (a standard, like ISO 6346) lives here because text typed by a
keyboard-wedge scanner or given to `workstation scan decode` carries it too; devices/aim.py applies it to raw
frame bytes.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from workstation.domain import mrz as _mrz
from workstation.domain.identifiers import container_marking, iso6346_check_digit

# --- limits (technical safety limits, not rule figures) ------------------------------------------------
#: Longest text accepted at all. A QR code holds at most 7,089 digits; anything longer is not a scan.
MAX_SCAN_TEXT = 8192
#: Largest inflated e-CD JSON. A real ecd/1 document is a few kB; this refuses decompression bombs.
MAX_ECD_JSON_BYTES = 256 * 1024

# --- AIM symbology identifiers (ISO/IEC 15424) ----------------------------------------------------------

#: code character -> (symbology name used in JSON, allowed modifier characters or None for any alphanumeric)
AIM_SYMBOLOGIES: dict[str, tuple[str, str | None]] = {
    "A": ("CODE39", "0123456789AB"),
    "B": ("TELEPEN", "0123"),
    "C": ("CODE128", "0124"),
    "D": ("CODE_ONE", None),
    "E": ("EAN_UPC", "01234"),
    "F": ("CODABAR", "0124"),
    "G": ("CODE93", "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    "H": ("CODE11", "0123"),
    "I": ("ITF", "0134"),
    "K": ("CODE16K", "012345"),
    "L": ("PDF417", "0123456"),
    "M": ("MSI", "01"),
    "N": ("ANKER", "0"),
    "O": ("CODABLOCK", "0456"),
    "P": ("PLESSEY", "0"),
    "Q": ("QR", "0123456"),
    "R": ("STRAIGHT_2OF5_2BAR", "01"),
    "S": ("STRAIGHT_2OF5_3BAR", "0123"),
    "T": ("CODE49", "012456"),
    "U": ("MAXICODE", "01234"),
    "X": ("OTHER", None),
    "Z": ("NON_BARCODE", None),
    "d": ("DATAMATRIX", "0123456789ABC"),
    "e": ("GS1_DATABAR", "0"),
    "h": ("HANXIN", "012"),
    "z": ("AZTEC", "0123456789ABC"),
}

# Modifiers that announce GS1 element strings (FNC1 in first position).
_GS1_MODIFIERS = {"C": "1", "Q": "35", "d": "25", "z": "15", "e": "0"}
_ALNUM = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


class AimError(ValueError):
    """A ``]`` prefix that is not a valid AIM symbology identifier."""


@dataclass(frozen=True)
class AimId:
    code: str
    modifier: str
    symbology: str

    @property
    def prefix(self) -> str:
        return f"]{self.code}{self.modifier}"

    @property
    def gs1(self) -> bool:
        return self.modifier in _GS1_MODIFIERS.get(self.code, "")


def parse_aim(prefix: str) -> AimId:
    """Parse a three-character AIM identifier (``]Q1``). Raises AimError naming what is wrong."""
    if len(prefix) < 3 or prefix[0] != "]":
        raise AimError("AIM identifier must be ']' + code character + modifier")
    code, modifier = prefix[1], prefix[2]
    entry = AIM_SYMBOLOGIES.get(code)
    if entry is None:
        raise AimError(f"unknown AIM code character {code!r}")
    name, allowed = entry
    if modifier not in _ALNUM or (allowed is not None and modifier not in allowed):
        raise AimError(f"invalid AIM modifier {modifier!r} for {name}")
    return AimId(code, modifier, name)


def split_aim(text: str) -> tuple[AimId | None, str]:
    """Strip a valid AIM prefix. A text that does not start with one is returned whole."""
    if text.startswith("]") and len(text) >= 3:
        try:
            return parse_aim(text[:3]), text[3:]
        except AimError:
            return None, text
    return None, text


# --- result -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanDecode:
    kind: str  # container | mrz | ecd | pib_aju | aju | unknown
    symbology: str | None
    valid: bool
    value: str
    detail: dict[str, Any] = field(default_factory=dict)
    #: The validated EcdDocument for an offline e-CD (not part of the JSON output).
    document: Any = field(default=None, compare=False, repr=False)

    @property
    def recognised(self) -> bool:
        return self.kind != "unknown"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "symbology": self.symbology,
            "valid": self.valid,
            "value": self.value,
            "detail": self.detail,
        }


def unusable_reason(text: str) -> str | None:
    """Why a text cannot be a scan at all (the CLI's exit 2), or None. The decoder itself never raises."""
    if not text.strip():
        return "empty"
    if len(text) > MAX_SCAN_TEXT:
        return f"longer than {MAX_SCAN_TEXT} characters"
    from workstation.domain.jsondoc import hostile_character

    # The one character policy (controls, C1, invisible formatting, lone surrogates); CR/LF/TAB are layout
    # and GS (0x1D) separates GS1 element strings.
    found = hostile_character(text.replace("\x1d", " "))
    if found is not None:
        what = "control character" if found[0] == "CONTROL_CHARACTERS" else "invisible formatting character"
        return f"{what} {found[1]}"
    return None


def decode_scan(text: str, *, today: dt.date | None = None) -> ScanDecode:
    """Classify and validate one scanned string (AIM prefix allowed). Never raises for a str."""
    aim, body = split_aim(text)
    symbology = aim.symbology if aim else None
    reason = unusable_reason(body)
    if reason is not None:
        return ScanDecode("unknown", symbology, False, "", {"error": reason})
    body = body.strip()
    upper = body.upper()
    if upper.startswith("ECD1:"):
        return _decode_ecd_offline(body[5:], symbology)
    if upper.startswith("ECD:"):
        return _decode_ecd_reference(body[4:].strip(), symbology)
    mrz_lines = _mrz.split_lines(body)
    if mrz_lines is not None:
        decoded = _mrz.decode(mrz_lines, today=today or dt.date.today())
        return ScanDecode("mrz", symbology, decoded.valid, decoded.value, decoded.detail)
    if AJU_SHAPE_RE.fullmatch(body):
        return _decode_aju(body, symbology)
    compact = container_marking(body)  # 'tolu 473478 7', 'TOLU 473478 [7]': the marking form
    if re.fullmatch(r"[A-Z]{4}[0-9]{6,7}", compact):
        return _decode_container(compact, symbology)
    return ScanDecode("unknown", symbology, False, body, {})


# --- containers (ISO 6346) -----------------------------------------------------------------------------


def _decode_container(number: str, symbology: str | None) -> ScanDecode:
    expected = iso6346_check_digit(number[:10])
    given = int(number[10]) if len(number) == 11 else None
    detail: dict[str, Any] = {
        "owner_code": number[:3],
        "category": number[3],
        "serial": number[4:10],
        "check_digit": given,
        "check_digit_expected": expected,
    }
    errors = []
    if number[3] not in "UJZ":
        errors.append("category must be U, J or Z")
    if given is None:
        errors.append("check digit missing")
    elif given != expected:
        errors.append(f"check digit {given} does not match {expected}")
    if errors:
        detail["error"] = "; ".join(errors)
    return ScanDecode("container", symbology, not errors, number, detail)


# --- travel documents (ICAO 9303 MRZ: TD1, TD2, TD3, visas): workstation.domain.mrz -------------------------------------------------------------------------

TD3_LINE = _mrz.TD3_LINE  # re-exported (workstation.rules.scan)


# --- PIB submission number (nomor aju) -----------------------------------------------------------------


#: What is read as an aju at all: 26 characters, office and document code digits, the company part letters or
#: digits, date and sequence digits. (A 26-character string of another shape is not taken for an aju.)
AJU_SHAPE_RE = re.compile(r"[0-9]{6}[A-Za-z0-9]{6}[0-9]{14}")
#: The CEISA ``nomorAju`` pattern.
AJU_RE = re.compile(r"[A-Za-z0-9]{26}")
#: The customs document code of a PIB (BC 2.0).
PIB_DOCUMENT_CODE = "20"
#: Customs document codes (kode dokumen pabean) a decoded aju names, for the reader.
DOCUMENT_CODES: dict[str, str] = {
    "20": "BC 2.0", "23": "BC 2.3", "25": "BC 2.5", "27": "BC 2.7", "28": "BC 2.8", "30": "BC 3.0",
    "40": "BC 4.0", "41": "BC 4.1",
}


def aju_parts(number: str) -> tuple[dict[str, Any], list[str]]:
    """The parts of an aju and what is wrong with it: ({office, document_code, company, date (ISO or None),
    sequence (int or None)}, [errors]). Layout of CEISA 4.0 ``nomorAju``: 4 office + 2 customs document code
    + 6 company + 8 date YYYYMMDD + 6 sequence, all ``[A-Za-z0-9]``; office, document code, date and sequence
    are digits. Whether it is a PIB's (document code 20) is the caller's question."""
    if not AJU_RE.fullmatch(number or ""):
        return {}, ["must be 26 letters or digits"]
    office, code, company, date_s, seq_s = number[0:4], number[4:6], number[6:12], number[12:20], number[20:26]
    detail: dict[str, Any] = {"office": office, "document_code": code, "company": company, "date": None,
                              "sequence": int(seq_s) if seq_s.isdigit() else None}
    errors = []
    if not office.isdigit():
        errors.append(f"office {office} is not 4 digits")
    if not code.isdigit():
        errors.append(f"document code {code} is not 2 digits")
    try:
        if not date_s.isdigit():
            raise ValueError
        detail["date"] = dt.date(int(date_s[:4]), int(date_s[4:6]), int(date_s[6:])).isoformat()
    except ValueError:
        errors.append(f"date {date_s} is not a calendar date")
    if detail["sequence"] is None:
        errors.append(f"sequence {seq_s} is not 6 digits")
    elif detail["sequence"] == 0:
        errors.append("sequence is zero")
    return detail, errors


def pib_aju_error(number: str) -> str | None:
    """Why `number` is not a PIB's aju (pib/1 ``aju``, CEISA ``nomorAju``), or None."""
    detail, errors = aju_parts(number)
    if errors:
        return "; ".join(errors)
    if detail["document_code"] != PIB_DOCUMENT_CODE:
        form = DOCUMENT_CODES.get(detail["document_code"], "document code " + detail["document_code"])
        return f"an aju of {form}, not a PIB (document code {PIB_DOCUMENT_CODE})"
    return None


def _decode_aju(number: str, symbology: str | None) -> ScanDecode:
    detail, errors = aju_parts(number)
    code = detail["document_code"]
    if code in DOCUMENT_CODES:
        detail["document"] = DOCUMENT_CODES[code]
    if errors:
        detail["error"] = "; ".join(errors)
    if code == PIB_DOCUMENT_CODE:
        return ScanDecode("pib_aju", symbology, not errors, number, detail)
    detail["note"] = "an aju, not a PIB"
    return ScanDecode("aju", symbology, not errors, number, detail)


# --- e-CD ----------------------------------------------------------------------------------------------

# The e-CD id as workstation.domain.ecd.EcdDocument accepts it.
_ECD_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,63}")


def _decode_ecd_reference(ecd_id: str, symbology: str | None) -> ScanDecode:
    detail: dict[str, Any] = {"mode": "reference", "ecd_id": ecd_id}
    valid = bool(_ECD_ID_RE.fullmatch(ecd_id))
    if not valid:
        detail["error"] = "e-CD id must be 1-64 letters, digits, '.', '_', '/' or '-'"
    return ScanDecode("ecd", symbology, valid, ecd_id, detail)


class _EcdStageError(Exception):
    def __init__(self, stage: str, message: str, path: str | None = None):
        super().__init__(message)
        self.stage = stage
        self.message = message
        self.path = path


def inflate_ecd_payload(payload: str) -> bytes:
    """base64url → zlib-inflated JSON bytes, refusing anything over MAX_ECD_JSON_BYTES."""
    payload = payload.strip()
    if not re.fullmatch(r"[A-Za-z0-9_-]*={0,2}", payload) or not payload.rstrip("="):
        raise _EcdStageError("base64", "payload is not base64url")
    padded = payload.rstrip("=")
    padded += "=" * (-len(padded) % 4)
    try:
        compressed = base64.urlsafe_b64decode(padded)
    except (binascii.Error, ValueError):
        raise _EcdStageError("base64", "payload is not base64url") from None
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(compressed, MAX_ECD_JSON_BYTES + 1)
    except zlib.error as exc:
        raise _EcdStageError("zlib", f"not zlib data ({exc})") from None
    if len(data) > MAX_ECD_JSON_BYTES or inflater.unconsumed_tail:
        raise _EcdStageError("size", f"inflates to more than {MAX_ECD_JSON_BYTES} bytes")
    if not inflater.eof:
        raise _EcdStageError("zlib", "zlib stream is truncated")
    if inflater.unused_data:
        raise _EcdStageError("zlib", "bytes after the end of the zlib stream")
    return data


def _reject_float(text: str) -> Decimal:
    raise _EcdStageError("json", f"number {text} is a float; amounts are decimal strings")


def parse_ecd_json(data: bytes) -> dict[str, Any]:
    """JSON object of an offline e-CD, read as every JSON document is (workstation.domain.jsondoc.load_json:
    duplicate keys, deep nesting, long numbers, control and format characters refused); floats refused:
    money is never float."""
    from workstation.domain.errors import InputError
    from workstation.domain.jsondoc import load_json

    try:
        doc = load_json(data, source="ecd", limit=MAX_ECD_JSON_BYTES, parse_float=_reject_float)
    except InputError as exc:
        raise _EcdStageError("json", exc.message, exc.field if exc.field not in (None, "ecd") else None) from None
    if not isinstance(doc, dict):
        raise _EcdStageError("json", "not a JSON object")
    return doc


def _validate_ecd(doc: dict[str, Any]) -> Any:
    # Lazy: the e-CD model belongs to the domain package and is heavy (pydantic); only offline e-CDs need it.
    try:
        from workstation.domain.ecd import EcdDocument
    except ImportError:
        raise _EcdStageError("schema", "e-CD schema (workstation.domain.ecd) is not available") from None
    from pydantic import ValidationError

    try:
        return EcdDocument.model_validate(doc)  # the checked object, as `ecd import` validates it
    except ValidationError as exc:
        err = exc.errors()[0]
        path = ".".join(str(p) for p in err.get("loc", ()))
        raise _EcdStageError("schema", err.get("msg", "invalid"), path or None) from None


def _decode_ecd_offline(payload: str, symbology: str | None) -> ScanDecode:
    detail: dict[str, Any] = {"mode": "offline", "ecd_id": None, "format": None}
    document = None
    try:
        data = inflate_ecd_payload(payload)
        detail["json_bytes"] = len(data)
        doc = parse_ecd_json(data)
        ecd_id, fmt = doc.get("ecd_id"), doc.get("format")
        detail["ecd_id"] = ecd_id if isinstance(ecd_id, str) else None
        detail["format"] = fmt if isinstance(fmt, str) else None
        document = _validate_ecd(doc)
    except _EcdStageError as exc:
        detail["stage"] = exc.stage
        detail["error"] = exc.message
        if exc.path:
            detail["field"] = exc.path
        return ScanDecode("ecd", symbology, False, detail["ecd_id"] or "", detail)
    return ScanDecode("ecd", symbology, True, detail["ecd_id"] or "", detail, document=document)


def encode_ecd_offline(document_json: bytes | str) -> str:
    """The `ECD1:` text for an ecd/1 JSON document (used by tests, simulators and the demo)."""
    if isinstance(document_json, str):
        document_json = document_json.encode("utf-8")
    packed = base64.urlsafe_b64encode(zlib.compress(document_json, 9)).rstrip(b"=")
    return "ECD1:" + packed.decode("ascii")
