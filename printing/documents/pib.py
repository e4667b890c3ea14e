"""Official documents of the PIB red lane (DOMAIN.md §2, seed 003): the rejection response, SPJM, Instruksi
Pemeriksaan, LHP, BAP fisik, BA pengambilan contoh, NPD / DNP requests, SPTNP, SPPB and SPBL.

Pure builders: plain data in, DocumentContent out (the service issues it: number, hash, signature). Indonesian
text with English labels beside it; codes and numbers are never translated. Money is int rupiah."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from printing.content import (
    DocumentContent,
    FieldRow,
    Fields,
    Heading,
    OfficeInfo,
    Paragraph,
    Signatory,
    Table,
)
from printing.fmt import date_id, rupiah

# doc_type of each document (numbering is per office, doc type and year)
REJECTION = "PENOLAKAN"
SPJM = "SPJM"
IP = "IP"
LHP = "LHP"
BAP = "BAP"
BA_CONTOH = "BA-CONTOH"
NPD = "NPD"
DNP = "DNP"
SPTNP = "SPTNP"
SPPB = "SPPB"
SPBL = "SPBL"
DOC_TYPES = (REJECTION, SPJM, IP, LHP, BAP, BA_CONTOH, NPD, DNP, SPTNP, SPPB, SPBL)

LEVY_LABELS = (
    ("customs_value_idr", "Nilai pabean", "Customs value"),
    ("bm_idr", "Bea masuk", "Import duty"),
    ("excise_idr", "Cukai", "Excise"),
    ("ppn_idr", "PPN", "VAT"),
    ("ppnbm_idr", "PPnBM", "Luxury-goods tax"),
    ("pph_idr", "PPh pasal 22", "Income tax art. 22"),
    ("total_idr", "Jumlah pungutan", "Total levies"),
)


@dataclass(frozen=True)
class Person:
    """A signatory: an officer (with NIP) or the importer's representative (without)."""

    name: str
    role: str
    role_en: str
    nip: str | None = None

    def sign(self, place: str, day: dt.date) -> Signatory:
        nip = self.nip if self.nip and len(self.nip.replace(" ", "")) == 18 else None
        return Signatory(name=self.name, nip=nip, role=self.role, role_en=self.role_en, place=place, date=day)


@dataclass(frozen=True)
class PibHeader:
    """The identification every PIB document carries."""

    aju: str
    importer_name: str
    importer_npwp: str
    bc11: str  # "001234 / 18-11-2026 pos 0012 sub-pos 00000000"
    bl: str
    arrival_date: dt.date
    registration_number: str | None = None
    registered_on: dt.date | None = None

    def fields(self, *extra: FieldRow) -> Fields:
        rows = [FieldRow(label="Nomor aju PIB", label_en="PIB submission number", value=self.aju)]
        if self.registration_number and self.registered_on:
            rows.append(FieldRow(label="Nomor / tanggal pendaftaran PIB", label_en="PIB registration",
                                 value=f"{self.registration_number} / {date_id(self.registered_on)}"))
        rows += [
            FieldRow(label="Importir", label_en="Importer", value=f"{self.importer_name} (NPWP {self.importer_npwp})"),
            FieldRow(label="BC 1.1", label_en="Manifest", value=self.bc11),
            FieldRow(label="B/L", label_en="Bill of lading", value=self.bl),
            FieldRow(label="Tanggal kedatangan", label_en="Arrival date", value=date_id(self.arrival_date)),
            *extra,
        ]
        return Fields(rows=rows)


@dataclass(frozen=True)
class Letter:
    """Where and by whom: the office letterhead, the place of issue."""

    office: OfficeInfo
    place: str


def _content(doc_type: str, number: str, day: dt.date, letter: Letter, title: str, title_en: str,
             blocks: list, signatories: Sequence[Signatory]) -> DocumentContent:
    return DocumentContent(doc_type=doc_type, number=number, issue_date=day, issue_place=letter.place,
                           title=title, title_en=title_en, office=letter.office, blocks=blocks,
                           signatories=list(signatories))


def _qty(value: Any) -> str:
    return str(value)


def _items_table(items: Sequence[Mapping[str, Any]]) -> Table:
    return Table(
        columns=["No", "Pos tarif", "Uraian barang", "Jumlah", "CIF"],
        rows=[[str(i["seq"]), i["hs_code"], i["description"], f"{_qty(i['quantity'])} {i['unit']}",
               str(i["cif"])] for i in items],
        widths=[5, 16, 45, 16, 18],
        align=["right", "left", "left", "right", "right"],
    )


