"""The verification decision, pure: a payload (from the QR or the PDF metadata, or none when verifying by number),
what the store holds for that number (the caller reads the database), and the office public key.

Precedence: UNKNOWN (nothing stored) < TAMPERED (anything disagrees) < VOID (voided, otherwise intact) < VALID.
A TAMPERED result names the check that failed (Check)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from printing.payload import Payload, parse_payload
from printing.signing import verify_signature
from workstation.domain.canonical import content_hash as hash_json
from workstation.errors import InputError

if TYPE_CHECKING:
    from printing.content import DocumentContent


class VerifyStatus(StrEnum):
    VALID = "VALID"
    TAMPERED = "TAMPERED"
    UNKNOWN = "UNKNOWN"
    VOID = "VOID"


@dataclass(frozen=True)
class StoredDocument:
    """One issued document as the store holds it. `content` is the stored canonical JSON text (or the dict a
    JSON column returns); `status` is "ISSUED" or "VOID" (workstation.domain.codes.DocumentStatus)."""

    number: str
    doc_type: str
    issue_date: dt.date
    content: str | Mapping[str, Any]
    content_hash: str
    signature: str
    status: str = "ISSUED"


class Check(StrEnum):
    """The checks of `verify`, in the order they run; a TAMPERED result names the one that failed. `signature`
    and `byte range` are the PAdES checks of a PDF file (printing.pades); `payload` compares the payload the file
    (or QR) carries with the stored document; `stored hash` checks that the stored content still hashes to the
    stored hash and that the office seal (Ed25519) over number + hash verifies."""

    SIGNATURE = "signature"
    BYTE_RANGE = "byte range"
    PAYLOAD = "payload"
    STORED_HASH = "stored hash"


@dataclass(frozen=True)
class VerifyResult:
    status: VerifyStatus
    reason: str  # one English sentence for the CLI / UI
    code: str  # machine code: OK, VOIDED, NOT_FOUND, PAYLOAD_MALFORMED, CONTENT_HASH_MISMATCH, ...
    number: str | None = None
    check: Check | None = None  # the check that failed (TAMPERED only)
    fields: tuple[tuple[str, str], ...] = ()  # the stored key fields (label, value), for comparing a paper copy

    @property
    def exit_code(self) -> int:
        """CLI exit status (CONTRACTS.md): 0 only when VALID; 1 = verification failed."""
        return 0 if self.status is VerifyStatus.VALID else 1

    def line(self) -> str:
        """One line: `STATUS: NUMBER: reason`, with `<check> check failed: ` before the reason when one did."""
        failed = f"{self.check.value} check failed: " if self.check else ""
        return f"{self.status.value}: {self.number or '?'}: {failed}{self.reason}"


def _no_float(text: str) -> Decimal:
    raise ValueError("float in stored content")


def _stored_hash(content: str | Mapping[str, Any]) -> str | None:
    """Recompute the canonical hash of stored content; None if it is not even valid content JSON."""
    try:
        data = json.loads(content, parse_float=_no_float) if isinstance(content, str) else dict(content)
        return hash_json(data)
    except (ValueError, TypeError):
        return None


def _tampered(check: Check, code: str, reason: str, number: str | None) -> VerifyResult:
    return VerifyResult(VerifyStatus.TAMPERED, reason, code, number, check)


# Labels of the field rows that name the party of a document (importer, passenger, applicant, …).
_PARTY_LABELS = ("importir", "nama", "pemohon", "ppjk", "penumpang", "pengusaha", "pengangkut")
_AMOUNT_LABELS = ("(usd)", "(rp)", "rupiah", "jumlah", "pungutan", "bea masuk", "kekurangan", "kelebihan", "sanksi",
                  "denda", "nilai", "total")
_MONEY_PREFIXES = ("rp", "usd", "idr")
_TOTAL_ROWS = ("total", "jumlah")


def key_fields(content: DocumentContent) -> tuple[tuple[str, str], ...]:
    """What a person compares with a paper copy: number, date, type, title, the party rows and the amounts
    (field rows about money, table rows that total, receipt amounts and total in rupiah), as (label, value)
    pairs in content order. Values are the stored text on one line."""
    from printing.content import Fields, Table
    from printing.fmt import rupiah

    out: list[tuple[str, str]] = [
        ("Nomor / Number", content.number),
        ("Tanggal / Date", content.issue_date.isoformat()),
        ("Jenis / Type", content.doc_type),
        ("Judul / Title", content.title),
    ]
    def key_row(label: str, value: str) -> None:
        low, value = label.lower(), " ".join(value.split())
        if (low.startswith(_PARTY_LABELS) or any(h in low for h in _AMOUNT_LABELS)
                or value.lower().startswith(_MONEY_PREFIXES)):
            out.append((label, value))

    for block in content.blocks:
        if isinstance(block, Fields):
            for row in block.rows:
                key_row(row.label, row.value)
        elif isinstance(block, Table):
            for cells in block.rows:
                if len(cells) > 1 and cells[0].strip().lower().startswith(_TOTAL_ROWS):
                    out.append((" ".join(cells[0].split()), " ".join(cells[-1].split())))
    if content.receipt is not None:
        for line in content.receipt.lines:
            key_row(line.label, line.value)
        out.extend((a.label, rupiah(a.amount_idr)) for a in content.receipt.amounts)
        if content.receipt.total_idr is not None:
            out.append(("Total", rupiah(content.receipt.total_idr)))
    return tuple(out)


def stored_fields(stored: StoredDocument | None) -> tuple[tuple[str, str], ...]:
    """key_fields of a stored document; () when there is none or its content is unreadable."""
    from printing.content import load_content

    if stored is None:
        return ()
    try:
        return key_fields(load_content(stored.content if isinstance(stored.content, str) else dict(stored.content)))
    except InputError:
        return ()


def verify_document(
    payload: str | Payload | None,
    stored: StoredDocument | None,
    public_key: str | Ed25519PublicKey | None,
) -> VerifyResult:
    """Decide VALID / TAMPERED / UNKNOWN / VOID from what a file or QR carries and what the store holds.
    `payload` is None when verifying by document number alone. The PDF file's own checks (signature, byte
    range) run before, in printing.pades; this runs the `payload` check then the `stored hash` check."""
    from printing.content import load_content

    parsed: Payload | None = None
    if isinstance(payload, str):
        try:
            parsed = parse_payload(payload)
        except InputError as exc:
            return _tampered(Check.PAYLOAD, "PAYLOAD_MALFORMED", f"the verification payload is malformed ({exc})",
                             None)
    else:
        parsed = payload
    number = parsed.number if parsed else (stored.number if stored else None)

    if stored is None:
        return VerifyResult(VerifyStatus.UNKNOWN, "no document with this number was issued here", "NOT_FOUND", number)

    fields: tuple[tuple[str, str], ...] = ()
    content = None
    try:
        content = load_content(stored.content if isinstance(stored.content, str) else dict(stored.content))
        fields = key_fields(content)
    except InputError:
        pass  # reported by the stored-hash check below

    def tampered(check: Check, code: str, reason: str) -> VerifyResult:
        return VerifyResult(VerifyStatus.TAMPERED, reason, code, number, check, fields)

    # 1. payload: what the file or QR carries agrees with the store, field by field.
    if parsed is not None:
        for name, presented, held in (
            ("number", parsed.number, stored.number),
            ("document type", parsed.doc_type, stored.doc_type),
            ("issue date", parsed.issue_date, stored.issue_date),
            ("content hash", parsed.content_hash, stored.content_hash),
            ("signature", parsed.signature, stored.signature),
        ):
            if presented != held:
                code = "PAYLOAD_MISMATCH_" + name.upper().replace(" ", "_")
                return tampered(Check.PAYLOAD, code, f"the {name} on the document differs from the issued one")

    # 2. stored hash: the stored content still hashes to the stored hash, says what the row says, and the hash
    # is the one the office sealed.
    recomputed = _stored_hash(stored.content)
    if recomputed is None or content is None:
        return tampered(Check.STORED_HASH, "CONTENT_UNREADABLE", "the stored content is not a valid document")
    if recomputed != stored.content_hash:
        return tampered(Check.STORED_HASH, "CONTENT_HASH_MISMATCH",
                        "the stored content does not match its recorded hash")
    for name, inside, row in (
        ("number", content.number, stored.number),
        ("doc_type", content.doc_type, stored.doc_type),
        ("issue_date", content.issue_date, stored.issue_date),
    ):
        if inside != row:
            return tampered(Check.STORED_HASH, "STORE_MISMATCH",
                            f"the stored {name} differs from the one in the content")
    if public_key is None:
        return tampered(Check.STORED_HASH, "NO_PUBLIC_KEY", "no office public key to check the seal with")
    if not verify_signature(public_key, stored.number, stored.content_hash, stored.signature):
        return tampered(Check.STORED_HASH, "SEAL_INVALID", "the office seal over the stored hash does not verify")

    if str(stored.status).upper() == "VOID":
        return VerifyResult(VerifyStatus.VOID, "the document was issued but has been voided", "VOIDED", number,
                            None, fields)
    return VerifyResult(VerifyStatus.VALID, "the document matches the issued original", "OK", number, None, fields)
