from __future__ import annotations

import datetime as dt
import shutil

import pytest

from workstation.errors import InputError, Refusal
from workstation.rules import ruleset as rs


def test_shipped_rule_sets_load_and_do_not_overlap():
    sets = rs.all_rulesets()
    assert {"ecd", "pib", "plp"} <= {r.kind for r in sets}
    rs.check_no_overlap(sets)
    for r in sets:
        assert r.sources, f"{r.id} names no legal source"


def test_rule_set_in_force_by_date():
    assert rs.ruleset_for("ecd", dt.date(2025, 6, 5)).id == "PMK-203-2017"
    assert rs.ruleset_for("ecd", dt.date(2025, 6, 6)).id == "PMK-34-2025"
    with pytest.raises(Refusal):
        rs.ruleset_for("ecd", dt.date(2000, 1, 1))


def test_a_corrected_file_replaces_the_shipped_one_by_id(tmp_path):
    src = rs.ruleset_by_id("PMK-34-2025").path
    (tmp_path / "ecd").mkdir()
    text = src.read_text(encoding="utf-8").replace('title = "', 'title = "CORRECTED ', 1)
    (tmp_path / "ecd" / src.name).write_text(text, encoding="utf-8")
    corrected = rs.ruleset_for("ecd", dt.date(2026, 1, 1), extra_dir=tmp_path)
    assert corrected.title.startswith("CORRECTED") and corrected.sha256 != rs.ruleset_by_id("PMK-34-2025").sha256


def test_bad_files_name_the_problem(tmp_path):
    (tmp_path / "ecd").mkdir()
    bad = tmp_path / "ecd" / "X.toml"
    bad.write_text('[meta]\nid = "X"\nkind = "ecd"\n')
    with pytest.raises(InputError, match="valid_from"):
        rs.all_rulesets(extra_dir=tmp_path)
    bad.write_text("not toml = = 1")
    with pytest.raises(InputError, match="TOML"):
        rs.all_rulesets(extra_dir=tmp_path / ".")
    shutil.rmtree(tmp_path / "ecd")
    (tmp_path / "pib").mkdir()
    (tmp_path / "pib" / "Y.toml").write_text('[meta]\nid = "Y"\nkind = "ecd"\nvalid_from = 2020-01-01\n')
    with pytest.raises(InputError, match="folder"):
        rs.all_rulesets(extra_dir=tmp_path)
