from __future__ import annotations

import io
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from printing.content import Paragraph, Signatory, document_hash
from printing.payload import build_payload, extract_payload
from printing.qr import qr_matrix
from printing.render import _qr_ops, qr_modules, render_pdf
from printing.samples import sample_lhp
from printing.seal import seal
from tests.printing.conftest import fonts_used, pdf_text
from tests.printing.test_content import contents
from workstation.errors import InputError


def test_byte_stable_with_invariant(sppb):
    a = render_pdf(sppb.content, payload=sppb.sealed.payload, invariant=True)
    b = render_pdf(sppb.content, payload=sppb.sealed.payload, invariant=True)
    assert a == b
    c = render_pdf(sppb.content, payload=sppb.sealed.payload, copy_number=1, invariant=True)
    assert c != a


def test_number_date_and_names_are_extractable(sppb):
    text = "\n".join(pdf_text(render_pdf(sppb.content, payload=sppb.sealed.payload, invariant=True)))
    assert "SPPB-040300-2026-000123" in text
    assert "Tanggal / Date: 21 November 2026" in text
    assert "Siti Rahmawati" in text
    assert "NIP 19870315 201012 2 002" in text
    assert "KEMENTERIAN KEUANGAN REPUBLIK INDONESIA" in text
    assert "DIREKTORAT JENDERAL BEA DAN CUKAI" in text
    assert "KANTOR PELAYANAN UTAMA BEA DAN CUKAI TIPE A TANJUNG PRIOK" in text
    assert "Jalan Pabean Nomor 1" in text
    assert "SALINAN" not in text  # the first print is the original


def test_reprint_carries_copy_mark_on_every_page(lhp):
    pdf = render_pdf(lhp.content, payload=lhp.sealed.payload, copy_number=3, invariant=True)
    pages = pdf_text(pdf)
    assert len(pages) == 2
    for page in pages:
        assert "SALINAN / COPY ke-3" in page


def test_two_page_document_numbers_its_pages(lhp):
    pages = pdf_text(render_pdf(lhp.content, payload=lhp.sealed.payload, invariant=True))
    assert len(pages) == 2
    assert "Halaman 1 dari 2 / Page 1 of 2" in pages[0]
    assert "Halaman 2 dari 2 / Page 2 of 2" in pages[1]
    # The document number is in every page's footer; the goods table header repeats on page 2.
    for page in pages:
        assert "LHP-040300-2026-000321" in page
    assert "Uraian barang" in pages[1]
    assert "Budi Santoso" in pages[1]


def test_one_page_and_many_pages(office_key):
    long = sample_lhp(items=70)
    pages = pdf_text(render_pdf(long, payload=seal(long, office_key).payload, invariant=True))
    n = len(pages)
    assert n >= 4
    assert f"Halaman {n} dari {n}" in pages[-1]


def test_metadata_and_fonts(sppb):
    pdf = render_pdf(sppb.content, payload=sppb.sealed.payload, invariant=True)
    reader = PdfReader(io.BytesIO(pdf))
    meta = reader.metadata
    assert meta["/WSDPayload"] == sppb.sealed.payload
    assert "SPPB-040300-2026-000123" in meta.title
    fonts = fonts_used(pdf)
    # Only embedded TrueType subsets: nothing relies on fonts installed where it is printed.
    assert fonts and all(fonts.values()), fonts
    assert any("BitstreamVeraSans" in f for f in fonts)


def test_text_is_escaped_not_interpreted_as_markup(office_key):
    content = sample_lhp(items=1).model_copy(
        update={
            "blocks": [Paragraph(text="PT A&B <Ltd> <b>not bold</b> 100% > 50%")],
            "signatories": [
                Signatory(name="O'Brien & <Sons>", role="Kuasa", place="Jakarta", date=sample_lhp().issue_date)
            ],
        }
    )
    pdf = render_pdf(content, payload=seal(content, office_key).payload, invariant=True)
    text = pdf_text(pdf)[0]
    assert "PT A&B <Ltd> <b>not bold</b> 100% > 50%" in text
    assert "O'Brien & <Sons>" in text


def test_indonesian_and_latin1_characters_survive(office_key):
    content = sample_lhp(items=1).model_copy(
        update={"blocks": [Paragraph(text="Pemeriksaan barang milik José Müller — biaya Rp1.000 ± 5 °C")]}
    )
    text = pdf_text(render_pdf(content, payload=seal(content, office_key).payload, invariant=True))[0]
    assert "José Müller" in text
    assert "± 5 °C" in text


def test_payload_of_another_document_is_refused(sppb, lhp):
    with pytest.raises(InputError, match="another document"):
        render_pdf(sppb.content, payload=lhp.sealed.payload)


def test_payload_of_other_content_is_refused(sppb, office_key):
    changed = sppb.content.model_copy(update={"issue_place": "Bogor"})
    with pytest.raises(InputError, match="hash"):
        render_pdf(changed, payload=sppb.sealed.payload)


@pytest.mark.parametrize("copy_number", [-1, True, 1.0])
def test_bad_copy_number(sppb, copy_number):
    with pytest.raises(InputError):
        render_pdf(sppb.content, payload=sppb.sealed.payload, copy_number=copy_number)


def test_qr_runs_reproduce_the_code_matrix(sppb):
    n, runs = qr_modules(sppb.sealed.payload)
    rebuilt = [[False] * n for _ in range(n)]
    for r, c, length in runs:
        for k in range(length):
            assert not rebuilt[r][c + k]
            rebuilt[r][c + k] = True
    assert rebuilt == [[bool(x) for x in row] for row in qr_matrix(sppb.sealed.payload)]
    ops = _qr_ops(sppb.sealed.payload, 68.0)
    assert len(re.findall(r" re\b", ops)) == len(runs)
    assert ops.startswith("q ") and ops.endswith(" f Q")


def test_qr_is_drawn_once_and_referenced_on_every_page(lhp):
    pdf = render_pdf(lhp.content, payload=lhp.sealed.payload, invariant=True)
    reader = PdfReader(io.BytesIO(pdf))
    forms = set()
    for page in reader.pages:
        xobjects = page["/Resources"]["/XObject"]
        assert len(xobjects) == 1  # the QR form is the only XObject
        (ref,) = (xobjects.raw_get(k) for k in xobjects)
        forms.add(ref.idnum)
        assert xobjects[next(iter(xobjects))]["/Subtype"] == "/Form"
    assert len(reader.pages) == 2
    assert len(forms) == 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=contents, copy_number=st.integers(0, 3), void=st.booleans())
def test_any_valid_content_renders_or_says_why(content, copy_number, void):
    payload = build_payload(content.number, content.doc_type, content.issue_date, document_hash(content), "A" * 86)
    try:
        pdf = render_pdf(content, payload=payload, copy_number=copy_number, void=void, invariant=True)
    except InputError as exc:
        assert exc.field == "content"
        return
    assert extract_payload(pdf) == payload
    text = "\n".join(pdf_text(pdf))
    assert content.number.split()[0] in text.replace("\n", " ")


def test_an_unsplittable_cell_is_a_clear_error(office_key):
    from printing.content import Table

    table = Table(columns=[f"c{i}" for i in range(12)], rows=[["word " * 399 + "end"] * 12])
    content = sample_lhp(items=1).model_copy(update={"blocks": [table]})
    with pytest.raises(InputError, match="does not fit the page"):
        render_pdf(content, payload=seal(content, office_key).payload)
