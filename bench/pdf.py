"""Render time of a 2-page LHP-like document through the document base (printing.render.render_pdf) against a
bare ReportLab SimpleDocTemplate build of the same content: same fonts (Vera TTF, embedded), same text, same
tables and the same one-line-or-Paragraph cell rule, same signatures; no letterhead, footer, page X of Y, QR
or metadata payload. Goal: ratio ≤ 1.3.

    python -m bench.pdf [--runs 21] [--items 18]

The QR cache is cleared before every base run, so each one encodes its QR from scratch (a real first print)."""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import tempfile
import time
from xml.sax.saxutils import escape


def _bare_build(content) -> bytes:
    import reportlab
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if "Bare" not in pdfmetrics.getRegisteredFontNames():
        folder = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
        pdfmetrics.registerFont(TTFont("Bare", os.path.join(folder, "Vera.ttf")))
        pdfmetrics.registerFont(TTFont("Bare-Bold", os.path.join(folder, "VeraBd.ttf")))
        pdfmetrics.registerFont(TTFont("Bare-Italic", os.path.join(folder, "VeraIt.ttf")))
    width = A4[0] - 40 * mm
    body = ParagraphStyle("b", fontName="Bare", fontSize=9.5, leading=12.5, alignment=TA_JUSTIFY, spaceAfter=4)
    small = ParagraphStyle("s", fontName="Bare", fontSize=8.5, leading=10.5)
    center = ParagraphStyle("c", fontName="Bare", fontSize=9.5, leading=12, alignment=TA_CENTER)
    title = ParagraphStyle("t", fontName="Bare-Bold", fontSize=12.5, leading=15.5, alignment=TA_CENTER)
    head = ParagraphStyle("h", fontName="Bare-Bold", fontSize=10.5, leading=13, spaceBefore=7, spaceAfter=3)

    def cell(text, style, size, w):
        if pdfmetrics.stringWidth(text, "Bare", size) <= w:
            return text
        return Paragraph(escape(text), style)

    story = [
        Paragraph(escape(content.title), title),
        Paragraph(escape(content.title_en or ""), center),
        Paragraph(escape(f"Nomor / Number: {content.number}"), center),
        Paragraph(escape(f"Tanggal / Date: {content.issue_date}"), center),
        Spacer(1, 5 * mm),
    ]
    for block in content.blocks:
        if block.kind == "heading":
            story.append(Paragraph(escape(f"{block.text} / {block.text_en}"), head))
        elif block.kind == "paragraph":
            story.append(Paragraph(escape(block.text), body))
        elif block.kind == "fields":
            widths = [width * 0.34, 4 * mm, width * 0.66 - 4 * mm]
            data = [
                [Paragraph(f"{escape(r.label)}<br/>{escape(r.label_en)}", body), ":", cell(r.value, body, 9.5, widths[2] - 4)]
                for r in block.rows
            ]
            t = Table(data, colWidths=widths)
            t.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "Bare", 9.5), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
            story.append(t)
        elif block.kind == "table":
            total = sum(block.widths)
            widths = [width * w / total for w in block.widths]
            data = [[cell(h, small, 8.5, w - 6) for h, w in zip(block.columns, widths, strict=True)]]
            data += [[cell(v, small, 8.5, w - 6) for v, w in zip(row, widths, strict=True)] for row in block.rows]
            t = Table(data, colWidths=widths, repeatRows=1)
            t.setStyle(
                TableStyle(
                    [
                        ("FONT", (0, 0), (-1, 0), "Bare-Bold", 8.5),
                        ("FONT", (0, 1), (-1, -1), "Bare", 8.5),
                        ("GRID", (0, 0), (-1, -1), 0.5, (0, 0, 0)),
                        ("BACKGROUND", (0, 0), (-1, 0), (0.88, 0.88, 0.88)),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ]
                )
            )
            story.append(t)
    signs = []
    for s in content.signatories:
        parts = [
            Paragraph(escape(f"{s.place}, {s.date}"), center),
            Paragraph(escape(s.role), center),
            Paragraph(escape(s.role_en or ""), center),
            Spacer(1, 17 * mm),
            Paragraph(escape(s.name), center),
        ]
        if s.nip:
            parts.append(Paragraph(escape(f"NIP {s.nip}"), center))
        signs.append(parts)
    story.append(Table([signs], colWidths=[width / len(signs)] * len(signs)))

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, invariant=1)
    doc.build(story)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pdf")
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--items", type=int, default=18, help="goods rows in the LHP (18 = two pages)")
    args = parser.parse_args(argv)

    from pypdf import PdfReader

    from printing.render import qr_modules, render_pdf
    from printing.samples import sample_lhp
    from printing.seal import seal
    from printing.signing import generate_key

    content = sample_lhp(items=args.items)
    with tempfile.TemporaryDirectory() as tmp:
        key = generate_key(os.path.join(tmp, "office.pem"))
    sealed = seal(content, key)

    def base() -> bytes:
        qr_modules.cache_clear()  # a first print: the QR is encoded in the run
        return render_pdf(content, payload=sealed.payload, invariant=True)

    def warm() -> bytes:
        return render_pdf(content, payload=sealed.payload, invariant=True)  # QR cached: a reprint

    def bare() -> bytes:
        return _bare_build(content)

    # Warm-up: imports, font registration, style construction (once per process in both cases).
    pdf_base, pdf_bare = base(), bare()
    pages_base = len(PdfReader(io.BytesIO(pdf_base)).pages)
    pages_bare = len(PdfReader(io.BytesIO(pdf_bare)).pages)

    # Wall time and process CPU time (CPU time is less disturbed by other load on a shared machine).
    wall: dict[str, list[float]] = {"base": [], "warm": [], "bare": []}
    cpu: dict[str, list[float]] = {"base": [], "warm": [], "bare": []}
    for _ in range(args.runs):
        for name, fn in (("base", base), ("warm", warm), ("bare", bare)):  # interleaved: drift hits all alike
            w0, c0 = time.perf_counter(), time.process_time()
            fn()
            cpu[name].append(time.process_time() - c0)
            wall[name].append(time.perf_counter() - w0)
    med = {k: statistics.median(v) * 1000 for k, v in wall.items()}
    med_cpu = {k: statistics.median(v) * 1000 for k, v in cpu.items()}

    print(f"machine: {platform.machine()} {platform.system()} Python {platform.python_version()}, {os.cpu_count()} CPUs")
    print(f"document: LHP, {args.items} goods rows; {args.runs} interleaved runs each; medians, wall / CPU")
    print(
        f"base render_pdf, QR encoded each run: {med['base']:6.1f} / {med_cpu['base']:6.1f} ms"
        f"   {pages_base} pages {len(pdf_base):>7} bytes"
    )
    print(f"base render_pdf, QR cached (reprint): {med['warm']:6.1f} / {med_cpu['warm']:6.1f} ms")
    print(
        f"bare SimpleDocTemplate:               {med['bare']:6.1f} / {med_cpu['bare']:6.1f} ms"
        f"   {pages_bare} pages {len(pdf_bare):>7} bytes"
    )
    ratio, ratio_cpu = med["base"] / med["bare"], med_cpu["base"] / med_cpu["bare"]
    verdict = "OK" if ratio_cpu <= 1.3 else "OVER GOAL"
    print(f"ratio base/bare: wall {ratio:.2f}, CPU {ratio_cpu:.2f} (goal <= 1.30, judged on CPU) {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
