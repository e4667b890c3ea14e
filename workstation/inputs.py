"""The one set of field parsers for every workflow: forms, CSV cells, command-line options and decoded scans.

Each parser takes the raw value and the field's key and returns a clean value, or raises `InputError` with a
code from the catalogue (workstation/domain/errors.py) and its parameters (`field`, `limit`, `value`, …), so a
screen can say what is wrong in the user's language and name the field. Nothing here touches the database.

Money: foreign amounts are `Decimal` (never float), rupiah are `int`. Rounding belongs to the rules."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Iterable
from decimal import Decimal
from typing import Any

from workstation.domain.errors import ErrorCode
from workstation.domain.jsondoc import check_text, hostile_character, hostile_text_error
from workstation.errors import InputError

_DIGITS = re.compile(r"[0-9]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_PLATE = re.compile(r"[A-Z]{1,2} ?[0-9]{1,4} ?[A-Z]{0,3}")
_SEAL = re.compile(r"[A-Z0-9-]{3,20}")
_NTPN = re.compile(r"[A-Z0-9]{16}")
_BILLING = re.compile(r"[0-9]{15}")

MAX_DIGITS = 15  # rupiah and amounts: up to 999 trillion, beyond any declaration


def _fail(code: ErrorCode, field: str, message: str | None = None, **params: Any) -> InputError:
    return InputError(message, code=code, field=field, params=params)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: Any, field: str, *, max_len: int = 200, required: bool = True) -> str:
    """One line of text with runs of white space collapsed (tabs and line breaks become one space); "" when
    empty and not required. The character policy is workstation.domain.jsondoc.hostile_character: controls,
    invisible formatting characters (zero-width, bidi overrides such as U+202E) and lone surrogates are refused.

    Raises InputError REQUIRED, TOO_LONG (limit), CONTROL_CHARACTERS, FORMAT_CHARACTERS (char)."""
    raw = str(value or "")
    found = hostile_character(raw)
    if found:
        raise hostile_text_error(found[0], found[1], field)
    out = " ".join(raw.split())
    if required and not out:
        raise _fail(ErrorCode.REQUIRED, field)
    if len(out) > max_len:
        raise _fail(ErrorCode.TOO_LONG, field, limit=max_len)
    return out


def optional_text(value: Any, field: str, *, max_len: int = 200) -> str | None:
    """Like `text`, None when empty."""
    return text(value, field, max_len=max_len, required=False) or None


def decimal(value: Any, field: str, *, positive: bool = False, places: int = 6, comma: bool = False,
            maximum: Decimal | None = None) -> Decimal:
    """A non-negative decimal from text, int or Decimal (never a float). `comma`: accept one ',' as the
    decimal separator (Indonesian writing, CSV cells); thousands separators are always refused as ambiguous.

    Raises InputError REQUIRED, FLOAT_REFUSED, NOT_A_NUMBER, NEGATIVE, NOT_POSITIVE, TOO_MANY_DECIMALS (limit),
    TOO_LARGE (limit)."""
    if isinstance(value, bool | float):
        raise _fail(ErrorCode.FLOAT_REFUSED, field)
    if _blank(value):
        raise _fail(ErrorCode.REQUIRED, field)
    if isinstance(value, int | Decimal):
        result = Decimal(value)
        if not result.is_finite():
            raise _fail(ErrorCode.NOT_A_NUMBER, field)
    else:
        raw = str(value).strip()
        if comma and raw.count(",") == 1 and "." not in raw:
            raw = raw.replace(",", ".")
        if raw.startswith("-") and re.fullmatch(r"-[0-9]+(\.[0-9]+)?", raw):
            raise _fail(ErrorCode.NEGATIVE, field)
        if not re.fullmatch(r"[0-9]+(\.[0-9]+)?", raw):
            raise _fail(ErrorCode.NOT_A_NUMBER, field, value=raw[:40])
        result = Decimal(raw)
    if result < 0:
        raise _fail(ErrorCode.NEGATIVE, field)
    if positive and result <= 0:
        raise _fail(ErrorCode.NOT_POSITIVE, field)
    exponent = result.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise _fail(ErrorCode.TOO_MANY_DECIMALS, field, limit=places)
    if result >= Decimal(10) ** MAX_DIGITS or (maximum is not None and result > maximum):
        raise _fail(ErrorCode.TOO_LARGE, field, limit=maximum if maximum is not None else "10^15")
    return result


def optional_decimal(value: Any, field: str, **kw: Any) -> Decimal | None:
    """Like `decimal`, None when empty."""
    return None if _blank(value) else decimal(value, field, **kw)


def whole(value: Any, field: str, *, maximum: int | None = None, positive: bool = False) -> int:
    """A whole number of digits only ('3.000' is three thousand in Indonesian writing, so no separators).

    Raises InputError REQUIRED, NOT_WHOLE_NUMBER, NEGATIVE, NOT_POSITIVE, TOO_LARGE (limit)."""
    if isinstance(value, bool | float):
        raise _fail(ErrorCode.NOT_WHOLE_NUMBER, field)
    if isinstance(value, int):
        result = value
    else:
        if _blank(value):
            raise _fail(ErrorCode.REQUIRED, field)
        raw = str(value).strip()
        if re.fullmatch(r"-[0-9]+", raw):
            raise _fail(ErrorCode.NEGATIVE, field)
        if not _DIGITS.fullmatch(raw) or len(raw) > MAX_DIGITS:
            raise _fail(ErrorCode.NOT_WHOLE_NUMBER, field)
        result = int(raw)
    if result < 0:
        raise _fail(ErrorCode.NEGATIVE, field)
    if positive and result == 0:
        raise _fail(ErrorCode.NOT_POSITIVE, field)
    if maximum is not None and result > maximum:
        raise _fail(ErrorCode.TOO_LARGE, field, limit=maximum)
    return result


def optional_whole(value: Any, field: str, **kw: Any) -> int | None:
    """Like `whole`, None when empty."""
    return None if _blank(value) else whole(value, field, **kw)


def rupiah(value: Any, field: str) -> int:
    """Whole rupiah (int). Text may carry 'Rp' and '.' or ',' thousands separators ('Rp 1.250.000'): rupiah
    have no decimals, so a separator can only group thousands.

    Raises InputError REQUIRED, NOT_RUPIAH, NEGATIVE."""
    if isinstance(value, bool | float | Decimal):
        raise _fail(ErrorCode.NOT_RUPIAH, field)
    if isinstance(value, int):
        if value < 0:
            raise _fail(ErrorCode.NEGATIVE, field)
        return value
    if _blank(value):
        raise _fail(ErrorCode.REQUIRED, field)
    raw = str(value).strip()
    if raw[:2].lower() == "rp":
        raw = raw[2:].strip()
    if raw.startswith("-"):
        raise _fail(ErrorCode.NEGATIVE, field)
    if not re.fullmatch(r"[0-9]{1,3}([.,][0-9]{3})*|[0-9]+", raw):
        raise _fail(ErrorCode.NOT_RUPIAH, field)
    digits = raw.replace(".", "").replace(",", "")
    if len(digits) > MAX_DIGITS:
        raise _fail(ErrorCode.TOO_LARGE, field, limit="10^15")
    return int(digits)


def date(value: Any, field: str) -> dt.date:
    """A calendar date from a `date` or 'YYYY-MM-DD'. Raises InputError REQUIRED, DATE_FORMAT, NOT_A_DATE."""
    if isinstance(value, dt.datetime):
        raise _fail(ErrorCode.DATE_FORMAT, field)
    if isinstance(value, dt.date):
        return value
    if _blank(value):
        raise _fail(ErrorCode.REQUIRED, field)
    raw = str(value).strip()
    if not _DATE.fullmatch(raw):
        raise _fail(ErrorCode.DATE_FORMAT, field)
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise _fail(ErrorCode.NOT_A_DATE, field, value=raw) from None


def optional_date(value: Any, field: str) -> dt.date | None:
    """Like `date`, None when empty."""
    return None if _blank(value) else date(value, field)


def currency(value: Any, field: str) -> str:
    """An ISO 4217 code, upper-cased. Raises InputError CURRENCY_CODE."""
    raw = str(value or "").strip().upper()
    if not _CURRENCY.fullmatch(raw):
        raise _fail(ErrorCode.CURRENCY_CODE, field)
    return raw


def hs_code(value: Any, field: str, *, lengths: Collection[int] = (8, 10), required: bool = True) -> str | None:
    """An HS code of one of `lengths` digits, dots and spaces removed ('8471.30.00' → '84713000'). The tariff
    post's length comes from the rule set (BTKI 2022: 8 digits). None when empty and not required.

    Raises InputError REQUIRED, HS_CODE (lengths)."""
    raw = "".join(str(value or "").replace(".", "").split())
    if not raw:
        if required:
            raise _fail(ErrorCode.REQUIRED, field)
        return None
    if not _DIGITS.fullmatch(raw) or len(raw) not in lengths:
        raise _fail(ErrorCode.HS_CODE, field, lengths=" or ".join(str(n) for n in sorted(lengths)))
    return raw


def npwp(value: Any, field: str) -> str:
    """An NPWP as its digits: 15 (the old form) or 16 (NIK-based, since 2024), punctuation removed; the
    15-digit form is checked by its check digit (python-stdnum). Raises InputError NPWP."""
    from stdnum.id import npwp as stdnum_npwp  # imported on use: start-up does not need it

    raw = "".join(ch for ch in str(value or "") if ch.isalnum())
    if not _DIGITS.fullmatch(raw) or len(raw) not in (15, 16):
        raise _fail(ErrorCode.NPWP, field)
    if len(raw) == 15 and not stdnum_npwp.is_valid(raw):
        raise _fail(ErrorCode.NPWP, field)
    return raw


# the one normaliser of container numbers lives in the domain (rules and the scan decoder use it too)
from workstation.domain.identifiers import container_marking as container_marking  # noqa: E402


def container_number(value: Any, field: str) -> str:
    """An ISO 6346 container number with a correct check digit ('CSQU 305438-3', 'tolu 473478 7' →
    'CSQU3054383', 'TOLU4734787'; see `container_marking`), checked with python-stdnum. Raises InputError
    REQUIRED, CONTAINER_NUMBER (value)."""
    from stdnum import iso6346

    raw = container_marking(value)
    if not raw:
        raise _fail(ErrorCode.REQUIRED, field)
    if not iso6346.is_valid(raw) or raw[3] not in "UJZ":
        raise _fail(ErrorCode.CONTAINER_NUMBER, field, value=raw[:32])
    return raw


def container_numbers(values: Iterable[Any], field: str) -> list[str]:
    """Several container numbers, each checked, none twice. Raises InputError CONTAINER_NUMBER (the field is
    `field[n]`), DUPLICATE_VALUE."""
    out: list[str] = []
    for n, v in enumerate(x for x in values if not _blank(x)):
        number = container_number(v, f"{field}[{n}]")
        if number in out:
            raise _fail(ErrorCode.DUPLICATE_VALUE, field, value=number)
        out.append(number)
    return out


def truck_plate(value: Any, field: str = "truck_plate") -> str:
    """An Indonesian plate like 'B 1234 XYZ', upper-cased, spaces normalised. Raises InputError TRUCK_PLATE."""
    plate = " ".join(str(value or "").upper().split())
    if not _PLATE.fullmatch(plate):
        raise _fail(ErrorCode.TRUCK_PLATE, field)
    return plate


def seals(value: Iterable[str] | str, field: str = "seals") -> list[str]:
    """Seal numbers, from a list or a comma-separated string; blanks skipped. Raises InputError SEAL_NUMBER."""
    items = value.split(",") if isinstance(value, str) else value
    out = []
    for seal in items:
        seal = str(seal or "").strip().upper()
        if not seal:
            continue
        if not _SEAL.fullmatch(seal):
            raise _fail(ErrorCode.SEAL_NUMBER, field, value=seal[:40])
        out.append(seal)
    return out


def ntpn(value: Any, field: str = "ntpn") -> str:
    """The state-revenue transaction number (NTPN) of a payment: 16 letters or digits. Raises InputError NTPN."""
    raw = str(value or "").strip().upper()
    if not _NTPN.fullmatch(raw):
        raise _fail(ErrorCode.NTPN, field)
    return raw


def billing_code(value: Any, field: str = "billing_code") -> str:
    """A billing code (kode billing): 15 digits. Raises InputError BILLING_CODE."""
    raw = "".join(str(value or "").split())
    if not _BILLING.fullmatch(raw):
        raise _fail(ErrorCode.BILLING_CODE, field)
    return raw


def choice(value: Any, field: str, options: Collection[str], *, upper: bool = True) -> str:
    """One of `options` (compared upper-cased unless `upper` is False). Raises InputError NOT_ONE_OF (options)."""
    raw = str(value or "").strip()
    if upper:
        raw = raw.upper()
    if raw not in options:
        raise _fail(ErrorCode.NOT_ONE_OF, field, options=", ".join(options))
    return raw


def pattern(value: Any, field: str, regex: str | re.Pattern[str], *, example: str, upper: bool = True) -> str:
    """Text that matches `regex` whole (after trimming, upper-cased unless `upper` is False); the refusal shows
    `example`. Raises InputError REQUIRED, PATTERN (example)."""
    raw = str(value or "").strip()
    if upper:
        raw = raw.upper()
    if not raw:
        raise _fail(ErrorCode.REQUIRED, field)
    if not re.fullmatch(regex, raw):
        raise _fail(ErrorCode.PATTERN, field, example=example)
    return raw


def version(value: Any) -> int:
    """The case version a screen showed (optimistic locking). Raises InputError VERSION_REQUIRED."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(ErrorCode.VERSION_REQUIRED, "version")
    return value



