"""Passenger counter (e-CD): scan (barcode reader event, or a keyboard-wedge reader typing into the scan field)
or search by passport / name / flight; the decision panel (lane, every reason in words and code, family, goods,
excise, cash, rule set); the counter's actions (divert, dual-authorised clearance, oral declaration, PIBK
hand-off), the red-lane inspection (findings, excise count, referrals, cash procedure, destruction,
reassessment, payment, release) and the documents; and the queue of the day by flight and lane.

Keys: the scan field takes what a wedge reader types, so what the screen offers while it has the focus uses Ctrl
keys (Ctrl+T queue and back, Ctrl+N oral declaration; F-keys belong to the sections); the case's action letters
work when the decision panel has the focus (after a scan, with Tab or Escape) and are listed only then. A wedge
scan that starts while the panel has the focus is caught by its first character (']' of an AIM prefix or 'E' of
ECD, neither bound to an action) and goes to the scan field with the characters queued behind it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Static, TabbedContent, TabPane, Tabs

from screens.base import Modal, SectionScreen, retitle_columns, retitle_tabs
from screens.dialogs import PromptModal, SupervisorConfirmModal
from screens.widgets.form import FormField, FormModal
from screens.widgets.table import DataTable
from screens.widgets.text import cells
from screens.widgets.words import coded, day, word
from workstation.domain.errors import ErrorCode
from workstation.domain.money import rupiah_text
from workstation.errors import InputError
from workstation.i18n import N_

REASON_WORDS = {
    "VALUE_OVER_ALLOWANCE": N_("personal goods above the allowance"),
    "EXCISE_OVER_ALLOWANCE": N_("tobacco or alcohol above the allowance"),
    "QUARANTINE_GOODS": N_("animals, fish, plants or their products"),
    "PROHIBITED_GOODS": N_("prohibited or restricted goods"),
    "CASH_OVER_THRESHOLD": N_("cash or bearer instruments of Rp100 million or more"),
    "NON_PERSONAL_GOODS": N_("goods not for personal use (PIBK)"),
    "RISK_PROFILE": N_("risk profile matched"),
    "RANDOM_SELECTION": N_("random selection"),
    "OFFICER_DIVERSION": N_("diverted to red by the officer"),
}
REFERRAL_WORDS = {
    "QUARANTINE": N_("to the quarantine authority"),
    "ENFORCEMENT": N_("to the enforcement unit (P2)"),
    "CASH_DECLARATION": N_("cash-carrying procedure"),
    "PIBK": N_("settle by PIBK"),
    "EXCISE_DESTRUCTION": N_("destroy the excise goods above the allowance"),
}
# Action letters and their short words, in the order the actions line lists them. Which apply is the e-CD
# workflow table's business (workstation/domain/ecd.py FLOW, through `services.ecd.allowed_actions`).
ACTION_IDS = {
    "divert": "ecd.divert", "clear": "ecd.clear", "finding": "ecd.finding", "excise": "ecd.excise_count",
    "cash": "ecd.cash_procedure", "refer": "ecd.refer", "pibk": "ecd.pibk", "destroy": "ecd.destroy",
    "reassess": "ecd.reassess", "pay": "ecd.pay", "release": "ecd.release", "slip": "ecd.slip",
}
ACTION_KEYS = (
    ("divert", "d", N_("divert")),
    ("clear", "c", N_("clear (supervisor)")),
    ("finding", "f", N_("finding")),
    ("excise", "x", N_("excise count")),
    ("cash", "k", N_("cash")),
    ("refer", "r", N_("refer")),
    ("pibk", "p", N_("PIBK")),
    ("destroy", "m", N_("destroy")),
    ("reassess", "a", N_("reassess")),
    ("pay", "y", N_("payment")),
    ("release", "l", N_("release")),
    ("slip", "s", N_("slip")),
)
KIND_WORDS = {
    "INITIAL": N_("declared"),
    "DIVERSION": N_("diverted"),
    "CLEARANCE": N_("cleared"),
    "REASSESSMENT": N_("reassessed after inspection"),
}
QUEUE_FILTERS = {"all": N_("all lanes"), "red": N_("red lane"), "green": N_("green lane"), "open": N_("open")}
ORAL_GROUPS = ("over_60", "disabled", "hajj_regular", "vvip")
TRAVELLER_TYPES = ("passenger", "crew", "hajj_regular", "hajj_special")
PAYMENT_CHANNELS = ("CASH", "CARD", "BANK", "QRIS")
TABS = {"tab-counter": N_("Counter"), "tab-queue": N_("Queue")}
RESULT_COLUMNS = (N_("Name"), N_("Passport"), N_("Flight"), N_("State"), "e-CD")
QUEUE_COLUMNS = (N_("Flight"), N_("Name"), N_("Lane"), N_("State"), N_("Reasons"))


def option(tr, group: str, code: str) -> str:
    """A choice in a form's list: "CODE — word" (brackets would be read as markup by the list widget)."""
    text = word(tr, group, code)
    return f"{code} — {text}" if text != code else code


def reason_line(tr, code: str) -> str:
    """A lane reason as DOMAIN.md spells it, with its words: "VALUE_OVER_ALLOWANCE — personal goods …"."""
    label = REASON_WORDS.get(code)
    return f"{code} — {tr(label)}" if label else code


def release_blockers(tr, v) -> list[str]:
    """Why release is not possible yet, in the UI language: `EcdView.release_blocker_codes` said in words."""
    from workstation.services.ecd.views import NOT_REASSESSED, REFERRAL_MISSING, UNBILLED, UNPAID

    out = []
    for code, subject in v.release_blocker_codes():
        if code == UNPAID:
            out.append(tr("billing {code} is not paid", code=subject or "-"))
        elif code == UNBILLED:
            out.append(tr("{amount} assessed: reassess and bill before release", amount=rupiah_text(subject)))
        elif code == REFERRAL_MISSING:
            out.append(tr("{code} not recorded", code=subject))
        elif code == NOT_REASSESSED:
            out.append(tr("the inspection is not reassessed"))
        else:  # a blocker added to the view and not worded here yet: its code, never nothing
            out.append(code)
    return out


