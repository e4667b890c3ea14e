"""Printing happens outside the write lock (issue #10): the copy number is reserved and committed, the document
is rendered and sent with no transaction open, the outcome is recorded in a second short transaction. A jammed
printer therefore never stalls another session's writes, and copy numbers stay unique and gapless."""

from __future__ import annotations

import json
import threading
import time

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from db.models import AuditEntry, DocumentPrint, PrintJob
from printing import output
from printing.output import PrinterError
from tests.services.test_documents import _sppb
from workstation.domain.codes import Role
from workstation.domain.errors import ErrorCode
from workstation.errors import InputError

WAIT = 20  # seconds; generous for a loaded CI machine, never reached when it works


class HungPrinter:
    """Stands in for `output.send_to_cups`: each job blocks until released (a jammed printer), or fails."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.entered = threading.Semaphore(0)
        self.fail_with: str | None = None
        self.jobs: list[bytes] = []
        self.lock = threading.Lock()

    def __call__(self, pdf: bytes, queue: str, *, title: str, lp: str = "lp", **kw) -> str:
        with self.lock:
            self.jobs.append(pdf)
            n = len(self.jobs)
        self.entered.release()
        assert self.release.wait(WAIT), "the test never released the printer"
        if self.fail_with:
            raise PrinterError(self.fail_with, field=f"printer {queue}")
        return f"{queue}-{n}"

    def wait_entered(self, n: int = 1, runs: tuple[Run, ...] = ()) -> None:
        """Wait until n prints hang at the printer; a run that failed on its way is reported at once. Rendering
        and signing three PDFs at once took more than 20 s in CI while other suites ran, so this waits longer."""
        for _ in range(n):
            deadline = time.monotonic() + 5 * WAIT
            while not self.entered.acquire(timeout=0.2):
                failed = [r.error for r in runs if r.error is not None]
                assert not failed, f"a print failed before it reached the printer: {failed!r}"
                assert time.monotonic() < deadline, "the print never reached the printer"


class Run(threading.Thread):
    """A call in its own thread (another session), keeping its result or error."""

    def __init__(self, fn, *args, **kw) -> None:
        super().__init__(daemon=True)
        self.fn, self.args, self.kw = fn, args, kw
        self.result = self.error = None

    def run(self) -> None:
        try:
            self.result = self.fn(*self.args, **self.kw)
        except BaseException as exc:  # handed to the test
            self.error = exc


@pytest.fixture
def printer(monkeypatch):
    hung = HungPrinter()
    monkeypatch.setattr(output, "send_to_cups", hung)
    yield hung
    hung.release.set()


@pytest.fixture
def issued(services, users):
    services.issuance.ensure_office_key()
    return services.issuance.issue(users[Role.EXAMINER], "SPPB", _sppb(services))


@pytest.fixture
def other_session(settings, clock):
    """A second process's services: its own engine and connections to the same database."""
    from db.engine import Database
    from workstation.services import Services
    from workstation.services.base import ServiceContext

    db = Database(settings.effective_database_url)
    yield Services(ServiceContext(db=db, settings=settings, clock=clock))
    db.dispose()


def _pdf_text(pdf: bytes) -> str:
    import io

    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def _prints(services, number):
    with services.ctx.db.read() as s:
        rows = s.execute(select(DocumentPrint.copy_number, PrintJob.status, PrintJob.attempts)
                         .join(PrintJob, PrintJob.id == DocumentPrint.id, isouter=True)
                         .where(PrintJob.number == number).order_by(DocumentPrint.copy_number)).all()
        return [tuple(r) for r in rows]


def test_a_hung_printer_does_not_block_another_sessions_write(services, users, issued, printer, other_session):
    examiner = users[Role.EXAMINER]
    job = Run(services.documents.print_document, examiner, issued.number, printer="kantor-a4")
    job.start()
    printer.wait_entered(runs=(job,))  # the print is now hanging inside the printer
    write = Run(other_session.issuance.issue, users[Role.OFFICER], "SPPB", _sppb(other_session, "Budi"))
    write.start()
    write.join(WAIT)
    assert not write.is_alive(), "another session's write waited on the jammed printer"
    assert write.error is None and write.result.number != issued.number
    assert job.is_alive()  # the print is still hung while the other write committed
    printer.release.set()
    job.join(WAIT)
    assert job.error is None and job.result.copy_number == 0 and job.result.detail == "kantor-a4-1"
    assert _prints(services, issued.number) == [(0, "DONE", 1)]
    with services.ctx.db.read() as s:
        actions = [a for a in s.scalars(select(AuditEntry.action).order_by(AuditEntry.seq))
                   if a in ("document.issue", "document.print")]
    assert actions == ["document.issue", "document.issue", "document.print"]  # the print recorded last


