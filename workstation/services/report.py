"""The supervisor's daily report: one business day's figures from each workflow's typed queries
(workstation/services/{ecd,pib,plp}/queries.py), rendered by printing/daily_report.py.

Every figure is read with an index-bounded query: the time to build the report follows the day's own work and
the cases still open on it, not the number of cases stored (bench/daily_report.py measures it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from db import audit
from db.models import Case, Document
from workstation.domain.codes import CaseKind, Role
from workstation.services.base import Actor, require_role
from workstation.services.ecd import queries as ecd_q
from workstation.services.pib import queries as pib_q
from workstation.services.plp import queries as plp_q

if TYPE_CHECKING:
    from printing.daily_report import DailyReportData
    from workstation.services import Services

# Levies in the order the report lists them (the queries' labels); a levy not listed here follows, by name.
LEVY_ORDER = ("BM", "PPN", "PPnBM", "PPh", "Cukai", "Denda")
BILLING_ORDER = ("ECD", "PIB", "SPTNP")
MAX_BREACHES = 2000  # the report's table limit (DailyReportData.sla_breaches)


def day_bounds(day: dt.date, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """The UTC bounds [start, end) of business day `day` in the office's zone."""
    start = dt.datetime.combine(day, dt.time(0), zone).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), zone).astimezone(dt.UTC)
    return start, end


@dataclass(frozen=True)
class HourLanes:
    """e-CDs opened in one hour of the business day (office zone): `hour` 0-23, counts per lane."""

    hour: int
    green: int
    red: int
    undecided: int


