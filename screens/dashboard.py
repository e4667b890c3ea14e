"""The supervisor's dashboard (issue #15 item 1): open queues per workflow and state, SLA breaches, lanes of the
day, officer workload, print failures, field units and devices, polled every few seconds in a thread worker
(input never waits on it). Enter on a figure opens the list behind it.

Read-only: it shows what others commit within one poll (REFRESH_SECONDS), by the index-bounded queries of
workstation/services/dashboard.py."""

from __future__ import annotations

import re
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from screens.base import Modal, SectionScreen
from screens.widgets.table import DataTable
from screens.widgets.text import assemble, cells, plain
from screens.widgets.words import WORDS, word
from workstation.i18n import N_
from workstation.services.dashboard import text_bar

REFRESH_SECONDS = 5.0
BAR_WIDTH = 12  # cells of the longest bar of a group (fits 80 columns beside the longest label)
LABEL_WIDTH = 52  # a figure's label at most (2 + 52 + count + bar + padding fit 80 columns)

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
KIND_NAMES = {"ECD": "e-CD", "PIB": "PIB", "PLP": "PLP"}  # codes: shown as DOMAIN.md spells them
# States of the detail lists that are not a workflow's (field units, devices).
STATE_WORDS = {
    "OK": N_("in contact"), "STALE": N_("not heard of for 24 h"), "NEVER": N_("never synced"),
    "REVOKED": N_("revoked"), "starting": N_("starting"), "stopped": N_("stopped"),
    "not started": N_("not started"),
}
_CASE_STATE = re.compile(r"(ECD|PIB|PLP) ([A-Z_+]+)")


def figure_label(tr: Any, f: Any) -> str:
    """A figure's name in the user's language: a queue by its workflow and state word, a lane by its word,
    a summary by its label; a login or an unknown code as itself."""
    if f.group == "queue":
        kind, _, state = f.key.partition(":")
        return f"{KIND_NAMES.get(kind, kind)}: {word(tr, f'{kind.lower()}_state', state)}"
    if f.group == "lane":
        return tr("not decided yet") if f.key == "-" else word(tr, "lane", f.key)
    return tr(LABELS[f.label]) if f.label in LABELS else f.label


STATE_WIDTH = 26  # a state cell of a detail list at most (the list fits 80 columns)


def _coded_short(tr: Any, group: str, code: str) -> str:
    """"word [CODE]" in STATE_WIDTH cells: the word cut with "…" when needed, the code always whole."""
    text = word(tr, group, code)
    if text == code:
        return code
    room = STATE_WIDTH - len(code) - 3
    if len(text) > room:
        text = text[: max(1, room - 1)] + "…"
    return f"{text} [{code}]"


def state_text(tr: Any, value: str) -> str:
    """A detail list's state cell: a case's "KIND STATE" as its workflow's word with the code beside it, a PIB
    state code likewise, a unit's or device's state as its word; anything else as it is."""
    m = _CASE_STATE.fullmatch(value)
    if m:  # the reference tells the workflow; the word is cut to leave the code whole (80 columns)
        return _coded_short(tr, f"{m[1].lower()}_state", m[2])
    if value in STATE_WORDS:
        return tr(STATE_WORDS[value])
    if value in WORDS["pib_state"]:
        return _coded_short(tr, "pib_state", value)
    if value in WORDS["device"]:
        return word(tr, "device", value)
    return value


class DetailModal(Modal):
    """The list behind a figure: a table of plain text (stored values never read as markup), states in the
    user's language. Escape, F3, Enter or q closes it."""

    DEFAULT_CSS = """
    DetailModal { align: center middle; }
    DetailModal > Vertical { width: 100%; max-width: 100; height: 90%; border: round $accent; background: $surface; }
    DetailModal DataTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape,f3,q", "close", N_("Close"), id="detail.close", key_display="Esc/F3"),
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
            yield Static(plain(self.tr("Enter, Esc or F3 closes"), "dim"), id="detail-hint")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        from workstation.services.dashboard import H_STATE

        table.add_columns(*(self.tr(h) for h in self.detail.headings))
        states = [i for i, h in enumerate(self.detail.headings) if h == H_STATE]
        for row in self.detail.rows:
            shown = [state_text(self.tr, v) if i in states else v for i, v in enumerate(row)]
            table.add_row(*cells(*shown))
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
        Binding("escape,f3", "back", N_("Back"), id="dash.back", key_display="Esc/F3"),
    ]
    AUTO_FOCUS = "#dash-table"
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
        self.query_one("#dash-table", DataTable).add_columns(tr("Figure"), tr("Count"), "")
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
            # the group's name on a row of its own (key "group|"): the figures get the width of the screen
            table.add_row(Text(self.tr(GROUP_TITLES[group]), style="bold underline"), "", "", key=f"{group}|")
            keys.append(f"{group}|")
            largest = max(f.count for f in figures) if group in ("queue", "lane", "workload") else 0
            for f in figures:
                label = figure_label(self.tr, f)
                if len(label) > LABEL_WIDTH:
                    label = label[: LABEL_WIDTH - 1] + "…"
                style = "bold red" if f.alert else ""
                key = f"{f.group}|{f.key}"
                table.add_row(*cells("  " + label, str(f.count), style=style),
                              Text(text_bar(f.count, largest, BAR_WIDTH), style="red" if f.alert else "cyan"),
                              key=key)
                keys.append(key)
        if keep in keys:
            table.move_cursor(row=keys.index(keep))
        elif keys:  # first figure, not its heading
            table.move_cursor(row=1)
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
        if not figure:  # a group's heading
            return
        label = str(table.get_row(key)[0]).strip()  # the figure's label as shown
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
