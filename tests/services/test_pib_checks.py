"""The pure pieces the PIB service relies on: SKP checks, lartas matching, reference-file parsers (with
hypothesis), the research comparison, and the document builders (every document renders, text and PDF)."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from printing.content import load_content
from printing.documents import pib as docs
from printing.samples import SAMPLE_OFFICE
from printing.text import render_text
from tests.services.test_pib_support import FIXTURES, bap_form, fixture_text, lhp_form, sampling_form
from workstation.domain.pib import parse_pib
from workstation.errors import InputError
from workstation.rules.pib_checks import (
    CheckCode,
    Difference,
    IntakeReference,
    LartasRow,
    ManifestLine,
    TariffRow,
    compare_items,
    lartas_flags,
    lartas_for,
    parse_lartas_csv,
    parse_manifest_csv,
    parse_tariff_csv,
    skp_checks,
)

LINE = ManifestLine("001234", dt.date(2026, 11, 18), "0101", "00000000", "MAEU260001101", dt.date(2026, 11, 10),
                    "PT Sinar Data Nusantara", 130, "CT", ("CSQU3054383",))
TARIFF = {"8471300000": TariffRow("8471300000", "Laptop", Decimal(0)),
          "8516600000": TariffRow("8516600000", "Rice cooker", Decimal("7.5"))}


def ref(**kw) -> IntakeReference:
    base = dict(office_code="040300", submitted_on=dt.date(2026, 11, 21), blocked={}, manifest_line=LINE,
                ndpbm_quoted=Decimal("16000.00000000"), tariff=TARIFF, post_lengths=(10,))
    base.update(kw)
    return IntakeReference(**base)


def test_a_good_pib_passes_every_check():
    assert skp_checks(parse_pib(fixture_text("intake_ok.json")), ref()) == []


def test_checks_against_the_reference_given():
    doc = parse_pib(fixture_text("intake_ok.json"))
    codes = [p.code for p in skp_checks(doc, ref(blocked={"012345678901000": "KEP-1"}, manifest_line=None,
                                                 ndpbm_quoted=None, tariff={}, office_code="050100"))]
    assert codes == [CheckCode.IMPORTER_BLOCKED, CheckCode.OFFICE_MISMATCH, CheckCode.BC11_UNKNOWN,
                     CheckCode.NDPBM_NO_RATE, CheckCode.HS_UNKNOWN, CheckCode.HS_UNKNOWN]


def test_jpy_ndpbm_is_compared_as_quoted_per_100_yen():
    raw = json.loads(fixture_text("intake_ok.json"))
    raw.update(currency="JPY", ndpbm="10650")
    doc = parse_pib(json.dumps(raw))
    assert skp_checks(doc, ref(ndpbm_quoted=Decimal("10650"))) == []
    [p] = skp_checks(doc, ref(ndpbm_quoted=Decimal("106.50")))
    assert p.code == CheckCode.NDPBM_MISMATCH and "106.5" in p.message


def test_lartas_longest_prefix_and_declared_restrictions():
    rules = [LartasRow("8517", "general", "A"), LartasRow("8517130000", "phones", "B"), LartasRow("0402", "milk", "C")]
    assert lartas_for("8517130000", rules).permit == "phones"
    assert lartas_for("8517620000", rules).permit == "general"
    assert lartas_for("8471300000", rules) is None
    doc = parse_pib(fixture_text("lartas_phone_with_permit.json"))
    flags = lartas_flags(doc.items, rules)
    assert [(f.seq, f.permit_type, f.missing) for f in flags] == [(3, "phones", False)]
    doc = parse_pib(fixture_text("spbl_missing_permit.json"))  # declared restricted, table silent
    [flag] = lartas_flags(doc.items, [])
    assert flag.missing and flag.agency == "-"


def test_compare_items_without_lhp_still_shows_tariff_and_lartas_differences():
    raw = json.loads(fixture_text("intake_ok.json"))
    raw["items"][1]["bm_rate"] = "5"  # the tariff says 7.5
    doc = parse_pib(json.dumps(raw))
    rows = compare_items(doc.items, None, TARIFF)
    assert [r.differences for r in rows] == [(), (Difference.TARIFF_RATE,)]
    assert rows[1].tariff_bm_rate == Decimal("7.5")


def test_compare_items_flags_items_the_lhp_did_not_examine():
    doc = parse_pib(fixture_text("intake_ok.json"))
    lhp = lhp_form()
    only_first = lhp.model_copy(update={"items": [lhp.items[0]]})
    rows = compare_items(doc.items, only_first, TARIFF)
    assert rows[1].differences == (Difference.NOT_EXAMINED,) and rows[1].found is None


@given(st.lists(st.tuples(st.from_regex(r"[0-9]{10}", fullmatch=True),
                          st.text(alphabet=st.characters(whitelist_categories=("L", "N", "Zs")), min_size=1,
                                  max_size=40).map(str.strip).filter(bool),
                          st.decimals(min_value=0, max_value=999, places=2)),
                unique_by=lambda t: t[0], max_size=20))
def test_tariff_csv_round_trip(rows):
    import csv

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["hs_code", "description", "bm_rate"])
    for hs, desc, rate in rows:
        w.writerow([hs, desc, format(rate.normalize(), "f") if rate else "0"])
    parsed = parse_tariff_csv(buf.getvalue(), post_lengths=(10,))
    assert [(r.hs_code, r.description, r.bm_rate) for r in parsed] == [(h, d, r) for h, d, r in rows]


@given(st.text(max_size=200))
def test_reference_parsers_never_fail_other_than_by_input_error(body):
    from functools import partial

    for parse in (partial(parse_tariff_csv, post_lengths=(10,)), parse_lartas_csv, parse_manifest_csv):
        try:
            parse(body)
        except InputError as exc:
            assert exc.field


def test_the_tariff_post_length_is_the_rule_sets():
    """BTKI posts: the rule set says how many digits (`[tariff] post_lengths`), not the code."""
    body = "hs_code,description,bm_rate\n84713000,Laptop,0\n"
    with pytest.raises(InputError) as e:
        parse_tariff_csv(body, post_lengths=(10,))
    assert e.value.field == "tariff:line 2:hs_code" and "10 digits" in str(e.value)
    assert [r.hs_code for r in parse_tariff_csv(body, post_lengths=(8, 10))] == ["84713000"]
    doc = parse_pib(fixture_text("intake_ok.json"))
    assert [p.code for p in skp_checks(doc, ref(post_lengths=(8,)))] == [CheckCode.HS_NOT_10_DIGITS] * 2
    assert "8 digits" in skp_checks(doc, ref(post_lengths=(8,)))[0].message


def test_manifest_parser_reads_containers_and_dates():
    [line, other] = parse_manifest_csv((FIXTURES / "manifest.csv").read_text())
    assert line.key == ("001234", dt.date(2026, 11, 18), "0101", "00000000")
    assert line.containers == ("CSQU3054383", "MSKU9070323") and other.containers == ("TGHU1234567",)


# -- documents ---------------------------------------------------------------------------------------------------

LETTER = docs.Letter(office=SAMPLE_OFFICE, place="Jakarta")
HEADER = docs.PibHeader(aju="04030000000020261120000101", importer_name="PT Sinar Data Nusantara",
                        importer_npwp="012345678901000", bc11="001234 / 2026-11-18 pos 0101 sub-pos 00000000",
                        bl="MAEU260001101 / 2026-11-10", arrival_date=dt.date(2026, 11, 18),
                        registration_number="000001", registered_on=dt.date(2026, 11, 21))
DEWI = docs.Person("Dewi Lestari", "Pejabat Pemeriksa Dokumen", "Document examiner", "198512052010012004")
BUDI = docs.Person("Budi Santoso", "Pemeriksa Fisik", "Physical inspector", "")
DAY = dt.date(2026, 11, 21)
LEVIES = {"customs_value_idr": 99_200_000, "bm_idr": 1_440_000, "ppn_idr": 11_070_400, "ppnbm_idr": 0,
          "pph_idr": 2_516_000, "excise_idr": 0, "total_idr": 15_026_400}
ASSESSMENT = {"declared": LEVIES, "determined": {**LEVIES, "bm_idr": 6_640_000, "total_idr": 20_226_400},
              "difference": {**dict.fromkeys(LEVIES, 0), "bm_idr": 5_200_000, "total_idr": 5_200_000},
              "bm_shortfall_idr": 5_200_000, "fine_idr": 15_600_000, "fine_rate_pct": "300", "outcome": "SPTNP"}
LHP = {**lhp_form(match=False, undeclared=True).model_dump(mode="json"), "conclusion": "MISMATCH"}

BUILDERS = {
    "PENOLAKAN": lambda n: docs.rejection_response(n, DAY, letter=LETTER, header=HEADER, submission=1, problems=[
        {"code": "HS_UNKNOWN", "field": "items[0].hs_code", "message": "HS code x", "message_id": "pos tarif x"}]),
    "SPJM": lambda n: docs.spjm(n, DAY, letter=LETTER, header=HEADER, items=[
        {"seq": 1, "hs_code": "8471300000", "description": "Laptop", "quantity": "10", "unit": "PCE",
         "cif": "USD 5000.00"}], billing_code="804030026000001", levies=LEVIES, lartas=[
        {"seq": 1, "hs_code": "8517130000", "permit_type": "Sertifikat", "agency": "Komdigi", "permit": None}]),
    "IP": lambda n: docs.instruction(n, DAY, letter=LETTER, header=HEADER, inspector=BUDI, level_pct=30,
                                     containers=["CSQU3054383"], packages="12 CT", memo="check brands",
                                     sample_requested=True, location="TPS KOJA", issued_by=DEWI, version=2),
    "LHP": lambda n: docs.lhp(n, DAY, letter=LETTER, header=HEADER, ip_number="000001/IP/040300/2026", level_pct=10,
                              report=LHP, conclusion="MISMATCH", inspector=BUDI, version=2),
    "BAP": lambda n: docs.bap(n, DAY, letter=LETTER, header=HEADER, ip_number="000001/IP/040300/2026",
                              minutes=bap_form().model_dump(mode="json"), inspector=BUDI),
    "BA-CONTOH": lambda n: docs.sampling(n, DAY, letter=LETTER, header=HEADER, ip_number="000001/IP/040300/2026",
                                         minutes=sampling_form().model_dump(mode="json"), inspector=BUDI),
    "NPD": lambda n: docs.request("NPD", n, DAY, letter=LETTER, header=HEADER, text="Kontrak penjualan",
                                  due_on=dt.date(2026, 11, 25), examiner=DEWI),
    "DNP": lambda n: docs.request("DNP", n, DAY, letter=LETTER, header=HEADER, text="DNP",
                                  due_on=dt.date(2026, 11, 25), examiner=DEWI),
    "SPTNP": lambda n: docs.sptnp(n, DAY, letter=LETTER, header=HEADER, assessment=ASSESSMENT, ruleset="PMK-190-2022",
                                  items=[{"seq": 1, "declared_hs": "8471300000", "hs_code": "8471500000",
                                          "declared_cif": "5000.00", "cif": "6500.00", "declared_bm_rate": "0",
                                          "bm_rate": "5"}], billing_code="804030026000002",
                                  payment_due=dt.date(2027, 1, 20), objection_due=dt.date(2027, 1, 20),
                                  examiner=DEWI),
    "SPPB": lambda n: docs.sppb(n, DAY, letter=LETTER, header=HEADER, containers=["CSQU3054383"], location="TPS KOJA",
                                basis="penelitian dokumen dan LHP", officer=DEWI),
    "SPBL": lambda n: docs.spbl(n, DAY, letter=LETTER, header=HEADER, lartas=[
        {"seq": 1, "hs_code": "8517130000", "permit_type": "Sertifikat", "agency": "Komdigi"}], examiner=DEWI),
}


def test_every_document_type_has_a_builder():
    assert set(BUILDERS) == set(docs.DOC_TYPES)


@pytest.mark.parametrize("doc_type", sorted(BUILDERS))
def test_documents_are_valid_content_and_render_as_text(doc_type):
    number = f"000001/{doc_type}/040300/2026"
    content = BUILDERS[doc_type](number)
    assert content.doc_type == doc_type and content.number == number
    assert load_content(content.model_dump(mode="json")) == content  # round-trips as stored
    text = render_text(content)
    assert number in text and HEADER.aju in text


def test_sptnp_pdf_shows_the_figures(tmp_path):
    from pypdf import PdfReader

    from printing.content import document_hash
    from printing.payload import build_payload
    from printing.render import render_pdf

    content = BUILDERS["SPTNP"]("000001/SPTNP/040300/2026")
    payload = build_payload(content.number, content.doc_type, content.issue_date, document_hash(content), "A" * 86)
    pdf = render_pdf(content, payload=payload, invariant=True)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Rp15.600.000" in text and "20 Januari 2027" in text and "804030026000002" in text


def test_container_form_checks_the_iso6346_digit_and_the_seal():
    from workstation.rules.pib_checks import LhpContainer, parse_form

    base = {"number": "csqu3054383", "size": "40", "type": "hc", "seal_number": "SL-1", "seal_condition": "intact"}
    assert parse_form(LhpContainer, base).number == "CSQU3054383"
    with pytest.raises(InputError) as e:
        parse_form(LhpContainer, {**base, "number": "CSQU3054384"}, prefix="containers[0].")
    assert e.value.field == "containers[0].number" and str(e.value).endswith("(check digit)")
    assert "Value error" not in str(e.value)
    with pytest.raises(InputError) as e:
        parse_form(LhpContainer, {**base, "seal_number": ""})
    assert e.value.field == "seal_number"
    assert parse_form(LhpContainer, {**base, "seal_number": "", "seal_condition": "none"}).seal_condition == "none"
