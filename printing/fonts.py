"""Fonts for names in every script on official documents: which font draws each character, shaping, right-to-left
order, and what cannot be drawn at all (refused at intake, never printed as empty boxes).

The house face stays Bitstream Vera (inside reportlab; Latin-1, hence Indonesian). Characters it lacks fall back,
word by word, to the first face of this chain found on the machine (Debian packages; `.ci/setup-fonts.sh`):

=========================  =====================================================  ================================
face                       scripts                                                file (package, licence)
=========================  =====================================================  ================================
WSD-Latin                  Latin with Vietnamese, Greek, Cyrillic                 NotoSans (fonts-noto-core, OFL-1.1);
                                                                                  else DejaVuSans (fonts-dejavu-core)
WSD-Arabic                 Arabic (shaped, right to left)                         NotoNaskhArabic, NotoSansArabic
                                                                                  (fonts-noto-core, OFL-1.1)
WSD-Thai                   Thai (shaped)                                          NotoSansThai (fonts-noto-core, OFL)
WSD-Devanagari             Devanagari (shaped)                                    NotoSansDevanagari (fonts-noto-core)
WSD-CJK                    Chinese (Han), Japanese kana                           DroidSansFallbackFull
                                                                                  (fonts-droid-fallback, Apache-2.0)
WSD-Korean                 Korean Hangul (Droid's Debian build has none)          NanumGothic (fonts-nanum, OFL-1.1)
=========================  =====================================================  ================================

The faces are TrueType (glyf outlines): ReportLab embeds only those, which is why CJK comes from Droid Sans
Fallback rather than the CFF-based Noto CJK. The licences travel with the Debian packages
(/usr/share/doc/fonts-*/copyright); the OFL and Apache-2.0 both allow embedding subsets in documents.
More folders are searched first when `WORKSTATION_FONT_DIRS` names them (os.pathsep-separated).

Shaping (Arabic joining, Indic conjuncts and vowel signs, Thai marks) is ReportLab's own (it calls HarfBuzz
through `uharfbuzz`, ReportLab's "shaping" extra), switched on only for paragraphs that need it so Latin
documents keep their exact layout. ReportLab's bidi needs `rlbidi`, which is not on PyPI: `visual_order` puts
runs of right-to-left words in visual order itself (a word-level Unicode Bidirectional Algorithm for a
left-to-right paragraph; HarfBuzz orders the glyphs inside each word).

Text layer: every glyph extracts as its text (pypdf, copy and paste): a glyph HarfBuzz made from several
characters (a Devanagari conjunct) carries them in the ToUnicode CMap (`note_shaped`). Arabic extracts as its
presentation forms (NFKC gives the letters back), word by word in visual order; a glyph moved by shaping (the
Devanagari reph, the i-matra) extracts where it is drawn, as in any PDF without /ActualText.

A fresh machine without the fonts still prints Latin text; a name it cannot draw is refused by `undrawable`,
which the services call at intake (see `check_drawable`). Per-glyph fallback is per word: a word is drawn in
the first face that has all its characters (so a shaped word is never split across faces); a word no one face
covers is split into grapheme clusters, each in the first face that has it, unless it needs shaping (then
it is refused: split across faces it would be drawn unjoined).
"""

from __future__ import annotations

import functools
import os
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from xml.sax.saxutils import escape

from workstation.errors import ErrorCode, InputError

PRIMARY = "WSD-Sans"  # printing.render.FONT (Bitstream Vera)
PRIMARY_BOLD = "WSD-Sans-Bold"

#: Folders searched for the fallback faces, after any in WORKSTATION_FONT_DIRS.
SYSTEM_FONT_DIRS = ("/usr/share/fonts/truetype", "/usr/local/share/fonts", "/usr/share/fonts")


@dataclass(frozen=True)
class Face:
    """A fallback face: its ReportLab name, what it is for, and candidate files (relative to a font folder),
    regular and bold, best first."""

    name: str
    scripts: str
    files: tuple[str, ...]
    bold_files: tuple[str, ...] = ()


