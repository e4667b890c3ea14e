"""Machine readable zones of travel documents (ICAO Doc 9303, 8th ed., parts 3–7): decode and pair lines.

Pure: no I/O, no project import but the domain. Used by `workstation.domain.scan` (`scan decode`, the screens)
and by the MRZ reader driver (devices/mrz.py), which gets one line per frame from some readers.

Formats (line count × characters; positions below are 0-based slices):

* ``TD3`` passports, 2 × 44 (part 4). Line 1: document code [0:2], issuing state [2:5], name [5:44].
  Line 2: document number [0:9] + check [9], nationality [10:13], birth date [13:19] + check [19], sex [20],
  expiry [21:27] + check [27], personal number (optional data) [28:42] + check [42], composite [43] over
  [0:10] + [13:20] + [21:43].
* ``TD2`` official documents, 2 × 36 (part 6). Line 1 as TD3 with the name in [5:36]. Line 2 as TD3 up to [28],
  then optional data [28:35], composite [35] over [0:10] + [13:20] + [21:35].
* ``TD1`` identity cards, 3 × 30 (part 5). Line 1: document code [0:2], issuing state [2:5], document number
  [5:14] + check [14], optional data [15:30]. Line 2: birth date [0:6] + check [6], sex [7], expiry [8:14] +
  check [14], nationality [15:18], optional data [18:29], composite [29] over line 1 [5:30] + line 2 [0:7] +
  [8:15] + [18:29]. Line 3: name [0:30].
* ``MRV-A`` / ``MRV-B`` visas (part 7, document code V): TD3 / TD2 sizes, no composite check digit; the optional
  data runs to the end of line 2 ([28:44] / [28:36]).

A document number longer than 9 characters (TD1, TD2; part 5 §4.2.4 note j, part 6 §4.2.4 note j): its first 9
characters stand in the number field, a filler ``<`` replaces its check digit, and the optional data starts
with the remaining characters, then the check digit over the whole number, then a filler.

Filler ``<`` separates the surname from the given names (``<<``) and words within them (``<``); inside optional
data a ``<`` is a space (kept, not dropped: ``AB<12<34`` is ``AB 12 34``); trailing fillers are padding.

Pairing lines sent one per frame (`LineAssembler`) goes by structure only — line length, which positions hold
digits (a date line always holds its expiry date; a name line never holds a digit) and the order of lines —
never by a leading letter: a TD3 passport number may itself start with "P" (Australia, the Philippines).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from workstation.domain.identifiers import mrz_check_digit

TD1_LINE = 30
TD2_LINE = 36
TD3_LINE = 44
#: format -> (lines, characters per line)
SHAPES: dict[str, tuple[int, int]] = {"TD1": (3, TD1_LINE), "TD2": (2, TD2_LINE), "TD3": (2, TD3_LINE)}
#: document codes that start a travel document's MRZ (P passport, V visa, I/A/C identity and official documents)
DOCUMENT_CODES = frozenset("PVIAC")

_MRZ_CHARS = re.compile(r"[A-Z0-9<]+")
_DIGITS = frozenset("0123456789")


class MrzLineError(ValueError):
    """A line sent on its own that cannot take its place in an MRZ (the reason says why)."""


@dataclass(frozen=True)
class MrzDecode:
    """One decoded MRZ. `format` is TD1/TD2/TD3/MRV-A/MRV-B, or None when the line lengths fit none;
    `value` the lines joined by a newline; `detail` the fields (CONTRACTS.md "scan decode --json")."""

    format: str | None
    valid: bool
    value: str
    detail: dict[str, Any] = field(default_factory=dict)


# --- recognising a text as an MRZ ------------------------------------------------------------------------


def split_lines(body: str) -> tuple[str, ...] | None:
    """The lines of an MRZ if the text looks like one (even a damaged one), else None.

    Two or three lines (CR, LF or CR LF between them), or one run of 2×44, 2×36 or 3×30 characters; upper
    case A–Z, digits and ``<`` only; the first line starts with a document code (P, V, I, A, C) and holds a
    filler. Nothing is checked here: `decode` says what is wrong."""
    lines = [ln.strip() for ln in body.replace("\r\n", "\n").replace("\r", "\n").split("\n") if ln.strip()]
    if len(lines) == 1:
        run = lines[0]
        for count, width in (SHAPES["TD3"], SHAPES["TD2"], SHAPES["TD1"]):
            if len(run) == count * width:
                lines = [run[i * width : (i + 1) * width] for i in range(count)]
                break
    if len(lines) not in (2, 3):
        return None
    first = lines[0]
    if first[:1] not in DOCUMENT_CODES or "<" not in first or not _MRZ_CHARS.fullmatch("".join(lines)):
        return None
    return tuple(lines)


# --- decoding --------------------------------------------------------------------------------------------


def _check(field_text: str, digit: str) -> bool:
    if digit == "<":
        # ICAO 9303 allows a filler as check digit only for an all-filler (empty) optional field.
        return set(field_text) <= {"<"}
    return digit.isdigit() and mrz_check_digit(field_text) == int(digit)


def _date(yymmdd: str, *, birth: bool, today: dt.date) -> dt.date | None:
    """YYMMDD: a birth date in the future belongs to the previous century; an expiry date is 20YY."""
    if not yymmdd.isdigit():
        return None
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    year = 2000 + yy
    try:
        value = dt.date(year, mm, dd)
        if birth and value > today:
            value = dt.date(year - 100, mm, dd)
    except ValueError:
        return None
    return value


def names(field_text: str) -> tuple[str, str]:
    """(surname, given names) of a name field: ``<<`` separates them, ``<`` separates words."""
    surname, _, given = field_text.partition("<<")
    return " ".join(surname.replace("<", " ").split()), " ".join(given.replace("<", " ").split())


def optional_text(field_text: str) -> str:
    """Optional data as text: each inner ``<`` is a space; the trailing (and leading) fillers are padding."""
    return field_text.strip("<").replace("<", " ")


def _number(number9: str, check: str, optional: str) -> tuple[str, str, str, str]:
    """(document number, the text its check digit covers, the check digit, the optional data left).

    A filler instead of the check digit with optional data behind it is the long-number form (TD1/TD2)."""
    if check == "<" and optional[:1] not in ("", "<"):
        run = optional.split("<", 1)[0]
        if len(run) >= 2:
            full = number9 + run[:-1]
            rest = optional[len(run) :]
            return full.replace("<", ""), full, run[-1], rest[1:] if rest.startswith("<") else rest
    return number9.replace("<", ""), number9, check, optional


def _common(
    fmt: str,
    *,
    code: str,
    state: str,
    name: str,
    number: str,
    number_checked: str,
    number_check: str,
    nationality: str,
    birth: str,
    birth_check: str,
    sex: str,
    expiry: str,
    expiry_check: str,
    today: dt.date,
) -> tuple[dict[str, Any], dict[str, bool], list[str]]:
    surname, given = names(name)
    birth_date = _date(birth, birth=True, today=today)
    expiry_date = _date(expiry, birth=False, today=today)
    checks = {
        "document_number": _check(number_checked, number_check),
        "birth_date": _check(birth, birth_check),
        "expiry_date": _check(expiry, expiry_check),
    }
    detail: dict[str, Any] = {
        "format": fmt,
        "document_type": code.replace("<", ""),
        "issuing_state": state.replace("<", ""),
        "surname": surname,
        "given_names": given,
        "document_number": number,
        "nationality": nationality.replace("<", ""),
        "birth_date": birth_date.isoformat() if birth_date else None,
        "sex": sex if sex in "MF" else "X",
        "expiry_date": expiry_date.isoformat() if expiry_date else None,
    }
    errors = []
    if birth_date is None:
        errors.append("birth date is not a date")
    if expiry_date is None:
        errors.append("expiry date is not a date")
    detail["expired"] = bool(expiry_date and expiry_date < today)
    return detail, checks, errors


def _two_line(fmt: str, l1: str, l2: str, today: dt.date) -> tuple[dict[str, Any], dict[str, bool], list[str]]:
    width = len(l1)
    visa = l1[0] == "V"
    if fmt == "TD3" and not visa:  # a passport number has no long form: [28:42] is the personal number
        number, checked, digit, optional = l2[0:9].replace("<", ""), l2[0:9], l2[9], l2[28:42]
    else:
        number, checked, digit, optional = _number(l2[0:9], l2[9], l2[28 : width if visa else width - 1])
    detail, checks, errors = _common(
        fmt,
        code=l1[0:2],
        state=l1[2:5],
        name=l1[5:width],
        number=number,
        number_checked=checked,
        number_check=digit,
        nationality=l2[10:13],
        birth=l2[13:19],
        birth_check=l2[19],
        sex=l2[20],
        expiry=l2[21:27],
        expiry_check=l2[27],
        today=today,
    )
    detail["optional_data"] = optional_text(optional)
    if fmt == "TD3" and not visa:
        detail["personal_number"] = detail["optional_data"]
        checks["personal_number"] = _check(l2[28:42], l2[42])
    if not visa:
        checks["composite"] = _check(l2[0:10] + l2[13:20] + l2[21 : width - 1], l2[width - 1])
    return detail, checks, errors


def _td1(l1: str, l2: str, l3: str, today: dt.date) -> tuple[dict[str, Any], dict[str, bool], list[str]]:
    number, checked, digit, optional = _number(l1[5:14], l1[14], l1[15:30])
    detail, checks, errors = _common(
        "TD1",
        code=l1[0:2],
        state=l1[2:5],
        name=l3,
        number=number,
        number_checked=checked,
        number_check=digit,
        nationality=l2[15:18],
        birth=l2[0:6],
        birth_check=l2[6],
        sex=l2[7],
        expiry=l2[8:14],
        expiry_check=l2[14],
        today=today,
    )
    detail["optional_data"] = optional_text(optional)
    detail["optional_data_2"] = optional_text(l2[18:29])
    checks["composite"] = _check(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29], l2[29])
    return detail, checks, errors


def format_of(lines: Sequence[str]) -> str | None:
    """TD1/TD2/TD3 (MRV-A/MRV-B for a visa) from the line count and lengths, or None if they fit none."""
    for fmt, (count, width) in SHAPES.items():
        if len(lines) == count and all(len(ln) == width for ln in lines):
            if lines[0][:1] == "V" and fmt != "TD1":
                return "MRV-A" if fmt == "TD3" else "MRV-B"
            return fmt
    return None


def decode(lines: Sequence[str], *, today: dt.date) -> MrzDecode:
    """Decode MRZ lines (as `split_lines` gives them). Never raises for lines of A–Z, 0–9 and ``<``.

    `detail`: format, document_type, issuing_state, surname, given_names, document_number, nationality,
    birth_date / expiry_date (ISO dates or None), sex (M/F/X), expired, optional_data (TD1 also
    optional_data_2, TD3 also personal_number), checks {field: bool}, and error (``; ``-joined) when invalid."""
    value = "\n".join(lines)
    fmt = format_of(lines)
    if fmt is None:
        got = " and ".join(str(len(ln)) for ln in lines)
        return MrzDecode(
            None,
            False,
            value,
            {"error": f"MRZ lines must be 2×44 (TD3), 2×36 (TD2) or 3×30 (TD1) characters (got {got})"},
        )
    if fmt == "TD1":
        detail, checks, errors = _td1(lines[0], lines[1], lines[2], today)
    else:
        detail, checks, errors = _two_line("TD3" if fmt == "MRV-A" else "TD2" if fmt == "MRV-B" else fmt,
                                           lines[0], lines[1], today)
        detail["format"] = fmt
    detail["checks"] = checks
    errors = [f"{name} check digit" for name, ok in checks.items() if not ok] + errors
    if errors:
        detail["error"] = "; ".join(errors)
    return MrzDecode(fmt, not errors, value, detail)


# --- pairing lines sent one per frame ---------------------------------------------------------------------


def line_role(line: str) -> tuple[str, int] | None:
    """Where a lone MRZ line belongs, by structure: (format, 0-based line index), or None if nowhere.

    * 44 or 36 characters (TD3/MRV-A, TD2/MRV-B): the date line holds a digit in its birth-date / expiry
      positions [13:28] (the expiry date is mandatory); the name line starts with a document-code letter and
      holds no digit after its code and state. A passport number starting with "P" is still a date line.
    * 30 characters (TD1): line 2 starts with the birth date (digits or fillers [0:6]) and holds a digit in
      its expiry [8:14]; line 1 starts with a letter and holds a digit (a check digit is always there); line 3
      (the name) starts with a letter and holds none."""
    if not _MRZ_CHARS.fullmatch(line):
        return None
    if len(line) in (TD3_LINE, TD2_LINE):
        fmt = "TD3" if len(line) == TD3_LINE else "TD2"
        if _DIGITS & set(line[13:28]):
            return fmt, 1
        if line[0].isalpha() and not _DIGITS & set(line[5:]):
            return fmt, 0
        return None
    if len(line) == TD1_LINE:
        if set(line[0:6]) <= _DIGITS | {"<"} and _DIGITS & set(line[8:14]):
            return "TD1", 1
        if line[0].isalpha():
            return ("TD1", 0) if _DIGITS & set(line) else ("TD1", 2)
        return None
    return None


class LineAssembler:
    """Gathers MRZ lines sent one at a time into whole MRZs. Pure state machine (the driver owns one per port).

    `feed(line)` returns the complete lines of one MRZ, or None while more are expected; it raises
    MrzLineError for a line that fits no place (the lines held so far are dropped, except that a new first
    line replacing an unfinished MRZ is kept: the error only reports the dropped lines). `reset()` forgets."""

    def __init__(self) -> None:
        self._held: list[str] = []
        self._format: str | None = None

    @property
    def pending(self) -> int:
        """Lines held, waiting for the rest of their MRZ."""
        return len(self._held)

    def reset(self) -> None:
        self._held = []
        self._format = None

    def feed(self, line: str) -> tuple[str, ...] | None:
        role = line_role(line)
        if role is None:
            dropped = len(self._held)
            self.reset()
            note = f" ({dropped} held line(s) dropped)" if dropped else ""
            raise MrzLineError(f"line of {len(line)} characters fits no MRZ line (TD1 30, TD2 36, TD3 44){note}")
        fmt, index = role
        count = SHAPES[fmt][0]
        if index == 0:
            dropped = len(self._held)
            self._held, self._format = [line], fmt
            if dropped:
                raise MrzLineError(f"MRZ incomplete: {dropped} line(s) without the rest, replaced by a new first line")
            return None
        if self._format == fmt and len(self._held) == index:
            self._held.append(line)
            if len(self._held) == count:
                lines = tuple(self._held)
                self.reset()
                return lines
            return None
        held = len(self._held)
        self.reset()
        if not held:
            raise MrzLineError(f"{fmt} line {index + 1} without a first line")
        raise MrzLineError(f"{fmt} line {index + 1} out of order ({held} held line(s) dropped)")


__all__ = [
    "DOCUMENT_CODES",
    "SHAPES",
    "TD1_LINE",
    "TD2_LINE",
    "TD3_LINE",
    "LineAssembler",
    "MrzDecode",
    "MrzLineError",
    "decode",
    "format_of",
    "line_role",
    "names",
    "optional_text",
    "split_lines",
]
