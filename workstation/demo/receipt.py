"""The demo's receipt printer: a pseudo-terminal standing in for the ESC/POS printer on a serial port. What the
workstation prints (only the receipt's ESC/POS bytes) is appended to a file in the demo directory, so the
receipt key works in `workstation demo` and a newcomer can look at what would have come out of the printer."""

from __future__ import annotations

import contextlib
import os
import select
import threading
from pathlib import Path

PORT_NAME = "receipt-printer"  # the link in the demo directory that printer.receipt_port names
OUTPUT_NAME = "receipts.escpos"  # every receipt printed, one after the other


class ReceiptPrinterSink:
    """A simulated receipt printer: `port` is the serial device to print on; every byte written to it is
    appended to `output`. `close()` stops the reader thread and removes the pseudo-terminal."""

    def __init__(self, directory: str | os.PathLike[str]):
        from devices.sim.pty import PtyPort

        directory = Path(directory)
        self.output = directory / OUTPUT_NAME
        self.output.touch(mode=0o600, exist_ok=True)
        self._pty = PtyPort(link=directory / PORT_NAME)
        self.port = self._pty.port
        self._stop_r, self._stop_w = os.pipe()
        self._thread = threading.Thread(target=self._pump, name="demo-receipt-printer", daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        with self.output.open("ab") as sink:
            while True:
                try:
                    ready, _, _ = select.select([self._pty.master, self._stop_r], [], [])
                except (OSError, ValueError):
                    return
                if self._stop_r in ready:
                    return
                try:
                    data = os.read(self._pty.master, 65536)
                except OSError:  # EIO while nobody has the printer open: wait for the next print
                    data = b""
                if data:
                    sink.write(data)
                    sink.flush()
                else:
                    # no writer: avoid spinning on a pty that reports readable with nothing to read
                    select.select([self._stop_r], [], [], 0.05)

    def printed(self) -> bytes:
        """Everything printed so far."""
        return self.output.read_bytes()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self._stop_w, b"x")
        self._thread.join(5)
        for fd in (self._stop_r, self._stop_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._pty.close(unlink=True)