# --- searches -------------------------------------------------------------------------------------------------
LIKE_ESCAPE = "\\"


def search(value: Any, field: str = "search", *, max_len: int = 100) -> str:
    """A search field: like `text` (same character policy, one line, trimmed), "" when empty.
    Raises InputError TOO_LONG, CONTROL_CHARACTERS, FORMAT_CHARACTERS."""
    return text(value, field, max_len=max_len, required=False)


def like_pattern(value: str, *, match: str = "contains") -> tuple[str, str]:
    """(pattern, escape) for `column.ilike(pattern, escape=escape)` that finds `value` literally: '%', '_' and
    the escape character itself lose their wildcard meaning ('%%' finds a name with two percent signs, not
    everyone). `match`: "contains", "prefix" or "exact". Same on SQLite and PostgreSQL."""
    body = value.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")
    if match == "contains":
        return f"%{body}%", LIKE_ESCAPE
    if match == "prefix":
        return f"{body}%", LIKE_ESCAPE
    if match == "exact":
        return body, LIKE_ESCAPE
    raise ValueError(f"unknown match {match!r}")


# --- files and command-line arguments -----------------------------------------------------------------------
# The most any one file of each kind may hold; a larger one (or /dev/urandom) is refused unread, not read whole.
FILE_LIMITS = {
    "json": 8 * 1024 * 1024,  # ecd/1, pib/1, plp/1 (a PIB of 1,000 items is under 1 MB)
    "csv": 32 * 1024 * 1024,  # rates, tariff book (BTKI: ~11,000 posts), lartas, manifests, TPS registry
    "script": 1024 * 1024,  # device simulator scripts
    "text": 1024 * 1024,  # a password, a scan read from stdin
    "bundle": 256 * 1024 * 1024,  # a field unit's sync bundle (100,000 changes are about 100 MB)
}
MAX_CSV_LINE = 64 * 1024  # no CSV line of ours is near this; csv.reader refuses fields over 128 KB
MAX_ARGUMENT = 255  # a path or a name on the command line (PATH_MAX aside, nothing of ours is longer)


