"""The scan decoder (workstation.domain.scan) and `workstation scan decode`."""

from __future__ import annotations

import base64
import datetime as dt
import json
import string
import zlib

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from workstation.cli import main
from workstation.domain.identifiers import iso6346_check_digit, mrz_check_digit
from workstation.domain.scan import (
    MAX_ECD_JSON_BYTES,
    AimError,
    decode_scan,
    encode_ecd_offline,
    parse_aim,
    split_aim,
)

TODAY = dt.date(2026, 11, 22)
L1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
L2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"

ECD_DOC = {
    "format": "ecd/1",
    "ecd_id": "ECD-20261121-000123",
    "submitted_at": "2026-11-20T09:15:00+07:00",
    "arrival": {"date": "2026-11-21", "port": "CGK", "carrier": "GA", "flight": "GA881", "from_port": "NRT"},
    "declarant": {
        "name": "Budi Santoso",
        "passport": "A1234567",
        "nationality": "IDN",
        "birth_date": "1980-05-01",
        "traveller_type": "passenger",
        "npwp": None,
    },
    "family_members": [],
    "goods": [
        {
            "description": "Laptop",
            "hs_code": "847130",
            "quantity": 1,
            "unit": "PCE",
            "value": "1200.00",
            "currency": "USD",
            "personal_use": True,
        }
    ],
    "excise": {"cigarettes": 0, "cigars": 0, "sliced_tobacco_g": 0, "alcohol_l": "0"},
    "cash": [{"currency": "IDR", "amount": "0", "bearer_instrument": False}],
    "carrying": {
        "animals_fish_plants": False,
        "narcotics_psychotropics": False,
        "weapons_ammunition_explosives": False,
        "pornography": False,
    },
}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# --- containers -----------------------------------------------------------------------------------------


def test_container_from_domain_brief_is_valid_with_expected_check_digit():
    r = decode_scan("CSQU3054383")
    assert (r.kind, r.valid, r.value) == ("container", True, "CSQU3054383")
    assert r.detail["check_digit_expected"] == 3


@pytest.mark.parametrize("text", ["csqu 305438 3", "CSQU-305438-3", "  CSQU3054383\r\n"])
def test_container_spacing_and_case_are_normalised(text):
    r = decode_scan(text)
    assert (r.kind, r.valid, r.value) == ("container", True, "CSQU3054383")


def test_container_wrong_digit_and_missing_digit_are_recognised_but_invalid():
    wrong = decode_scan("CSQU3054384")
    assert (wrong.kind, wrong.valid) == ("container", False)
    assert wrong.detail["check_digit_expected"] == 3
    missing = decode_scan("CSQU305438")
    assert (missing.kind, missing.valid, missing.detail["check_digit"]) == ("container", False, None)
    assert decode_scan("CSQX3054383").valid is False  # category must be U, J or Z


@settings(max_examples=200, deadline=None)
@given(
    st.text(string.ascii_uppercase, min_size=3, max_size=3),
    st.sampled_from("UJZ"),
    st.text(string.digits, min_size=6, max_size=6),
    st.integers(0, 9),
)
def test_container_valid_exactly_when_check_digit_matches(owner, cat, serial, digit):
    first10 = owner + cat + serial
    r = decode_scan(first10 + str(digit))
    assert r.kind == "container"
    assert r.valid == (digit == iso6346_check_digit(first10))
    assert r.detail["check_digit_expected"] == iso6346_check_digit(first10)


# --- AIM --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "name"), [("]Q1", "QR"), ("]C0", "CODE128"), ("]L2", "PDF417"), ("]d2", "DATAMATRIX"), ("]E0", "EAN_UPC")]
)
def test_aim_identifiers_name_the_symbology(prefix, name):
    assert parse_aim(prefix).symbology == name
    assert decode_scan(prefix + "CSQU3054383").symbology == name


@pytest.mark.parametrize("bad", ["]W1", "]Q9", "]C3", "]Q", "Q1x", "]Q "])
def test_wrong_aim_identifiers_are_refused(bad):
    with pytest.raises(AimError):
        parse_aim(bad)


def test_gs1_modifiers_are_flagged():
    assert parse_aim("]C1").gs1 and parse_aim("]Q3").gs1 and parse_aim("]d2").gs1
    assert not parse_aim("]C0").gs1 and not parse_aim("]Q1").gs1


def test_text_with_an_invalid_aim_prefix_is_decoded_whole():
    aim, body = split_aim("]W1CSQU3054383")
    assert aim is None and body == "]W1CSQU3054383"
    assert decode_scan("]W1CSQU3054383").kind == "unknown"


# --- MRZ --------------------------------------------------------------------------------------------------


