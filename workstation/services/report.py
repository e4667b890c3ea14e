"""The supervisor's daily report: one business day's figures from each workflow's typed queries, rendered by
printing/daily_report.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from db import audit
from db.models import Case, Document
from workstation.domain.codes import Role
from workstation.services.base import Actor, require_role


class ReportService:
    def __init__(self, services):
        self.services = services
        self.ctx = services.ctx

    def daily_report_data(self, actor: Actor, day: dt.date):
        """Counts, duties and SLA breaches of one business day (office zone), from the stored cases and
        documents. Duties come from the case summaries' `duty_assessed_idr` / `duty_paid_idr` fields, which
        each workflow keeps current."""
        from printing.daily_report import CountRow, DailyReportData, DutyRow, SlaBreach

        require_role(actor, Role.SUPERVISOR, action="produce the daily report")
        zone = self.ctx.settings.zone
        start = dt.datetime.combine(day, dt.time(0), zone).astimezone(dt.UTC)
        end = start + dt.timedelta(days=1)
        with self.ctx.db.read() as s:
            lanes = s.execute(select(Case.lane, func.count()).where(Case.kind == "ECD", Case.opened_on == day)
                              .group_by(Case.lane)).all()
            types = s.execute(select(Document.doc_type, func.count())
                              .where(Document.issued_at >= start, Document.issued_at < end)
                              .group_by(Document.doc_type).order_by(Document.doc_type)).all()
            cases = list(s.scalars(select(Case).where(Case.updated_at >= start - dt.timedelta(days=400))))
        duties: dict[str, list[int]] = {}
        breaches = []
        for c in cases:
            summary = c.summary or {}
            if c.opened_on == day:
                row = duties.setdefault(c.kind, [0, 0])
                row[0] += int(summary.get("duty_assessed_idr", 0) or 0)
                row[1] += int(summary.get("duty_paid_idr", 0) or 0)
            if "SLA_BREACH" in (c.flags or []):
                due = summary.get("sla_due_at")
                due_at = dt.datetime.fromisoformat(due) if due else end
                breaches.append(SlaBreach(case_ref=c.reference, kind=c.kind, stage=c.state, due_at=due_at,
                                          overdue_minutes=max(0, int((end - due_at).total_seconds() // 60))))
        return DailyReportData(
            office=self.services.issuance.office_info(), report_date=day,
            generated_at=self.ctx.now().astimezone(zone),
            lanes=[CountRow(label=lane or "-", count=n) for lane, n in sorted(lanes, key=lambda r: r[0] or "")],
            doc_types=[CountRow(label=t, count=n) for t, n in types],
            duties=[DutyRow(label=k, assessed_idr=a, collected_idr=p) for k, (a, p) in sorted(duties.items())],
            sla_breaches=breaches[:2000],
        )

    def daily_report(self, actor: Actor, day: dt.date, out: str | Path) -> Path:
        from printing.daily_report import render_daily_report
        from printing.output import write_file

        data = self.daily_report_data(actor, day)
        path = write_file(render_daily_report(data), out)
        with self.ctx.db.write() as s:
            audit.append(s, actor.audit, "report.daily", "report", day.isoformat(), {"out": str(path)},
                         now=self.ctx.now())
        return path
