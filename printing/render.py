"""The A4 document base (ReportLab platypus): letterhead, title block, body blocks, signature block, and on
every page a footer with "Halaman X dari Y / Page X of Y", the document number and the verification QR.
Reprints carry "SALINAN / COPY ke-N"; voided documents a diagonal "BATAL / VOID" watermark.

Speed matters (bench/pdf.py compares with a bare ReportLab build): fonts are registered once per process,
styles are built once, the QR is encoded once per payload and drawn once per document as a form XObject that
every page references, and page decorations are drawn in one pass at save time (that pass is also what knows
the page count, so no second layout pass is needed)."""

from __future__ import annotations

import functools
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from printing import fonts
from printing.content import (
    DocumentContent,
    Fields,
    Heading,
    OfficeInfo,
    Paragraph,
    Receipt,
    Signatory,
    Table,
)
from printing.fmt import VOID_MARK, copy_mark, date_id, nip, rupiah
from printing.payload import PDF_INFO_KEY
from printing.qr import qr_matrix
from printing.seal import check_payload
from workstation.errors import ErrorCode, InputError

if TYPE_CHECKING:
    from pyhanko.sign.signers import SimpleSigner

FONT = "WSD-Sans"
FONT_BOLD = "WSD-Sans-Bold"
FONT_ITALIC = "WSD-Sans-Italic"
FONT_BOLD_ITALIC = "WSD-Sans-BoldItalic"
# English beside Indonesian is set in the regular face, dark grey, not italic: one font fewer to subset
# and embed in every document (measurable in bench/pdf.py).
EN_COLOR = "#404040"

MM = 72 / 25.4
PAGE_W, PAGE_H = 210 * MM, 297 * MM
MARGIN_L = MARGIN_R = 20 * MM
MARGIN_T = 16 * MM
MARGIN_B = 38 * MM  # footer band: rule, QR, number, page X of Y
FRAME_W = PAGE_W - MARGIN_L - MARGIN_R
QR_SIZE = 24 * MM
MIN_COL = 6 * MM  # narrowest table column
QR_FORM = "WSDQR"


# --------------------------------------------------------------------------- fonts and styles (once per process)


@functools.cache
def register_fonts() -> None:
    """Bitstream Vera ships inside reportlab (no system font dependency) and covers Latin-1, hence Indonesian.
    Other scripts fall back to the faces of printing.fonts, registered when first needed."""
    import reportlab
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
    for name, filename in (
        (FONT, "Vera.ttf"),
        (FONT_BOLD, "VeraBd.ttf"),
        (FONT_ITALIC, "VeraIt.ttf"),
        (FONT_BOLD_ITALIC, "VeraBI.ttf"),
    ):
        pdfmetrics.registerFont(TTFont(name, os.path.join(folder, filename)))
    # <b>/<i> inside paragraphs pick the right face.
    addMapping(FONT, 0, 0, FONT)
    addMapping(FONT, 1, 0, FONT_BOLD)
    addMapping(FONT, 0, 1, FONT_ITALIC)
    addMapping(FONT, 1, 1, FONT_BOLD_ITALIC)


@dataclass(frozen=True)
class _Styles:
    body: object
    body_left: object
    cell: object
    cell_center: object
    cell_right: object
    cell_head: object
    heading: object
    title: object
    title_en: object
    title_meta: object
    field_label: object
    field_label_en: object
    field_value: object
    sign: object
    sign_name: object