WEDGE_STARTS = ("]", "E")  # first character of any e-CD scan a wedge reader types


class DocumentsListModal(Modal):
    """The documents of the case; Enter opens one (preview, print again, receipt)."""

    DEFAULT_CSS = """
    DocumentsListModal { align: center middle; }
    DocumentsListModal > Vertical { width: 70; max-width: 100%; height: auto; max-height: 100%;
                                    border: round $accent; background: $surface; }
    DocumentsListModal #ecd-dochint { color: $text-muted; }
    """  # the list's height is in passenger.tcss: app.tcss (DataTable 1fr) outranks DEFAULT_CSS
    BINDINGS = [Binding("escape,f3", "close", N_("Close"), id="ecddocs.close", key_display="Esc/F3")]

    def __init__(self, documents) -> None:
        super().__init__()
        self.documents = documents

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.tr("Documents"), style="bold"))
            yield DataTable(id="ecd-doclist", cursor_type="row")
            yield Static(Text(self.tr("Enter: open · Esc/F3: close")), id="ecd-dochint")

    def on_mount(self) -> None:
        t = self.query_one(DataTable)
        t.add_columns(self.tr("Number"), self.tr("Kind of document"))
        for d in self.documents:
            t.add_row(*cells(d.number, d.doc_type), key=d.number)
        t.move_cursor(row=max(0, t.row_count - 1))
        t.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        from screens.documents import DocumentModal

        self.app.push_screen(DocumentModal(str(event.row_key.value)))

    def action_close(self) -> None:
        self.dismiss(None)


