"""Realistic sample documents (fictitious parties) for the demo, the tests and bench/pdf.py. They show how a
workflow builds its content on top of the base: blocks of fields, tables and paragraphs, plus signatories."""

from __future__ import annotations

import datetime as dt

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

SAMPLE_OFFICE = OfficeInfo(
    office_name="Kantor Pelayanan Utama Bea dan Cukai Tipe A Tanjung Priok",
    address="Jalan Pabean Nomor 1, Tanjung Priok, Jakarta Utara 14310",
    phone="(021) 4373007",
    email="kpu.priok@customs.go.id",
    website="www.beacukai.go.id",
    code="040300",
)

_GOODS = (
    ("Laptop computer, portable, 14 inch, 16 GB RAM, 512 GB SSD", "ACME / Swift X14", "Intel Core i7, 14 inch", "120 PCE", "CN", "8471300000"),
    ("Monitor LCD 24 inch untuk komputer", "Visio / V24F", "24 inch, 1920x1080, HDMI", "80 PCE", "KR", "8528520000"),
    ("Keyboard USB berkabel", "Keyko / K120", "layout US, kabel 1,5 m", "400 PCE", "CN", "8471607000"),
    ("Mouse optik nirkabel", "Keyko / M185", "2,4 GHz, baterai AA", "400 PCE", "CN", "8471607000"),
    ("Kabel data USB-C ke USB-C, 1 m", "Linka", "USB 3.2, 60 W", "1.000 PCE", "VN", "8544429000"),
    ("Adaptor daya 65 W untuk laptop", "PowerOne / P65", "input 100-240 V, output 20 V", "120 PCE", "CN", "8504403000"),
    ("Tas laptop dari bahan tekstil sintetis", "Bagus / Urban 14", "poliester, 14 inch", "120 PCE", "ID", "4202920000"),
    ("Stasiun dok USB-C", "Linka / Dock 9", "9 port, HDMI, RJ45", "60 PCE", "TW", "8471800000"),
)


def sample_lhp(*, items: int = 18, number: str = "LHP-040300-2026-000321") -> DocumentContent:
    """Laporan Hasil Pemeriksaan (physical inspection result) of a red-lane PIB: about two A4 pages at 18 items."""
    day = dt.date(2026, 11, 20)
    rows = []
    for i in range(items):
        desc, brand, spec, qty, origin, hs = _GOODS[i % len(_GOODS)]
        rows.append([str(i + 1), f"{1 + i % 3} koli", desc, brand, spec, qty, origin, hs, "Sesuai"])
    return DocumentContent(
        doc_type="LHP",
        number=number,
        issue_date=day,
        issue_place="Jakarta",
        title="LAPORAN HASIL PEMERIKSAAN FISIK BARANG",
        title_en="Physical inspection result report",
        office=SAMPLE_OFFICE,
        blocks=[
            Fields(
                rows=[
                    FieldRow(label="Nomor aju PIB", label_en="PIB submission number", value="04010100123420261120000001"),
                    FieldRow(label="Nomor / tanggal pendaftaran PIB", label_en="PIB registration", value="000123 / 18 November 2026"),
                    FieldRow(label="Importir", label_en="Importer", value="PT Sinar Data Nusantara (NPWP 01.234.567.8-012.000)"),
                    FieldRow(label="PPJK", label_en="Customs broker", value="PT Jasa Kepabeanan Prima & Rekan"),
                    FieldRow(label="Instruksi Pemeriksaan", label_en="Inspection instruction", value="IP-040300-2026-000211, tingkat pemeriksaan 10%"),
                    FieldRow(label="Lokasi pemeriksaan", label_en="Place of inspection", value="TPS KOJA, Tanjung Priok"),
                    FieldRow(label="BC 1.1", label_en="Manifest", value="001234 tanggal 18 November 2026, pos 0012 sub-pos 00000000"),
                ]
            ),
            Heading(text="Kontainer", text_en="Containers"),
            Table(
                columns=["No", "Nomor kontainer", "Ukuran / tipe", "Nomor segel", "Kondisi segel"],
                rows=[
                    ["1", "CSQU3054383", "40 / GP", "SL-7781230", "Utuh / intact"],
                    ["2", "MSKU9070323", "20 / GP", "SL-7781231", "Utuh / intact"],
                ],
                widths=[5, 25, 18, 22, 30],
            ),
            Heading(text="Uraian barang yang diperiksa", text_en="Goods examined"),
            Table(
                columns=["No", "Koli", "Uraian barang", "Merek / tipe", "Spesifikasi", "Jumlah", "Asal", "Pos tarif", "Hasil"],
                rows=rows,
                widths=[4, 7, 23, 13, 16, 9, 6, 13, 8],
                align=["right", "left", "left", "left", "left", "right", "center", "left", "left"],
            ),
            Heading(text="Kesimpulan", text_en="Conclusion"),
            Paragraph(
                text=(
                    "Berdasarkan Instruksi Pemeriksaan tersebut di atas telah dilakukan pemeriksaan fisik barang "
                    "dengan tingkat pemeriksaan 10% di hadapan kuasa importir. Jumlah dan jenis barang yang diperiksa "
                    "sesuai dengan pemberitahuan dalam PIB; tidak ditemukan barang yang tidak diberitahukan. "
                    "Contoh barang tidak diambil. Foto pemeriksaan terlampir dalam sistem."
                )
            ),
            Paragraph(
                text=(
                    "Demikian laporan ini dibuat dengan sebenarnya untuk dipergunakan sebagai bahan penelitian "
                    "dokumen oleh Pejabat Pemeriksa Dokumen."
                )
            ),
        ],
        signatories=[
            Signatory(name="Rina Kartika", role="Kuasa Importir / PPJK", role_en="Importer's representative", place="Jakarta", date=day),
            Signatory(
                name="Budi Santoso",
                nip="198005012005011001",
                role="Pemeriksa Fisik",
                role_en="Physical inspector",
                place="Jakarta",
                date=day,
            ),
        ],
    )


