"""Exchange rates (NDPBM, nilai dasar penghitungan bea masuk) as the Ministry of Finance publishes them, read
into the rows of the workstation's rates table (workstation.rules.rates.RateRow, CONTRACTS.md "Exchange rates
file"). `detect` tells the three formats `rates import` reads apart by their content:

* ``csv``    the workstation's own: header `currency,rate_idr,valid_from,valid_to` (rules/rates.py).
* ``nle``    the NLE kurs API (`GET /openapi/kurs/{kodeValuta}`, nlehub.kemenkeu.go.id): a JSON response
             `{"status", "message", "data": [{"kodeValuta": "USD", "nilaiKurs": "15109",
             "tglAwalBerlaku": "2023-01-25", "tglAkhirBerlaku": "2023-01-31", …}]}` — or a JSON array of such
             responses (one call per currency) or of their `data` items. `nilaiKurs` is a decimal string or a
             JSON number, read from its text (never a float); dates YYYY-MM-DD (dd-MM-yyyy accepted).
* ``kmk``    the weekly decree table (lampiran of the Keputusan Menteri Keuangan on the NDPBM) as text copied
             from it: a period line `Berlaku 26-11-2026 s.d. 02-12-2026` (or `berlaku tanggal 26 November 2026
             sampai dengan 2 Desember 2026`), then one row per currency — cells separated by `;`, tabs or `|`
             (or spaces): [no] [name] code value, the value in Indonesian writing (`16.416,00`: '.' groups
             thousands, ',' before the decimals). Several weeks may follow one another in one file. Each period
             must run Wednesday to Tuesday. Lines starting with '#' and the table's heading are skipped.

JPY is quoted per 100 yen in both Ministry formats, as in the decree and the workstation's table (db.models
ExchangeRate, rules/rates.py QUOTE_UNITS): the value is stored as quoted. A JPY value under 1,000 rupiah cannot
be per 100 yen (it has been above 8,000 for decades) and is refused rather than stored 100 times too small
[U: a plausibility guard, not a rule figure].

In both Ministry formats, each currency's periods must follow one another: overlapping and missing weeks are
all named in one InputError RATE_WEEKS (rules/rates.py `check_weeks`), and nothing is stored."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from workstation.domain.errors import ErrorCode, InputError
from workstation.domain.jsondoc import MAX_JSON_NUMBER_CHARS, load_json
from workstation.rules.rates import HEADER, RateRow, check_decree_week, check_weeks, quote_units

CSV = "csv"
NLE = "nle"
KMK = "kmk"
FORMAT_NAMES = {CSV: "NDPBM CSV", NLE: "NLE kurs JSON", KMK: "weekly decree table (KMK)"}

# Lowest plausible JPY quote per 100 yen, rupiah (see the module docstring).
JPY_PER_100_FLOOR = Decimal(1000)

_MONTHS = {"januari": 1, "februari": 2, "maret": 3, "april": 4, "mei": 5, "juni": 6, "juli": 7, "agustus": 8,
           "september": 9, "oktober": 10, "november": 11, "desember": 12}
_PERIOD_RE = re.compile(r"^\s*(?:masa\s+)?berlaku\b", re.IGNORECASE)
_DATE_TEXT = r"[0-9]{1,2}(?:[-/.][0-9]{1,2}[-/.]|\s+[A-Za-z]+\s+)[0-9]{4}"
_PERIOD_DATES_RE = re.compile(rf"({_DATE_TEXT})\s*(?:s\.?\s*/?\s*d\.?|sampai\s+dengan|hingga|-|–)\s*({_DATE_TEXT})",
                              re.IGNORECASE)
_ID_NUMBER_RE = re.compile(r"(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,[0-9]{1,6})?")
_PLAIN_NUMBER_RE = re.compile(r"[0-9]{1,15}(?:\.[0-9]{1,6})?")
_CODE_RE = re.compile(r"\(?([A-Z]{3})\)?")
_ISO_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DMY_RE = re.compile(r"([0-9]{2})-([0-9]{2})-([0-9]{4})")


def detect(text: str) -> str:
    """CSV, NLE or KMK for the text of a rates file. Raises InputError INVALID_DOCUMENT naming the three."""
    body = text.lstrip("\ufeff").lstrip()
    if body.startswith(("{", "[")):
        return NLE
    first = next((line for line in body.splitlines() if line.strip()), "")
    if tuple(c.strip() for c in first.split(",")) == HEADER:
        return CSV
    if any(_PERIOD_RE.match(line) for line in body.splitlines()):
        return KMK
    reason = ("not a rates file: expected the NDPBM CSV (header currency,rate_idr,valid_from,valid_to), the NLE "
              "kurs JSON, or the weekly decree table (a line 'Berlaku 26-11-2026 s.d. 02-12-2026' and rows like "
              "'USD;16.416,00')")
    raise InputError(reason, code=ErrorCode.INVALID_DOCUMENT, field="file", params={"reason": reason})


def indonesian_decimal(value: str, field: str) -> Decimal:
    """'16.416,00' → Decimal('16416.00'): '.' groups thousands, ',' starts the decimals (at most 6); no float.
    Raises InputError NOT_A_NUMBER naming `field` (an English-written '16,416.00' included: ambiguous)."""
    raw = value.strip()
    if not _ID_NUMBER_RE.fullmatch(raw):
        raise InputError(f"{raw[:40]!r} is not a number written like 16.416,00", code=ErrorCode.NOT_A_NUMBER,
                         field=field, params={"value": raw[:40]})
    return Decimal(raw.replace(".", "").replace(",", "."))


def _fail(message: str, field: str) -> InputError:
    return InputError(message, code=ErrorCode.INVALID_DOCUMENT, field=field, params={"reason": message})


def _rate(currency: str, value: Decimal, field: str) -> Decimal:
    if not value.is_finite() or value <= 0:
        raise InputError("rate must be greater than zero", code=ErrorCode.NOT_POSITIVE, field=field)
    if quote_units(currency) == 100 and value < JPY_PER_100_FLOOR:
        raise _fail(f"{currency} is quoted per 100 units (KMK); {value} looks like a rate per 1", field)
    return value


def _check_all(rows: list[RateRow], labels: list[str], source: str) -> tuple[list[RateRow], list[str]]:
    if not rows:
        raise _fail("no rates in the file", source)
    check_weeks(rows, labels, source=source)
    return rows, labels


# --- NLE kurs API JSON --------------------------------------------------------------------------------------------
def _decimal_hook(digits: str) -> Decimal:
    if len(digits) > MAX_JSON_NUMBER_CHARS:
        raise ValueError(f"a number of {len(digits)} characters (at most {MAX_JSON_NUMBER_CHARS})")
    return Decimal(digits)


def _api_date(value: Any, field: str) -> dt.date:
    text = value.strip()[:10] if isinstance(value, str) else ""
    m = _ISO_DATE_RE.fullmatch(text)
    d = _DMY_RE.fullmatch(text)
    try:
        if m:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if d:
            return dt.date(int(d[3]), int(d[2]), int(d[1]))
    except ValueError:
        raise InputError(code=ErrorCode.NOT_A_DATE, field=field, params={"value": text}) from None
    raise InputError("date must be YYYY-MM-DD", code=ErrorCode.DATE_FORMAT, field=field)


def _api_rate(value: Any, field: str) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise InputError(code=ErrorCode.NOT_A_NUMBER, field=field)
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, str):
        raw = value.strip()
        if _PLAIN_NUMBER_RE.fullmatch(raw):
            return Decimal(raw)
        if "," in raw:
            return indonesian_decimal(raw, field)
    raise InputError(code=ErrorCode.NOT_A_NUMBER, field=field, params={"value": str(value)[:40]})


def _items(raw: Any, source: str) -> list[tuple[str, Any]]:
    """The rate items of an NLE answer, with their JSON paths."""
    def of_response(resp: dict[str, Any], path: str) -> list[tuple[str, Any]]:
        status = resp.get("status")
        if status is False or (isinstance(status, str) and status.strip().lower() in ("false", "error", "failed")):
            raise _fail(f"the API answered status {status!r}: {str(resp.get('message'))[:80]}", f"{source}:{path}status")
        data = resp.get("data")
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list):
            raise _fail("data must be a JSON array of rates", f"{source}:{path}data")
        return [(f"{path}data[{i}]", item) for i, item in enumerate(data)]

    if isinstance(raw, dict):
        return of_response(raw, "") if "data" in raw else [("$", raw)]
    if isinstance(raw, list):
        out: list[tuple[str, Any]] = []
        for i, entry in enumerate(raw):
            if isinstance(entry, dict) and "data" in entry:
                out.extend(of_response(entry, f"[{i}]."))
            else:
                out.append((f"[{i}]", entry))
        return out
    raise _fail("must be a JSON object or array", source)


def parse_nle(text: str, *, source: str = "rates") -> tuple[list[RateRow], list[str]]:
    """Rows of an NLE kurs JSON (module docstring) with their labels (JSON paths), weeks checked.
    Raises InputError naming `source:path.field`: INVALID_JSON, INVALID_DOCUMENT, CURRENCY_CODE, NOT_A_NUMBER,
    DATE_FORMAT, NOT_A_DATE, RATE_WEEKS."""
    raw = load_json(text, source=source, parse_float=_decimal_hook)
    rows: list[RateRow] = []
    labels: list[str] = []
    for path, item in _items(raw, source):
        where = f"{source}:{path}"
        if not isinstance(item, dict):
            raise _fail("a rate must be a JSON object", where)
        for key in ("kodeValuta", "nilaiKurs", "tglAwalBerlaku"):
            if item.get(key) in (None, ""):
                raise InputError(code=ErrorCode.REQUIRED, field=f"{where}.{key}")
        currency = str(item["kodeValuta"]).strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise InputError(code=ErrorCode.CURRENCY_CODE, field=f"{where}.kodeValuta")
        rate = _rate(currency, _api_rate(item["nilaiKurs"], f"{where}.nilaiKurs"), f"{where}.nilaiKurs")
        start = _api_date(item["tglAwalBerlaku"], f"{where}.tglAwalBerlaku")
        end_raw = item.get("tglAkhirBerlaku")
        end = None if end_raw in (None, "") else _api_date(end_raw, f"{where}.tglAkhirBerlaku")
        if end is not None and end < start:
            raise InputError("tglAkhirBerlaku is before tglAwalBerlaku", code=ErrorCode.INVALID_VALUE,
                             field=f"{where}.tglAkhirBerlaku")
        rows.append(RateRow(currency, rate, start, end))
        labels.append(path)
    return _check_all(rows, labels, source)


# --- the weekly decree table --------------------------------------------------------------------------------------
def _decree_date(text: str, field: str) -> dt.date:
    parts = re.split(r"[-/.\s]+", text.strip())
    try:
        day, month_text, year = int(parts[0]), parts[1], int(parts[2])
        month = int(month_text) if month_text.isdigit() else _MONTHS[month_text.lower()]
        return dt.date(year, month, day)
    except (IndexError, KeyError, ValueError):
        raise InputError(f"not a date: {text!r}", code=ErrorCode.NOT_A_DATE, field=field,
                         params={"value": text[:40]}) from None


def _cells(line: str) -> list[str]:
    for sep in (";", "\t", "|"):
        if sep in line:
            return [c.strip() for c in line.split(sep) if c.strip()]
    return line.split()


def _is_heading(cells: Iterable[str]) -> bool:
    words = " ".join(cells).lower()
    return any(w in words for w in ("mata uang", "kode", "nilai", "valuta", "simbol")) and not any(
        _ID_NUMBER_RE.fullmatch(c) and "," in c for c in cells)


def parse_decree(text: str, *, source: str = "rates") -> tuple[list[RateRow], list[str]]:
    """Rows of the weekly decree table (module docstring), labelled `line N`, each period checked to run
    Wednesday to Tuesday, and the weeks of every currency checked. Raises InputError naming `source:line N`:
    INVALID_DOCUMENT, NOT_A_DATE, NOT_A_NUMBER, RATE_WEEK, RATE_WEEKS."""
    rows: list[RateRow] = []
    labels: list[str] = []
    period: tuple[dt.date, dt.date] | None = None
    for n, line in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        where = f"{source}:line {n}"
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if _PERIOD_RE.match(stripped):
            m = _PERIOD_DATES_RE.search(stripped)
            if m is None:
                raise _fail("period line must read 'Berlaku 26-11-2026 s.d. 02-12-2026'", where)
            start, end = _decree_date(m[1], where), _decree_date(m[2], where)
            check_decree_week(start, end, where)
            period = (start, end)
            continue
        cells = _cells(stripped)
        code_at = next((i for i in range(len(cells) - 2, -1, -1) if _CODE_RE.fullmatch(cells[i])), None)
        if code_at is None or len(cells) < 2:
            if _is_heading(cells):
                continue
            raise _fail("not a rate row: expected [no;] [name;] code; value like 'USD;16.416,00'", where)
        if period is None:
            raise _fail("a rate before any period line ('Berlaku 26-11-2026 s.d. 02-12-2026')", where)
        m_code = _CODE_RE.fullmatch(cells[code_at])
        assert m_code is not None
        currency = m_code[1]
        value = indonesian_decimal(cells[-1], f"{where}:value")
        rows.append(RateRow(currency, _rate(currency, value, f"{where}:value"), period[0], period[1]))
        labels.append(f"line {n}")
    return _check_all(rows, labels, source)


# --- the way into the rates table ---------------------------------------------------------------------------------
def parse_ministry(text: str, *, source: str = "rates") -> tuple[str, list[RateRow], list[str]]:
    """(format, rows, labels) of a Ministry rates file (NLE or KMK, detected). Raises InputError as
    `detect`, `parse_nle`, `parse_decree`; a CSV is not a Ministry format (INVALID_DOCUMENT)."""
    fmt = detect(text)
    if fmt == NLE:
        return fmt, *parse_nle(text, source=source)
    if fmt == KMK:
        return fmt, *parse_decree(text, source=source)
    raise _fail("the NDPBM CSV is read by rules/rates.py", source)


def rates_csv(rows: Iterable[RateRow]) -> str:
    """The NDPBM CSV (CONTRACTS.md) of `rows`: what the reference service stores. Rates written exactly."""
    lines = [",".join(HEADER)]
    for r in rows:
        lines.append(f"{r.currency},{format(r.rate_idr, 'f')},{r.valid_from.isoformat()},"
                     f"{'' if r.valid_to is None else r.valid_to.isoformat()}")
    return "\n".join(lines) + "\n"


__all__ = ["CSV", "FORMAT_NAMES", "KMK", "NLE", "detect", "indonesian_decimal", "parse_decree", "parse_ministry",
           "parse_nle", "rates_csv"]
