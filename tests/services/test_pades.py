"""Issue #11 item 1: a forged PDF must never verify. Every issued PDF carries a PAdES signature by the office's
certificate; `verify` checks signature, byte range, payload and stored hash in that order and names the one that
failed. Before this change only the embedded payload was checked, so every forgery below came back VALID."""

from __future__ import annotations

import io
import os
import shutil
import stat
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter
from sqlalchemy import select

from db.models import AuditEntry, Office
from printing import pades
from printing.content import DocumentContent, FieldRow, Fields, Receipt, ReceiptAmount
from printing.payload import extract_payload
from workstation.domain.codes import Role
from workstation.domain.errors import ErrorCode
from workstation.errors import InputError, WorkstationError


def _receipt(services):
    office = services.issuance.office_info()

    def build(number, issue_date):
        return DocumentContent(
            doc_type="BUKTI", number=number, issue_date=issue_date, issue_place="Soekarno-Hatta",
            title="Bukti Penerimaan Negara", office=office,
            blocks=[Fields(rows=[FieldRow(label="Nama", value="Budi Santoso"),
                                 FieldRow(label="Jumlah yang harus dibayar", value="Rp 829.000")])],
            receipt=Receipt(kind="payment", amounts=[ReceiptAmount(label="Bea Masuk", amount_idr=375000),
                                                     ReceiptAmount(label="PPN", amount_idr=454000)],
                            total_idr=829000))

    return build


@pytest.fixture
def issued(services, users):
    services.issuance.ensure_office_key()
    return services.issuance.issue(users[Role.OFFICER], "BUKTI", _receipt(services))


@pytest.fixture
def signed(services, users, issued, tmp_path):
    """The printed original: (path, bytes)."""
    out = tmp_path / "bukti.pdf"
    services.documents.print_document(users[Role.OFFICER], issued.number, out=out)
    return out, out.read_bytes()


def _verify(services, data: bytes, tmp_path, name="forged.pdf"):
    path = tmp_path / name
    path.write_bytes(data)
    return services.documents.verify_pdf(path)


def _text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def _overlay_amount(data: bytes, *, incremental: bool) -> bytes:
    """What a forger does: paint a white box over the total and write another amount on top, then save the file
    (rewritten whole, or as an incremental update that keeps the signed bytes in front)."""
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(595.27, 841.89))
    c.setFillColorRGB(1, 1, 1)
    c.rect(50, 300, 500, 400, stroke=0, fill=1)
    c.setFillColorRGB(0, 0, 0)
    c.setFont("Helvetica", 12)
    c.drawString(60, 500, "Total Rp 29.000")
    c.save()
    overlay = PdfReader(io.BytesIO(buf.getvalue())).pages[0]
    writer = PdfWriter(io.BytesIO(data), incremental=True) if incremental else PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.pages[0].merge_page(overlay)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --------------------------------------------------------------------------- the untouched file


def test_untouched_pdf_verifies_valid_and_carries_the_key_fields(services, issued, signed):
    path, _ = signed
    result = services.documents.verify_pdf(path)
    assert result.status == "VALID", result.line()
    assert result.check is None and result.number == issued.number
    fields = dict(result.fields)
    assert fields["Nomor / Number"] == issued.number
    assert fields["Jenis / Type"] == "BUKTI"
    assert fields["Tanggal / Date"] == issued.issue_date.isoformat()
    assert fields["Nama"] == "Budi Santoso"  # the party
    assert fields["Total"].replace(",", ".").endswith("829.000")  # the amounts


def test_pyhanko_accepts_the_signature_as_pades_with_the_office_certificate_as_trust_root(services, signed):
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    _, data = signed
    with services.ctx.db.read() as s:
        pem = s.get(Office, services.settings.office.code).signing_certificate
    root = asn1_x509.Certificate.load(
        x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.DER))
    (sig,) = PdfFileReader(io.BytesIO(data)).embedded_signatures
    assert str(sig.sig_object["/SubFilter"]) == "/ETSI.CAdES.detached"
    status = validate_pdf_signature(sig, ValidationContext(trust_roots=[root], allow_fetching=False))
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.signing_cert.subject.native["common_name"] == services.settings.office.name[:64]
    # ...and with nothing trusted (an empty trust store), it is not trusted: the trust comes from the root.
    untrusted = validate_pdf_signature(sig, ValidationContext(trust_roots=[], allow_fetching=False))
    assert not untrusted.trusted


