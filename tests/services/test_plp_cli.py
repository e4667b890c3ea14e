"""`workstation plp tps import|list` and `plp import` from standard input, as a user runs them: exit status,
one-line errors naming the line and column, nothing written on bad input."""

from __future__ import annotations

import json
from pathlib import Path

from workstation.demo.plp import demo_request, sample_tps_csv
from workstation.domain.codes import Role

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "plp"


def test_tps_import_and_list(services, run, tmp_path):
    path = tmp_path / "tps.csv"
    path.write_text(sample_tps_csv(), encoding="utf-8")
    p = run("plp", "tps", "import", str(path))
    assert p.returncode == 0 and "5 added, 0 changed, 0 unchanged" in p.stdout, p.stderr
    p = run("plp", "tps", "import", str(path))
    assert "0 added, 0 changed, 5 unchanged" in p.stdout
    p = run("plp", "tps", "list", "--json")
    rows = {r["code"]: r for r in json.loads(p.stdout)}
    assert rows["KOJA"]["yor_pct"] == "73.7" and rows["KOJA"]["over_threshold"] is True
    assert rows["MTI1"]["sor_pct"] == "34.1" and rows["MTI1"]["threshold_pct"] == "65"
    text = run("plp", "tps", "list").stdout
    assert "KOJA" in text and "5900/8000" in text and "73.7!" in text.replace(" ", "")


def test_bad_tps_csv_is_one_line_exit_2_nothing_written(services, run):
    p = run("plp", "tps", "import", str(FIXTURES / "tps_bad_capacity.csv"))
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
    assert "tps_bad_capacity.csv:3:capacity_teu" in p.stderr and "digits only" in p.stderr
    assert services.plp.tps_overview() == []
    p = run("plp", "tps", "import", str(FIXTURES / "no-such-file.csv"))
    assert p.returncode == 2 and "no-such-file.csv" in p.stderr


def test_plp_import_from_standard_input(services, users, run):
    services.issuance.ensure_office_key()
    services.plp.import_tps(users[Role.SUPERVISOR], sample_tps_csv())
    p = run("plp", "import", "-", stdin=demo_request("KOJA", "MTI1", "YOR_OVER_THRESHOLD",
                                                                [("CSQU3054383", "40")]))
    assert p.returncode == 0 and "PLP-" in p.stdout and "SUBMITTED" in p.stdout, p.stderr
    [row] = services.plp.queue("open")
    assert row.origin == "KOJA" and row.operator.startswith("PT Pelabuhan")
