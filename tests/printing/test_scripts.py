"""Names in every script on official documents (issue #13 item 7): each prints in a face that has it, shaped and
in visual order where the script needs it, and can be found back in the PDF's text; what no face draws is
refused (at intake, and by the renderer), never printed as empty boxes. The receipt printer refuses what its
code pages cannot hold."""

from __future__ import annotations

import io
import unicodedata

import pytest
from escpos.printer import Dummy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from printing import fonts
from printing.content import ReceiptLine, Signatory
from printing.output import print_receipt
from printing.receipt import check_printable, receipt_lines, unprintable
from printing.render import render_pdf
from printing.samples import sample_ecd_slip, sample_payment_receipt, sample_sppb
from printing.seal import seal
from tests.printing.conftest import fonts_used
from workstation.errors import ErrorCode, InputError

# (script, name, the face that must draw it, the font file it comes from)
NAMES = [
    ("vietnamese", "Nguyễn Thị Phương Thảo", "NotoSans"),
    ("chinese", "王小明", "DroidSansFallback"),
    ("japanese", "山田 はなこ", "DroidSansFallback"),
    ("arabic", "محمد بن علي", "NotoNaskhArabic"),
    ("cyrillic", "Иван Петров", "NotoSans"),
    ("thai", "สมชาย ใจดี", "NotoSansThai"),
    ("korean", "김민준", "NanumGothic"),
    ("devanagari", "अक्षय कुमार", "NotoSansDevanagari"),
]
SETUP = "fonts not installed on this machine (.ci/setup-fonts.sh installs them)"


# the files .ci/setup-fonts.sh checks: with only some faces (say DejaVu without Noto) another face draws a name
# and the cases below, written for the set CI installs, would fail instead of saying what is missing
SETUP_FILES = ("noto/NotoSans-Regular.ttf", "noto/NotoNaskhArabic-Regular.ttf", "droid/DroidSansFallbackFull.ttf",
               "nanum/NanumGothic.ttf")


def _needs_fonts(name: str = "") -> None:
    import os

    installed = all(any(os.path.exists(os.path.join(d, f)) for d in fonts.font_dirs()) for f in SETUP_FILES)
    if not installed or (name and fonts.undrawable(name) is not None):
        pytest.skip(SETUP)


def _slip(name: str):
    c = sample_ecd_slip()
    lines = [ReceiptLine(label="Nama", value=name) if ln.label == "Nama" else ln for ln in c.receipt.lines]
    return c.model_copy(update={"receipt": c.receipt.model_copy(update={"lines": lines})})


def _pdf(content, office_key) -> bytes:
    return render_pdf(content, payload=seal(content, office_key).payload, invariant=True)


def _text(pdf: bytes) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def _arabic_line(text: str) -> str:
    (line,) = [ln for ln in text.splitlines() if any(0x0600 <= ord(ch) <= 0x06FF or 0xFB50 <= ord(ch) <= 0xFEFF
                                                     for ch in ln)]
    return line


