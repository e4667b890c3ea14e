"""Passenger e-CD documents at the counter (DOMAIN.md §1, PER-09/BC/2018): the decision slip, the billing
slip, the payment receipt (both also on the receipt printer), the release approval, the referral hand-over
minutes (BA serah terima) and the destruction minutes of excise goods above the allowance (BA pemusnahan).

Pure: data in, DocumentContent out. Codes (reasons, referrals, rule sets, billing codes) are printed as they
are, with their Indonesian words beside them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

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
)
from printing.fmt import date_id, rupiah

DOC_SLIP = "ECD-SLIP"  # decision slip (lane and reasons)
DOC_BILLING = "ECD-BILL"  # billing slip with the billing code
DOC_RECEIPT = "ECD-KWT"  # payment receipt (kuitansi)
DOC_RELEASE = "ECD-SPPB"  # release approval (persetujuan pengeluaran barang)
DOC_HANDOVER = "ECD-BAST"  # referral hand-over minutes (berita acara serah terima)
DOC_DESTRUCTION = "ECD-BAMUS"  # destruction minutes (berita acara pemusnahan)
DOC_TYPES = (DOC_SLIP, DOC_BILLING, DOC_RECEIPT, DOC_RELEASE, DOC_HANDOVER, DOC_DESTRUCTION)

REASON_WORDS: dict[str, tuple[str, str]] = {
    "VALUE_OVER_ALLOWANCE": ("Nilai barang pribadi melebihi pembebasan", "personal goods above the allowance"),
    "EXCISE_OVER_ALLOWANCE": ("Barang kena cukai melebihi pembebasan", "tobacco or alcohol above the allowance"),
    "QUARANTINE_GOODS": ("Hewan, ikan, tumbuhan atau produknya", "animals, fish, plants or their products"),
    "PROHIBITED_GOODS": ("Barang larangan/pembatasan", "prohibited or restricted goods"),
    "CASH_OVER_THRESHOLD": ("Uang tunai/instrumen pembayaran >= Rp100 juta", "cash or bearer instruments"),
    "NON_PERSONAL_GOODS": ("Barang bukan untuk keperluan pribadi (PIBK)", "goods not for personal use (PIBK)"),
    "RISK_PROFILE": ("Profil risiko", "risk profile"),
    "RANDOM_SELECTION": ("Pemilihan acak", "random selection"),
    "OFFICER_DIVERSION": ("Dialihkan oleh pejabat ke jalur merah", "diverted to red by the officer"),
}
REFERRAL_WORDS: dict[str, tuple[str, str]] = {
    "QUARANTINE": ("Diserahkan kepada instansi karantina", "handed to the quarantine authority"),
    "ENFORCEMENT": ("Diserahkan kepada unit pengawasan (P2)", "handed to the enforcement unit (P2)"),
    "CASH_DECLARATION": ("Prosedur pembawaan uang tunai", "cash-carrying procedure"),
    "PIBK": ("Diselesaikan dengan PIBK", "settled by PIBK"),
    "EXCISE_DESTRUCTION": ("Pemusnahan kelebihan barang kena cukai", "destruction of excise goods above the allowance"),
}
LEVY_LABELS = (
    ("import_duty_idr", "Bea Masuk (BM)"),
    ("vat_idr", "PPN"),
    ("luxury_tax_idr", "PPnBM"),
    ("income_tax_idr", "PPh Pasal 22"),
)
LANE_WORDS = {"red": "MERAH / RED", "green": "HIJAU / GREEN"}


def reason_text(code: str) -> str:
    words = REASON_WORDS.get(code)
    return f"{code} — {words[0]}" if words else code


def referral_text(code: str) -> str:
    words = REFERRAL_WORDS.get(code)
    return f"{code} — {words[0]}" if words else code


@dataclass(frozen=True)
class Officer:
    name: str
    nip: str | None  # 18 digits or None
    place: str


@dataclass(frozen=True)
class Passenger:
    """Who and which e-CD: the header of every passenger document."""

    ecd_id: str
    name: str
    passport: str
    nationality: str
    flight: str
    arrival_date: dt.date
    port: str
    persons: int
    traveller_type: str


@dataclass(frozen=True)
class GoodsRow:
    no: int
    description: str
    quantity: str
    hs_code: str
    value: str  # "1200.00 USD"
    status: str  # DECLARED | FOUND | NOT_FOUND | UNDECLARED


@dataclass(frozen=True)
class Assessed:
    """The assessment part of a decision, as stored (Decision.to_record()['assessment'])."""

    allowance_usd: str
    goods_usd: str
    taxable_usd: str
    customs_value_idr: int
    levies: Mapping[str, int] = field(default_factory=dict)

    @property
    def total_idr(self) -> int:
        return sum(self.levies.get(k, 0) for k, _ in LEVY_LABELS)

    @classmethod
    def from_record(cls, assessment: Mapping) -> Assessed:
        return cls(str(assessment["allowance_usd"]), str(assessment["goods_usd"]), str(assessment["taxable_usd"]),
                   int(assessment["customs_value_idr"]), {k: int(assessment[k]) for k, _ in LEVY_LABELS})


@dataclass(frozen=True)
class HandedItem:
    description: str
    quantity: str
    note: str = ""


@dataclass(frozen=True)
class CashCount:
    lines: Sequence[tuple[str, str]]  # (currency, amount text)
    total_idr: int
    threshold_idr: int
    declared: bool
    fine_idr: int


# ---------------------------------------------------------------------------------------------------------
def _passenger_fields(p: Passenger, extra: Sequence[FieldRow] = ()) -> Fields:
    return Fields(rows=[
        FieldRow(label="Nomor e-CD", label_en="e-CD", value=p.ecd_id),
        FieldRow(label="Nama", label_en="Name", value=p.name),
        FieldRow(label="Paspor", label_en="Passport", value=f"{p.passport} ({p.nationality})"),
        FieldRow(label="Penerbangan / tiba", label_en="Flight / arrival",
                 value=f"{p.flight or '-'} {p.port} {date_id(p.arrival_date)}"),
        FieldRow(label="Jumlah orang", label_en="Persons", value=f"{p.persons} ({p.traveller_type})"),
        *extra,
    ])


def _signatory(officer: Officer, day: dt.date, role: str = "Pejabat Bea dan Cukai",
               role_en: str = "Customs officer") -> Signatory:
    return Signatory(name=officer.name, nip=officer.nip or None, role=role, role_en=role_en, place=officer.place,
                     date=day)


def _levy_amounts(levies: Mapping[str, int]) -> list[ReceiptAmount]:
    return [ReceiptAmount(label=label, amount_idr=int(levies.get(key, 0))) for key, label in LEVY_LABELS
            if levies.get(key, 0)]


def _levy_table(a: Assessed) -> Table:
    rows = [["Nilai pabean / customs value", rupiah(a.customs_value_idr)]]
    rows += [[label, rupiah(int(a.levies.get(key, 0)))] for key, label in LEVY_LABELS]
    rows.append(["JUMLAH / TOTAL", rupiah(a.total_idr)])
    return Table(columns=["Pungutan / levy", "Rupiah"], widths=[6, 4], align=["left", "right"], rows=rows)


def _goods_table(goods: Sequence[GoodsRow]) -> Table:
    return Table(columns=["No", "Uraian", "Jumlah", "HS", "Nilai", "Status"], widths=[1, 6, 2, 2, 3, 3],
                 rows=[[str(g.no), g.description, g.quantity, g.hs_code or "-", g.value, g.status] for g in goods])


def _reasons_block(reasons: Sequence[str]) -> Table:
    return Table(columns=["Alasan / reason"], rows=[[reason_text(r)] for r in reasons] or [["-"]])


# ---------------------------------------------------------------------------------------------------------
def decision_slip(number: str, day: dt.date, office: OfficeInfo, p: Passenger, *, lane: str,
                  reasons: Sequence[str], referrals: Sequence[str], ruleset: str, assessed: Assessed,
                  officer: Officer) -> DocumentContent:
    """The counter's answer to the e-CD: lane, every reason in words and code, the rule set, the levies."""
    blocks = [
        _passenger_fields(p, [FieldRow(label="Jalur", label_en="Lane", value=LANE_WORDS.get(lane, lane)),
                              FieldRow(label="Ketentuan", label_en="Rule set", value=ruleset)]),
        _reasons_block(reasons),
    ]
    if referrals:
        blocks.append(Table(columns=["Tindak lanjut / referral"], rows=[[referral_text(r)] for r in referrals]))
    blocks.append(_levy_table(assessed))
    receipt = Receipt(
        kind="ecd_slip",
        lines=[ReceiptLine(label="e-CD", value=p.ecd_id), ReceiptLine(label="Nama", value=p.name[:60]),
               ReceiptLine(label="Penerbangan", value=p.flight or "-"),
               ReceiptLine(label="Jalur", value=LANE_WORDS.get(lane, lane)),
               *[ReceiptLine(label="Alasan", value=r) for r in reasons],
               ReceiptLine(label="Ketentuan", value=ruleset)],
        amounts=_levy_amounts(assessed.levies), total_idr=assessed.total_idr,
    )
    return DocumentContent(doc_type=DOC_SLIP, number=number, issue_date=day, issue_place=officer.place,
                           title="Respon e-CD: Penetapan Jalur", title_en="e-CD response: lane decision",
                           office=office, blocks=blocks, signatories=[_signatory(officer, day)], receipt=receipt)


