"""`workstation pib assess` and `workstation plp check`: output and exit codes 0 / 1 / 2 (CONTRACTS.md)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from workstation.cli import main

FIXTURES = Path(__file__).parents[1] / "fixtures"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_pib_assess_json(capsys):
    code, out, err = run(capsys, "pib", "assess", str(FIXTURES / "pib" / "contract_example.json"), "--json")
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert list(result) == ["declared", "determined", "difference", "bm_shortfall_idr", "fine_idr",
                            "fine_rate_pct", "outcome"]
    assert (result["outcome"], result["fine_idr"], result["determined"]["total_idr"]) == ("SPTNP", 52_000_000, 19_942_000)


def test_pib_assess_spbl_is_still_exit_0(capsys):
    code, out, _ = run(capsys, "pib", "assess", str(FIXTURES / "pib" / "spbl_missing_permit.json"), "--json")
    assert (code, json.loads(out)["outcome"]) == (0, "SPBL")


def test_pib_assess_text(capsys):
    code, out, _ = run(capsys, "pib", "assess", str(FIXTURES / "pib" / "spbl_missing_permit.json"))
    assert code == 0
    assert "outcome SPBL" in out and "lartas permit missing for item(s) 1" in out


def test_pib_assess_float_is_exit_2_naming_the_path(capsys):
    code, out, err = run(capsys, "pib", "assess", str(FIXTURES / "pib" / "float_cif.json"), "--json")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "items[0].cif" in err and "Traceback" not in err


def test_pib_assess_missing_file_is_exit_2(capsys, tmp_path):
    missing = tmp_path / "nope.json"
    code, _, err = run(capsys, "pib", "assess", str(missing), "--json")
    assert code == 2 and str(missing) in err and err.count("\n") == 1


def test_pib_assess_reads_stdin(capsys, monkeypatch):
    data = (FIXTURES / "pib" / "no_determination.json").read_bytes()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, out, _ = run(capsys, "pib", "assess", "-", "--json")
    assert (code, json.loads(out)["declared"]["total_idr"]) == (0, 4_193_899)


def test_group_without_action_is_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["pib"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["plp"])
    assert exc.value.code == 2


def test_plp_check_eligible_exit_0(capsys):
    code, out, err = run(capsys, "plp", "check", str(FIXTURES / "plp" / "eligible_yor.json"), "--json")
    assert (code, err) == (0, "")
    assert json.loads(out) == {"eligible": True, "reasons": ["YOR_OVER_THRESHOLD"], "refusals": []}


def test_plp_check_not_eligible_exit_1_with_json(capsys):
    code, out, _ = run(capsys, "plp", "check", str(FIXTURES / "plp" / "yor_below.json"), "--json")
    assert code == 1
    assert json.loads(out) == {"eligible": False, "reasons": [], "refusals": ["YOR_BELOW_THRESHOLD"]}


def test_plp_check_text(capsys):
    code, out, _ = run(capsys, "plp", "check", str(FIXTURES / "plp" / "yor_below.json"))
    assert code == 1 and "eligible: no" in out and "YOR_BELOW_THRESHOLD" in out


def test_plp_check_bad_input_exit_2(capsys):
    code, out, err = run(capsys, "plp", "check", str(FIXTURES / "plp" / "float_yor.json"), "--json")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "origin.yor_pct" in err
