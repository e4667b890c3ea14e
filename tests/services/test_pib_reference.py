"""Reference tables the intake reads: tariff posts, lartas rules, BC 1.1 manifest lines, blocked importers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.services.test_pib_support import (
    FIXTURES,
    env_fixture,  # noqa: F401  (the `env` fixture)
    fixture_text,
    variant,
)
from workstation.errors import InputError, PermissionDenied, Refusal


def test_shipped_sample_tables_load_and_reload_unchanged(env):
    tariff, lartas = env.pib.import_sample_tables(env.admin)
    assert tariff.added == 0 and tariff.changed == 0 and tariff.unchanged >= 30
    assert lartas.added == 0 and lartas.unchanged >= 10


def test_tariff_import_adds_and_updates(env):
    counts = env.pib.import_tariff(env.supervisor, text="hs_code,description,bm_rate\n"
                                                         "8471300000,Laptop,2.5\n0101210000,Kuda bibit,0\n",
                                   source="btki-update.csv")
    assert (counts.added, counts.changed, counts.unchanged) == (1, 1, 0)
    assert env.pib.tariff_post("8471300000").bm_rate == Decimal("2.5")
    assert env.pib.tariff_post("0101210000").description == "Kuda bibit"


BAD_TARIFF = [
    ("hs,description,bm_rate\n", "t.csv:line 1"),
    ("hs_code,description,bm_rate\n8471300,Laptop,0\n", "t.csv:line 2:hs_code"),
    ("hs_code,description,bm_rate\n8471300000,Laptop,-5\n", "t.csv:line 2:bm_rate"),
    ("hs_code,description,bm_rate\n8471300000,Laptop,5.5.5\n", "t.csv:line 2:bm_rate"),
    ("hs_code,description,bm_rate\n8471300000,Laptop,0\n8471300000,Again,0\n", "t.csv:line 3"),
    ("hs_code,description,bm_rate\n8471300000,,0\n", "t.csv:line 2:description"),
    ("", "t.csv"),
]


def test_bad_tariff_file_names_the_line_and_writes_nothing(env):
    for body, field in BAD_TARIFF:
        with pytest.raises(InputError) as e:
            env.pib.import_tariff(env.admin, text=body, source="t.csv")
        assert e.value.field == field, body
    assert env.pib.tariff_post("8471300000").description.startswith("Mesin pengolah data")


def test_a_bad_line_after_good_ones_writes_none_of_them(env):
    with pytest.raises(InputError):
        env.pib.import_tariff(env.admin, text="hs_code,description,bm_rate\n0101210000,Kuda,0\n0101210,Kuda,0\n")
    assert env.pib.tariff_post("0101210000") is None


def test_tariff_import_needs_admin_or_supervisor(env):
    with pytest.raises(PermissionDenied):
        env.pib.import_tariff(env.examiner, text="hs_code,description,bm_rate\n")


def test_lartas_import_and_longest_prefix(env):
    env.pib.import_lartas(env.admin, text="hs_prefix,permit,agency\n8471,Computers (test rule),Kemendag\n8516,Cookers (test rule),Kemendag\n"
                          "8517,Phones (test rule),Kemendag\n",
                          source="l.csv")
    r = env.intake(variant("301", "lartas_phone_no_permit.json"))
    flags = env.detail(r.case_id).lartas
    # 8517130000 matches 8517 and the full post: the full post's rule wins; laptops/cookers get theirs
    assert {f.seq: f.permit_type for f in flags}[3].startswith("Sertifikat alat")
    assert {f.seq for f in flags} == {1, 2, 3}


def test_manifest_import_is_idempotent_and_refuses_a_changed_line(env):
    again = env.pib.import_manifest(env.admin, FIXTURES / "manifest.csv")
    assert (again.added, again.unchanged) == (0, 2)
    changed = (FIXTURES / "manifest.csv").read_text().replace("PT Contoh Impor,40", "PT Contoh Impor,41")
    changed += "001235,2026-11-19,0001,00000000,OOLU1,2026-11-12,PT Baru,1,PK,\n"
    with pytest.raises(InputError):
        env.pib.import_manifest(env.admin, text=changed, source="m.csv")
    assert env.pib.manifest_line("001235", dt.date(2026, 11, 19), "0001", "00000000") is None


BAD_MANIFEST = [
    ("001234,2026-11-18,0301,00000000,B,2026-11-10,C,1,CT,CSQU3054384", "containers"),
    ("01234,2026-11-18,0301,00000000,B,2026-11-10,C,1,CT,", "bc11_number"),
    ("001234,18-11-2026,0301,00000000,B,2026-11-10,C,1,CT,", "bc11_date"),
    ("001234,2026-11-18,0301,00000000,B,2026-11-10,C,0,CT,", "packages"),
    ("001234,2026-11-18,0301,0000,B,2026-11-10,C,1,CT,", "subpos"),
]


def test_bad_manifest_line_names_the_column(env):
    header = "bc11_number,bc11_date,pos,subpos,bl_number,bl_date,consignee,packages,package_unit,containers\n"
    for line, column in BAD_MANIFEST:
        with pytest.raises(InputError) as e:
            env.pib.import_manifest(env.admin, text=header + line + "\n", source="m.csv")
        assert e.value.field == f"m.csv:line 2:{column}"


def test_block_and_unblock_an_importer(env):
    info = env.pib.block_importer(env.supervisor, "01.234.567.8-901.000", "PT Sinar Data Nusantara", "audit finding")
    assert info.npwp == "012345678901000" and info.blocked_by == "agus"
    assert [b.npwp for b in env.pib.blocked_importers(env.examiner)] == ["012345678901000"]
    with pytest.raises(Refusal) as e:
        env.pib.block_importer(env.supervisor, "012345678901000", "x", "again")
    assert e.value.code == "ALREADY_BLOCKED"
    r = env.intake()
    assert [p.code.value for p in r.problems] == ["IMPORTER_BLOCKED"]
    env.pib.unblock_importer(env.supervisor, "012345678901000", "settled")
    assert env.pib.blocked_importers(env.supervisor) == []
    r2 = env.intake(fixture_text("intake_ok.json").replace('"pos": "0101"', '"pos": "0101" '))  # resubmitted
    assert r2.accepted and r2.submission == 2
    with pytest.raises(Refusal):
        env.pib.unblock_importer(env.supervisor, "012345678901000", "twice")


BAD_BLOCK = [
    ("12345", "PT X", "r", "npwp"),
    ("012345678901000", "", "r", "name"),
    ("012345678901000", "PT X", "  ", "reason"),
]


def test_block_form_errors(env):
    for npwp, name, reason, field in BAD_BLOCK:
        with pytest.raises(InputError) as e:
            env.pib.block_importer(env.supervisor, npwp, name, reason)
        assert e.value.field == field
    assert env.pib.blocked_importers(env.supervisor) == []


def test_declared_for_bc11_tells_the_plp_workflow(env):
    day = dt.date(2026, 11, 18)
    assert not env.pib.declared_for_bc11("001234", day)
    env.intake(variant("204", "skp_bc11_unknown.json"))  # rejected PIBs do not count
    assert not env.pib.declared_for_bc11("001234", day)
    env.intake()
    assert env.pib.declared_for_bc11("001234", day)