# ---------------------------------------------------------------------------------------------------------
class CounterScreen(SectionScreen):
    TITLE_TEXT = N_("Passenger counter")
    CSS_PATH = "passenger.tcss"
    BINDINGS = [
        # Shown while the scan field has the focus: Ctrl keys only (a letter would type into it).
        Binding("ctrl+t", "open_queue", N_("Queue"), id="counter.queue"),
        Binding("ctrl+t", "back_to_counter", N_("Counter"), id="counter.back"),  # the same key, on the queue tab
        Binding("ctrl+n", "oral", N_("Oral declaration"), id="counter.oral"),
        Binding("slash", "focus_scan", N_("Scan / search"), id="counter.scan"),  # not while a field has focus
        Binding("escape", "focus_panel", N_("Decision"), id="counter.panel", show=False),
        Binding("d", "act('divert')", N_("Divert to red"), id="counter.divert", show=False),
        Binding("c", "act('clear')", N_("Clear to green"), id="counter.clear", show=False),
        Binding("f", "act('finding')", N_("Record finding"), id="counter.finding", show=False),
        Binding("x", "act('excise')", N_("Excise count"), id="counter.excise", show=False),
        Binding("k", "act('cash')", N_("Cash procedure"), id="counter.cash", show=False),
        Binding("r", "act('refer')", N_("Refer"), id="counter.refer", show=False),
        Binding("p", "act('pibk')", N_("PIBK hand-off"), id="counter.pibk", show=False),
        Binding("m", "act('destroy')", N_("Destruction"), id="counter.destroy", show=False),
        Binding("a", "act('reassess')", N_("Reassess"), id="counter.reassess", show=False),
        Binding("y", "act('pay')", N_("Payment"), id="counter.pay", show=False),
        Binding("l", "act('release')", N_("Release"), id="counter.release", show=False),
        Binding("s", "act('slip')", N_("Decision slip"), id="counter.slip", show=False),
        Binding("v", "documents", N_("Documents"), id="counter.documents", show=False),  # in the actions line
        Binding("t", "print_receipt", N_("Print receipt"), id="counter.receipt", show=False),
        Binding("1", "queue_filter('all')", N_("All"), id="counter.queue_all", show=False),
        Binding("2", "queue_filter('red')", N_("Red"), id="counter.queue_red", show=False),
        Binding("3", "queue_filter('green')", N_("Green"), id="counter.queue_green", show=False),
        Binding("4", "queue_filter('open')", N_("Open"), id="counter.queue_open", show=False),
        Binding("g", "queue_flight", N_("Flight"), id="counter.queue_flight", show=False),
        Binding("f5", "demo_scan", N_("Demo scan"), id="counter.demo_scan"),
    ]

    def __init__(self, section=None) -> None:
        super().__init__()
        self.view = None  # the EcdView on the panel
        self.allowed: frozenset[str] = frozenset()  # the workflow's action ids the user may take on it
        self.queue_lane: str = "all"
        self.queue_flight: str = ""
        self._demo_index = 0
        self.shown_callbacks: list[Callable[[Any], None]] = []  # tests and bench/ecd.py: after a decision paints

    # -- layout -------------------------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        tr = self.tr
        with TabbedContent(id="ecd-tabs"):
            with TabPane(tr(TABS["tab-counter"]), id="tab-counter"):
                yield Input(id="ecd-scan", compact=True, max_length=8192, select_on_focus=False)
                yield DataTable(id="ecd-results", cursor_type="row", zebra_stripes=True)
                with VerticalScroll(id="ecd-panel", can_focus=True):
                    yield Static(id="ecd-decision")
                yield Static(id="ecd-actions")
            with TabPane(tr(TABS["tab-queue"]), id="tab-queue"):
                with Horizontal(id="ecd-qbar"):
                    yield Static(id="ecd-qcounts")
                    yield Input(id="ecd-qsearch", compact=True, max_length=100)
                yield DataTable(id="ecd-queue", cursor_type="row", zebra_stripes=True)
                yield Static(id="ecd-qdetail")
                yield Static(id="ecd-qhint")

    def on_mount(self) -> None:
        tr = self.tr
        self._placeholders()
        self.query_one("#ecd-results", DataTable).add_columns(*(tr(c) for c in RESULT_COLUMNS))
        self.query_one("#ecd-results", DataTable).display = False
        self.query_one("#ecd-queue", DataTable).add_columns(*(tr(c) for c in QUEUE_COLUMNS))
        self.query_one("#ecd-decision", Static).update(Text(tr("Scan the passenger's e-CD code.")))
        self._queue_data = None  # the last queue shown: re-rendered on a language switch
        # Tab cycles between the fields and lists of a pane, not through the tab strip (Ctrl+T switches panes).
        self.query_one("#ecd-tabs", TabbedContent).query_one(Tabs).can_focus = False
        self._show_actions()
        self.query_one("#ecd-scan", Input).focus()

    def _placeholders(self) -> None:
        tr = self.tr
        self.query_one("#ecd-scan", Input).placeholder = tr("scan e-CD, or type passport / name / flight + Enter")
        self.query_one("#ecd-qsearch", Input).placeholder = tr("search: name, passport, flight, e-CD")

    def refresh_language(self) -> None:
        """F12: tabs, columns, placeholders, the decision, the hint lines and the queue in the new language; the
        scan field, the case and the queue's filters stay."""
        super().refresh_language()
        tr = self.tr
        retitle_tabs(self.query_one("#ecd-tabs", TabbedContent), TABS, tr)
        retitle_columns(self.query_one("#ecd-results", DataTable), RESULT_COLUMNS, tr)
        retitle_columns(self.query_one("#ecd-queue", DataTable), QUEUE_COLUMNS, tr)
        self._placeholders()
        if self.view is not None:
            self._render_decision(self.view)
        else:
            self.query_one("#ecd-decision", Static).update(Text(tr("Scan the passenger's e-CD code.")))
        self._show_actions()
        if self._queue_data is not None:
            self._queue_shown(self._queue_data)

    # -- which keys apply ---------------------------------------------------------------------------------
    def _tab(self) -> str:
        return self.query_one("#ecd-tabs", TabbedContent).active or "tab-counter"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.is_mounted:
            return True
        try:
            tab = self._tab()
        except Exception:  # during compose
            return True
        if action == "act":
            return tab == "tab-counter" and self.view is not None and self._may(str(parameters[0]))
        if action in ("documents", "print_receipt"):
            return tab == "tab-counter" and self.view is not None and bool(self.view.documents)
        if action in ("queue_filter", "queue_flight"):
            return tab == "tab-queue"
        if action == "open_queue":
            return tab == "tab-counter"
        if action == "back_to_counter":
            return tab == "tab-queue"
        if action == "focus_scan":  # "/" would type into a field: offered only when none has the focus
            return not isinstance(self.focused, Input)
        if action == "demo_scan":
            return bool(self.wapp.settings.demo)
        return True

    def key_of(self, binding_id: str) -> str:
        """The key shown for a binding of this screen: the user's keymap first (config `keymap`), else ours."""
        keymap = getattr(self.app, "_keymap", None) or {}
        for binding in self.BINDINGS:
            if isinstance(binding, Binding) and binding.id == binding_id:
                keys = keymap.get(binding_id) or binding.key
                return self.app.get_key_display(Binding(keys.split(",")[0].strip(), binding.action))
        return ""

    def _show_actions(self) -> None:
        """The case's action keys, under the decision. Letters work only while no field has the focus, so with
        the focus in the scan field the line says how to reach them instead."""
        v = self.view
        tr = self.tr
        parts: list[str] = []
        if v is not None:
            if isinstance(self.focused, Input):
                parts = [tr("Tab: to the decision and its keys")]
            else:
                parts = [f"{self.key_of('counter.' + name)} {tr(label)}" for name, _key, label in ACTION_KEYS
                         if self._may(name)]
                if v.documents:
                    parts.append(f"{self.key_of('counter.documents')} " + tr("documents"))
                parts.append(f"{self.key_of('counter.scan')} " + tr("next scan"))
        self.query_one("#ecd-actions", Static).update(Text(" · ".join(parts)))
        self._queue_hint()
        self.refresh_bindings()

    def _queue_hint(self) -> None:
        tr = self.tr
        if isinstance(self.focused, Input):
            text = tr("Enter: search · Tab: to the list")
        else:
            keys = [(f"counter.queue_{k}", tr(w)) for k, w in (("all", N_("all")), ("red", N_("red")),
                                                                 ("green", N_("green")), ("open", N_("open")))]
            keys.append(("counter.queue_flight", tr("flight")))
            text = " · ".join([tr("Enter: open")] + [f"{self.key_of(i)} {w}" for i, w in keys]
                              + [tr("Tab: search")])
        self.query_one("#ecd-qhint", Static).update(Text(text))

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._show_actions()  # the action letters are listed only while no field has the focus

    # -- scanning -----------------------------------------------------------------------------------------
    def action_focus_scan(self) -> None:
        self.query_one("#ecd-tabs", TabbedContent).active = "tab-counter"
        self.query_one("#ecd-scan", Input).focus()

    def action_focus_panel(self) -> None:
        if self._tab() == "tab-counter":
            self.query_one("#ecd-panel").focus()

    def on_key(self, event: events.Key) -> None:
        field = self.query_one("#ecd-scan", Input)
        if self.focused is field and event.character and event.character.isprintable():
            # An Input keeps the characters typed into it: a printable key reaching the screen while the scan
            # field has the focus was queued to the panel before a wedge scan moved the focus (a reader types
            # faster than the focus moves). It belongs to the scan.
            field.insert_text_at_cursor(event.character)
            event.stop()
            event.prevent_default()
            return
        # A wedge scan starting while the focus is not in a field: move it to the scan field before its next key.
        if isinstance(self.focused, Input) or event.character not in WEDGE_STARTS:
            return
        self.query_one("#ecd-tabs", TabbedContent).active = "tab-counter"
        field = self.query_one("#ecd-scan", Input)
        field.value = event.character
        self.set_focus(field)
        field.cursor_position = len(field.value)
        event.stop()
        event.prevent_default()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "ecd-scan":
            text = event.value
            event.input.value = ""
            self.submit_scan(text)
        elif event.input.id == "ecd-qsearch":
            self.load_queue()
            self.query_one("#ecd-queue", DataTable).focus()

    def submit_scan(self, text: str, *, started: float | None = None) -> None:
        """What the scan field or a reader sent: an e-CD code is scanned, anything else is a search."""
        stripped = text.strip()
        if not stripped:
            return
        body = stripped[3:] if stripped.startswith("]") else stripped
        if body.upper().startswith(("ECD:", "ECD1:")) or stripped.startswith("]"):
            ecd, actor = self.services.ecd, self.actor
            self.background(lambda: ecd.scan(actor, text), lambda v: self._loaded(v, started), self._scan_failed,
                            group="ecd-scan")
        else:
            ecd = self.services.ecd
            self.background(lambda: ecd.search(stripped), self._search_done, self._scan_failed, group="ecd-scan")

    def on_device_event_message(self, message) -> None:
        from devices.events import BarcodeScanned, MrzRead

        event = message.event
        if isinstance(event, BarcodeScanned):
            self.query_one("#ecd-tabs", TabbedContent).active = "tab-counter"
            self.submit_scan(event.text, started=time.perf_counter())
        elif isinstance(event, MrzRead):
            number = (event.detail or {}).get("document_number")
            if event.valid and number:
                self.query_one("#ecd-tabs", TabbedContent).active = "tab-counter"
                self.submit_scan(str(number))
            else:
                self.notify(self.tr("Passport MRZ not readable; scan again."), severity="warning")

    def _scan_failed(self, exc: Exception) -> None:
        self.show_error(exc)
        self.app.bell()
        self.query_one("#ecd-scan", Input).focus()

    def _search_done(self, rows) -> None:
        table = self.query_one("#ecd-results", DataTable)
        table.clear()
        if not rows:
            table.display = False
            self.notify(self.tr("Nothing found."), severity="warning")
            self.query_one("#ecd-scan", Input).focus()
            return
        if len(rows) == 1:
            table.display = False
            self.open_case(rows[0].case_id)
            return
        for r in rows:
            table.add_row(*cells(r.name[:18], r.passport, r.flight or "-", r.state, r.ecd_id), key=str(r.case_id))
        table.display = True
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id in ("ecd-results", "ecd-queue") and event.row_key.value:
            self.query_one("#ecd-results", DataTable).display = False
            self.query_one("#ecd-tabs", TabbedContent).active = "tab-counter"
            self.open_case(uuid.UUID(str(event.row_key.value)))

    def open_case(self, case_id: uuid.UUID) -> None:
        ecd = self.services.ecd
        self.background(lambda: ecd.get(case_id), self._loaded, group="ecd-scan")

    def _loaded(self, view, started: float | None = None) -> None:
        self.query_one("#ecd-results", DataTable).display = False
        self.view = view
        self.allowed = self.services.ecd.allowed_actions(self.actor, view)
        self._render_decision(view)
        self._show_actions()
        self.query_one("#ecd-panel").focus()
        if view.created:
            self.notify(self.tr("e-CD {id} stored.", id=view.ecd_id))
        if self.shown_callbacks:
            callbacks = list(self.shown_callbacks)
            self.call_after_refresh(lambda: [cb(view) for cb in callbacks])

    # -- the decision panel -------------------------------------------------------------------------------
    def _render_decision(self, v) -> None:
        self.query_one("#ecd-decision", Static).update(self.decision_text(v))

    def decision_text(self, v) -> Text:
        tr = self.tr
        doc = v.document
        d = v.decision
        out = Text()
        lane = v.lane
        banner = tr("RED LANE") if lane == "red" else tr("GREEN LANE")
        out.append(f" {banner} ", style="bold white on red" if lane == "red" else "bold black on green")
        out.append(f"  {v.ecd_id}  ", style="bold")
        out.append(coded(tr, "ecd_state", v.state) + "\n")
        dec = doc.declarant
        arrival = doc.arrival
        who = (f"{dec.name} · {dec.passport} {dec.nationality} · {day(dec.birth_date)} · "
               f"{word(tr, 'traveller', dec.traveller_type.value)}")
        out.append(who + "\n")
        out.append(f"{arrival.flight or '-'} {arrival.from_port or ''}→{arrival.port} {day(arrival.date)}")
        if v.oral_group:
            out.append("  " + tr("oral declaration: {group}", group=coded(tr, "oral_group", v.oral_group)))
        out.append("\n")
        out.append(tr("Reasons") + ":", style="bold")
        if not d.reasons and not v.case.reasons:
            out.append(" -  " + tr("nothing to declare above the allowances") + "\n")
        else:
            out.append("\n")
            for code in sorted({*d.reasons, *v.case.reasons}):
                out.append(f"  {code}", style="bold red" if lane == "red" else "bold")
                if code in REASON_WORDS:
                    out.append(f" — {tr(REASON_WORDS[code])}")
                if code == "OFFICER_DIVERSION" and v.diversion_note:
                    out.append(f": “{v.diversion_note}”")
                out.append("\n")
        if v.cleared is not None:
            c = v.cleared
            out.append(tr("Cleared to green by {who}, confirmed by {sup}: {reason}", who=c.decided_by or "-",
                          sup=c.confirmed_by or "-", reason=c.note or "") + "\n", style="bold")
        if d.referrals:
            out.append(tr("Referrals") + ": ", style="bold")
            out.append("; ".join(f"{r} ({tr(REFERRAL_WORDS[r])})" if r in REFERRAL_WORDS else r
                                 for r in d.referrals) + "\n")
        out.append(tr("Rule set") + ": ", style="bold")
        kind = tr(KIND_WORDS.get(d.kind, d.kind))
        out.append(f"{d.ruleset} (sha256 {d.ruleset_sha256[:12]}) · {kind}\n")
        if doc.family_members:
            out.append(tr("Family") + f" ({doc.persons}): ", style="bold")
            out.append("; ".join(f"{m.name} {m.passport} {day(m.birth_date)}" for m in doc.family_members)
                       + "\n")
        findings = {f.item_no: f for f in v.findings}
        out.append(tr("Goods") + ":", style="bold")
        if not doc.goods and not findings:
            out.append(" -\n")
        else:
            out.append("\n")
        for i, g in enumerate(doc.goods, 1):
            use = tr("personal") if g.personal_use else tr("NOT personal")
            out.append(f"  {i} {g.description[:28]} · HS {g.hs_code or '-'} · {g.quantity} {g.unit} · "
                       f"{g.value} {g.currency} · {use}")
            f = findings.get(i)
            if f is not None:
                out.append(f"  → {coded(tr, 'ecd_finding', f.status)} {f.value} {f.currency} HS {f.hs_code or '-'}",
                           style="bold")
            out.append("\n")
        for no, f in findings.items():
            if no > len(doc.goods):
                out.append(f"  {no} {f.description[:28]} · HS {f.hs_code or '-'} · {f.value} {f.currency} → "
                           f"{coded(tr, 'ecd_finding', f.status)}\n", style="bold")
        ex = doc.excise
        counted = v.excise_count
        out.append(tr("Excise") + ": ", style="bold")
        out.append(tr("cigarettes {a} · cigars {b} · sliced tobacco {c} g · alcohol {d} L", a=ex.cigarettes,
                      b=ex.cigars, c=ex.sliced_tobacco_g, d=ex.alcohol_l))
        if counted is not None:
            out.append("  → " + tr("counted {a}/{b}/{c} g/{d} L", a=counted.cigarettes, b=counted.cigars,
                                    c=counted.sliced_tobacco_g, d=counted.alcohol_l), style="bold")
        excess = d.excise_excess
        if d.has_excise_excess:
            out.append("  " + tr("excess {a}/{b}/{c} g/{d} L", a=excess["cigarettes"], b=excess["cigars"],
                                 c=excess["sliced_tobacco_g"], d=excess["alcohol_l"]), style="bold red")
        out.append("\n")
        out.append(tr("Cash") + ": ", style="bold")
        cash = "; ".join(f"{c.currency} {c.amount}" + (" (BI)" if c.bearer_instrument else "") for c in doc.cash
                         if c.amount) or "-"
        cash_idr = Decimal(d.record.get("cash_idr", "0"))
        out.append(cash + (f" ≈ {rupiah_text(int(cash_idr))}" if cash_idr else "") + "\n")
        a = d.assessment
        out.append(tr("Assessment") + ": ", style="bold")
        out.append(tr("goods USD {g} − allowance {al} = taxable {t}", g=a["goods_usd"], al=a["allowance_usd"],
                      t=a["taxable_usd"]) + "\n")
        if a["total_idr"]:
            levies = " · ".join(f"{label} {rupiah_text(int(a[key]))}" for label, key in (
                ("CV", "customs_value_idr"), ("BM", "import_duty_idr"), ("PPN", "vat_idr"),
                ("PPnBM", "luxury_tax_idr"), ("PPh", "income_tax_idr")))
            out.append(f"  {levies} · ")
            out.append(tr("total") + f" {rupiah_text(int(a['total_idr']))}\n", style="bold")
        if v.billing is not None:
            out.append(tr("Billing") + ": ", style="bold")
            out.append(f"{v.billing.code} · {rupiah_text(v.billing.amount_idr)} · {v.billing.document_number}")
            if v.payment is not None:
                out.append("  " + tr("paid") + f" {v.payment.receipt_number} "
                           f"({coded(tr, 'payment_channel', v.payment.channel)})", style="bold")
            out.append("\n")
        handed, fine = tr("Handed over"), tr("fine")
        for r in v.referrals:
            extra = ""
            if r.cash_idr is not None:
                declared = tr("declared") if r.cash_declared else tr("not declared")
                extra = f" · {rupiah_text(r.cash_idr)} · {declared} · {fine} {rupiah_text(r.fine_idr or 0)}"
                if r.cash_declared_idr and r.cash_excess_idr:  # counted above a declaration: the discrepancy
                    extra += (" · " + tr("declared") + f" {rupiah_text(r.cash_declared_idr)}, "
                              + tr("not declared") + f" {rupiah_text(r.cash_excess_idr)}")
            what = f"{r.code} ({tr(REFERRAL_WORDS[r.code])})" if r.code in REFERRAL_WORDS else r.code
            out.append(f"{handed}: {what} → {r.receiver_name} ({r.receiver}) · {r.document_number}{extra}\n")
        if v.state in ("GREEN", "ASSESSED", "PAID"):
            blockers = release_blockers(tr, v)
            if blockers:
                out.append(tr("Not releasable yet") + ": " + "; ".join(blockers) + "\n", style="bold red")
        if v.documents:
            out.append(tr("Documents") + ": ", style="bold")
            out.append(", ".join(doc_.number for doc_ in v.documents) + "\n")
        return out

    # -- actions ------------------------------------------------------------------------------------------
    def _done(self, view) -> None:
        self._loaded(view)
        self.notify(self.tr("{id}: {state}", id=view.ecd_id, state=coded(self.tr, "ecd_state", view.state)))

    def _failed(self, exc: Exception) -> None:
        self.show_error(exc)
        if self.view is not None:
            self.open_case(self.view.case.id)  # e.g. a conflict: show what is there now

    def _run(self, fn: Callable[[], Any]) -> None:
        self.background(fn, self._done, self._failed, group="ecd-act")

    def _form(self, title: str, fields: list[FormField], work: Callable[[dict[str, str]], Any],
              help_text: str = "") -> None:
        def closed(view) -> None:
            if view is not None:
                self._done(view)

        self.app.push_screen(FormModal(title, fields, work, help_text=help_text), closed)

    def action_act(self, name: str) -> None:
        v = self.view
        if v is None or not self._may(name):
            return
        getattr(self, f"_do_{name}")(v)

    def _may(self, name: str) -> bool:
        """Whether the action behind key word `name` (divert, clear, …) is allowed on the case on the panel."""
        return ACTION_IDS.get(name) in self.allowed

    def _do_divert(self, v) -> None:
        ecd, actor = self.services.ecd, self.actor

        def with_reason(reason: str | None) -> None:
            if reason:
                self._run(lambda: ecd.divert(actor, v.case.id, v.version, reason))

        self.app.push_screen(PromptModal(self.tr("Divert to the red lane"), self.tr("Reason (required)")),
                             with_reason)

    def _do_clear(self, v) -> None:
        ecd, actor = self.services.ecd, self.actor

        def with_reason(reason: str | None) -> None:
            if not reason:
                return

            def confirmed(supervisor) -> None:
                if supervisor == SupervisorConfirmModal.INBOX:  # a supervisor elsewhere decides (issue #15)
                    self.call_service(self.services.approvals.request_clearance, actor, v.case.id, v.version,
                                      reason, group="counter-inbox", exclusive=False,
                                      on_result=lambda _r: self.notify(self.tr(
                                          "Request sent; a supervisor decides it in the approvals inbox (Ctrl+O).")))
                elif supervisor is not None:
                    self._run(lambda: ecd.clear_to_green(actor, v.case.id, v.version, reason, supervisor))

            what = self.tr("Clear {id} to the green lane: {reason}", id=v.ecd_id, reason=reason)
            self.app.push_screen(SupervisorConfirmModal("ecd.clear", what, inbox=True), confirmed)

        self.app.push_screen(PromptModal(self.tr("Clear to the green lane"), self.tr("Reason (required)")),
                             with_reason)

    def _do_finding(self, v) -> None:
        ecd, actor = self.services.ecd, self.actor
        found = {f.item_no for f in v.findings}
        nxt = next((i for i in range(1, len(v.document.goods) + 1) if i not in found), None)
        tr = self.tr

        def work(vals: dict[str, str]):
            item = vals["item"].strip()
            if item and not item.isdigit():
                raise InputError("a line number, or empty for undeclared goods", field="item",
                                 code=ErrorCode.INVALID_VALUE)
            status = vals["status"]
            personal = vals["personal_use"].strip().upper()
            if personal not in ("", "Y", "N"):
                raise InputError("Y or N", field="personal_use", code=ErrorCode.NOT_ONE_OF, params={"options": "Y, N"})
            return ecd.record_finding(actor, v.case.id, v.version, item_no=int(item) if item else None,
                                      status=status, description=vals["description"] or None,
                                      quantity=vals["quantity"] or None, unit=vals["unit"] or None,
                                      hs_code=vals["hs_code"] or None, value=vals["value"] or None,
                                      currency=vals["currency"] or None,
                                      personal_use=None if not personal else personal == "Y", note=vals["note"])

        statuses = [(option(tr, "ecd_finding", c), c) for c in ("FOUND", "NOT_FOUND", "UNDECLARED")]
        as_declared = N_("as declared")
        fields = [
            FormField("item", N_("Line (empty = new)"), str(nxt) if nxt else "", restrict=r"[0-9]*"),
            FormField("status", N_("Status"), "FOUND" if nxt else "UNDECLARED", kind="select", options=statuses),
            FormField("description", N_("Description"), placeholder=as_declared),
            FormField("quantity", N_("Quantity"), placeholder=as_declared),
            FormField("unit", N_("Unit"), placeholder=as_declared),
            FormField("hs_code", N_("HS code"), placeholder=as_declared),
            FormField("value", N_("Value"), placeholder=as_declared),
            FormField("currency", N_("Currency"), placeholder=as_declared),
            FormField("personal_use", N_("Personal use"), "", kind="select",
                      options=[(N_("as declared"), ""), (N_("yes"), "Y"), (N_("no"), "N")]),
            FormField("note", N_("Note")),
        ]
        self._form(tr("Inspection finding"), fields, work,
                   tr("A line of the e-CD as found, or an empty line for undeclared goods. Empty fields keep the "
                      "declared value."))

    def _do_excise(self, v) -> None:
        ecd, actor = self.services.ecd, self.actor
        ex = v.excise_count or v.document.excise
        tr = self.tr
        fields = [FormField("cigarettes", N_("Cigarettes"), str(ex.cigarettes)),
                  FormField("cigars", N_("Cigars"), str(ex.cigars)),
                  FormField("sliced_tobacco_g", N_("Sliced tobacco (g)"), str(ex.sliced_tobacco_g)),
                  FormField("alcohol_l", N_("Alcohol (litres)"), format(ex.alcohol_l, "f"))]
        self._form(tr("Excise goods counted"), fields,
                   lambda vals: ecd.record_excise_count(actor, v.case.id, v.version, **vals))

    def _do_cash(self, v) -> None:
        ecd, actor = self.services.ecd, self.actor
        tr = self.tr
        declared = ", ".join(f"{c.currency} {c.amount}" for c in v.document.cash if c.amount)

        def work(vals: dict[str, str]):
            return ecd.cash_procedure(actor, v.case.id, v.version, parse_cash(vals["cash"]), receiver=vals["receiver"],
                                      receiver_name=vals["receiver_name"], note=vals["note"])

        fields = [FormField("cash", N_("Counted"), declared, example="USD 8000, IDR 2000000"),
                  FormField("receiver", N_("Handed to (unit)")),
                  FormField("receiver_name", N_("Receiver's name")),
                  FormField("note", N_("Note"))]
        self._form(tr("Cash-carrying procedure"), fields, work)

    def _do_refer(self, v) -> None:
        ecd, actor = self.services.ecd, self.actor
        tr = self.tr
        code = "QUARANTINE" if "QUARANTINE" in v.decision.referrals else "ENFORCEMENT"

        def work(vals: dict[str, str]):
            return ecd.refer(actor, v.case.id, v.version, vals["code"], receiver=vals["receiver"],
                             receiver_name=vals["receiver_name"],
                             items=[(vals["description"], vals["quantity"], vals["note"])])

        codes = [(f"{c} — {tr(REFERRAL_WORDS[c])}", c) for c in ("QUARANTINE", "ENFORCEMENT")]
        fields = [FormField("code", N_("Referral"), code, kind="select", options=codes),
                  FormField("receiver", N_("Handed to (unit)")),
                  FormField("receiver_name", N_("Receiver's name")),
                  FormField("description", N_("Goods")),
                  FormField("quantity", N_("Quantity")),
                  FormField("note", N_("Note"))]
        self._form(tr("Referral hand-over"), fields, work)

    def _do_pibk(self, v) -> None:
        ecd, actor = self.services.ecd, self.actor
        tr = self.tr
        fields = [FormField("receiver", N_("Handed to (unit)"), "Seksi PIBK"),
                  FormField("receiver_name", N_("Receiver's name")),
                  FormField("note", N_("Note"))]
        self._form(tr("PIBK hand-off (goods not for personal use)"), fields,
                   lambda vals: ecd.hand_off_pibk(actor, v.case.id, v.version, **vals))

    def _do_destroy(self, v) -> None:
        ecd, actor = self.services.ecd, self.actor
        tr = self.tr
        fields = [FormField("witnesses", N_("Witnesses")), FormField("note", N_("Note"))]
        self._form(tr("Destruction of excise goods above the allowance"), fields,
                   lambda vals: ecd.destroy_excise(actor, v.case.id, v.version, **vals))

    def _do_reassess(self, v) -> None:
        ecd, actor = self.services.ecd, self.actor
        self._run(lambda: ecd.reassess(actor, v.case.id, v.version))

    def _do_pay(self, v) -> None:
        ecd, actor = self.services.ecd, self.actor
        tr = self.tr
        # Prefilled with what the case knows, as the examiner's SPTNP payment form: the billing and its amount
        # (the officer checks them against the slip); the receipt number is what the officer types.
        channels = [(option(tr, "payment_channel", c), c) for c in PAYMENT_CHANNELS]
        fields = [FormField("billing_code", N_("Billing code"), v.billing.code if v.billing else ""),
                  FormField("receipt_number", N_("Receipt no. (NTPN)"), example="NTPN1234567890AB"),
                  FormField("amount_idr", N_("Amount paid (Rp)"), str(v.billing.amount_idr) if v.billing else "",
                            restrict=r"[0-9.]*"),
                  FormField("channel", N_("Channel"), "CASH", kind="select", options=channels)]
        self._form(tr("Payment"), fields, lambda vals: ecd.record_payment(actor, v.case.id, v.version, **vals))

    def _do_release(self, v) -> None:
        ecd, actor = self.services.ecd, self.actor

        def with_note(note: str | None) -> None:
            if note is not None:
                self._run(lambda: ecd.release(actor, v.case.id, v.version, note))

        self.app.push_screen(PromptModal(self.tr("Approve release"), self.tr("Note (optional), Enter to approve"),
                                         required=False), with_note)

    def _do_slip(self, v) -> None:
        ecd, actor = self.services.ecd, self.actor
        self._run(lambda: ecd.issue_slip(actor, v.case.id, v.version))

    def action_oral(self) -> None:
        from workstation.services.ecd import OralForm

        ecd, actor = self.services.ecd, self.actor
        tr = self.tr

        def work(vals: dict[str, Any]):
            goods = [(vals["goods"], vals["value"], vals["currency"] or "USD", True)] if vals["goods"].strip() else []
            return ecd.record_oral(actor, OralForm(
                group=vals["group"], name=vals["name"], passport=vals["passport"],
                nationality=vals["nationality"], birth_date=vals["birth_date"] or "", port=vals["port"],
                flight=vals["flight"], traveller_type=vals["traveller_type"] or "passenger", goods=goods,
                cash=parse_cash(vals["cash"]) if vals["cash"].strip() else ()))

        groups = [(word(tr, "oral_group", g), g) for g in ORAL_GROUPS]
        types = [(word(tr, "traveller", t), t) for t in TRAVELLER_TYPES]
        fields = [FormField("group", N_("Group"), "over_60", kind="select", options=groups),
                  FormField("traveller_type", N_("Traveller type"), "passenger", kind="select", options=types),
                  FormField("name", N_("Name")), FormField("passport", N_("Passport")),
                  FormField("nationality", N_("Nationality"), "IDN"),
                  FormField("birth_date", N_("Birth date"), kind="date"),
                  FormField("flight", N_("Flight")), FormField("port", N_("Arrival port"), "CGK"),
                  FormField("goods", N_("Goods (description)")), FormField("value", N_("Value")),
                  FormField("currency", N_("Currency"), "USD"),
                  FormField("cash", N_("Cash"), example="USD 8000, IDR 2000000")]
        self._form(tr("Oral declaration"), fields, work)

    def action_documents(self) -> None:
        if self.view is not None and self.view.documents:
            self.app.push_screen(DocumentsListModal(self.view.documents))

    def action_print_receipt(self) -> None:
        v = self.view
        if v is None:
            return
        receipts = [d for d in v.documents if d.doc_type in ("ECD-KWT", "ECD-BILL", "ECD-SLIP")]
        if not receipts:
            self.notify(self.tr("No receipt document on this case."), severity="warning")
            return
        docs, actor, number = self.services.documents, self.actor, receipts[-1].number
        self.background(lambda: docs.print_document(actor, number, receipt=True),
                        lambda r: self.notify(self.tr("Receipt {number} printed.", number=number)), group="ecd-print")

    # -- queue --------------------------------------------------------------------------------------------
    def action_open_queue(self) -> None:
        """The queue of the day, its list focused so arrows and Enter work at once."""
        self.query_one("#ecd-tabs", TabbedContent).active = "tab-queue"  # TabActivated loads and focuses it

    def action_back_to_counter(self) -> None:
        self.query_one("#ecd-tabs", TabbedContent).active = "tab-counter"

    def action_toggle_tab(self) -> None:  # the key's action before #12 (callers outside keymaps)
        if self._tab() == "tab-queue":
            self.action_back_to_counter()
        else:
            self.action_open_queue()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "tab-queue":
            self.load_queue()
            self.query_one("#ecd-queue", DataTable).focus()
        elif not isinstance(self.focused, Input) or self.focused.id != "ecd-scan":
            self.query_one("#ecd-panel" if self.view else "#ecd-scan").focus()
        self.refresh_bindings()

    def action_queue_filter(self, which: str) -> None:
        self.queue_lane = which
        self.load_queue()

    def action_queue_flight(self) -> None:
        def chosen(flight: str | None) -> None:
            if flight is not None:
                self.queue_flight = flight.strip().upper()
                self.load_queue()

        self.app.push_screen(PromptModal(self.tr("Flight"), self.tr("Flight number (empty: all flights)"),
                                         required=False, value=self.queue_flight), chosen)

    def load_queue(self) -> None:
        ecd = self.services.ecd
        lane = self.queue_lane if self.queue_lane in ("red", "green") else None
        flight, search = self.queue_flight, self.query_one("#ecd-qsearch", Input).value
        open_only = self.queue_lane == "open"

        def work():
            data = ecd.queue(lane=lane, flight=flight or None, search=search)
            if open_only:
                rows = tuple(r for r in data.rows if r.state != "RELEASED")
                return data, rows
            return data, data.rows

        self.background(work, self._queue_shown, group="ecd-queue")

    def _queue_shown(self, result) -> None:
        self._queue_data = result
        data, rows = result
        tr = self.tr
        table = self.query_one("#ecd-queue", DataTable)
        row_before = table.cursor_row
        table.clear()
        self._queue_rows = {str(r.case_id): r for r in rows}
        for r in rows:
            # the narrow column: the first reason's full code (never abbreviated), "+n" for more; the line under
            # the list gives every reason of the highlighted row with its words
            reasons = (r.reasons[0] + (f" +{len(r.reasons) - 1}" if len(r.reasons) > 1 else "")) if r.reasons else "-"
            table.add_row(*cells(r.flight or "-", r.name[:18], word(tr, "lane_short", r.lane), r.state, reasons),
                          key=str(r.case_id))
        if rows:
            table.move_cursor(row=min(max(row_before, 0), len(rows) - 1))
        self._queue_detail()
        flight = self.queue_flight or tr("all flights")
        counts = tr("{day}: red {red} · green {green} · {flight} · {filter}", day=day(data.day),
                    red=data.lanes.get("red", 0), green=data.lanes.get("green", 0), flight=flight,
                    filter=tr(QUEUE_FILTERS[self.queue_lane]))
        self.query_one("#ecd-qcounts", Static).update(Text(counts))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "ecd-queue":
            self._queue_detail()

    def _queue_detail(self) -> None:
        """The highlighted queue row in full: passport, e-CD, state in words, every reason with its words."""
        tr = self.tr
        table = self.query_one("#ecd-queue", DataTable)
        r = None
        if table.row_count:
            key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
            r = getattr(self, "_queue_rows", {}).get(str(key))
        if r is None:
            self.query_one("#ecd-qdetail", Static).update("")
            return
        head = f"{r.passport} · {r.ecd_id} · {coded(tr, 'ecd_state', r.state)}"
        reasons = "; ".join(reason_line(tr, c) for c in r.reasons)
        self.query_one("#ecd-qdetail", Static).update(Text(head + ("\n" + reasons if reasons else "")))

    # -- demo ---------------------------------------------------------------------------------------------
    def action_demo_scan(self) -> None:
        """Demo only: types a sample `ECD:` code into the scan field and presses Enter, as a wedge reader does."""
        ecd = self.services.ecd
        self.background(ecd.demo_scan_codes, self._demo_type, group="ecd-demo")

    def _demo_type(self, codes: list[str]) -> None:
        if not codes:
            self.notify(self.tr("No stored e-CD to scan."), severity="warning")
            return
        code = codes[self._demo_index % len(codes)]
        self._demo_index += 1
        self.action_focus_scan()
        field = self.query_one("#ecd-scan", Input)
        field.value = code
        field.post_message(Input.Submitted(field, code))  # what Enter after a wedge scan does


def parse_cash(text: str) -> list[tuple[str, str]]:
    """`USD 8000, IDR 2000000` → [("USD", "8000"), ("IDR", "2000000")]; errors name the `cash` field."""
    out = []
    for part in text.replace(";", ",").split(","):
        words = part.split()
        if not words:
            continue
        if len(words) != 2:
            raise InputError("amounts as CUR AMOUNT separated by commas, e.g. USD 8000, IDR 2000000", field="cash",
                             code=ErrorCode.PATTERN, params={"example": "USD 8000, IDR 2000000"})
        out.append((words[0].upper(), words[1]))
    if not out:
        raise InputError("at least one amount, e.g. USD 8000", field="cash", code=ErrorCode.REQUIRED)
    return out
