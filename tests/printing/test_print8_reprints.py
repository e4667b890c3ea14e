"""#12 point 8: a reprint never overwrites the original's file, the document screen's view carries the mark the
next print will carry, and the demo's simulated receipt printer takes the receipt key's ESC/POS bytes."""

from __future__ import annotations

import sys
import time

import pytest

from printing import output
from tests.services.test_documents import _receipt, _sppb
from workstation.config import with_overrides
from workstation.domain.codes import Role


@pytest.fixture
def sppb(services, users):
    services.issuance.ensure_office_key()
    return services.issuance.issue(users[Role.EXAMINER], "SPPB", _sppb(services))


def test_a_reprint_to_the_same_file_name_keeps_the_original_byte_for_byte(services, users, sppb, tmp_path):
    out = tmp_path / "sppb.pdf"
    first = services.documents.print_document(users[Role.EXAMINER], sppb.number, out=out)
    original = out.read_bytes()
    assert first.detail == str(out)
    second = services.documents.print_document(users[Role.EXAMINER], sppb.number, out=out)
    third = services.documents.print_document(users[Role.EXAMINER], sppb.number, out=out)
    assert out.read_bytes() == original
    assert second.detail == str(tmp_path / "sppb-reprint-1.pdf") and third.detail == str(tmp_path / "sppb-reprint-2.pdf")
    assert (second.copy_number, third.copy_number) == (1, 2)
    assert services.documents.verify_pdf(out).status == "VALID"
    assert services.documents.verify_pdf(second.detail).status == "VALID"


def test_the_screen_names_every_copy_as_a_reprint(services, users, sppb, tmp_path):
    out = tmp_path / "sppb.pdf"
    services.documents.print_document(users[Role.EXAMINER], sppb.number, out=out, reprint_names=True)
    out.unlink()  # the original's export went elsewhere: the copy is still not named like an original
    r = services.documents.print_document(users[Role.EXAMINER], sppb.number, out=out, reprint_names=True)
    assert r.detail == str(tmp_path / "sppb-reprint-1.pdf") and not out.exists()


def test_a_copy_never_replaces_any_existing_file(tmp_path):
    out = tmp_path / "x.pdf"
    out.write_bytes(b"original")
    (tmp_path / "x-reprint-1.pdf").write_bytes(b"someone else's")
    written = output.write_copy(b"copy", out, 1)
    assert written == tmp_path / "x-reprint-1-2.pdf" and written.read_bytes() == b"copy"
    assert out.read_bytes() == b"original" and (tmp_path / "x-reprint-1.pdf").read_bytes() == b"someone else's"
    with pytest.raises(FileExistsError):
        output.write_file(b"again", out, replace=False)
    assert out.read_bytes() == b"original" and not list(tmp_path.glob(".*.part"))


def test_the_view_carries_the_mark_of_the_next_print(services, users, sppb, tmp_path):
    view = services.documents.document_view(sppb.number)
    assert (view.prints, view.copy_mark, view.void_mark, view.receipt) == (0, "", "", False)
    assert (view.doc_type, view.status) == ("SPPB", "ISSUED") and "SALINAN" not in view.text
    services.documents.print_document(users[Role.EXAMINER], sppb.number, out=tmp_path / "a.pdf")
    view = services.documents.document_view(sppb.number)
    assert (view.prints, view.copy_mark) == (1, "SALINAN / COPY ke-1") and view.copy_mark in view.text
    services.issuance.void(users[Role.EXAMINER], sppb.number, "salah", users[Role.SUPERVISOR])
    view = services.documents.document_view(sppb.number)
    assert view.void_mark == "BATAL / VOID" and view.void_mark in view.text and view.status == "VOID"


@pytest.mark.skipif(sys.platform != "linux", reason="pseudo-terminal")
def test_the_demo_receipt_printer_takes_the_receipt_bytes(services, users, tmp_path):
    from workstation.demo import start_demo_devices
    from workstation.demo.receipt import OUTPUT_NAME

    sims, _devices, overrides = start_demo_devices(tmp_path)
    try:
        sink = sims["receipt-printer"]
        assert overrides["printer"]["receipt_port"] == sink.port
        printer = services.settings.printer.model_copy(update=overrides["printer"])
        services.ctx.settings = with_overrides(services.settings, printer=printer)
        services.issuance.ensure_office_key()
        doc = services.issuance.issue(users[Role.OFFICER], "BUKTI", _receipt(services))
        r = services.documents.print_document(users[Role.OFFICER], doc.number, receipt=True)
        assert r.target_kind == "escpos"
        for _ in range(100):
            data = sink.printed()
            if b"\x1dV" in data:  # the cut: the whole receipt arrived
                break
            time.sleep(0.05)
        assert data.startswith(b"\x1b@")  # ESC @: the printer's INIT, nothing before the receipt
        assert b"829.000" in data and b"\x1d(k" in data  # the total and the native QR
        assert (tmp_path / OUTPUT_NAME).read_bytes() == data
    finally:
        for sim in sims.values():
            sim.close()
    assert not (tmp_path / "receipt-printer").exists()  # the port's link goes with the printer