def _squash(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


@pytest.mark.parametrize(("script", "name", "font"), NAMES, ids=[n[0] for n in NAMES])
def test_a_slip_prints_the_name_in_its_script(office_key, script, name, font):
    _needs_fonts(name)
    pdf = _pdf(_slip(name), office_key)
    text = _text(pdf)
    assert not any(0xE000 <= ord(ch) <= 0xF8FF for ch in text), f"a glyph extracts as private use: {text!r}"
    if script == "arabic":
        # Shaped: contextual forms (presentation forms in the text layer), not the isolated letters; in visual
        # order: the first word (محمد) is the rightmost.
        line = _arabic_line(text)
        assert any(0xFE70 <= ord(ch) <= 0xFEFF for ch in line), line
        assert _squash(line) == _squash(" ".join(reversed(name.split())))
    else:
        # Marks placed by shaping may make a reader see a gap inside a word: compare without spaces.
        assert _squash(name) in _squash(text)
    embedded = fonts_used(pdf)
    assert any(font in base and ok for base, ok in embedded.items()), embedded


def test_latin_documents_use_the_house_face_alone(sppb):
    pdf = render_pdf(sppb.content, payload=sppb.sealed.payload, invariant=True)
    assert all("Vera" in base for base in fonts_used(pdf))


def test_bold_signature_name_takes_the_fallbacks_bold_face(office_key):
    _needs_fonts("Nguyễn")
    c = sample_sppb()
    sig = c.signatories[0]
    c = c.model_copy(update={"signatories": [Signatory(**{**sig.model_dump(), "name": "Trần Văn Đức"})]})
    used = fonts_used(_pdf(c, office_key))
    assert any("NotoSans-Bold" in base for base in used), used


@pytest.mark.parametrize("name", ["አበበ ቢቂላ", "Budi 😀"])
def test_a_name_no_font_draws_is_refused_at_intake_and_by_the_renderer(office_key, name):
    _needs_fonts()  # DejaVu alone draws the emoji
    found = fonts.undrawable(name)
    assert found is not None and "U+" in found
    with pytest.raises(InputError) as exc:
        fonts.check_drawable(name, "declarant.name")
    assert exc.value.code == ErrorCode.UNDRAWABLE_TEXT and exc.value.field == "declarant.name"
    assert exc.value.params["chars"] == found
    with pytest.raises(InputError) as exc:
        _pdf(_slip(name), office_key)
    assert exc.value.code == ErrorCode.UNDRAWABLE_TEXT


def test_a_word_mixing_a_shaped_script_with_another_face_is_refused():
    _needs_fonts("محمد")
    found = fonts.undrawable("Aliمحمد")
    assert found is not None and "mixes scripts" in found
    assert fonts.undrawable("Ali محمد") is None


def test_check_all_drawable_names_the_first_bad_field():
    with pytest.raises(InputError) as exc:
        fonts.check_all_drawable([("declarant.name", "Budi"), ("goods[1].description", "🚀 rocket")])
    assert exc.value.field == "goods[1].description"


def test_a_machine_without_the_fonts_prints_latin_and_refuses_the_rest(office_key, monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "SYSTEM_FONT_DIRS", (str(tmp_path),))
    monkeypatch.setenv("WORKSTATION_FONT_DIRS", "")
    fonts.reset()
    try:
        assert fonts.faces() == []
        assert fonts.undrawable("Budi Santoso, Jalan Pabean No. 1 – Müller") is None
        assert "U+1EC5" in (fonts.undrawable("Nguyễn") or "")
        assert "Budi Santoso" in _text(_pdf(_slip("Budi Santoso"), office_key))
        with pytest.raises(InputError):
            _pdf(_slip("王小明"), office_key)
    finally:
        monkeypatch.undo()
        fonts.reset()


def test_font_dirs_from_the_environment_come_first(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKSTATION_FONT_DIRS", f"{tmp_path}:/elsewhere")
    assert fonts.font_dirs()[:2] == (str(tmp_path), "/elsewhere")


@pytest.mark.parametrize(
    ("logical", "visual"),
    [
        ("محمد بن علي", "علي بن محمد"),
        ("Ali محمد 12 علي Budi", "Ali علي 12 محمد Budi"),
        ("PT. Maju (شركة) Jaya", "PT. Maju (شركة) Jaya"),
        ("Budi Santoso", "Budi Santoso"),
    ],
)
def test_right_to_left_word_runs_are_put_in_visual_order(logical, visual):
    assert fonts.visual_order(logical) == visual


def test_markup_of_latin_1_text_is_only_escaped():
    assert fonts.markup("A & B <C>\nD") == "A &amp; B &lt;C&gt;<br/>D"


# --- the receipt printer ------------------------------------------------------------------------------------


def _receipt_with(name: str):
    c = sample_payment_receipt()
    lines = [*c.receipt.lines, ReceiptLine(label="Nama", value=name)]
    return c.model_copy(update={"receipt": c.receipt.model_copy(update={"lines": lines})})


@pytest.mark.parametrize("name", ["محمد بن علي", "王小明", "สมชาย ใจดี", "김민준", "अक्षय"])
def test_receipt_printer_refuses_what_it_cannot_print_and_sends_nothing(office_key, name):
    content = _receipt_with(name)
    printer = Dummy()
    with pytest.raises(InputError) as exc:
        print_receipt(content, printer, payload=seal(content, office_key).payload)
    assert exc.value.code == ErrorCode.RECEIPT_UNPRINTABLE and exc.value.field == "receipt_printer"
    assert "U+" in exc.value.params["chars"]
    assert printer.output == b""


def test_receipt_prints_names_its_code_pages_hold(office_key):
    content = _receipt_with("Nguyễn Иван Müller")
    printer = Dummy()
    print_receipt(content, printer, payload=seal(content, office_key).payload)
    assert printer.output  # printed, through the profile's code pages (TCVN-3, CP866, CP437)
    assert b"?" not in printer.output.split(b"Nama")[1][:60]


def test_a_profile_without_the_code_page_refuses():
    lines = receipt_lines(_receipt_with("ก"), columns=42)
    check_printable(lines[:1], Dummy(profile="TM-T88V"))  # Latin lines pass
    assert unprintable("ก", lambda ch: False) is not None
    with pytest.raises(InputError):
        check_printable(lines, Dummy(profile="TM-T88V"))


def test_decomposed_vietnamese_is_composed_for_the_code_page():
    decomposed = unicodedata.normalize("NFD", "Nguyễn")
    assert decomposed != "Nguyễn"
    lines = receipt_lines(_receipt_with(decomposed), columns=42)
    assert any("Nguyễn" in ln.text for ln in lines)
    check_printable(lines, Dummy())


ALPHABET = "aZé ễИ王محمدกเ김क्षअ😀አ-.,<&\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(ALPHABET, max_size=24))
def test_the_intake_guard_and_the_renderer_agree(text):
    """What `undrawable` lets through, the renderer draws (and the other way round): intake never accepts a
    name the documents would then refuse."""
    found = fonts.undrawable(text)
    try:
        fonts.markup(text)
    except fonts.Undrawable:
        assert found is not None
    else:
        assert found is None


def test_letterhead_lines_take_one_face_or_are_refused(office_key):
    _needs_fonts("Ē")
    c = _slip("Budi")
    latin = c.model_copy(update={"office": c.office.model_copy(update={"address": "Jalan Đồng Khởi 1"})})
    assert "Đồng" in _text(_pdf(latin, office_key))
    arabic = c.model_copy(update={"office": c.office.model_copy(update={"address": "شارع 1"})})
    with pytest.raises(InputError) as exc:
        _pdf(arabic, office_key)
    assert exc.value.code == ErrorCode.UNDRAWABLE_TEXT


def test_without_harfbuzz_shaped_scripts_are_refused(monkeypatch):
    _needs_fonts("محمد")
    monkeypatch.setattr(fonts, "_can_shape", lambda: False)
    assert "uharfbuzz" in (fonts.undrawable("محمد") or "")
    assert fonts.undrawable("王小明 Иван") is None  # no shaping needed
