"""SVG snapshots at 80×24 in Indonesian of the document viewer (never printed: "Cetak" and the original; printed
once: "Cetak ulang" and the copy mark the reprint carries; a void document) and of the preview before issuing.
SQLite only: the status bar names the back end."""

from __future__ import annotations

import pytest

from tests.conftest import BACKEND
from tests.e2e.conftest import login, settle
from tests.services.test_documents import _sppb
from workstation.domain.codes import Role

pytestmark = pytest.mark.skipif(BACKEND != "sqlite", reason="snapshots show the back end name; taken on SQLite")


@pytest.fixture
def sppb(services, users):
    services.issuance.ensure_office_key()
    return services.issuance.issue(users[Role.EXAMINER], "SPPB", _sppb(services))


def _open(number):
    async def run(pilot):
        from screens.documents import DocumentModal

        await login(pilot.app, pilot, "agus")
        pilot.app.push_screen(DocumentModal(number))
        await settle(pilot.app, pilot)

    return run


def test_document_never_printed_80x24(snap_compare, make_app, sppb):
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_open(sppb.number))


def test_document_printed_once_80x24(snap_compare, make_app, services, users, sppb, tmp_path):
    services.documents.print_document(users[Role.SUPERVISOR], sppb.number, out=tmp_path / "sppb.pdf")
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_open(sppb.number))


def test_void_document_80x24(snap_compare, make_app, services, users, sppb):
    services.issuance.void(users[Role.EXAMINER], sppb.number, "importir salah", users[Role.SUPERVISOR])
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_open(sppb.number))


def test_preview_before_issuing_80x24(snap_compare, make_app, services, users):
    from printing.text import render_text
    from screens.preview import PreviewModal

    content = _sppb(services)("000001/SPPB/040300/2026", services.ctx.today())
    text = render_text(content)

    async def run(pilot):
        await login(pilot.app, pilot, "agus")
        pilot.app.push_screen(PreviewModal(text))
        await settle(pilot.app, pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run)
