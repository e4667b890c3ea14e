"""Plain-text rendering of a document for the TUI preview: the same content as the PDF, in at most `width`
columns (76 by default, so it fits an 80×24 terminal with a border), no markup, no colour."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from printing.content import DocumentContent, Fields, Heading, Paragraph, Receipt, Signatory, Table
from printing.fmt import VOID_MARK, copy_mark, date_id, nip, rupiah

MIN_WIDTH = 32


def _wrap(text: str, width: int, indent: str = "") -> list[str]:
    out: list[str] = []
    for para in text.split("\n"):
        lines = textwrap.wrap(
            para,
            width,
            initial_indent=indent,
            subsequent_indent=indent,
            break_long_words=True,
            break_on_hyphens=False,
        )
        out.extend(lines or [""])
    return out


def _center(text: str, width: int) -> list[str]:
    return [line.strip().center(width).rstrip() for line in _wrap(text, width)]


def _fields(rows: Sequence[tuple[str, str]], width: int) -> list[str]:
    label_w = min(max(len(label) for label, _ in rows), max(10, width // 3))
    value_w = width - label_w - 3
    out: list[str] = []
    for label, value in rows:
        labels = _wrap(label, label_w)
        values = _wrap(value, value_w) if value else [""]
        for i in range(max(len(labels), len(values))):
            left = labels[i] if i < len(labels) else ""
            sep = " : " if i == 0 else "   "
            right = values[i] if i < len(values) else ""
            out.append(f"{left:<{label_w}}{sep}{right}".rstrip())
    return out


def _column_widths(table: Table, width: int) -> list[int]:
    n = len(table.columns)
    room = width - (3 * n + 1)  # "| " + " | " ... + " |"
    natural: list[int] = []
    words: list[int] = []
    for i, head in enumerate(table.columns):
        texts = [head] + [row[i] for row in table.rows]
        natural.append(max(1, max(max((len(x) for x in t.split("\n")), default=0) for t in texts)))
        words.append(max((len(w) for t in texts for w in t.split()), default=1))
    if sum(natural) <= room:
        return natural
    # Each column keeps its longest word whole when it can; lower that cap until the table fits.
    for cap in range(12, 0, -1):
        minimum = [max(1, min(natural[i], words[i], cap)) for i in range(n)]
        if sum(minimum) <= room:
            break
    else:
        return [max(1, room // n)] * n
    # Start from each column's longest word (up to 12) and share the rest by weight, never past natural width.
    weights = list(table.widths) if table.widths else natural
    widths = minimum[:]
    extra = room - sum(widths)
    while extra > 0:
        open_cols = [i for i in range(n) if widths[i] < natural[i]]
        if not open_cols:
            break
        total = sum(weights[i] for i in open_cols)
        given = 0
        for i in open_cols:
            share = min(natural[i] - widths[i], extra * weights[i] // total)
            widths[i] += share
            given += share
        if given == 0:  # rounding left less than one character per column: hand them out one by one
            for i in sorted(open_cols, key=lambda i: -weights[i])[:extra]:
                widths[i] += 1
                given += 1
        extra -= given
    return widths


def _table(table: Table, width: int) -> list[str]:
    widths = _column_widths(table, width)
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    aligns = table.align or ["left"] * len(widths)

    def row_lines(cells: Sequence[str], align: Sequence[str]) -> list[str]:
        wrapped = [_wrap(c, w) if c else [""] for c, w in zip(cells, widths, strict=True)]
        height = max(len(w) for w in wrapped)
        lines = []
        for k in range(height):
            parts = []
            for cell, w, a in zip(wrapped, widths, align, strict=True):
                text = cell[k] if k < len(cell) else ""
                if a == "right":
                    parts.append(text.rjust(w))
                elif a == "center":
                    parts.append(text.center(w))
                else:
                    parts.append(text.ljust(w))
            lines.append("| " + " | ".join(parts) + " |")
        return lines

    out = [rule, *row_lines(table.columns, ["left"] * len(widths)), rule.replace("-", "=")]
    for row in table.rows:
        out += row_lines(row, aligns)
    out.append(rule)
    if len(rule) > width:  # only when there are more columns than the width can hold
        out = [line[:width] for line in out]
    return out


def _signatory_lines(s: Signatory, width: int) -> list[str]:
    lines = _center(f"{s.place}, {date_id(s.date)}", width)
    lines += _center(s.role, width)
    if s.role_en:
        lines += _center(s.role_en, width)
    lines += ["", "", *_center(s.name, width)]
    if s.nip:
        lines += _center(f"NIP {nip(s.nip)}", width)
    return lines


def _signatures(signatories: Sequence[Signatory], width: int) -> list[str]:
    out: list[str] = []
    col = (width - 2) // 2
    for i in range(0, len(signatories), 2):
        pair = signatories[i : i + 2]
        if len(pair) == 1:
            block = _signatory_lines(pair[0], col)
            out += [" " * (width - col) + line if line else "" for line in block]
        else:
            left, right = (_signatory_lines(s, col) for s in pair)
            for k in range(max(len(left), len(right))):
                a = left[k] if k < len(left) else ""
                b = right[k] if k < len(right) else ""
                out.append(f"{a:<{col}}  {b}".rstrip())
        out.append("")
    return out


def receipt_text(receipt: Receipt, width: int) -> list[str]:
    title = {"payment": "Bukti Pembayaran / Payment receipt", "ecd_slip": "Slip e-CD / e-CD slip"}[receipt.kind]
    heading = _wrap(title.upper(), width)
    out = [*heading, "-" * max(len(x) for x in heading)]
    if receipt.lines:
        out += _fields([(line.label, line.value) for line in receipt.lines], width)
    money = [(a.label, rupiah(a.amount_idr)) for a in receipt.amounts]
    if receipt.total_idr is not None:
        money.append(("Jumlah / Total", rupiah(receipt.total_idr)))
    for i, (label, amount) in enumerate(money):
        if receipt.total_idr is not None and i == len(money) - 1:
            out.append("-" * width)
        room = width - len(amount) - 1
        labels = _wrap(label, room)
        out += [labels[0].ljust(room) + " " + amount, *labels[1:]]
    if receipt.note:
        out += ["", *_wrap(receipt.note, width)]
    return out


def render_text(content: DocumentContent, width: int = 76, *, copy_number: int = 0, void: bool = False) -> str:
    """Preview text; every line is at most `width` characters."""
    if width < MIN_WIDTH:
        raise ValueError(f"width must be at least {MIN_WIDTH}")
    o = content.office
    out: list[str] = []
    if void:
        out += _center(f"*** {VOID_MARK} ***", width)
    if copy_number:
        out.append(f"[{copy_mark(copy_number)}]".rjust(width))
    out += _center(o.ministry.upper(), width)
    out += _center(o.directorate.upper(), width)
    out += _center(o.office_name.upper(), width)
    out += _center(o.address, width)
    contact = "  ".join(x for x in (o.phone and f"Telepon {o.phone}", o.email, o.website) if x)
    if contact:
        out += _center(contact, width)
    out += ["=" * width, ""]
    out += _center(content.title.upper(), width)
    if content.title_en:
        out += _center(content.title_en, width)
    out += _center(f"Nomor / Number: {content.number}", width)
    out += _center(f"Tanggal / Date: {date_id(content.issue_date)}", width)
    out.append("")
    for block in content.blocks:
        if isinstance(block, Heading):
            head = block.text + (f" / {block.text_en}" if block.text_en else "")
            wrapped = _wrap(head, width)
            out += [*wrapped, "-" * min(max(len(x) for x in wrapped), width)]
        elif isinstance(block, Paragraph):
            out += _wrap(block.text, width)
        elif isinstance(block, Fields):
            rows = [(r.label + (f" ({r.label_en})" if r.label_en else ""), r.value) for r in block.rows]
            out += _fields(rows, width)
        elif isinstance(block, Table):
            out += _table(block, width)
        out.append("")
    if content.receipt is not None:
        out += [*receipt_text(content.receipt, width), ""]
    if content.signatories:
        out += _signatures(content.signatories, width)
    out += ["-" * width, *_wrap(f"{content.doc_type} {content.number} · verifikasi / verify: kode QR pada dokumen cetak", width)]
    if void:
        out += _center(f"*** {VOID_MARK} ***", width)
    return "\n".join(line.rstrip() for line in out) + "\n"
