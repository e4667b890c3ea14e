from __future__ import annotations

import os
import pty
import select
import threading
import time
import tty

import pytest
from escpos.printer import Dummy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from printing.output import PrinterError, open_serial_printer, print_receipt
from printing.receipt import COLUMNS_58MM, COLUMNS_80MM, receipt_lines
from tests.printing.test_content import contents, receipts
from workstation.errors import InputError

GS = b"\x1d"


def _qr_store_command(payload: str) -> bytes:
    """GS ( k pL pH cn=49 fn=80 m=48 data: store the QR symbol data (Epson function 180)."""
    data = payload.encode()
    n = len(data) + 3
    return GS + b"(k" + bytes([n % 256, n // 256]) + b"1P0" + data


def _dummy_bytes(doc, **kwargs) -> bytes:
    printer = Dummy()
    print_receipt(doc.content, printer, payload=doc.sealed.payload, **kwargs)
    return printer.output


def test_payment_receipt_bytes(payment):
    out = _dummy_bytes(payment)
    assert out.startswith(b"\x1b@")  # ESC @ initialise
    for text in (b"BPN-050100-2026-004711", b"Andi Wijaya", b"Rp400.000", b"Rp484.000", b"Rp884.000", b"TOTAL"):
        assert text in out
    assert _qr_store_command(payment.sealed.payload) in out
    assert GS + b"(k\x03\x001Q0" in out  # print the stored symbol
    assert GS + b"(k\x03\x001E1" in out  # error correction level M
    assert GS + b"V" in out  # cut
    assert out.index(b"Rp884.000") < out.index(_qr_store_command(payment.sealed.payload))


def test_ecd_slip_bytes(ecd_slip):
    out = _dummy_bytes(ecd_slip, columns=COLUMNS_58MM)
    assert b"VALUE_OVER_ALLOWANCE" in out
    assert b"MERAH / RED" in out
    assert _qr_store_command(ecd_slip.sealed.payload) in out
    assert b"TOTAL" not in out  # a slip has no money


def test_reprint_and_void_marks(payment):
    out = _dummy_bytes(payment, copy_number=2, void=True)
    assert b"SALINAN / COPY ke-2" in out
    assert out.count(b"BATAL / VOID") == 2
    assert b"SALINAN" not in _dummy_bytes(payment)


@pytest.mark.parametrize("columns", [COLUMNS_80MM, COLUMNS_58MM])
def test_sample_lines_fit_the_paper(payment, ecd_slip, columns):
    for doc in (payment, ecd_slip):
        for line in receipt_lines(doc.content, columns=columns, copy_number=12, void=True):
            assert len(line.text) <= (columns // 2 if line.big else columns), line


with_receipt = st.builds(lambda c, r: c.model_copy(update={"receipt": r}), contents, receipts())


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=with_receipt, columns=st.sampled_from([COLUMNS_58MM, COLUMNS_80MM, 48]))
def test_any_receipt_fits_the_paper(content, columns):
    for line in receipt_lines(content, columns=columns, copy_number=3, void=True):
        assert len(line.text) <= (columns // 2 if line.big else columns)
        assert "\n" not in line.text


def test_document_without_receipt_part(sppb):
    with pytest.raises(InputError, match="no receipt part"):
        print_receipt(sppb.content, Dummy(), payload=sppb.sealed.payload)


def test_foreign_payload_refused(payment, ecd_slip):
    with pytest.raises(InputError, match="another document"):
        print_receipt(payment.content, Dummy(), payload=ecd_slip.sealed.payload)


def test_through_a_pseudo_terminal(payment):
    """The same bytes as the Dummy printer arrive at the far end of a serial line (a pty)."""
    expected = _dummy_bytes(payment)
    master, slave = pty.openpty()
    tty.setraw(slave)
    received = bytearray()
    done = threading.Event()

    def drain():
        # The pty buffer is small: read while the printer writes.
        while not done.is_set() or select.select([master], [], [], 0)[0]:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    received.extend(os.read(master, 4096))
                except OSError:
                    break

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        printer = open_serial_printer(os.ttyname(slave), baudrate=9600)
        print_receipt(payment.content, printer, payload=payment.sealed.payload)
        printer.close()
        deadline = time.monotonic() + 5
        while len(received) < len(expected) and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        done.set()
        reader.join(2)
        os.close(slave)
        os.close(master)
    assert bytes(received) == expected


def test_missing_serial_device_is_a_clear_error(tmp_path):
    with pytest.raises(PrinterError, match="cannot open receipt printer") as err:
        open_serial_printer(str(tmp_path / "ttyNOPE"))
    assert err.value.exit_code == 2
    assert "ttyNOPE" in str(err.value)


def test_printer_failure_mid_receipt_is_a_printer_error(payment):
    class Broken(Dummy):
        def _raw(self, msg):
            raise OSError(5, "Input/output error")

    with pytest.raises(PrinterError, match="receipt printer failed"):
        print_receipt(payment.content, Broken(), payload=payment.sealed.payload)
