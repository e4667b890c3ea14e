"""Sealing at issuance: canonical JSON, its hash, the office signature and the payload, in one call, so the
issuance service stores exactly what the renderers and the verifier will later recompute."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from printing.content import DocumentContent, canonical_content
from printing.payload import build_payload
from printing.signing import sign
from workstation.domain.canonical import sha256_hex


@dataclass(frozen=True)
class SealedDocument:
    number: str
    doc_type: str
    content_json: str  # canonical JSON text: store it as is
    content_hash: str  # SHA-256 hex of content_json
    signature: str  # base64url Ed25519 over number + hash
    payload: str  # QR / PDF-metadata payload (derivable from the four above; see payload_of)


def seal(content: DocumentContent, private_key: Ed25519PrivateKey) -> SealedDocument:
    text = canonical_content(content)
    digest = sha256_hex(text)
    signature = sign(private_key, content.number, digest)
    payload = build_payload(content.number, content.doc_type, content.issue_date, digest, signature)
    return SealedDocument(content.number, content.doc_type, text, digest, signature, payload)


def payload_of(content: DocumentContent, content_hash: str, signature: str) -> str:
    """Rebuild the payload of a stored document for a reprint."""
    return build_payload(content.number, content.doc_type, content.issue_date, content_hash, signature)


def check_payload(content: DocumentContent, payload: str) -> None:
    """Refuse to print a QR that belongs to another document or to other content (InputError)."""
    from printing.content import document_hash
    from printing.payload import parse_payload
    from workstation.errors import InputError

    p = parse_payload(payload)
    if (p.number, p.doc_type, p.issue_date) != (content.number, content.doc_type, content.issue_date):
        raise InputError("payload names another document than the content", field="payload")
    if p.content_hash != document_hash(content):
        raise InputError("payload hash is not the hash of this content", field="payload")