class ReportService:
    def __init__(self, services: Services):
        self.services = services
        self.ctx = services.ctx

    def daily_report_data(self, actor: Actor, day: dt.date) -> DailyReportData:
        """The figures of business day `day` (office zone): cases opened per kind, e-CD lanes, documents issued
        per type, duties billed and paid on the day (int rupiah) per billing (ECD / PIB / SPTNP) and per levy,
        SLA breaches open at the end of the day (PIB determination SLA, SPTNP unpaid past due, PLP lines late at
        a gate) and goods past the TPS storage limit (PIB without SPPB, containers in a TPS).
        Raises PermissionDenied (ROLE_REQUIRED) unless `actor` is a supervisor."""
        from printing.daily_report import BtdRow, CountRow, DailyReportData, DutyRow, SlaBreach

        require_role(actor, Role.SUPERVISOR, action="produce the daily report")
        zone = self.ctx.settings.zone
        rulesets = self.ctx.settings.rulesets_dir
        start, end = day_bounds(day, zone)

        def day_end(last_day: dt.date) -> dt.datetime:  # a date-based deadline runs out when that day ends
            return day_bounds(last_day, zone)[1]

        def minutes_over(due_at: dt.datetime) -> int:
            return max(0, int((end - due_at).total_seconds() // 60))

        with self.ctx.db.read() as s:
            lanes = ecd_q.opened(s, day)
            opened = [("ECD", sum(r.count for r in lanes)), ("PIB", pib_q.opened(s, day)),
                      ("PLP", plp_q.opened(s, day))]
            types = s.execute(select(Document.doc_type, func.count())
                              .where(Document.issued_at >= start, Document.issued_at < end)
                              .group_by(Document.doc_type).order_by(Document.doc_type)).all()
            levies: list[ecd_q.LevyAmount | pib_q.LevyAmount] = [*ecd_q.duties(s, start, end),
                                                                  *pib_q.duties(s, day)]
            late_pibs = pib_q.determination_breaches(s, day, rulesets_dir=rulesets)
            late_bills = pib_q.overdue_billings(s, day)
            late_lines = plp_q.overdue_lines(s, end, rulesets_dir=rulesets)
            btd_pibs = pib_q.uncleared_goods(s, day, rulesets_dir=rulesets)
            btd_boxes = plp_q.stored_past_limit(s, day, end, zone=zone, rulesets_dir=rulesets)

        per_billing: dict[str, list[int]] = {}
        per_levy: dict[str, list[int]] = {}
        for row in levies:
            for key, table in ((row.billing, per_billing), (row.levy, per_levy)):
                sums = table.setdefault(key, [0, 0])
                sums[0] += row.billed_idr
                sums[1] += row.paid_idr

        def ordered(table: dict[str, list[int]], order: tuple[str, ...]) -> list[DutyRow]:
            keys = sorted(table, key=lambda k: (order.index(k) if k in order else len(order), k))
            return [DutyRow(label=k, assessed_idr=table[k][0], collected_idr=table[k][1]) for k in keys]

        breaches = [SlaBreach(case_ref=b.aju, kind="PIB", stage=b.state, due_at=day_end(b.due_on).astimezone(zone),
                              overdue_minutes=minutes_over(day_end(b.due_on)), assignee=b.assignee)
                    for b in late_pibs]
        breaches += [SlaBreach(case_ref=b.aju, kind="PIB", stage=f"SPTNP {b.code}",
                               due_at=day_end(b.due_on).astimezone(zone),
                               overdue_minutes=minutes_over(day_end(b.due_on)), assignee=b.assignee)
                     for b in late_bills]
        breaches += [SlaBreach(case_ref=f"{o.reference} #{o.seq}", kind="PLP", stage=f"{o.gate} {o.tps} {o.what}",
                               due_at=o.due_at.astimezone(zone), overdue_minutes=minutes_over(o.due_at))
                     for o in late_lines]
        btd = [BtdRow(ref=b.aju, kind="PIB", place=b.state, first_storage=b.first_storage_on, limit_on=b.limit_on,
                      days_over=(day - b.limit_on).days) for b in btd_pibs]
        btd += [BtdRow(ref=c.number, kind="TPS", place=c.tps, first_storage=c.first_stored_at.astimezone(zone).date(),
                       limit_on=c.limit_on, days_over=(day - c.limit_on).days) for c in btd_boxes]
        return DailyReportData(
            office=self.services.issuance.office_info(), report_date=day,
            generated_at=self.ctx.now().astimezone(zone),
            opened=[CountRow(label=k, count=n) for k, n in opened],
            lanes=[CountRow(label=r.lane or "-", count=r.count) for r in lanes],
            doc_types=[CountRow(label=t, count=n) for t, n in types],
            duties=ordered(per_billing, BILLING_ORDER),
            levies=ordered(per_levy, LEVY_ORDER),
            sla_breaches=sorted(breaches, key=lambda b: -b.overdue_minutes)[:MAX_BREACHES],
            btd=sorted(btd, key=lambda b: -b.days_over)[:MAX_BREACHES],
        )

    def lanes_per_hour(self, actor: Actor, day: dt.date) -> list[HourLanes]:
        """e-CDs opened on business day `day` per hour (office zone) and lane, the hours with any only. Reads
        the day's e-CD cases through ix_cases_opened (opened_on, kind, lane): bounded by the day's work.
        Raises PermissionDenied (ROLE_REQUIRED) unless `actor` is a supervisor."""
        require_role(actor, Role.SUPERVISOR, action="produce the daily report")
        zone = self.ctx.settings.zone
        hours: dict[int, list[int]] = {}
        with self.ctx.db.read() as s:
            rows = s.execute(select(Case.created_at, Case.lane).where(Case.opened_on == day,
                                                                     Case.kind == CaseKind.ECD.value)).all()
        for created_at, lane in rows:
            at = created_at if created_at.tzinfo else created_at.replace(tzinfo=dt.UTC)
            counts = hours.setdefault(at.astimezone(zone).hour, [0, 0, 0])
            counts[0 if lane == "green" else 1 if lane == "red" else 2] += 1
        return [HourLanes(h, *hours[h]) for h in sorted(hours)]

    def _render(self, actor: Actor, day: dt.date) -> bytes:
        from printing.daily_report import render_daily_report
        from printing.pades import sign_pdf

        data = self.daily_report_data(actor, day)
        return sign_pdf(render_daily_report(data), self.services.issuance.pades_signer(),
                        reason=f"Laporan harian {day.isoformat()}", location=self.ctx.settings.office.name)

    def print_daily_report(self, actor: Actor, day: dt.date, printer: str | None = None) -> str:
        """Print the daily report of `day` from the TUI: to the CUPS queue `printer` (else printer.cups_queue);
        with no queue at all, to the file data_dir/reports/laporan-harian-YYYY-MM-DD.pdf. Audited as
        `report.daily` like the command line's. Returns where it went ("cups:QUEUE job" or the file path).
        Raises PermissionDenied ROLE_REQUIRED, PrinterError PRINT_FAILED (the queue refused it: nothing is kept,
        print again once the printer is back), OfficeKeyMissing (no PAdES key)."""
        from printing.output import send_to_cups, write_file

        pdf = self._render(actor, day)
        queue = printer or self.ctx.settings.printer.cups_queue
        if queue:
            job = send_to_cups(pdf, queue, title=f"Laporan harian {day.isoformat()}",
                               lp=self.ctx.settings.printer.lp_command)
            where, data = f"cups:{queue} {job}", {"printer": queue, "job": job}
        else:
            folder = self.ctx.settings.data_dir / "reports"
            folder.mkdir(parents=True, exist_ok=True)
            path = write_file(pdf, folder / f"laporan-harian-{day.isoformat()}.pdf")
            where, data = str(path), {"out": str(path)}
        with self.ctx.db.write() as s:
            audit.append(s, actor.audit, "report.daily", "report", day.isoformat(), data, now=self.ctx.now())
        return where

    def daily_report(self, actor: Actor, day: dt.date, out: str | Path) -> Path:
        """Render the daily report of `day` to the PDF file `out` and audit it (`report.daily`). Raises
        PermissionDenied (ROLE_REQUIRED) unless `actor` is a supervisor."""
        from printing.daily_report import render_daily_report
        from printing.output import write_file

        data = self.daily_report_data(actor, day)
        from printing.pades import sign_pdf

        pdf = sign_pdf(render_daily_report(data), self.services.issuance.pades_signer(),
                       reason=f"Laporan harian {day.isoformat()}", location=self.ctx.settings.office.name)
        path = write_file(pdf, out)
        with self.ctx.db.write() as s:
            audit.append(s, actor.audit, "report.daily", "report", day.isoformat(), {"out": str(path)},
                         now=self.ctx.now())
        return path
