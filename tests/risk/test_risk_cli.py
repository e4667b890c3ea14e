"""`workstation risk import|export|report|prearrival` as a user runs them: exit status, one-line errors."""

from __future__ import annotations

import json

from tests.risk.support import base_doc, profile_file, risk, setup, store_ecd
from workstation.domain.codes import Role


def test_import_export_report(services, users, run, tmp_path):
    setup(services, users)
    path = tmp_path / "profiles.json"
    path.write_text(profile_file({"code": "ELEC", "conditions": {"hs_chapters": ["84"]}},
                                 random=[{"workflow": "ecd", "rate": "0"}]))
    r = run("risk", "import", str(path))
    assert r.returncode == 0 and "1 profiles added" in r.stdout and "1 random rates set" in r.stdout
    out = tmp_path / "export.json"
    assert run("risk", "export", "--out", str(out)).returncode == 0
    assert json.loads(out.read_text())["profiles"][0]["code"] == "ELEC"
    case_id, _ = store_ecd(services, users, base_doc())
    risk(services).record_outcome(users[Role.OFFICER], case_id, ["UNDECLARED"], duties_idr=250000)
    r = run("risk", "report", "--from", "2026-11-01", "--to", "2026-11-30", "--json")
    assert r.returncode == 0, r.stderr
    rows = {(x["group"], x["key"]): x for x in json.loads(r.stdout)["rows"]}
    assert rows[("profile", "ELEC")]["hits"] == 1 and rows[("profile", "ELEC")]["hit_rate"] == "1.0000"
    text = run("risk", "report", "--from", "2026-11-01", "--to", "2026-11-30")
    assert "ELEC" in text.stdout and "250,000" in text.stdout


def test_bad_input_exits_2_with_one_line(services, users, run, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "risk/1", "profiles": [{"code": "x"}]}))
    r = run("risk", "import", str(bad))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "profiles[0].code" in r.stderr
    r = run("risk", "report", "--from", "2026-11-30", "--to", "2026-11-01")
    assert r.returncode == 2 and "to" in r.stderr


def test_prearrival_import_and_check(services, users, run, tmp_path):
    setup(services, users)
    csv_path = tmp_path / "api.csv"
    csv_path.write_text("arrival_date,port,flight,passport,nationality,name\n"
                        "2026-11-21,CGK,GA881,B9999999,SGP,Tan Ah Kow\n")
    r = run("risk", "prearrival", "import", str(csv_path))
    assert r.returncode == 0 and "1 passenger records added" in r.stdout
    r = run("risk", "prearrival", "check", "--from", "2026-11-21", "--to", "2026-11-21", "--json")
    assert [m["kind"] for m in json.loads(r.stdout)] == ["PASSENGER_WITHOUT_ECD"]
