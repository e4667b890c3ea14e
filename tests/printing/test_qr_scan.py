"""End to end: the QR printed on the PDF page scans back to the payload. Needs poppler's pdftoppm and zbar's
zbarimg (Debian: poppler-utils, zbar-tools); skipped without them."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from printing.render import render_pdf

pytestmark = pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("zbarimg")),
    reason="pdftoppm and zbarimg not installed (Debian packages poppler-utils, zbar-tools)",
)


@pytest.mark.parametrize("page", [1, 2])
def test_printed_qr_scans_back_to_the_payload(lhp, tmp_path, page):
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(render_pdf(lhp.content, payload=lhp.sealed.payload, copy_number=1, void=True))
    # 150 dpi: about what an office scanner or a phone camera resolves of a 24 mm code.
    subprocess.run(
        ["pdftoppm", "-r", "150", "-f", str(page), "-l", str(page), "-png", "-singlefile", str(pdf), str(tmp_path / "p")],
        check=True,
    )
    out = subprocess.run(
        ["zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", str(tmp_path / "p.png")],
        capture_output=True,
        check=False,
    )
    assert out.stdout.decode().strip() == lhp.sealed.payload