CHAIN: tuple[Face, ...] = (
    Face("WSD-Latin", "Latin (Vietnamese), Greek, Cyrillic",
         ("noto/NotoSans-Regular.ttf", "dejavu/DejaVuSans.ttf"),
         ("noto/NotoSans-Bold.ttf", "dejavu/DejaVuSans-Bold.ttf")),
    Face("WSD-Arabic", "Arabic",
         ("noto/NotoNaskhArabic-Regular.ttf", "noto/NotoSansArabic-Regular.ttf"),
         ("noto/NotoNaskhArabic-Bold.ttf", "noto/NotoSansArabic-Bold.ttf")),
    Face("WSD-Thai", "Thai", ("noto/NotoSansThai-Regular.ttf",), ("noto/NotoSansThai-Bold.ttf",)),
    Face("WSD-Devanagari", "Devanagari",
         ("noto/NotoSansDevanagari-Regular.ttf",), ("noto/NotoSansDevanagari-Bold.ttf",)),
    Face("WSD-CJK", "Chinese, Japanese", ("droid/DroidSansFallbackFull.ttf",)),
    Face("WSD-Korean", "Korean Hangul", ("nanum/NanumGothic.ttf",), ("nanum/NanumGothicBold.ttf",)),
)

# Characters that need no glyph of their own.
_LAYOUT = frozenset("\n\r\t ")
# Scripts whose words must be shaped (joining, reordering, mark placement): right-to-left letters, the Indic
# blocks, Thai, Lao, Tibetan, Myanmar, Khmer, and any combining mark left after NFC.
_COMPLEX_RANGES = ((0x0590, 0x08FF), (0x0900, 0x0DFF), (0x0E00, 0x0FFF), (0x1000, 0x109F), (0x1780, 0x17FF),
                   (0xFB1D, 0xFDFF), (0xFE70, 0xFEFF))
_SPLIT = re.compile(r"(\s+)")
_lock = threading.Lock()


def font_dirs() -> tuple[str, ...]:
    extra = tuple(d for d in os.environ.get("WORKSTATION_FONT_DIRS", "").split(os.pathsep) if d)
    return extra + SYSTEM_FONT_DIRS


def _find(candidates: Iterable[str]) -> str | None:
    for folder in font_dirs():
        for rel in candidates:
            path = os.path.join(folder, rel)
            if os.path.isfile(path):
                return path
    return None


@functools.cache
def _primary_chars() -> frozenset[int]:
    from printing.render import register_fonts

    register_fonts()
    from reportlab.pdfbase import pdfmetrics

    return frozenset(pdfmetrics.getFont(PRIMARY).face.charToGlyph)


@functools.cache
def _primary_text() -> frozenset[str]:
    """The characters the house face draws, and layout characters, as str (fast `issuperset(text)`)."""
    return frozenset(chr(cp) for cp in _primary_chars()) | _LAYOUT


@dataclass(frozen=True)
class Loaded:
    name: str
    path: str
    chars: frozenset[int]


_loaded: dict[str, Loaded | None] = {}


def _load(face: Face) -> Loaded | None:
    """Register `face` with ReportLab (regular, bold, and the <b>/<i> mapping) the first time it is needed."""
    with _lock:
        if face.name in _loaded:
            return _loaded[face.name]
        from reportlab.lib.fonts import addMapping
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFError

        path = _find(face.files)
        result = None
        if path is not None:
            try:
                regular = _fallback_font_class()(face.name, path)
                pdfmetrics.registerFont(regular)
                bold_name = face.name
                bold_path = _find(face.bold_files)
                if bold_path is not None:
                    bold_name = face.name + "-Bold"
                    pdfmetrics.registerFont(_fallback_font_class()(bold_name, bold_path))
                for bold, italic in ((0, 0), (1, 0), (0, 1), (1, 1)):
                    addMapping(face.name, bold, italic, bold_name if bold else face.name)
                result = Loaded(face.name, path, frozenset(regular.face.charToGlyph))
            except (TTFError, OSError):
                result = None
        _loaded[face.name] = result
        return result


def faces() -> list[Loaded]:
    """The fallback faces found on this machine, in chain order (each registered on first use)."""
    return [f for f in (_load(face) for face in CHAIN) if f is not None]


def reset() -> None:
    """Forget which faces were found (tests that change WORKSTATION_FONT_DIRS). Registered fonts stay."""
    with _lock:
        _loaded.clear()


# --------------------------------------------------------------------------- text of shaped glyphs