def sample_sppb(*, number: str = "SPPB-040300-2026-000123") -> DocumentContent:
    day = dt.date(2026, 11, 21)
    return DocumentContent(
        doc_type="SPPB",
        number=number,
        issue_date=day,
        issue_place="Jakarta",
        title="SURAT PERSETUJUAN PENGELUARAN BARANG",
        title_en="Release approval",
        office=SAMPLE_OFFICE,
        blocks=[
            Fields(
                rows=[
                    FieldRow(label="Nomor aju PIB", label_en="PIB submission number", value="04010100123420261120000001"),
                    FieldRow(label="Importir", label_en="Importer", value="PT Sinar Data Nusantara"),
                    FieldRow(label="Kontainer", label_en="Containers", value="CSQU3054383 (40), MSKU9070323 (20)"),
                    FieldRow(label="Lokasi barang", label_en="Goods location", value="TPS KOJA"),
                ]
            ),
            Paragraph(
                text=(
                    "Berdasarkan hasil penelitian dokumen dan pemeriksaan fisik, barang impor tersebut di atas "
                    "diberikan persetujuan untuk dikeluarkan dari kawasan pabean."
                )
            ),
        ],
        signatories=[
            Signatory(
                name="Siti Rahmawati",
                nip="198703152010122002",
                role="Pejabat Pemeriksa Dokumen",
                role_en="Document examiner",
                place="Jakarta",
                date=day,
            )
        ],
    )


def sample_payment_receipt(*, number: str = "BPN-050100-2026-004711") -> DocumentContent:
    """Counter payment receipt for an e-CD (the DOMAIN.md worked example under PMK-34-2025)."""
    day = dt.date(2026, 11, 21)
    return DocumentContent(
        doc_type="RECEIPT",
        number=number,
        issue_date=day,
        issue_place="Tangerang",
        title="BUKTI PEMBAYARAN BEA MASUK DAN PAJAK",
        title_en="Duty and tax payment receipt",
        office=OfficeInfo(
            office_name="Kantor Pelayanan Utama Bea dan Cukai Tipe C Soekarno-Hatta",
            address="Bandara Soekarno-Hatta, Tangerang, Banten 19100",
            phone="(021) 5502072",
            code="050100",
        ),
        receipt=Receipt(
            kind="payment",
            lines=[
                ReceiptLine(label="e-CD", value="ECD-20261121-000123"),
                ReceiptLine(label="Nama", value="Andi Wijaya"),
                ReceiptLine(label="Paspor", value="C1234567"),
                ReceiptLine(label="Penerbangan", value="GA881 NRT-CGK"),
                ReceiptLine(label="Aturan", value="PMK-34-2025"),
            ],
            amounts=[
                ReceiptAmount(label="Bea Masuk", amount_idr=400_000),
                ReceiptAmount(label="PPN", amount_idr=484_000),
                ReceiptAmount(label="PPh 22", amount_idr=0),
            ],
            total_idr=884_000,
            note="Simpan bukti ini / Keep this receipt",
        ),
        signatories=[
            Signatory(name="Dewi Lestari", nip="199001012015032001", role="Petugas Bea dan Cukai", place="Tangerang", date=day)
        ],
    )


