"""Supervision: active sessions (end one), accounts (unlock), the print queue, the audit log (verify the chain,
recent entries), and the ways into the dashboard (b), the audit viewer (a) and the daily report (l)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import ProgressBar, Static, TabbedContent, TabPane

from screens.base import SectionScreen
from screens.dialogs import PromptModal
from screens.widgets.table import DataTable
from screens.widgets.text import cells
from screens.widgets.words import word
from workstation.i18n import N_


def _t(ts, zone) -> str:
    return ts.astimezone(zone).strftime("%d-%m %H:%M") if ts else "-"


class SupervisorScreen(SectionScreen):
    TITLE_TEXT = N_("Supervision")
    BINDINGS = [
        Binding("r", "reload", N_("Refresh"), id="sup.reload"),
        Binding("e", "end_session", N_("End session"), id="sup.end_session"),
        Binding("u", "unlock", N_("Unlock user"), id="sup.unlock"),
        Binding("v", "verify_audit", N_("Verify audit"), id="sup.verify_audit"),
        Binding("t", "retry_prints", N_("Retry prints"), id="sup.retry_prints"),
        # named on the screen's own hint line: the key bar has no room for them at 80 columns
        Binding("d", "find_document", N_("Document"), id="sup.find_document", show=False),
        Binding("b", "open('dashboard')", N_("Dashboard"), id="sup.dashboard", show=False),
        Binding("a", "open('audit')", N_("Audit viewer"), id="sup.audit_viewer", show=False),
        Binding("l", "open('report')", N_("Daily report"), id="sup.daily_report", show=False),
    ]
    AUTO_FOCUS = "#sessions"  # arrows and keys work at once; Shift+Tab reaches the tabs
    DEFAULT_CSS = """
    #sup-hint { height: auto; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, section=None) -> None:
        super().__init__()

    def compose_body(self) -> ComposeResult:
        yield Static(self.hint_text(), id="sup-hint")
        with TabbedContent(id="sup-tabs"):
            with TabPane(self.tr("Sessions"), id="tab-sessions"):
                yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
            with TabPane(self.tr("Accounts"), id="tab-accounts"):
                yield DataTable(id="accounts", cursor_type="row", zebra_stripes=True)
            with TabPane(self.tr("Print queue"), id="tab-prints"):
                yield DataTable(id="prints", cursor_type="row", zebra_stripes=True)
            with TabPane(self.tr("Audit"), id="tab-audit"):
                yield Static(id="audit-status")
                yield ProgressBar(id="audit-progress", show_eta=False)
                yield DataTable(id="audit", cursor_type="row", zebra_stripes=True)

    def hint_text(self) -> str:
        return self.tr("b dashboard · a audit log · l daily report · d find a document")

    def refresh_language(self) -> None:
        super().refresh_language()
        self.query_one("#sup-hint", Static).update(self.hint_text())

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """A tab chosen by an action key (e, u, t, v) brings its list's cursor with it; a tab chosen on the tab
        row leaves the focus there (the arrows go on choosing tabs)."""
        from textual.widgets import Tabs

        if isinstance(self.focused, Tabs):
            return
        tables = event.pane.query(DataTable)
        if tables:
            tables.first().focus()

    def on_mount(self) -> None:
        tr = self.tr
        self.query_one("#sessions", DataTable).add_columns(tr("Login"), tr("Started"), tr("Seen"), tr("Client"))
        self.query_one("#accounts", DataTable).add_columns(tr("Login"), tr("Name"), tr("Roles"), tr("State"))
        self.query_one("#audit", DataTable).add_columns("#", tr("Time"), tr("User"), tr("Action"), tr("About"))
        self.query_one("#prints", DataTable).add_columns(tr("Number"), tr("Printer"), tr("Tries"), tr("Error"))
        self.query_one("#audit-progress", ProgressBar).display = False
        self.action_reload()

    def action_reload(self) -> None:
        svc, actor = self.services, self.actor

        def load():
            return (svc.auth.list_sessions(actor), svc.auth.list_users(actor), svc.audit.recent(actor, 100),
                    svc.documents.failed_jobs())

        self.call_service(load, group="sup-load", on_result=self._show)

    def _show(self, data) -> None:
        sessions, users, entries, jobs = data
        p = self.query_one("#prints", DataTable)
        p.clear()
        for j in jobs:
            p.add_row(*cells(j.number, f"{j.target_kind}:{j.target}"[:24], str(j.attempts), j.last_error[:40]))
        zone = self.wapp.settings.zone
        t = self.query_one("#sessions", DataTable)
        t.clear()
        for s in sessions:
            t.add_row(*cells(s.login, _t(s.started_at, zone), _t(s.last_seen_at, zone), s.client[:40]), key=str(s.id))
        a = self.query_one("#accounts", DataTable)
        a.clear()
        for u in users:
            state = self.tr("locked") if u.locked else (self.tr("active") if u.active else self.tr("disabled"))
            a.add_row(*cells(u.login, u.full_name[:24], ", ".join(word(self.tr, "role", r.value)
                                                                  for r in sorted(u.roles, key=lambda r: r.value)),
                             state), key=u.login)
        au = self.query_one("#audit", DataTable)
        au.clear()
        from screens.audit import ACTION_WIDTH, SUBJECT_WIDTH, action_text, subject_text

        for e in entries:
            action = action_text(self.tr, e.action)
            action = action if len(action) <= ACTION_WIDTH else action[: ACTION_WIDTH - 1] + "…"
            au.add_row(*cells(str(e.seq), _t(e.ts, zone), e.actor_login[:10], action,
                              subject_text(self.tr, e, SUBJECT_WIDTH)), key=str(e.seq))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on an audit entry shows it whole (as in the audit viewer)."""
        if event.data_table.id != "audit" or event.row_key.value is None:
            return
        event.stop()
        from screens.audit import AuditEntryModal

        self.call_service(self.services.audit.entry, self.actor, int(event.row_key.value), group="sup-entry",
                          on_result=lambda d: self.app.push_screen(AuditEntryModal(d)))

    def action_open(self, what: str) -> None:
        """Open the dashboard, the audit viewer or the daily report over this screen (Escape comes back)."""
        if what == "dashboard":
            from screens.dashboard import DashboardScreen

            self.app.push_screen(DashboardScreen())
        elif what == "audit":
            from screens.audit import AuditScreen

            self.app.push_screen(AuditScreen())
        elif what == "report":
            from screens.report import ReportScreen

            self.app.push_screen(ReportScreen())

    def _selected(self, table_id: str) -> str | None:
        table = self.query_one(table_id, DataTable)
        if table.row_count == 0:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def action_end_session(self) -> None:
        import uuid

        self.query_one("#sup-tabs", TabbedContent).active = "tab-sessions"
        sid = self._selected("#sessions")
        if sid is None:
            return

        def with_reason(reason: str | None) -> None:
            if reason:
                svc, actor = self.services, self.actor
                self.call_service(svc.auth.end_session, actor, uuid.UUID(sid), reason, group="sup-act",
                                  on_result=lambda _: self._done(self.tr("Session ended.")), exclusive=False)

        self.app.push_screen(PromptModal(self.tr("End session"), self.tr("Reason")), with_reason)

    def action_unlock(self) -> None:
        self.query_one("#sup-tabs", TabbedContent).active = "tab-accounts"
        login = self._selected("#accounts")
        if login is None:
            return
        svc, actor = self.services, self.actor
        self.call_service(svc.auth.unlock, actor, login, group="sup-act", exclusive=False,
                          on_result=lambda _: self._done(self.tr("{login} unlocked.", login=login)))

    def action_retry_prints(self) -> None:
        self.query_one("#sup-tabs", TabbedContent).active = "tab-prints"
        svc, actor = self.services, self.actor
        self.call_service(svc.documents.retry_failed, actor, group="sup-retry",
                          on_result=lambda r: self._done(self.tr("Printed {done}, still failing {failing}.",
                                                                 done=r[0], failing=r[1])))

    def action_find_document(self) -> None:
        from screens.documents import DocumentModal

        def open_doc(number: str | None) -> None:
            if number:
                self.app.push_screen(DocumentModal(number.strip()))

        self.app.push_screen(PromptModal(self.tr("Find a document"), self.tr("Document number")), open_doc)

    def _done(self, message: str) -> None:
        self.notify(message)
        self.action_reload()

    def action_verify_audit(self) -> None:
        from screens.audit import verify_chain

        self.query_one("#sup-tabs", TabbedContent).active = "tab-audit"
        verify_chain(self, self.query_one("#audit-progress", ProgressBar), self.query_one("#audit-status", Static),
                     group="sup-verify")
