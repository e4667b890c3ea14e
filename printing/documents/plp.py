"""PLP letters on the official-documents base: approval (with the approved lines), rejection, cancellation.
Pure: data in, DocumentContent out. Codes stay as they are (never translated); the letter explains them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from printing.content import DocumentContent, FieldRow, Fields, OfficeInfo, Paragraph, Signatory, Table

# What each refusal code means, for the applicant reading the letter (Bahasa Indonesia, the letter's language).
REFUSAL_TEXT = {
    "YOR_BELOW_THRESHOLD": "YOR/SOR TPS asal di bawah batas standar utilisasi fasilitas pelabuhan",
    "APPLICANT_NOT_ALLOWED": "alasan tersebut tidak dapat diajukan oleh pemohon ini (PER-6/BC/2015)",
    "IMPORT_ALREADY_DECLARED": "telah diajukan dokumen pemberitahuan pabean impor atas barang tersebut",
    "INVALID_CONTAINER_NUMBER": "nomor peti kemas tidak valid (ISO 6346)",
    "UNKNOWN_REASON": "alasan PLP tidak dikenal",
    "UNKNOWN_TPS": "TPS asal atau tujuan tidak terdaftar pada kantor pabean",
    "UNREPORTED_MOVEMENTS": "pemohon belum melaporkan pemindahan PLP sebelumnya yang telah lewat waktu",
}


@dataclass(frozen=True)
class PlpLetterLine:
    seq: int
    what: str  # container number + size, or B/L + packages
    decision: str  # APPROVED / REJECTED (other line states are shown as they are)
    reason: str = ""


@dataclass(frozen=True)
class PlpLetterData:
    reference: str
    origin: str
    destination: str
    operator: str
    reason: str
    bc11: str
    lines: Sequence[PlpLetterLine]
    officer_name: str
    officer_nip: str | None
    place: str
    note: str = ""
    origin_name: str = ""
    destination_name: str = ""
    yor: tuple[str, str] = ("-", "-")  # as stated in the request, percent
    ruleset: str = ""
    gate_out_hours: int | None = None
    gate_in_hours: int | None = None


def _tps(code: str, name: str) -> str:
    return f"{code} — {name}" if name and name != code else code


def _header(data: PlpLetterData) -> Fields:
    return Fields(rows=[
        FieldRow(label="Nomor permohonan", label_en="Request", value=data.reference),
        FieldRow(label="TPS asal", label_en="Origin TPS", value=_tps(data.origin, data.origin_name)),
        FieldRow(label="TPS tujuan", label_en="Destination TPS", value=_tps(data.destination, data.destination_name)),
        FieldRow(label="Pemohon", label_en="Applicant", value=data.operator),
        FieldRow(label="Alasan", label_en="Ground", value=data.reason),
        FieldRow(label="BC 1.1", value=data.bc11),
        FieldRow(label="YOR asal / tujuan", label_en="YOR origin / destination",
                 value=f"{data.yor[0]} % / {data.yor[1]} %"),
    ])


def _signatory(data: PlpLetterData, day: dt.date) -> Signatory:
    return Signatory(name=data.officer_name, nip=data.officer_nip or None, role="Pejabat Bea dan Cukai",
                     role_en="Customs officer", place=data.place, date=day)


def _hours(h: int) -> str:
    return f"{h // 24} x 24 jam" if h % 24 == 0 else f"{h} jam"


def approval(number: str, day: dt.date, office: OfficeInfo, data: PlpLetterData) -> DocumentContent:
    approved = [ln for ln in data.lines if ln.decision == "APPROVED"]
    rejected = [ln for ln in data.lines if ln.decision == "REJECTED"]
    blocks = [
        _header(data),
        Paragraph(text="Dengan ini disetujui pemindahan lokasi penimbunan barang impor yang belum diselesaikan "
                       "kewajiban kepabeanannya untuk pos berikut. Jangka waktu penimbunan di TPS tetap dihitung "
                       "sejak penimbunan pertama di TPS asal."),
        Table(columns=["No", "Peti kemas / kemasan", "Keputusan"], widths=[1, 6, 3],
              rows=[[str(ln.seq), ln.what, "DISETUJUI"] for ln in approved]),
    ]
    if rejected:
        blocks.append(Table(columns=["No", "Ditolak", "Alasan"], widths=[1, 5, 4],
                            rows=[[str(ln.seq), ln.what, ln.reason] for ln in rejected]))
    if data.gate_out_hours and data.gate_in_hours:
        blocks.append(Paragraph(
            text=f"Barang wajib dikeluarkan dari TPS asal dalam {_hours(data.gate_out_hours)} sejak persetujuan "
                 f"ini dan dimasukkan ke TPS tujuan dalam {_hours(data.gate_in_hours)} sejak keluar dari TPS asal; "
                 "pemohon merekam waktu pengeluaran dan pemasukan. Pemohon yang belum melaporkan pemindahan "
                 "yang lewat waktu tidak dilayani permohonan PLP berikutnya."))
    if data.note:
        blocks.append(Paragraph(text=data.note))
    if data.ruleset:
        blocks.append(Fields(rows=[FieldRow(label="Ketentuan", label_en="Rule set", value=data.ruleset)]))
    return DocumentContent(doc_type="PLP", number=number, issue_date=day, issue_place=data.place,
                           title="Surat Persetujuan Pemindahan Lokasi Penimbunan",
                           title_en="Approval of a move between temporary storage warehouses", office=office,
                           blocks=blocks, signatories=[_signatory(data, day)])


def rejection(number: str, day: dt.date, office: OfficeInfo, data: PlpLetterData,
              refusals: Sequence[str]) -> DocumentContent:
    blocks = [_header(data),
              Paragraph(text="Permohonan pemindahan lokasi penimbunan tidak dapat disetujui dengan alasan berikut.")]
    rows = [[code, REFUSAL_TEXT.get(code, "")] for code in refusals]
    rows += [[f"{ln.seq}. {ln.what}", ln.reason] for ln in data.lines if ln.reason]
    if rows:
        blocks.append(Table(columns=["Alasan / Reason", "Keterangan"], widths=[4, 6], rows=rows))
    if data.note:
        blocks.append(Paragraph(text=data.note))
    if data.ruleset:
        blocks.append(Fields(rows=[FieldRow(label="Ketentuan", label_en="Rule set", value=data.ruleset)]))
    return DocumentContent(doc_type="PLP-TOLAK", number=number, issue_date=day, issue_place=data.place,
                           title="Surat Penolakan Pemindahan Lokasi Penimbunan",
                           title_en="Refusal of a move between temporary storage warehouses", office=office,
                           blocks=blocks, signatories=[_signatory(data, day)])


def cancellation(number: str, day: dt.date, office: OfficeInfo, data: PlpLetterData, plp_number: str | None,
                 reason: str) -> DocumentContent:
    blocks = [_header(data)]
    if plp_number:
        blocks.append(Fields(rows=[FieldRow(label="Persetujuan PLP", label_en="PLP approval", value=plp_number)]))
    blocks.append(Paragraph(text=f"Pemindahan lokasi penimbunan dibatalkan. Alasan: {reason}"))
    cancelled = [ln for ln in data.lines if ln.decision == "CANCELLED"]
    if cancelled:
        blocks.append(Table(columns=["No", "Peti kemas / kemasan yang dibatalkan"], widths=[1, 9],
                            rows=[[str(ln.seq), ln.what] for ln in cancelled]))
    return DocumentContent(doc_type="PLP-BATAL", number=number, issue_date=day, issue_place=data.place,
                           title="Pembatalan Pemindahan Lokasi Penimbunan",
                           title_en="Cancellation of a move between temporary storage warehouses", office=office,
                           blocks=blocks, signatories=[_signatory(data, day)])
