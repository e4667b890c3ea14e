"""`workstation ecd assess`: exit codes 0/1/2 and one-line messages naming the path (CONTRACTS.md)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from workstation.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ecd"
RATES = str(FIXTURES / "rates.csv")


def write(tmp_path: Path, doc: dict | str, name: str = "ecd.json") -> str:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return str(path)


def contract() -> dict:
    return json.loads((FIXTURES / "contract_laptop.json").read_text(encoding="utf-8"))


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_assess_prints_the_contract_decision(capsys):
    code, out, err = run(capsys, "ecd", "assess", str(FIXTURES / "contract_laptop.json"), "--rates", RATES, "--json")
    assert code == 0 and err == ""
    decision = json.loads(out)
    assert decision["lane"] == "red" and decision["ruleset"] == "PMK-34-2025"
    assert decision["reasons"] == ["VALUE_OVER_ALLOWANCE"] and decision["referrals"] == []
    assert decision["assessment"]["total_idr"] == 2476000
    assert decision["assessment"]["taxable_usd"] == "700.00"
    assert decision["excise_excess"] == {"cigarettes": 0, "cigars": 0, "sliced_tobacco_g": 0, "alcohol_l": "0"}


def test_assess_text_output(capsys):
    code, out, _ = run(capsys, "ecd", "assess", str(FIXTURES / "worked_example_pmk203.json"), "--rates", RATES)
    assert code == 0
    assert "RED" in out and "PMK-203-2017" in out and "1,448,000" in out


def test_assess_reads_stdin(capsys, monkeypatch):
    data = (FIXTURES / "family_green.json").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, out, _ = run(capsys, "ecd", "assess", "-", "--rates", RATES, "--json")
    assert code == 0 and json.loads(out)["lane"] == "green"


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["goods"][0].update(value=1200.0), "goods[0].value: must be a decimal string"),
        (lambda d: d["goods"][0].update(serial="X"), "goods[0].serial: unknown field"),
        (lambda d: d["declarant"].pop("birth_date"), "declarant.birth_date: missing required field"),
        (lambda d: d["goods"][0].update(currency="AUD", value="100.00"), "goods[0].currency: no NDPBM rate for AUD on 2026-11-21"),
        (lambda d: d["cash"][0].update(currency="CHF", amount="10"), "cash[0].currency: no NDPBM rate for CHF"),
    ],
)
def test_bad_input_exits_2_naming_the_path(capsys, tmp_path, mutate, expected):
    doc = contract()
    mutate(doc)
    code, out, err = run(capsys, "ecd", "assess", write(tmp_path, doc), "--rates", RATES, "--json")
    assert code == 2 and out == ""
    assert expected in one_line(err)


def test_bad_json_exits_2_naming_the_file(capsys, tmp_path):
    path = write(tmp_path, '{"format": "ecd/1",', "broken.json")
    code, _, err = run(capsys, "ecd", "assess", path, "--rates", RATES, "--json")
    assert code == 2
    assert "broken.json" in one_line(err) and "not valid JSON" in err


def test_missing_files_exit_2(capsys, tmp_path):
    code, _, err = run(capsys, "ecd", "assess", str(tmp_path / "none.json"), "--rates", RATES)
    assert code == 2 and "none.json" in one_line(err)
    code, _, err = run(capsys, "ecd", "assess", str(FIXTURES / "contract_laptop.json"), "--rates", str(tmp_path / "r.csv"))
    assert code == 2 and "r.csv" in one_line(err)


def test_bad_rates_file_exits_2_naming_line_and_column(capsys, tmp_path):
    rates = tmp_path / "rates.csv"
    rates.write_text("currency,rate_idr,valid_from,valid_to\nUSD,16,000,2026-11-18,2026-11-24\n", encoding="utf-8")
    code, _, err = run(capsys, "ecd", "assess", str(FIXTURES / "contract_laptop.json"), "--rates", str(rates))
    assert code == 2 and "rates.csv:line 2" in one_line(err)


def test_outside_submission_window_exits_1_with_the_code(capsys, tmp_path):
    doc = contract()
    doc["submitted_at"] = "2026-11-01T09:00:00+07:00"
    code, out, err = run(capsys, "ecd", "assess", write(tmp_path, doc), "--rates", RATES, "--json")
    assert code == 1 and out == ""
    assert "OUTSIDE_SUBMISSION_WINDOW" in one_line(err)


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["ecd", "assess", str(FIXTURES / "contract_laptop.json")])  # --rates is required
    assert exc.value.code == 2
    assert "--rates" in capsys.readouterr().err
    code, _, err = run(capsys, "ecd")
    assert code == 2 and "assess" in one_line(err)


def test_console_entry_point_has_no_traceback():
    proc = subprocess.run(
        [sys.executable, "-m", "workstation", "ecd", "assess", str(FIXTURES / "float_money.json"), "--rates", RATES,
         "--json"],
        capture_output=True, text=True, check=False, timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        'workstation: goods[0].value: must be a decimal string like "12.50", not a JSON number (floats are refused)'
    )
