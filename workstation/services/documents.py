"""Issued documents after issuance: print and reprint (the n-th print is marked SALINAN / COPY n, a void
one carries the VOID watermark), export to a file, send to CUPS or the receipt printer, keep failed prints
queued for retry, verify a PDF or a number, preview as text. The supervisor's daily report is workstation/services/report.py."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from db import audit
from db.models import Document, DocumentPrint, Office, PrintJob, uuid7
from printing.content import load_content
from printing.seal import payload_of
from printing.verify import Check, StoredDocument, VerifyResult, VerifyStatus, stored_fields, verify_document
from workstation.domain.codes import DocumentStatus
from workstation.domain.errors import ErrorCode
from workstation.errors import InputError, WorkstationError
from workstation.services.base import Actor, require_any_role

if TYPE_CHECKING:
    from workstation.services import Services

TARGETS = ("file", "cups", "escpos")
# A job still PRINTING after this long was left by a process that stopped mid-print: it may be retried.
STALE_PRINTING = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class PrintOutcome:
    number: str
    copy_number: int
    target_kind: str
    target: str
    detail: str  # file path, CUPS job id, or printer port


@dataclass(frozen=True)
class _Reserved:
    """What step 1 fixed, everything step 2 needs without a session."""

    job_id: uuid.UUID
    document_id: uuid.UUID
    number: str
    kind: str
    target: str
    copy_number: int
    content_json: str
    content_hash: str
    signature: str
    void: bool


@dataclass(frozen=True)
class DocumentView:
    number: str
    doc_type: str  # a code (SPPB, SPTNP…), never translated
    issue_date: dt.date
    status: str  # DocumentStatus: ISSUED | VOID
    text: str  # exactly what the next print shows (render_text with its marks)
    prints: int  # prints so far: 0 means the next one is the original
    void: bool
    copy_mark: str  # the next print's copy mark, "SALINAN / COPY ke-N"; "" for the original
    void_mark: str  # "BATAL / VOID" on a void document, else ""
    receipt: bool  # the document has a receipt form (ESC/POS)


@dataclass(frozen=True)
class JobView:
    id: uuid.UUID
    number: str
    target_kind: str
    target: str
    status: str
    attempts: int
    last_error: str
    updated_at: dt.datetime


class DocumentsService:
    def __init__(self, services: Services):
        self.services = services
        self.ctx = services.ctx

    # -- lookups -------------------------------------------------------------------------------------------
    def _doc(self, s: Session, number: str, version: int | None = None) -> Document:
        return self.services.issuance._get(s, number, version)

    def preview(self, number: str, version: int | None = None) -> str:
        from printing.text import render_text

        with self.ctx.db.read() as s:
            doc = self._doc(s, number, version)
            prints = self._copies(s, doc.id)
            return render_text(load_content(doc.content_json), copy_number=prints,
                               void=doc.status == DocumentStatus.VOID)

    def document_view(self, number: str) -> DocumentView:
        """What the document screen shows: the text the next print carries (its copy mark and void mark
        included), how many prints there were, and the marks alone (printing.fmt: what the renderers stamp)."""
        from printing.fmt import VOID_MARK, copy_mark
        from printing.text import render_text

        with self.ctx.db.read() as s:
            doc = self._doc(s, number)
            prints = self._copies(s, doc.id)
            void = doc.status == DocumentStatus.VOID
            text = render_text(load_content(doc.content_json), copy_number=prints, void=void)
            return DocumentView(doc.number, doc.doc_type, doc.issue_date, str(doc.status), text, prints, void,
                                copy_mark(prints) if prints else "", VOID_MARK if void else "",
                                load_content(doc.content_json).receipt is not None)

    def prints_of(self, number: str) -> int:
        with self.ctx.db.read() as s:
            return self._copies(s, self._doc(s, number).id)

    # -- printing ------------------------------------------------------------------------------------------
    # A print is three steps so that no database lock is held while a printer thinks (a jammed printer may take
    # lp's 30 s timeout; on PostgreSQL every write of the office waits on the one advisory lock):
    #   1. reserve (short write transaction): fix the copy number (a `DocumentPrint` row) and mark the job
    #      PRINTING (a `PrintJob` row with the same id), commit;
    #   2. render and send, outside any transaction;
    #   3. record the outcome (short write transaction): DONE and the `document.print` audit entry, or FAILED
    #      (kept in the queue for retry) / CANCELLED and `document.print_failed`.
    # Copy numbers are unique (step 1 runs under the write lock) and gapless: document_prints is append-only,
    # so a number once given out stays with its job; a failed print keeps it and its retry (or the same print
    # asked again) prints that same number. What can be checked before (the file's directory, the queue name,
    # a receipt part) is checked before a number is given out. A `DocumentPrint` row without a job of the same
    # id is a print from before this scheme (always successful).
    def print_document(self, actor: Actor, number: str, *, out: str | Path | None = None,
                       printer: str | None = None, receipt: bool = False,
                       reprint_names: bool = False) -> PrintOutcome:
        """Render the issued document `number` from its stored content and send it to a file (`out`), a CUPS
        queue (`printer`, else printer.cups_queue) or the receipt printer (`receipt`). The n-th print is marked
        SALINAN / COPY n-1. A job already queued for this document and target is taken over (its copy number
        too). Raises InputError (NO_PRINTER, NOT_A_RECEIPT, INVALID_VALUE for a bad path or queue name: nothing
        written), NotFound (UNKNOWN_DOCUMENT), or PrinterError PRINT_QUEUED when the printer failed and the job
        is kept for retry. A file that could not be written after all (disk full) raises its error and its job
        is CANCELLED, not queued. The void mark is the document's status when the copy number is fixed.
        A copy (N ≥ 1) written to a file never replaces an existing file: it goes to NAME-reprint-N.pdf when
        `out` exists, or always with `reprint_names`; the outcome's `detail` is the file written."""
        require_any_role(actor, action="print documents")
        kind, target = self._target(out, printer, receipt)
        from printing.output import PrinterError

        try:
            outcome = self._run_job(actor, number, kind, target, reprint_names=reprint_names)
        except PrinterError as exc:  # the printer's fault, not the document's: the job is kept (not for files)
            if kind == "file":
                raise
            raise PrinterError(template="{reason}; the job is kept in the print queue", field=exc.field,
                               code=ErrorCode.PRINT_QUEUED, params={**exc.params, "reason": exc.message}) from None
        assert outcome is not None  # only a retry of a job another session took returns None
        return outcome

    def _target(self, out: str | Path | None, printer: str | None, receipt: bool) -> tuple[str, str]:
        settings = self.ctx.settings.printer
        if receipt:
            port = printer or settings.receipt_port
            if not port:
                raise InputError("no receipt printer: set printer.receipt_port or give --printer PORT",
                                 field="printer", code=ErrorCode.NO_PRINTER)
            return "escpos", port
        if out:
            return "file", str(out)
        queue = printer or settings.cups_queue
        if not queue:
            raise InputError("no output: give --out FILE.pdf or --printer QUEUE (or set printer.cups_queue)",
                             field="printer", code=ErrorCode.NO_PRINTER)
        return "cups", queue

    def _run_job(self, actor: Actor, number: str, kind: str, target: str, *,
                 job_id: uuid.UUID | None = None, reprint_names: bool = False) -> PrintOutcome | None:
        """Reserve, print, record. None when `job_id` is no longer waiting (another session took it)."""
        from printing.output import PrinterError

        self._precheck(number, kind, target)
        job = self._reserve(actor, number, kind, target, job_id)
        if job is None:
            return None
        try:
            detail = self._send(job, reprint_names=reprint_names)
        except BaseException as exc:  # recorded whatever it was, so no job stays PRINTING
            queued = isinstance(exc, PrinterError) and kind != "file"
            self._record_failure(actor, job, str(exc) or type(exc).__name__, queued=queued)
            raise
        self._record_success(actor, job, written=detail if kind == "file" else None)
        return PrintOutcome(number, job.copy_number, kind, target, detail)

    def _precheck(self, number: str, kind: str, target: str) -> None:
        """What would fail for certain, checked before a copy number is given out. Raises InputError, or
        OfficeKeyMissing (KEY_MISSING / KEY_MISMATCH) when a PDF could not be signed."""
        from printing import output

        if kind != "escpos":  # a PDF goes out only signed: a missing PAdES key is refused before a copy number
            self.services.issuance.pades_signer()
        if kind == "file":
            directory = Path(target).parent
            if not directory.is_dir():
                raise InputError("directory does not exist", field=target, code=ErrorCode.INVALID_VALUE)
            if not os.access(directory, os.W_OK):
                raise InputError("cannot write here: permission denied", field=target, code=ErrorCode.INVALID_VALUE)
        elif kind == "cups":
            output.lp_argv(target, title=number, lp=self.ctx.settings.printer.lp_command)

    def _reserve(self, actor: Actor, number: str, kind: str, target: str,
                 job_id: uuid.UUID | None) -> _Reserved | None:
        """Step 1: fix the copy number and mark the job PRINTING, in one short write transaction."""
        now = self.ctx.now()
        with self.ctx.db.write() as s:
            doc = self._doc(s, number)
            content = load_content(doc.content_json)
            if kind == "escpos" and content.receipt is None:
                raise InputError(f"{number} is not a receipt document", field="number",
                                 code=ErrorCode.NOT_A_RECEIPT, params={"number": number})
            waiting = [PrintJob.status == "FAILED",
                       (PrintJob.status == "PRINTING") & (PrintJob.updated_at < now - STALE_PRINTING)]
            if job_id is not None:
                job = s.scalar(select(PrintJob).where(PrintJob.id == job_id, or_(*waiting)))
                if job is None:
                    return None
            else:  # the same print asked again: take over the queued job rather than queue a second one
                job = s.scalars(select(PrintJob).where(PrintJob.document_id == doc.id, PrintJob.target == target,
                                                       PrintJob.target_kind == kind, or_(*waiting))
                                .order_by(PrintJob.created_at).limit(1)).first()
            if job is None:
                job = PrintJob(id=uuid7(), document_id=doc.id, number=number, target_kind=kind,
                               target=target[:300], status="PRINTING", attempts=1, last_error="", created_at=now,
                               created_by=actor.user_id, updated_at=now)
                s.add(job)
            else:
                job.status, job.attempts, job.updated_at = "PRINTING", job.attempts + 1, now
            held = s.get(DocumentPrint, job.id)
            if held is None:
                held = DocumentPrint(id=job.id, document_id=doc.id, copy_number=self._copies(s, doc.id),
                                     target_kind=kind, target=target[:300], printed_at=now,
                                     printed_by=actor.user_id, printed_by_login=actor.login)
                s.add(held)
            s.flush()
            return _Reserved(job.id, doc.id, number, kind, target, held.copy_number, doc.content_json,
                             doc.content_hash, doc.signature, doc.status == DocumentStatus.VOID)

    @staticmethod
    def _copies(s: Session, document_id: uuid.UUID) -> int:
        """Copy numbers given out for the document so far (they run 0..n-1 without gaps)."""
        return s.scalar(select(func.count()).select_from(DocumentPrint)
                        .where(DocumentPrint.document_id == document_id)) or 0

    def _send(self, job: _Reserved, *, reprint_names: bool = False) -> str:
        """Step 2, outside any transaction: render and hand over. Returns the file path, the CUPS job id or
        the port. Raises PrinterError (printer, queue, spooler) or InputError (bad path or queue name)."""
        from printing import output
        from printing.render import render_pdf

        settings = self.ctx.settings.printer
        content = load_content(job.content_json)
        payload = payload_of(content, job.content_hash, job.signature)
        if job.kind == "escpos":
            printer = output.open_serial_printer(job.target, baudrate=settings.receipt_baud)
            try:
                output.print_receipt(content, printer, payload=payload, columns=settings.receipt_columns,
                                     copy_number=job.copy_number, void=job.void)
            finally:
                close = getattr(printer, "close", None)
                if close:
                    close()
            return job.target
        # Signed here, outside any transaction: every PDF that leaves the system carries the office's PAdES
        # signature (the signer is loaded once per process; a missing key is refused before any PDF goes out).
        pdf = render_pdf(content, payload=payload, copy_number=job.copy_number, void=job.void,
                         signer=self.services.issuance.pades_signer())
        if job.kind == "file":
            if job.copy_number:  # a copy never replaces the original's (or any other) file
                return str(output.write_copy(pdf, job.target, job.copy_number, always_suffix=reprint_names))
            return str(output.write_file(pdf, job.target))
        return output.send_to_cups(pdf, job.target, title=job.number, lp=settings.lp_command)

    def _record_success(self, actor: Actor, job: _Reserved, *, written: str | None = None) -> None:
        """Step 3 after a print: the job is DONE; the print is audited (for a file, the file written)."""
        with self.ctx.db.write() as s:
            row = s.get(PrintJob, job.job_id)
            if row is not None:
                row.status, row.last_error, row.updated_at = "DONE", "", self.ctx.now()
            audit.append(s, actor.audit, "document.print", "document", job.document_id,
                         {"number": job.number, "copy_number": job.copy_number, "target_kind": job.kind,
                          "target": written or job.target, "void": job.void}, now=self.ctx.now())

    def _record_failure(self, actor: Actor, job: _Reserved, error: str, *, queued: bool) -> None:
        """Step 3 after a failure: FAILED (kept for retry, which prints the same copy number) when `queued`,
        else CANCELLED (the register then shows that copy number was never printed, and why)."""
        with self.ctx.db.write() as s:
            row = s.get(PrintJob, job.job_id)
            if row is not None:
                row.status = "FAILED" if queued else "CANCELLED"
                row.last_error, row.updated_at = error[:500], self.ctx.now()
            s.flush()
            audit.append(s, actor.audit, "document.print_failed", "document", job.document_id,
                         {"number": job.number, "copy_number": job.copy_number, "target_kind": job.kind,
                          "target": job.target, "error": error[:500], "queued": queued}, now=self.ctx.now())

    def failed_jobs(self) -> list[JobView]:
        """Prints waiting for a retry: FAILED ones, and PRINTING ones left behind by a process that stopped
        mid-print (older than STALE_PRINTING), oldest first."""
        cutoff = self.ctx.now() - STALE_PRINTING
        with self.ctx.db.read() as s:
            q = (select(PrintJob)
                 .where(or_(PrintJob.status == "FAILED",
                            (PrintJob.status == "PRINTING") & (PrintJob.updated_at < cutoff)))
                 .order_by(PrintJob.created_at))
            return [JobView(j.id, j.number, j.target_kind, j.target, j.status, j.attempts, j.last_error, j.updated_at)
                    for j in s.scalars(q)]

    def retry_failed(self, actor: Actor) -> tuple[int, int]:
        """Try every waiting job again (each with its own copy number when it kept one). Returns (printed,
        still failing); a job another session is retrying at the same time counts in neither."""
        require_any_role(actor, action="print documents")
        done = failing = 0
        for job in self.failed_jobs():
            try:
                if self._run_job(actor, job.number, job.target_kind, job.target, job_id=job.id) is not None:
                    done += 1
            except WorkstationError:
                failing += 1
        return done, failing

    # -- verification --------------------------------------------------------------------------------------
    def _stored(self, s: Session, number: str) -> tuple[StoredDocument | None, str | None]:
        doc = s.scalars(select(Document).where(Document.number == number).order_by(Document.version.desc())
                        .limit(1)).first()
        if doc is None:
            return None, self._office_key(s, self.ctx.settings.office.code)
        stored = StoredDocument(number=doc.number, doc_type=doc.doc_type, issue_date=doc.issue_date,
                                content=doc.content_json, content_hash=doc.content_hash, signature=doc.signature,
                                status=doc.status)
        return stored, self._office_key(s, doc.office_code)

    def _office_key(self, s: Session, code: str) -> str | None:
        office = s.get(Office, code)
        return office.signing_public_key if office else None

    def verify_number(self, number: str) -> VerifyResult:
        with self.ctx.db.read() as s:
            stored, key = self._stored(s, number)
        result = verify_document(None, stored, key)
        # an unknown number still names what was asked for ("UNKNOWN: 000999/SPPB/…"), not "?"
        return result if result.number else replace(result, number=number)

    def verify_pdf(self, path: str | Path) -> VerifyResult:
        """Verify an issued PDF file. Checks, in order, and a TAMPERED result names the one that failed:
        signature (a valid PAdES signature by an office certificate stored here), byte range (it covers the
        whole file), payload (the payload in the signed file matches the stored document), stored hash (the
        stored content still hashes to the sealed hash). The result carries the stored key fields.
        A missing, unreadable, oversized or non-PDF file → InputError (exit 2)."""
        from printing import pades
        from printing.payload import extract_payload, read_pdf, try_parse_payload

        data = read_pdf(path)
        try:
            text: str | None = extract_payload(data)
        except InputError:
            text = None  # damaged or carries no payload: the signature check below names why
        parsed = try_parse_payload(text) if text else None
        with self.ctx.db.read() as s:
            certs = {o.code: o.signing_certificate
                     for o in s.scalars(select(Office).where(Office.signing_certificate.is_not(None)))
                     if o.signing_certificate}
            stored, key = self._stored(s, parsed.number) if parsed else (None, None)
            office = self._office_of(s, parsed.number) if parsed and stored else None
        sig = pades.check_pdf(data, certs)
        number = parsed.number if parsed else None
        fields = stored_fields(stored)
        if not sig.ok:
            check = Check.SIGNATURE if sig.failed is pades.PadesCheck.SIGNATURE else Check.BYTE_RANGE
            return VerifyResult(VerifyStatus.TAMPERED, sig.reason, sig.code, number, check, fields)
        if stored is not None and sig.office != office:
            return VerifyResult(VerifyStatus.TAMPERED, "the file was signed with another office's certificate",
                                "SIGNATURE_OTHER_OFFICE", number, Check.SIGNATURE, fields)
        if text is None:
            return VerifyResult(VerifyStatus.TAMPERED, "the signed file carries no verification payload",
                                "PAYLOAD_MISSING", None, Check.PAYLOAD)
        return verify_document(text, stored, key)

    def verify_payload(self, text: str) -> VerifyResult:
        """Verify a paper copy by its scanned QR payload (`WSD1|…`): the payload check, then the stored-hash
        check. The result carries the stored key fields for the person to compare with the paper."""
        from printing.payload import try_parse_payload

        parsed = try_parse_payload(text)
        with self.ctx.db.read() as s:
            stored, key = self._stored(s, parsed.number) if parsed else (None, None)
        return verify_document(text, stored, key)

    @staticmethod
    def _office_of(s: Session, number: str) -> str | None:
        return s.scalar(select(Document.office_code).where(Document.number == number)
                        .order_by(Document.version.desc()).limit(1))
