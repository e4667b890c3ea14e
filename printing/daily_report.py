"""The supervisor's daily report: cases opened per kind, e-CD lanes, documents per type, duties billed and paid
(per workflow and per levy), SLA breaches open at the end of the day and goods past the TPS limit (BTD), with
charts (ReportLab graphics). The caller fills DailyReportData from the database; this module
only lays it out, on the same letterhead and footer as issued documents (no QR: a report is not issued)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from xml.sax.saxutils import escape

from pydantic import AfterValidator, Field, StrictInt, model_validator

from printing.content import IsoDate, OfficeInfo, OptText, Rupiah, Signatory, Text, _Model
from printing.fmt import date_id, rupiah

Count = Annotated[StrictInt, Field(ge=0)]


def _aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("date-time must carry a UTC offset")
    return value


Aware = Annotated[dt.datetime, AfterValidator(_aware)]


class CountRow(_Model):
    label: Text
    count: Count


class DutyRow(_Model):
    """Duties of one group (a lane, a case kind...): assessed on the day and collected on the day."""

    label: Text
    assessed_idr: Rupiah
    collected_idr: Rupiah


class BtdRow(_Model):
    """Goods past the TPS storage limit at the end of the day: a PIB without SPPB, or a container in a TPS."""

    ref: Text  # the PIB's aju, or the container number
    kind: Text  # PIB | TPS
    place: Text  # the PIB's state, or the TPS code
    first_storage: IsoDate
    limit_on: IsoDate  # the last day allowed
    days_over: Count


class SlaBreach(_Model):
    case_ref: Text
    kind: Text  # ECD / PIB / PLP
    stage: Text
    due_at: Aware
    overdue_minutes: Count
    assignee: OptText | None = None


class DailyReportData(_Model):
    format: Literal["daily/1"] = "daily/1"
    office: OfficeInfo
    report_date: IsoDate
    generated_at: Aware  # shown with its own offset: pass it in the office's zone
    opened: list[CountRow] = Field(default_factory=list, max_length=20)  # cases opened per kind
    lanes: list[CountRow] = Field(default_factory=list, max_length=20)
    doc_types: list[CountRow] = Field(default_factory=list, max_length=40)
    duties: list[DutyRow] = Field(default_factory=list, max_length=20)  # per billing: e-CD, PIB, SPTNP
    levies: list[DutyRow] = Field(default_factory=list, max_length=20)  # per levy: BM, PPN, PPh, ...
    sla_breaches: list[SlaBreach] = Field(default_factory=list, max_length=2000)
    btd: list[BtdRow] = Field(default_factory=list, max_length=2000)
    prepared_by: Signatory | None = None

    @model_validator(mode="after")
    def _unique_labels(self) -> DailyReportData:
        for name in ("opened", "lanes", "doc_types", "duties", "levies"):
            labels = [row.label for row in getattr(self, name)]
            if len(labels) != len(set(labels)):
                raise ValueError(f"{name} has a repeated label")
        return self


_LANE_COLOURS = {"green": (0.18, 0.55, 0.25), "hijau": (0.18, 0.55, 0.25), "red": (0.78, 0.16, 0.16), "merah": (0.78, 0.16, 0.16)}
_PALETTE = ((0.20, 0.35, 0.60), (0.85, 0.55, 0.10), (0.45, 0.45, 0.45), (0.30, 0.60, 0.65), (0.55, 0.30, 0.55))


def _pct(part: int, whole: int) -> str:
    # Integer arithmetic: a report figure is never a float.
    if whole <= 0:
        return "-"
    tenths = (part * 1000 + whole // 2) // whole
    return f"{tenths // 10},{tenths % 10}%"


def _fmt_time(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M ") + value.strftime("%z")[:3] + ":" + value.strftime("%z")[3:]


def _overdue(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def _colour(i: int, label: str):
    from reportlab.lib.colors import Color

    rgb = _LANE_COLOURS.get(label.strip().lower(), _PALETTE[i % len(_PALETTE)])
    return Color(*rgb)


def _pie(rows: list[CountRow]):
    from reportlab.graphics.charts.piecharts import Pie
    from reportlab.graphics.shapes import Drawing

    from printing.render import FONT

    d = Drawing(180, 130)
    d.initialFontName = FONT  # else the renderer selects Helvetica, a non-embedded font
    pie = Pie()
    pie.x, pie.y, pie.width, pie.height = 45, 15, 100, 100
    shown = [r for r in rows if r.count > 0]
    pie.data = [r.count for r in shown]
    pie.labels = [r.label for r in shown]
    pie.simpleLabels = 1
    pie.slices.strokeWidth = 0.5
    pie.slices.fontName = FONT
    pie.slices.fontSize = 8
    for i, r in enumerate(shown):
        pie.slices[i].fillColor = _colour(i, r.label)
    d.add(pie)
    return d


def _bars(categories: list[str], series: list[list[int]], names: list[str], *, width: float, height: float = 150):
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.shapes import Drawing

    from printing.render import FONT

    d = Drawing(width, height)
    d.initialFontName = FONT
    chart = VerticalBarChart()
    chart.x, chart.y = 45, 35
    chart.width, chart.height = width - 60, height - 55
    chart.data = series
    chart.categoryAxis.categoryNames = categories
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7.5
    chart.categoryAxis.labels.angle = 30 if len(categories) > 6 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(categories) > 6 else "n"
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7.5
    chart.valueAxis.valueMin = 0
    chart.valueAxis.forceZero = 1
    chart.barSpacing = 1
    for i in range(len(series)):
        chart.bars[i].fillColor = _colour(i, "")
        chart.bars[i].strokeWidth = 0.3
    d.add(chart)
    if len(series) > 1:
        legend = Legend()
        legend.x, legend.y = 50, height - 6
        legend.fontName = FONT
        legend.fontSize = 7.5
        legend.alignment = "right"
        legend.columnMaximum = 1
        legend.deltax = 110
        legend.colorNamePairs = [(_colour(i, ""), n) for i, n in enumerate(names)]
        d.add(legend)
    return d


def _section(story: list, title: str) -> None:
    from reportlab.platypus import CondPageBreak
    from reportlab.platypus import Paragraph as P

    from printing.render import MM, styles

    story.append(CondPageBreak(45 * MM))
    story.append(P(escape(title), styles().heading))


def _grid(columns: list[str], rows: list[list[str]], weights: list[int], *, width: float, total_row: bool = False):
    from printing.content import Table
    from printing.render import table_flowable

    align = ["left"] + ["right"] * (len(columns) - 1)
    return table_flowable(Table(columns=columns, rows=rows, widths=weights, align=align), width=width, bold_last=total_row)


def _no_data(story: list, text: str = "Tidak ada data / No data") -> None:
    from reportlab.platypus import Paragraph as P

    from printing.render import EN_COLOR, styles

    story.append(P(f"<font color='{EN_COLOR}'>{escape(text)}</font>", styles().body_left))


def report_story(data: DailyReportData) -> list:
    from reportlab.platypus import Spacer
    from reportlab.platypus import Table as RLTable

    from printing.content import Table
    from printing.render import (
        FONT,
        FRAME_W,
        MM,
        letterhead,
        signature_flowable,
        table_flowable,
        title_flowables,
    )

    story: list = [letterhead(data.office)]
    story += title_flowables(
        "LAPORAN HARIAN PENGAWAS",
        "Supervisor's daily report",
        (f"Tanggal / Date: {date_id(data.report_date)}", f"Dibuat / Generated: {_fmt_time(data.generated_at)}"),
    )

    # 1. Cases opened per kind.
    _section(story, "1. Perkara dibuka / Cases opened")
    opened_total = sum(r.count for r in data.opened)
    if opened_total:
        rows = [[r.label, str(r.count)] for r in data.opened]
        rows.append(["Jumlah / Total", str(opened_total)])
        story.append(_grid(["Jenis / Kind", "Jumlah / Count"], rows, [50, 30], width=80 * MM, total_row=True))
    else:
        _no_data(story)

    # 2. Lanes: table beside a pie.
    _section(story, "2. Jalur / Lanes")
    lane_total = sum(r.count for r in data.lanes)
    if lane_total:
        rows = [[r.label, str(r.count), _pct(r.count, lane_total)] for r in data.lanes]
        rows.append(["Jumlah / Total", str(lane_total), "100,0%"])
        table = _grid(["Jalur / Lane", "Jumlah / Count", "%"], rows, [38, 28, 20], width=86 * MM, total_row=True)
        side = RLTable([[table, _pie(data.lanes)]], colWidths=[FRAME_W - 65 * MM, 65 * MM], hAlign="LEFT")
        side.setStyle([("FONT", (0, 0), (-1, -1), FONT), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
        story.append(side)
    else:
        _no_data(story)

    # 3. Documents issued per type: table and bar chart.
    _section(story, "3. Dokumen diterbitkan / Documents issued")
    doc_total = sum(r.count for r in data.doc_types)
    if doc_total:
        rows = [[r.label, str(r.count)] for r in data.doc_types]
        rows.append(["Jumlah / Total", str(doc_total)])
        story.append(_grid(["Jenis dokumen / Document type", "Jumlah / Count"], rows, [70, 30], width=100 * MM, total_row=True))
        story.append(Spacer(1, 3 * MM))
        story.append(_bars([r.label for r in data.doc_types], [[r.count for r in data.doc_types]], ["count"], width=FRAME_W))
    else:
        _no_data(story)

    # 4. Duties billed (assessed) and paid (collected) on the day (int rupiah), per billing with a grouped bar
    # chart in millions, then per levy.
    _section(story, "4. Bea masuk dan pajak / Duties and taxes")
    if data.duties:
        assessed = sum(r.assessed_idr for r in data.duties)
        collected = sum(r.collected_idr for r in data.duties)
        rows = [[r.label, rupiah(r.assessed_idr), rupiah(r.collected_idr), _pct(r.collected_idr, r.assessed_idr)] for r in data.duties]
        rows.append(["Jumlah / Total", rupiah(assessed), rupiah(collected), _pct(collected, assessed)])
        columns = ["Kelompok / Group", "Ditetapkan / Assessed", "Diterima / Collected", "%"]
        story.append(_grid(columns, rows, [50, 45, 45, 20], width=160 * MM, total_row=True))
        if assessed or collected:
            story.append(Spacer(1, 3 * MM))
            story.append(
                _bars(
                    [r.label for r in data.duties],
                    [[r.assessed_idr // 1_000_000 for r in data.duties], [r.collected_idr // 1_000_000 for r in data.duties]],
                    ["Ditetapkan / Assessed (Rp juta / million)", "Diterima / Collected (Rp juta / million)"],
                    width=FRAME_W,
                )
            )
        if data.levies:
            rows = [[r.label, rupiah(r.assessed_idr), rupiah(r.collected_idr)] for r in data.levies]
            rows.append(["Jumlah / Total", rupiah(sum(r.assessed_idr for r in data.levies)),
                         rupiah(sum(r.collected_idr for r in data.levies))])
            story.append(Spacer(1, 3 * MM))
            story.append(_grid(["Pungutan / Levy", "Ditagih / Billed", "Dibayar / Paid"], rows, [40, 45, 45],
                               width=130 * MM, total_row=True))
    else:
        _no_data(story)

    # 5. SLA breaches.
    _section(story, f"5. Pelanggaran SLA / SLA breaches ({len(data.sla_breaches)})")
    if data.sla_breaches:
        rows = [
            [b.case_ref, b.kind, b.stage, _fmt_time(b.due_at), _overdue(b.overdue_minutes), b.assignee or "-"]
            for b in sorted(data.sla_breaches, key=lambda b: (-b.overdue_minutes, b.case_ref))
        ]
        columns = ["Perkara / Case", "Jenis / Kind", "Tahap / Stage", "Batas / Due", "Lewat / Over (j:mm)", "Petugas / Officer"]
        story.append(
            table_flowable(
                Table(columns=columns, rows=rows, widths=[30, 10, 16, 22, 12, 20], align=["left"] * 4 + ["right", "left"]),
                width=FRAME_W,
            )
        )
    else:
        _no_data(story, "Tidak ada pelanggaran / No breaches")

    # 6. Goods past the TPS storage limit (BTD).
    _section(story, f"6. Barang melewati batas penimbunan (BTD) / Goods past the TPS limit ({len(data.btd)})")
    if data.btd:
        rows = [[b.ref, b.kind, b.place, b.first_storage.isoformat(), b.limit_on.isoformat(), str(b.days_over)]
                for b in sorted(data.btd, key=lambda b: (-b.days_over, b.ref))]
        columns = ["Perkara / Container", "Jenis / Kind", "Tempat / Where", "Ditimbun / Stored", "Batas / Limit",
                   "Lewat / Over (hari / days)"]
        story.append(table_flowable(Table(columns=columns, rows=rows, widths=[30, 10, 14, 16, 16, 14],
                                          align=["left"] * 5 + ["right"]), width=FRAME_W))
    else:
        _no_data(story, "Tidak ada / None")

    if data.prepared_by is not None:
        story += signature_flowable([data.prepared_by])
    return story


def render_daily_report(data: DailyReportData, *, invariant: bool = False) -> bytes:
    from printing.render import PageDecor, build_pdf

    code = f" · {data.office.code}" if data.office.code else ""
    decor = PageDecor(
        number=None,
        footer_lines=(f"Laporan harian / Daily report{code} · {date_id(data.report_date)}",),
    )
    return build_pdf(
        report_story(data),
        decor,
        title=f"Laporan harian {data.report_date.isoformat()}",
        author=data.office.office_name,
        subject="Supervisor's daily report",
        keywords=f"DAILY {data.report_date.isoformat()}",
        invariant=invariant,
    )
