from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from printing.payload import Payload, build_payload, extract_payload, parse_payload, try_parse_payload
from printing.render import render_pdf
from workstation.errors import InputError

H = "0f" * 32
SIG = "A" * 85 + "w"


@given(
    number=st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9 ./:-]{0,40}[A-Za-z0-9]\Z"),
    doc_type=st.from_regex(r"\A[A-Z][A-Z0-9_-]{1,15}\Z"),
    day=st.dates(min_value=dt.date(1000, 1, 1)),
    digest=st.binary(min_size=32, max_size=32).map(bytes.hex),
    sig=st.from_regex(r"\A[A-Za-z0-9_-]{86}\Z"),
)
def test_build_and_parse_round_trip(number, doc_type, day, digest, sig):
    text = build_payload(number, doc_type, day, digest, sig)
    assert parse_payload(text) == Payload(number, doc_type, day, digest, sig)


@given(st.text(max_size=300))
def test_parse_never_crashes_on_garbage(text):
    try:
        parse_payload(text)
    except InputError as exc:
        assert exc.field and exc.field.startswith("payload")


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("WSD2|N|SPPB|2026-11-21|" + H + "|" + SIG, "payload.version"),
        ("WSD1|N|SPPB|2026-11-21|" + H, "payload"),
        ("WSD1||SPPB|2026-11-21|" + H + "|" + SIG, "payload.number"),
        ("WSD1|N|sppb|2026-11-21|" + H + "|" + SIG, "payload.doc_type"),
        ("WSD1|N|SPPB|2026-13-01|" + H + "|" + SIG, "payload.issue_date"),
        ("WSD1|N|SPPB|21-11-2026|" + H + "|" + SIG, "payload.issue_date"),
        ("WSD1|N|SPPB|2026-11-21|" + H.upper() + "|" + SIG, "payload.content_hash"),
        ("WSD1|N|SPPB|2026-11-21|" + H + "|" + SIG[:-1], "payload.signature"),
        ("WSD1|N|SPPB|2026-11-21|" + H + "|" + SIG + "|extra", "payload"),
    ],
)
def test_parse_errors_name_the_part(text, field):
    with pytest.raises(InputError) as err:
        parse_payload(text)
    assert err.value.field == field
    assert try_parse_payload(text) is None


def test_extract_from_rendered_pdf_bytes_and_path(sppb, tmp_path):
    pdf = render_pdf(sppb.content, payload=sppb.sealed.payload, invariant=True)
    assert extract_payload(pdf) == sppb.sealed.payload
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    assert extract_payload(path) == sppb.sealed.payload
    assert extract_payload(str(path)) == sppb.sealed.payload


def test_unreadable_inputs_give_a_clear_error(tmp_path):
    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(b"\x00\x01binary garbage" * 50)
    with pytest.raises(InputError, match="not a readable PDF") as err:
        extract_payload(garbage)
    assert err.value.field == str(garbage)

    text = tmp_path / "notes.txt"
    text.write_text("just some text\n")
    with pytest.raises(InputError, match="not a readable PDF"):
        extract_payload(text)

    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog")
    with pytest.raises(InputError, match="not a readable PDF"):
        extract_payload(truncated)

    with pytest.raises(InputError, match="file not found"):
        extract_payload(tmp_path / "missing.pdf")


def test_pdf_without_payload(tmp_path):
    from reportlab.pdfgen.canvas import Canvas

    path = tmp_path / "plain.pdf"
    c = Canvas(str(path))
    c.drawString(100, 100, "not an issued document")
    c.save()
    with pytest.raises(InputError, match="no verification payload"):
        extract_payload(path)