def _levies_table(columns: Sequence[tuple[str, Mapping[str, int] | None]]) -> Table:
    rows = []
    for key, label, label_en in LEVY_LABELS:
        rows.append([f"{label} / {label_en}", *("-" if c is None else rupiah(int(c[key])) for _, c in columns)])
    return Table(columns=["Pungutan / Levy", *(name for name, _ in columns)], rows=rows,
                 widths=[40, *(20 for _ in columns)], align=["left", *("right" for _ in columns)])


# --------------------------------------------------------------------------------------------------
# Intake
# --------------------------------------------------------------------------------------------------


def rejection_response(number: str, day: dt.date, *, letter: Letter, header: PibHeader, submission: int,
                       problems: Sequence[Mapping[str, str]]) -> DocumentContent:
    """Respon penolakan (CEISA 02): every problem found, so the importer can correct all of them at once."""
    return _content(
        REJECTION, number, day, letter, "RESPON PENOLAKAN PIB", "PIB rejection response",
        [
            header.fields(FieldRow(label="Pengajuan ke", label_en="Submission", value=str(submission))),
            Paragraph(text="PIB tersebut di atas ditolak oleh Sistem Komputer Pelayanan karena hal-hal berikut. "
                           "Perbaiki seluruhnya dan ajukan kembali dengan nomor aju yang sama."),
            Table(columns=["No", "Kode", "Data", "Uraian", "Description"],
                  rows=[[str(n), p["code"], p["field"], p.get("message_id", p["message"]), p["message"]]
                        for n, p in enumerate(problems, 1)],
                  widths=[4, 18, 16, 31, 31]),
        ],
        [],
    )


def spjm(number: str, day: dt.date, *, letter: Letter, header: PibHeader, items: Sequence[Mapping[str, Any]],
         billing_code: str | None, levies: Mapping[str, int], lartas: Sequence[Mapping[str, Any]]) -> DocumentContent:
    """Surat Pemberitahuan Jalur Merah (CEISA 05): registration and the red lane."""
    blocks: list = [
        header.fields(FieldRow(label="Kode billing", label_en="Billing code", value=billing_code or "-")),
        Paragraph(text="PIB tersebut di atas ditetapkan jalur merah: dilakukan penelitian dokumen dan pemeriksaan "
                       "fisik barang. Importir/PPJK wajib menyerahkan dokumen pelengkap pabean dan pemberitahuan "
                       "kesiapan barang kepada Pejabat Bea dan Cukai, dan menyediakan tenaga kerja bongkar muat."),
        Heading(text="Barang", text_en="Goods"),
        _items_table(items),
        Heading(text="Pungutan yang diberitahukan", text_en="Declared levies"),
        _levies_table([("PIB", levies)]),
    ]
    if lartas:
        blocks += [
            Heading(text="Ketentuan larangan/pembatasan", text_en="Prohibitions and restrictions"),
            Table(columns=["No", "Pos tarif", "Izin", "Instansi", "Nomor izin"],
                  rows=[[str(f["seq"]), f["hs_code"], f["permit_type"], f["agency"], f["permit"] or "BELUM ADA / NONE"]
                        for f in lartas],
                  widths=[5, 16, 35, 20, 24]),
        ]
    return _content(SPJM, number, day, letter, "SURAT PEMBERITAHUAN JALUR MERAH", "Red-lane notice (SPJM)",
                    blocks, [])


# --------------------------------------------------------------------------------------------------
# Inspection
# --------------------------------------------------------------------------------------------------


def instruction(number: str, day: dt.date, *, letter: Letter, header: PibHeader, inspector: Person, level_pct: int,
                containers: Sequence[str], packages: str, memo: str, sample_requested: bool, location: str,
                issued_by: Person, version: int = 1) -> DocumentContent:
    """Instruksi Pemeriksaan (CEISA 80)."""
    rows = [
        FieldRow(label="Pemeriksa fisik", label_en="Physical inspector", value=inspector.name),
        FieldRow(label="Tingkat pemeriksaan", label_en="Inspection level", value=f"{level_pct}%"),
        FieldRow(label="Kontainer", label_en="Containers", value=", ".join(containers) or "-"),
        FieldRow(label="Kemasan", label_en="Packages", value=packages or "-"),
        FieldRow(label="Lokasi barang", label_en="Goods location", value=location or "-"),
        FieldRow(label="Pengambilan contoh", label_en="Samples", value="Ya / yes" if sample_requested else "Tidak / no"),
    ]
    if version > 1:
        rows.append(FieldRow(label="Perubahan ke", label_en="Amendment", value=str(version - 1)))
    blocks: list = [header.fields(), Fields(rows=rows)]
    if memo:
        blocks += [Heading(text="Catatan", text_en="Memo"), Paragraph(text=memo)]
    return _content(IP, number, day, letter, "INSTRUKSI PEMERIKSAAN", "Inspection instruction", blocks,
                    [issued_by.sign(letter.place, day)])


