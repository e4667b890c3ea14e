"""The daily report in the TUI (issue #15 item 5): choose a day (DD-MM-YYYY), see its figures with text bar
charts where a person would rather look (cases opened, e-CD lanes, documents by type, duties by billing and by
levy), the SLA breaches and goods past the storage limit, and print it (the signed PDF of
printing/daily_report.py, to the CUPS queue or, without one, to a file in the data directory).

Data: ReportService.daily_report_data (typed, index-bounded). Every stored value is shown as text."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Static

from screens.base import SectionScreen
from screens.widgets.text import clean
from screens.widgets.words import day as day_text
from screens.widgets.words import word
from workstation.domain.money import rupiah_text
from workstation.i18n import N_
from workstation.services.dashboard import text_bar

LIST_ROWS = 15  # breaches and BTD rows shown; the printed report has them all


def _fmt_day(day: dt.date) -> str:
    return day_text(day)


class ReportScreen(SectionScreen):
    TITLE_TEXT = N_("Daily report")
    AUTO_FOCUS = "#report-body"  # the keys work at once; d goes to the day
    BINDINGS = [
        Binding("p", "print_report", N_("Print"), id="report.print"),
        Binding("d", "choose_day", N_("Day"), id="report.day"),
        Binding("minus", "shift_day(-1)", N_("Previous day"), id="report.previous", key_display="-"),
        Binding("plus,equals_sign", "shift_day(1)", N_("Next day"), id="report.next", key_display="+"),
        Binding("escape,f3", "back", N_("Back"), id="report.back", key_display="Esc/F3"),
    ]
    DEFAULT_CSS = """
    #report-bar { height: 1; padding: 0 1; }
    #report-bar Label { width: auto; padding: 0 1 0 0; }
    #report-day { width: 14; height: 1; border: none; padding: 0; }
    #report-state { width: 1fr; padding: 0 0 0 2; }
    #report-body { height: 1fr; padding: 0 1; }
    """

    def __init__(self, section=None, day: dt.date | None = None) -> None:
        super().__init__()
        self.day = day
        self.data: Any = None  # the DailyReportData shown (tests read it)
        self.hours: Any = None  # its e-CDs per hour (ReportService.lanes_per_hour)

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="report-bar"):
            yield Label(self.tr("Day (DD-MM-YYYY)"))
            yield Input(id="report-day", max_length=10)
            yield Static(id="report-state")
        with VerticalScroll(id="report-body"):
            yield Static(id="report-text")

    def on_mount(self) -> None:
        day = self.day or self.services.ctx.today()
        self.query_one("#report-day", Input).value = _fmt_day(day)
        self.load(day)

    # -- loading -----------------------------------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        from workstation.services.audit import parse_day

        try:
            day = parse_day(event.value, "day")
        except Exception as exc:
            self.line_error(self.query_one("#report-state", Static), exc)
            return
        self.load(day)
        self.query_one("#report-body", VerticalScroll).focus()

    def load(self, day: dt.date) -> None:
        self.day = day
        self.query_one("#report-state", Static).update(self.tr("Loading…"))
        report, actor = self.services.report, self.actor

        def read() -> tuple[Any, Any]:
            return report.daily_report_data(actor, day), report.lanes_per_hour(actor, day)

        self.call_service(read, group="report-load", on_result=self._show, on_error=self._failed)

    def _failed(self, exc: Exception) -> None:
        self.line_error(self.query_one("#report-state", Static), exc)

    def action_shift_day(self, days: int) -> None:
        day = (self.day or self.services.ctx.today()) + dt.timedelta(days=days)
        self.query_one("#report-day", Input).value = _fmt_day(day)
        self.load(day)

    def action_choose_day(self) -> None:
        """The day field takes the typing (digits and "-" go into it); Enter shows that day, Esc/F3 leaves it."""
        field = self.query_one("#report-day", Input)
        field.focus()
        field.select_all()
        self.query_one("#report-state", Static).update(self.tr("Enter: show · Esc/F3: back"))

    def action_back(self) -> None:
        """From the day field back to the report; from the report back to where it was opened."""
        if isinstance(self.focused, Input):
            self.query_one("#report-body", VerticalScroll).focus()
            return
        if self.app.screen is self and len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    # -- showing -----------------------------------------------------------------------------------------------
    def _counts(self, out: Text, title: str, rows: list[Any], group: str | None = None) -> None:
        out.append(f"{title}\n", style="bold")
        if not rows:
            out.append("  " + self.tr("none") + "\n")
            return
        largest = max(r.count for r in rows)
        for r in rows:
            label = word(self.tr, group, r.label) if group else clean(r.label)
            out.append(f"  {label[:16]:<16} {r.count:>7}  ")
            out.append(f"{text_bar(r.count, largest, 30)}\n", style="green" if r.label == "green" else
                       "red" if r.label == "red" else "cyan")

    def _duties(self, out: Text, title: str, rows: list[Any]) -> None:
        out.append(f"{title}\n", style="bold")
        if not rows:
            out.append("  " + self.tr("none") + "\n")
            return
        assessed, collected = self.tr("Assessed"), self.tr("Collected")
        out.append(f"  {'':<8} {assessed:>17} {collected:>17}\n", style="dim")
        largest = max(max(r.assessed_idr, r.collected_idr) for r in rows)
        for r in rows:
            out.append(f"  {clean(r.label)[:8]:<8} {rupiah_text(r.assessed_idr):>17} {rupiah_text(r.collected_idr):>17}"
                       "  ")
            out.append(f"{text_bar(r.collected_idr, largest, 20)}\n", style="cyan")

    def _hours(self, out: Text, hours: list[Any]) -> None:
        """e-CDs per hour as a stacked bar: green lane █ then red lane ▒ (told apart without colour too)."""
        out.append(self.tr("e-CD lanes per hour") + "  ", style="bold")
        out.append("█ " + word(self.tr, "lane", "green"), style="green")
        out.append("  ")
        out.append("▒ " + word(self.tr, "lane", "red") + "\n", style="red")
        if not hours:
            out.append("  " + self.tr("none") + "\n")
            return
        largest = max(h.green + h.red + h.undecided for h in hours)
        for h in hours:
            total = h.green + h.red + h.undecided
            width = len(text_bar(total, largest, 40))
            green = len(text_bar(h.green, total, width)) if h.green else 0
            red = min(width - green, len(text_bar(h.red, total, width))) if h.red else 0
            out.append(f"  {h.hour:02d}:00 {total:>5}  ")
            out.append("█" * green, style="green")
            out.append("▒" * red, style="red")
            out.append("·" * max(0, width - green - red))
            out.append(f"  {h.green}/{h.red}\n", style="dim")

    def _show(self, result: tuple[Any, Any]) -> None:
        data, hours = result
        self.data, self.hours = data, hours
        zone = self.wapp.settings.zone
        out = Text()
        out.append(self.tr("Daily report") + f" {_fmt_day(data.report_date)} — ", style="bold")
        out.append(clean(data.office.office_name))
        made = self.tr("Made at {time}", time=data.generated_at.astimezone(zone).strftime("%d-%m-%Y %H:%M"))
        out.append(f"\n{made}\n\n", style="dim")
        self._counts(out, self.tr("Cases opened"), data.opened)
        self._counts(out, self.tr("e-CD lanes"), data.lanes, "lane")
        self._hours(out, hours)
        self._counts(out, self.tr("Documents issued"), data.doc_types)
        self._duties(out, self.tr("Duties by billing"), data.duties)
        self._duties(out, self.tr("Duties by levy"), data.levies)
        out.append(self.tr("SLA breaches at the end of the day") + f": {len(data.sla_breaches)}\n", style="bold")
        for b in data.sla_breaches[:LIST_ROWS]:
            over = f"{b.overdue_minutes // 60}:{b.overdue_minutes % 60:02d}"
            out.append(f"  {clean(b.case_ref)[:26]:<26} {clean(b.kind):<4} {clean(b.stage)[:22]:<22} {over:>9}"
                       f" {clean(b.assignee or '-')[:10]}\n", style="red")
        if len(data.sla_breaches) > LIST_ROWS:
            out.append("  " + self.tr("… and {n} more (see the printed report)", n=len(data.sla_breaches) - LIST_ROWS)
                       + "\n")
        out.append(self.tr("Past the storage limit (BTD)") + f": {len(data.btd)}\n", style="bold")
        for b in data.btd[:LIST_ROWS]:
            out.append(f"  {clean(b.ref)[:26]:<26} {clean(b.kind):<4} {clean(b.place)[:12]:<12} "
                       f"{_fmt_day(b.limit_on)} +{b.days_over}\n")
        if len(data.btd) > LIST_ROWS:
            out.append("  " + self.tr("… and {n} more (see the printed report)", n=len(data.btd) - LIST_ROWS) + "\n")
        self.query_one("#report-text", Static).update(out)
        self.query_one("#report-state", Static).update("")  # the key bar names p, d, - and +

    # -- printing ------------------------------------------------------------------------------------------------
    def action_print_report(self) -> None:
        if self.day is None:
            return
        day = self.day
        self.query_one("#report-state", Static).update(self.tr("Printing…"))

        def done(where: str) -> None:
            self.query_one("#report-state", Static).update(self.tr("Printed: {where}", where=where))
            self.notify(self.tr("Daily report {day} printed: {where}", day=_fmt_day(day), where=where))

        self.call_service(self.services.report.print_daily_report, self.actor, day, group="report-print",
                          on_result=done, on_error=self._failed)
