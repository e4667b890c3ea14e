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
        await pilot.press("p")
        await settle(app, pilot)
        await pilot.press("p")
        await settle(app, pilot)
        assert services.documents.prints_of(doc.number) == 2
        exported = services.settings.data_dir / "exports" / (doc.number.replace("/", "_") + ".pdf")
        assert exported.exists()
        assert "SALINAN" in str(app.screen.query_one("#doc-text").render())  # the next print is a copy
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
