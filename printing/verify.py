"""The verification decision, pure: a payload (from the QR or the PDF metadata, or none when verifying by number),
what the store holds for that number (the caller reads the database), and the office public key.

Precedence: UNKNOWN (nothing stored) < TAMPERED (anything disagrees) < VOID (voided, otherwise intact) < VALID."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from printing.payload import Payload, parse_payload
from printing.signing import verify_signature
from workstation.domain.canonical import content_hash as hash_json
from workstation.errors import InputError


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


@dataclass(frozen=True)
class VerifyResult:
    status: VerifyStatus
    reason: str  # one English sentence for the CLI / UI
    code: str  # machine code: OK, VOIDED, NOT_FOUND, PAYLOAD_MALFORMED, CONTENT_HASH_MISMATCH, ...
    number: str | None = None

    @property
    def exit_code(self) -> int:
        """CLI exit status (CONTRACTS.md): 0 only when VALID; 1 = verification failed."""
        return 0 if self.status is VerifyStatus.VALID else 1

    def line(self) -> str:
        return f"{self.status.value}: {self.number or '?'}: {self.reason}"


def _no_float(text: str) -> Decimal:
    raise ValueError("float in stored content")


def _stored_hash(content: str | Mapping[str, Any]) -> str | None:
    """Recompute the canonical hash of stored content; None if it is not even valid content JSON."""
    try:
        data = json.loads(content, parse_float=_no_float) if isinstance(content, str) else dict(content)
        return hash_json(data)
    except (ValueError, TypeError):
        return None


def _tampered(code: str, reason: str, number: str | None) -> VerifyResult:
    return VerifyResult(VerifyStatus.TAMPERED, reason, code, number)


def verify_document(
    payload: str | Payload | None,
    stored: StoredDocument | None,
    public_key: str | Ed25519PublicKey | None,
) -> VerifyResult:
    """Decide VALID / TAMPERED / UNKNOWN / VOID. `payload` is None when verifying by document number alone."""
    from printing.content import load_content

    parsed: Payload | None = None
    if isinstance(payload, str):
        try:
            parsed = parse_payload(payload)
        except InputError as exc:
            return _tampered("PAYLOAD_MALFORMED", f"the verification payload is malformed ({exc})", None)
    else:
        parsed = payload
    number = parsed.number if parsed else (stored.number if stored else None)

    if stored is None:
        return VerifyResult(VerifyStatus.UNKNOWN, "no document with this number was issued here", "NOT_FOUND", number)

    # 1. The store itself: content still hashes to the stored hash, and the content is what the row says.
    recomputed = _stored_hash(stored.content)
    if recomputed is None:
        return _tampered("CONTENT_UNREADABLE", "the stored content is not valid document JSON", number)
    if recomputed != stored.content_hash:
        return _tampered("CONTENT_HASH_MISMATCH", "the stored content does not match its recorded hash", number)
    try:
        content = load_content(stored.content if isinstance(stored.content, str) else dict(stored.content))
    except InputError as exc:
        return _tampered("CONTENT_UNREADABLE", f"the stored content is not a valid document ({exc})", number)
    for name, inside, row in (
        ("number", content.number, stored.number),
        ("doc_type", content.doc_type, stored.doc_type),
        ("issue_date", content.issue_date, stored.issue_date),
    ):
        if inside != row:
            return _tampered("STORE_MISMATCH", f"the stored {name} differs from the one in the content", number)

    # 2. The office signature over number + hash.
    if public_key is None:
        return _tampered("NO_PUBLIC_KEY", "no office public key to check the signature with", number)
    if not verify_signature(public_key, stored.number, stored.content_hash, stored.signature):
        return _tampered("SIGNATURE_INVALID", "the office signature does not verify", number)

    # 3. The presented payload agrees with the store, field by field.
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
                return _tampered(code, f"the {name} on the document differs from the issued one", number)

    if str(stored.status).upper() == "VOID":
        return VerifyResult(VerifyStatus.VOID, "the document was issued but has been voided", "VOIDED", number)
    return VerifyResult(VerifyStatus.VALID, "the document matches the issued original", "OK", number)
