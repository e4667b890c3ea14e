"""TPS Online PLP requests (workstation/formats/tpsonline.py) read beside plp/1 by `plp check` and `plp import`,
container numbers in their marking form, and the office's answer as the TPS Online PLP response — through the
command line, as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workstation.domain.codes import Role
from workstation.domain.plp import Applicant, PlpReason
from workstation.errors import InputError
from workstation.formats import tpsonline

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "plp"
TWINS = [("eligible_yor", "tps_online_yor"), ("yor_below", "tps_online_yor_below"),
         ("plp1_marking", "tps_online_marking"), ("plp1_rush", "tps_online_rush")]


@pytest.fixture
def run(run_offline):
    return run_offline


@pytest.fixture
def db_run(settings, monkeypatch, run):
    """`run` against the test database."""
    monkeypatch.setenv("WORKSTATION_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("WORKSTATION_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("WORKSTATION_PASSWORD_HASHING", "fast")
    monkeypatch.delenv("WORKSTATION_CONFIG", raising=False)
    return run


def _tps(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def _text(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False)


# --- twins: the same request in both formats gives the same `plp check` ------------------------------------
@pytest.mark.parametrize(("plp1", "tps"), TWINS)
@pytest.mark.parametrize("as_json", [True, False])
def test_a_tps_online_request_and_its_plp1_twin_check_alike(run, plp1, tps, as_json):
    flags = ["--json"] if as_json else []
    a = run("plp", "check", str(FIXTURES / f"{plp1}.json"), *flags)
    b = run("plp", "check", str(FIXTURES / f"{tps}.json"), *flags)
    assert a.stderr == b.stderr == ""
    assert (a.returncode, a.stdout) == (b.returncode, b.stdout)


def test_the_twins_map_to_the_same_domain_model():
    for plp1, tps in TWINS:
        a = tpsonline.read_request((FIXTURES / f"{plp1}.json").read_text(encoding="utf-8"))
        b = tpsonline.read_request((FIXTURES / f"{tps}.json").read_text(encoding="utf-8"))
        assert (a.format, b.format) == (tpsonline.PLP1, tpsonline.FORMAT)
        assert a.request == b.request, plp1
    rush = tpsonline.read_plp_request((FIXTURES / "tps_online_rush.json").read_text(encoding="utf-8"))
    assert rush.applicant is Applicant.DESTINATION and rush.reason == PlpReason.RUSH_HANDLING
    assert [p.kind for p in rush.packages] == ["PK", "CT"]


def test_outcomes_in_both_formats(run):
    ok = json.loads(run("plp", "check", str(FIXTURES / "tps_online_yor.json"), "--json").stdout)
    assert ok == {"eligible": True, "reasons": ["YOR_OVER_THRESHOLD"], "refusals": []}
    p = run("plp", "check", str(FIXTURES / "tps_online_yor_below.json"), "--json")
    assert p.returncode == 1 and json.loads(p.stdout)["refusals"] == ["YOR_BELOW_THRESHOLD"]


# --- numbers from their decimal text ------------------------------------------------------------------------------
def test_yor_numbers_are_read_from_their_text_never_through_a_float(run):
    doc = _tps("tps_online_yor")
    doc["header"]["yorAsal"] = "@"  # placeholder, replaced in the text below
    text = _text(doc)
    # 64.99999999999999999 is 65.0 as a float (at the threshold); as written it is below it, with too many
    # decimals to decide on: refused, naming the field, never taken as 65.
    p = run("plp", "check", "-", "--json", stdin=text.replace('"@"', "64.99999999999999999"))
    assert p.returncode == 2 and "header.yorAsal" in p.stderr and "decimal places" in p.stderr
    p = run("plp", "check", "-", "--json", stdin=text.replace('"@"', "64.999999"))
    assert p.returncode == 1 and json.loads(p.stdout)["refusals"] == ["YOR_BELOW_THRESHOLD"]
    p = run("plp", "check", "-", "--json", stdin=text.replace('"@"', "6.5E1"))
    assert p.returncode == 0, p.stderr
    request = tpsonline.read_plp_request(text.replace('"@"', "71.50"))
    assert str(request.origin.yor_pct) == "71.50"


def test_plp1_still_refuses_a_float():
    with pytest.raises(InputError) as e:
        tpsonline.read_plp_request((FIXTURES / "float_yor.json").read_text(encoding="utf-8"))
    assert e.value.field == "origin.yor_pct" and "not a JSON number" in str(e.value)


# --- errors name the path of the format that was sent ---------------------------------------------------------
@pytest.mark.parametrize(("change", "path", "words"), [
    (lambda d: d["header"].update(tanggalBc11="2026-11-18"), "header.tanggalBc11", "dd-MM-yyyy"),
    (lambda d: d["header"].update(tanggalBc11="31-02-2026"), "header.tanggalBc11", "calendar"),
    (lambda d: d["header"].pop("kodeTpsAsal"), "header.kodeTpsAsal", "missing"),
    (lambda d: d["header"].update(kodeTpsTujuan="KOJA"), "header.kodeTpsTujuan", "origin TPS"),
    (lambda d: d.update(detil=[]), "detil", "at least one container or package"),
    (lambda d: d["detil"][0]["kontainer"].append({"nomorKontainer": "csqu 305438-3", "ukuranKontainer": "40"}),
     "detil[0].kontainer[1].nomorKontainer", "duplicate"),
    (lambda d: d["detil"][0]["kontainer"][0].update(ukuranKontainer="10"), "detil[0].kontainer[0].ukuranKontainer",
     "20, 40 or 45"),
    (lambda d: d["detil"][0].update(kemasan=[{"jenisKemasan": "CTN", "jumlahKemasan": 1, "nomorBlAwb": "B1"}]),
     "detil[0].kemasan[0].jenisKemasan", "2 characters"),
    (lambda d: d["detil"][0].update(kemasan=[{"jenisKemasan": "PK", "jumlahKemasan": 1.5, "nomorBlAwb": "B1"}]),
     "detil[0].kemasan[0].jumlahKemasan", "whole number"),
    (lambda d: d["header"].update(kodeKantor="050100"), "header.kodeKantor", "--port"),
])
def test_bad_tps_online_input_names_its_path(run, change, path, words):
    doc = _tps("tps_online_yor")
    change(doc)
    p = run("plp", "check", "-", "--json", stdin=_text(doc))
    assert p.returncode == 2 and p.stdout == ""
    assert len(p.stderr.strip().splitlines()) == 1 and f"{path}:" in p.stderr and words in p.stderr, p.stderr


def test_the_port_comes_from_the_option_when_the_office_has_none(run):
    doc = _tps("tps_online_yor")
    doc["header"]["kodeKantor"] = "050100"
    p = run("plp", "check", "-", "--json", "--port", "IDBLW", stdin=_text(doc))
    assert p.returncode == 0, p.stderr  # default threshold (65 %) where the port has none


def test_unknown_reason_digit_is_a_refusal_not_bad_input(run):
    doc = _tps("tps_online_yor")
    doc["header"]["kodeAlasanPlp"] = "0"
    p = run("plp", "check", "-", "--json", stdin=_text(doc))
    assert p.returncode == 1 and json.loads(p.stdout)["refusals"] == ["UNKNOWN_REASON"]


def test_neither_format_is_named(run):
    p = run("plp", "check", "-", stdin='{"kontainer": []}')
    assert p.returncode == 2 and "plp/1" in p.stderr and "TPS Online" in p.stderr


def test_unknown_optional_fields_of_the_real_schema_are_accepted(run):
    doc = _tps("tps_online_yor")
    doc["header"]["tpsTujuan"] = {"kodeTpsTujuan": "MTI1", "alasanPenunjukan": "kapasitas"}
    doc["detil"][0]["kontainer"][0]["nomorSegel"] = "S123"
    assert run("plp", "check", "-", "--json", stdin=_text(doc)).returncode == 0


# --- container numbers in marking form (item 6) ---------------------------------------------------------------
@pytest.mark.parametrize("number", ["TOLU 473478 7", "tolu 473478 7", "TOLU 473478-7", "TOLU 473478 [7]",
                                    "tolu4734787"])
def test_marking_form_is_one_container_number_everywhere(run, number):
    from workstation import inputs

    assert inputs.container_marking(number) == "TOLU4734787"
    assert inputs.container_number(number, "container") == "TOLU4734787"
    doc = json.loads((FIXTURES / "plp1_marking.json").read_text(encoding="utf-8"))
    doc["containers"] = [{"number": number, "size": "20"}]
    p = run("plp", "check", "-", "--json", stdin=_text(doc))
    assert p.returncode == 0 and json.loads(p.stdout)["refusals"] == [], p.stdout + p.stderr
    if "[" not in number:  # scan decode has its own compaction (domain/scan.py): no boxed check digit yet
        scan = run("scan", "decode", number, "--json")
        assert json.loads(scan.stdout)["value"] == "TOLU4734787"


def test_a_wrong_check_digit_is_still_refused_in_marking_form(run):
    doc = json.loads((FIXTURES / "plp1_marking.json").read_text(encoding="utf-8"))
    doc["containers"] = [{"number": "tolu 473478 8", "size": "20"}]
    p = run("plp", "check", "-", "--json", stdin=_text(doc))
    assert p.returncode == 1 and json.loads(p.stdout)["refusals"] == ["INVALID_CONTAINER_NUMBER"]
    assert "TOLU4734788" in run("plp", "check", "-", stdin=_text(doc)).stdout


def test_two_writings_of_one_container_are_a_duplicate_in_plp1():
    doc = json.loads((FIXTURES / "plp1_marking.json").read_text(encoding="utf-8"))
    doc["containers"].append({"number": "TOLU4734787", "size": "20"})
    with pytest.raises(InputError) as e:
        tpsonline.read_plp_request(_text(doc))
    assert e.value.field == "containers[2].number"


# --- import and the TPS Online response -------------------------------------------------------------------------
@pytest.fixture
def plp(services, users):
    services.issuance.ensure_office_key()
    sup = users[Role.SUPERVISOR]
    services.plp.save_tps(sup, "KOJA", "TPK Koja", "PT Koja", "IDTPP", 1000, occupancy_teu_entered=700)
    services.plp.save_tps(sup, "MTI1", "MTI 1", "PT MTI", "IDTPP", 1000)
    return services.plp


def test_import_reads_tps_online_and_keeps_it_as_received(plp, users, db_run):
    p = db_run("plp", "import", str(FIXTURES / "tps_online_marking.json"), str(FIXTURES / "tps_online_rush.json"))
    assert p.returncode == 0 and p.stdout.count("SUBMITTED") == 2, p.stdout + p.stderr
    [rush, marking] = plp.queue("open")  # newest first
    detail = plp.get(marking.case_id)
    assert [ln.container_number for ln in detail.lines] == ["TOLU4734787", "CSQU3054383"]
    assert json.loads(plp.received(marking.case_id))["header"]["refNumber"] == "KOJA-PLP-261118-03"
    assert plp.get(rush.case_id).applicant == "destination"


def test_import_of_bad_tps_online_writes_nothing(plp, db_run):
    doc = _tps("tps_online_yor")
    doc["header"]["tanggalBc11"] = "18/11/2026"
    p = db_run("plp", "import", "-", stdin=_text(doc))
    assert p.returncode == 2 and "header.tanggalBc11" in p.stderr
    assert plp.queue("all") == []


def test_approval_answered_as_tps_online_response(plp, users, db_run, tmp_path):
    text = (FIXTURES / "tps_online_marking.json").read_text(encoding="utf-8")
    d = plp.import_request(users[Role.OFFICER], text, source="tps_online_marking.json")
    d = plp.decide(users[Role.SUPERVISOR], d.case.id, d.case.version, {1: (True, ""), 2: (False, "segel rusak")})
    out = tmp_path / "respon.json"
    p = db_run("plp", "response", d.case.reference, "--out", str(out))
    assert p.returncode == 0, p.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["code"] == 200
    [answer] = doc["data"]["responPlp"]
    head = answer["header"]
    assert head["nomorPlp"] == d.plp_number and head["tanggalPlp"] == d.plp_date.strftime("%d-%m-%Y")
    assert head["refNumber"] == "KOJA-PLP-261118-03" and head["nomorSurat"] == "S-118/KOJA/PLP/XI/2026"
    assert (head["kodeTpsAsal"], head["gudangAsal"], head["kodeTpsTujuan"]) == ("KOJA", "TPK1", "MTI1")
    assert head["tanggalBc11"] == "18-11-2026" and head["kodeAlasanPlp"] == "1"
    assert head["alasanReject"] == "segel rusak"
    assert [(k["nomorKontainer"], k["ukuranKontainer"], k["flagSetuju"]) for k in answer["kontainer"]] == [
        ("TOLU4734787", "20", "Y"), ("CSQU3054383", "40", "T")]
    # by its PLP number too, to standard output
    again = db_run("plp", "response", d.plp_number)
    assert json.loads(again.stdout)["data"] == doc["data"]


def test_refusal_answered_as_tps_online_response(plp, users, db_run):
    text = (FIXTURES / "tps_online_yor_below.json").read_text(encoding="utf-8")
    d = plp.import_request(users[Role.OFFICER], text, source="tps_online_yor_below.json")
    assert d.case.state == "REJECTED"
    p = db_run("plp", "response", d.case.reference)
    assert p.returncode == 0, p.stderr
    [answer] = json.loads(p.stdout)["data"]["responPlp"]
    assert answer["header"]["nomorPlp"] is None and answer["header"]["tanggalPlp"] is None
    assert "YOR_BELOW_THRESHOLD" in answer["header"]["alasanReject"]
    assert [k["flagSetuju"] for k in answer["kontainer"]] == ["T"]


def test_plp1_request_answered_with_its_reference_and_packages(plp, users, db_run):
    text = (FIXTURES / "plp1_rush.json").read_text(encoding="utf-8")
    d = plp.import_request(users[Role.OFFICER], text, source="plp1_rush.json")
    d = plp.decide(users[Role.SUPERVISOR], d.case.id, d.case.version, {1: (True, ""), 2: (True, "")})
    [answer] = json.loads(db_run("plp", "response", d.case.reference).stdout)["data"]["responPlp"]
    assert answer["header"]["refNumber"] == d.case.reference and answer["header"]["kodeAlasanPlp"] == "8"
    assert [(k["jenisKemasan"], k["jumlahKemasan"], k["flagSetuju"]) for k in answer["kemasan"]] == [
        ("PK", 12, "Y"), ("CT", 3, "Y")]


def test_an_undecided_request_has_no_response(plp, users, db_run):
    text = (FIXTURES / "tps_online_yor.json").read_text(encoding="utf-8")
    d = plp.import_request(users[Role.OFFICER], text, source="tps_online_yor.json")
    p = db_run("plp", "response", d.case.reference)
    assert p.returncode == 1 and "SUBMITTED" in p.stderr and p.stdout == ""
    assert db_run("plp", "response", "PLP-19990101-0001").returncode == 1


def test_a_request_for_another_office_names_its_header_field(plp, db_run):
    doc = _tps("tps_online_yor")
    doc["header"]["kodeKantor"] = "050100"
    p = db_run("plp", "import", "-", "--port", "IDBLW", stdin=_text(doc))
    assert p.returncode == 2 and "header.kodeKantor" in p.stderr and "050100" in p.stderr
    assert plp.queue("all") == []