def lhp(number: str, day: dt.date, *, letter: Letter, header: PibHeader, ip_number: str, level_pct: int,
        report: Mapping[str, Any], conclusion: str, inspector: Person, version: int = 1) -> DocumentContent:
    """Laporan Hasil Pemeriksaan (CEISA 07). `report` is the LHP as stored (LhpInput as JSON)."""
    blocks: list = [
        header.fields(
            FieldRow(label="Instruksi Pemeriksaan", label_en="Inspection instruction",
                     value=f"{ip_number}, tingkat pemeriksaan {level_pct}%"),
            *([FieldRow(label="Perubahan ke", label_en="Amendment", value=str(version - 1))] if version > 1 else []),
        ),
    ]
    if report.get("containers"):
        blocks += [
            Heading(text="Kontainer", text_en="Containers"),
            Table(columns=["No", "Nomor kontainer", "Ukuran / tipe", "Nomor segel", "Kondisi segel"],
                  rows=[[str(n), c["number"], f"{c['size']} / {c['type']}", c.get("seal_number") or "-",
                         c["seal_condition"]] for n, c in enumerate(report["containers"], 1)],
                  widths=[5, 25, 18, 22, 30]),
        ]
    blocks += [
        Heading(text="Uraian barang yang diperiksa", text_en="Goods examined"),
        Table(columns=["No", "Koli", "Uraian barang", "Merek / tipe", "Spesifikasi", "Jumlah", "Asal", "Pos tarif",
                       "Hasil"],
              rows=[[str(i["seq"]), i["packages_examined"], i["description"], i.get("brand_type") or "-",
                     i.get("specification") or "-", f"{i['quantity']} {i['unit']}", i["origin"], i["hs_code"],
                     "Sesuai" if i["match"] else "Tidak sesuai"] for i in report["items"]],
              widths=[4, 7, 23, 13, 16, 9, 6, 13, 9],
              align=["right", "left", "left", "left", "left", "right", "center", "left", "left"]),
    ]
    if report.get("undeclared"):
        blocks += [
            Heading(text="Barang yang tidak diberitahukan", text_en="Undeclared goods"),
            Table(columns=["No", "Uraian barang", "Jumlah", "Kontainer"],
                  rows=[[str(n), u["description"], f"{u['quantity']} {u['unit']}", u.get("container") or "-"]
                        for n, u in enumerate(report["undeclared"], 1)],
                  widths=[5, 55, 20, 20]),
        ]
    verdict = ("Jumlah dan jenis barang yang diperiksa sesuai dengan pemberitahuan dalam PIB."
               if conclusion == "MATCH" else
               "Hasil pemeriksaan fisik TIDAK SESUAI dengan pemberitahuan dalam PIB (lihat tabel di atas).")
    blocks += [Heading(text="Kesimpulan", text_en="Conclusion"), Paragraph(text=f"{verdict} ({conclusion})")]
    if report.get("photos"):
        blocks.append(Fields(rows=[FieldRow(label="Foto", label_en="Photos", value=", ".join(report["photos"]))]))
    if report.get("notes"):
        blocks.append(Paragraph(text=report["notes"]))
    return _content(LHP, number, day, letter, "LAPORAN HASIL PEMERIKSAAN FISIK BARANG",
                    "Physical inspection result report", blocks, [inspector.sign(letter.place, day)])


def _representative(rep: Mapping[str, Any]) -> Person:
    role = "Kuasa Importir" if rep["capacity"] == "IMPORTER" else "Kuasa PPJK"
    role_en = "Importer's representative" if rep["capacity"] == "IMPORTER" else "Customs broker's representative"
    return Person(name=rep["name"], role=role, role_en=role_en)


def _signed(minutes: Mapping[str, Any]) -> FieldRow:
    return FieldRow(label="Tanda tangan", label_en="Signatures",
                    value="kuasa importir/PPJK dan pemeriksa fisik telah menandatangani / signed by both")