@functools.cache
def _fallback_font_class() -> type:
    """TTFont whose shaped glyphs extract as their text.

    HarfBuzz turns a cluster such as Devanagari क्ष into one glyph that has no character of its own; ReportLab
    then gives it a private-use code point, and a PDF reader would extract U+E000 instead of the name. This
    subclass remembers the text each such glyph stands for (`note_shaped`, called by `markup`) and writes it
    into the subset's ToUnicode CMap (a code may map to several characters, PDF 1.7 §9.10.3)."""
    from reportlab.pdfbase.ttfonts import SUBSETN, TTFont

    class FallbackTTFont(TTFont):
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw)
            self.glyph_text: dict[int, str] = {}  # glyph id -> the text it stands for
            self.private_text: dict[int, str] = {}  # ReportLab's private code point -> that text
            self.noted: set[str] = set()

        def hbFont(self, fontSize=10):
            font = super().hbFont(fontSize)
            add = getattr(self, "hbAddPrivate", None)
            if add is None:  # a ReportLab without private glyph codes: nothing to remember
                return font

            def add_private(name, gid, advance):
                code = add(name, gid, advance)
                text = self.glyph_text.get(gid)
                if text:
                    self.private_text[code] = text
                return code

            self.hbAddPrivate = add_private
            return font

        def addObjects(self, doc):
            state = self.state.get(doc)
            subsets = [list(sub) for sub in state.subsets] if state is not None else []
            super().addObjects(doc)
            for n, subset in enumerate(subsets):
                if not any(code in self.private_text for code in subset):
                    continue
                base = (b"".join((SUBSETN(n), b"+", self.face.name, self.face.subfontNameX))).decode("pdfdoc")
                stream = doc.idToObject.get("toUnicodeCMap:" + base)
                if stream is not None:
                    stream.content = _to_unicode_cmap(base, subset, self.private_text)

    return FallbackTTFont


def _utf16_hex(text: str) -> str:
    return text.encode("utf-16-be").hex().upper()


def _to_unicode_cmap(name: str, subset: list[int], private: dict[int, str]) -> str:
    """ReportLab's ToUnicode CMap (pdfbase.ttfonts.makeToUnicodeCMap) with private code points replaced by the
    text of their glyph."""
    lines = [
        "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap", "/CIDSystemInfo",
        f"<< /Registry ({name})", f"/Ordering ({name})", "/Supplement 0", ">> def", f"/CMapName /{name} def",
        "/CMapType 2 def", "1 begincodespacerange", f"<00> <{len(subset) - 1:02X}>", "endcodespacerange",
        f"{len(subset)} beginbfchar",
    ]
    lines += [f"<{i:02X}> <{_utf16_hex(private.get(cp, chr(cp)))}>" for i, cp in enumerate(subset)]
    lines += ["endbfchar", "endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines)


def note_shaped(face_name: str, word: str) -> None:
    """Shape `word` as ReportLab will (HarfBuzz, same features) in the face and its bold, and remember, for each
    glyph that has no character of its own, the text of its cluster not drawn by the cluster's other glyphs."""
    from reportlab.pdfbase import pdfmetrics

    for name in (face_name, face_name + "-Bold"):
        try:
            font = pdfmetrics.getFont(name)
        except KeyError:
            continue
        if hasattr(font, "glyph_text") and word not in font.noted and getattr(font, "shapable", False):
            font.noted.add(word)
            _note_glyphs(font, word)


def _note_glyphs(font, word: str) -> None:
    import uharfbuzz

    buf = uharfbuzz.Buffer()
    buf.cluster_level = uharfbuzz.BufferClusterLevel.MONOTONE_CHARACTERS
    buf.add_str(word)
    buf.guess_segment_properties()
    uharfbuzz.shape(font.hbFont(10), buf, {"kern": True, "liga": True, "dlig": True})
    infos = buf.glyph_infos
    starts = sorted({info.cluster for info in infos})
    ends = dict(zip(starts, [*starts[1:], len(word)], strict=True))
    to_char = font.face.glyphToChar
    by_cluster: dict[int, list[int]] = {}
    for info in infos:
        by_cluster.setdefault(info.cluster, []).append(info.codepoint)
    for start, gids in by_cluster.items():
        orphans = [g for g in gids if g not in to_char]
        if not orphans:
            continue
        rest = list(word[start : ends[start]])
        for g in gids:
            if g in to_char and chr(to_char[g][0]) in rest:
                rest.remove(chr(to_char[g][0]))
        if rest and orphans[0] not in font.glyph_text:
            font.glyph_text[orphans[0]] = "".join(rest)


# --------------------------------------------------------------------------- per word and per cluster


def _needs(ch: str) -> bool:
    return ch not in _LAYOUT


def is_complex(ch: str) -> bool:
    """Does this character belong to a script that must be shaped (or is it a combining mark)?"""
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _COMPLEX_RANGES) or (unicodedata.combining(ch) != 0)


