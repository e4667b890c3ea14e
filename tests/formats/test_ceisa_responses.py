"""A CEISA BC 2.0 document received and walked through the red lane by the services (every step reads the
stored CEISA text), and `workstation pib response CASE_OR_AJU --format ceisa` exporting the office's
responses with CEISA's response codes (DOMAIN.md §2): 02 rejection, 05 SPJM, 03 SPPB, 27 SPTNP, 13 SPBL."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from tests.formats.test_ceisa import CEISA, dumps
from tests.services.test_pib_support import FIXTURES, env_fixture, lhp_form  # noqa: F401  (the `env` fixture)
from workstation.cli import main
from workstation.domain.pib import PibState as P


def ceisa_text(seq: str, **header: Any) -> str:
    """The CEISA fixture without its third item (the smartphones: the LHP form knows two items) under an aju
    ending in `seq`; `header` and `barang0` / `barang1` (dicts) change fields."""
    doc = json.loads(CEISA.read_text(encoding="utf-8"), parse_float=Decimal)
    doc["barang"] = doc["barang"][:2]
    doc["nomorAju"] = doc["nomorAju"][: -len(seq)] + seq
    for n in (0, 1):
        doc["barang"][n].update(header.pop(f"barang{n}", {}))
    doc.update(header)
    return dumps(doc)


@pytest.fixture
def cli(env, settings, monkeypatch, capsys):
    monkeypatch.setenv("WORKSTATION_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("WORKSTATION_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("WORKSTATION_PASSWORD_HASHING", "fast")
    monkeypatch.setenv("WORKSTATION_OFFICE__CODE", "040300")  # a configured office (#12 item 7)
    monkeypatch.delenv("WORKSTATION_CONFIG", raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def responses(cli, ref: str) -> list[dict[str, Any]]:
    code, out, err = cli("pib", "response", ref, "--format", "ceisa", "--as", "dewi")
    assert (code, err) == (0, ""), err
    return json.loads(out)["dataRespon"]


def codes(rows: list[dict[str, Any]]) -> list[str]:
    return [r["kodeRespon"] for r in rows]


def test_ceisa_import_through_the_cli_then_rejection_exported_with_code_02(env, cli, tmp_path):
    bad = tmp_path / "bc20.json"
    bad.write_text(ceisa_text("000601", barang0={"posTarif": "8471309999"}), encoding="utf-8")  # not in the tariff
    code, out, err = cli("pib", "import", "--as", "dewi", str(bad), "--json")
    assert code == 1 and err == ""
    result = json.loads(out)
    assert (result["aju"], result["state"]) == ("04032000000020261120000601", "REJECTED")
    rows = responses(cli, result["aju"])
    assert codes(rows) == ["02"]
    assert rows[0]["nomorRespon"] == result["documents"][0] and rows[0]["nomorAju"] == result["aju"]
    issued = env.detail(env.pib.find(result["aju"])).documents[0]
    assert rows[0]["nomorDaftar"] == "" and rows[0]["tanggalRespon"] == issued.issue_date.isoformat()
    assert [p["uraian1"] for p in rows[0]["pesan"]] == ["HS_UNKNOWN"]


def test_accepted_ceisa_pib_is_stored_as_received_and_billed(env):
    text = ceisa_text("000602")
    r = env.intake(text)
    assert r.accepted and r.state == P.BILLED
    from sqlalchemy import select

    from db.models_pib import PibSubmission

    with env.services.ctx.db.read() as s:
        stored = s.scalar(select(PibSubmission.document).where(PibSubmission.case_id == r.case_id))
    assert stored == text  # what came in, not a translation
    detail = env.detail(r.case_id)
    assert detail.doc.items[1].bm_rate == Decimal("7.50")
    assert detail.submissions[-1].format == "ceisa/bc20"  # the PIB screen says what came in
    assert env.intake(text).unchanged  # the same document again is a no-op


def test_spjm_exported_with_code_05_after_the_billing_20(env, cli):
    cid = env.registered(ceisa_text("000603"))
    d = env.detail(cid)
    assert d.state == P.SPJM
    rows = responses(cli, d.aju)
    assert codes(rows) == ["20", "05"]
    spjm = rows[1]
    assert spjm["nomorDaftar"] == d.registration_number and spjm["tanggalDaftar"] == d.registered_on.isoformat()
    assert spjm["nomorRespon"] == next(x.number for x in d.documents if x.doc_type == "SPJM")
    assert rows[0]["nomorRespon"] == d.billing("DECLARED").code


def test_sppb_exported_with_code_03_by_case_id_and_to_a_file(env, cli, tmp_path):
    cid = env.in_research(ceisa_text("000604"))
    assert env.determine(cid).case.state == P.SPPB
    out = tmp_path / "respon.json"
    code, stdout, err = cli("pib", "response", str(cid), "--as", "dewi", "--out", str(out))
    assert (code, stdout, err) == (0, "", "")
    rows = json.loads(out.read_text(encoding="utf-8"))["dataRespon"]
    # billing, SPJM, IP, LHP, SPPB (the BAP has no CEISA response code)
    assert codes(rows) == ["20", "05", "80", "07", "03"]
    sppb = next(x for x in env.detail(cid).documents if x.doc_type == "SPPB")
    assert rows[-1]["nomorRespon"] == sppb.number and rows[-1]["keterangan"] == "SPPB"


def test_sptnp_exported_with_code_27_and_its_billing(env, cli):
    cid = env.in_research(ceisa_text("000605"), lhp=lhp_form(match=False))
    r = env.determine(cid, [{"seq": 1, "hs_code": "8471500000", "cif": "6500.00", "bm_rate": "5"}])
    assert r.case.state == P.SPTNP
    rows = responses(cli, env.detail(cid).aju)
    assert codes(rows)[-2:] == ["27", "20"]
    assert rows[-1]["nomorRespon"] == r.billing_code and "SPTNP" in rows[-1]["keterangan"]


def test_spbl_exported_with_code_13(env, cli):
    cid = env.in_research(ceisa_text("000606"))
    r = env.determine(cid, [{"seq": 1, "hs_code": "8517130000"}])
    assert r.case.state == P.SPBL
    rows = responses(cli, env.detail(cid).aju)
    assert codes(rows)[-1] == "13"
    assert rows[-1]["nomorRespon"] == r.documents[0]


def test_unknown_aju_is_a_refusal_naming_it(cli):
    code, out, err = cli("pib", "response", "04032000000020261120999999", "--as", "dewi")
    assert code == 1 and out == "" and "04032000000020261120999999" in err
