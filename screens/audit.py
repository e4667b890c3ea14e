"""The audit viewer (issue #15 item 4): filter by user, case reference, document number, action and days
(DD-MM-YYYY, office zone); the entries newest first, a page at a time; Enter shows one entry whole (its payload
as plain text, never markup); the anchors (the chain's head signed with the office key, #9/#11); chain
verification with progress.

Every filter runs in AuditService.search (index-bounded); the screen only parses nothing and shows text."""

from __future__ import annotations

import json
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Label, ProgressBar, Static, TabbedContent, TabPane

from screens.base import Modal, SectionScreen
from screens.widgets.table import DataTable
from screens.widgets.text import assemble, cells, plain
from workstation.i18n import N_

PAGE = 200
ACTION_WIDTH, SUBJECT_WIDTH = 22, 24  # the list's action and subject columns (80 columns in all)
FIELDS = (("user", N_("User"), 10), ("case", N_("Case"), 18), ("document", N_("Document"), 20),
          ("action", N_("Action"), 16), ("from", N_("From"), 11), ("to", N_("To"), 11))  # a date and the cursor


# What an entry is about, when the service names no case, document or user (English source words).
ENTITY_WORDS = {
    "case": N_("Case"), "case:ecd": N_("Case"), "case:pib": N_("Case"), "case:plp": N_("Case"),
    "document": N_("Document"), "user": N_("User"), "session": N_("Session"), "office": N_("Office"),
    "tps": N_("TPS"), "importer": N_("Importer"), "risk_profile": N_("Risk profile"),
    "risk_random_rate": N_("Random rate"), "exchange_rates": N_("File"), "tariff_posts": N_("File"),
    "lartas_rules": N_("File"), "bc11_lines": N_("File"), "unit": N_("Field unit"), "approval": N_("Approval"),
}


def _t(ts: Any, zone: Any, fmt: str = "%d-%m-%Y %H:%M:%S") -> str:
    return ts.astimezone(zone).strftime(fmt) if ts else "-"


def action_text(tr: Any, action: str) -> str:
    """The action as the list shows it: its translated name, or its code when it has none."""
    from workstation.services.audit import action_label

    label = action_label(action)
    return tr(label) if label else action


def subject_text(tr: Any, row: Any, width: int | None = None) -> str:
    """What the entry is about: the case reference, document number or login the service resolved, else the
    kind of thing (translated) and the start of its id."""
    if row.subject:
        text = row.subject if row.entity_type != "user" else f"{tr('User')} {row.subject}"
    else:
        kind = ENTITY_WORDS.get(row.entity_type)
        text = f"{tr(kind) if kind else row.entity_type} {row.entity_id[:12] if width else row.entity_id}"
    if width and len(text) > width:
        text = text[: width - 1] + "…"
    return text


class AuditEntryModal(Modal):
    """One entry whole: who, when, what, the chain fields and the payload, all as plain text."""

    DEFAULT_CSS = """
    AuditEntryModal { align: center middle; }
    AuditEntryModal > Vertical { width: 100%; max-width: 100; height: 90%; border: round $accent;
                                 background: $surface; }
    AuditEntryModal VerticalScroll { height: 1fr; }
    """
    BINDINGS = [Binding("escape,f3,enter,q", "close", N_("Close"), id="audit_entry.close", key_display="Esc/F3")]

    def __init__(self, detail: Any) -> None:
        super().__init__()
        self.detail = detail

    def compose(self) -> ComposeResult:
        d, zone = self.detail, self.wapp.settings.zone
        r = d.row
        from workstation.services.audit import action_label

        label = action_label(r.action)
        try:
            payload = json.dumps(json.loads(r.payload), indent=2, ensure_ascii=False, sort_keys=True)
        except ValueError:
            payload = r.payload
        tr = self.tr
        user, action, obj = tr("User"), tr("Action"), tr("Object")
        session, office, unit = tr("Session"), tr("Office"), tr("Unit")
        lines = [
            f"#{r.seq}  {_t(r.ts, zone)}",
            f"{user}: {r.actor_login}",
            f"{action}: " + (f"{tr(label)} [{r.action}]" if label else r.action),
            f"{obj}: {subject_text(tr, r)}" + (f" ({r.entity_type} {r.entity_id})" if r.subject else ""),
            f"{session}: {d.session_id or '-'}   {office}: {d.office_code or '-'}   {unit}: {d.unit_code or '-'}",
            f"prev_hash: {d.prev_hash}",
            f"row_hash:  {d.row_hash}",
            f"row_mac:   {d.row_mac or '-'}",
            "",
            payload,
        ]
        with Vertical():
            yield Static(plain(self.tr("Audit entry"), "bold"))
            with VerticalScroll(id="entry-scroll"):
                yield Static(plain("\n".join(lines), lines=True), id="entry-text")
            yield Static(plain(self.tr("Arrows scroll · Enter, Esc or F3 closes"), "dim"), id="entry-hint")

    def on_mount(self) -> None:
        self.query_one("#entry-scroll", VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)


