"""Counter receipts on an ESC/POS printer: the payment receipt and the e-CD slip. This module lays the receipt
out as lines (pure, testable); printing.output.print_receipt sends them with a native ESC/POS QR code.

Paper widths: 80 mm paper holds 42 columns in font A (48 in font B); 58 mm holds 32. Double-size lines
hold half as many.

Scripts: a receipt printer prints what its code pages hold (python-escpos picks, character by character, a code
page of the printer's profile) and nothing else; it cannot shape or reorder. `check_printable` refuses, before a
byte is sent, a receipt with characters outside every code page of the profile or in a script a thermal printer
cannot lay out (right-to-left, joined or mark-stacking scripts: Arabic, Hebrew, Thai, Devanagari…), naming them:
the officer prints the A4 document (printing/fonts.py draws those) instead. Text is NFC-normalised first, so a
Vietnamese name typed with combining marks finds its precomposed letters (TCVN-3, CP1258)."""

from __future__ import annotations

import textwrap
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from printing.content import DocumentContent
from printing.fmt import VOID_MARK, copy_mark, date_id, nip, rupiah
from workstation.errors import ErrorCode, InputError

COLUMNS_80MM = 42
COLUMNS_58MM = 32

Align = Literal["left", "center", "right"]


@dataclass(frozen=True)
class Line:
    text: str
    align: Align = "left"
    bold: bool = False
    big: bool = False  # double width and height: half the columns


def _wrap(text: str, width: int) -> list[str]:
    text = unicodedata.normalize("NFC", text)
    return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) or [""]


def _pair(label: str, value: str, columns: int, *, bold: bool = False) -> list[Line]:
    """`label ........ value` on one line when it fits, else the label then the value right-aligned."""
    label, value = unicodedata.normalize("NFC", label), unicodedata.normalize("NFC", value)
    if len(label) + 1 + len(value) <= columns:
        return [Line(label + " " * (columns - len(label) - len(value)) + value, bold=bold)]
    lines = [Line(part, bold=bold) for part in _wrap(label, columns)]
    lines += [Line(part.rjust(columns), bold=bold) for part in _wrap(value, columns)]
    return lines


def receipt_lines(
    content: DocumentContent, *, columns: int = COLUMNS_80MM, copy_number: int = 0, void: bool = False
) -> list[Line]:
    """The receipt as lines of at most `columns` characters (`columns // 2` for big lines)."""
    if content.receipt is None:
        raise InputError("this document has no receipt part", field="receipt")
    if columns < 24:
        raise InputError("a receipt needs at least 24 columns", field="columns")
    r = content.receipt
    o = content.office
    rule = Line("-" * columns)
    out: list[Line] = []
    if void:
        out.append(Line(VOID_MARK, align="center", bold=True, big=True))
    if copy_number:
        out += [Line(part, align="center", bold=True) for part in _wrap(copy_mark(copy_number), columns)]
    out += [Line(part, align="center", bold=True) for part in _wrap(o.directorate.upper(), columns)]
    out += [Line(part, align="center") for part in _wrap(o.office_name, columns)]
    out.append(rule)
    out += [Line(part, align="center", bold=True) for part in _wrap(content.title.upper(), columns)]
    if content.title_en:
        out += [Line(part, align="center") for part in _wrap(content.title_en, columns)]
    out.append(rule)
    out += _pair("No.", content.number, columns)
    out += _pair("Tanggal", date_id(content.issue_date), columns)
    for line in r.lines:
        out += _pair(line.label, line.value, columns)
    if r.amounts or r.total_idr is not None:
        out.append(rule)
        for a in r.amounts:
            out += _pair(a.label, rupiah(a.amount_idr), columns)
        if r.total_idr is not None:
            out.append(Line("=" * columns))
            out += _pair("TOTAL", rupiah(r.total_idr), columns, bold=True)
    out.append(rule)
    for s in content.signatories:
        out += _pair("Petugas", s.name, columns)
        if s.nip:
            out += _pair("NIP", nip(s.nip), columns)
    if r.note:
        out += [Line(part, align="center") for part in _wrap(r.note, columns)]
    if void:
        out.append(Line(VOID_MARK, align="center", bold=True, big=True))
    return out


QR_CAPTION = "Pindai untuk verifikasi / Scan to verify"


def qr_module_size(columns: int) -> int:
    """Dots per QR module: the ~200-character payload is a 57-module code; 80 mm paper has 576 dots, 58 mm 384."""
    return 5 if columns >= COLUMNS_80MM else 4


# --------------------------------------------------------------------------- what the printer can print


def _laid_out_wrong(ch: str) -> bool:
    """A character a thermal printer would print wrongly even from a code page that holds it: right-to-left
    letters (printed left to right, unjoined), the Indic, Thai, Lao, Tibetan, Myanmar and Khmer blocks (vowel
    signs and marks stack or reorder), and combining marks."""
    from printing.fonts import is_complex

    return unicodedata.bidirectional(ch) in ("R", "AL", "AN") or is_complex(ch)


def unprintable(text: str, encodable: Callable[[str], bool]) -> str | None:
    """The characters of `text` a receipt printer cannot print ("ễ U+1EC5, …"), or None.

    `encodable(ch)` says whether one of the printer's code pages holds `ch` (`printer_encodable`)."""
    bad: list[str] = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in "\n\r\t" or (" " <= ch <= "~"):
            continue
        if _laid_out_wrong(ch) or not encodable(ch):
            item = f"{ch} U+{ord(ch):04X}"
            if item not in bad:
                bad.append(item)
    if not bad:
        return None
    return ", ".join(bad[:5]) + (f" (and {len(bad) - 5} more)" if len(bad) > 5 else "")


def printer_encodable(printer: Any) -> Callable[[str], bool]:
    """`encodable` for a python-escpos printer: does a code page of its profile hold the character?"""
    encoder = printer.magic.encoder

    def encodable(ch: str) -> bool:
        return any(encoder.can_encode(name, ch) for name in encoder.codepages)

    return encodable


def check_printable(lines: Sequence[Line], printer: Any) -> None:
    """Refuse (InputError RECEIPT_UNPRINTABLE, field receipt_printer) a receipt the printer cannot print whole,
    before anything is sent: never a receipt with '?' for a name."""
    found = unprintable("\n".join(line.text for line in lines), printer_encodable(printer))
    if found is not None:
        raise InputError(
            f"the receipt printer cannot print {found}; print the A4 document instead",
            field="receipt_printer",
            code=ErrorCode.RECEIPT_UNPRINTABLE,
            params={"chars": found},
        )
