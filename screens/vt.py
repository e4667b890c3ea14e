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