def test_icao_specimen_passport_decodes_with_all_checks():
    r = decode_scan(f"{L1}\n{L2}", today=TODAY)
    assert (r.kind, r.valid) == ("mrz", True)
    d = r.detail
    assert (d["document_number"], d["nationality"], d["birth_date"], d["expiry_date"]) == (
        "L898902C3",
        "UTO",
        "1974-08-12",
        "2012-04-15",
    )
    assert d["checks"] == {k: True for k in ("document_number", "birth_date", "expiry_date", "personal_number", "composite")}
    assert d["expired"] is True
    assert (d["surname"], d["given_names"]) == ("ERIKSSON", "ANNA MARIA")


def test_mrz_accepts_crlf_and_an_88_character_run():
    assert decode_scan(f"]Z0{L1}\r\n{L2}", today=TODAY).valid
    assert decode_scan(L1 + L2, today=TODAY).valid


@pytest.mark.parametrize(
    ("pos", "check"),
    [(9, "document_number"), (19, "birth_date"), (27, "expiry_date"), (42, "personal_number"), (43, "composite")],
)
def test_each_wrong_check_digit_is_named(pos, check):
    digit = str((int(L2[pos]) + 1) % 10)
    r = decode_scan(f"{L1}\n{L2[:pos]}{digit}{L2[pos + 1 :]}", today=TODAY)
    assert r.kind == "mrz" and not r.valid
    assert r.detail["checks"][check] is False
    failing = {k for k, ok in r.detail["checks"].items() if not ok}
    assert check in failing


def test_mrz_with_short_line_is_recognised_but_invalid():
    r = decode_scan(f"{L1}\n{L2[:-1]}")
    assert (r.kind, r.valid) == ("mrz", False)


mrz_field = st.text(string.ascii_uppercase + string.digits + "<", min_size=9, max_size=9)


@settings(max_examples=150, deadline=None)
@given(
    mrz_field,
    st.dates(dt.date(1930, 1, 1), dt.date(2025, 12, 31)),
    st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31)),
    st.text(string.ascii_uppercase + string.digits, max_size=14),
)
def test_generated_passports_validate_and_a_changed_digit_fails(docno, birth, expiry, personal):
    b, e = birth.strftime("%y%m%d"), expiry.strftime("%y%m%d")
    personal = personal.ljust(14, "<")
    pcd = "<" if set(personal) == {"<"} else str(mrz_check_digit(personal))
    body = f"{docno}{mrz_check_digit(docno)}UTO{b}{mrz_check_digit(b)}M{e}{mrz_check_digit(e)}{personal}{pcd}"
    composite = body[0:10] + body[13:20] + body[21:43]
    line2 = body + str(mrz_check_digit(composite))
    r = decode_scan(f"{L1}\n{line2}", today=TODAY)
    assert r.valid, r.detail
    assert r.detail["birth_date"] == birth.isoformat()
    assert r.detail["expiry_date"] == expiry.isoformat()
    bumped = str((int(line2[19]) + 1) % 10)
    assert not decode_scan(f"{L1}\n{line2[:19]}{bumped}{line2[20:]}", today=TODAY).valid


# --- PIB aju ----------------------------------------------------------------------------------------------


def test_contract_example_aju_splits_as_ceisa_defines_it():
    """CEISA 4.0 nomorAju: 4 office + 2 document code + 6 company (letters allowed) + 8 date + 6 sequence."""
    r = decode_scan("040320AB123420261120000001")
    assert (r.kind, r.valid) == ("pib_aju", True)
    assert r.detail == {"office": "0403", "document_code": "20", "company": "AB1234", "date": "2026-11-20",
                        "sequence": 1, "document": "BC 2.0"}


def test_all_digit_aju_reads_the_document_code_not_an_office():
    r = decode_scan("04032000000020261120000101")
    assert (r.kind, r.valid) == ("pib_aju", True)
    assert (r.detail["office"], r.detail["document_code"], r.detail["company"]) == ("0403", "20", "000000")


@pytest.mark.parametrize(("text", "form"), [("040323AB123420261120000001", "BC 2.3"),
                                            ("040330INA9G220261120000025", "BC 3.0")])
def test_aju_of_another_customs_document_is_an_aju_not_a_pib(text, form):
    r = decode_scan(text)
    assert (r.kind, r.valid) == ("aju", True)
    assert r.detail["document"] == form and r.detail["note"] == "an aju, not a PIB"
    assert r.detail["office"] == "0403"  # never the document code read as part of the office


@pytest.mark.parametrize("text", ["040320AB123420261131000001", "040320AB123420261120000000"])
def test_aju_with_impossible_date_or_zero_sequence_is_invalid(text):
    r = decode_scan(text)
    assert (r.kind, r.valid) == ("pib_aju", False)
    assert r.detail["error"]


def test_other_digit_runs_are_not_aju_numbers():
    assert decode_scan("0401010012342026112000000").kind == "unknown"


# --- e-CD -------------------------------------------------------------------------------------------------