# --------------------------------------------------------------------------- forgeries


def test_visible_text_changed_and_saved_whole_fails_the_signature_check(services, signed, tmp_path):
    _, data = signed
    forged = _overlay_amount(data, incremental=False)
    assert "29.000" in _text(forged)  # the forgery is visible
    assert extract_payload(forged) == extract_payload(data)  # ...and the payload is untouched: it used to pass
    result = _verify(services, forged, tmp_path)
    assert result.status == "TAMPERED" and result.check == "signature", result.line()
    assert "signature check failed" in result.line()


def test_visible_text_changed_by_an_incremental_update_fails_the_byte_range_check(services, signed, tmp_path):
    _, data = signed
    forged = _overlay_amount(data, incremental=True)
    assert forged.startswith(data) and "29.000" in _text(forged)
    result = _verify(services, forged, tmp_path)
    assert result.status == "TAMPERED" and result.check == "byte range", result.line()


def test_incremental_update_of_the_metadata_fails_the_byte_range_check(services, signed, tmp_path):
    _, data = signed
    writer = PdfWriter(io.BytesIO(data), incremental=True)
    writer.add_metadata({"/Title": "Bukti lain"})
    out = io.BytesIO()
    writer.write(out)
    result = _verify(services, out.getvalue(), tmp_path)
    assert result.status == "TAMPERED" and result.check == "byte range", result.line()


@pytest.mark.parametrize("tail", [b"\n", b"%%EOF\n", b"\n1 0 obj\n<< /Forged true >>\nendobj\n"])
def test_appended_bytes_fail_the_byte_range_check(services, signed, tmp_path, tail):
    _, data = signed
    result = _verify(services, data + tail, tmp_path)
    assert result.status == "TAMPERED" and result.check == "byte range", result.line()


def test_an_unsigned_pdf_with_a_genuine_payload_fails_the_signature_check(services, issued, tmp_path):
    # The old forgery: render any content with the genuine payload (it only names the issued document).
    from printing.content import load_content
    from printing.render import render_pdf
    from printing.seal import payload_of

    content = load_content(services.issuance.content(issued.number))
    payload = payload_of(content, issued.content_hash, issued.signature)
    result = _verify(services, render_pdf(content, payload=payload), tmp_path)
    assert (result.status, result.check, result.code) == ("TAMPERED", "signature", "SIGNATURE_MISSING")


def test_a_pdf_signed_by_a_look_alike_certificate_fails_the_signature_check(services, issued, tmp_path):
    from printing.content import load_content
    from printing.render import render_pdf
    from printing.seal import payload_of

    key = pades.generate_key(tmp_path / "forger.pem")
    cert = pades.make_certificate(key, office_name=services.settings.office.name,
                                  office_code=services.settings.office.code)
    content = load_content(services.issuance.content(issued.number))
    payload = payload_of(content, issued.content_hash, issued.signature)
    forged = render_pdf(content, payload=payload, signer=pades.make_signer(key, cert))
    result = _verify(services, forged, tmp_path)
    assert (result.status, result.check, result.code) == ("TAMPERED", "signature", "SIGNATURE_UNTRUSTED")


def _flip(data: bytes, position: int, mask: int) -> bytes:
    b = bytearray(data)
    b[position] ^= mask
    return bytes(b)


def _assert_flip_never_valid(services, data: bytes, position: int, mask: int, tmp_path) -> None:
    try:
        result = _verify(services, _flip(data, position, mask), tmp_path)
    except InputError:
        assert position < 5  # the %PDF- header itself: not a PDF at all (exit 2)
        return
    assert result.status == "TAMPERED", (position, mask, result.line())
    assert result.check in ("signature", "byte range"), (position, mask, result.line())


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.floats(min_value=0, max_value=1, exclude_max=True), mask=st.integers(1, 255))
def test_one_flipped_byte_anywhere_never_verifies(services, signed, tmp_path, where, mask):
    _, data = signed
    _assert_flip_never_valid(services, data, int(where * len(data)), mask, tmp_path)


@hsettings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.floats(min_value=0, max_value=1, exclude_max=True),
       mask=st.sampled_from([0x01, 0x20, 0x04, 0x10, 0x30, 0xFF]))
