"""The screens' DataTable, and filling one whose rows come from a reload.

Textual's DataTable measures new rows at its next idle; a paint before that, with the columns as wide as they
were (as their headings, on a first load), sometimes stayed on screen (seen under load after a modal closed: a
unit's name shown as "Mobi" until the next key). The screens' DataTable widens its columns as each row is added,
so every paint has the widths the idle measuring would give."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.cells import cell_len
from rich.errors import MarkupError
from rich.text import Text
from textual.widgets import DataTable as _DataTable

MAX_WIDTH = 60  # cells are cut to their column's length by the screens; this only bounds a long one


def cell_width(value: Any) -> int | None:
    """Terminal cells a DataTable cell takes on its widest line, as the table shows it: Rich Text, Textual
    Content, a str (which the table reads as markup), a number; None for another renderable (left to the
    table's own measuring)."""
    if isinstance(value, str):
        try:
            value = Text.from_markup(value)
        except MarkupError:
            return cell_len(value)
    elif isinstance(value, float):
        return len(f"{value:.2f}")  # as the table formats it
    elif isinstance(value, int):
        return len(str(value))
    text = getattr(value, "plain", None)
    if isinstance(text, str):
        return max(cell_len(line) for line in text.split("\n"))
    return None


class DataTable(_DataTable[Any]):
    """Textual's DataTable whose auto-width columns take a new row's widths when it is added (module doc)."""

    def add_row(self, *cells: Any, height: int | None = 1, key: str | None = None,
                label: Any = None) -> Any:
        row_key = super().add_row(*cells, height=height, key=key, label=label)
        for column, value in zip(self.ordered_columns, cells, strict=False):  # fewer cells: blank ones
            if column.auto_width:
                width = cell_width(value)
                if width is not None and width > column.content_width:
                    column.content_width = width
        return row_key


def fill(table: _DataTable[Any], labels: Sequence[Any], rows: Iterable[tuple[Any, Sequence[Any]]]) -> None:
    """Replace `table`'s columns and rows; each column is given its width when added: its widest cell or its
    heading (at most MAX_WIDTH). rows: (row key or None, cells). The cursor stays on the same row number.

    Why not auto-width: a DataTable measures new rows at its next idle, and a paint before that, with the
    columns as wide as their headings, sometimes stayed on screen (seen under load after a modal closed: a
    unit's name shown as "Mobi" until the next key); fixed widths also let a column narrow again."""
    rows = list(rows)
    widths = [cell_width(label) or 0 for label in labels]
    for _key, row in rows:
        for i, value in enumerate(row[:len(widths)]):
            widths[i] = max(widths[i], cell_width(value) or 0)
    cursor = table.cursor_row
    table.clear(columns=True)
    for label, width in zip(labels, widths, strict=True):
        table.add_column(label, width=min(width, MAX_WIDTH))
    for key, row in rows:
        table.add_row(*row, key=key)
    if table.row_count:
        table.move_cursor(row=min(cursor, table.row_count - 1))