def test_ecd_reference():
    r = decode_scan("]Q1ECD:ECD-20261121-000123")
    assert (r.kind, r.symbology, r.valid, r.value) == ("ecd", "QR", True, "ECD-20261121-000123")
    assert r.detail["mode"] == "reference"
    assert not decode_scan("ECD:bad id!").valid


def _offline_stage(text: str) -> tuple[bool, str | None]:
    r = decode_scan(text)
    assert r.kind == "ecd"
    return r.valid, r.detail.get("stage")


def test_offline_ecd_decodes_to_its_json_id_before_schema_validation():
    text = encode_ecd_offline(json.dumps(ECD_DOC))
    r = decode_scan(text)
    assert r.kind == "ecd" and r.detail["mode"] == "offline"
    assert r.detail["ecd_id"] == "ECD-20261121-000123"
    assert r.detail["format"] == "ecd/1"
    assert r.detail.get("stage") in (None, "schema")  # the schema stage needs workstation.domain.ecd


def test_offline_ecd_validates_with_the_ecd_schema():
    pytest.importorskip("workstation.domain.ecd", reason="EcdDocument not written yet")
    r = decode_scan(encode_ecd_offline(json.dumps(ECD_DOC)))
    assert r.valid, r.detail
    assert r.document is not None and r.value == "ECD-20261121-000123"
    bad = dict(ECD_DOC, unexpected_field=1)
    r = decode_scan(encode_ecd_offline(json.dumps(bad)))
    assert (r.valid, r.detail["stage"]) == (False, "schema")


def test_offline_ecd_refuses_a_zip_bomb_without_inflating_it():
    bomb = zlib.compress(b" " * (MAX_ECD_JSON_BYTES * 20), 9)  # 5 MiB of JSON whitespace
    assert len(bomb) < 6_000  # fits in one QR code
    assert _offline_stage("ECD1:" + _b64(bomb)) == (False, "size")


@pytest.mark.parametrize(
    ("payload", "stage"),
    [
        ("not base64!", "base64"),
        ("", "base64"),
        (_b64(b"plain text"), "zlib"),
        (_b64(zlib.compress(b'{"a": 1}')[:-3]), "zlib"),  # truncated
        (_b64(zlib.compress(b'{"a": 1}') + b"xx"), "zlib"),  # trailing bytes
        (_b64(zlib.compress(b"[1, 2]")), "json"),
        (_b64(zlib.compress(b"{not json")), "json"),
        (_b64(zlib.compress(b'{"value": 1.5}')), "json"),  # money is never float
        (_b64(zlib.compress(b"\xff\xfe{}")), "json"),
    ],
)
def test_offline_ecd_failures_name_their_stage(payload, stage):
    assert _offline_stage("ECD1:" + payload) == (False, stage)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_decoder_never_raises_and_always_answers_the_contract_shape(text):
    r = decode_scan(text).to_json()
    assert set(r) == {"kind", "symbology", "valid", "value", "detail"}
    assert r["kind"] in ("container", "mrz", "ecd", "pib_aju", "aju", "unknown")
    json.dumps(r)


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=300))
def test_offline_ecd_with_arbitrary_payload_never_raises(raw):
    assume(raw)
    r = decode_scan("ECD1:" + _b64(zlib.compress(raw)))
    assert r.kind == "ecd" and r.valid is False


# --- the command --------------------------------------------------------------------------------------------


def run_cli(capsys, *argv):
    code = main(["scan", "decode", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_valid_scan_exits_0_with_contract_json(capsys):
    code, out, _ = run_cli(capsys, "]C0CSQU3054383", "--json")
    assert code == 0
    assert json.loads(out) == {
        "kind": "container",
        "symbology": "CODE128",
        "valid": True,
        "value": "CSQU3054383",
        "detail": {
            "owner_code": "CSQ",
            "category": "U",
            "serial": "305438",
            "check_digit": 3,
            "check_digit_expected": 3,
        },
    }


def test_cli_invalid_or_unknown_exits_1_still_printing_json(capsys):
    code, out, _ = run_cli(capsys, "CSQU3054384", "--json")
    assert code == 1 and json.loads(out)["valid"] is False
    code, out, _ = run_cli(capsys, "hello world", "--json")
    assert code == 1 and json.loads(out)["kind"] == "unknown"


@pytest.mark.parametrize("text", ["", "   ", "abc\x07def", "x" * 9000])
def test_cli_unusable_input_exits_2_with_one_line(capsys, text):
    code, out, err = run_cli(capsys, text, "--json")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "TEXT" in err


def test_cli_reads_an_mrz_from_stdin(capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(f"{L1}\n{L2}\n"))
    code, out, _ = run_cli(capsys, "-", "--json")
    assert code == 0 and json.loads(out)["kind"] == "mrz"
