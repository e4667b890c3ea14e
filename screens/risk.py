"""Risk management (supervisors, issue #16): hit rates per profile, rule and random selection with their 95 %
intervals and lift over random, a bar chart by profile and weekly sparklines, the profiles (import a risk/1
file, withdraw one), and pre-arrival records that did not arrive as announced."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Label, Sparkline, Static, TabbedContent, TabPane

from screens.base import SectionScreen
from screens.dialogs import PromptModal
from screens.widgets.table import DataTable
from screens.widgets.text import assemble, cells, plain
from screens.widgets.words import day
from workstation.i18n import N_

BAR = 30  # characters of a 100 % bar


def pct(v: Decimal | None) -> str:
    return "-" if v is None else f"{v * 100:.1f}%"


def bar(rate: Decimal | None, low: Decimal | None, high: Decimal | None, baseline: Decimal | None) -> str:
    """A text bar: █ up to the hit rate, ─ across the 95 % interval, │ at the random baseline."""
    cells_ = [" "] * BAR
    if low is not None and high is not None:
        for i in range(int(low * BAR), min(BAR, int(high * BAR) + 1)):
            cells_[i] = "─"
    if rate is not None:
        for i in range(min(BAR, int((rate * BAR).to_integral_value()))):
            cells_[i] = "█"
    if baseline is not None:
        cells_[min(BAR - 1, int(baseline * BAR))] = "│"
    return "".join(cells_)


class RiskScreen(SectionScreen):
    TITLE_TEXT = N_("Risk management")
    BINDINGS = [
        Binding("r", "reload", N_("Refresh"), id="risk.reload"),
        Binding("p", "period", N_("Period"), id="risk.period"),
        # named on the screen's hint line: the key bar has no room for them at 80 columns
        Binding("i", "import_profiles", N_("Import profiles"), id="risk.import", show=False),
        Binding("w", "withdraw", N_("Withdraw profile"), id="risk.withdraw", show=False),
        Binding("a", "import_prearrival", N_("Import pre-arrival"), id="risk.prearrival", show=False),
    ]
    AUTO_FOCUS = "#risk-rates"
    DEFAULT_CSS = """
    #risk-period { height: auto; color: $text-muted; padding: 0 1; }
    #risk-rates { height: 1fr; }
    #risk-chart { height: auto; padding: 0 1; }
    .risk-spark-label { height: 1; padding: 0 1; }
    RiskScreen Sparkline { height: 3; margin: 0 1; }
    #risk-weeks { height: 1fr; }
    """

    def __init__(self, section: Any = None) -> None:
        super().__init__()
        today = dt.date.today()
        self.date_to = today
        self.date_from = today - dt.timedelta(weeks=8)

    def compose_body(self) -> ComposeResult:
        yield Static(id="risk-period")
        with TabbedContent(id="risk-tabs"):
            with TabPane(self.tr("Hit rates"), id="tab-rates"):
                yield DataTable(id="risk-rates", cursor_type="row", zebra_stripes=True)
            with TabPane(self.tr("Chart"), id="tab-chart"), VerticalScroll():
                yield Static(id="risk-chart")
                yield Label(self.tr("Targeted (profiles) hit rate by week"), classes="risk-spark-label")
                yield Sparkline([], id="spark-targeted")
                yield Label(self.tr("Random selection hit rate by week"), classes="risk-spark-label")
                yield Sparkline([], id="spark-random")
                yield Label(self.tr("Rule hit rate by week"), classes="risk-spark-label")
                yield Sparkline([], id="spark-rules")
                yield DataTable(id="risk-weeks", cursor_type="row", zebra_stripes=True)
            with TabPane(self.tr("Profiles"), id="tab-profiles"):
                yield DataTable(id="risk-profiles", cursor_type="row", zebra_stripes=True)
            with TabPane(self.tr("Pre-arrival"), id="tab-prearrival"):
                yield DataTable(id="risk-mismatches", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        tr = self.tr
        self.date_to = self.services.ctx.today()
        self.date_from = self.date_to - dt.timedelta(weeks=8)
        self.query_one("#risk-rates", DataTable).add_columns(
            tr("Group"), tr("Key"), tr("Name"), tr("Sel."), tr("Insp."), tr("Hits"), tr("Rate"), "95% CI",
            tr("Duties (Rp)"), tr("Lift"))
        self.query_one("#risk-weeks", DataTable).add_columns(tr("Week"), tr("Targeted"), tr("Random"), tr("Rules"))
        self.query_one("#risk-profiles", DataTable).add_columns(
            tr("Code"), "v", tr("Workflow"), tr("Name"), tr("State"), tr("Valid"), tr("Conditions"))
        self.query_one("#risk-mismatches", DataTable).add_columns(tr("Arrival"), tr("Kind"), tr("Key"),
                                                                  tr("Detail"))
        self.action_reload()

    # -- loading ------------------------------------------------------------------------------------------
    def _risk(self) -> Any:
        from workstation.services.risk import risk_service

        return risk_service(self.services)

    def action_reload(self) -> None:
        risk, actor, start, end = self._risk(), self.actor, self.date_from, self.date_to
        self.query_one("#risk-period", Static).update(
            plain(self.tr("Period {start} to {end}", start=day(start), end=day(end)) + " · "
                  + self.tr("i import profiles · w withdraw · a import pre-arrival")))

        def load() -> tuple[Any, Any, Any]:
            return (risk.report(actor, start, end), risk.profiles(),
                    risk.mismatches(actor, max(start, end - dt.timedelta(days=366)), end))

        self.call_service(load, group="risk-load", on_result=self._show)

    def _show(self, data: tuple[Any, Any, Any]) -> None:
        report, profiles, mismatches = data
        self._show_rates(report)
        self._show_chart(report)
        t = self.query_one("#risk-profiles", DataTable)
        t.clear()
        for p in profiles:
            valid = f"{day(p.valid_from)}..{day(p.valid_to) if p.valid_to else ''}"
            cond = "; ".join(f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}"
                             for k, v in p.conditions.items())
            state = self.tr("active") if p.in_force(self.date_to) else self.tr("inactive")
            t.add_row(*cells(p.code, str(p.version), p.workflow, p.name[:30], state, valid, cond[:60]), key=p.code)
        m = self.query_one("#risk-mismatches", DataTable)
        m.clear()
        for x in mismatches:
            m.add_row(*cells(day(x.arrival_date), x.kind, x.key, x.detail[:60]))

    def _show_rates(self, report: Any) -> None:
        t = self.query_one("#risk-rates", DataTable)
        t.clear()
        group_names = {"profile": self.tr("profile"), "rule": self.tr("rule"), "random": self.tr("random"),
                       "all": self.tr("all red")}
        for r in report.rows:
            f = r.figures
            ci = "-" if f.ci_low is None else f"{pct(f.ci_low)}–{pct(f.ci_high)}"
            t.add_row(*cells(group_names.get(r.group, r.group), r.key, r.name[:28], str(f.selections),
                             str(f.inspected), str(f.hits), pct(f.rate), ci, f"{f.duties_idr:,}",
                             "-" if r.lift is None else f"{r.lift}×"))

    def _show_chart(self, report: Any) -> None:
        base = report.baseline
        baseline = base.figures.rate if base is not None else None
        lines: list[Any] = [(self.tr("Hit rate by profile (█ rate, ─ 95% interval, │ random baseline)"), "bold"),
                            "\n"]
        for r in report.rows:
            if r.group not in ("profile", "random"):
                continue
            f = r.figures
            label = f"{r.key[:16]:16} "
            lines += [label, (bar(f.rate, f.ci_low, f.ci_high, baseline), "green" if r.group == "profile"
                              else "yellow"), f" {pct(f.rate):>6} n={f.inspected}\n"]
        self.query_one("#risk-chart", Static).update(assemble(*lines))
        weeks = report.weeks
        for wid, attr in (("#spark-targeted", "targeted"), ("#spark-random", "random"), ("#spark-rules", "rules")):
            # Sparkline draws floats; these are display-only shares, never money
            data = [float(getattr(w, attr).rate or 0) for w in weeks]
            self.query_one(wid, Sparkline).data = data
        wt = self.query_one("#risk-weeks", DataTable)
        wt.clear()
        for w in weeks:
            wt.add_row(*cells(day(w.week), f"{pct(w.targeted.rate)} ({w.targeted.hits}/{w.targeted.inspected})",
                              f"{pct(w.random.rate)} ({w.random.hits}/{w.random.inspected})",
                              f"{pct(w.rules.rate)} ({w.rules.hits}/{w.rules.inspected})"))

    # -- actions ------------------------------------------------------------------------------------------
    def action_period(self) -> None:
        from workstation.services.audit import parse_day

        def chosen(text: str | None) -> None:
            if not text:
                return
            parts = text.replace("..", " ").split()
            try:
                if len(parts) != 2:
                    raise ValueError
                start, end = parse_day(parts[0], "from"), parse_day(parts[1], "to")
                if end < start:
                    raise ValueError
            except Exception:
                self.notify(self.tr("Give two dates: DD-MM-YYYY DD-MM-YYYY"), severity="error")
                return
            self.date_from, self.date_to = start, end
            self.action_reload()

        self.app.push_screen(PromptModal(self.tr("Period"), self.tr("From and to (DD-MM-YYYY DD-MM-YYYY)"),
                                         value=f"{day(self.date_from)} {day(self.date_to)}"), chosen)

    def _import(self, title: str, method: str) -> None:
        risk, actor = self._risk(), self.actor

        def run(path: str) -> Any:
            import os

            from workstation import inputs

            text = inputs.read_text_file(path, kind="json" if method == "import_profiles" else "csv")
            return getattr(risk, method)(actor, text, source=os.path.basename(path)[:64])

        def with_path(path: str | None) -> None:
            if path:
                self.call_service(run, path.strip(), group="risk-act", exclusive=False,
                                  on_result=lambda _: self._done(self.tr("Imported.")))

        self.app.push_screen(PromptModal(title, self.tr("File")), with_path)

    def action_import_profiles(self) -> None:
        self._import(self.tr("Import profiles (risk/1)"), "import_profiles")

    def action_import_prearrival(self) -> None:
        self._import(self.tr("Import pre-arrival data"), "import_prearrival")

    def action_withdraw(self) -> None:
        self.query_one("#risk-tabs", TabbedContent).active = "tab-profiles"
        table = self.query_one("#risk-profiles", DataTable)
        if table.row_count == 0:
            return
        code = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if code is None:
            return
        risk, actor = self._risk(), self.actor
        self.call_service(risk.withdraw_profile, actor, code, group="risk-act", exclusive=False,
                          on_result=lambda _: self._done(self.tr("Profile {code} withdrawn.", code=code)))

    def _done(self, message: str) -> None:
        self.notify(message)
        self.action_reload()
