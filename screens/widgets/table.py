"""Filling a DataTable whose rows come from a reload."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.cells import cell_len
from textual.widgets import DataTable

MAX_WIDTH = 60  # cells are cut to their column's length by the screens; this only bounds a long one


def cell_width(value: Any) -> int:
    """Terminal cells a DataTable cell takes (Rich Text / Textual Content / str / number)."""
    for attr in ("cell_len", "cell_length"):
        width = getattr(value, attr, None)
        if isinstance(width, int):
            return width
    return cell_len(str(value))


def fill(table: DataTable[Any], labels: Sequence[Any], rows: Iterable[tuple[Any, Sequence[Any]]]) -> None:
    """Replace `table`'s columns and rows; each column is given its width when added: its widest cell or its
    heading (at most MAX_WIDTH). rows: (row key or None, cells). The cursor stays on the same row number.

    Why not auto-width: a DataTable measures new rows at its next idle, and a paint before that, with the
    columns as wide as their headings, sometimes stayed on screen (seen under load after a modal closed: a
    unit's name shown as "Mobi" until the next key)."""
    rows = list(rows)
    widths = [cell_width(label) for label in labels]
    for _key, row in rows:
        for i, value in enumerate(row[:len(widths)]):
            widths[i] = max(widths[i], cell_width(value))
    cursor = table.cursor_row
    table.clear(columns=True)
    for label, width in zip(labels, widths, strict=True):
        table.add_column(label, width=min(width, MAX_WIDTH))
    for key, row in rows:
        table.add_row(*row, key=key)
    if table.row_count:
        table.move_cursor(row=min(cursor, table.row_count - 1))
