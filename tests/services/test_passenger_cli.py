"""`workstation ecd import FILE…`: idempotent by ecd_id, one line per bad file naming it, nothing of a bad file
written, exit codes 0 / 1 / 2."""

from __future__ import annotations

import json

import pytest

from db.models_passenger import EcdDeclaration
from tests.services.passenger_support import base_doc, count, counts, green_doc, setup
from workstation.cli import main


@pytest.fixture
def cli(services, users, settings, monkeypatch, capsys):
    setup(services, users)
    monkeypatch.setenv("WORKSTATION_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("WORKSTATION_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("WORKSTATION_PASSWORD_HASHING", "fast")
    monkeypatch.delenv("WORKSTATION_CONFIG", raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _write(tmp_path, name: str, obj) -> str:
    path = tmp_path / name
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj), encoding="utf-8")
    return str(path)


def test_import_then_again_is_unchanged(cli, services, tmp_path):
    one = _write(tmp_path, "one.json", base_doc())
    feed = _write(tmp_path, "feed.json", [green_doc("ECD-F1"), green_doc("ECD-F2")])
    code, out, err = cli("ecd", "import", one, feed)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"{one}: ECD-20261121-000123 stored RED (VALUE_OVER_ALLOWANCE) PMK-34-2025",
        f"{feed}: ECD-F1 stored GREEN (-) PMK-34-2025",
        f"{feed}: ECD-F2 stored GREEN (-) PMK-34-2025",
    ]
    before = counts(services)
    code, out, err = cli("ecd", "import", one, feed)
    assert code == 0 and out.count("unchanged") == 3
    assert counts(services) == before


def test_bad_files_one_line_each_and_nothing_of_them_written(cli, services, tmp_path):
    bad_feed = [green_doc("ECD-G1"), {**green_doc("ECD-G2"), "goods": [{"description": "x", "quantity": 1,
                                                                        "unit": "PCE", "value": 10.5,
                                                                        "currency": "USD", "personal_use": True}]}]
    paths = [str(tmp_path / "missing.json"), _write(tmp_path, "broken.json", "{"),
             _write(tmp_path, "feed.json", bad_feed), _write(tmp_path, "good.json", base_doc())]
    code, out, err = cli("ecd", "import", *paths)
    assert code == 2 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 3
    assert "missing.json" in lines[0] and "cannot read" in lines[0]
    assert "broken.json" in lines[1] and "not valid JSON" in lines[1]
    assert "feed.json: [1].goods[0].value" in lines[2] and "float" in lines[2]
    assert out.strip() == f"{paths[3]}: ECD-20261121-000123 stored RED (VALUE_OVER_ALLOWANCE) PMK-34-2025"
    assert count(services, EcdDeclaration) == 1  # ECD-G1 of the bad feed is not stored either


def test_a_refused_document_refuses_its_whole_file(cli, services, tmp_path):
    late = green_doc("ECD-LATE", submitted_at="2026-11-01T09:00:00+07:00")
    feed = _write(tmp_path, "feed.json", [green_doc("ECD-H1"), late])
    code, out, err = cli("ecd", "import", feed)
    assert code == 1 and out == ""
    assert "[1] ECD-LATE" in err and "OUTSIDE_SUBMISSION_WINDOW" in err and len(err.strip().splitlines()) == 1
    conflict = base_doc()
    _write(tmp_path, "a.json", base_doc())
    code, _, _ = cli("ecd", "import", str(tmp_path / "a.json"))
    assert code == 0
    conflict["goods"][0]["value"] = "10.00"
    code, _, err = cli("ecd", "import", _write(tmp_path, "b.json", conflict))
    assert code == 1 and "already stored" in err
    assert count(services, EcdDeclaration) == 1


def test_import_needs_files(cli):
    with pytest.raises(SystemExit) as exc:
        cli("ecd", "import")
    assert exc.value.code == 2
