"""Warehouse moves (PLP): the office's queue (open requests, approved but not moved, overdue) with the
occupancy (YOR/SOR) of every TPS; request entry or import with the eligibility shown with its reasons; one
request's lines with the decision per line, cancellation, gate-out and gate-in; the TPS registry (occupancy
reports by officers, the register itself by supervisors)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import (
    Checkbox,
    Input,
    Label,
    Select,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)

from screens.base import Modal, SectionScreen, retitle_columns, retitle_tabs
from screens.dialogs import PromptModal
from screens.widgets.form import FormField, FormModal
from screens.widgets.table import DataTable
from screens.widgets.text import assemble, cells, esc, plain
from screens.widgets.words import coded, day
from workstation.i18n import N_

FILTERS = {"1": "open", "2": "moving", "3": "overdue", "4": "all"}
FILTER_NAMES = {"open": N_("awaiting decision"), "moving": N_("approved, not all in"), "overdue": N_("overdue"),
                "all": N_("all")}
# PLP grounds, in the order of seed 004 (origin operator's six, then the destination operator's three).
REASONS = ("YOR_OVER_THRESHOLD", "NO_LCL_FACILITY", "NO_SPECIAL_FACILITY", "EXCISE_RIBBON_AT_DESTINATION",
           "CONSOLIDATED_MASTER_BL", "STAGNATION_RISK", "MASTER_AWB_FORWARDER", "RUSH_HANDLING", "POSTAL_GOODS")


TABS = {"tab-requests": N_("Requests"), "tab-tps": "TPS"}
SEARCH_HINT = N_("search: reference, container, TPS, PLP number")
QUEUE_COLUMNS = (N_("Request"), N_("State"), N_("Route"), N_("Lines"), N_("In"), "!", N_("PLP number"))
TPS_COLUMNS = ("TPS", "TEU", "YOR %", "m³", "SOR %", N_("Limit"), N_("Facilities"), N_("Source"), N_("Operator"))
LINE_COLUMNS = ("#", N_("Container / package"), N_("State"), N_("Note"))
# The request's fields (plp/1 names, as errors name them) → the entry form's label and widget.
ENTRY_FIELDS = {
    "applicant": (N_("Applicant"), "#new-applicant"), "reason": (N_("Ground"), "#new-reason"),
    "origin.tps": (N_("Origin TPS"), "#new-origin"), "origin.yor_pct": (N_("YOR of the origin TPS (%)"),
                                                                        "#new-origin-yor"),
    "origin": (N_("Origin TPS"), "#new-origin"),
    "destination.tps": (N_("Destination TPS"), "#new-destination"),
    "destination.yor_pct": (N_("YOR of the destination TPS (%)"), "#new-destination-yor"),
    "destination": (N_("Destination TPS"), "#new-destination"), "port": (N_("Port"), "#new-port"),
    "bc11.number": (N_("BC 1.1 number"), "#new-bc11"), "bc11.date": (N_("BC 1.1 date"), "#new-bc11-date"),
    "bc11": (N_("BC 1.1 number"), "#new-bc11"),
    "containers": (N_("Containers"), "#new-containers"), "packages": (N_("Packages"), "#new-packages"),
}
SOURCE_NAMES = {"entered": N_("reported"), "containers": N_("computed"), "none": N_("unknown")}
# The grounds' words beside their codes (the codes stay as seed 004 spells them).
GROUND_TEXT = {
    "YOR_OVER_THRESHOLD": N_("yard occupancy at or over the standard"),
    "NO_LCL_FACILITY": N_("no LCL storage at the origin"),
    "NO_SPECIAL_FACILITY": N_("no special storage at the origin"),
    "EXCISE_RIBBON_AT_DESTINATION": N_("excise ribbons put on at the destination"),
    "CONSOLIDATED_MASTER_BL": N_("consolidated cargo under a master B/L"),
    "STAGNATION_RISK": N_("risk of stagnation"),
    "MASTER_AWB_FORWARDER": N_("master AWB of a forwarder"),
    "RUSH_HANDLING": N_("rush handling"),
    "POSTAL_GOODS": N_("postal goods"),
}
APPLICANT_TEXT = {"origin": N_("origin TPS"), "destination": N_("destination TPS")}
# A movement's direction. TODO(lead): a "plp_move" group in screens/widgets/words.py.
DIRECTION_TEXT = {"OUT": N_("Gate-out"), "IN": N_("Gate-in")}
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def _t(ts, zone) -> str:
    """A moment as every screen shows it: DD-MM-YYYY HH:MM in the office's zone."""
    return f"{day(ts.astimezone(zone))} {ts.astimezone(zone):%H:%M}" if ts else "-"


def _days(text: str) -> str:
    """Dates inside a service's text ("001234 / 2026-11-18") as DD-MM-YYYY."""
    return _ISO_DAY.sub(lambda m: f"{m[3]}-{m[2]}-{m[1]}", text)


