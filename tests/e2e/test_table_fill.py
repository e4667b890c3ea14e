"""screens.widgets.table.fill: columns as wide as their widest cell from the moment they are added."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult

from screens.widgets.table import MAX_WIDTH, DataTable, cell_width, fill


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


async def test_a_new_row_widens_its_columns_when_added():
    app = _TableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(DataTable)
        table.add_columns("Kode", "Nama", "Jumlah", "Nilai")
        await pilot.pause()
        table.add_row(Text("PTK1"), "[b]Mobile[/b] unit", 1234567, 2.5)
        # no pause: what a paint right now would use (the table's own measuring comes at its next idle)
        widths = [c.content_width for c in table.columns.values()]
        assert widths == [4, 11, 7, 5]
        await pilot.pause()
        assert [c.content_width for c in table.columns.values()] == widths  # the table's own measure agrees


def test_cell_width_as_the_table_shows_cells():
    assert cell_width(Text("a\nabcd")) == 4  # the widest line
    assert cell_width("[bold]x[/bold]") == 1 and cell_width("[unclosed") == 9
    assert cell_width(1.0) == 4 and cell_width(-12) == 3 and cell_width("日本") == 4
    assert cell_width(object()) is None