def billing_slip(number: str, day: dt.date, office: OfficeInfo, p: Passenger, *, billing_code: str,
                 reasons: Sequence[str], ruleset: str, assessed: Assessed, goods: Sequence[GoodsRow],
                 officer: Officer) -> DocumentContent:
    """After the red-lane inspection: classification, customs value and the billing to pay."""
    blocks = [
        _passenger_fields(p, [FieldRow(label="Kode billing", label_en="Billing code", value=billing_code),
                              FieldRow(label="Ketentuan", label_en="Rule set", value=ruleset)]),
        Heading(text="Hasil pemeriksaan", text_en="Inspection findings"),
        _goods_table(goods),
        Fields(rows=[
            FieldRow(label="Nilai barang pribadi (USD)", label_en="Personal goods FOB", value=assessed.goods_usd),
            FieldRow(label="Pembebasan (USD)", label_en="Allowance", value=assessed.allowance_usd),
            FieldRow(label="Dikenakan pungutan (USD)", label_en="Taxable", value=assessed.taxable_usd),
        ]),
        _levy_table(assessed),
        _reasons_block(reasons),
        Paragraph(text=f"Bayar {rupiah(assessed.total_idr)} dengan kode billing {billing_code}. Barang dikeluarkan "
                       "setelah pembayaran diterima (PER-09/BC/2018 tahap 5)."),
    ]
    receipt = Receipt(
        kind="ecd_slip",
        lines=[ReceiptLine(label="e-CD", value=p.ecd_id), ReceiptLine(label="Nama", value=p.name[:60]),
               ReceiptLine(label="Kode billing", value=billing_code), ReceiptLine(label="Ketentuan", value=ruleset)],
        amounts=_levy_amounts(assessed.levies), total_idr=assessed.total_idr,
        note="Bayar sebelum barang dikeluarkan / pay before release",
    )
    return DocumentContent(doc_type=DOC_BILLING, number=number, issue_date=day, issue_place=officer.place,
                           title="Penetapan dan Billing Barang Bawaan Penumpang",
                           title_en="Passenger goods assessment and billing", office=office, blocks=blocks,
                           signatories=[_signatory(officer, day)], receipt=receipt)