def bap(number: str, day: dt.date, *, letter: Letter, header: PibHeader, ip_number: str,
        minutes: Mapping[str, Any], inspector: Person, version: int = 1) -> DocumentContent:
    """Berita Acara Pemeriksaan Fisik."""
    rep = minutes["representative"]
    inspected = dt.date.fromisoformat(str(minutes["inspected_on"]))
    return _content(
        BAP, number, day, letter, "BERITA ACARA PEMERIKSAAN FISIK BARANG", "Physical inspection minutes",
        [
            header.fields(FieldRow(label="Instruksi Pemeriksaan", label_en="Inspection instruction", value=ip_number)),
            Fields(rows=[
                FieldRow(label="Tempat pemeriksaan", label_en="Place", value=minutes["place"]),
                FieldRow(label="Tanggal pemeriksaan", label_en="Date", value=date_id(inspected)),
                FieldRow(label="Disaksikan oleh", label_en="Witnessed by",
                         value=f"{rep['name']} ({rep['capacity']}, {rep['id_number']})"),
                _signed(minutes),
                *([FieldRow(label="Perubahan ke", label_en="Amendment", value=str(version - 1))]
                  if version > 1 else []),
            ]),
            Heading(text="Hasil", text_en="Findings"),
            Paragraph(text=minutes["findings"]),
        ],
        [_representative(rep).sign(letter.place, day), inspector.sign(letter.place, day)],
    )


def sampling(number: str, day: dt.date, *, letter: Letter, header: PibHeader, ip_number: str,
             minutes: Mapping[str, Any], inspector: Person, version: int = 1) -> DocumentContent:
    """Berita Acara Pengambilan Contoh Barang."""
    rep = minutes["representative"]
    taken = dt.date.fromisoformat(str(minutes["taken_on"]))
    return _content(
        BA_CONTOH, number, day, letter, "BERITA ACARA PENGAMBILAN CONTOH BARANG", "Sampling minutes",
        [
            header.fields(FieldRow(label="Instruksi Pemeriksaan", label_en="Inspection instruction", value=ip_number)),
            Fields(rows=[
                FieldRow(label="Tempat", label_en="Place", value=minutes["place"]),
                FieldRow(label="Tanggal", label_en="Date", value=date_id(taken)),
                FieldRow(label="Tujuan", label_en="Purpose", value=minutes["purpose"]),
                FieldRow(label="Disaksikan oleh", label_en="Witnessed by",
                         value=f"{rep['name']} ({rep['capacity']}, {rep['id_number']})"),
                _signed(minutes),
                *([FieldRow(label="Perubahan ke", label_en="Amendment", value=str(version - 1))]
                  if version > 1 else []),
            ]),
            Table(columns=["No", "Item PIB", "Uraian contoh", "Jumlah", "Segel"],
                  rows=[[str(n), str(c["seq"]), c["description"], f"{c['quantity']} {c['unit']}", c.get("seal") or "-"]
                        for n, c in enumerate(minutes["samples"], 1)],
                  widths=[5, 10, 50, 15, 20]),
        ],
        [_representative(rep).sign(letter.place, day), inspector.sign(letter.place, day)],
    )


# --------------------------------------------------------------------------------------------------
# Research and determination
# --------------------------------------------------------------------------------------------------


def request(doc_type: str, number: str, day: dt.date, *, letter: Letter, header: PibHeader, text: str,
            due_on: dt.date, examiner: Person) -> DocumentContent:
    """NPD (Nota Permintaan Dokumen, CEISA 15) or a request for the DNP (customs value declaration)."""
    if doc_type == NPD:
        title, title_en = "NOTA PERMINTAAN DOKUMEN", "Request for documents (NPD)"
    else:
        title, title_en = "PERMINTAAN DEKLARASI NILAI PABEAN", "Request for a customs value declaration (DNP)"
    return _content(
        doc_type, number, day, letter, title, title_en,
        [
            header.fields(FieldRow(label="Batas waktu jawaban", label_en="Answer due", value=date_id(due_on))),
            Paragraph(text=text),
            Paragraph(text="Jawaban disampaikan kepada Pejabat Pemeriksa Dokumen paling lambat pada tanggal tersebut; "
                           "tanpa jawaban, penetapan dilakukan berdasarkan data yang ada."),
        ],
        [examiner.sign(letter.place, day)],
    )


def _determined_table(rows: Sequence[Mapping[str, Any]]) -> Table:
    return Table(
        columns=["No", "Pos tarif PIB", "Pos tarif penetapan", "CIF PIB", "CIF penetapan", "BM % PIB", "BM % penetapan"],
        rows=[[str(r["seq"]), r["declared_hs"], r["hs_code"], r["declared_cif"], r["cif"], r["declared_bm_rate"],
               r["bm_rate"]] for r in rows],
        widths=[5, 16, 16, 16, 16, 12, 12],
        align=["right", "left", "left", "right", "right", "right", "right"],
    )


