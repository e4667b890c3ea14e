"""TERM=linux: everything the app draws maps to glyphs the console font has, cell for cell."""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from rich.cells import cell_len
from textual._border import BORDER_CHARS
from textual.renderables.bar import Bar
from textual.scrollbar import ScrollBarRender

from screens.vt import CONSOLE_GLYPHS, ConsoleDriver, for_console

ROOT = Path(__file__).resolve().parents[2]


def _drawn_by_textual() -> set[str]:
    chars = {ch for rows in BORDER_CHARS.values() for row in rows for ch in row}
    chars |= set("".join(ScrollBarRender.VERTICAL_BARS + ScrollBarRender.HORIZONTAL_BARS))
    chars |= {Bar.BAR, Bar.HALF_BAR_LEFT, Bar.HALF_BAR_RIGHT}
    return chars


def _drawn_by_us() -> set[str]:
    """Non-ASCII characters in the screens' string literals and style sheets, and in the translations."""
    chars: set[str] = set()
    for path in (ROOT / "screens").rglob("*.py"):
        if path.name == "vt.py":
            continue
        for tok in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
            if tok.type == tokenize.STRING:
                chars |= {c for c in tok.string if ord(c) > 127}
    for path in (ROOT / "screens").rglob("*.tcss"):
        chars |= {c for c in path.read_text(encoding="utf-8") if ord(c) > 127}
    with (ROOT / "workstation/locale/id/LC_MESSAGES/workstation.po").open("rb") as f:
        for m in read_po(f):
            for text in (m.id, m.string):
                if isinstance(text, str):
                    chars |= {c for c in text if ord(c) > 127}
    return chars


@pytest.mark.parametrize("source", [_drawn_by_textual, _drawn_by_us], ids=["textual", "screens"])
def test_every_glyph_drawn_has_a_console_glyph_of_the_same_width(source):
    chars = source()
    assert chars, "nothing collected: the collector is broken"
    wrong = {c: for_console(c) for c in chars
             if any(x not in CONSOLE_GLYPHS for x in for_console(c)) or cell_len(for_console(c)) != cell_len(c)}
    assert wrong == {}, "add these to screens/vt.py _SYMBOLS"


def test_mapping_keeps_the_shapes():
    assert for_console("╭━━╮") == "┌──┐"
    assert for_console("┃ ● Siap … ✓") == "│ • Siap . √"
    assert for_console("Koja → Graha · Rp 1.000 ≈ USD") == "Koja → Graha · Rp 1.000 ≈ USD"  # already there


def test_app_uses_the_console_driver_only_on_the_linux_console(make_app, monkeypatch):
    monkeypatch.delenv("TEXTUAL_DRIVER", raising=False)
    monkeypatch.setenv("TERM", "linux")
    assert make_app().driver_class is ConsoleDriver
    monkeypatch.setenv("TERM", "xterm-256color")
    assert make_app().driver_class is not ConsoleDriver


def test_console_driver_maps_what_it_writes():
    written: list[str] = []

    class Writer:
        def write(self, data: str) -> None:
            written.append(data)

    driver = ConsoleDriver.__new__(ConsoleDriver)  # only its output path is exercised
    driver._writer_thread = Writer()
    driver.write("\x1b[1;36m╭─ Loket ━╮\x1b[0m ●")
    assert written == ["\x1b[1;36m┌─ Loket ─┐\x1b[0m •"]


# -- #12 item 6: colours and glyphs on the console ---------------------------------------------------------------
def test_ansi_red_stays_red_in_sixteen_colours():
    from rich.color import Color, ColorSystem
    from rich.segment import Segment
    from rich.style import Style

    from screens.vt import VGA_THEME, SixteenColours

    red = Color.from_triplet(VGA_THEME.ansi_colors[1])
    assert red.downgrade(ColorSystem.STANDARD).number == 1  # the badge's red is red, not magenta (5)
    [seg] = SixteenColours().apply([Segment("RED", Style.parse("white on #f4005f"))], None)
    assert seg.style.bgcolor.triplet == VGA_THEME.ansi_colors[5]  # Monokai's "red" is what turned magenta


async def test_on_the_console_a_checked_box_differs_by_its_glyph_and_fields_are_blue(users, make_app, monkeypatch):
    from textual.widgets import Checkbox, Input

    monkeypatch.setenv("WORKSTATION_CONSOLE_COLOURS", "1")
    app = make_app()
    assert app.console_mode and app.ansi_theme_dark is not None
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        on, off = Checkbox("a", True), Checkbox("b", False)
        await app.screen.mount(on, off)
        await pilot.pause()
        assert "X" in str(on.render()) and "X" not in str(off.render())
        field, focused = app.screen.query_one("#password", Input), app.screen.query_one("#login", Input)
        assert app.focused is focused
        # $boost (a tint) is lost in 16 colours: on the console a field is a blue bar, the focused one cyan
        assert field.styles.background.ansi == 4 and focused.styles.background.ansi == 6


async def test_off_the_console_checkboxes_keep_textuals_look(make_app, monkeypatch):
    from textual.widgets import Checkbox

    monkeypatch.delenv("WORKSTATION_CONSOLE_COLOURS", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        off = Checkbox("b", False)
        await app.screen.mount(off)
        await pilot.pause()
        assert "X" in str(off.render())
