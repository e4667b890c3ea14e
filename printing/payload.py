"""The verification payload: what the QR code and the PDF metadata carry.

Format 1, one line, `|`-separated (the number may contain anything else a human number uses):

    WSD1|<number>|<doc_type>|<issue_date YYYY-MM-DD>|<sha256 hex of canonical content>|<Ed25519 signature, base64url>

A reader needs the office public key to check the signature offline, and the store to check the content."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

from workstation.errors import InputError

PAYLOAD_VERSION = "WSD1"
# Custom key in the PDF document information dictionary.
PDF_INFO_KEY = "/WSDPayload"

_PARTS = ("version", "number", "doc_type", "issue_date", "content_hash", "signature")
_DOC_TYPE_RE = re.compile(r"^[A-Z][A-Z0-9_-]{1,15}$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HASH_RE = re.compile(r"^[0-9a-f]{64}$")
_SIG_RE = re.compile(r"^[A-Za-z0-9_-]{86}$")
_MAX_LEN = 400


@dataclass(frozen=True)
class Payload:
    number: str
    doc_type: str
    issue_date: dt.date
    content_hash: str
    signature: str

    def encode(self) -> str:
        return build_payload(self.number, self.doc_type, self.issue_date, self.content_hash, self.signature)


def build_payload(number: str, doc_type: str, issue_date: dt.date, content_hash: str, signature: str) -> str:
    text = "|".join((PAYLOAD_VERSION, number, doc_type, issue_date.isoformat(), content_hash, signature))
    parse_payload(text)  # one definition of "well-formed" for both directions
    return text


def parse_payload(text: str) -> Payload:
    """Parse a scanned or extracted payload; a malformed one → InputError naming the part."""
    if not isinstance(text, str) or not text:
        raise InputError("empty verification payload", field="payload")
    text = text.strip("\r\n")
    if len(text) > _MAX_LEN:
        raise InputError(f"payload longer than {_MAX_LEN} characters", field="payload")
    parts = text.split("|")
    if parts[0] != PAYLOAD_VERSION:
        raise InputError(f"unknown payload version {parts[0][:10]!r} (expected {PAYLOAD_VERSION})", field="payload.version")
    if len(parts) != len(_PARTS):
        raise InputError(f"payload has {len(parts)} parts, expected {len(_PARTS)}", field="payload")
    _, number, doc_type, date_text, content_hash, signature = parts
    if not number or number != number.strip() or any(ord(c) < 32 for c in number):
        raise InputError("bad document number", field="payload.number")
    if not _DOC_TYPE_RE.match(doc_type):
        raise InputError("bad document type", field="payload.doc_type")
    try:
        if not _DATE_RE.match(date_text):
            raise ValueError
        issue_date = dt.date.fromisoformat(date_text)
    except ValueError:
        raise InputError("issue date must be YYYY-MM-DD", field="payload.issue_date") from None
    if not _HASH_RE.match(content_hash):
        raise InputError("content hash must be 64 lowercase hex digits", field="payload.content_hash")
    if not _SIG_RE.match(signature):
        raise InputError("signature must be 86 base64url characters", field="payload.signature")
    return Payload(number, doc_type, issue_date, content_hash, signature)


def try_parse_payload(text: str) -> Payload | None:
    """For looking a document up by the number it claims; malformed → None (the verifier says TAMPERED)."""
    try:
        return parse_payload(text)
    except InputError:
        return None


# An issued document is tens of kilobytes; a long LHP a few hundred. Anything far larger is not ours, and reading
# it whole (a device, /dev/urandom) must not exhaust memory.
MAX_PDF_BYTES = 32 * 1024 * 1024


def read_pdf(path: str | Path) -> bytes:
    """A PDF file's bytes, at most MAX_PDF_BYTES. Missing, unreadable, too large, or not starting with the
    PDF header → InputError naming the file."""
    name = str(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_PDF_BYTES + 1)
    except FileNotFoundError:
        raise InputError("file not found", field=name) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", field=name) from None
    if len(data) > MAX_PDF_BYTES:
        raise InputError(f"larger than {MAX_PDF_BYTES // (1024 * 1024)} MB: not an issued document", field=name)
    if not data.lstrip()[:5] == b"%PDF-":
        raise InputError("not a readable PDF", field=name)
    return data


def extract_payload(source: bytes | str | Path) -> str:
    """The payload stored in a PDF's information dictionary. `source` is the PDF's bytes or its path.
    Unreadable or non-PDF input, or a PDF without a payload → InputError naming the file."""
    from pypdf import PdfReader  # heavy; only the verify paths need it

    if isinstance(source, bytes | bytearray):
        name = "pdf"
        data = bytes(source)
        if not data.lstrip()[:5] == b"%PDF-":
            raise InputError("not a readable PDF", field=name)
    else:
        name = str(source)
        data = read_pdf(source)
    try:
        reader = PdfReader(io.BytesIO(data))
        info = reader.metadata
        value = info.get(PDF_INFO_KEY) if info is not None else None
    except Exception:  # pypdf raises a wide variety of errors on damaged files
        raise InputError("not a readable PDF", field=name) from None
    if value is None:
        raise InputError("PDF carries no verification payload (not issued by this system?)", field=name)
    return str(value)
