"""Issuing official documents: gapless number, canonical content, SHA-256, Ed25519 signature, one row in the
append-only documents table and an audit entry — all in the caller's write transaction, with the counter
update as the last statement before COMMIT (db.numbering)."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from db import audit, changes, numbering
from db.models import Document, Office, uuid7
from printing import signing
from printing.content import DocumentContent, OfficeInfo
from printing.seal import seal
from workstation.domain.codes import DocumentStatus, Role
from workstation.domain.errors import ErrorCode
from workstation.errors import InputError, NotFound, PermissionDenied, Refusal
from workstation.services.base import Actor, ServiceContext, require_any_role

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from pyhanko.sign.signers import SimpleSigner

    from db.audit import AuditActor

ContentBuilder = Callable[[str, dt.date], DocumentContent]
DRAFT_NUMBER = "(DRAFT - nomor diberikan saat terbit)"
_INSERT_DOCUMENT = insert(Document)


@dataclass(frozen=True)
class IssuedDocument:
    id: uuid.UUID
    doc_type: str
    number: str
    version: int
    seq: int
    issue_date: dt.date
    content_hash: str
    signature: str
    status: str
    case_id: uuid.UUID | None


def _issued(d: Document) -> IssuedDocument:
    return IssuedDocument(d.id, d.doc_type, d.number, d.version, d.seq, d.issue_date, d.content_hash,
                          d.signature, d.status, d.case_id)


class OfficeKeyMissing(Refusal):
    pass


class IssuanceService:
    def __init__(self, ctx: ServiceContext):
        self.ctx = ctx
        self._key: Ed25519PrivateKey | None = None
        self._signer: SimpleSigner | None = None
        self._key_lock = threading.Lock()

    # -- the office key ----------------------------------------------------------------------------------
    def ensure_office_key(self) -> str:
        """Create the office key at set-up if this office has none; refuse to replace a lost one silently
        (documents signed with it would no longer verify). Returns the public key (base64)."""
        path = self.ctx.settings.effective_key_file
        office = self.ctx.settings.office
        with self.ctx.db.write() as s:
            row = s.get(Office, office.code)
            if row is None:
                row = Office(code=office.code, name=office.name, address=office.address, city=office.city,
                             timezone=office.timezone)
                s.add(row)
            if path.exists():
                pub = signing.public_key_b64(signing.load_private_key(path))
                if row.signing_public_key and row.signing_public_key != pub:
                    raise OfficeKeyMissing(
                        f"the key file {path} is not this office's registered signing key", code=ErrorCode.KEY_MISMATCH)
            else:
                if row.signing_public_key:
                    raise OfficeKeyMissing(
                        f"this office's signing key file {path} is missing; restore it from backup",
                        code=ErrorCode.KEY_MISSING)
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                pub = signing.public_key_b64(signing.generate_key(path))
            if row.signing_public_key != pub:
                row.signing_public_key = pub
                audit.append(s, _system(self.ctx), "office.signing_key", "office", office.code,
                             {"public_key": pub}, now=self.ctx.now())
            self._ensure_pades(s, row)
            return pub

    def _ensure_pades(self, s: Session, row: Office) -> None:
        """The office's PAdES identity (printing.pades): a P-256 key file beside the seal key and its self-signed
        certificate in `offices.signing_certificate`. Same rules as the seal key: a key file without a
        certificate gets one (a set-up interrupted before COMMIT); a certificate whose key file is gone is
        KEY_MISSING, a key file that the certificate does not certify KEY_MISMATCH — never silently replaced,
        since PDFs signed with the old key would stop verifying."""
        from printing import pades

        path = pades.pades_key_path(self.ctx.settings.effective_key_file)
        if path.exists():
            key = _load_pades_key(path)
            if row.signing_certificate:
                if not pades.key_matches_certificate(key, row.signing_certificate):
                    raise OfficeKeyMissing(f"the key file {path} is not this office's registered PAdES key",
                                           code=ErrorCode.KEY_MISMATCH)
                return
        else:
            if row.signing_certificate:
                raise OfficeKeyMissing(f"this office's PAdES key file {path} is missing; restore it from backup",
                                       code=ErrorCode.KEY_MISSING)
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            try:
                key = pades.generate_key(path)
            except InputError as exc:
                raise InputError(exc.message, field=exc.field, code=ErrorCode.KEY_INVALID) from None
        row.signing_certificate = pades.make_certificate(key, office_name=row.name, office_code=row.code,
                                                         now=self.ctx.now())
        s.flush()
        audit.append(s, _system(self.ctx), "office.pades_certificate", "office", row.code,
                     {"certificate_sha256": _sha256_hex(row.signing_certificate)}, now=self.ctx.now())

    def pades_signer(self) -> SimpleSigner:
        """The office's PAdES signer for issued PDFs (printing.render.render_pdf(signer=…)), loaded once per
        process: the key file and the certificate stored for this office. No key file → KEY_MISSING, no
        certificate → KEY_MISSING (run `workstation db upgrade`), key and certificate disagree → KEY_MISMATCH."""
        from printing import pades

        with self._key_lock:
            if self._signer is None:
                code = self.ctx.settings.office.code
                with self.ctx.db.read() as s:
                    row = s.get(Office, code)
                    cert = row.signing_certificate if row is not None else None
                if not cert:
                    raise OfficeKeyMissing(f"office {code} has no PAdES certificate; run `workstation db upgrade`",
                                           code=ErrorCode.KEY_MISSING)
                path = pades.pades_key_path(self.ctx.settings.effective_key_file)
                if not path.exists():
                    raise OfficeKeyMissing(f"no PAdES key at {path}; restore it from backup",
                                           code=ErrorCode.KEY_MISSING)
                key = _load_pades_key(path)
                if not pades.key_matches_certificate(key, cert):
                    raise OfficeKeyMissing(f"the key file {path} is not this office's registered PAdES key",
                                           code=ErrorCode.KEY_MISMATCH)
                self._signer = pades.make_signer(key, cert)
            return self._signer

    def _private_key(self) -> Ed25519PrivateKey:
        with self._key_lock:
            if self._key is None:
                path = self.ctx.settings.effective_key_file
                if not path.exists():
                    raise OfficeKeyMissing(f"no signing key at {path}; run `workstation db upgrade` to set up",
                                           code=ErrorCode.KEY_MISSING)
                self._key = signing.load_private_key(path)
            return self._key

    def office_info(self) -> OfficeInfo:
        o = self.ctx.settings.office
        return OfficeInfo(office_name=o.name, address=o.address, phone=o.phone or None, code=o.code)

    # -- issuing -----------------------------------------------------------------------------------------
    def issue_in(self, s: Session, actor: Actor, doc_type: str, build: ContentBuilder, *,
                 case_id: uuid.UUID | None = None, supersedes: IssuedDocument | None = None,
                 audit_data: dict[str, Any] | None = None) -> IssuedDocument:
        """Issue inside the caller's write transaction (so the business change, the document and the audit
        entry commit together). `build(number, issue_date)` returns the content."""
        from workstation.services.office import require_configured_in

        require_configured_in(s, self.ctx)  # never under the defaults' letterhead (#12 item 7)
        settings = self.ctx.settings
        issue_date = self.ctx.today()
        unit = changes.numbering_unit(s, actor.unit_code or settings.unit_code)
        if supersedes is not None:
            number, seq, version = supersedes.number, supersedes.seq, supersedes.version + 1
        else:
            key = numbering.CounterKey(actor.office_code, unit or "", doc_type, issue_date.year)
            seq = numbering.next_seq(s, key)
            fmt = settings.numbering.unit_format if unit else settings.numbering.format
            number = numbering.format_number(fmt, seq=seq, doc_type=doc_type, office=actor.office_code, unit=unit,
                                             year=issue_date.year)
            version = 1
        content = build(number, issue_date)
        if content.number != number or content.doc_type != doc_type:
            raise InputError("document content does not carry its number/type", field="content",
                             code=ErrorCode.INVALID_DOCUMENT,
                             params={"reason": "document content does not carry its number/type"})
        sealed = seal(content, self._private_key())
        digest = sealed.content_hash
        doc_id = uuid7()
        row: dict[str, Any] = dict(id=doc_id, doc_type=doc_type, number=number, version=version, seq=seq, year=issue_date.year,
                   office_code=actor.office_code, unit_code=unit, case_id=case_id,
                   supersedes_id=supersedes.id if supersedes else None, issue_date=issue_date,
                   issued_at=self.ctx.now(), issued_by=actor.user_id, issued_by_login=actor.login,
                   content_json=sealed.content_json,
                   content_hash=digest, signature=sealed.signature,
                   status=DocumentStatus.ISSUED.value)
        s.execute(_INSERT_DOCUMENT, [row])  # Core insert: append-only row, no ORM bookkeeping
        changes.record_insert(s, "documents", row)  # field-unit sync: the change log
        audit.append(s, actor.audit, "document.issue", "document", doc_id,
                     {"doc_type": doc_type, "number": number, "version": version, "content_hash": digest,
                      "case_id": str(case_id) if case_id else None, **(audit_data or {})}, now=self.ctx.now())
        return IssuedDocument(doc_id, doc_type, number, version, seq, issue_date, digest, sealed.signature,
                              DocumentStatus.ISSUED.value, case_id)

    def preview(self, build: ContentBuilder) -> str:
        """What a document would say, as text, before it is issued: no number is taken, nothing is written."""
        from printing.text import render_text

        return render_text(build(DRAFT_NUMBER, self.ctx.today()))

    def issue(self, actor: Actor, doc_type: str, build: ContentBuilder, **kw: Any) -> IssuedDocument:
        require_any_role(actor, action="issue documents")
        with self.ctx.db.write() as s:
            return self.issue_in(s, actor, doc_type, build, **kw)

    def void(self, actor: Actor, number: str, reason: str, confirmed_by: Actor) -> IssuedDocument:
        """Voiding needs a second user, a supervisor (dual authorisation). The document keeps its number and
        content; only its status changes (the trigger allows nothing else)."""
        require_any_role(actor, action="void documents")
        if not reason.strip():
            raise InputError("a reason is required", field="reason", code=ErrorCode.REQUIRED)
        if Role.SUPERVISOR not in confirmed_by.roles or confirmed_by.user_id == actor.user_id:
            raise PermissionDenied("voiding needs a different user with the supervisor role to confirm",
                                   code=ErrorCode.DUAL_AUTHORIZATION)
        with self.ctx.db.write() as s:
            doc = self._get(s, number)
            if doc.status == DocumentStatus.VOID:
                raise Refusal(f"{number} is already void", code=ErrorCode.ALREADY_VOID, params={"number": number})
            doc.status = DocumentStatus.VOID.value
            doc.voided_at = self.ctx.now()
            doc.voided_by = actor.user_id
            doc.void_confirmed_by = confirmed_by.user_id
            doc.void_reason = reason.strip()
            s.flush()
            audit.append(s, actor.audit, "document.void", "document", doc.id,
                         {"number": number, "reason": reason.strip(), "confirmed_by": confirmed_by.login},
                         now=self.ctx.now())
            return _issued(doc)

    # -- lookups -----------------------------------------------------------------------------------------
    def get(self, number: str, version: int | None = None) -> IssuedDocument:
        with self.ctx.db.read() as s:
            return _issued(self._get(s, number, version))

    def _get(self, s: Session, number: str, version: int | None = None) -> Document:
        q = select(Document).where(Document.number == number)
        q = q.where(Document.version == version) if version else q.order_by(Document.version.desc())
        doc = s.scalars(q.limit(1)).first()
        if doc is None:
            raise NotFound(f"no issued document {number!r}", field="number", code=ErrorCode.UNKNOWN_DOCUMENT,
                           params={"number": number})
        return doc

    def content(self, number: str, version: int | None = None) -> str:
        with self.ctx.db.read() as s:
            return self._get(s, number, version).content_json

    def for_case(self, case_id: uuid.UUID) -> list[IssuedDocument]:
        with self.ctx.db.read() as s:
            q = select(Document).where(Document.case_id == case_id).order_by(Document.issued_at)
            return [_issued(d) for d in s.scalars(q)]


def _load_pades_key(path: Path) -> EllipticCurvePrivateKey:
    """printing.pades.load_key with the refusal catalogued (KEY_MISSING / KEY_INVALID)."""
    from printing import pades

    try:
        return pades.load_key(path)
    except InputError as exc:
        if exc.code == ErrorCode.KEY_MISSING:
            raise OfficeKeyMissing(exc.message, field=exc.field, code=ErrorCode.KEY_MISSING) from None
        raise InputError(exc.message, field=exc.field, code=ErrorCode.KEY_INVALID) from None


def _sha256_hex(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _system(ctx: ServiceContext) -> AuditActor:
    from db.audit import AuditActor

    return AuditActor(None, "system", None, ctx.settings.office.code, ctx.settings.unit_code)
