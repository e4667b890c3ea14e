"""NDPBM exchange-rate table (CONTRACTS.md "Exchange rates file").

CSV with the header `currency,rate_idr,valid_from,valid_to`; dates are ISO and inclusive; an empty
`valid_to` means "until further notice". `rate_idr` is rupiah per ONE unit, except the currencies the
Minister's decree quotes per 100 units (JPY) — a property of the file format, not a rule figure.
`RateTable.rate()` always answers per ONE unit. IDR needs no row: its rate is 1.

The Ministry publishes the rates weekly (Keputusan Menteri Keuangan on the NDPBM, valid Wednesday to the
next Tuesday); its own formats are read by workstation/formats/kurs.py, which checks the weeks here:
`check_decree_week` (one period) and `check_weeks` (every currency's weeks follow each other, none missing,
none overlapping).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

from workstation.domain.errors import ErrorCode, InputError

HEADER = ("currency", "rate_idr", "valid_from", "valid_to")

# How many units the quoted rate is for (KMK NDPBM quotes JPY per 100 yen). Format contract, not a rule figure,
# and the ONE place it is said: every workflow converts through `RateTable.rate` / `quote_units`.
QUOTE_UNITS: dict[str, int] = {"JPY": 100}


def quote_units(currency: str) -> int:
    """How many units of `currency` one quoted NDPBM rate is for (100 for JPY, else 1)."""
    return QUOTE_UNITS.get(currency, 1)

_CURRENCY_RE = re.compile(r"[A-Z]{3}")
_RATE_RE = re.compile(r"(?:0|[1-9][0-9]{0,14})(?:\.[0-9]{1,6})?")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class RateRow:
    """One rate as quoted (JPY per 100 yen), as stored in the file or the database."""

    currency: str
    rate_idr: Decimal
    valid_from: dt.date
    valid_to: dt.date | None  # None: open-ended

    @property
    def per_unit(self) -> Decimal:
        return self.rate_idr / quote_units(self.currency)


class RateTable:
    """Rates by currency and day. Overlapping periods for one currency are refused at construction."""

    __slots__ = ("_by_currency", "_cache", "_rows")

    def __init__(self, rows: Iterable[RateRow], *, labels: Iterable[str] | None = None, source: str = "rates"):
        rows = list(rows)
        names = list(labels) if labels is not None else [f"row {i + 1}" for i in range(len(rows))]
        grouped: dict[str, list[tuple[RateRow, str]]] = {}
        for row, label in zip(rows, names, strict=True):
            _check_row(row, label, source)
            if row.currency == "IDR":
                continue  # identity rate, validated by _check_row
            grouped.setdefault(row.currency, []).append((row, label))
        by_currency: dict[str, tuple[list[dt.date], list[RateRow]]] = {}
        for cur, items in grouped.items():
            items.sort(key=lambda it: it[0].valid_from)
            for (a, la), (b, lb) in pairwise(items):
                if a.valid_to is None or a.valid_to >= b.valid_from:
                    raise InputError(
                        template="{currency} periods overlap ({first} and {second})",
                        code=ErrorCode.INVALID_VALUE, field=f"{source}:{lb}:valid_from",
                        params={"currency": cur, "first": la, "second": lb},
                    )
            by_currency[cur] = ([r.valid_from for r, _ in items], [r for r, _ in items])
        self._rows = tuple(rows)
        self._by_currency = by_currency
        self._cache: dict[tuple[str, dt.date], Decimal] = {}

    # -- constructors -----------------------------------------------------------------------------------
    @classmethod
    def from_rows(cls, rows: Iterable[RateRow | tuple[str, Decimal, dt.date, dt.date | None]]) -> RateTable:
        """From stored rates (quoted as in the file: JPY per 100). Tuples are (currency, rate_idr, from, to)."""
        return cls(r if isinstance(r, RateRow) else RateRow(*r) for r in rows)

    @classmethod
    def from_csv_text(cls, text: str, *, source: str = "rates") -> RateTable:
        rows, labels = parse_rates_csv(text, source=source)
        return cls(rows, labels=labels, source=source)

    @classmethod
    def from_csv_file(cls, path: str | Path) -> RateTable:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise InputError(code=ErrorCode.FILE_UNREADABLE, field=str(path),
                             params={"reason": exc.strerror or str(exc)}) from None
        except UnicodeDecodeError:
            raise InputError(code=ErrorCode.NOT_UTF8, field=str(path)) from None
        return cls.from_csv_text(text, source=path.name)

    # -- queries ----------------------------------------------------------------------------------------
    @property
    def rows(self) -> tuple[RateRow, ...]:
        return self._rows

    def currencies(self) -> list[str]:
        return sorted(self._by_currency)

    def rate(self, currency: str, day: dt.date) -> Decimal:
        """Rupiah per ONE unit of `currency` on `day` (JPY already divided by 100)."""
        key = (currency, day)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        if currency == "IDR":
            return _ONE
        found = self._by_currency.get(currency)
        if found is not None:
            starts, rows = found
            i = bisect_right(starts, day) - 1
            valid_to = rows[i].valid_to if i >= 0 else day
            if i >= 0 and (valid_to is None or day <= valid_to):
                value = rows[i].per_unit
                self._cache[key] = value
                return value
        raise InputError(f"no NDPBM rate for {currency} on {day.isoformat()}", field="currency",
                         code=ErrorCode.NO_RATE, params={"currency": currency, "day": day.isoformat()})

    def quoted(self, currency: str, day: dt.date) -> Decimal:
        """The NDPBM as the decree quotes it (JPY per 100 yen, others per one unit), rupiah. InputError NO_RATE
        as `rate`. For comparing with a declared NDPBM, which is written as quoted."""
        return self.rate(currency, day) * quote_units(currency)

    def has_rate(self, currency: str, day: dt.date) -> bool:
        try:
            self.rate(currency, day)
        except InputError:
            return False
        return True


# The decree's week: from a Wednesday to the Tuesday after (KMK NDPBM, issued weekly). Format fact, not a figure.
DECREE_WEEK_START = 2  # date.weekday(): Monday 0 … Wednesday 2
DECREE_WEEK_DAYS = 7


def check_decree_week(valid_from: dt.date, valid_to: dt.date, where: str) -> None:
    """Raises InputError RATE_WEEK (start, end) naming `where` unless the period runs from a Wednesday to the
    Tuesday after, both inclusive."""
    if valid_from.weekday() != DECREE_WEEK_START or (valid_to - valid_from).days != DECREE_WEEK_DAYS - 1:
        raise InputError(code=ErrorCode.RATE_WEEK, field=where,
                         params={"start": valid_from.isoformat(), "end": valid_to.isoformat()})


def week_problems(rows: Iterable[RateRow], labels: Iterable[str]) -> list[str]:
    """Every overlap and every missing stretch between the periods of each currency, as sentences naming the
    currency, the days and the rows (`labels`), currencies in alphabetical order. Empty when each currency's
    periods follow one another day after day."""
    grouped: dict[str, list[tuple[RateRow, str]]] = {}
    for row, label in zip(rows, labels, strict=True):
        grouped.setdefault(row.currency, []).append((row, label))
    out: list[str] = []
    for cur in sorted(grouped):
        items = sorted(grouped[cur], key=lambda it: it[0].valid_from)
        for (a, la), (b, lb) in pairwise(items):
            if a.valid_to is None or b.valid_from <= a.valid_to:
                end = "open" if a.valid_to is None else a.valid_to.isoformat()
                out.append(f"{cur}: {a.valid_from.isoformat()}..{end} ({la}) and {b.valid_from.isoformat()}.."
                           f"{'open' if b.valid_to is None else b.valid_to.isoformat()} ({lb}) overlap")
            elif (b.valid_from - a.valid_to).days > 1:
                start, stop = a.valid_to + dt.timedelta(days=1), b.valid_from - dt.timedelta(days=1)
                out.append(f"{cur}: no rate from {start.isoformat()} to {stop.isoformat()} (missing week between "
                           f"{la} and {lb})")
    return out


def check_weeks(rows: Iterable[RateRow], labels: Iterable[str], *, source: str = "rates", limit: int = 20) -> None:
    """Raises InputError RATE_WEEKS naming every overlapping and missing week (`week_problems`, the first
    `limit` of them and how many more) — so one run of the import tells the whole of what is wrong."""
    problems = week_problems(rows, labels)
    if problems:
        shown = "; ".join(problems[:limit]) + (f"; and {len(problems) - limit} more" if len(problems) > limit else "")
        raise InputError(shown, code=ErrorCode.RATE_WEEKS, field=source, params={"reason": shown})


def _check_row(row: RateRow, label: str, source: str) -> None:
    if not isinstance(row.currency, str) or not _CURRENCY_RE.fullmatch(row.currency):
        raise InputError("currency must be three capital letters (ISO 4217)", code=ErrorCode.CURRENCY_CODE, field=f"{source}:{label}:currency")
    if not isinstance(row.rate_idr, Decimal) or not row.rate_idr.is_finite() or row.rate_idr <= 0:
        raise InputError("rate must be a positive decimal", code=ErrorCode.INVALID_VALUE, field=f"{source}:{label}:rate_idr")
    if row.currency == "IDR" and row.rate_idr != 1:
        raise InputError("IDR rate can only be 1", code=ErrorCode.INVALID_VALUE, field=f"{source}:{label}:rate_idr")
    if not isinstance(row.valid_from, dt.date) or isinstance(row.valid_from, dt.datetime):
        raise InputError("must be a date", code=ErrorCode.NOT_A_DATE, field=f"{source}:{label}:valid_from")
    if row.valid_to is not None:
        if not isinstance(row.valid_to, dt.date) or isinstance(row.valid_to, dt.datetime):
            raise InputError("must be a date", code=ErrorCode.NOT_A_DATE, field=f"{source}:{label}:valid_to")
        if row.valid_to < row.valid_from:
            raise InputError("valid_to is before valid_from", code=ErrorCode.INVALID_VALUE, field=f"{source}:{label}:valid_to")


def _date(text: str, where: str) -> dt.date:
    text = text.strip()
    if not _DATE_RE.fullmatch(text):
        raise InputError(f"expected a date YYYY-MM-DD, got {text!r}", field=where, code=ErrorCode.DATE_FORMAT)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"not a calendar date: {text!r}", field=where, code=ErrorCode.NOT_A_DATE) from None


def _optional_date(text: str, where: str) -> dt.date | None:
    return None if text.strip() == "" else _date(text, where)


def parse_rates_csv(text: str, *, source: str = "rates") -> tuple[list[RateRow], list[str]]:
    """Strict parse; errors name `source:line N:column`. Returns the rows and their line labels."""
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text))
    rows: list[RateRow] = []
    labels: list[str] = []
    header_seen = False
    try:
        for record in reader:
            line = reader.line_num
            if not record or all(not c.strip() for c in record):
                continue  # blank lines are harmless
            if not header_seen:
                got = tuple(c.strip() for c in record)
                if got != HEADER:
                    raise InputError(
                        f"header must be {','.join(HEADER)}, got {','.join(got)}", code=ErrorCode.INVALID_CSV, field=f"{source}:line {line}"
                    )
                header_seen = True
                continue
            label = f"line {line}"
            if len(record) != len(HEADER):
                raise InputError(f"expected {len(HEADER)} columns, got {len(record)}", code=ErrorCode.INVALID_CSV, field=f"{source}:{label}")
            cur, rate_text, vf_text, vt_text = (c.strip() for c in record)
            if not _CURRENCY_RE.fullmatch(cur):
                raise InputError(
                    f"currency must be three capital letters, got {cur!r}", code=ErrorCode.CURRENCY_CODE, field=f"{source}:{label}:currency"
                )
            if not _RATE_RE.fullmatch(rate_text):
                raise InputError(
                    f"rate must be a positive decimal like 16250.50, got {rate_text!r}",
                    code=ErrorCode.NOT_A_NUMBER, field=f"{source}:{label}:rate_idr",
                )
            rate = Decimal(rate_text)
            valid_from = _date(vf_text, f"{source}:{label}:valid_from")
            valid_to = _optional_date(vt_text, f"{source}:{label}:valid_to")
            rows.append(RateRow(cur, rate, valid_from, valid_to))
            labels.append(label)
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", code=ErrorCode.INVALID_CSV, field=f"{source}:line {reader.line_num}") from None
    if not header_seen:
        raise InputError(f"empty file; expected the header {','.join(HEADER)}", code=ErrorCode.INVALID_CSV, field=source)
    return rows, labels