def short(value: Any, limit: int = 120) -> str:
    """`value` as text of at most `limit` characters, for naming it in a message: a longer one keeps its
    start and its end (a path's file name) around '…'."""
    raw = str(value)
    if len(raw) <= limit:
        return raw
    head = limit // 4
    return raw[:head] + "…" + raw[len(raw) - (limit - head - 1):]


def argument(value: Any, field: str, *, max_len: int = MAX_ARGUMENT) -> str:
    """A command-line argument (a document number, a login, a path): same character policy, no tabs or line
    breaks, at most `max_len` characters. Raises InputError REQUIRED, TOO_LONG, CONTROL_CHARACTERS,
    FORMAT_CHARACTERS."""
    raw = str(value or "")
    if not raw.strip():
        raise _fail(ErrorCode.REQUIRED, field)
    check_text(raw, field, line_breaks=False)
    if len(raw) > max_len:
        raise _fail(ErrorCode.TOO_LONG, field, limit=max_len)
    return raw


def read_file(path: str, field: str | None = None, *, kind: str = "json", stdin: Any = None) -> bytes:
    """The bytes of file `path` ('-': standard input), at most FILE_LIMITS[kind] bytes (read no further).
    The error names `field`, else the path (shortened). Raises InputError TOO_LONG / CONTROL_CHARACTERS (the
    path itself), FILE_UNREADABLE (reason: missing, a directory, permission, name too long), FILE_TOO_LARGE."""
    import sys

    limit = FILE_LIMITS[kind]
    name = field or short(path)
    argument(path, name, max_len=4096)
    try:
        if path == "-":
            # the byte stream; a text stream when sys.stdin was replaced (tests, embedding); none when closed
            source = stdin or getattr(sys.stdin, "buffer", None) or sys.stdin
            if source is None:
                raise _fail(ErrorCode.REQUIRED, name, "no standard input to read")
            got = source.read(limit + 1)
            data = got.encode("utf-8", "surrogatepass") if isinstance(got, str) else bytes(got)
        else:
            with open(path, "rb") as fh:
                data = fh.read(limit + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError(f"cannot read: {reason}", code=ErrorCode.FILE_UNREADABLE, field=name,
                         params={"reason": reason}) from None
    if len(data) > limit:
        raise InputError(code=ErrorCode.FILE_TOO_LARGE, field=name, params={"limit": f"{limit // 1024} KB"})
    return data


def read_text_file(path: str, field: str | None = None, *, kind: str = "csv") -> str:
    """`read_file` decoded as UTF-8 (a BOM dropped; UTF-16 and bad bytes refused, NOT_UTF8), every line put
    through the character policy (tabs allowed: CSV cells are checked again by their parsers)."""
    from workstation.domain.jsondoc import decode_utf8

    name = field or short(path)
    # Line ends normalised: CR LF and a lone CR (old Mac exports) become LF, so a CSV reader never meets a
    # bare CR inside an unquoted field.
    body = decode_utf8(read_file(path, name, kind=kind), source=name).replace("\r\n", "\n").replace("\r", "\n")
    found = hostile_character(body.replace("\t", " "))
    if found:
        at = body[: body.index(chr(int(found[1][2:], 16)))].count("\n") + 1
        raise hostile_text_error(found[0], found[1], f"{name}:{at}")
    if kind == "csv" and len(body) > MAX_CSV_LINE:
        for n, line in enumerate(body.split("\n"), 1):
            if len(line) > MAX_CSV_LINE:  # the csv module refuses fields over 128 KB with csv.Error
                raise InputError(f"line longer than {MAX_CSV_LINE} characters", code=ErrorCode.INVALID_CSV,
                                 field=f"{name}:{n}", params={"reason": f"line longer than {MAX_CSV_LINE} characters"})
    return body


def one_line(message: Any, limit: int = 400) -> str:
    """`message` made safe to print as ONE terminal line: line breaks, tabs, controls, invisible formatting
    characters and lone surrogates shown as escapes (\\n, \\x1b, \\u202e), cut to `limit` characters."""
    out = []
    for ch in str(message):
        if ch.isprintable():  # False for controls, format characters (Cf), surrogates, unassigned
            out.append(ch)
        elif ch in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    line = "".join(out)
    return line if len(line) <= limit else line[: limit - 1] + "…"



_NIP = re.compile(r"[0-9]{18}")


def nip(value: Any, field: str = "nip", *, required: bool = False) -> str:
    """A civil servant's NIP: 18 digits; the spaces of its printed form (19800501 200501 1 001) are dropped.
    "" when blank and not required. Raises InputError REQUIRED, NIP (naming `field`)."""
    if _blank(value):
        if required:
            raise _fail(ErrorCode.REQUIRED, field)
        return ""
    digits = str(value).replace(" ", "")
    if not _NIP.fullmatch(digits):
        raise _fail(ErrorCode.NIP, field, value=str(value)[:40])
    return digits