def sample_ecd_slip(*, number: str = "ECD-SLIP-050100-2026-009912") -> DocumentContent:
    day = dt.date(2026, 11, 21)
    return DocumentContent(
        doc_type="ECD-SLIP",
        number=number,
        issue_date=day,
        issue_place="Tangerang",
        title="SLIP CUSTOMS DECLARATION ELEKTRONIK",
        title_en="e-CD slip",
        office=sample_payment_receipt().office,
        receipt=Receipt(
            kind="ecd_slip",
            lines=[
                ReceiptLine(label="e-CD", value="ECD-20261121-000123"),
                ReceiptLine(label="Nama", value="Andi Wijaya"),
                ReceiptLine(label="Paspor", value="C1234567"),
                ReceiptLine(label="Jalur / Lane", value="MERAH / RED"),
                ReceiptLine(label="Alasan", value="VALUE_OVER_ALLOWANCE"),
            ],
            note="Tunjukkan slip ini kepada petugas / Show this slip to the officer",
        ),
    )


def sample_daily_report():
    """A day at a busy office: what the supervisor's report looks like with data in every section."""
    from printing.daily_report import BtdRow, CountRow, DailyReportData, DutyRow, SlaBreach

    wib = dt.timezone(dt.timedelta(hours=7))
    day = dt.date(2026, 11, 21)
    return DailyReportData(
        office=SAMPLE_OFFICE,
        report_date=day,
        generated_at=dt.datetime(2026, 11, 21, 23, 55, tzinfo=wib),
        opened=[CountRow(label="ECD", count=469), CountRow(label="PIB", count=12), CountRow(label="PLP", count=3)],
        lanes=[CountRow(label="green", count=412), CountRow(label="red", count=57)],
        doc_types=[
            CountRow(label="SPPB", count=38),
            CountRow(label="SPTNP", count=6),
            CountRow(label="SPBL", count=1),
            CountRow(label="LHP", count=21),
            CountRow(label="RECEIPT", count=44),
            CountRow(label="ECD-SLIP", count=57),
        ],
        duties=[
            DutyRow(label="e-CD", assessed_idr=52_340_000, collected_idr=48_120_000),
            DutyRow(label="PIB", assessed_idr=1_284_550_000, collected_idr=1_190_000_000),
        ],
        levies=[
            DutyRow(label="BM", assessed_idr=402_100_000, collected_idr=371_500_000),
            DutyRow(label="PPN", assessed_idr=701_840_000, collected_idr=652_300_000),
            DutyRow(label="PPh", assessed_idr=232_950_000, collected_idr=214_320_000),
        ],
        sla_breaches=[
            SlaBreach(
                case_ref="04010100123420261120000001",
                kind="PIB",
                stage="LHP",
                due_at=dt.datetime(2026, 11, 21, 12, 0, tzinfo=wib),
                overdue_minutes=185,
                assignee="budi.santoso",
            ),
            SlaBreach(
                case_ref="PLP-040300-2026-000077",
                kind="PLP",
                stage="approval",
                due_at=dt.datetime(2026, 11, 21, 16, 0, tzinfo=wib),
                overdue_minutes=40,
            ),
        ],
        btd=[
            BtdRow(ref="04010100123420261019000007", kind="PIB", place="RESEARCH",
                   first_storage=dt.date(2026, 10, 19), limit_on=dt.date(2026, 11, 18), days_over=3),
            BtdRow(ref="MSKU1234565", kind="TPS", place="KOJA", first_storage=dt.date(2026, 10, 20),
                   limit_on=dt.date(2026, 11, 19), days_over=2),
        ],
        prepared_by=Signatory(
            name="Hendra Gunawan",
            nip="197812242000121001",
            role="Kepala Seksi Pabean dan Cukai",
            role_en="Head of customs section",
            place="Jakarta",
            date=day,
        ),
    )
