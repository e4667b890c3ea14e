from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import shutil

import pytest

from workstation.domain.errors import ErrorCode
from workstation.errors import InputError, Refusal
from workstation.rules import ruleset as rs
from workstation.rules.ecd import EcdFigures


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
    (tmp_path / "pib" / "Y.toml").write_text('[meta]\nid = "Y"\nkind = "ecd"\nvalid_from = 2020-01-01\n'
                                             'title = "Y"\nsources = ["a decree"]\n')
    with pytest.raises(InputError, match="folder"):
        rs.all_rulesets(extra_dir=tmp_path)


@pytest.mark.parametrize("key", ["title", "sources"])
def test_meta_without_title_or_sources_is_an_error_naming_the_key(tmp_path, key):
    (tmp_path / "ecd").mkdir()
    lines = {"id": 'id = "Z"', "kind": 'kind = "ecd"', "valid_from": "valid_from = 2099-01-01",
             "title": 'title = "Z"', "sources": 'sources = ["a decree"]'}
    del lines[key]
    (tmp_path / "ecd" / "Z.toml").write_text("[meta]\n" + "\n".join(lines.values()) + "\n")
    with pytest.raises(InputError) as info:
        rs.all_rulesets(extra_dir=tmp_path)
    assert info.value.field == f"Z.toml:meta.{key}" and info.value.code is ErrorCode.RULESET_INVALID


# Keys the e-CD model once filled in from code when the file left them out (issue #10 item 8).
ONCE_DEFAULTED = [
    ("submission", "port_utc_offset"), ("allowance", "family_pooling"), ("allowance", "exempt_traveller_types"),
    ("cash", "count_bearer_instruments"), ("rounding", "fine_unit"), ("rounding", "fine_mode"),
    ("prohibited", "flags"), ("prohibited", "hs_prefixes"), ("quarantine", "flags"), ("quarantine", "hs_prefixes"),
    ("oral_declaration", "eligible_groups"), ("oral_declaration", "min_age"), ("oral_declaration", None),
]


@pytest.mark.parametrize(("table", "key"), ONCE_DEFAULTED)
@pytest.mark.parametrize("ruleset_id", ["PMK-203-2017", "PMK-34-2025"])
def test_a_missing_ecd_figure_is_an_error_naming_file_and_key(ruleset_id, table, key):
    shipped = rs.ruleset_by_id(ruleset_id)
    shipped.parse(EcdFigures)  # the shipped file has it
    data = copy.deepcopy(shipped.data)
    if key is None:
        del data[table]
    else:
        del data[table][key]
    with pytest.raises(InputError) as info:
        dataclasses.replace(shipped, data=data).parse(EcdFigures)
    where = table if key is None else f"{table}.{key}"
    assert info.value.field == f"{shipped.path.name}:{where}"
    assert info.value.message == "missing key" and info.value.code is ErrorCode.RULESET_INVALID


def test_no_ecd_figure_has_a_default_in_the_code():
    """Every field of the e-CD figures, at every depth, is required: the rule-set file is the only source."""
    from pydantic import BaseModel

    def walk(model: type[BaseModel], path: str) -> list[str]:
        out = []
        for name, info in model.model_fields.items():
            if not info.is_required():
                out.append(f"{path}{name}")
            ann = info.annotation
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                out += walk(ann, f"{path}{name}.")
        return out

    assert walk(EcdFigures, "") == []