@functools.cache
def styles() -> _Styles:
    register_fonts()
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    body = ParagraphStyle("wsd-body", fontName=FONT, fontSize=9.5, leading=12.5, alignment=TA_JUSTIFY, spaceAfter=4)
    cell = ParagraphStyle("wsd-cell", fontName=FONT, fontSize=8.5, leading=10.5, alignment=TA_LEFT)
    return _Styles(
        body=body,
        body_left=ParagraphStyle("wsd-body-left", parent=body, alignment=TA_LEFT),
        cell=cell,
        cell_center=ParagraphStyle("wsd-cell-c", parent=cell, alignment=TA_CENTER),
        cell_right=ParagraphStyle("wsd-cell-r", parent=cell, alignment=TA_RIGHT),
        cell_head=ParagraphStyle("wsd-cell-h", parent=cell, fontName=FONT_BOLD),
        heading=ParagraphStyle(
            "wsd-heading", fontName=FONT_BOLD, fontSize=10.5, leading=13, spaceBefore=7, spaceAfter=3
        ),
        title=ParagraphStyle("wsd-title", fontName=FONT_BOLD, fontSize=12.5, leading=15.5, alignment=TA_CENTER),
        title_en=ParagraphStyle(
            "wsd-title-en", fontName=FONT, fontSize=9, leading=11.5, alignment=TA_CENTER, textColor=EN_COLOR
        ),
        title_meta=ParagraphStyle("wsd-title-meta", fontName=FONT, fontSize=9.5, leading=12, alignment=TA_CENTER),
        field_label=ParagraphStyle("wsd-flabel", fontName=FONT, fontSize=9.5, leading=11.5),
        field_label_en=ParagraphStyle("wsd-flabel-en", fontName=FONT, fontSize=7.5, leading=9, textColor=EN_COLOR),
        field_value=ParagraphStyle("wsd-fvalue", fontName=FONT, fontSize=9.5, leading=11.5),
        sign=ParagraphStyle("wsd-sign", fontName=FONT, fontSize=9.5, leading=12, alignment=TA_CENTER),
        sign_name=ParagraphStyle("wsd-sign-name", fontName=FONT_BOLD, fontSize=9.5, leading=12, alignment=TA_CENTER),
    )


