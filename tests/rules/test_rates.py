"""NDPBM rate table: strict CSV parsing, lookup by day, JPY per 100, overlaps."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workstation.domain.errors import ErrorCode
from workstation.errors import InputError
from workstation.rules.rates import QUOTE_UNITS, RateRow, RateTable, parse_rates_csv, quote_units

HEADER = "currency,rate_idr,valid_from,valid_to\n"
D = dt.date.fromisoformat


def table(body: str) -> RateTable:
    return RateTable.from_csv_text(HEADER + body, source="r.csv")


def error(text: str) -> InputError:
    with pytest.raises(InputError) as err:
        RateTable.from_csv_text(text, source="r.csv")
    return err.value


def test_lookup_inclusive_dates_and_jpy_per_100():
    t = table("USD,16000,2026-11-18,2026-11-24\nUSD,16100.50,2026-11-25,2026-12-01\nJPY,10500,2026-11-18,2026-11-24\n")
    assert t.rate("USD", D("2026-11-18")) == Decimal(16000)
    assert t.rate("USD", D("2026-11-24")) == Decimal(16000)
    assert t.rate("USD", D("2026-11-25")) == Decimal("16100.50")
    assert t.rate("JPY", D("2026-11-20")) == Decimal(105)  # per ONE yen
    assert t.rate("IDR", D("1999-01-01")) == 1
    assert t.currencies() == ["JPY", "USD"]


@pytest.mark.parametrize(("currency", "day"), [("USD", "2026-11-17"), ("USD", "2026-12-02"), ("EUR", "2026-11-20")])
def test_missing_rate_names_currency_and_date(currency, day):
    t = table("USD,16000,2026-11-18,2026-11-24\nUSD,16100,2026-11-25,2026-12-01\n")
    with pytest.raises(InputError) as err:
        t.rate(currency, D(day))
    assert currency in err.value.message and day in err.value.message
    assert err.value.code is ErrorCode.NO_RATE and err.value.params["currency"] == currency
    assert not t.has_rate(currency, D(day))


def test_open_ended_period():
    t = table("USD,16000,2026-11-18,\n")
    assert t.rate("USD", D("2030-01-01")) == Decimal(16000)


def test_overlap_is_an_error_naming_both_lines():
    err = error(HEADER + "USD,16000,2026-11-18,2026-11-24\nEUR,17000,2026-11-18,2026-11-24\nUSD,16100,2026-11-24,2026-12-01\n")
    assert "line 2" in err.message and "line 4" in err.message
    assert err.field == "r.csv:line 4:valid_from"
    assert "overlap" in error(HEADER + "USD,1,2026-01-01,\nUSD,2,2027-01-01,2027-02-01\n").message


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("currency,rate,valid_from,valid_to\n", "r.csv:line 1", "header"),
        ("", "r.csv", "header"),
        (HEADER + "usd,16000,2026-11-18,2026-11-24\n", "r.csv:line 2:currency", "three capital letters"),
        (HEADER + "USD,16000.0.0,2026-11-18,2026-11-24\n", "r.csv:line 2:rate_idr", "positive decimal"),
        (HEADER + "USD,1.6e4,2026-11-18,2026-11-24\n", "r.csv:line 2:rate_idr", "positive decimal"),
        (HEADER + "USD,-16000,2026-11-18,2026-11-24\n", "r.csv:line 2:rate_idr", "positive decimal"),
        (HEADER + "USD,0,2026-11-18,2026-11-24\n", "r.csv:line 2:rate_idr", "positive"),
        (HEADER + "USD,16000,18/11/2026,2026-11-24\n", "r.csv:line 2:valid_from", "YYYY-MM-DD"),
        (HEADER + "USD,16000,2026-02-30,2026-11-24\n", "r.csv:line 2:valid_from", "calendar date"),
        (HEADER + "USD,16000,2026-11-18\n", "r.csv:line 2", "4 columns"),
        (HEADER + "\nUSD,16000,2026-11-18,2026-11-24,x\n", "r.csv:line 3", "4 columns"),
        (HEADER + "USD,16000,2026-11-24,2026-11-18\n", "r.csv:line 2:valid_to", "before"),
        (HEADER + "IDR,2,2026-11-18,2026-11-24\n", "r.csv:line 2:rate_idr", "IDR"),
    ],
)
def test_strict_parse_errors_name_line_and_column(text, field, words):
    err = error(text)
    assert err.field == field
    assert words in err.message


def test_bom_and_blank_lines_are_accepted():
    t = RateTable.from_csv_text("\ufeff" + HEADER + "\nUSD,16000,2026-11-18,2026-11-24\n\n")
    assert t.rate("USD", D("2026-11-20")) == 16000


def test_from_rows_takes_quoted_rates_like_the_file():
    t = RateTable.from_rows([("JPY", Decimal("10500"), D("2026-11-18"), D("2026-11-24")),
                             RateRow("USD", Decimal("16000"), D("2026-11-18"), None)])
    assert t.rate("JPY", D("2026-11-18")) == Decimal(105)
    with pytest.raises(InputError):
        RateTable.from_rows([("USD", Decimal(1), D("2026-01-01"), None), ("USD", Decimal(2), D("2026-06-01"), None)])
    with pytest.raises(InputError):
        RateTable.from_rows([("USD", 16000.0, D("2026-01-01"), None)])  # floats are refused


def test_missing_file(tmp_path: Path):
    with pytest.raises(InputError) as err:
        RateTable.from_csv_file(tmp_path / "nope.csv")
    assert "nope.csv" in str(err.value) and err.value.code is ErrorCode.FILE_UNREADABLE


def test_quote_units_are_one_fact():
    """JPY is quoted per 100 yen; the table divides, and says so through one function (the PIB's customs value
    and the e-CD's allowance both read rates per ONE unit from it)."""
    assert QUOTE_UNITS == {"JPY": 100} and quote_units("JPY") == 100 and quote_units("USD") == 1
    row = RateRow("JPY", Decimal("10650"), D("2026-11-18"), None)
    assert row.per_unit * quote_units("JPY") == row.rate_idr
    t = table("JPY,10650.50,2026-11-18,\nUSD,16000,2026-11-18,\n")
    assert t.rate("JPY", D("2026-11-20")) == Decimal("106.5050")
    assert t.quoted("JPY", D("2026-11-20")) == Decimal("10650.50")  # as the decree wrote it, exactly
    assert t.quoted("USD", D("2026-11-20")) == t.rate("USD", D("2026-11-20")) == Decimal(16000)


periods = st.lists(
    st.tuples(st.integers(1, 30), st.integers(0, 10), st.integers(1, 10**7)), min_size=1, max_size=12
)


@settings(max_examples=200, deadline=None)
@given(periods, st.sampled_from(["USD", "JPY", "EUR"]), st.integers(-5, 400))
def test_lookup_returns_the_period_covering_the_day(spec, currency, probe):
    # Consecutive periods separated by gaps; every day maps to the row covering it, or is an error.
    start = D("2026-01-01")
    rows, day = [], start
    for length, gap, cents in spec:
        rows.append(RateRow(currency, Decimal(cents).scaleb(-2), day, day + dt.timedelta(days=length - 1)))
        day += dt.timedelta(days=length + gap)
    text = HEADER + "".join(f"{r.currency},{r.rate_idr},{r.valid_from},{r.valid_to}\n" for r in rows)
    parsed, labels = parse_rates_csv(text)
    assert parsed == rows and labels[0] == "line 2"
    t = RateTable.from_csv_text(text)
    when = start + dt.timedelta(days=probe)
    covering = [r for r in rows if r.valid_from <= when <= r.valid_to]
    if covering:
        expected = covering[0].rate_idr / (100 if currency == "JPY" else 1)
        assert t.rate(currency, when) == expected
    else:
        with pytest.raises(InputError):
            t.rate(currency, when)
