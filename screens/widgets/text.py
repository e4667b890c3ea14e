"""Stored text on screen: always as text, never as markup (#11 item 6).

A name such as `Budi [/] Santoso` or `[link=http://x]Siti[/link]` put into a markup string crashes the widget
or becomes a live link. Every value that came from the database, a device or a user goes through `plain`
(a Textual `Content`, which Static, Label and DataTable cells show literally, and which compares equal to its
plain string) or, where a markup string is still built around it, through `esc`. Notifications are always
plain (WorkstationApp.notify). Control and invisible format characters (ESC, BEL, U+202E…)
are shown as escapes (`\\x1b`, `\\u202e`), so a name can neither drive the terminal nor reorder the line."""

from __future__ import annotations

from textual.content import Content

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def clean(value: object, *, lines: bool = False) -> str:
    """`value` as a string with control and format characters shown as escapes; line breaks too (one value,
    one line) unless `lines` (a message of several lines). None gives ""."""
    if value is None:
        return ""
    text = str(value)
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable() or (lines and ch == "\n"):
            out.append(ch)
        elif ch in _NAMED:
            out.append(_NAMED[ch])
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000
                       else f"\\U{code:08x}")
    return "".join(out)


def plain(value: object, style: str = "", *, lines: bool = False) -> Content:
    """Stored text as `Content`: shown literally (no markup), controls escaped (line breaks kept with
    `lines`), in `style` if given."""
    text = clean(value, lines=lines)
    return Content.styled(text, style) if style else Content(text)


def esc(value: object) -> str:
    """Stored text for a markup string built around it: markup escaped, controls escaped. Every "[" is escaped:
    Rich's `escape` leaves "[BILLED]" alone (not a Rich tag), and Textual's markup would still eat it as a style."""
    text = clean(value).replace("[", "\\[")
    return text + " " if text.endswith("\\") else text  # a trailing backslash would escape the next tag


def assemble(*parts: str | Content | tuple[str, str]) -> Content:
    """Content of mixed parts: `Content` as is, `(text, style)` styled, a plain `str` literal with controls
    escaped (line breaks kept: parts are often lines). Our own fixed words are styled by tuple, never by
    markup, so nothing in a value is ever parsed."""
    out: list[str | Content | tuple[str, str]] = []
    for part in parts:
        if isinstance(part, Content):
            out.append(part)
        elif isinstance(part, tuple):
            out.append((clean(part[0], lines=True), part[1]))
        else:
            out.append(Content(clean(part, lines=True)))
    return Content.assemble(*out)


def cells(*values: object, style: str = "") -> list[object]:
    """DataTable row cells: every `str` as literal text (a DataTable parses a plain `str` cell as markup), as a
    Rich `Text` so the table sizes its columns to it (a Content cell leaves the column as wide as its heading);
    numbers and renderables as they are."""
    from rich.text import Text

    return [Text(clean(v), style=style) if isinstance(v, str) else v for v in values]