def sptnp(number: str, day: dt.date, *, letter: Letter, header: PibHeader, assessment: Mapping[str, Any],
          ruleset: str, items: Sequence[Mapping[str, Any]], billing_code: str | None, payment_due: dt.date | None,
          objection_due: dt.date, examiner: Person) -> DocumentContent:
    """Surat Penetapan Tarif dan/atau Nilai Pabean (CEISA 27): shortfall and fine, or an overpayment."""
    total_diff = int(assessment["difference"]["total_idr"])
    fine = int(assessment["fine_idr"])
    rows = [
        FieldRow(label="Kekurangan bea masuk", label_en="Import duty shortfall",
                 value=rupiah(int(assessment["bm_shortfall_idr"]))),
        FieldRow(label="Denda administrasi", label_en="Administrative fine",
                 value=f"{rupiah(fine)} ({assessment['fine_rate_pct']}% — PP 39/2019 pasal 6)"),
        FieldRow(label="Aturan", label_en="Rule set", value=ruleset),
    ]
    if total_diff > 0 or fine > 0:
        payable = max(total_diff, 0) + fine
        rows += [
            FieldRow(label="Jumlah yang harus dibayar", label_en="Amount payable", value=rupiah(payable)),
            FieldRow(label="Kode billing", label_en="Billing code", value=billing_code or "-"),
            FieldRow(label="Jatuh tempo pembayaran", label_en="Payment due",
                     value=date_id(payment_due) if payment_due else "-"),
        ]
    if total_diff < 0:
        rows.append(FieldRow(label="Kelebihan pembayaran (dikembalikan)", label_en="Overpayment (refund due)",
                             value=rupiah(-total_diff)))
    rows.append(FieldRow(label="Batas pengajuan keberatan", label_en="Objection due", value=date_id(objection_due)))
    return _content(
        SPTNP, number, day, letter, "SURAT PENETAPAN TARIF DAN/ATAU NILAI PABEAN",
        "Tariff and customs value determination (SPTNP)",
        [
            header.fields(),
            Heading(text="Penetapan", text_en="Determination"),
            _determined_table(items),
            Heading(text="Pungutan", text_en="Levies"),
            _levies_table([("PIB", assessment["declared"]), ("Penetapan", assessment["determined"]),
                           ("Selisih", assessment["difference"])]),
            Fields(rows=rows),
            Paragraph(text="Atas penetapan ini importir dapat mengajukan keberatan secara tertulis kepada Direktur "
                           "Jenderal Bea dan Cukai dalam jangka waktu tersebut di atas (UU 17/2006 pasal 93)."),
        ],
        [examiner.sign(letter.place, day)],
    )


def sppb(number: str, day: dt.date, *, letter: Letter, header: PibHeader, containers: Sequence[str], location: str,
         basis: str, officer: Person) -> DocumentContent:
    """Surat Persetujuan Pengeluaran Barang (CEISA 03)."""
    return _content(
        SPPB, number, day, letter, "SURAT PERSETUJUAN PENGELUARAN BARANG", "Release approval (SPPB)",
        [
            header.fields(
                FieldRow(label="Kontainer", label_en="Containers", value=", ".join(containers) or "-"),
                FieldRow(label="Lokasi barang", label_en="Goods location", value=location or "-"),
                FieldRow(label="Dasar", label_en="Basis", value=basis),
            ),
            Paragraph(text="Berdasarkan hasil penelitian dokumen dan pemeriksaan fisik, barang impor tersebut di atas "
                           "diberikan persetujuan untuk dikeluarkan dari kawasan pabean."),
        ],
        [officer.sign(letter.place, day)],
    )


def spbl(number: str, day: dt.date, *, letter: Letter, header: PibHeader, lartas: Sequence[Mapping[str, Any]],
         examiner: Person) -> DocumentContent:
    """Surat Penetapan Barang Larangan/Pembatasan (CEISA 13)."""
    return _content(
        SPBL, number, day, letter, "SURAT PENETAPAN BARANG LARANGAN/PEMBATASAN",
        "Prohibited/restricted goods determination (SPBL)",
        [
            header.fields(),
            Paragraph(text="Barang impor berikut terkena ketentuan larangan/pembatasan dan belum dilengkapi izin yang "
                           "dipersyaratkan. Importir wajib memenuhi ketentuan perizinan tersebut; barang belum dapat "
                           "dikeluarkan dari kawasan pabean."),
            Table(columns=["No", "Pos tarif", "Izin yang dipersyaratkan", "Instansi"],
                  rows=[[str(f["seq"]), f["hs_code"], f["permit_type"], f["agency"]] for f in lartas],
                  widths=[5, 18, 52, 25]),
        ],
        [examiner.sign(letter.place, day)],
    )