def payment_receipt(number: str, day: dt.date, office: OfficeInfo, p: Passenger, *, billing_code: str,
                    billing_number: str, receipt_number: str, channel: str, levies: Mapping[str, int],
                    officer: Officer) -> DocumentContent:
    amounts = _levy_amounts(levies)
    total = sum(a.amount_idr for a in amounts)
    blocks = [
        _passenger_fields(p, [FieldRow(label="Kode billing", label_en="Billing code", value=billing_code),
                              FieldRow(label="Billing", value=billing_number),
                              FieldRow(label="Bukti bayar", label_en="Payment reference", value=receipt_number),
                              FieldRow(label="Cara bayar", label_en="Channel", value=channel)]),
        Table(columns=["Pungutan / levy", "Rupiah"], widths=[6, 4], align=["left", "right"],
              rows=[[a.label, rupiah(a.amount_idr)] for a in amounts] + [["JUMLAH / TOTAL", rupiah(total)]]),
    ]
    receipt = Receipt(
        kind="payment",
        lines=[ReceiptLine(label="e-CD", value=p.ecd_id), ReceiptLine(label="Nama", value=p.name[:60]),
               ReceiptLine(label="Kode billing", value=billing_code),
               ReceiptLine(label="Bukti bayar", value=receipt_number), ReceiptLine(label="Cara bayar", value=channel)],
        amounts=amounts, total_idr=total, note="Terima kasih / thank you",
    )
    return DocumentContent(doc_type=DOC_RECEIPT, number=number, issue_date=day, issue_place=officer.place,
                           title="Bukti Penerimaan Pembayaran", title_en="Payment receipt", office=office,
                           blocks=blocks, signatories=[_signatory(officer, day)], receipt=receipt)