def needs_shaping(text: str) -> bool:
    """Must a paragraph holding `text` (plain or markup) be shaped?"""
    return not primary_draws(text) and any(is_complex(ch) for ch in text)


def primary_draws(text: str) -> bool:
    """Does the house face (Vera) alone draw `text`? (Then nothing changes from the Latin-1 layout.)"""
    return _primary_text().issuperset(text)


@functools.cache
def _can_shape() -> bool:
    """Is HarfBuzz there for ReportLab (its "shaping" extra, a dependency of this project)?"""
    try:
        import uharfbuzz  # noqa: F401
    except ImportError:
        return False
    return True


def _clusters(word: str) -> list[str]:
    """Grapheme clusters, approximately: a base character with the combining marks after it."""
    out: list[str] = []
    for ch in word:
        if out and (unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Mc", "Me")):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def _face_for(chars: set[int]) -> str | None:
    if chars <= _primary_chars():
        return PRIMARY
    for face in CHAIN:  # loaded one by one, only as far as needed
        f = _load(face)
        if f is not None and chars <= f.chars:
            return f.name
    return None


def line_face(text: str, *, bold: bool = False) -> str | None:
    """The one face that draws a whole line on the canvas (letterhead, footer: no paragraph, so no runs and no
    shaping): the house face when it can, else the first fallback face that has every character, or None
    (also for a script that must be shaped)."""
    if primary_draws(text):
        return PRIMARY_BOLD if bold else PRIMARY
    if any(is_complex(ch) for ch in text):
        return None
    face = _face_for({ord(ch) for ch in text if _needs(ch)})
    if face is None or not bold:
        return face
    from reportlab.pdfbase import pdfmetrics

    try:
        pdfmetrics.getFont(face + "-Bold")
    except KeyError:
        return face
    return face + "-Bold"


class Undrawable(ValueError):
    """Text that no face on this machine can draw; `chars` names what (e.g. "😀 U+1F600")."""

    def __init__(self, chars: str):
        super().__init__(chars)
        self.chars = chars


def _describe(chars: Iterable[str]) -> str:
    seen: list[str] = []
    for ch in chars:
        item = f"{ch} " + "+".join(f"U+{ord(c):04X}" for c in ch)
        if item not in seen:
            seen.append(item)
    return ", ".join(seen[:5]) + (f" (and {len(seen) - 5} more)" if len(seen) > 5 else "")


def runs(text: str) -> list[tuple[str, str]]:
    """(face name, text) runs drawing `text` (NFC, logical order). Raises Undrawable."""
    out: list[tuple[str, str]] = []

    def add(face: str, piece: str) -> None:
        if out and out[-1][0] == face:
            out[-1] = (face, out[-1][1] + piece)
        else:
            out.append((face, piece))

    missing: list[str] = []
    for token in _SPLIT.split(text):
        if not token:
            continue
        if token.isspace():
            add(PRIMARY, token)
            continue
        face = _face_for({ord(ch) for ch in token if _needs(ch)})
        if face is not None:
            if face != PRIMARY and not _can_shape() and any(is_complex(ch) for ch in token):
                raise Undrawable(f"{token!r} must be shaped and uharfbuzz is not installed")
            add(face, token)
            continue
        # No one face has the whole word: cluster by cluster.
        found_all = True
        for cluster in _clusters(token):
            cface = _face_for({ord(ch) for ch in cluster if _needs(ch)})
            if cface is not None:
                add(cface, cluster)
                continue
            found_all = False
            alone = [ch for ch in cluster if _face_for({ord(ch)}) is None]
            missing.extend(alone or [cluster])
        if found_all and any(is_complex(ch) for ch in token):
            # A word that must be shaped cannot be split across faces (it would be drawn unjoined).
            raise Undrawable(f"{token!r} mixes scripts that no one font has; separate them with a space")
    if missing:
        raise Undrawable(_describe(missing))
    return out


def undrawable(text: str) -> str | None:
    """What in `text` cannot be drawn on an official document with the fonts of this machine, or None.

    The answer names the characters ("😀 U+1F600, …") or the word that mixes scripts. Pure but for reading the
    font files once; safe to call from any thread."""
    if primary_draws(text):
        return None
    try:
        runs(unicodedata.normalize("NFC", text))
    except Undrawable as exc:
        return exc.chars
    return None


def check_drawable(text: str | None, field: str) -> None:
    """Intake guard for text that will be printed on official documents (names, addresses, descriptions).

    Raises InputError(code=UNDRAWABLE_TEXT, field=field, params={"chars": …}) when `undrawable` finds
    something; does nothing for None or drawable text."""
    if not text:
        return
    found = undrawable(text)
    if found is not None:
        raise InputError(
            f"cannot be printed on official documents: no font for {found}",
            field=field,
            code=ErrorCode.UNDRAWABLE_TEXT,
            params={"chars": found},
        )


def check_all_drawable(fields: Iterable[tuple[str, str | None]]) -> None:
    """`check_drawable` over (field path, text) pairs, e.g. ``[("declarant.name", doc.declarant.name),
    *((f"goods[{i}].description", g.description) for i, g in enumerate(doc.goods))]``; the first refused
    field is named."""
    for field, text in fields:
        check_drawable(text, field)


# --------------------------------------------------------------------------- bidi (word level) and markup


def _strong(word: str) -> str | None:
    """'R' or 'L' from the word's first strong character, None for a word of digits and punctuation."""
    for ch in word:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return "R"
        if kind == "L":
            return "L"
    return None


def visual_order(line: str) -> str:
    """A left-to-right line with its right-to-left word runs in visual order.

    Word level: a maximal run of right-to-left words (with the spaces and the digit/punctuation-only words
    between them) is reversed word by word; the characters of each word stay in logical order, for HarfBuzz
    (which lays out an Arabic word's glyphs right to left itself)."""
    tokens = [t for t in _SPLIT.split(line) if t]
    kinds = [None if t.isspace() else _strong(t) for t in tokens]
    if "R" not in kinds:
        return line
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if kinds[i] != "R":
            out.append(tokens[i])
            i += 1
            continue
        j = i  # extend the run over neutral tokens as long as another R word follows
        k = i + 1
        while k < len(tokens) and kinds[k] != "L":
            if kinds[k] == "R":
                j = k
            k += 1
        out.extend(reversed(tokens[i : j + 1]))
        i = j + 1
    return "".join(out)


def markup(text: str) -> str:
    """User text as ReportLab paragraph markup: escaped (a '<' or '&' is text, not a tag), each run in the
    face that draws it (`<font name=…>`), right-to-left runs in visual order, newlines as <br/>.
    Text the primary face draws alone comes out exactly as before (escaped). Raises Undrawable."""
    if primary_draws(text):
        return escape(text).replace("\n", "<br/>")
    lines = unicodedata.normalize("NFC", text).split("\n")
    parts = []
    for line in lines:
        pieces = []
        for face, piece in runs(visual_order(line)):
            if face == PRIMARY:
                pieces.append(escape(piece))
                continue
            if any(is_complex(ch) for ch in piece):
                for word in piece.split():
                    note_shaped(face, word)
            pieces.append(f'<font name="{face}">{escape(piece)}</font>')
        parts.append("".join(pieces))
    return "<br/>".join(parts)


_BOLD_OR_FACE = re.compile(r'<(/?)(?:b|strong)>|<font name="(WSD-[A-Za-z]+)">(.*?)</font>', re.S)


def embolden(markup_text: str, bold: bool) -> str:
    """Keep bold text bold in its fallback face: a `<font name=…>` tag resets ReportLab's bold flag, so each
    fallback run inside `<b>` (or in a paragraph whose style is bold) gets its own `<b>`."""
    if '<font name="WSD-' not in markup_text:
        return markup_text
    depth = 1 if bold else 0
    out: list[str] = []
    pos = 0
    for m in _BOLD_OR_FACE.finditer(markup_text):
        out.append(markup_text[pos : m.start()])
        if m.group(2) is None:
            depth += -1 if m.group(1) else 1
            out.append(m.group(0))
        elif depth > 0:
            out.append(f'<font name="{m.group(2)}"><b>{m.group(3)}</b></font>')
        else:
            out.append(m.group(0))
        pos = m.end()
    out.append(markup_text[pos:])
    return "".join(out)


__all__ = [
    "CHAIN",
    "PRIMARY",
    "Face",
    "Loaded",
    "Undrawable",
    "check_all_drawable",
    "check_drawable",
    "embolden",
    "faces",
    "font_dirs",
    "is_complex",
    "line_face",
    "markup",
    "needs_shaping",
    "note_shaped",
    "primary_draws",
    "reset",
    "runs",
    "undrawable",
    "visual_order",
]
