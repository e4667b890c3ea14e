"""The approvals inbox (issue #15 item 2): supervisors decide what waits for a second signature (approve: the
action runs, confirmed by them; refuse: with a reason); everyone sees their own requests and the answers,
refreshed every few seconds so the requester's screen learns the answer without asking."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static, TabbedContent, TabPane

from screens.base import SectionScreen
from screens.dialogs import PromptModal
from screens.widgets.table import DataTable
from screens.widgets.text import cells
from workstation.domain.codes import Role
from workstation.i18n import N_

REFRESH_S = 5.0
KIND_LABELS = {"ECD_CLEAR": N_("Clear to green"), "DOCUMENT_VOID": N_("Void document"),
               "GATE_OVERRIDE": N_("Gate override")}
# states words.py's "approval" group has no word for yet (the others come from there)
STATE_LABELS = {"FAILED": N_("failed")}


def state_text(tr, state: str) -> str:
    from screens.widgets.words import WORDS, word

    if state in WORDS["approval"]:
        return word(tr, "approval", state)
    return tr(STATE_LABELS[state]) if state in STATE_LABELS else state


def _t(ts, zone) -> str:
    return ts.astimezone(zone).strftime("%d-%m %H:%M") if ts else "-"


class ApprovalsScreen(SectionScreen):
    TITLE_TEXT = N_("Approvals")
    BINDINGS = [
        Binding("a", "approve", N_("Approve"), id="appr.approve"),
        Binding("x", "refuse", N_("Refuse"), id="appr.refuse"),
        Binding("r", "reload", N_("Refresh"), id="appr.reload"),
        Binding("v", "void", N_("Request a void"), id="appr.void"),
    ]

    def __init__(self, section=None) -> None:
        super().__init__()
        self._inbox: dict[str, object] = {}

    def compose_body(self) -> ComposeResult:
        with TabbedContent(id="appr-tabs"):
            with TabPane(self.tr("Inbox"), id="tab-inbox"):
                yield Static(id="inbox-note")
                yield DataTable(id="inbox", cursor_type="row", zebra_stripes=True)
            with TabPane(self.tr("My requests"), id="tab-mine"):
                yield DataTable(id="mine", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        tr = self.tr
        self.query_one("#inbox", DataTable).add_columns(tr("What"), tr("Subject"), tr("By"), tr("When"), tr("Reason"))
        self.query_one("#mine", DataTable).add_columns(tr("What"), tr("Subject"), tr("State"), tr("By"), tr("Answer"))
        if self.actor.has(Role.SUPERVISOR):
            self.query_one("#inbox", DataTable).focus()
        else:  # nothing to decide: their own requests first (after the tabs are laid out)
            self.call_after_refresh(self._show_mine)
        self.action_reload()
        self.set_interval(REFRESH_S, self.action_reload)

    def _show_mine(self) -> None:
        self.query_one("#appr-tabs", TabbedContent).active = "tab-mine"
        self.query_one("#mine", DataTable).focus()

    def action_reload(self) -> None:
        svc, actor = self.services, self.actor
        supervisor = actor.has(Role.SUPERVISOR)

        def load():
            return (svc.approvals.inbox(actor) if supervisor else None), svc.approvals.mine(actor)

        self.call_service(load, group="appr-load", on_result=self._show)

    def _show(self, data) -> None:
        inbox, mine = data
        zone = self.wapp.settings.zone
        t = self.query_one("#inbox", DataTable)
        note = self.query_one("#inbox-note", Static)
        t.clear()
        self._inbox = {}
        if inbox is None:
            note.update(self.tr("Only supervisors decide requests."))
        else:
            note.update(self.tr("{n} waiting: a approve, x refuse.", n=len(inbox)))
            for r in inbox:
                self._inbox[str(r.id)] = r
                t.add_row(*cells(self.tr(KIND_LABELS.get(r.kind, r.kind)), r.subject[:28], r.requested_by,
                                 _t(r.requested_at, zone), r.reason[:40]), key=str(r.id))
        m = self.query_one("#mine", DataTable)
        m.clear()
        for r in mine:
            m.add_row(*cells(self.tr(KIND_LABELS.get(r.kind, r.kind)), r.subject[:28],
                             state_text(self.tr, r.state), r.decided_by or "-", (r.answer or "")[:40]),
                      key=str(r.id))

    def _selected(self):
        table = self.query_one("#inbox", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self._inbox.get(key or "")

    def action_approve(self) -> None:
        r = self._selected()
        if r is None:
            return
        svc, actor = self.services, self.actor

        def done(v) -> None:
            if v.state == "APPROVED":
                self.notify(self.tr("Approved: {subject}.", subject=v.subject))
            else:
                self.notify(self.tr("The action could not be carried out: {answer}", answer=v.answer or ""),
                            severity="warning", timeout=8)
            self.action_reload()

        self.call_service(svc.approvals.approve, actor, r.id, r.version, group="appr-act", on_result=done,
                          exclusive=False)

    def action_refuse(self) -> None:
        r = self._selected()
        if r is None:
            return
        svc, actor = self.services, self.actor

        def with_reason(reason: str | None) -> None:
            if reason:
                self.call_service(svc.approvals.refuse, actor, r.id, r.version, reason, group="appr-act",
                                  exclusive=False, on_result=lambda _v: self.action_reload())

        self.app.push_screen(PromptModal(self.tr("Refuse the request"), self.tr("Reason (required)")), with_reason)

    def action_void(self) -> None:
        """Ask for a document to be voided (a supervisor decides in the inbox)."""
        svc, actor = self.services, self.actor

        def with_number(number: str | None) -> None:
            if not number:
                return

            def with_reason(reason: str | None) -> None:
                if reason:
                    self.call_service(svc.approvals.request_void, actor, number.strip(), reason, group="appr-act",
                                      exclusive=False, on_result=lambda _v: self._requested())

            self.app.push_screen(PromptModal(self.tr("Void {number}", number=number.strip()),
                                             self.tr("Reason (required)")), with_reason)

        self.app.push_screen(PromptModal(self.tr("Request a void"), self.tr("Document number")), with_number)

    def _requested(self) -> None:
        self.notify(self.tr("Request sent; a supervisor decides it in the inbox."))
        self.query_one("#appr-tabs", TabbedContent).active = "tab-mine"
        self.action_reload()
