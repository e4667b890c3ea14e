"""Exchange rates as the Ministry publishes them (workstation/formats/kurs.py): the NLE kurs API JSON and the
weekly decree table, read by `rates import` beside the NDPBM CSV, exactly (no float), with overlapping and
missing weeks named and nothing stored."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workstation.cli import main
from workstation.domain.errors import ErrorCode
from workstation.errors import InputError
from workstation.formats import kurs

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rates"
KMK_TEXT = (FIXTURES / "kmk_weekly.txt").read_text(encoding="utf-8")
NLE_TEXT = (FIXTURES / "nle_kurs.json").read_text(encoding="utf-8")
NOV_20 = dt.date(2026, 11, 20)
NOV_30 = dt.date(2026, 11, 30)


def _stored(services) -> list[tuple[str, Decimal, dt.date, dt.date | None]]:
    return sorted((r.currency, r.rate_idr, r.valid_from, r.valid_to) for r in services.reference.rate_table().rows)


# --- detection ----------------------------------------------------------------------------------------------------
def test_detects_each_format_from_its_content():
    assert kurs.detect(KMK_TEXT) == kurs.KMK
    assert kurs.detect(NLE_TEXT) == kurs.NLE
    assert kurs.detect((FIXTURES / "rates_twin.csv").read_text(encoding="utf-8")) == kurs.CSV
    with pytest.raises(InputError) as e:
        kurs.detect("USD 16416\n")
    assert "NLE kurs JSON" in str(e.value) and "decree" in str(e.value)


def test_rates_import_help_describes_the_formats(capsys):
    with pytest.raises(SystemExit):
        main(["rates", "import", "--help"])
    out = capsys.readouterr().out
    for words in ("currency,rate_idr,valid_from,valid_to", "NLE", "nilaiKurs", "Berlaku", "16.416,00",
                  "Wednesday to Tuesday", "JPY per 100 yen", "missing weeks"):
        assert words in out


# --- the decree table -------------------------------------------------------------------------------------------
def test_decree_table_imports_exactly_and_is_the_same_as_its_csv_twin(services, users, run):
    p = run("rates", "import", str(FIXTURES / "kmk_weekly.txt"))
    assert p.returncode == 0, p.stderr
    assert "8 rates added, 0 already stored (weekly decree table (KMK))" in p.stdout
    table = services.reference.rate_table()
    assert table.rate("USD", NOV_20) == Decimal("16416.00")
    assert table.rate("KRW", NOV_30) == Decimal("11.49")
    assert table.rate("JPY", NOV_20) == Decimal("105.3217")  # quoted per 100 yen, answered per yen
    assert table.quoted("JPY", NOV_30) == Decimal("10587.04")
    # the CSV twin is the same eight rates: nothing new
    p = run("rates", "import", str(FIXTURES / "rates_twin.csv"))
    assert p.returncode == 0 and "0 rates added, 8 already stored (NDPBM CSV)" in p.stdout, p.stdout + p.stderr
    p = run("rates", "import", "-", stdin=KMK_TEXT)
    assert "0 rates added, 8 already stored" in p.stdout


def test_decree_week_must_run_wednesday_to_tuesday(services, users, run):
    text = KMK_TEXT.replace("Berlaku 25-11-2026 s.d. 01-12-2026", "Berlaku 26-11-2026 s.d. 02-12-2026")
    p = run("rates", "import", "-", stdin=text)
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1
    assert "stdin:line 10" in p.stderr and "Wednesday to Tuesday" in p.stderr and "2026-11-26" in p.stderr
    assert _stored(services) == []


def test_missing_week_of_one_currency_is_named_and_nothing_stored(services, users, run):
    lines = KMK_TEXT.splitlines()
    # EUR is left out of the second week and comes back in a third one
    text = "\n".join(ln for ln in lines if ln != "3;Euro;EUR;17.290,12") + (
        "\nBerlaku 02-12-2026 s.d. 08-12-2026\n1;Dolar Amerika Serikat;USD;16.401,00\n2;Yen Jepang;JPY;10.601,00\n"
        "3;Euro;EUR;17.301,00\n4;Won Korea;KRW;11,50\n")
    p = run("rates", "import", "-", stdin=text)
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1
    assert "EUR: no rate from 2026-11-25 to 2026-12-01" in p.stderr and "line 7" in p.stderr
    assert "USD" not in p.stderr  # only what is wrong is named
    assert _stored(services) == []


def test_every_problem_is_named_at_once():
    text = KMK_TEXT + "\nBerlaku 25-11-2026 s.d. 01-12-2026\n1;Dolar Amerika Serikat;USD;16.400,00\n" \
                      "Berlaku 09-12-2026 s.d. 15-12-2026\n1;Euro;EUR;17.000,00\n"
    with pytest.raises(InputError) as e:
        kurs.parse_decree(text, source="kmk.txt")
    assert e.value.code == ErrorCode.RATE_WEEKS
    message = str(e.value)
    assert "EUR: no rate from 2026-12-02 to 2026-12-08" in message
    assert "USD: 2026-11-25..2026-12-01 (line 12) and 2026-11-25..2026-12-01 (line 18) overlap" in message


@pytest.mark.parametrize(("row", "words"), [
    ("1;Dolar Amerika Serikat;USD;16,416.00", "16,416.00"),
    ("1;Dolar Amerika Serikat;USD;16.41,00", "16.41,00"),
    ("1;Dolar Amerika Serikat;USD;-16.416,00", "-16.416,00"),
    ("1;Yen Jepang;JPY;105,32", "per 100"),
    ("1;Dolar Amerika Serikat;16.416,00", "not a rate row"),
])
def test_bad_decree_rows_name_their_line(row, words):
    text = KMK_TEXT.replace("1;Dolar Amerika Serikat;USD;16.416,00", row)
    with pytest.raises(InputError) as e:
        kurs.parse_decree(text, source="kmk.txt")
    assert "kmk.txt:line 5" in str(e.value) and words in str(e.value)


def test_a_rate_before_any_period_is_refused():
    with pytest.raises(InputError) as e:
        kurs.parse_decree("1;Dolar Amerika Serikat;USD;16.416,00\n" + KMK_TEXT, source="kmk.txt")
    assert "kmk.txt:line 1" in str(e.value) and "period" in str(e.value)


def test_decree_rows_separated_by_tabs_or_spaces():
    text = ("Berlaku 18-11-2026 s.d. 24-11-2026\n1\tDolar Amerika Serikat\tUSD\t16.416,00\n"
            "2 Yen Jepang JPY 10.532,17\n3 | Euro | (EUR) | 17.345,90\n")
    rows, _labels = kurs.parse_decree(text)
    assert [(r.currency, r.rate_idr) for r in rows] == [
        ("USD", Decimal("16416.00")), ("JPY", Decimal("10532.17")), ("EUR", Decimal("17345.90"))]


@pytest.mark.parametrize(("text", "value"), [("16.416,00", "16416.00"), ("11,53", "11.53"), ("16416", "16416"),
                                             ("1.234.567,123456", "1234567.123456"), ("0,5", "0.5")])
def test_indonesian_numbers(text, value):
    got = kurs.indonesian_decimal(text, "value")
    assert type(got) is Decimal and got == Decimal(value) and str(got) == value


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999999.99"), places=2))
def test_indonesian_writing_round_trips(d):
    whole, _, frac = f"{d:.2f}".partition(".")
    written = f"{int(whole):,}".replace(",", ".") + "," + frac
    assert kurs.indonesian_decimal(written, "value") == d


# --- the NLE kurs API ---------------------------------------------------------------------------------------------
def test_nle_json_imports_exactly(services, users, run):
    p = run("rates", "import", str(FIXTURES / "nle_kurs.json"))
    assert p.returncode == 0 and "4 rates added, 0 already stored (NLE kurs JSON)" in p.stdout, p.stderr
    assert _stored(services) == [
        ("JPY", Decimal("10532.17"), dt.date(2026, 11, 18), dt.date(2026, 11, 24)),
        ("JPY", Decimal("10587.04"), dt.date(2026, 11, 25), dt.date(2026, 12, 1)),
        ("USD", Decimal("16398.5"), dt.date(2026, 11, 25), dt.date(2026, 12, 1)),
        ("USD", Decimal("16416"), dt.date(2026, 11, 18), dt.date(2026, 11, 24)),
    ]
    # the decree table of the same weeks agrees on USD and JPY and adds EUR and KRW
    p = run("rates", "import", str(FIXTURES / "kmk_weekly.txt"))
    assert p.returncode == 0 and "4 rates added, 4 already stored" in p.stdout, p.stdout + p.stderr


def test_nle_numbers_never_pass_through_a_float():
    # 16416.100000000000001 is 16416.1 as a float; as written it has too many decimals to store exactly
    text = NLE_TEXT.replace('"nilaiKurs": "16416"', '"nilaiKurs": 16416.100000000000001')
    rows, _labels = kurs.parse_nle(text)
    assert rows[0].rate_idr == Decimal("16416.100000000000001")
    with pytest.raises(InputError) as e:  # and the CSV contract (6 decimals) refuses it: never rounded
        from workstation.rules.rates import parse_rates_csv
        parse_rates_csv(kurs.rates_csv(rows))
    assert "rate_idr" in str(e.value)


def test_nle_single_response_and_bare_items():
    one = json.dumps({"status": "true", "message": "success", "data": [
        {"kodeValuta": "usd", "nilaiKurs": "15109", "tglAwalBerlaku": "2023-01-25", "tglAkhirBerlaku": "2023-01-31"}]})
    rows, labels = kurs.parse_nle(one)
    assert [(r.currency, r.rate_idr, r.valid_from) for r in rows] == [("USD", Decimal(15109), dt.date(2023, 1, 25))]
    assert labels == ["data[0]"]
    bare = json.dumps([{"kodeValuta": "EUR", "nilaiKurs": "17.345,90", "tglAwalBerlaku": "18-11-2026",
                        "tglAkhirBerlaku": "24-11-2026"}])
    [row], _ = kurs.parse_nle(bare)
    assert row.rate_idr == Decimal("17345.90") and row.valid_to == dt.date(2026, 11, 24)


@pytest.mark.parametrize(("change", "field", "words"), [
    (lambda d: d[0]["data"][1].update(tglAwalBerlaku="2026-11-24"), "rates", "overlap"),
    (lambda d: d[1]["data"][1].update(tglAwalBerlaku="2026-12-02", tglAkhirBerlaku="2026-12-08"), "rates",
     "JPY: no rate from 2026-11-25 to 2026-12-01"),
    (lambda d: d[0]["data"][0].update(nilaiKurs="abc"), "[0].data[0].nilaiKurs", "number"),
    (lambda d: d[0]["data"][0].update(nilaiKurs="0"), "[0].data[0].nilaiKurs", "greater than zero"),
    (lambda d: d[0]["data"][0].update(kodeValuta="US"), "[0].data[0].kodeValuta", "ISO 4217"),
    (lambda d: d[0]["data"][0].update(tglAwalBerlaku="2026-02-30"), "[0].data[0].tglAwalBerlaku", "calendar"),
    (lambda d: d[0]["data"][0].pop("nilaiKurs"), "[0].data[0].nilaiKurs", "required"),
    (lambda d: d[1]["data"][0].update(nilaiKurs="105.32"), "[1].data[0].nilaiKurs", "per 100"),
    (lambda d: d[0].update(status="false", message="token expired"), "[0].status", "token expired"),
])
def test_bad_nle_input_is_named(change, field, words):
    doc = json.loads(NLE_TEXT)
    change(doc)
    with pytest.raises(InputError) as e:
        kurs.parse_nle(json.dumps(doc), source="rates")
    where = field if field == "rates" else f"rates:{field}"
    assert e.value.field == where and words in str(e.value), str(e.value)


def test_bad_ministry_file_writes_nothing(services, users, run):
    doc = json.loads(NLE_TEXT)
    doc[0]["data"][1]["tglAwalBerlaku"] = "2026-11-22"
    p = run("rates", "import", "-", stdin=json.dumps(doc))
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1 and "USD" in p.stderr
    assert "overlap" in p.stderr and _stored(services) == []
    p = run("rates", "import", "-", stdin="Kurs minggu ini: USD 16.416,00\n")
    assert p.returncode == 2 and "not a rates file" in p.stderr


def test_a_ministry_week_that_contradicts_a_stored_rate_is_refused(services, users, run):
    assert run("rates", "import", str(FIXTURES / "nle_kurs.json")).returncode == 0
    changed = KMK_TEXT.replace("16.416,00", "16.500,00")
    p = run("rates", "import", "-", stdin=changed)
    assert p.returncode == 2 and "USD from 2026-11-18" in p.stderr
    assert len(_stored(services)) == 4


def test_conflicts_with_stored_rates_name_the_row_of_the_ministry_file(services, users, run, tmp_path):
    csv = tmp_path / "open.csv"
    csv.write_text("currency,rate_idr,valid_from,valid_to\nEUR,17000,2026-11-01,\n", encoding="utf-8")
    assert run("rates", "import", str(csv)).returncode == 0
    p = run("rates", "import", str(FIXTURES / "kmk_weekly.txt"))
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1
    assert "EUR periods overlap (stored and line 7)" in p.stderr, p.stderr  # line 7 of the decree table
    assert len(_stored(services)) == 1
    assert run("rates", "import", str(FIXTURES / "nle_kurs.json")).returncode == 0
    p = run("rates", "import", "-", stdin=NLE_TEXT.replace('"16398.5"', '"16399"'))
    assert p.returncode == 2 and "stdin:[0].data[1]" in p.stderr and "USD from 2026-11-25" in p.stderr, p.stderr
    assert len(_stored(services)) == 5
