"""Where a rendered document goes: a file (atomically), a CUPS queue (`lp -d QUEUE`, the PDF on stdin), or an
ESC/POS receipt printer (a python-escpos printer object: Serial in production, Dummy in tests).

Failures are one clear line: PrinterError (exit status 2, like other bad input or configuration: the queue
name or the device path is what the operator must fix) or InputError for a bad path or argument."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from printing.content import DocumentContent
from printing.receipt import COLUMNS_80MM, QR_CAPTION, check_printable, qr_module_size, receipt_lines
from printing.seal import check_payload
from workstation.domain.errors import ErrorCode
from workstation.errors import InputError, WorkstationError


class PrinterError(WorkstationError):
    """The printer, its queue or the spooler cannot take the job. Exit status 2: a configuration or input
    problem for the operator to fix (queue name, device path, cable), not a domain refusal."""

    exit_code = 2

    def __init__(self, message: str | None = None, *, field: str | None = None,
                 code: ErrorCode | str | None = ErrorCode.PRINT_FAILED, params: dict[str, Any] | None = None,
                 template: str | None = None):
        super().__init__(message, field=field, code=code, params=params, template=template)


# lpadmin's rule for printer names: printable, no space, tab, '/', '\\', '?', quotes or '#', at most 127.
_QUEUE_RE = re.compile(r"^[^\s/\\?'\"#@]{1,127}$")
_OPTION_KEY_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_REQUEST_RE = re.compile(r"request id is (\S+)")


def reprint_path(path: str | Path, copy_number: int, attempt: int = 1) -> Path:
    """The file name of copy N of a document asked for at `path`: NAME-reprint-N.pdf (then -reprint-N-2, …
    when that name is taken too)."""
    path = Path(path)
    tail = f"-reprint-{copy_number}" + (f"-{attempt}" if attempt > 1 else "")
    return path.with_name(f"{path.stem}{tail}{path.suffix}")


def write_copy(data: bytes, path: str | Path, copy_number: int, *, always_suffix: bool = False) -> Path:
    """Write copy N (N ≥ 1) of a document without ever replacing an existing file: to `path` when no file is
    there (and not `always_suffix`), else to reprint_path(path, N) or the next free variant of it. Returns the
    path written. The original's file thus stays byte for byte what was printed."""
    candidates = ([] if always_suffix else [Path(path)]) + [reprint_path(path, copy_number, i) for i in range(1, 100)]
    for candidate in candidates:
        if candidate.exists() or candidate.is_symlink():
            continue
        try:
            return write_file(data, candidate, replace=False)
        except FileExistsError:  # another print took the name between the check and the link
            continue
    raise InputError("no free file name for this copy", field=str(path), code=ErrorCode.INVALID_VALUE)