def release_approval(number: str, day: dt.date, office: OfficeInfo, p: Passenger, *, lane: str, ruleset: str,
                     reasons: Sequence[str], total_idr: int, billing_code: str | None, payment: str | None,
                     handovers: Sequence[str], note: str, officer: Officer) -> DocumentContent:
    rows = [FieldRow(label="Jalur", label_en="Lane", value=LANE_WORDS.get(lane, lane)),
            FieldRow(label="Ketentuan", label_en="Rule set", value=ruleset),
            FieldRow(label="Pungutan", label_en="Levies", value=rupiah(total_idr))]
    if billing_code:
        rows.append(FieldRow(label="Kode billing", label_en="Billing code", value=billing_code))
    if payment:
        rows.append(FieldRow(label="Pembayaran", label_en="Payment", value=payment))
    blocks = [_passenger_fields(p, rows)]
    if reasons:
        blocks.append(_reasons_block(reasons))
    if handovers:
        blocks.append(Table(columns=["Serah terima / hand-over"], rows=[[h] for h in handovers]))
    blocks.append(Paragraph(text="Barang bawaan penumpang tersebut di atas disetujui untuk dikeluarkan dari kawasan "
                                 "pabean (PER-09/BC/2018)." + (f" Catatan: {note}" if note else "")))
    return DocumentContent(doc_type=DOC_RELEASE, number=number, issue_date=day, issue_place=officer.place,
                           title="Persetujuan Pengeluaran Barang Bawaan Penumpang",
                           title_en="Release approval of passenger goods", office=office, blocks=blocks,
                           signatories=[_signatory(officer, day)])


def handover_minutes(number: str, day: dt.date, office: OfficeInfo, p: Passenger, *, code: str, receiver: str,
                     receiver_name: str, items: Sequence[HandedItem], note: str, officer: Officer,
                     cash: CashCount | None = None) -> DocumentContent:
    words = REFERRAL_WORDS.get(code, (code, code))
    blocks = [
        _passenger_fields(p, [FieldRow(label="Tindak lanjut", label_en="Referral", value=f"{code} — {words[0]}"),
                              FieldRow(label="Diterima oleh", label_en="Received by",
                                       value=f"{receiver_name} ({receiver})")]),
        Paragraph(text=f"Pada hari ini, {date_id(day)}, telah diserahterimakan barang/dokumen berikut dari pejabat "
                       f"Bea dan Cukai kepada {receiver} untuk diselesaikan sesuai ketentuan."),
    ]
    if items:
        blocks.append(Table(columns=["No", "Uraian", "Jumlah", "Keterangan"], widths=[1, 6, 2, 3],
                            rows=[[str(i), it.description, it.quantity, it.note] for i, it in enumerate(items, 1)]))
    if cash is not None:
        rows = [[cur, amount] for cur, amount in cash.lines]
        blocks.append(Table(columns=["Mata uang", "Jumlah"], widths=[3, 5], align=["left", "right"], rows=rows))
        blocks.append(Fields(rows=[
            FieldRow(label="Setara rupiah (NDPBM)", label_en="In rupiah", value=rupiah(cash.total_idr)),
            FieldRow(label="Batas", label_en="Threshold", value=rupiah(cash.threshold_idr)),
            FieldRow(label="Diberitahukan", label_en="Declared", value="YA / YES" if cash.declared else "TIDAK / NO"),
            FieldRow(label="Sanksi administrasi", label_en="Fine", value=rupiah(cash.fine_idr)),
        ]))
    if note:
        blocks.append(Paragraph(text=note))
    receiver_sign = Signatory(name=receiver_name, role="Penerima", role_en="Receiver", place=officer.place, date=day)
    return DocumentContent(doc_type=DOC_HANDOVER, number=number, issue_date=day, issue_place=officer.place,
                           title="Berita Acara Serah Terima", title_en="Hand-over minutes", office=office,
                           blocks=blocks, signatories=[_signatory(officer, day, "Yang menyerahkan", "Handed over by"),
                                                       receiver_sign])


def destruction_minutes(number: str, day: dt.date, office: OfficeInfo, p: Passenger, *,
                        items: Sequence[HandedItem], witnesses: str, ruleset: str, note: str,
                        officer: Officer) -> DocumentContent:
    blocks = [
        _passenger_fields(p, [FieldRow(label="Ketentuan", label_en="Rule set", value=ruleset),
                              FieldRow(label="Saksi", label_en="Witnesses", value=witnesses)]),
        Paragraph(text=f"Pada hari ini, {date_id(day)}, kelebihan barang kena cukai di atas jumlah yang dibebaskan "
                       "telah dimusnahkan di hadapan saksi (DOMAIN.md §1: kelebihan dimusnahkan, tidak dipungut)."),
        Table(columns=["No", "Barang kena cukai", "Jumlah dimusnahkan"], widths=[1, 6, 3],
              rows=[[str(i), it.description, it.quantity] for i, it in enumerate(items, 1)]),
    ]
    if note:
        blocks.append(Paragraph(text=note))
    return DocumentContent(doc_type=DOC_DESTRUCTION, number=number, issue_date=day, issue_place=officer.place,
                           title="Berita Acara Pemusnahan", title_en="Destruction minutes", office=office,
                           blocks=blocks, signatories=[_signatory(officer, day)])
