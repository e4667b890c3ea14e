"""The supervisor's dashboard (issue #15 item 1): open queues per workflow and state, SLA breaches, lanes of the
day, officer workload, print failures, field units and devices, polled every few seconds in a thread worker
(input never waits on it). Enter on a figure opens the list behind it.

Read-only: it shows what others commit within one poll (REFRESH_SECONDS), by the index-bounded queries of
workstation/services/dashboard.py."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from screens.base import Modal, SectionScreen
from screens.widgets.text import assemble, cells, plain
from workstation.i18n import N_
from workstation.services.dashboard import text_bar

REFRESH_SECONDS = 5.0
BAR_WIDTH = 12  # cells of the longest bar of a group (fits 80 columns beside the longest label)

# Group headings, in the order the table shows them (English source strings).
GROUP_TITLES = {
    "breach": N_("SLA breaches"),
    "queue": N_("Open queues"),
    "lane": N_("Lanes today (e-CD)"),
    "workload": N_("Officer workload"),
    "print": N_("Print failures"),
    "unit": N_("Field units"),
    "device": N_("Devices"),
}
# Figure labels that are words, not codes (breach kinds, unit and device summaries).
LABELS = {
    "PIB_SLA": N_("PIB determination overdue"),
    "SPTNP": N_("SPTNP unpaid past due"),
    "NPD_DNP": N_("NPD/DNP answer overdue"),
    "PLP": N_("PLP movement overdue"),
    "BTD_PIB": N_("BTD: PIB past storage limit"),
    "BTD_TPS": N_("BTD: container past storage limit"),
    "units": N_("units registered"),
    "stale": N_("not heard of for 24 h"),
    "revoked": N_("revoked"),
    "devices": N_("devices"),
    "down": N_("not connected"),
    "FAILED": N_("waiting for retry"),
}


class DetailModal(Modal):
    """The list behind a figure: a table of plain text (stored values never read as markup). Escape, Enter or
    q closes it."""

    DEFAULT_CSS = """
    DetailModal { align: center middle; }
    DetailModal > Vertical { width: 100%; max-width: 100; height: 90%; border: round $accent; background: $surface; }
    DetailModal DataTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape,q", "close", N_("Close"), id="detail.close"),
        Binding("enter", "close", N_("Close"), show=False, id="detail.close_enter"),
    ]

    def __init__(self, title: str, detail: Any) -> None:
        super().__init__()
        self._title, self.detail = title, detail

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plain(self._title, "bold"), id="detail-title")
            yield DataTable(id="detail-table", cursor_type="row", zebra_stripes=True)
            yield Static(id="detail-note")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*(self.tr(h) for h in self.detail.headings))
        for row in self.detail.rows:
            table.add_row(*cells(*row))
        note = self.query_one("#detail-note", Static)
        if not self.detail.rows:
            note.update(self.tr("Nothing to show."))
        elif self.detail.truncated:
            note.update(self.tr("Showing the first {n}.", n=len(self.detail.rows)))
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)


class DashboardScreen(SectionScreen):
    TITLE_TEXT = N_("Dashboard")
    BINDINGS = [
        Binding("enter", "open_figure", N_("Open list"), id="dash.open"),
        Binding("r", "reload", N_("Refresh"), id="dash.reload"),
        Binding("escape", "back", N_("Back"), id="dash.back"),
    ]
    DEFAULT_CSS = """
    #dash-status { height: 1; padding: 0 1; }
    """

    def __init__(self, section=None) -> None:
        super().__init__()
        self._service: Any = None
        self._in_flight = False
        self.snapshot: Any = None  # the last Dashboard shown (tests read it)
        self.polls = 0  # snapshots shown so far

    def compose_body(self) -> ComposeResult:
        yield Static(id="dash-status")
        yield DataTable(id="dash-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        tr = self.tr
        self.query_one("#dash-table", DataTable).add_columns(tr("Group"), tr("Figure"), tr("Count"), "")
        self.query_one("#dash-status", Static).update(tr("Loading…"))
        self.action_reload()
        self.set_interval(REFRESH_SECONDS, self._poll)

    @property
    def dashboard(self) -> Any:
        if self._service is None:
            from workstation.services.dashboard import DashboardService

            self._service = DashboardService(self.services.ctx)
        return self._service

    def _device_health(self) -> Any:
        bridge = getattr(self.wapp, "devices", None)
        manager = getattr(bridge, "manager", None)
        return manager.health() if manager is not None else None

    def _poll(self) -> None:
        if not self._in_flight and self.is_current and self.wapp.actor is not None:
            self.action_reload()

    def action_reload(self) -> None:
        self._in_flight = True
        self.call_service(self.dashboard.snapshot, self.actor, self._device_health(), group="dash-load",
                          on_result=self._show, on_error=self._failed)

    def _failed(self, exc: Exception) -> None:
        self._in_flight = False
        self.query_one("#dash-status", Static).update(assemble((self.tr("Not updated:"), "bold"), " ",
                                                               self.error_text(exc)))

    def _show(self, snap: Any) -> None:
        self._in_flight = False
        self.snapshot, self.polls = snap, self.polls + 1
        zone = self.wapp.settings.zone
        table = self.query_one("#dash-table", DataTable)
        keep = None
        if table.row_count:
            keep = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        table.clear()
        keys: list[str] = []
        for group in GROUP_TITLES:
            figures = snap.group(group)
            if not figures:
                continue
            largest = max(f.count for f in figures) if group in ("queue", "lane", "workload") else 0
            for i, f in enumerate(figures):
                label = self.tr(LABELS[f.label]) if f.label in LABELS else f.label
                style = "bold red" if f.alert else ""
                key = f"{f.group}|{f.key}"
                heading = self.tr(GROUP_TITLES[group]) if i == 0 else ""  # the group's name on its first row
                table.add_row(Text(heading, style="bold"), *cells(label, str(f.count), style=style),
                              Text(text_bar(f.count, largest, BAR_WIDTH), style="red" if f.alert else "cyan"),
                              key=key)
                keys.append(key)
        if keep in keys:
            table.move_cursor(row=keys.index(keep))
        units = snap.units
        seen = units.last_contact.astimezone(zone).strftime("%d-%m %H:%M") if units.last_contact else "-"
        self.query_one("#dash-status", Static).update(self.tr(
            "Updated {time} · every {n} s · units' last contact {seen}",
            time=snap.at.astimezone(zone).strftime("%H:%M:%S"), n=int(REFRESH_SECONDS), seen=seen))

    def action_open_figure(self) -> None:
        table = self.query_one("#dash-table", DataTable)
        if table.row_count == 0:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or ""
        group, _, figure = key.partition("|")
        label = str(table.get_row(key)[1])  # the figure's label as shown
        title = f"{self.tr(GROUP_TITLES.get(group, group))}: {label}"
        self.call_service(self.dashboard.detail, self.actor, group, figure, self._device_health(),
                          group="dash-detail", on_result=lambda d: self.app.push_screen(DetailModal(title, d)))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on the table (the DataTable consumes the key itself) opens the figure's list."""
        event.stop()
        self.action_open_figure()

    def action_back(self) -> None:
        """When pushed from Supervision, go back to it; as a section of its own there is nothing under it."""
        if len(self.app.screen_stack) > 1 and self.app.screen is self:
            self.app.pop_screen()
