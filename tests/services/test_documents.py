"""Issued documents after issuance: print/reprint marks, verification, the print queue, receipts, the daily report."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest
from pypdf import PdfReader, PdfWriter
from sqlalchemy import select, text

from db.models import AuditEntry, PrintJob
from printing.content import DocumentContent, FieldRow, Fields, Receipt, ReceiptAmount, Signatory
from tests.conftest import BACKEND
from workstation.config import with_overrides
from workstation.domain.codes import Role
from workstation.errors import InputError, NotFound, WorkstationError


def _sppb(services, name="Dewi Lestari"):
    office = services.issuance.office_info()

    def build(number, issue_date):
        return DocumentContent(
            doc_type="SPPB", number=number, issue_date=issue_date, issue_place="Jakarta",
            title="Surat Persetujuan Pengeluaran Barang", title_en="Release approval", office=office,
            blocks=[Fields(rows=[FieldRow(label="Importir", value="PT Maju Jaya"),
                                 FieldRow(label="Nomor PIB", value="000123/2026")])],
            signatories=[Signatory(name=name, nip="198512052010012004", role="Pemeriksa Dokumen",
                                   place="Jakarta", date=issue_date)])

    return build


def _receipt(services):
    office = services.issuance.office_info()

    def build(number, issue_date):
        return DocumentContent(
            doc_type="BUKTI", number=number, issue_date=issue_date, issue_place="Soekarno-Hatta",
            title="Bukti Penerimaan Negara", office=office,
            receipt=Receipt(kind="payment", amounts=[ReceiptAmount(label="Bea Masuk", amount_idr=375000),
                                                     ReceiptAmount(label="PPN", amount_idr=454000)],
                            total_idr=829000))

    return build


@pytest.fixture
def issued(services, users):
    services.issuance.ensure_office_key()
    return services.issuance.issue(users[Role.EXAMINER], "SPPB", _sppb(services))


def _text(path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)


def test_round_trip_issue_print_verify_valid(services, users, issued, tmp_path):
    out = tmp_path / "sppb.pdf"
    r = services.documents.print_document(users[Role.EXAMINER], issued.number, out=out)
    assert r.copy_number == 0
    body = _text(out)
    assert issued.number in body and "Dewi Lestari" in body and "PT Maju Jaya" in body
    assert services.documents.verify_pdf(out).status == "VALID"
    assert services.documents.verify_number(issued.number).status == "VALID"


def test_reprint_is_marked_copy_with_its_count(services, users, issued, tmp_path):
    for i in range(3):
        services.documents.print_document(users[Role.EXAMINER], issued.number, out=tmp_path / f"p{i}.pdf")
    assert "SALINAN" not in _text(tmp_path / "p0.pdf")
    assert "SALINAN" in _text(tmp_path / "p1.pdf") and "1" in _text(tmp_path / "p1.pdf")
    assert "2" in _text(tmp_path / "p2.pdf").split("SALINAN", 1)[1][:40]
    assert services.documents.prints_of(issued.number) == 3
    with services.ctx.db.read() as s:
        assert len(list(s.scalars(select(AuditEntry).where(AuditEntry.action == "document.print")))) == 3


def test_edited_stored_content_is_tampered(services, users, issued, tmp_path):
    out = tmp_path / "sppb.pdf"
    services.documents.print_document(users[Role.EXAMINER], issued.number, out=out)
    with services.ctx.db.engine.begin() as c:
        if BACKEND == "sqlite":
            c.execute(text("DROP TRIGGER documents_only_void"))
        else:
            c.execute(text("ALTER TABLE documents DISABLE TRIGGER documents_only_void"))
        c.execute(text("UPDATE documents SET content_json = replace(content_json, 'Maju Jaya', 'Maju Jaya Abadi')"))
        if BACKEND != "sqlite":
            c.execute(text("ALTER TABLE documents ENABLE TRIGGER documents_only_void"))
    assert services.documents.verify_number(issued.number).status == "TAMPERED"
    assert services.documents.verify_pdf(out).status == "TAMPERED"


def test_edited_pdf_payload_is_tampered(services, users, issued, tmp_path):
    out = tmp_path / "sppb.pdf"
    services.documents.print_document(users[Role.EXAMINER], issued.number, out=out)
    reader = PdfReader(str(out))
    writer = PdfWriter(clone_from=reader)
    payload = reader.metadata["/WSDPayload"]
    parts = payload.split("|")
    parts[4] = "0" * 64  # another content hash
    writer.add_metadata({"/WSDPayload": "|".join(parts)})
    forged = tmp_path / "forged.pdf"
    with forged.open("wb") as f:
        writer.write(f)
    result = services.documents.verify_pdf(forged)
    assert result.status == "TAMPERED" and result.check == "signature"  # rewritten: the PAdES signature breaks


def test_void_document_verifies_void_and_prints_watermark(services, users, issued, tmp_path):
    services.issuance.void(users[Role.EXAMINER], issued.number, "wrong importer", users[Role.SUPERVISOR])
    assert services.documents.verify_number(issued.number).status == "VOID"
    out = tmp_path / "void.pdf"
    services.documents.print_document(users[Role.EXAMINER], issued.number, out=out)
    assert "BATAL" in _text(out) or "VOID" in _text(out)


def test_unknown_number_and_unreadable_pdf(services, users, issued, tmp_path):
    unknown = services.documents.verify_number("999999/SPPB/040300/2026")
    assert unknown.status == "UNKNOWN" and unknown.line().startswith("UNKNOWN: 999999/SPPB/040300/2026: ")
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"not a pdf at all")
    with pytest.raises(InputError):
        services.documents.verify_pdf(junk)
    with pytest.raises(NotFound):
        services.documents.print_document(users[Role.EXAMINER], "nope", out=tmp_path / "x.pdf")


def _fake_lp(tmp_path, fail: bool):
    lp = tmp_path / "lp"
    body = ('echo "lp: Error - The printer or class does not exist." >&2; exit 1' if fail
            else f'cat > "{tmp_path}/spooled.pdf"; echo "request id is $2-7 (1 file(s))"')
    lp.write_text(f"#!/bin/sh\n{body}\n")
    lp.chmod(lp.stat().st_mode | stat.S_IEXEC)
    return lp


def test_missing_queue_keeps_the_job_and_retry_prints_it(services, users, issued, tmp_path):
    printer = services.ctx.settings.printer.model_copy(update={"lp_command": str(_fake_lp(tmp_path, True))})
    services.ctx.settings = with_overrides(services.ctx.settings, printer=printer)
    with pytest.raises(WorkstationError, match="kept in the print queue"):
        services.documents.print_document(users[Role.EXAMINER], issued.number, printer="kantor-a4")
    jobs = services.documents.failed_jobs()
    assert [(j.number, j.target, j.attempts) for j in jobs] == [(issued.number, "kantor-a4", 1)]
    assert "does not exist" in jobs[0].last_error
    assert services.documents.retry_failed(users[Role.EXAMINER]) == (0, 1)
    assert services.documents.failed_jobs()[0].attempts == 2
    # the printer is back
    printer = printer.model_copy(update={"lp_command": str(_fake_lp(tmp_path, False))})
    services.ctx.settings = with_overrides(services.ctx.settings, printer=printer)
    assert services.documents.retry_failed(users[Role.EXAMINER]) == (1, 0)
    assert services.documents.failed_jobs() == []
    assert (tmp_path / "spooled.pdf").read_bytes().startswith(b"%PDF")
    with services.ctx.db.read() as s:
        assert s.scalar(select(PrintJob.status)) == "DONE"


@pytest.mark.skipif(sys.platform != "linux", reason="pseudo-terminal")
def test_payment_receipt_on_the_receipt_printer_through_a_pty(services, users, issued, tmp_path):
    import pty
    import select as sel
    import tty

    services.issuance.ensure_office_key()
    doc = services.issuance.issue(users[Role.OFFICER], "BUKTI", _receipt(services))
    master, slave = pty.openpty()
    tty.setraw(master)
    name = os.ttyname(slave)
    try:
        services.documents.print_document(users[Role.OFFICER], doc.number, receipt=True, printer=name)
        data = b""
        while sel.select([master], [], [], 0.5)[0]:
            data += os.read(master, 65536)
    finally:
        os.close(master)
        os.close(slave)
    assert b"829.000" in data or b"829,000" in data
    assert b"\x1d(k" in data  # native QR command
    with pytest.raises(InputError, match="not a receipt"):  # an SPPB has no receipt part: not queued
        services.documents.print_document(users[Role.OFFICER], issued.number, receipt=True, printer=name)
    assert services.documents.failed_jobs() == []


def _cli(env, *args):
    full = {k: v for k, v in os.environ.items() if not k.startswith("WORKSTATION_")}
    full.update(env)
    return subprocess.run([sys.executable, "-m", "workstation", *args], capture_output=True, text=True, env=full,
                          timeout=120)


def test_cli_print_and_verify_exit_codes(services, users, issued, tmp_path, settings):
    env = {"WORKSTATION_DATABASE_URL": settings.effective_database_url, "WORKSTATION_DATA_DIR": str(settings.data_dir)}
    out = tmp_path / "c.pdf"
    p = _cli(env, "print", issued.number, "--out", str(out))
    assert p.returncode == 0 and "original" in p.stdout
    p = _cli(env, "print", issued.number, "--out", str(tmp_path / "c2.pdf"))
    assert "SALINAN / COPY 1" in p.stdout
    p = _cli(env, "verify", str(out))
    assert p.returncode == 0 and p.stdout.startswith("VALID")
    p = _cli(env, "verify", issued.number)
    assert p.returncode == 0
    p = _cli(env, "verify", "000999/SPPB/040300/2026")
    assert p.returncode == 1 and p.stdout.startswith("UNKNOWN")
    (tmp_path / "bad.pdf").write_bytes(b"garbage")
    p = _cli(env, "verify", str(tmp_path / "bad.pdf"))
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr
    p = _cli(env, "print", issued.number)  # no output configured
    assert p.returncode == 2 and "printer" in p.stderr
    p = _cli(env, "report", "daily", "--date", "2026-13-01", "--out", str(tmp_path / "r.pdf"))
    assert p.returncode == 2 and "--date" in p.stderr