def test_one_flipped_byte_in_the_signature_container_never_verifies(services, signed, tmp_path, where, mask):
    # The one span the byte range leaves out: readers decode it leniently (hex case, padding, unsigned CMS
    # parts), so it gets its own run; 0x20 turns upper-case hex into lower case, same value.
    from pyhanko.pdf_utils.reader import PdfFileReader

    _, data = signed
    (sig,) = PdfFileReader(io.BytesIO(data)).embedded_signatures
    _, first_len, second_start, _ = (int(x) for x in sig.sig_object["/ByteRange"])
    _assert_flip_never_valid(services, data, first_len + int(where * (second_start - first_len)), mask, tmp_path)


def test_payload_and_stored_hash_checks_run_after_the_file_checks(services, users, issued, signed, tmp_path):
    from sqlalchemy import text

    from tests.conftest import BACKEND

    path, _ = signed
    with services.ctx.db.engine.begin() as c:
        if BACKEND == "sqlite":
            c.execute(text("DROP TRIGGER documents_only_void"))
        else:
            c.execute(text("ALTER TABLE documents DISABLE TRIGGER documents_only_void"))
        c.execute(text("UPDATE documents SET content_json = replace(content_json, 'Budi Santoso', 'Budi S')"))
        if BACKEND != "sqlite":
            c.execute(text("ALTER TABLE documents ENABLE TRIGGER documents_only_void"))
    result = services.documents.verify_pdf(path)
    assert (result.status, result.check, result.code) == ("TAMPERED", "stored hash", "CONTENT_HASH_MISMATCH")
    assert dict(result.fields)["Nama"] == "Budi S"  # what the store now says, for the person to compare


def test_void_document_prints_signed_and_verifies_void(services, users, issued, tmp_path):
    services.issuance.void(users[Role.OFFICER], issued.number, "salah nama", users[Role.SUPERVISOR])
    out = tmp_path / "void.pdf"
    services.documents.print_document(users[Role.OFFICER], issued.number, out=out)
    assert services.documents.verify_pdf(out).status == "VOID"


def test_oversized_file_is_refused_without_reading_it_whole(services, tmp_path, monkeypatch):
    from printing import payload

    monkeypatch.setattr(payload, "MAX_PDF_BYTES", 1000)
    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * 2000)
    with pytest.raises(InputError, match="larger than"):
        services.documents.verify_pdf(big)


# --------------------------------------------------------------------------- the office's PAdES identity


def test_set_up_creates_the_key_file_and_stores_the_certificate(services):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    services.issuance.ensure_office_key()
    path = pades.pades_key_path(services.settings.effective_key_file)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with services.ctx.db.read() as s:
        pem = s.get(Office, services.settings.office.code).signing_certificate
        audited = s.scalars(select(AuditEntry.action).where(AuditEntry.action == "office.pades_certificate")).all()
    cert = x509.load_pem_x509_certificate(pem.encode())
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == services.settings.office.name[:64]
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "DJBC"
    assert cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == services.settings.office.code
    years = (cert.not_valid_after_utc - cert.not_valid_before_utc).days / 365.25
    assert 9.9 < years < 10.1
    assert pades.key_matches_certificate(pades.load_key(path), pem)
    assert len(audited) == 1
    services.issuance.ensure_office_key()  # idempotent: same certificate, no second audit entry
    with services.ctx.db.read() as s:
        assert s.get(Office, services.settings.office.code).signing_certificate == pem
        assert len(s.scalars(select(AuditEntry).where(AuditEntry.action == "office.pades_certificate")).all()) == 1


def test_lost_pades_key_is_refused_not_replaced(services):
    services.issuance.ensure_office_key()
    path = pades.pades_key_path(services.settings.effective_key_file)
    path.unlink()
    with pytest.raises(WorkstationError) as err:
        services.issuance.ensure_office_key()
    assert err.value.code == ErrorCode.KEY_MISSING
    assert not path.exists()


def test_another_pades_key_file_is_refused(services, tmp_path):
    services.issuance.ensure_office_key()
    path = pades.pades_key_path(services.settings.effective_key_file)
    path.unlink()
    pades.generate_key(path)
    with pytest.raises(WorkstationError) as err:
        services.issuance.ensure_office_key()
    assert err.value.code == ErrorCode.KEY_MISMATCH