def _text_width(text: str, font: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(text, font, size)


def _markup(text: str) -> str:
    """User text into ReportLab paragraph markup: escaped (a '<' or '&' in a name is text, not a tag), each run
    of characters Vera lacks in the fallback face that draws it, right-to-left words in visual order
    (printing.fonts). Text no face draws is refused (InputError UNDRAWABLE_TEXT), never drawn as boxes."""
    try:
        return fonts.markup(text)
    except fonts.Undrawable as exc:
        raise InputError(
            f"cannot be printed on official documents: no font for {exc.chars}",
            field="content",
            code=ErrorCode.UNDRAWABLE_TEXT,
            params={"chars": exc.chars},
        ) from None


_SHAPED: dict[str, object] = {}


def P(text: str, style):
    """A Paragraph of markup; shaped by HarfBuzz (ReportLab's shaping) only when it holds a script that needs it
    (Arabic, Indic, Thai…), so Latin documents keep their exact layout."""
    from reportlab.lib.fonts import ps2tt
    from reportlab.platypus import Paragraph

    text = fonts.embolden(text, bool(ps2tt(style.fontName)[1]))
    if fonts.needs_shaping(text):
        shaped = _SHAPED.get(style.name)
        if shaped is None:
            from reportlab.lib.styles import ParagraphStyle

            shaped = _SHAPED[style.name] = ParagraphStyle(style.name + "-shaped", parent=style, shaping=1)
        style = shaped
    return Paragraph(text, style)


# --------------------------------------------------------------------------- QR


_DARK_RUN = re.compile(b"\x01+")


@functools.lru_cache(maxsize=32)
def qr_modules(payload: str) -> tuple[int, tuple[tuple[int, int, int], ...]]:
    """QR of the payload (printing.qr: byte mode, level M, fixed mask) as (module count, dark runs
    (row, col, length)); rows counted from the top. Cached: a preview then a print encode once."""
    matrix = qr_matrix(payload)
    runs = tuple(
        (r, m.start(), m.end() - m.start()) for r, row in enumerate(matrix) for m in _DARK_RUN.finditer(row)
    )
    return len(matrix), runs


def _qr_ops(payload: str, size: float) -> str:
    """PDF path operators drawing the QR in a `size`-point square (one fill of run rectangles)."""
    n, runs = qr_modules(payload)
    scale = size / n
    body = " ".join(f"{c} {n - 1 - r} {length} 1 re" for r, c, length in runs)
    return f"q {scale:.6f} 0 0 {scale:.6f} 0 0 cm 0 g {body} f Q"


def draw_qr(canv, payload: str, x: float, y: float, size: float) -> None:
    """Draw the payload's QR directly on a canvas (used by other layouts, e.g. the receipt PDF preview)."""
    canv.saveState()
    canv.translate(x, y)
    canv.addLiteral(_qr_ops(payload, size))
    canv.restoreState()


# --------------------------------------------------------------------------- page decorations


@dataclass(frozen=True)
class PageDecor:
    """What every page of one document carries besides its flowables."""

    number: str | None  # document number in the footer; None for reports
    footer_lines: tuple[str, ...]  # left footer text, under the number
    payload: str | None = None  # QR + PDF metadata
    copy_number: int = 0
    void: bool = False


def _draw_page(canv, decor: PageDecor, page: int, total: int) -> None:
    canv.saveState()
    # Footer rule.
    rule_y = MARGIN_B - 5 * MM
    canv.setStrokeColorRGB(0, 0, 0)
    canv.setLineWidth(0.5)
    canv.line(MARGIN_L, rule_y, PAGE_W - MARGIN_R, rule_y)
    text_x = MARGIN_L
    top_y = rule_y - 4.2 * MM
    if decor.payload:
        canv.saveState()
        canv.translate(MARGIN_L, rule_y - 2 * MM - QR_SIZE)
        canv.doForm(QR_FORM)
        canv.restoreState()
        text_x = MARGIN_L + QR_SIZE + 4 * MM
    canv.setFillColorRGB(0, 0, 0)
    y = top_y
    if decor.number:
        canv.setFont(FONT_BOLD, 8.5)
        canv.drawString(text_x, y, f"Nomor / Number: {decor.number}")
        y -= 4 * MM
    for i, line in enumerate(decor.footer_lines):
        canv.setFont(FONT, 7.5)
        if i % 2:
            canv.setFillColor(EN_COLOR)
        canv.drawString(text_x, y, line)
        canv.setFillColorRGB(0, 0, 0)
        y -= 3.6 * MM
    canv.setFont(FONT, 8.5)
    canv.drawRightString(PAGE_W - MARGIN_R, top_y, f"Halaman {page} dari {total} / Page {page} of {total}")

    if decor.copy_number:
        mark = copy_mark(decor.copy_number)
        canv.setFont(FONT_BOLD, 10)
        w = _text_width(mark, FONT_BOLD, 10) + 6 * MM
        x0, y0 = PAGE_W - MARGIN_R - w, PAGE_H - 12 * MM
        canv.setLineWidth(1.2)
        canv.rect(x0, y0 - 2.2 * MM, w, 7 * MM, stroke=1, fill=0)
        canv.drawCentredString(x0 + w / 2, y0, mark)

    if decor.void:
        canv.saveState()
        canv.setFillColorRGB(0.75, 0.1, 0.1)
        canv.setFillAlpha(0.28)
        canv.translate(PAGE_W / 2, PAGE_H / 2)
        canv.rotate(45)
        canv.setFont(FONT_BOLD, 78)
        canv.drawCentredString(0, -26, VOID_MARK)
        canv.restoreState()
    canv.restoreState()


def _canvas_class():
    """A Canvas that holds pages back until save(), when the page count is known (one layout pass only)."""
    from reportlab.pdfbase import pdfdoc
    from reportlab.pdfgen.canvas import Canvas

    class _Info(pdfdoc.PDFInfo):
        payload: str | None = None

        def format(self, document):
            d = {
                "Title": pdfdoc.PDFString(self.title),
                "Author": pdfdoc.PDFString(self.author),
                "Subject": pdfdoc.PDFString(self.subject),
                "Keywords": pdfdoc.PDFString(self.keywords),
                "Creator": pdfdoc.PDFString(self.creator),
                "Producer": pdfdoc.PDFString(self.producer),
                "Trapped": pdfdoc.PDFName(self.trapped),
            }
            d["CreationDate"] = d["ModDate"] = pdfdoc.PDFDate(ts=document._timeStamp, dateFormatter=self._dateFormatter)
            if self.payload:
                d[PDF_INFO_KEY.lstrip("/")] = pdfdoc.PDFString(self.payload)
            return pdfdoc.PDFDictionary(d).format(document)

    class _DecoratedCanvas(Canvas):
        def __init__(self, *args, decor: PageDecor, **kwargs):
            super().__init__(*args, **kwargs)
            self._wsd_decor = decor
            self._wsd_pages: list[dict] = []
            info = _Info()
            info.payload = decor.payload
            self._doc.info = info  # the only way to add a custom key to the info dictionary

        def showPage(self):
            self._wsd_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            decor = self._wsd_decor
            if decor.payload:
                # The QR is drawn once and referenced by every page.
                self.beginForm(QR_FORM, 0, 0, QR_SIZE, QR_SIZE)
                self.addLiteral(_qr_ops(decor.payload, QR_SIZE))
                self.endForm()
            pages = self._wsd_pages
            total = len(pages)
            for i, state in enumerate(pages, 1):
                self.__dict__.update(state)
                _draw_page(self, decor, i, total)
                Canvas.showPage(self)
            Canvas.save(self)

    return _DecoratedCanvas


_CANVAS = None


def build_pdf(
    story: list,
    decor: PageDecor,
    *,
    title: str,
    author: str,
    subject: str,
    keywords: str,
    invariant: bool = False,
) -> bytes:
    """Lay out a story on the house page template and return the PDF bytes."""
    global _CANVAS
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate
    from reportlab.platypus.doctemplate import LayoutError

    register_fonts()
    if _CANVAS is None:
        _CANVAS = _canvas_class()
    buf = io.BytesIO()
    doc = BaseDocTemplate(
        buf,
        pagesize=(PAGE_W, PAGE_H),
        leftMargin=MARGIN_L,
        rightMargin=MARGIN_R,
        topMargin=MARGIN_T,
        bottomMargin=MARGIN_B,
        title=title,
        author=author,
        subject=subject,
        keywords=keywords,
        creator="DJBC workstation",
        invariant=1 if invariant else 0,
        initialFontName=FONT,
    )
    frame = Frame(MARGIN_L, MARGIN_B, FRAME_W, PAGE_H - MARGIN_T - MARGIN_B, id="body", leftPadding=0, rightPadding=0)
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    try:
        doc.build(story, canvasmaker=functools.partial(_CANVAS, decor=decor))
    except LayoutError:
        # A single table row taller than a page (very long text in a narrow column) cannot be split.
        raise InputError("content does not fit the page: shorten the longest table cell", field="content") from None
    return buf.getvalue()


# --------------------------------------------------------------------------- flowables


def _letterhead_class():
    from reportlab.lib.utils import simpleSplit
    from reportlab.platypus import Flowable

    class Letterhead(Flowable):
        """Kop surat: ministry, directorate, office, address, contact, double rule. First page only."""

        def __init__(self, office: OfficeInfo):
            super().__init__()
            self.office = office
            self._lines: list[tuple[str, str, float]] = []

        def wrap(self, avail_w, avail_h):
            o = self.office
            lines: list[tuple[str, str, float]] = []

            def fit(text: str, font: str, size: float, minimum: float) -> None:
                if not fonts.primary_draws(text):
                    # Drawn on the canvas, line by line: one face for the whole line, or refused (never boxes).
                    face = fonts.line_face(text, bold=font == FONT_BOLD)
                    if face is None:
                        chars = fonts.undrawable(text) or f"{text!r} (a script that must be shaped)"
                        raise InputError(
                            f"cannot be printed on official documents: no font for {chars}",
                            field="content",
                            code=ErrorCode.UNDRAWABLE_TEXT,
                            params={"chars": chars},
                        )
                    font = face
                # Long office names shrink first, then wrap.
                while size > minimum and _text_width(text, font, size) > avail_w:
                    size -= 0.5
                for part in simpleSplit(text, font, size, avail_w):
                    lines.append((part, font, size))

            fit(o.ministry.upper(), FONT_BOLD, 11.5, 8.5)
            fit(o.directorate.upper(), FONT_BOLD, 10.5, 8)
            fit(o.office_name.upper(), FONT_BOLD, 10.5, 8)
            fit(o.address, FONT, 8.5, 7)
            contact = "   ".join(
                t
                for t in (
                    f"Telepon {o.phone}" if o.phone else "",
                    f"Email {o.email}" if o.email else "",
                    f"Laman {o.website}" if o.website else "",
                )
                if t
            )
            if contact:
                fit(contact, FONT, 8.5, 7)
            self._lines = lines
            self.width = avail_w
            self.height = sum(size * 1.25 for _, _, size in lines) + 4 * MM
            return self.width, self.height

        def draw(self):
            c = self.canv
            y = self.height
            for text, font, size in self._lines:
                y -= size * 1.25
                c.setFont(font, size)
                c.drawCentredString(self.width / 2, y + size * 0.25, text)
            y -= 1.5 * MM
            c.setLineWidth(1.6)
            c.line(0, y, self.width, y)
            c.setLineWidth(0.5)
            c.line(0, y - 1.1 * MM, self.width, y - 1.1 * MM)

    return Letterhead


_LETTERHEAD = None


def letterhead(office: OfficeInfo):
    global _LETTERHEAD
    if _LETTERHEAD is None:
        _LETTERHEAD = _letterhead_class()
    return _LETTERHEAD(office)


def _cell(text: str, style, font: str, size: float, width: float):
    """A table cell: a plain string when it fits on one line (cheap), else a wrapping Paragraph."""

    if "\n" not in text and fonts.primary_draws(text) and _text_width(text, font, size) <= width:
        return text
    return P(_markup(text), style)


def _column_widths(table: Table, frame_w: float = FRAME_W) -> list[float]:
    if table.widths:
        weights = [float(w) for w in table.widths]
    else:
        weights = []
        for i, head in enumerate(table.columns):
            longest = max([len(head)] + [len(row[i]) for row in table.rows[:50]])
            weights.append(float(min(max(longest, 4), 40)))
    total = sum(weights)
    widths = [frame_w * w / total for w in weights]
    # No column narrower than MIN_COL (its padding alone is 6 pt): take the room from the wider ones.
    narrow = [False] * len(widths)
    while True:  # shrinking the wide ones may make another one narrow: at most one round per column
        new = [n or w < MIN_COL for w, n in zip(widths, narrow, strict=True)]
        if new == narrow or all(new):
            break
        narrow = new
        room = frame_w - MIN_COL * sum(narrow)
        wide_total = sum(weights[i] for i, n in enumerate(narrow) if not n)
        widths = [MIN_COL if n else room * weights[i] / wide_total for i, n in enumerate(narrow)]
    return widths


def table_flowable(table: Table, *, width: float = FRAME_W, bold_last: bool = False):
    """A grid table with a grey header row repeated on every page; cells wrap only when they must."""
    from reportlab.platypus import Table as RLTable
    from reportlab.platypus import TableStyle

    st = styles()
    widths = _column_widths(table, width)
    pad = 6  # left + right cell padding
    aligns = table.align or ["left"] * len(table.columns)
    cell_styles = {"left": st.cell, "center": st.cell_center, "right": st.cell_right}
    data = [[_cell(h, st.cell_head, FONT_BOLD, 8.5, w - pad) for h, w in zip(table.columns, widths, strict=True)]]
    for row in table.rows:
        data.append(
            [
                _cell(v, cell_styles[a], FONT, 8.5, w - pad)
                for v, w, a in zip(row, widths, aligns, strict=True)
            ]
        )
    commands = [
        ("FONT", (0, 0), (-1, 0), FONT_BOLD, 8.5, 10.5),
        ("FONT", (0, 1), (-1, -1), FONT, 8.5, 10.5),
        ("GRID", (0, 0), (-1, -1), 0.5, (0, 0, 0)),
        ("BACKGROUND", (0, 0), (-1, 0), (0.88, 0.88, 0.88)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    for i, a in enumerate(aligns):
        if a != "left":
            commands.append(("ALIGN", (i, 1), (i, -1), a.upper()))
    if bold_last and table.rows:
        commands.append(("FONT", (0, -1), (-1, -1), FONT_BOLD, 8.5, 10.5))
    t = RLTable(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    t.setStyle(TableStyle(commands))
    return t


def fields_flowable(rows: Sequence[tuple[str, str | None, str]]):
    """Label : value rows (label, English label or None, value)."""
    from reportlab.platypus import Table as RLTable
    from reportlab.platypus import TableStyle

    st = styles()
    widths = [FRAME_W * 0.34, 4 * MM, FRAME_W * 0.66 - 4 * MM]
    data = []
    for label, label_en, value in rows:
        if label_en:
            # Two single-style paragraphs lay out faster than one paragraph mixing styles.
            label_cell = [P(_markup(label), st.field_label), P(_markup(label_en), st.field_label_en)]
        else:
            label_cell = _cell(label, st.field_label, FONT, 9.5, widths[0] - 4)
        data.append([label_cell, ":", _cell(value, st.field_value, FONT, 9.5, widths[2] - 4)])
    t = RLTable(data, colWidths=widths, hAlign="LEFT")
    t.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 9.5, 11.5),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return t


def _receipt_flowables(receipt: Receipt) -> list:
    from reportlab.platypus import Table as RLTable
    from reportlab.platypus import TableStyle

    st = styles()
    title = {"payment": "Bukti Pembayaran / Payment receipt", "ecd_slip": "Slip e-CD / e-CD slip"}[receipt.kind]
    out: list = [P(_markup(title), st.heading)]
    if receipt.lines:
        out.append(fields_flowable([(line.label, None, line.value) for line in receipt.lines]))
    if receipt.amounts or receipt.total_idr is not None:
        data = [[a.label, rupiah(a.amount_idr)] for a in receipt.amounts]
        if receipt.total_idr is not None:
            data.append(["Jumlah / Total", rupiah(receipt.total_idr)])
        t = RLTable(data, colWidths=[FRAME_W * 0.6, FRAME_W * 0.4], hAlign="LEFT")
        cmds = [
            ("FONT", (0, 0), (-1, -1), FONT, 9.5, 11.5),
            ("ALIGN", (1, 0), (1, -1), "RIGHT"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("LINEBELOW", (0, -1), (-1, -1), 0.5, (0, 0, 0)),
        ]
        if receipt.total_idr is not None:
            cmds += [("FONT", (0, -1), (-1, -1), FONT_BOLD, 9.5, 11.5), ("LINEABOVE", (0, -1), (-1, -1), 0.8, (0, 0, 0))]
        t.setStyle(TableStyle(cmds))
        out.append(t)
    if receipt.note:
        out.append(P(_markup(receipt.note), st.body_left))
    return out


def signature_flowable(signatories: Sequence[Signatory]) -> list:
    """Signature block: place and date, role, room to sign, name and NIP; side by side, never split."""
    from reportlab.platypus import CondPageBreak, Spacer, TableStyle
    from reportlab.platypus import Table as RLTable

    st = styles()

    def cell(s: Signatory) -> list:
        parts = [P(_markup(f"{s.place}, {date_id(s.date)}"), st.sign), P(f"<b>{_markup(s.role)}</b>", st.sign)]
        if s.role_en:
            parts.append(P(f"<font color='{EN_COLOR}'>{_markup(s.role_en)}</font>", st.sign))
        parts.append(Spacer(1, 17 * MM))
        parts.append(P(f"<u>{_markup(s.name)}</u>", st.sign_name))
        if s.nip:
            parts.append(P(_markup(f"NIP {nip(s.nip)}"), st.sign))
        return parts

    per_row = 2 if len(signatories) <= 4 else 3
    if len(signatories) == 1:
        # Indonesian letters sign on the right.
        data = [["", cell(signatories[0])]]
        widths = [FRAME_W * 0.5, FRAME_W * 0.5]
    else:
        cells = [cell(s) for s in signatories]
        while len(cells) % per_row:
            cells.append("")
        data = [cells[i : i + per_row] for i in range(0, len(cells), per_row)]
        widths = [FRAME_W / per_row] * per_row
    t = RLTable(data, colWidths=widths, hAlign="LEFT")
    t.setStyle(
        TableStyle(
            [("FONT", (0, 0), (-1, -1), FONT, 9.5), ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 6)]
        )
    )
    # The block is never split. CondPageBreak with a generous height instead of KeepTogether, which would lay
    # the table out twice (once to measure it).
    rows = len(data)
    return [CondPageBreak(rows * 48 * MM + 8 * MM), Spacer(1, 6 * MM), t]


def title_flowables(title: str, title_en: str | None, meta_lines: Sequence[str]) -> list:
    from reportlab.platypus import Spacer

    st = styles()
    out: list = [Spacer(1, 4 * MM), P(f"<u>{_markup(title)}</u>", st.title)]
    if title_en:
        out.append(P(_markup(title_en), st.title_en))
    out.append(Spacer(1, 1.5 * MM))
    out.extend(P(_markup(line), st.title_meta) for line in meta_lines)
    out.append(Spacer(1, 5 * MM))
    return out


def content_story(content: DocumentContent) -> list:
    """The flowables of a document's content (letterhead through signatures)."""
    from reportlab.platypus import CondPageBreak

    st = styles()
    story: list = [letterhead(content.office)]
    story += title_flowables(
        content.title,
        content.title_en,
        (f"Nomor / Number: {content.number}", f"Tanggal / Date: {date_id(content.issue_date)}"),
    )
    for block in content.blocks:
        if isinstance(block, Heading):
            text = f"<b>{_markup(block.text)}</b>"
            if block.text_en:
                text += f" <font name='{FONT}' size='9' color='{EN_COLOR}'>/ {_markup(block.text_en)}</font>"
            # A heading never ends a page. (keepWithNext would push a whole table to the next page.)
            story.append(CondPageBreak(28 * MM))
            story.append(P(text, st.heading))
        elif isinstance(block, Paragraph):
            story.append(P(_markup(block.text), st.body))
        elif isinstance(block, Fields):
            story.append(fields_flowable([(r.label, r.label_en, r.value) for r in block.rows]))
        elif isinstance(block, Table):
            story.append(table_flowable(block))
    if content.receipt is not None:
        story += _receipt_flowables(content.receipt)
    if content.signatories:
        story += signature_flowable(content.signatories)
    return story


FOOTER_VERIFY = (
    "Keaslian dokumen ini dapat diperiksa dengan memindai kode QR.",
    "The authenticity of this document can be checked by scanning the QR code.",
)


def render_pdf(
    content: DocumentContent,
    *,
    payload: str,
    copy_number: int = 0,
    void: bool = False,
    invariant: bool = False,
    signer: SimpleSigner | None = None,
) -> bytes:
    """Render an issued document. `payload` is its verification payload (QR + PDF metadata) and must belong
    to this content. `copy_number` 0 is the original; N ≥ 1 prints "SALINAN / COPY ke-N". `invariant` gives
    byte-identical output for identical input (tests). With `signer` (printing.pades.make_signer: the office's
    PAdES identity) the PDF is signed PAdES B-B over the whole file: every PDF that leaves the system is; the
    signature adds the signing time, so only the content before it is byte-stable."""
    if isinstance(copy_number, bool) or not isinstance(copy_number, int) or copy_number < 0:
        raise InputError("copy number must be an int ≥ 0", field="copy_number")
    check_payload(content, payload)
    if not fonts.primary_draws(content.number):  # the footer draws it on the canvas, in the house face
        raise InputError(
            "a document number is printed in Latin-1 characters only",
            field="content",
            code=ErrorCode.UNDRAWABLE_TEXT,
            params={"chars": content.number},
        )
    decor = PageDecor(
        number=content.number,
        footer_lines=(f"{content.doc_type} · {date_id(content.issue_date)}", *FOOTER_VERIFY),
        payload=payload,
        copy_number=copy_number,
        void=void,
    )
    pdf = build_pdf(
        content_story(content),
        decor,
        title=f"{content.title} {content.number}",
        author=content.office.office_name,
        subject=content.title_en or content.title,
        keywords=f"{content.doc_type} {content.number}",
        invariant=invariant,
    )
    if signer is None:
        return pdf
    from printing.pades import sign_pdf

    return sign_pdf(pdf, signer, reason=f"{content.doc_type} {content.number}", location=content.issue_place)


__all__ = [
    "PageDecor",
    "build_pdf",
    "content_story",
    "draw_qr",
    "fields_flowable",
    "letterhead",
    "qr_modules",
    "register_fonts",
    "render_pdf",
    "signature_flowable",
    "styles",
    "table_flowable",
    "title_flowables",
]
