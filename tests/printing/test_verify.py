from __future__ import annotations

import io
import json

from pypdf import PdfReader, PdfWriter

from printing.content import canonical_content
from printing.payload import PDF_INFO_KEY, build_payload, extract_payload, parse_payload, try_parse_payload
from printing.render import render_pdf
from printing.seal import seal
from printing.signing import public_key_b64, sign
from printing.verify import VerifyStatus, verify_document
from tests.printing.conftest import pdf_text


def _edit_pdf_payload(pdf: bytes, new_payload: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.add_metadata({PDF_INFO_KEY: new_payload})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_round_trip_render_extract_verify_valid(sppb, public_key):
    pdf = render_pdf(sppb.content, payload=sppb.sealed.payload)
    payload = extract_payload(pdf)
    stored = sppb.stored()
    result = verify_document(payload, stored, public_key)
    assert result.status is VerifyStatus.VALID, result.reason
    assert result.exit_code == 0
    assert result.number == sppb.content.number


def test_verify_by_number_alone(sppb, public_key):
    assert verify_document(None, sppb.stored(), public_key).status is VerifyStatus.VALID


def test_edited_stored_content_is_tampered(sppb, public_key):
    data = json.loads(sppb.sealed.content_json)
    data["blocks"][0]["rows"][1]["value"] = "PT Lain Sekali"
    result = verify_document(sppb.sealed.payload, sppb.stored(content=json.dumps(data)), public_key)
    assert result.status is VerifyStatus.TAMPERED
    assert result.code == "CONTENT_HASH_MISMATCH"
    assert result.exit_code == 1


def test_content_rehashed_without_the_key_is_tampered(sppb, public_key):
    # An insider edits the content and recomputes the hash, but cannot re-sign.
    content = sppb.content.model_copy(update={"issue_place": "Surabaya"})
    text = canonical_content(content)
    from workstation.domain.canonical import sha256_hex

    stored = sppb.stored(content=text, content_hash=sha256_hex(text))
    result = verify_document(None, stored, public_key)
    assert result.status is VerifyStatus.TAMPERED
    assert result.code == "SEAL_INVALID" and result.check == "stored hash"


def test_edited_pdf_payload_is_tampered(sppb, public_key):
    pdf = render_pdf(sppb.content, payload=sppb.sealed.payload)
    p = parse_payload(sppb.sealed.payload)
    other_hash = ("0" if p.content_hash[0] != "0" else "1") + p.content_hash[1:]
    forged = build_payload(p.number, p.doc_type, p.issue_date, other_hash, p.signature)
    edited = _edit_pdf_payload(pdf, forged)
    extracted = extract_payload(edited)
    assert extracted == forged
    looked_up = try_parse_payload(extracted)
    assert looked_up is not None and looked_up.number == sppb.content.number
    result = verify_document(extracted, sppb.stored(), public_key)
    assert result.status is VerifyStatus.TAMPERED
    assert result.code == "PAYLOAD_MISMATCH_CONTENT_HASH"


def test_payload_with_another_date_is_tampered(sppb, public_key):
    p = parse_payload(sppb.sealed.payload)
    forged = build_payload(p.number, p.doc_type, p.issue_date.replace(day=1), p.content_hash, p.signature)
    assert verify_document(forged, sppb.stored(), public_key).code == "PAYLOAD_MISMATCH_ISSUE_DATE"


def test_garbled_pdf_payload_is_tampered(sppb, public_key):
    pdf = _edit_pdf_payload(render_pdf(sppb.content, payload=sppb.sealed.payload), "WSD1|garbled")
    result = verify_document(extract_payload(pdf), sppb.stored(), public_key)
    assert result.status is VerifyStatus.TAMPERED
    assert result.code == "PAYLOAD_MALFORMED"


def test_forged_signature_is_tampered(sppb, other_key, public_key):
    forged_sig = sign(other_key, sppb.content.number, sppb.sealed.content_hash)
    p = parse_payload(sppb.sealed.payload)
    forged = build_payload(p.number, p.doc_type, p.issue_date, p.content_hash, forged_sig)
    assert verify_document(forged, sppb.stored(), public_key).status is VerifyStatus.TAMPERED
    # A whole document sealed by another key, stored as if it were ours:
    other = seal(sppb.content, other_key)
    stored = sppb.stored(signature=other.signature)
    assert verify_document(other.payload, stored, public_key).code == "SEAL_INVALID"
    # ...and it is valid for the key that did sign it.
    assert verify_document(other.payload, stored, public_key_b64(other_key)).status is VerifyStatus.VALID


def test_store_row_disagreeing_with_its_content_is_tampered(sppb, public_key):
    result = verify_document(None, sppb.stored(doc_type="SPTNP"), public_key)
    assert result.status is VerifyStatus.TAMPERED
    assert result.code == "STORE_MISMATCH"


def test_stored_content_with_a_float_is_tampered(sppb, public_key):
    bad = sppb.sealed.content_json.replace('"issue_place":"Jakarta"', '"issue_place":1.5')
    assert verify_document(None, sppb.stored(content=bad), public_key).code == "CONTENT_UNREADABLE"


def test_unknown_number(sppb, public_key):
    result = verify_document(sppb.sealed.payload, None, public_key)
    assert result.status is VerifyStatus.UNKNOWN
    assert result.exit_code == 1
    assert result.number == sppb.content.number


def test_voided_document_is_void_and_printed_with_watermark(sppb, public_key):
    stored = sppb.stored(status="VOID")
    pdf = render_pdf(sppb.content, payload=sppb.sealed.payload, void=True)
    result = verify_document(extract_payload(pdf), stored, public_key)
    assert result.status is VerifyStatus.VOID
    assert result.exit_code == 1
    text = pdf_text(pdf)[0]
    assert "BATAL / VOID" in text


def test_tampering_wins_over_void(sppb, public_key):
    stored = sppb.stored(status="VOID", content_hash="0" * 64)
    assert verify_document(None, stored, public_key).status is VerifyStatus.TAMPERED


def test_stored_dict_content_from_a_json_column(sppb, public_key):
    stored = sppb.stored(content=json.loads(sppb.sealed.content_json))
    assert verify_document(sppb.sealed.payload, stored, public_key).status is VerifyStatus.VALID


def test_result_line_is_one_line(sppb, public_key):
    line = verify_document(sppb.sealed.payload, sppb.stored(), public_key).line()
    assert line.startswith("VALID: SPPB-040300-2026-000123: ")
    assert "\n" not in line


def test_key_fields_name_the_party_and_the_amounts(payment, sppb):
    from printing.verify import key_fields

    fields = dict(key_fields(payment.content))
    assert fields["Nomor / Number"] == payment.content.number and fields["Jenis / Type"] == payment.content.doc_type
    assert fields["Tanggal / Date"] == payment.content.issue_date.isoformat()
    assert fields["Nama"] == "Andi Wijaya"
    assert fields["Total"] == "Rp884.000" and fields["PPN"] == "Rp484.000"
    assert dict(key_fields(sppb.content))["Importir"] == "PT Sinar Data Nusantara"


def test_a_failed_check_is_named_in_the_line(sppb, public_key):
    p = parse_payload(sppb.sealed.payload)
    forged = build_payload(p.number, p.doc_type, p.issue_date.replace(day=1), p.content_hash, p.signature)
    result = verify_document(forged, sppb.stored(), public_key)
    assert result.check == "payload"
    assert result.line().startswith(f"TAMPERED: {p.number}: payload check failed: ")
    assert dict(result.fields)["Importir"] == "PT Sinar Data Nusantara"  # the stored fields, to compare