def test_missing_key_refuses_to_print_before_a_copy_number_is_given(services, users, issued, tmp_path):
    pades.pades_key_path(services.settings.effective_key_file).unlink()
    services.issuance._signer = None  # a fresh process
    with pytest.raises(WorkstationError) as err:
        services.documents.print_document(users[Role.OFFICER], issued.number, out=tmp_path / "x.pdf")
    assert err.value.code == ErrorCode.KEY_MISSING
    assert services.documents.prints_of(issued.number) == 0


def test_key_file_too_open_is_refused(tmp_path):
    path = tmp_path / "k.pem"
    pades.generate_key(path)
    os.chmod(path, 0o644)
    with pytest.raises(InputError, match="too open"):
        pades.load_key(path)


def test_office_from_before_the_certificate_gets_one_at_upgrade(services):
    services.issuance.ensure_office_key()
    with services.ctx.db.write() as s:
        s.get(Office, services.settings.office.code).signing_certificate = None
    pades.pades_key_path(services.settings.effective_key_file).unlink()
    services.issuance.ensure_office_key()  # as `db upgrade` after 0007 on an office set up before it
    with services.ctx.db.read() as s:
        assert s.get(Office, services.settings.office.code).signing_certificate


# --------------------------------------------------------------------------- the command


def test_cli_verify_names_the_failed_check_and_prints_the_key_fields(services, issued, signed, tmp_path, settings):
    _, data = signed
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(_overlay_amount(data, incremental=True))
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKSTATION_")}
    env.update({"WORKSTATION_DATABASE_URL": settings.effective_database_url,
                "WORKSTATION_DATA_DIR": str(settings.data_dir)})
    p = subprocess.run([sys.executable, "-m", "workstation", "verify", str(forged)], capture_output=True,
                       text=True, env=env, timeout=120)
    assert p.returncode == 1
    first, *rest = p.stdout.splitlines()
    assert first.startswith(f"TAMPERED: {issued.number}: byte range check failed: ")
    shown = "\n".join(rest)
    assert issued.number in shown and "Budi Santoso" in shown and "829" in shown


def test_cli_verifies_a_scanned_paper_qr_and_prints_the_key_fields(services, issued, tmp_path, settings):
    from printing.content import load_content
    from printing.seal import payload_of

    content = load_content(services.issuance.content(issued.number))
    qr = payload_of(content, issued.content_hash, issued.signature)
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKSTATION_")}
    env.update({"WORKSTATION_DATABASE_URL": settings.effective_database_url,
                "WORKSTATION_DATA_DIR": str(settings.data_dir)})
    p = subprocess.run([sys.executable, "-m", "workstation", "verify", qr], capture_output=True, text=True,
                       env=env, timeout=120)
    assert p.returncode == 0 and p.stdout.startswith(f"VALID: {issued.number}: ")
    assert "Budi Santoso" in p.stdout and "829" in p.stdout
    forged = qr.replace(f"|{issued.content_hash}|", "|" + "0" * 64 + "|")
    p = subprocess.run([sys.executable, "-m", "workstation", "verify", forged], capture_output=True, text=True,
                       env=env, timeout=120)
    assert p.returncode == 1 and "payload check failed" in p.stdout.splitlines()[0]


@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="poppler's pdfsig not installed (Debian poppler-utils; "
                    ".ci/setup-qrscan.sh installs it)")
def test_a_standard_reader_sees_the_signature_and_every_change(signed, tmp_path):
    # poppler's pdfsig reports what a reader's signature panel shows: valid, whole document, or not.
    def panel(data: bytes) -> str:
        path = tmp_path / "panel.pdf"
        path.write_bytes(data)
        return subprocess.run(["pdfsig", "-nocert", str(path)], capture_output=True, text=True, timeout=60).stdout

    _, data = signed
    shown = panel(data)
    assert "ETSI.CAdES.detached" in shown and "Signature is Valid" in shown
    assert "Total document signed" in shown and "Not total document signed" not in shown
    assert "Not total document signed" in panel(_overlay_amount(data, incremental=True))
    assert "Not total document signed" in panel(data + b"\n")
    assert "Signature is Valid" not in panel(_flip(data, len(data) // 3, 0x01))
