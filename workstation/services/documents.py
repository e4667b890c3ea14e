"""Issued documents after issuance: print and reprint (the n-th print is marked SALINAN / COPY n, a void
one carries the VOID watermark), export to a file, send to CUPS or the receipt printer, keep failed prints
queued for retry, verify a PDF or a number, preview as text. The supervisor's daily report is workstation/services/report.py."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import func, select

from db import audit
from db.models import Document, DocumentPrint, Office, PrintJob
from printing.content import load_content
from printing.seal import payload_of
from printing.verify import StoredDocument, VerifyResult, verify_document
from workstation.domain.codes import DocumentStatus
from workstation.errors import InputError, WorkstationError
from workstation.services.base import Actor

TARGETS = ("file", "cups", "escpos")


@dataclass(frozen=True)
class PrintOutcome:
    number: str
    copy_number: int
    target_kind: str
    target: str
    detail: str  # file path, CUPS job id, or printer port


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
    def __init__(self, services):
        self.services = services
        self.ctx = services.ctx

    # -- lookups -------------------------------------------------------------------------------------------
    def _doc(self, s, number: str, version: int | None = None) -> Document:
        return self.services.issuance._get(s, number, version)

    def preview(self, number: str, version: int | None = None) -> str:
        from printing.text import render_text

        with self.ctx.db.read() as s:
            doc = self._doc(s, number, version)
            prints = s.scalar(select(func.count()).select_from(DocumentPrint)
                              .where(DocumentPrint.document_id == doc.id))
            return render_text(load_content(doc.content_json), copy_number=prints,
                               void=doc.status == DocumentStatus.VOID)

    def prints_of(self, number: str) -> int:
        with self.ctx.db.read() as s:
            doc = self._doc(s, number)
            return s.scalar(select(func.count()).select_from(DocumentPrint).where(DocumentPrint.document_id == doc.id))

    # -- printing ------------------------------------------------------------------------------------------
    def print_document(self, actor: Actor, number: str, *, out: str | Path | None = None,
                       printer: str | None = None, receipt: bool = False) -> PrintOutcome:
        """Render from the stored content and send it. The print is recorded (and audited) in the same
        transaction that fixes its copy number, so two prints never get the same mark. A failed print is
        kept in the print queue with its error and the PrinterError is raised."""
        kind, target = self._target(out, printer, receipt)
        from printing.output import PrinterError

        try:
            return self._print(actor, number, kind, target)
        except PrinterError as exc:  # the printer's fault, not the document's: keep the job
            if kind == "file":
                raise
            self._queue_failure(actor, number, kind, target, str(exc))
            raise PrinterError(f"{exc.message}; the job is kept in the print queue", field=exc.field,
                               code="PRINT_QUEUED") from None

    def _target(self, out, printer, receipt) -> tuple[str, str]:
        settings = self.ctx.settings.printer
        if receipt:
            port = printer or settings.receipt_port
            if not port:
                raise InputError("no receipt printer: set printer.receipt_port or give --printer PORT",
                                 field="printer")
            return "escpos", port
        if out:
            return "file", str(out)
        queue = printer or settings.cups_queue
        if not queue:
            raise InputError("no output: give --out FILE.pdf or --printer QUEUE (or set printer.cups_queue)",
                             field="printer")
        return "cups", queue

    def _print(self, actor: Actor, number: str, kind: str, target: str) -> PrintOutcome:
        from printing import output
        from printing.render import render_pdf

        with self.ctx.db.write() as s:
            doc = self._doc(s, number)
            copy = s.scalar(select(func.count()).select_from(DocumentPrint).where(DocumentPrint.document_id == doc.id))
            content = load_content(doc.content_json)
            payload = payload_of(content, doc.content_hash, doc.signature)
            void = doc.status == DocumentStatus.VOID
            if kind == "escpos":
                if content.receipt is None:
                    raise InputError(f"{number} is not a receipt document", field="number")
                printer = output.open_serial_printer(target, baudrate=self.ctx.settings.printer.receipt_baud)
                try:
                    output.print_receipt(content, printer, payload=payload,
                                         columns=self.ctx.settings.printer.receipt_columns, copy_number=copy,
                                         void=void)
                finally:
                    close = getattr(printer, "close", None)
                    if close:
                        close()
                detail = target
            else:
                pdf = render_pdf(content, payload=payload, copy_number=copy, void=void)
                if kind == "file":
                    detail = str(output.write_file(pdf, target))
                else:
                    detail = output.send_to_cups(pdf, target, title=number, lp=self.ctx.settings.printer.lp_command)
            s.add(DocumentPrint(document_id=doc.id, copy_number=copy, target_kind=kind, target=target[:300],
                                printed_at=self.ctx.now(), printed_by=actor.user_id,
                                printed_by_login=actor.login))
            for job in s.scalars(select(PrintJob).where(PrintJob.document_id == doc.id, PrintJob.status == "FAILED",
                                                        PrintJob.target == target)):
                job.status, job.updated_at = "DONE", self.ctx.now()
            audit.append(s, actor.audit, "document.print", "document", doc.id,
                         {"number": number, "copy_number": copy, "target_kind": kind, "target": target,
                          "void": void}, now=self.ctx.now())
            return PrintOutcome(number, copy, kind, target, detail)

    def _queue_failure(self, actor: Actor, number: str, kind: str, target: str, error: str) -> None:
        with self.ctx.db.write() as s:
            doc = self._doc(s, number)
            job = s.scalar(select(PrintJob).where(PrintJob.document_id == doc.id, PrintJob.status == "FAILED",
                                                  PrintJob.target == target))
            if job is None:
                job = PrintJob(document_id=doc.id, number=number, target_kind=kind, target=target[:300],
                               status="FAILED", attempts=1, last_error=error[:500], created_at=self.ctx.now(),
                               created_by=actor.user_id, updated_at=self.ctx.now())
                s.add(job)
            else:
                job.attempts += 1
                job.last_error = error[:500]
                job.updated_at = self.ctx.now()
            s.flush()
            audit.append(s, actor.audit, "document.print_failed", "document", doc.id,
                         {"number": number, "target_kind": kind, "target": target, "error": error[:500]},
                         now=self.ctx.now())

    def failed_jobs(self) -> list[JobView]:
        with self.ctx.db.read() as s:
            q = select(PrintJob).where(PrintJob.status == "FAILED").order_by(PrintJob.created_at)
            return [JobView(j.id, j.number, j.target_kind, j.target, j.status, j.attempts, j.last_error, j.updated_at)
                    for j in s.scalars(q)]

    def retry_failed(self, actor: Actor) -> tuple[int, int]:
        """Try every failed job again. Returns (printed, still failing)."""
        done = failing = 0
        for job in self.failed_jobs():
            try:
                self._print(actor, job.number, job.target_kind, job.target)
                done += 1
            except WorkstationError as exc:
                self._queue_failure(actor, job.number, job.target_kind, job.target, str(exc))
                failing += 1
        return done, failing

    # -- verification --------------------------------------------------------------------------------------
    def _stored(self, s, number: str) -> tuple[StoredDocument | None, str | None]:
        doc = s.scalars(select(Document).where(Document.number == number).order_by(Document.version.desc())
                        .limit(1)).first()
        if doc is None:
            return None, self._office_key(s, self.ctx.settings.office.code)
        stored = StoredDocument(number=doc.number, doc_type=doc.doc_type, issue_date=doc.issue_date,
                                content=doc.content_json, content_hash=doc.content_hash, signature=doc.signature,
                                status=doc.status)
        return stored, self._office_key(s, doc.office_code)

    def _office_key(self, s, code: str) -> str | None:
        office = s.get(Office, code)
        return office.signing_public_key if office else None

    def verify_number(self, number: str) -> VerifyResult:
        with self.ctx.db.read() as s:
            stored, key = self._stored(s, number)
        result = verify_document(None, stored, key)
        # an unknown number still names what was asked for ("UNKNOWN: 000999/SPPB/…"), not "?"
        return result if result.number else replace(result, number=number)

    def verify_pdf(self, path: str | Path) -> VerifyResult:
        from printing.payload import extract_payload, try_parse_payload

        text = extract_payload(path)
        parsed = try_parse_payload(text)
        with self.ctx.db.read() as s:
            stored, key = self._stored(s, parsed.number) if parsed else (None, None)
        return verify_document(text, stored, key)
