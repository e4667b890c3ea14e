from __future__ import annotations

import datetime as dt
import io

import pytest
from pydantic import ValidationError
from pypdf import PdfReader

from printing.daily_report import BtdRow, CountRow, DailyReportData, DutyRow, SlaBreach, render_daily_report
from printing.samples import SAMPLE_OFFICE, sample_daily_report
from tests.printing.conftest import fonts_used, pdf_text

WIB = dt.timezone(dt.timedelta(hours=7))


def _text(pdf: bytes) -> str:
    return "\n".join(pdf_text(pdf))


def test_report_shows_the_figures():
    data = sample_daily_report()
    pdf = render_daily_report(data, invariant=True)
    text = _text(pdf)
    assert "LAPORAN HARIAN PENGAWAS" in text
    assert "Tanggal / Date: 21 November 2026" in text
    assert "Dibuat / Generated: 2026-11-21 23:55 +07:00" in text
    # lanes with shares (integer arithmetic, Indonesian decimal comma)
    assert "412" in text and "57" in text and "87,8%" in text and "12,2%" in text
    assert "469" in text
    # documents per type and their total
    for label in ("SPPB", "SPTNP", "SPBL", "LHP", "RECEIPT", "ECD-SLIP"):
        assert label in text
    assert "167" in text
    # duties: totals in rupiah and collection rate
    assert "Rp1.336.890.000" in text and "Rp1.238.120.000" in text and "92,6%" in text
    # cases opened per kind, and the duties per levy with their totals
    assert "Cases opened" in text and "484" in text
    assert "Pungutan / Levy" in text and "Rp701.840.000" in text and "Rp1.336.890.000" in text
    # goods past the TPS limit, the longest over first
    assert "Goods past the TPS limit (2)" in text
    assert text.index("040101001234202610190") < text.index("MSKU1234565")
    # SLA breaches, worst first
    assert "SLA breaches (2)" in text
    assert text.index("04010100123420261120000") < text.index("PLP-040300-2026-000077")
    assert "3:05" in text and "0:40" in text
    assert "Hendra Gunawan" in text
    pages = pdf_text(pdf)
    assert f"Halaman {len(pages)} dari {len(pages)}" in pages[-1]
    assert all(fonts_used(pdf).values())


def test_report_has_charts():
    pdf = render_daily_report(sample_daily_report(), invariant=True)
    text = _text(pdf)
    # Chart labels are drawn text too: the doc-type names appear in the table and again under the bars.
    assert text.count("ECD-SLIP") >= 2
    assert "Ditetapkan / Assessed (Rp juta / million)" in text  # bar chart legend
    raw = b"".join(page.get_contents().get_data() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert b".18 .55 .25 rg" in raw  # the green slice of the lane pie
    assert b".78 .16 .16 rg" in raw  # the red slice
    assert b".2 .35 .6 rg" in raw  # the document-type bars


def test_byte_stable():
    assert render_daily_report(sample_daily_report(), invariant=True) == render_daily_report(
        sample_daily_report(), invariant=True
    )


def test_empty_day():
    data = DailyReportData(
        office=SAMPLE_OFFICE,
        report_date=dt.date(2026, 12, 25),
        generated_at=dt.datetime(2026, 12, 25, 23, 0, tzinfo=WIB),
        lanes=[CountRow(label="green", count=0), CountRow(label="red", count=0)],
    )
    text = _text(render_daily_report(data, invariant=True))
    assert text.count("Tidak ada data / No data") == 4  # opened, lanes, documents, duties
    assert "Tidak ada pelanggaran / No breaches" in text
    assert "Goods past the TPS limit (0)" in text


def test_zero_assessed_shows_dash_not_division_error():
    data = sample_daily_report().model_copy(
        update={"duties": [DutyRow(label="e-CD", assessed_idr=0, collected_idr=0)]}
    )
    assert "Rp0" in _text(render_daily_report(data, invariant=True))


def test_floats_and_naive_times_are_refused():
    with pytest.raises(ValidationError):
        DutyRow(label="PIB", assessed_idr=1.5, collected_idr=0)
    with pytest.raises(ValidationError):
        CountRow(label="green", count=2.0)
    with pytest.raises(ValidationError, match="UTC offset"):
        SlaBreach(case_ref="X", kind="PIB", stage="LHP", due_at=dt.datetime(2026, 1, 1), overdue_minutes=1)
    with pytest.raises(ValidationError):
        BtdRow(ref="X", kind="TPS", place="KOJA", first_storage=dt.date(2026, 1, 1), limit_on=dt.date(2026, 1, 31),
               days_over=-1)
    with pytest.raises(ValidationError, match="repeated"):
        sample_daily_report().model_copy().model_validate(
            {**sample_daily_report().model_dump(mode="json"), "lanes": [{"label": "red", "count": 1}] * 2}
        )


def test_json_round_trip():
    data = sample_daily_report()
    assert DailyReportData.model_validate_json(data.model_dump_json()) == data