def ground_text(tr, code: str) -> str:
    """A PLP ground: its code as spelled, with the translated words beside it."""
    return f"{code} — {tr(GROUND_TEXT[code])}" if code in GROUND_TEXT else code


def _pct(p) -> str:
    return "-" if p is None else f"{p}"


def _num(d) -> str:
    """A stored percentage without trailing zeros: 73.70 → 73.7, 40.00 → 40."""
    return "-" if d is None else f"{d.normalize():f}"


def occupancy_strip(tps) -> str:
    """One line: every TPS with its occupancy (the higher of YOR and SOR), '!' at or above the standard,
    '?' when the registry knows nothing of it."""
    parts = []
    for v in tps:
        if v.source == "none":
            parts.append(f"{v.code} ?")
        else:
            parts.append(f"{v.code} {v.occupancy_pct}{'!' if v.over_threshold else ''}")
    return "  ".join(parts)


class WarehouseScreen(SectionScreen):
    TITLE_TEXT = N_("Warehouse moves")
    CSS_PATH = "warehouse.tcss"
    BINDINGS = [
        Binding("1", "filter('open')", N_("Open"), id="plp.filter_open"),
        Binding("2", "filter('moving')", N_("Moving"), id="plp.filter_moving"),
        Binding("3", "filter('overdue')", N_("Overdue"), id="plp.filter_overdue"),
        Binding("4", "filter('all')", N_("All"), id="plp.filter_all", show=False),
        Binding("n", "new_request", N_("New request"), id="plp.new_request"),
        Binding("m", "import_file", N_("Import"), id="plp.import"),
        Binding("t", "toggle_tab", N_("TPS list"), id="plp.toggle_tab"),
        Binding("o", "occupancy", N_("Occupancy"), id="plp.occupancy"),
        Binding("e", "edit_tps", N_("Edit TPS"), id="plp.edit_tps"),
        Binding("r", "reload", N_("Refresh"), id="plp.reload"),
        Binding("slash", "search", N_("Search"), id="plp.search"),
    ]

    def __init__(self, section=None) -> None:
        super().__init__()
        self.which = "open"
        self.tps: list = []

    def compose_body(self) -> ComposeResult:
        with TabbedContent(id="plp-tabs"):
            with TabPane(self.tr(TABS["tab-requests"]), id="tab-requests"):
                with Horizontal(id="plp-bar"):
                    yield Static(id="plp-filter")
                    yield Input(id="plp-search", compact=True)
                yield Static(id="plp-yor")
                yield DataTable(id="plp-queue", cursor_type="row", zebra_stripes=True)
            with TabPane(self.tr(TABS["tab-tps"]), id="tab-tps"):
                yield DataTable(id="plp-tps", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        tr = self.tr
        self.query_one("#plp-search", Input).placeholder = tr(SEARCH_HINT)
        self.query_one("#plp-queue", DataTable).add_columns(*(tr(c) for c in QUEUE_COLUMNS))
        self.query_one("#plp-tps", DataTable).add_columns(*(tr(c) for c in TPS_COLUMNS))
        self.query_one("#plp-queue", DataTable).focus()  # arrows and Enter work at once (#12 item 2)
        self.action_reload()

    def refresh_language(self) -> None:
        """F12: re-labelled in place (the search text, the tab and the cursor stay), then reloaded."""
        super().refresh_language()
        tr = self.tr
        retitle_tabs(self.query_one("#plp-tabs", TabbedContent), TABS, tr)
        self.query_one("#plp-search", Input).placeholder = tr(SEARCH_HINT)
        retitle_columns(self.query_one("#plp-queue", DataTable), QUEUE_COLUMNS, tr)
        retitle_columns(self.query_one("#plp-tps", DataTable), TPS_COLUMNS, tr)
        self.action_reload()

    def on_descendant_focus(self, _event) -> None:
        self.refresh_bindings()  # the keys are hidden while the search field has the focus

    # -- tabs and keys -------------------------------------------------------------------------------------
    def _on_tps_tab(self) -> bool:
        try:
            return self.query_one("#plp-tabs", TabbedContent).active == "tab-tps"
        except Exception:  # before mount
            return False

    def check_action(self, action: str, parameters) -> bool | None:
        if isinstance(self.focused, Input):
            return False  # every key of this screen is a letter or digit: in the search field it types (#12)
        if action in ("occupancy", "edit_tps"):
            return self._on_tps_tab() or None  # greyed out on the requests tab
        if action in ("filter", "search"):
            return not self._on_tps_tab() or None
        return True

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.refresh_bindings()
        table = "#plp-tps" if self._on_tps_tab() else "#plp-queue"
        self.query_one(table, DataTable).focus()

    def action_toggle_tab(self) -> None:
        tabs = self.query_one("#plp-tabs", TabbedContent)
        tabs.active = "tab-requests" if tabs.active == "tab-tps" else "tab-tps"

    # -- the queue -------------------------------------------------------------------------------------------
    def action_filter(self, which: str) -> None:
        self.which = which
        self.action_reload()

    def action_search(self) -> None:
        self.query_one("#plp-search", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "plp-search":
            self.action_reload()
            self.query_one("#plp-queue", DataTable).focus()

    def action_reload(self) -> None:
        plp, which = self.services.plp, self.which
        search = self.query_one("#plp-search", Input).value
        self.query_one("#plp-filter", Static).update(self.tr(FILTER_NAMES[which]))
        self.background(lambda: (plp.queue(which, search), plp.tps_overview()), self._show, group="plp-load")

    def _show(self, data) -> None:
        rows, tps = data
        self.tps = tps
        t = self.query_one("#plp-queue", DataTable)
        t.clear()
        for r in rows:
            t.add_row(*cells(r.reference, coded(self.tr, "plp_state", r.state), f"{r.origin}→{r.destination}", f"{r.approved}/{r.lines}",
                             str(r.moved_in), str(r.overdue or ""), r.plp_number or "-"), key=str(r.case_id))
        label = self.tr("Occupancy %")
        self.query_one("#plp-yor", Static).update(f"[b]{label}[/b] " + escape(occupancy_strip(tps)))
        p = self.query_one("#plp-tps", DataTable)
        row = p.cursor_row
        p.clear()
        for v in tps:
            teu = f"{v.teu_used}/{v.capacity_teu}" if v.capacity_teu else "-"
            m3 = (f"{_num(v.m3_used) if v.m3_used is not None else '?'}/{_num(v.capacity_m3)}"
                  if v.capacity_m3 else "-")
            yor = _pct(v.yor_pct) + ("!" if v.yor_pct is not None and v.yor_pct >= v.threshold_pct else "")
            sor = _pct(v.sor_pct) + ("!" if v.sor_pct is not None and v.sor_pct >= v.threshold_pct else "")
            # cells(): Rich Text sizes its column (a Content cell leaves it as narrow as its heading)
            p.add_row(*cells(v.code, teu, yor, m3, sor, str(v.threshold_pct), ",".join(v.facilities) or "-",
                             self.tr(SOURCE_NAMES[v.source]), v.operator[:30]), key=v.code)
        if p.row_count:
            p.move_cursor(row=min(row, p.row_count - 1))
        if not self.query_one("#plp-search", Input).has_focus:
            (p if self._on_tps_tab() else t).focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "plp-queue" and event.row_key.value:
            self.open_request(uuid.UUID(event.row_key.value))
        elif event.data_table.id == "plp-tps":
            self.action_occupancy()

    def open_request(self, case_id: uuid.UUID) -> None:
        self.app.push_screen(PlpRequestModal(case_id), lambda _: self.action_reload())

    # -- requests in ----------------------------------------------------------------------------------------
    def action_new_request(self) -> None:
        def done(d) -> None:
            if d is not None:
                self.action_reload()
                self.open_request(d.case.id)

        self.app.push_screen(PlpEntryModal(list(self.tps)), done)

    def action_import_file(self) -> None:
        def load(path: str | None) -> None:
            if not path:
                return
            plp, actor = self.services.plp, self.actor

            def work():
                try:
                    text = Path(path).expanduser().read_bytes()
                except OSError as exc:
                    from workstation.domain.errors import ErrorCode
                    from workstation.errors import InputError

                    raise InputError(code=ErrorCode.FILE_UNREADABLE, field=path,
                                     params={"reason": exc.strerror}) from None
                return plp.import_request(actor, text, source=path)

            def done(d) -> None:
                if d.refusals:
                    self.notify(f"{d.case.reference}: {coded(self.tr, 'plp_state', d.case.state)} — "
                                + ", ".join(d.refusals), severity="warning")
                else:
                    self.notify(f"{d.case.reference}: {coded(self.tr, 'plp_state', d.case.state)}")
                self.action_reload()

            self.background(work, done, group="plp-import")

        self.app.push_screen(PromptModal(self.tr("Import a PLP request"), self.tr("plp/1 JSON file")), load)

    # -- the registry -------------------------------------------------------------------------------------
    def _selected_tps(self):
        p = self.query_one("#plp-tps", DataTable)
        if p.row_count == 0:
            return None
        code = p.coordinate_to_cell_key(p.cursor_coordinate).row_key.value
        return next((v for v in self.tps if v.code == code), None)

    def action_occupancy(self) -> None:
        v = self._selected_tps()
        if v is None:
            return
        plp, actor = self.services.plp, self.actor

        def save(values: dict) -> object:
            # the version shown: a change made since by someone else is refused (VERSION_CONFLICT), not overwritten
            return plp.record_occupancy(actor, v.code, teu=values.get("occupancy_teu") or None,
                                        m3=values.get("occupancy_m3") or None, version=v.version)

        self.app.push_screen(occupancy_form(self.tr, v, save), lambda changed: changed and self.action_reload())

    def action_edit_tps(self) -> None:
        plp, actor, shown = self.services.plp, self.actor, self._selected_tps()

        def save(values: dict) -> object:
            # the version of the TPS shown when it is that TPS being saved, else 0: a new TPS (the code may be
            # edited into a new one) that must not exist yet — either way another's change is never overwritten
            same = shown is not None and values["code"].strip().upper() == shown.code
            return plp.save_tps(actor, values["code"], values["name"], values["operator"], values["port"],
                                values["capacity_teu"] or None, capacity_m3=values["capacity_m3"] or None,
                                facilities=values["facilities"], occupancy_teu_entered=values["occupancy_teu"] or None,
                                occupancy_m3_entered=values["occupancy_m3"] or None,
                                version=shown.version if shown is not None and same else 0)

        self.app.push_screen(tps_form(self.tr, shown, save),
                             lambda changed: changed and self.action_reload())


# ==========================================================================================================
# One request
# ==========================================================================================================


class PlpRequestModal(Modal):
    """One request: its check, its lines with the decision per line, and the movements."""

    CSS_PATH = "warehouse.tcss"
    BINDINGS = [
        Binding("escape,f3", "close", N_("Back to the queue"), id="plpreq.close"),
        # a modal stops the app's own keys: the language key is passed on (#12 item 1)
        Binding("f12", "app.toggle_language", N_("Language"), id="plpreq.language", show=False),
        Binding("a", "mark(True)", N_("Approve line"), id="plpreq.approve_line"),
        Binding("x", "mark(False)", N_("Reject line"), id="plpreq.reject_line"),
        Binding("s", "submit", N_("Decide"), id="plpreq.decide"),
        Binding("o", "move('OUT')", N_("Gate-out"), id="plpreq.gate_out"),
        Binding("i", "move('IN')", N_("Gate-in"), id="plpreq.gate_in"),
        Binding("c", "cancel_request", N_("Cancel PLP"), id="plpreq.cancel"),
        Binding("d", "document", N_("Letter"), id="plpreq.document"),
    ]

    # Which workflow actions (workstation.domain.plp.FLOW) each key needs: a key applies when the user may take
    # one of them on this request in its state; the service decides which one (e.g. gate-in or close).
    NEEDS = {"mark": ("plp.approve", "plp.reject"), "submit": ("plp.approve", "plp.reject"),
             "move:OUT": ("plp.gate_out",), "move:IN": ("plp.gate_in", "plp.close"), "cancel_request": ("plp.cancel",)}

    def __init__(self, case_id) -> None:
        super().__init__()
        self.case_id = case_id
        self.detail = None
        self.allowed: frozenset[str] = frozenset()  # from the service, refreshed with every detail shown
        self.decisions: dict[int, tuple[bool, str]] = {}

    def check_action(self, action: str, parameters) -> bool | None:
        key = f"{action}:{parameters[0]}" if action == "move" and parameters else action
        if key in self.NEEDS:
            return bool(self.allowed & set(self.NEEDS[key])) or None  # greyed out, still listed
        if action == "document":
            return bool(self.detail and self.detail.documents) or None
        return True

    def _can(self, action: str, *parameters) -> bool:
        return bool(self.check_action(action, parameters))

    def compose(self) -> ComposeResult:
        with Vertical(id="plp-detail"):
            yield Static(id="plp-head")
            yield DataTable(id="plp-lines", cursor_type="row", zebra_stripes=True)
            yield Static(id="plp-line-times")
            yield Static(id="plp-moves")
            yield Static(id="plp-keys")

    def on_mount(self) -> None:
        tr = self.tr
        # the line's times go under the table (the line under the cursor): 80 columns hold no more
        self.query_one("#plp-lines", DataTable).add_columns(*(tr(c) for c in LINE_COLUMNS))
        self._load()

    def refresh_language(self) -> None:
        retitle_columns(self.query_one("#plp-lines", DataTable), LINE_COLUMNS, self.tr)
        if self.detail is not None:
            self._show(self.detail)

    def _load(self) -> None:
        plp, case_id = self.services.plp, self.case_id
        self.background(lambda: plp.get(case_id), self._show, group="plpreq-load")

    def _show(self, d) -> None:
        self.detail = d
        self.allowed = self.services.plp.allowed_actions(self.actor, d)
        self.refresh_bindings()
        zone = self.wapp.settings.zone
        tr = self.tr
        applicant, ground, refusals, ruleset = tr("Applicant"), tr("Ground"), tr("Refusals"), tr("Rule set")
        stated, registry, advice = tr("stated"), tr("registry"), tr("Advice")
        plp_line = f"{d.plp_number} ({d.plp_date:%d-%m-%Y})" if d.plp_number and d.plp_date else (d.plp_number or "")
        reg = " / ".join(_num(x) for x in d.registry_yor)
        who = tr(APPLICANT_TEXT[d.applicant]) if d.applicant in APPLICANT_TEXT else d.applicant
        # no markup: stored text and "[CODE]" go in as text (a markup parser would eat "[SUBMITTED]")
        head: list = [(d.case.reference, "b"), "  ", coded(tr, "plp_state", d.case.state), "  ", plp_line,
                      f"\n{d.origin} → {d.destination}   {applicant}: {d.operator} ({who})",
                      f"\n{ground}: {ground_text(tr, d.reason)}",
                      f"\nBC 1.1: {_days(d.bc11)}",
                      f"\nYOR %: {stated} {_num(d.stated_yor[0])} / {_num(d.stated_yor[1])}, {registry} {reg}",
                      f"\n{refusals}: {', '.join(d.refusals) or '-'}   {ruleset}: {d.ruleset}"]
        if d.warnings:
            head += ["\n", (f"{advice}:", "b"), " " + ", ".join(d.warnings)]
        if d.case.flags:
            head += ["\n", ("!", "b"), " " + ", ".join(d.case.flags)]
        if d.cancel_reason:
            head.append("\n" + tr("Cancelled: {reason}", reason=d.cancel_reason))
        self.query_one("#plp-head", Static).update(assemble(*head))
        t = self.query_one("#plp-lines", DataTable)
        row = t.cursor_row
        t.clear()
        for ln in d.lines:
            state = coded(tr, "plp_line", ln.state)
            if ln.seq in self.decisions and self._can("mark"):
                ok, _reason = self.decisions[ln.seq]
                state = ("→ " + tr("approve")) if ok else ("→ " + tr("reject"))
            note = (ln.reason or (self.decisions.get(ln.seq, (True, ""))[1])) + (" ⚠" if ln.overdue else "")
            t.add_row(*cells(str(ln.seq), ln.what, state, note[:30]), key=str(ln.seq))
        if t.row_count:
            t.move_cursor(row=min(row, t.row_count - 1))
        self._line_times()
        t.focus()
        moves = [f"{m.seq} {tr(DIRECTION_TEXT.get(m.direction, m.direction))} {m.tps} {_t(m.at, zone)} "
                 f"{m.truck_plate} {','.join(m.seals) or '-'} ({m.read_by})" for m in d.movements[-3:]]
        self.query_one("#plp-moves", Static).update(plain("\n".join(moves), lines=True))
        # the keys that apply now, as the bindings say them (derived from the workflow table, like the footer)
        keys = [f"{b.key.upper()} {tr(b.description)}" for b in self.BINDINGS
                if b.show and b.action != "close" and self._binding_applies(b.action)]
        self.query_one("#plp-keys", Static).update(" · ".join([*keys, "Esc/F3 " + tr("Back to the queue")]))

    def line_times(self, ln) -> str:
        """The times of one line, in words: out, in, the deadline and the last day of storage."""
        zone, tr = self.wapp.settings.zone, self.tr
        return (f"{tr('Line')} {ln.seq} · {tr('Out')} {_t(ln.out_at, zone)} · {tr('In')} {_t(ln.in_at, zone)} · "
                f"{tr('Due')} {_t(ln.due_at, zone)} · {tr('Storage until')} {day(ln.storage_due)}")

    def _line_times(self) -> None:
        seq, d = self._seq(), self.detail
        ln = next((x for x in d.lines if x.seq == seq), None) if d is not None and seq is not None else None
        self.query_one("#plp-line-times", Static).update(plain(self.line_times(ln)) if ln else "")

    def on_data_table_row_highlighted(self, _event) -> None:
        if self.detail is not None:
            self._line_times()

    def _binding_applies(self, action: str) -> bool:
        name, _, arg = action.partition("(")
        return self._can(name, *([arg.rstrip(")").strip("'\"")] if arg else []))

    def _seq(self) -> int | None:
        t = self.query_one("#plp-lines", DataTable)
        if t.row_count == 0:
            return None
        return int(t.coordinate_to_cell_key(t.cursor_coordinate).row_key.value)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_mark(self, ok: bool) -> None:
        seq = self._seq()
        if seq is None or self.detail is None or not self._can("mark"):
            return
        if ok:
            self.decisions[seq] = (True, "")
            self._show(self.detail)
            self.query_one("#plp-lines", DataTable).action_cursor_down()
            return

        def with_reason(reason: str | None) -> None:
            if reason:
                self.decisions[seq] = (False, reason)
                self._show(self.detail)

        self.app.push_screen(PromptModal(self.tr("Reject line {seq}", seq=seq), self.tr("Reason")), with_reason)

    def action_submit(self) -> None:
        """Show the letter the decision would issue; Enter in the preview issues it."""
        d = self.detail
        if d is None or not self._can("submit"):
            return
        plp, actor, decisions = self.services.plp, self.actor, dict(self.decisions)
        missing = [ln.seq for ln in d.lines if ln.seq not in decisions]
        if missing:
            self.notify(self.tr("Decide line {seq} first (A approve, X reject).", seq=missing[0]), severity="warning")
            return

        def issue(confirmed: bool | None) -> None:
            if confirmed:
                self.background(lambda: plp.decide(actor, d.case.id, d.case.version, decisions), self._decided,
                                self._failed, group="plpreq-act")

        def show(text: str) -> None:
            from screens.preview import PreviewModal

            self.app.push_screen(PreviewModal(text), issue)

        self.background(lambda: plp.preview_decision(actor, d.case.id, decisions), show, self._failed,
                        group="plpreq-act")

    def _decided(self, d) -> None:
        self.decisions.clear()
        self.notify(f"{d.case.reference}: {coded(self.tr, 'plp_state', d.case.state)} {d.plp_number or ''}")
        self._show(d)

    def _failed(self, exc: Exception) -> None:
        self.show_error(exc)
        self._load()  # e.g. a conflict: show what is there now

    def action_move(self, direction: str) -> None:
        d, seq = self.detail, self._seq()
        if d is None or seq is None or not self._can("move", direction):
            return
        plp, actor = self.services.plp, self.actor
        fn = plp.gate_out if direction == "OUT" else plp.gate_in

        def record(values: dict) -> object:
            return fn(actor, d.case.id, d.case.version, seq, truck_plate=values["truck_plate"],
                      seals=values["seals"])

        out = next((m for m in reversed(d.movements) if m.seq == seq and m.direction == "OUT"), None)
        self.app.push_screen(movement_form(self.tr, direction, seq, record, known=out),
                             lambda done: self._show(done) if done is not None else self._load())

    def action_cancel_request(self) -> None:
        d = self.detail
        if d is None or not self._can("cancel_request"):
            return

        def with_reason(reason: str | None) -> None:
            if reason:
                plp, actor = self.services.plp, self.actor
                self.background(lambda: plp.cancel(actor, d.case.id, d.case.version, reason), self._show,
                                self._failed, group="plpreq-act")

        self.app.push_screen(PromptModal(self.tr("Cancel PLP"), self.tr("Reason")), with_reason)

    def action_document(self) -> None:
        if self.detail and self.detail.documents:
            from screens.documents import DocumentModal

            self.app.push_screen(DocumentModal(self.detail.documents[-1]))


def movement_form(tr, direction: str, seq: int, record, known=None) -> FormModal:
    """Truck plate and seal numbers for a gate-out or gate-in recorded by hand; `record(values)` saves it. A
    gate-in is prefilled with what the gate-out recorded (`known`, a MovementView): the same truck and seals
    normally arrive; the officer corrects what differs (a changed seal is then flagged by the service)."""
    title = tr("Gate-out at the origin") if direction == "OUT" else tr("Gate-in at the destination")
    plate = known.truck_plate if known is not None else ""
    seals = ", ".join(known.seals) if known is not None else ""
    note = tr("Prefilled from the gate-out: correct what differs.") if known is not None else ""
    # placeholders say what to type, never a value that looks typed (issue #12 item 3)
    return FormModal(f"{title} — {tr('Line')} {seq}",
                     [FormField("truck_plate", N_("Truck plate"), plate, max_length=16,
                                placeholder=tr("as on the truck")),
                      FormField("seals", N_("Seal numbers (comma separated)"), seals, max_length=200,
                                placeholder=tr("empty: no seal"))],
                     record, note=note, id_prefix="move-")


# ==========================================================================================================
# Request entry (a TPS operator's request, typed in by the officer)
# ==========================================================================================================


class PlpEntryModal(Modal):
    """The request as the TPS operator sent it. Ctrl+T checks it (nothing written); Ctrl+S registers it: an
    eligible request waits for the decision, one that is not is kept as refused with its letter (a second
    Ctrl+S after the check showed the refusals). Bad input names the field and writes nothing."""

    CSS_PATH = "warehouse.tcss"
    BINDINGS = [
        Binding("escape,f3", "cancel", N_("Cancel"), id="plpnew.cancel"),
        Binding("ctrl+t", "check", N_("Check"), id="plpnew.check"),
        Binding("ctrl+s", "save", N_("Register"), id="plpnew.save"),
    ]

    def __init__(self, tps: list) -> None:
        super().__init__()
        self.tps = tps
        self._armed_for: str | None = None  # the request text whose refusals were shown: Ctrl+S registers it

    def compose(self) -> ComposeResult:
        tr = self.tr
        codes = [(f"{v.code} {_pct(v.occupancy_pct)}%", v.code) for v in self.tps]
        port = self.tps[0].port if self.tps else "IDTPP"
        with Vertical(id="plpnew-box"):
            yield Static("[b]" + tr("New PLP request") + "[/b]")
            with Horizontal(classes="plpnew-row"):
                yield Label(tr("Applicant"), classes="plpnew-label")
                yield Select([(tr("origin TPS"), "origin"), (tr("destination TPS"), "destination")], value="origin",
                             allow_blank=False, id="new-applicant", compact=True)
            with Horizontal(classes="plpnew-row"):  # a row of its own: the ground's words are long
                yield Label(tr("Ground"), classes="plpnew-label")
                yield Select([(ground_text(tr, r), r) for r in REASONS], value=REASONS[0], allow_blank=False,
                             id="new-reason", compact=True)
            with Horizontal(classes="plpnew-row"):
                yield Label(tr("Origin TPS"), classes="plpnew-label")
                yield Select(codes, id="new-origin", compact=True, prompt="-")
                yield Label("YOR %", classes="plpnew-label2")
                yield Input(id="new-origin-yor", max_length=8, compact=True)
            with Horizontal(classes="plpnew-row"):
                yield Label(tr("Destination TPS"), classes="plpnew-label")
                yield Select(codes, id="new-destination", compact=True, prompt="-")
                yield Label("YOR %", classes="plpnew-label2")
                yield Input(id="new-destination-yor", max_length=8, compact=True)
            with Horizontal(classes="plpnew-row"):
                yield Label(tr("Port"), classes="plpnew-label")
                yield Input(port, id="new-port", max_length=5, compact=True)
                yield Label("BC 1.1", classes="plpnew-label2")
                yield Input(id="new-bc11", max_length=6, compact=True, placeholder=tr("6 digits"))
                yield Input(id="new-bc11-date", max_length=10, compact=True, placeholder=tr("DD-MM-YYYY"))
            with Horizontal(classes="plpnew-row"):
                yield Label(tr("Import declared"), classes="plpnew-label")
                yield Checkbox("", False, id="new-declared", compact=True)
            yield Label(tr("Containers: number and size, one per line"))
            yield TextArea(id="new-containers", soft_wrap=False, tab_behavior="focus", compact=True,
                           placeholder=tr("e.g. CSQU3054383 40 (number, size in feet)"))
            yield Label(tr("Packages: B/L or AWB, quantity, kind, one per line"))
            yield TextArea(id="new-packages", soft_wrap=False, tab_behavior="focus", compact=True,
                           placeholder=tr("e.g. MAEU123456789 12 PK (B/L, quantity, kind)"))
            yield Static(id="plpnew-result")
            yield Static(tr("Ctrl+T check · Ctrl+S register · Esc/F3 cancel"), id="plpnew-hint")

    def on_mount(self) -> None:
        self.query_one("#new-applicant", Select).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        # the registry's figure as a start; the officer types the operator's stated one over it
        target = {"new-origin": "#new-origin-yor", "new-destination": "#new-destination-yor"}.get(event.select.id or "")
        if target is None:
            return
        box = self.query_one(target, Input)
        v = next((x for x in self.tps if x.code == event.value), None)
        if v is not None and not box.value.strip() and v.source != "none" and v.occupancy_pct is not None:
            box.value = str(v.occupancy_pct)

    def _text(self) -> str:
        from workstation.services.plp import request_from_form

        def sel(wid: str) -> str:
            value = self.query_one(wid, Select).value
            return "" if value is Select.NULL else str(value)

        def val(wid: str) -> str:
            return self.query_one(wid, Input).value

        return request_from_form(
            office=self.actor.office_code, applicant=sel("#new-applicant"), reason=sel("#new-reason"),
            origin=sel("#new-origin"), origin_yor=val("#new-origin-yor"), destination=sel("#new-destination"),
            destination_yor=val("#new-destination-yor"), port=val("#new-port"), bc11_number=val("#new-bc11"),
            bc11_date=val("#new-bc11-date"), import_declared=self.query_one("#new-declared", Checkbox).value,
            containers=self.query_one("#new-containers", TextArea).text,
            packages=self.query_one("#new-packages", TextArea).text)

    def _result(self, markup: str) -> None:
        self.query_one("#plpnew-result", Static).update(markup)

    def _failed(self, exc: Exception) -> None:
        self._armed_for = None
        # said from the error's code in the user's language, with the field's label on this form (#12 item 1),
        # and the field gets the focus
        text = self.error_text(exc)
        field = getattr(exc, "field", None) or ""
        key = next((k for k in (field, field.split("[")[0], field.split(".")[0]) if k in ENTRY_FIELDS), None)
        if key is not None:
            label, wid = ENTRY_FIELDS[key]
            where = self.tr(label)
            m = re.match(r"line (\d+):", str(getattr(exc, "message", "")))
            if m:  # the row of the containers or packages box the error is about
                where += f", {self.tr('Line').lower()} {m[1]}"
            if text.startswith(f"{field}: "):
                text = f"{where}: {text[len(field) + 2:]}"
            self.query_one(wid).focus()
        self._result("[b red]" + escape(text) + "[/]")

    def _evaluate(self, then_register: bool) -> None:
        try:
            text = self._text()
        except Exception as exc:
            self._failed(exc)
            return
        plp, actor = self.services.plp, self.actor

        def shown(ev) -> None:
            tr = self.tr
            verdict = tr("Eligible") if ev.eligible else tr("Not eligible")
            ground, threshold = tr("Ground met"), tr("threshold")
            refusals, advice = tr("Refusals"), tr("Advice")
            grounds = ", ".join(ev.reasons) or "-"
            lines = [f"[b]{verdict}[/b]  {ground}: {grounds}  ({threshold} {ev.threshold_pct} %, {ev.ruleset})"]
            if ev.refusals:
                lines.append(f"{refusals}: " + esc(", ".join(ev.refusals)))
            if ev.warnings:
                lines.append(f"{advice}: " + esc(", ".join(ev.warnings)))
            if not ev.eligible:
                lines.append(tr("Ctrl+S registers it as refused, with a refusal letter."))
            self._result("\n".join(lines))
            if then_register and ev.eligible:
                self._register(text)
            else:
                self._armed_for = None if ev.eligible else text

        self._result(self.tr("Checking…"))
        self.background(lambda: plp.check_request(actor, text), shown, self._failed, group="plpnew")

    def _register(self, text: str) -> None:
        plp, actor = self.services.plp, self.actor
        self._armed_for = None
        self.background(lambda: plp.import_request(actor, text, source="screen"), self.dismiss, self._failed,
                        group="plpnew")

    def action_check(self) -> None:
        self._evaluate(then_register=False)

    def action_save(self) -> None:
        try:
            text = self._text()
        except Exception as exc:
            self._failed(exc)
            return
        if self._armed_for == text:  # its refusals are on screen: keep it as refused
            self._register(text)
        else:
            self._evaluate(then_register=True)

    def action_cancel(self) -> None:
        self.dismiss(None)


# ==========================================================================================================
# The registry
# ==========================================================================================================


TPS_FIELDS = (("code", N_("Code")), ("name", N_("Name")), ("operator", N_("Operator")), ("port", N_("Port")),
              ("capacity_teu", N_("Yard capacity (TEU)")), ("capacity_m3", N_("Shed capacity (m³)")),
              ("facilities", N_("Facilities (LCL DG COLD)")), ("occupancy_teu", N_("TEU used (reported)")),
              ("occupancy_m3", N_("m³ used (reported)")))


def occupancy_form(tr, v, save) -> FormModal:
    """The operator's latest occupancy report for one TPS, one line per capacity it has; both empty =
    computed from stored containers. `save(values)` records it (names as the service's fields)."""
    fields = []
    if v.capacity_teu:
        teu = str(v.teu_used) if v.source == "entered" and v.teu_used is not None else ""
        fields.append(FormField("occupancy_teu", N_("TEU used (reported)"), teu, max_length=7))
    if v.capacity_m3:
        fields.append(FormField("occupancy_m3", N_("m³ used (reported)"),
                                str(v.m3_used) if v.m3_used is not None else "", max_length=12))
    notes = ([tr("TEU used of {capacity} (empty: computed from stored containers)", capacity=v.capacity_teu)]
             if v.capacity_teu else []) + ([tr("m³ used of {capacity}", capacity=v.capacity_m3)] if v.capacity_m3 else [])
    note = " · ".join(notes)
    return FormModal(f"{tr('Occupancy')} — {v.code} {v.name}", fields, save, note=note, id_prefix="occ-")


def tps_form(tr, v, save) -> FormModal:
    """Add (v None) or change a TPS; `save(values)` saves it (supervisors and admins: the service refuses
    others with a clear message, shown under the form)."""
    values = {} if v is None else {
        "code": v.code, "name": v.name, "operator": v.operator, "port": v.port,
        "capacity_teu": str(v.capacity_teu or ""), "capacity_m3": str(v.capacity_m3 or ""),
        "facilities": " ".join(v.facilities),
        "occupancy_teu": str(v.teu_used) if v.source == "entered" and v.teu_used is not None else "",
        "occupancy_m3": str(v.m3_used) if v.m3_used is not None else ""}
    fields = [FormField(name, label, values.get(name, "IDTPP" if name == "port" else ""), max_length=200)
              for name, label in TPS_FIELDS]
    return FormModal(tr("TPS registry"), fields, save, id_prefix="tps-")
