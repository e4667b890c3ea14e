"""CEISA 4.0 BC 2.0 "Kirim Dokumen" JSON read into the pib/1 domain model (workstation/formats/ceisa.py):
the twin fixtures give the same document and the same `pib assess --json`; numbers are exact and bounded by
the schema's multipleOf; required fields are named by their JSON path; unknown fields are accepted."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workstation.cli import main
from workstation.domain.errors import ErrorCode, InputError
from workstation.domain.pib import parse_pib
from workstation.formats import pib_format, read_pib
from workstation.formats.ceisa import BC20_FORMAT, parse_bc20

FIXTURES = Path(__file__).parents[1] / "fixtures" / "pib"
CEISA = FIXTURES / "ceisa_bc20.json"
TWIN = FIXTURES / "lartas_phone_with_permit.json"  # the same PIB in pib/1


def ceisa_doc() -> dict[str, Any]:
    return json.loads(CEISA.read_text(encoding="utf-8"), parse_float=Decimal)


def dumps(value: Any) -> str:
    """JSON text with Decimals written as JSON numbers, their digits exactly as held."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(dumps(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def refused(doc: dict[str, Any]) -> InputError:
    with pytest.raises(InputError) as exc:
        parse_bc20(dumps(doc))
    return exc.value


def test_fixture_and_its_pib1_twin_are_the_same_document():
    assert pib_format(json.loads(CEISA.read_text())) == BC20_FORMAT
    assert read_pib(CEISA.read_text()) == parse_pib(TWIN.read_text())


def test_mapping_of_the_fields_that_decide():
    doc = read_pib(CEISA.read_text())
    assert (doc.aju, doc.office, doc.currency, doc.ndpbm) == ("04032000000020261120000302", "040300", "USD",
                                                              Decimal("16000"))
    assert (doc.bc11.number, doc.bc11.pos, doc.bl.number) == ("001234", "0101", "MAEU260001101")
    assert doc.importer.name == "PT Sinar Data Nusantara" and doc.importer.api
    phone = doc.items[2]
    assert (phone.hs_code, phone.quantity, phone.cif, phone.ppn_rate) == ("8517130000", 50, Decimal("10000.00"), 11)
    # the permit is the dokumen the item names that is neither the invoice (380) nor the B/L (705)
    assert phone.lartas_required and phone.lartas_permit == "PI-04.PI-61.26.0123"
    assert doc.items[1].bm_rate == Decimal("7.50") and doc.items[0].ppnbm_rate == 0  # no PPNBM entry: 0


def test_assess_through_the_cli_gives_the_same_output_for_both_formats(capsys):
    outputs = []
    for path in (CEISA, TWIN):
        assert main(["pib", "assess", str(path), "--json"]) == 0
        outputs.append(json.loads(capsys.readouterr().out))
    assert outputs[0] == outputs[1]
    assert outputs[0]["declared"]["total_idr"] > 0 and outputs[0]["outcome"] == "SPPB"


