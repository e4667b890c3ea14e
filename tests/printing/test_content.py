from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from printing.content import (
    DocumentContent,
    FieldRow,
    Fields,
    Heading,
    OfficeInfo,
    Paragraph,
    Receipt,
    ReceiptAmount,
    ReceiptLine,
    Signatory,
    Table,
    canonical_content,
    document_hash,
    load_content,
)
from printing.samples import sample_daily_report, sample_lhp, sample_payment_receipt
from workstation.domain.canonical import sha256_hex
from workstation.errors import InputError

text = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp")), min_size=1, max_size=40
)
multiline = st.lists(text, min_size=1, max_size=3).map("\n".join)
dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31))
nips = st.text(alphabet="0123456789", min_size=18, max_size=18)


@st.composite
def tables(draw):
    n = draw(st.integers(1, 5))
    rows = draw(st.lists(st.lists(text, min_size=n, max_size=n), max_size=4))
    widths = draw(st.none() | st.lists(st.integers(1, 50), min_size=n, max_size=n))
    align = draw(st.none() | st.lists(st.sampled_from(["left", "center", "right"]), min_size=n, max_size=n))
    return Table(columns=draw(st.lists(text, min_size=n, max_size=n)), rows=rows, widths=widths, align=align)


blocks = st.one_of(
    st.builds(Heading, text=text, text_en=st.none() | text),
    st.builds(Paragraph, text=multiline),
    st.builds(Fields, rows=st.lists(st.builds(FieldRow, label=text, value=multiline, label_en=st.none() | text), min_size=1, max_size=4)),
    tables(),
)


@st.composite
def receipts(draw):
    amounts = draw(st.lists(st.builds(ReceiptAmount, label=text, amount_idr=st.integers(0, 10**12)), max_size=4))
    kind = draw(st.sampled_from(["payment", "ecd_slip"]))
    total = sum(a.amount_idr for a in amounts) if (amounts or kind == "payment") else None
    return Receipt(
        kind=kind,
        lines=draw(st.lists(st.builds(ReceiptLine, label=text, value=text), max_size=4)),
        amounts=amounts,
        total_idr=total,
        note=draw(st.none() | text),
    )


contents = st.builds(
    DocumentContent,
    doc_type=st.from_regex(r"\A[A-Z][A-Z0-9_-]{1,15}\Z"),
    number=st.from_regex(r"\A[A-Z0-9][A-Z0-9./-]{0,30}\Z"),
    issue_date=dates,
    issue_place=text,
    title=text,
    title_en=st.none() | text,
    office=st.builds(OfficeInfo, office_name=text, address=text, phone=st.none() | text),
    blocks=st.lists(blocks, max_size=5),
    signatories=st.lists(
        st.builds(Signatory, name=text, nip=st.none() | nips, role=text, role_en=st.none() | text, place=text, date=dates),
        max_size=3,
    ),
    receipt=st.none() | receipts(),
)


@settings(max_examples=60, deadline=None)
@given(contents)
def test_content_round_trips_exactly_through_stored_json(content):
    stored = canonical_content(content)
    again = load_content(stored)
    assert again == content
    assert canonical_content(again) == stored
    assert document_hash(again) == document_hash(content) == sha256_hex(stored)
    # and through a JSON column (a dict) too
    assert load_content(json.loads(stored)) == content


def test_samples_round_trip():
    for content in (sample_lhp(), sample_payment_receipt()):
        assert load_content(canonical_content(content)) == content
    report = sample_daily_report()
    assert type(report).model_validate(report.model_dump(mode="json")) == report


def _data():
    return json.loads(canonical_content(sample_payment_receipt()))


def test_float_money_is_refused_in_json_text():
    raw = canonical_content(sample_payment_receipt()).replace('"amount_idr":400000', '"amount_idr":400000.0')
    assert "400000.0" in raw
    with pytest.raises(InputError, match="float"):
        load_content(raw)


def test_float_money_is_refused_in_a_dict():
    data = _data()
    data["receipt"]["amounts"][0]["amount_idr"] = 400000.0
    with pytest.raises(InputError) as err:
        load_content(data)
    assert err.value.field == "content.receipt.amounts.0.amount_idr"


def test_unknown_field_is_refused_naming_its_path():
    data = _data()
    data["office"]["fax"] = "123"
    with pytest.raises(InputError) as err:
        load_content(data)
    assert err.value.field == "content.office.fax"


def test_timestamp_is_not_a_date():
    data = _data()
    data["issue_date"] = 1795386462
    with pytest.raises(InputError) as err:
        load_content(data)
    assert err.value.field == "content.issue_date"


@pytest.mark.parametrize("bad", ["Andi\x1b@Wijaya", "line\nbreak", "zero\u200bwidth"])
def test_control_characters_are_refused_in_single_line_text(bad):
    # ESC would reach the receipt printer as a command.
    with pytest.raises(ValidationError):
        ReceiptLine(label="Nama", value=bad)


def test_paragraphs_may_have_line_breaks_but_no_other_controls():
    assert Paragraph(text="a\nb").text == "a\nb"
    with pytest.raises(ValidationError):
        Paragraph(text="a\tb")


@pytest.mark.parametrize("number", ["A|B", " LEADING", "", "X" * 65])
def test_bad_numbers_are_refused(number):
    data = _data()
    data["number"] = number
    with pytest.raises(InputError) as err:
        load_content(data)
    assert err.value.field == "content.number"


@pytest.mark.parametrize("nip", ["12345", "1980050120050110011", "19800501200501100A"])
def test_nip_must_be_18_digits(nip):
    with pytest.raises(ValidationError, match="NIP"):
        Signatory(name="X", nip=nip, role="R", place="P", date=dt.date(2026, 1, 1))


def test_nip_may_be_grouped_with_spaces():
    assert Signatory(name="X", nip="19800501 200501 1 001", role="R", place="P", date=dt.date(2026, 1, 1)).nip


def test_receipt_total_must_match_amounts():
    with pytest.raises(ValidationError, match="sum of amounts"):
        Receipt(kind="payment", amounts=[ReceiptAmount(label="BM", amount_idr=1000)], total_idr=2000)
    with pytest.raises(ValidationError, match="total_idr"):
        Receipt(kind="payment", amounts=[])


def test_table_rows_must_match_columns():
    with pytest.raises(ValidationError, match="row 1 has 1 cells"):
        Table(columns=["a", "b"], rows=[["1", "2"], ["3"]])
    with pytest.raises(ValidationError, match="widths"):
        Table(columns=["a", "b"], rows=[], widths=[1])


def test_hash_changes_with_any_content_change():
    a = sample_payment_receipt()
    b = a.model_copy(update={"issue_place": "Jakarta"})
    assert document_hash(a) != document_hash(b)


def test_invalid_json_text_is_an_input_error():
    with pytest.raises(InputError, match="not valid JSON"):
        load_content("{not json")
