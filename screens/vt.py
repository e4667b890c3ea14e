"""The Linux virtual console (TERM=linux), where the counters' and field units' bare terminals run.

Its fonts hold 256 or 512 glyphs; the one every console has is the VGA font with the CP437 repertoire. Colours
are no problem (Rich already drops to the 16 standard colours for TERM=linux), but glyphs are: rounded and heavy
box lines, the tab underline, partial blocks of scroll bars and symbols like ● would show as the console's
replacement glyph. Under TERM=linux the app uses a driver that swaps each such glyph, at the last moment before
it is written, for the nearest one in CP437 — one cell for one cell, so the layout does not move.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from textual.drivers.linux_driver import LinuxDriver

# CP437 as the console font draws it: printable ASCII, the upper half, and the graphic glyphs the font has at
# the control positions 0x01-0x1F and 0x7F (the kernel's Unicode map points ☺ ♥ • ○ ► ↑ → … there).
CONSOLE_GLYPHS = frozenset(
    [chr(c) for c in range(0x20, 0x7F)]
    + list(bytes(range(0x80, 0x100)).decode("cp437"))
    + list("☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼⌂")
)

# Symbols the screens and Textual use that have a close CP437 glyph (or a plain ASCII one).
_SYMBOLS = {
    "●": "•", "◉": "•", "⬤": "•", "◌": "○", "…": ".", "—": "-", "–": "-", "−": "-", "‐": "-",
    "⚠": "!", "✓": "√", "✔": "√", "✗": "x", "✘": "x", "✕": "x", "×": "x", "³": "3", "¹": "1",
    "“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "‚": "'", "▶": "►", "◀": "◄", "▸": "►", "◂": "◄",
    "▴": "▲", "▾": "▼", "⏵": "►", "⏴": "◄", "⯅": "▲", "⯆": "▼", "⇒": "→", "⟶": "→", "⟵": "←",
    "▁": "_", "▂": "▄", "▃": "▄", "▅": "▄", "▆": "█", "▇": "█", "▉": "█", "▊": "▌", "▋": "▌", "▍": "▌",
    "▎": "▌", "▏": "│", "▔": "▀", "▕": "▐", "▖": "▄", "▗": "▄", "▘": "▀", "▝": "▀", "▙": "█", "▛": "█",
    "▜": "█", "▟": "█", "▚": "▒", "▞": "▒",
    "╱": "/", "╲": "\\", "╳": "X",
}


def _light(name: str) -> str | None:
    """The light-line box glyph with the same shape as the named one, if the console has it."""
    words = [w for w in name.removeprefix("BOX DRAWINGS ").split()
             if w not in ("LIGHT", "HEAVY", "ARC", "DOUBLE", "TRIPLE", "QUADRUPLE", "DASH")]
    shape = " ".join(words)
    if shape in ("LEFT", "RIGHT", "LEFT AND RIGHT"):
        shape = "HORIZONTAL"
    elif shape in ("UP", "DOWN", "UP AND DOWN"):
        shape = "VERTICAL"
    try:
        glyph = unicodedata.lookup(f"BOX DRAWINGS LIGHT {shape}")
    except KeyError:
        return None
    return glyph if glyph in CONSOLE_GLYPHS else None


def _table() -> dict[int, str]:
    table = {ord(k): v for k, v in _SYMBOLS.items()}
    for code in range(0x2500, 0x2580):  # box drawing: heavy, rounded, dashed and half lines → light lines
        ch = chr(code)
        if ch in CONSOLE_GLYPHS:
            continue
        light = _light(unicodedata.name(ch, ""))
        table[code] = light or "+"
    return table


VT_TABLE: Mapping[int, str] = _table()


def for_console(text: str) -> str:
    return text.translate(VT_TABLE)


class ConsoleDriver(LinuxDriver):
    """LinuxDriver whose output is mapped to the console's glyphs (escape sequences are ASCII: untouched)."""

    def write(self, data: str) -> None:
        super().write(for_console(data))


# -- colours and glyphs on the console (#12 item 6) -----------------------------------------------------------
# The console has 16 colours, its own VGA palette. Textual maps ANSI colours (Rich's "red", CSS ansi_red) through
# an ANSI theme to RGB and the output is then reduced to the nearest of 16: with Textual's default theme
# (Monokai) red is #f4005f, whose nearest is magenta — the red-lane badge came out magenta. On the console the
# ANSI theme is the VGA palette itself, so every ANSI colour stays the colour it names.
def _vga_theme():
    from rich.terminal_theme import TerminalTheme

    normal = [(0, 0, 0), (170, 0, 0), (0, 170, 0), (170, 85, 0), (0, 0, 170), (170, 0, 170), (0, 170, 170),
              (170, 170, 170)]
    bright = [(85, 85, 85), (255, 85, 85), (85, 255, 85), (255, 255, 85), (85, 85, 255), (255, 85, 255),
              (85, 255, 255), (255, 255, 255)]
    return TerminalTheme((0, 0, 0), (170, 170, 170), normal, bright)


VGA_THEME = _vga_theme()


def console_colours() -> bool:
    """True on the Linux console, or when WORKSTATION_CONSOLE_COLOURS=1 (snapshots of what the console shows)."""
    import os

    return os.environ.get("TERM") == "linux" or os.environ.get("WORKSTATION_CONSOLE_COLOURS") == "1"


class SixteenColours:
    """A Textual line filter: every colour reduced to the nearest of the console's 16 and drawn in its VGA
    shade — what the console shows, also in an SVG snapshot (the console's terminal does the same reduction,
    so on the console itself this changes nothing)."""

    def __new__(cls, enabled: bool = True):  # built lazily: Textual's filter module is not imported at start
        from functools import lru_cache

        from rich.color import Color, ColorSystem
        from rich.segment import Segment
        from rich.style import Style
        from textual.filter import LineFilter

        def reduce(color: Color | None) -> Color | None:
            if color is None or color.is_default:
                return color
            number = color.downgrade(ColorSystem.STANDARD).number
            if number is None:
                return color
            return Color.from_triplet(VGA_THEME.ansi_colors[number])

        class _Filter(LineFilter):
            @lru_cache(1024)  # noqa: B019  (one filter per app, styles are few)
            def _style(self, style: Style) -> Style:
                return style + Style.from_color(reduce(style.color), reduce(style.bgcolor))

            def apply(self, segments: list[Segment], background):
                return [Segment(text, self._style(style) if style else style, control)
                        for text, style, control in segments]

        return _Filter(enabled)


class _InnerGlyph:
    """A toggle's inner glyph: on the console an unchecked box is empty, a checked one shows its mark (Textual
    draws the same mark for both and tells them apart by colour only, which 16 colours cannot be trusted
    with). Elsewhere Textual's look is kept."""

    def __init__(self, mark: str) -> None:
        self.mark = mark

    def __get__(self, obj, owner=None) -> str:
        if obj is None or getattr(obj, "value", True):
            return self.mark
        try:
            console = bool(getattr(obj.app, "console_mode", False))
        except Exception:  # not mounted
            console = False
        return " " if console else self.mark


def install_toggle_glyphs() -> None:
    """Checkbox and RadioButton get the console-aware inner glyph (idempotent)."""
    from textual.widgets import RadioButton
    from textual.widgets._toggle_button import ToggleButton

    for cls, mark in ((ToggleButton, "X"), (RadioButton, "\u25cf")):
        if not isinstance(cls.__dict__.get("BUTTON_INNER"), _InnerGlyph):
            cls.BUTTON_INNER = _InnerGlyph(mark)
