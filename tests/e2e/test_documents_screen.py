"""A supervisor finds an issued document, sees its preview, prints it again (copy mark), and voids it with a
second supervisor's confirmation."""

from __future__ import annotations

from screens.documents import DocumentModal
from tests.conftest import PASSWORD
from tests.e2e.conftest import login, settle
from tests.services.test_documents import _sppb
from workstation.domain.codes import Role


async def test_find_preview_reprint_and_void(services, users, make_app):
    services.issuance.ensure_office_key()
    doc = services.issuance.issue(users[Role.EXAMINER], "SPPB", _sppb(services))
    services.auth.create_user(users[Role.ADMIN], "wati", "Wati Kusuma", ["supervisor"], PASSWORD)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "agus")
        await pilot.press("f8")
        await settle(app, pilot)
        await pilot.press("d")
        await pilot.pause()
        app.screen.query_one("Input").value = doc.number
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, DocumentModal)
        text = str(app.screen.query_one("#doc-text").render())
        assert doc.number in text and "PT Maju Jaya" in text
        # never printed: the key is "Print" and the next print is the original
        assert _shown_keys(app) >= {"print"} and "reprint" not in _shown_keys(app)
        assert "SALINAN" not in str(app.screen.query_one("#doc-mark").render())
        await pilot.press("p")
        await settle(app, pilot)
        exported = services.settings.data_dir / "exports" / (doc.number.replace("/", "_") + ".pdf")
        original = exported.read_bytes()
        # printed once: the same key now reprints, and the screen shows the mark the reprint will carry
        assert "reprint" in _shown_keys(app) and "print" not in _shown_keys(app)
        assert "SALINAN / COPY ke-1" in str(app.screen.query_one("#doc-mark").render())
        await pilot.press("p")
        await settle(app, pilot)
        assert services.documents.prints_of(doc.number) == 2
        reprint = exported.with_name(exported.stem + "-reprint-1.pdf")
        assert reprint.exists() and exported.read_bytes() == original  # the original's file is untouched
        assert "SALINAN" in str(app.screen.query_one("#doc-text").render())  # the next print is a copy
        assert "SALINAN / COPY ke-2" in str(app.screen.query_one("#doc-mark").render())
        await pilot.press("x")
        await pilot.pause()
        app.screen.query_one("Input").value = "importir salah"
        await pilot.press("enter")
        await pilot.pause()
        app.screen.query_one("#sup-login").value = "wati"
        app.screen.query_one("#sup-password").value = PASSWORD
        app.screen.query_one("#sup-password").focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert services.documents.verify_number(doc.number).status == "VOID"
        await pilot.press("escape")
        await pilot.press("d")
        await pilot.pause()
        app.screen.query_one("Input").value = "000999/XX/040300/2026"
        await pilot.press("enter")
        await settle(app, pilot)
        assert not isinstance(app.screen, DocumentModal)  # unknown number: message, no empty viewer


def _shown_keys(app) -> set[str]:
    """The actions the key bar offers now (check_action hides the rest)."""
    return {b.binding.action for b in app.screen.active_bindings.values() if b.enabled and b.binding.show}


async def test_a_jammed_printer_leaves_the_screen_and_other_writes_free(services, users, make_app, monkeypatch):
    """P on a CUPS queue whose printer hangs: the dialog still answers, another write goes through, and when
    the printer gives up the job is kept in the queue and the officer reads why."""
    import threading

    from printing import output
    from printing.output import PrinterError
    from workstation.config import with_overrides

    services.issuance.ensure_office_key()
    doc = services.issuance.issue(users[Role.EXAMINER], "SPPB", _sppb(services))
    printer = services.settings.printer.model_copy(update={"cups_queue": "kantor-a4"})
    services.ctx.settings = with_overrides(services.settings, printer=printer)
    release, entered = threading.Event(), threading.Event()

    def jammed(pdf, queue, **kw):
        entered.set()
        assert release.wait(20)
        raise PrinterError("lp did not answer within 30 s", field=f"printer {queue}")

    monkeypatch.setattr(output, "send_to_cups", jammed)
    app = make_app()
    notes: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "agus")
        app.push_screen(DocumentModal(doc.number))
        await settle(app, pilot)
        original_notify = app.notify
        monkeypatch.setattr(app, "notify", lambda message, **kw: (notes.append(message), original_notify(message, **kw)))
        await pilot.press("p")
        for _ in range(200):
            if entered.is_set():
                break
            await pilot.pause(0.02)
        assert entered.is_set()
        # while the printer hangs: another session issues a document (a write); the dialog stays up
        other = services.issuance.issue(users[Role.EXAMINER], "SPPB", _sppb(services, "Budi"))
        assert other.number != doc.number
        assert isinstance(app.screen, DocumentModal)
        release.set()
        await settle(app, pilot)
        # said in Indonesian (the raiser's template); the printer's own words stay as the spooler wrote them
        assert any("lp did not answer within 30 s; pekerjaan cetak tetap disimpan di antrean cetak" in n for n in notes)
        [job] = services.documents.failed_jobs()
        assert job.number == doc.number and job.target == "kantor-a4"