def test_assess_reads_the_ceisa_document_from_stdin(capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(CEISA.read_bytes())))
    assert main(["pib", "assess", "-", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["outcome"] == "SPPB"


def test_numbers_are_read_from_their_decimal_text_never_through_a_float():
    doc = ceisa_doc()
    # 0.1 + 0.2 style: a float would not hold 1234567.89 and 0.07 exactly
    doc["barang"][0]["cif"] = Decimal("1234567.89")
    doc["ndpbm"] = Decimal("16123.0007")
    got = parse_bc20(dumps(doc))
    assert got.items[0].cif == Decimal("1234567.89") and str(got.items[0].cif) == "1234567.89"
    assert got.ndpbm == Decimal("16123.0007")


def test_an_exponent_number_is_exact_too():
    doc = ceisa_doc()
    doc["barang"][1]["cif"] = Decimal("1.2E+3")
    assert parse_bc20(dumps(doc)).items[1].cif == Decimal("1200")


@pytest.mark.parametrize(("where", "value", "path", "limit"), [
    (("barang", 0, "cif"), "5000.001", "barang[0].cif", 2),
    (("ndpbm",), "16000.00001", "ndpbm", 4),
    (("barang", 1, "barangTarif", 0, "tarif"), "7.505", "barang[1].barangTarif[0].tarif", 2),
    (("barang", 2, "jumlahSatuan"), "50.00001", "barang[2].jumlahSatuan", 4),
    (("bruto",), "1850.50001", "bruto", 4),
    (("freight",), "600.001", "freight", 2),
])
def test_more_decimals_than_the_schemas_multiple_of_is_refused(where, value, path, limit):
    doc = ceisa_doc()
    target: Any = doc
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = Decimal(value)
    err = refused(doc)
    assert (err.code, err.field, err.params["limit"]) == (ErrorCode.TOO_MANY_DECIMALS, path, limit)


@pytest.mark.parametrize("value", ["1E+999999", "1000000000000000000000000", "1e24"])
def test_a_number_beyond_the_schemas_maxlength_is_refused_without_writing_it_out(value):
    doc = ceisa_doc()
    doc["barang"][0]["cif"] = Decimal(value)
    err = refused(doc)
    assert (err.code, err.field) == (ErrorCode.TOO_LARGE, "barang[0].cif")


def test_trailing_zeros_beyond_the_multiple_of_are_still_the_same_number():
    doc = ceisa_doc()
    doc["barang"][0]["cif"] = Decimal("5000.0000")  # a multiple of 0.01 written with four decimals
    assert parse_bc20(dumps(doc)).items[0].cif == Decimal("5000")


@pytest.mark.parametrize(("remove", "path"), [
    (("nomorAju",), "nomorAju"),
    (("kodeValuta",), "kodeValuta"),
    (("tanggalTiba",), "tanggalTiba"),
    (("pengangkut",), "pengangkut"),
    (("barang", 1, "posTarif"), "barang[1].posTarif"),
    (("barang", 0, "barangVd"), "barang[0].barangVd"),
    (("barang", 2, "barangTarif", 1, "tarif"), "barang[2].barangTarif[1].tarif"),
    (("barang", 1, "barangTarif", 0, "tarifFasilitas"), "barang[1].barangTarif[0].tarifFasilitas"),
    (("entitas", 0, "nibEntitas"), "entitas[0].nibEntitas"),
    (("dokumen", 1, "tanggalDokumen"), "dokumen[1].tanggalDokumen"),
    (("kemasan", 0, "merkKemasan"), "kemasan[0].merkKemasan"),
])
def test_a_missing_required_field_is_named_by_its_json_path(remove, path):
    doc = ceisa_doc()
    target: Any = doc
    for key in remove[:-1]:
        target = target[key]
    del target[remove[-1]]
    err = refused(doc)
    assert (err.code, err.field) == (ErrorCode.REQUIRED, path)


def test_no_importer_no_bl_and_no_bm_are_named():
    doc = ceisa_doc()
    doc["entitas"] = [e for e in doc["entitas"] if e["kodeEntitas"] != "1"]
    assert (refused(doc).code, refused(doc).field) == (ErrorCode.REQUIRED, "entitas")
    doc = ceisa_doc()
    doc["dokumen"] = [d for d in doc["dokumen"] if d["kodeDokumen"] != "705"]
    assert refused(doc).field == "dokumen"
    doc = ceisa_doc()
    doc["barang"][1]["barangTarif"] = doc["barang"][1]["barangTarif"][1:]
    assert (refused(doc).code, refused(doc).field) == (ErrorCode.REQUIRED, "barang[1].barangTarif")


def test_unknown_and_unused_optional_fields_are_accepted():
    doc = ceisa_doc()
    doc["kodeBaruVersi2027"] = {"apa": ["saja", 1]}
    doc["barang"][0]["barangTarif"][0]["kodeKomoditiCukai"] = "X"
    doc["entitas"][0]["emailEntitas"] = "impor@example.co.id"
    del doc["kontainer"]  # optional: goods not in containers
    assert parse_bc20(dumps(doc)) == read_pib(CEISA.read_text())


def test_subpos_spelled_as_in_the_schemas_example_is_read():
    doc = ceisa_doc()
    doc["subPosBc11"] = doc.pop("subposBc11")
    assert parse_bc20(dumps(doc)).bc11.subpos == "00000000"


def test_a_value_pib1_refuses_is_named_by_its_ceisa_path():
    doc = ceisa_doc()
    doc["barang"][2]["posTarif"] = "85171"
    assert refused(doc).field == "barang[2].posTarif"
    doc = ceisa_doc()
    doc["kodeValuta"] = "usd"
    assert refused(doc).field == "kodeValuta"
    doc = ceisa_doc()
    doc["barang"][1]["seriBarang"] = 1
    assert refused(doc).field == "barang[1].seriBarang"  # a duplicate item number


def test_the_aju_of_another_document_is_not_a_pib():
    doc = ceisa_doc()
    doc["nomorAju"] = "040323000000" + doc["nomorAju"][12:]
    err = refused(doc)
    assert err.field == "nomorAju" and "BC 2.3" in err.message and "not a PIB" in err.message
    doc["nomorAju"] = "040320AB1234" + doc["nomorAju"][12:]  # letters in the company part are valid
    assert parse_bc20(dumps(doc)).aju == "040320AB123420261120000302"


@pytest.mark.parametrize(("change", "path"), [
    ({"kodeJenisPungutan": "BMAD"}, "barang[0].barangTarif[0].kodeJenisPungutan"),
    ({"kodeFasilitasTarif": "5"}, "barang[0].barangTarif[0].kodeFasilitasTarif"),
    ({"tarifFasilitas": Decimal("50")}, "barang[0].barangTarif[0].tarifFasilitas"),
])
def test_unsupported_levies_and_facilities_are_refused_not_ignored(change, path):
    doc = ceisa_doc()
    doc["barang"][0]["barangTarif"][0].update(change)
    err = refused(doc)
    assert (err.code, err.field) == (ErrorCode.INVALID_DOCUMENT, path)


def test_a_specific_bm_maps_to_rupiah_per_unit():
    doc = ceisa_doc()
    bm = doc["barang"][1]["barangTarif"][0]
    bm.update({"kodeJenisTarif": "2", "tarif": Decimal("1500")})
    item = parse_bc20(dumps(doc)).items[1]
    assert (item.bm_rate, item.bm_specific_idr) == (0, Decimal("1500"))
    twin = json.loads(TWIN.read_text())
    twin["items"][1].update({"bm_rate": "0", "bm_specific_idr": "1500"})
    from workstation.rules.pib import assess_pib

    assert (assess_pib(parse_bc20(dumps(doc))).contract_json()
            == assess_pib(parse_pib(json.dumps(twin))).contract_json())


def test_wrong_types_are_named():
    doc = ceisa_doc()
    doc["barang"][0]["cif"] = "5000.00"  # CEISA numbers are JSON numbers
    assert refused(doc).field == "barang[0].cif"
    doc = ceisa_doc()
    doc["barang"][0]["cif"] = Decimal("-1")
    assert (refused(doc).code, refused(doc).field) == (ErrorCode.NEGATIVE, "barang[0].cif")
    doc = ceisa_doc()
    doc["tanggalTiba"] = "18-11-2026"
    assert (refused(doc).code, refused(doc).field) == (ErrorCode.DATE_FORMAT, "tanggalTiba")


def test_neither_format_is_named():
    with pytest.raises(InputError) as exc:
        read_pib('{"aju": "x"}')
    assert exc.value.field == "format" and "CEISA" in exc.value.message
    with pytest.raises(InputError):
        read_pib("[1, 2]")


def test_a_pib1_document_is_read_as_before():
    base = json.loads(TWIN.read_text())
    bad = copy.deepcopy(base)
    bad["items"][0]["cif"] = 5000.0
    with pytest.raises(InputError) as exc:
        read_pib(json.dumps(bad))
    assert exc.value.field == "items[0].cif"  # pib/1 keeps refusing JSON numbers for money


# -- properties --------------------------------------------------------------------------------------------------

_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**30, 10**30) | st.text(max_size=12)
    | st.integers(0, 8).flatmap(lambda p: st.decimals(-10**6, 10**26, allow_nan=False, allow_infinity=False,
                                                      places=p)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


_BASE = ceisa_doc()
_ALL_PATHS = _paths(_BASE)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=st.sampled_from(_ALL_PATHS), value=_JSON_VALUES, delete=st.booleans())
def test_any_change_to_any_field_is_read_or_refused_with_a_path(where, value, delete):
    doc = copy.deepcopy(_BASE)
    target: Any = doc
    for key in where[:-1]:
        target = target[key]
    if delete:
        del target[where[-1]]
    else:
        target[where[-1]] = value
    try:
        parse_bc20(dumps(doc))
    except InputError as exc:
        assert exc.code and exc.field


@settings(max_examples=200, deadline=None)
@given(cents=st.integers(0, 10**15))
def test_money_with_two_decimals_is_exact(cents):
    doc = ceisa_doc()
    value = Decimal(cents).scaleb(-2)
    doc["barang"][0]["cif"] = value
    assert parse_bc20(dumps(doc)).items[0].cif == value
