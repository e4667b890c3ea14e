"""The receipt key in the document viewer prints on the demo's simulated receipt printer (#12 point 8); a
document without a receipt part does not offer the key."""

from __future__ import annotations

import sys
import time

import pytest

from screens.documents import DocumentModal
from tests.e2e.conftest import login, settle
from tests.e2e.test_documents_screen import _shown_keys
from tests.services.test_documents import _receipt, _sppb
from workstation.config import with_overrides
from workstation.domain.codes import Role


@pytest.mark.skipif(sys.platform != "linux", reason="pseudo-terminal")
async def test_t_prints_the_receipt_on_the_demo_printer(services, users, make_app, tmp_path):
    from workstation.demo.receipt import ReceiptPrinterSink

    sink = ReceiptPrinterSink(tmp_path)
    try:
        printer = services.settings.printer.model_copy(update={"receipt_port": sink.port})
        services.ctx.settings = with_overrides(services.settings, printer=printer)
        services.issuance.ensure_office_key()
        receipt = services.issuance.issue(users[Role.OFFICER], "BUKTI", _receipt(services))
        sppb = services.issuance.issue(users[Role.EXAMINER], "SPPB", _sppb(services))
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await login(app, pilot, "agus")
            app.push_screen(DocumentModal(sppb.number))
            await settle(app, pilot)
            assert "receipt" not in _shown_keys(app)  # an SPPB has no receipt form
            await pilot.press("escape")
            app.push_screen(DocumentModal(receipt.number))
            await settle(app, pilot)
            assert "receipt" in _shown_keys(app)
            await pilot.press("t")
            await settle(app, pilot)
            for _ in range(100):
                if b"\x1dV" in sink.printed():
                    break
                time.sleep(0.05)
            assert b"829.000" in sink.printed()
            assert services.documents.prints_of(receipt.number) == 1
    finally:
        sink.close()


def test_the_header_never_splits_a_label_from_its_value():
    from screens.documents import _fit

    parts = [[("000001/ECD-BILL/040300/2026", "bold")], [("Jenis: ", "dim"), "ECD-BILL"],
             [("Terbit: ", "dim"), "30-11-2026"], [("Status: ", "dim"), "terbit"]]
    lines = "".join(p[0] if isinstance(p, tuple) else p for p in _fit(parts, 76)).split("\n")
    assert lines == ["000001/ECD-BILL/040300/2026  Jenis: ECD-BILL  Terbit: 30-11-2026", "Status: terbit"]
    assert all(len(line) <= 76 for line in lines)