def test_concurrent_prints_get_unique_gapless_copy_numbers(services, users, issued, printer, other_session):
    runs = [Run(svc.documents.print_document, users[Role.EXAMINER], issued.number, printer="kantor-a4")
            for svc in (services, other_session, services)]
    for r in runs:
        r.start()
    printer.wait_entered(3, tuple(runs))  # all three hang at the printer at once: numbers were fixed before
    printer.release.set()
    for r in runs:
        r.join(WAIT)
        assert r.error is None
    assert sorted(r.result.copy_number for r in runs) == [0, 1, 2]
    marks = sorted("SALINAN" in _pdf_text(pdf) for pdf in printer.jobs)
    assert marks == [False, True, True]  # exactly one original
    assert services.documents.prints_of(issued.number) == 3


def test_a_failed_print_keeps_its_copy_number_and_its_retry_prints_it(services, users, issued, printer,
                                                                       tmp_path):
    examiner = users[Role.EXAMINER]
    printer.fail_with = "The printer or class does not exist."
    printer.release.set()
    with pytest.raises(PrinterError, match="kept in the print queue") as caught:
        services.documents.print_document(examiner, issued.number, printer="kantor-a4")
    assert caught.value.code == ErrorCode.PRINT_QUEUED
    assert _prints(services, issued.number) == [(0, "FAILED", 1)]
    # a later export gets the next number; the failed print keeps the original's
    later = services.documents.print_document(examiner, issued.number, out=tmp_path / "later.pdf")
    assert later.copy_number == 1
    printer.fail_with = None
    assert services.documents.retry_failed(examiner) == (1, 0)
    assert "SALINAN" not in _pdf_text(printer.jobs[-1])  # the retry printed copy 0: the original
    assert services.documents.failed_jobs() == []
    assert _prints(services, issued.number)[0] == (0, "DONE", 2)
    with services.ctx.db.read() as s:
        entries = [(e.action, json.loads(e.payload)["copy_number"]) for e in s.scalars(
            select(AuditEntry).where(AuditEntry.action.like("document.print%")).order_by(AuditEntry.seq))]
    assert entries == [("document.print_failed", 0), ("document.print", 1), ("document.print", 0)]


def test_the_same_print_asked_again_takes_over_the_queued_job(services, users, issued, printer):
    examiner = users[Role.EXAMINER]
    printer.fail_with = "out of paper"
    printer.release.set()
    for _ in range(2):
        with pytest.raises(PrinterError):
            services.documents.print_document(examiner, issued.number, printer="kantor-a4")
    [job] = services.documents.failed_jobs()
    assert job.attempts == 2 and job.last_error.endswith("out of paper")
    printer.fail_with = None
    assert services.documents.print_document(examiner, issued.number, printer="kantor-a4").copy_number == 0
    assert _prints(services, issued.number) == [(0, "DONE", 3)]


def test_a_print_left_printing_by_a_stopped_process_can_be_retried(services, users, issued, printer, clock):
    examiner = users[Role.EXAMINER]
    job = Run(services.documents.print_document, examiner, issued.number, printer="kantor-a4")
    job.start()
    printer.wait_entered()
    assert services.documents.failed_jobs() == []  # printing right now: not for retry
    assert services.documents.retry_failed(examiner) == (0, 0)
    clock.advance(minutes=11)
    [stale] = services.documents.failed_jobs()
    assert stale.status == "PRINTING"
    printer.release.set()
    job.join(WAIT)
    assert job.result.copy_number == 0 and services.documents.failed_jobs() == []


def test_what_fails_for_certain_takes_no_copy_number(services, users, issued, printer, tmp_path):
    examiner = users[Role.EXAMINER]
    with pytest.raises(InputError, match="directory does not exist"):
        services.documents.print_document(examiner, issued.number, out=tmp_path / "missing" / "x.pdf")
    with pytest.raises(InputError, match="CUPS queue name"):
        services.documents.print_document(examiner, issued.number, printer="bad queue")
    with pytest.raises(InputError) as caught:
        services.documents.print_document(examiner, issued.number, receipt=True, printer="/dev/null")
    assert caught.value.code == ErrorCode.NOT_A_RECEIPT
    assert services.documents.prints_of(issued.number) == 0
    assert services.documents.print_document(examiner, issued.number, out=tmp_path / "x.pdf").copy_number == 0
