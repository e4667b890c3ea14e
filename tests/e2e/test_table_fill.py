"""screens.widgets.table.fill: columns as wide as their widest cell from the moment they are added."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from screens.widgets.table import MAX_WIDTH, fill


class _TableApp(App):
    def compose(self) -> ComposeResult:
        yield DataTable(id="t", cursor_type="row")


async def test_widths_are_set_before_the_table_measures_its_rows():
    app = _TableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(DataTable)
        fill(table, ("Kode", "Nama"), [("A", [Text("PTK1"), Text("x")])])
        await pilot.pause()
        table.move_cursor(row=0)
        # no pause: what a paint right now would use
        fill(table, ("Kode", "Nama"), [("A", [Text("PTK1"), Text("Mobile unit")]), ("B", [Text("日本"), 12345])])
        assert [c.width for c in table.columns.values()] == [4, 11]
        assert [c.get_render_width(table) for c in table.columns.values()] == [6, 13]
        assert table.row_count == 2 and table.get_row("B")[1] == 12345
        fill(table, ("Kode", "Nama"), [("A", [Text("x" * 200), Text("")])])
        assert [c.width for c in table.columns.values()] == [MAX_WIDTH, 4]  # a long cell is bounded; a heading kept


async def test_the_cursor_stays_on_its_row_number():
    app = _TableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(DataTable)
        rows = [(str(i), [Text(f"row {i}")]) for i in range(5)]
        fill(table, ("Baris",), rows)
        await pilot.pause()
        table.move_cursor(row=3)
        fill(table, ("Baris",), rows)
        assert table.cursor_row == 3
        fill(table, ("Baris",), rows[:2])
        assert table.cursor_row == 1