def write_file(data: bytes, path: str | Path, *, replace: bool = True) -> Path:
    """Write `data` to `path` atomically: a reader sees the old file or the whole new one, never half. With
    `replace=False` an existing file is never replaced (FileExistsError instead)."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise InputError("directory does not exist", field=str(path), code=ErrorCode.INVALID_VALUE)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=directory)
    except OSError as exc:
        raise InputError(template="cannot write here: {reason}", field=str(path), code=ErrorCode.INVALID_VALUE,
                         params={"reason": exc.strerror}) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails if the name exists: never replaces
            os.unlink(tmp)
    except FileExistsError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise InputError(template="cannot write file: {reason}", field=str(path), code=ErrorCode.INVALID_VALUE,
                         params={"reason": exc.strerror}) from None
    return path


def _clean_title(title: str) -> str:
    # The job title shows in lpstat and on banner pages: one printable line.
    return "".join(ch if ch.isprintable() else " " for ch in title).strip()[:200] or "document"


def lp_argv(
    queue: str,
    *,
    title: str,
    lp: str = "lp",
    server: str | None = None,
    copies: int = 1,
    options: Mapping[str, str] | None = None,
) -> list[str]:
    """The lp command line (exposed for tests and for the print-queue log)."""
    if not _QUEUE_RE.match(queue or ""):
        raise InputError("not a valid CUPS queue name", field="printer", code=ErrorCode.INVALID_VALUE)
    if isinstance(copies, bool) or not isinstance(copies, int) or not 1 <= copies <= 99:
        raise InputError("copies must be 1..99", field="copies", code=ErrorCode.INVALID_VALUE)
    argv = [lp]
    if server:
        argv += ["-h", server]
    argv += ["-d", queue, "-t", _clean_title(title), "-n", str(copies)]
    for key, value in (options or {}).items():
        if not _OPTION_KEY_RE.match(key) or not str(value).isprintable() or " " in str(value):
            raise InputError(template="bad printer option {option!r}", field="printer_options",
                             code=ErrorCode.INVALID_VALUE, params={"option": key})
        argv += ["-o", f"{key}={value}"]
    return argv


def send_to_cups(
    pdf: bytes,
    queue: str,
    *,
    title: str,
    lp: str = "lp",
    server: str | None = None,
    copies: int = 1,
    options: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> str:
    """Submit the PDF to a CUPS queue with `lp`, the data on stdin. Returns the job id (e.g. "office-12").
    A missing queue, a stopped scheduler or a missing `lp` → PrinterError carrying lp's own message."""
    argv = lp_argv(queue, title=title, lp=lp, server=server, copies=copies, options=options)
    try:
        proc = subprocess.run(argv, input=pdf, capture_output=True, timeout=timeout, check=False)
    except FileNotFoundError:
        raise PrinterError(template="{command!r} not found: install the CUPS client (cups-client)", field="printer",
                           params={"command": lp}) from None
    except subprocess.TimeoutExpired:
        raise PrinterError(template="lp did not answer within {seconds:g} s", field=f"printer {queue}",
                           params={"seconds": timeout}) from None
    except OSError as exc:
        raise PrinterError(template="cannot run {command!r}: {reason}", field="printer",
                           params={"command": lp, "reason": exc.strerror}) from None
    out = proc.stdout.decode("utf-8", "replace")
    err = proc.stderr.decode("utf-8", "replace").strip()
    if proc.returncode != 0:
        first = err.splitlines()[0] if err else f"lp exited with status {proc.returncode}"
        # "lp: Error - The printer or class does not exist." → "The printer or class does not exist."
        message = re.sub(r"^lp:\s*(Error\s*-\s*)?", "", first).strip()
        raise PrinterError(message or first, field=f"printer {queue}")
    match = _REQUEST_RE.search(out)
    return match.group(1) if match else out.strip()


def print_receipt(
    content: DocumentContent,
    printer,
    *,
    payload: str,
    columns: int = COLUMNS_80MM,
    copy_number: int = 0,
    void: bool = False,
    cut: bool = True,
) -> None:
    """Print a receipt document on an ESC/POS printer (python-escpos object) with a native QR of `payload`."""
    from escpos.constants import QR_ECLEVEL_M
    from escpos.exceptions import Error as EscposError

    try:
        import serial

        serial_errors: tuple[type[BaseException], ...] = (serial.SerialException,)
    except ImportError:  # pragma: no cover - pyserial is a dependency
        serial_errors = ()

    check_payload(content, payload)
    lines = receipt_lines(content, columns=columns, copy_number=copy_number, void=void)
    check_printable(lines, printer)  # nothing is sent when a name is outside the printer's code pages
    try:
        printer.hw("INIT")
        for line in lines:
            printer.set(
                align=line.align,
                bold=line.bold,
                normal_textsize=not line.big,
                double_width=line.big,
                double_height=line.big,
            )
            printer.textln(line.text)
        printer.set(align="center", bold=False, normal_textsize=True)
        printer.ln()
        printer.qr(payload, native=True, size=qr_module_size(columns), ec=QR_ECLEVEL_M)
        printer.textln(QR_CAPTION[:columns])
        printer.set(align="left")
        if cut:
            printer.cut()
    except (EscposError, OSError, *serial_errors) as exc:
        raise PrinterError(template="receipt printer failed: {reason}", field="receipt_printer",
                           params={"reason": (str(exc).splitlines() or [""])[0]}) from None


def open_serial_printer(device: str, *, baudrate: int = 9600, timeout: float = 2.0, profile: str | None = None):
    """An escpos Serial printer on `device` (prefer a stable /dev/serial/by-id/... path). Opened now, so a
    missing device is reported here and not halfway through a receipt."""
    from escpos.exceptions import Error as EscposError
    from escpos.printer import Serial

    printer = Serial(devfile=device, baudrate=baudrate, timeout=timeout, dsrdtr=False, profile=profile)
    try:
        printer.open()
    except (EscposError, OSError) as exc:
        raise PrinterError(template="cannot open receipt printer: {reason}", field=device,
                           params={"reason": str(exc).splitlines()[0]}) from None
    return printer