class AuditScreen(SectionScreen):
    TITLE_TEXT = N_("Audit log")
    AUTO_FOCUS = "#audit-entries"  # the keys work at once; f goes to the filters
    BINDINGS = [
        Binding("f", "focus_filters", N_("Filter"), id="audit.filter"),
        Binding("n", "next_page", N_("Older"), id="audit.older"),
        Binding("c", "clear_filters", N_("Clear"), id="audit.clear"),
        Binding("v", "verify", N_("Verify chain"), id="audit.verify"),
        Binding("escape,f3", "back", N_("Back"), id="audit.back", key_display="Esc/F3"),
        # in a filter field the letters type: Enter searches, Ctrl+L clears, Esc/F3 returns to the list
        Binding("ctrl+l", "clear_filters", N_("Clear"), id="audit.clear_ctrl", show=False),
    ]
    DEFAULT_CSS = """
    .audit-filters { height: 1; padding: 0 1; }
    .audit-filters Label { width: auto; padding: 0 1 0 1; }
    .audit-filters Input { height: 1; border: none; padding: 0; background: $boost; }
    #audit-state { height: 1; padding: 0 1; }
    #audit-progress { height: 1; }
    """

    def __init__(self, section=None) -> None:
        super().__init__()
        self.rows: list[Any] = []  # the entries shown (tests read them)
        self.filter: Any = None

    def compose_body(self) -> ComposeResult:
        for group in (FIELDS[:3], FIELDS[3:]):
            with Horizontal(classes="audit-filters"):
                for name, label, width in group:
                    yield Label(self.tr(label))
                    field = Input(id=f"f-{name}", max_length=80,
                                  placeholder="DD-MM-YYYY" if name in ("from", "to") else "")
                    field.styles.width = width
                    yield field
        yield Static(id="audit-state")
        yield ProgressBar(id="audit-progress", show_eta=False)
        with TabbedContent(id="audit-tabs"):
            with TabPane(self.tr("Entries"), id="tab-entries"):
                yield DataTable(id="audit-entries", cursor_type="row", zebra_stripes=True)
            with TabPane(self.tr("Anchors"), id="tab-anchors"):
                yield DataTable(id="audit-anchors", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        tr = self.tr
        self.query_one("#audit-entries", DataTable).add_columns("#", tr("Time"), tr("User"), tr("Action"),
                                                                 tr("About"))
        self.query_one("#audit-anchors", DataTable).add_columns("#", tr("Signed at"), tr("Up to entry"),
                                                                 tr("Reason"), tr("Head hash"))
        self.query_one("#audit-progress", ProgressBar).display = False
        self.search()
        self.query_one("#audit-entries", DataTable).focus()

    # -- searching -----------------------------------------------------------------------------------------------
    def _values(self) -> dict[str, str]:
        return {name: self.query_one(f"#f-{name}", Input).value for name, _, _ in FIELDS}

    def search(self, before_seq: int | None = None) -> None:
        svc, actor = self.services.audit, self.actor
        v = self._values()

        def run() -> tuple[Any, list[Any], list[Any]]:
            flt = svc.filter_from_text(user=v["user"], case=v["case"], document=v["document"], action=v["action"],
                                       from_day=v["from"], to_day=v["to"])
            return flt, svc.search(actor, flt, limit=PAGE, before_seq=before_seq), svc.anchors(actor)

        self.query_one("#audit-state", Static).update(self.tr("Searching…"))
        self.call_service(run, group="audit-search",
                          on_result=lambda r: self._show(r, append=before_seq is not None), on_error=self._failed)

    def _failed(self, exc: Exception) -> None:
        self.line_error(self.query_one("#audit-state", Static), exc)

    def _show(self, result: tuple[Any, list[Any], list[Any]], *, append: bool) -> None:
        flt, rows, anchors = result
        self.filter = flt
        zone = self.wapp.settings.zone
        table = self.query_one("#audit-entries", DataTable)
        if not append:
            table.clear()
            self.rows = []
        for r in rows:  # 80 columns: time without seconds and year, action and subject cut with "…"
            action = action_text(self.tr, r.action)
            action = action if len(action) <= ACTION_WIDTH else action[: ACTION_WIDTH - 1] + "…"
            table.add_row(*cells(str(r.seq), _t(r.ts, zone, "%d-%m %H:%M"), r.actor_login[:10], action,
                                 subject_text(self.tr, r, SUBJECT_WIDTH)), key=str(r.seq))
        self.rows += rows
        more = len(rows) == PAGE
        state = self.tr("{n} entries shown", n=len(self.rows))
        if more:
            state += " · " + self.tr("n: older")
        state += " · " + self.tr("Enter: details")
        self.query_one("#audit-state", Static).update(state)
        a = self.query_one("#audit-anchors", DataTable)
        a.clear()
        for x in anchors:
            a.add_row(*cells(str(x.seq), _t(x.anchored_at, zone), str(x.head_seq), x.reason, x.head_hash[:16] + "…"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.search()
        self.query_one("#audit-tabs", TabbedContent).active = "tab-entries"
        self.query_one("#audit-entries", DataTable).focus()

    def action_focus_filters(self) -> None:
        self.query_one("#f-user", Input).focus()

    def action_clear_filters(self) -> None:
        for name, _, _ in FIELDS:
            self.query_one(f"#f-{name}", Input).value = ""
        self.search()

    def action_next_page(self) -> None:
        if self.rows and len(self.rows) % PAGE == 0:
            self.search(before_seq=self.rows[-1].seq)

    def action_back(self) -> None:
        """From a filter field back to the list; from the list back to where the viewer was opened."""
        if isinstance(self.focused, Input):
            self.query_one("#audit-entries", DataTable).focus()
            return
        if self.app.screen is self and len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    # -- one entry -----------------------------------------------------------------------------------------------
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.data_table.id != "audit-entries" or event.row_key.value is None:
            return
        seq = int(event.row_key.value)
        self.call_service(self.services.audit.entry, self.actor, seq, group="audit-entry",
                          on_result=lambda d: self.app.push_screen(AuditEntryModal(d)))

    # -- verification (with progress) ----------------------------------------------------------------------------
    def action_verify(self) -> None:
        verify_chain(self, self.query_one("#audit-progress", ProgressBar), self.query_one("#audit-state", Static),
                     group="audit-verify")


def verify_chain(screen: Any, bar: ProgressBar, status: Static, *, group: str) -> None:
    """Walk the audit chain in a worker with its progress on `status` and `bar` (the audit viewer and the
    supervision screen both offer it)."""
    bar.display = True
    bar.update(total=None)
    status.update(screen.tr("Verifying the audit chain…"))
    app = screen.app

    def progress(n: int) -> None:
        app.call_from_thread(status.update, screen.tr("Verifying the audit chain… {n} entries", n=n))

    def finished(report: Any) -> None:
        bar.display = False
        if report.ok:
            status.update(screen.tr("Audit chain intact: {n} entries.", n=report.entries))
        else:
            status.update(assemble((screen.tr("Audit chain BROKEN"), "bold red"),
                                   f" — {report.entry_summary}: {report.problem}"))

    screen.call_service(screen.services.audit.verify, screen.actor, progress=progress, group=group,
                        on_result=finished)
