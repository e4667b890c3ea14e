"""Examination (PFPD): receive PIBs (intake), the queue with days since registration and SLA / BTD flags, one
case's research view (PIB against LHP, differences marked), the desk steps (billing payment, supporting
documents, goods readiness, Instruksi Pemeriksaan, NPD / DNP, lab, enforcement), the determination with a live
preview of the levies and outcome, SPTNP payment and release. Supervisors see the same queue and manage the
blocked-importer list here.

Every change passes the case version shown; a stale one comes back as a clear conflict (reload with R)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Label, Static, TabbedContent, TabPane

from screens.base import Modal, SectionScreen
from screens.dialogs import PromptModal
from screens.widgets.form import FormField, FormModal
from screens.widgets.table import DataTable
from screens.widgets.text import cells, esc, plain
from screens.widgets.words import coded, day, word
from workstation.domain.codes import Role
from workstation.domain.money import rupiah_or
from workstation.i18n import N_
from workstation.services.pib.determination import undeclared_items

# ==================================================================================================
# Helpers
# ==================================================================================================


def short_aju(aju: str) -> str:
    return "…" + aju[-10:]


def day_text(value: dt.date | None) -> str:
    """Kept for callers elsewhere; the one format is words.day (DD-MM-YYYY)."""
    return day(value)


def fixed_columns(table: DataTable, *columns: tuple[str, int | None]) -> None:
    """Columns of a fixed width (None: as wide as the content). A table refilled while on screen can keep its
    heading at the widths of the previous rows (Textual caches the heading line); fixed widths never move."""
    for label, width in columns:
        table.add_column(label, width=width)


def _letter_key(binding_key: str) -> bool:
    """A binding typed by a printable key alone (no F-key, no Ctrl): it would type into a focused field."""
    return any(len(k) == 1 for k in binding_key.split(","))


def _yes(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("1", "y", "yes", "ya", "true"))


# ==================================================================================================
# The examiner's section
# ==================================================================================================


class ExaminerScreen(SectionScreen):
    TITLE_TEXT = N_("Examination")
    CSS_PATH = "examiner.tcss"
    # Workflow order: the key bar shows the keys that apply now, the most likely first (F1 lists all).
    BINDINGS = [
        Binding("p", "pay_billing", N_("Payment"), id="examiner.pay_billing"),
        Binding("g", "goods_ready", N_("Goods ready"), id="examiner.goods_ready"),
        Binding("n", "instruction", N_("Instruction"), id="examiner.instruction"),
        Binding("d", "determine", N_("Determine"), id="examiner.determine"),
        Binding("s", "pay_sptnp", N_("SPTNP paid"), id="examiner.pay_sptnp"),
        Binding("o", "release", N_("Release"), id="examiner.release"),
        Binding("q", "request", N_("NPD/DNP"), id="examiner.request"),
        Binding("a", "answer", N_("Answer"), id="examiner.answer"),
        Binding("l", "lab", N_("Lab"), id="examiner.lab"),
        Binding("e", "enforcement", N_("Enforcement"), id="examiner.enforcement"),
        Binding("u", "supporting", N_("Documents in"), id="examiner.supporting"),
        Binding("v", "view_document", N_("Document"), id="examiner.view_document"),
        Binding("i", "intake", N_("Intake"), id="examiner.intake"),
        Binding("b", "block", N_("Block importer"), id="examiner.block"),
        Binding("k", "unblock", N_("Lift block"), id="examiner.unblock"),
        Binding("ctrl+b,escape", "queue", N_("Queue"), id="examiner.queue"),
        Binding("r", "reload", N_("Refresh"), id="examiner.reload"),
    ]

    # key action -> the transitions of the PIB table (workstation.domain.pib.FLOW) it performs; the key is
    # enabled when the service allows any of them for this user on the open case ("determine": any of the
    # table's determination rows, DETERMINE_ACTIONS)
    _TRANSITIONS: dict[str, frozenset[str]] = {
        "pay_billing": frozenset({"pib.pay_billing"}),
        "supporting": frozenset({"pib.supporting_documents"}),
        "goods_ready": frozenset({"pib.goods_ready"}),
        "instruction": frozenset({"pib.issue_ip", "pib.reissue_ip"}),
        "request": frozenset({"pib.request"}),
        "lab": frozenset({"pib.request"}),
        "answer": frozenset({"pib.answer"}),
        "enforcement": frozenset({"pib.refer_enforcement"}),
        "pay_sptnp": frozenset({"pib.pay_sptnp"}),
        "release": frozenset({"pib.release"}),
    }

    def __init__(self, section=None) -> None:
        super().__init__()
        self.detail = None  # PibDetail of the open case
        self.limits = None  # FormLimits of the rule set (inspection levels, HS length), loaded with the case
        self.queue_rows: dict[str, Any] = {}

    def compose_body(self) -> ComposeResult:
        tr = self.tr
        with TabbedContent(id="ex-tabs"):
            with TabPane(tr("Queue"), id="tab-queue"):
                yield DataTable(id="ex-queue", cursor_type="row", zebra_stripes=True)
            with TabPane(tr("Case"), id="tab-case"), VerticalScroll(id="case-scroll"):
                yield Static(tr("Open a case from the queue (Enter)."), id="case-head")
                yield DataTable(id="research", cursor_type="row", zebra_stripes=True)
                yield Static(id="case-more")
            with TabPane(tr("Intake"), id="tab-intake"):
                yield Label(tr("pib/1 file to receive (Enter):"))
                yield Input(id="intake-file", placeholder=tr("path of the pib/1 or CEISA BC 2.0 file"))
                with VerticalScroll():
                    yield Static(id="intake-result")
            with TabPane(tr("Blocked importers"), id="tab-blocked"):
                yield DataTable(id="blocked", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        tr = self.tr
        fixed_columns(self.query_one("#ex-queue", DataTable), ("AJU", 11), (tr("Importer"), 14), (tr("Days"), 4),
                      (tr("State"), 24), (tr("Flags"), None))
        fixed_columns(self.query_one("#research", DataTable), ("#", 3), (tr("Declared HS"), 10),
                      (tr("LHP HS"), 10), (tr("Declared qty"), 10), (tr("LHP qty"), 10), (tr("BM %"), 5),
                      (tr("Differences"), None))
        fixed_columns(self.query_one("#blocked", DataTable), ("NPWP", 15), (tr("Name"), 20), (tr("Reason"), 28),
                      (tr("By"), None))
        self.query_one("#ex-queue", DataTable).focus()  # arrows and Enter work as the queue opens
        self.action_reload()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        # the tab's list (or field) takes the keys at once, also when the tab was chosen by mouse
        target = {"tab-queue": "#ex-queue", "tab-case": "#research", "tab-intake": "#intake-file",
                  "tab-blocked": "#blocked"}.get(event.pane.id or "")
        if target:
            self.query_one(target).focus()
        self.refresh_bindings()

    def on_descendant_focus(self, event) -> None:
        self.refresh_bindings()  # a field took the focus: letter keys leave the key bar (they would type)

    def on_descendant_blur(self, event) -> None:
        self.refresh_bindings()

    def action_queue(self) -> None:
        self.query_one("#ex-tabs", TabbedContent).active = "tab-queue"
        self.query_one("#ex-queue", DataTable).focus()

    # -- loading ------------------------------------------------------------------------------------------
    def action_reload(self) -> None:
        svc, actor = self.services, self.actor

        def load():
            blocked = svc.pib.blocked_importers(actor) if actor.has(Role.SUPERVISOR, Role.EXAMINER) else []
            return svc.pib.queue(actor), blocked

        self.background(load, self._show_queue, group="ex-load")
        if self.detail is not None:
            self._load_case(self.detail.case.id)

    def _show_queue(self, data) -> None:
        rows, blocked = data
        t = self.query_one("#ex-queue", DataTable)
        t.clear()
        self.queue_rows = {}
        for r in rows:
            key = str(r.case_id)
            self.queue_rows[key] = r
            days = "-" if r.days is None else str(r.days)
            state = word(self.tr, "pib_state_short", r.state)
            t.add_row(*cells(short_aju(r.aju), r.importer_name[:14], days, state, " ".join(r.flags)), key=key)
        b = self.query_one("#blocked", DataTable)
        b.clear()
        for x in blocked:
            b.add_row(*cells(x.npwp, x.name[:20], x.reason[:28], x.blocked_by), key=x.npwp)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "ex-queue" and event.row_key.value:
            import uuid

            self._load_case(uuid.UUID(event.row_key.value))
            self.query_one("#ex-tabs", TabbedContent).active = "tab-case"

    def _load_case(self, case_id) -> None:
        svc, actor = self.services, self.actor

        def load():
            detail = svc.pib.get(actor, case_id)
            research = svc.pib.research(actor, case_id)
            return detail, research, svc.pib.form_limits()

        self.background(load, self._show_case, group="ex-case")

    def _show_case(self, data) -> None:
        detail, research, self.limits = data
        self.detail = detail
        tr = self.tr
        d = detail
        lines = [
            f"[b]{esc(d.aju)}[/b]  v{d.version}  {esc(coded(tr, 'pib_state', d.state))}",
            f"{esc(d.importer_name)} (NPWP {esc(d.importer_npwp)})",
            tr("Registration") + f": {esc(d.registration_number or '-')} {day_text(d.registered_on)}   "
            + tr("Days") + f": {'-' if d.sla.days_since_registration is None else d.sla.days_since_registration}"
            + "   " + tr("Due") + f": {day_text(d.sla.determination_due)}",
            tr("In TPS since") + f" {day_text(d.first_storage_on)} ({d.sla.storage_days} "
            + tr("days") + ")   " + tr("Flags") + ": " + (" ".join(d.sla.flags) or "-"),
        ]
        bill = d.billing("SPTNP") or d.billing("DECLARED")
        if bill is not None:
            paid = tr("paid") + f" {day_text(bill.paid_on)}" if bill.paid_on else tr("unpaid")
            lines.append(tr("Billing") + f" {bill.kind} {bill.code} {rupiah_or(bill.total_idr)} ({paid})")
        if d.instruction:
            i = d.instruction
            lines.append(esc(f"IP {i.document_number}: {i.inspector_login} {i.level_pct}% " + " ".join(i.containers)))
        if d.lhp:
            conclusion = d.lhp.content.get("conclusion", "")
            said = tr("match") if conclusion == "MATCH" else tr("mismatch") if conclusion == "MISMATCH" else conclusion
            lines.append(esc(f"LHP v{d.lhp.version}: {said} ({d.lhp.author_login}, {day(d.lhp.submitted_at)})"))
            if d.lhp.amendment_reason:
                lines.append(esc(tr("Amendment reason") + f": {d.lhp.amendment_reason}"))
        if d.determination:
            a = d.determination.assessment
            lines.append(tr("Outcome") + f": {d.determination.outcome}  " + tr("fine") + f" {rupiah_or(a['fine_idr'])}")
        self.query_one("#case-head", Static).update("\n".join(lines))
        t = self.query_one("#research", DataTable)
        t.clear()
        for r in research:
            found = r.found
            rate = format(r.declared.bm_rate, "f")
            if r.tariff_bm_rate is not None and r.tariff_bm_rate != r.declared.bm_rate:
                rate += f"/{format(r.tariff_bm_rate, 'f')}"
            diffs = " ".join(x.value for x in r.differences)
            t.add_row(*cells(str(r.seq), r.declared.hs_code, found.hs_code if found else "-",
                             f"{r.declared.quantity} {r.declared.unit}",
                             f"{found.quantity} {found.unit}" if found else "-", rate),
                      *cells(diffs or tr("match"), style="bold red" if diffs else ""), key=str(r.seq))
        # what the inspector found and the PIB does not declare: numbered after the declared items, as the
        # determination form numbers them
        for item in (undeclared_items(d.doc, d.lhp.lhp) if d.lhp else ()):
            t.add_row(str(item.seq), "-", "-", "-", f"{item.quantity} {item.unit}", "-",
                      "[b red]" + esc(coded(tr, "finding", "UNDECLARED")) + "[/] " + esc(item.description[:30]),
                      key=str(item.seq))
        more: list[str] = []
        for p in d.lartas:
            state = esc(tr("permit") + f" {p.permit}") if p.permit else "[b red]" + tr("no permit") + "[/]"
            more.append(f"LARTAS #{p.seq} {esc(p.hs_code)}: {esc(p.permit_type)} ({state})")
        for q in d.requests:
            status = q.answer or (tr("open") if q.open else "-")
            due_word = tr("due")
            due = f" {due_word} {day_text(q.due_on)}" if q.due_on else ""
            more.append(esc(f"{q.kind}{due}: {q.text[:40]} → {status[:30]}" + (f" [{q.result}]" if q.result else "")))
        if d.documents:
            more.append(esc(tr("Documents") + ": " + ", ".join(f"{x.number}" + (f" v{x.version}" if x.version > 1 else "")
                                                              for x in d.documents)))
        if d.submissions:
            last = d.submissions[-1]
            fmt = {"pib/1": "pib/1", "ceisa/bc20": "CEISA BC 2.0"}.get(last.format, last.format)
            more.append(esc(tr("Received as {format}, version {version}, {source}", format=fmt,
                               version=last.version, source=last.source)))
        if d.submissions and not d.submissions[-1].accepted:
            more += [esc(f"{p.code.value} {p.field}: {self._problem_text(p)}") for p in d.submissions[-1].problems]
        self.query_one("#case-more", Static).update("\n".join(more))
        self.refresh_bindings()

    # -- which keys apply ---------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        actor = self.actor
        if actor is None:
            return None
        if isinstance(self.focused, Input):
            # a letter would type into the field: only F-keys and Ctrl keys apply there
            binding = next((b for b in self.BINDINGS if isinstance(b, Binding) and b.action == action), None)
            if binding is not None and _letter_key(binding.key.split(",")[0]):
                return False
        # the keys shown are those of the tab on screen (80 columns hold two lines of them, not all at once)
        tab = self.query_one("#ex-tabs", TabbedContent).active
        if action == "queue":
            return tab != "tab-queue"
        if action == "block":
            return actor.has(Role.SUPERVISOR) and tab != "tab-intake"
        if action == "unblock":
            return actor.has(Role.SUPERVISOR) and tab == "tab-blocked"
        if action == "intake":
            return actor.has(Role.EXAMINER, Role.SUPERVISOR, Role.ADMIN) and tab != "tab-case"
        if action == "reload":
            return True
        if tab != "tab-case":
            return False  # the case's own keys act on the case shown
        if action == "view_document":
            return bool(self.detail and self.detail.documents)
        from workstation.services.pib import DETERMINE_ACTIONS  # loaded with the service already

        transitions = DETERMINE_ACTIONS if action == "determine" else self._TRANSITIONS.get(action)
        if transitions is None:
            return True
        if self.detail is None:
            return False
        if action == "answer" and not any(r.open for r in self.detail.requests):
            return False  # nothing to answer (the dialog answers the open request)
        return bool(transitions & self.services.pib.allowed_actions(actor, self.detail))

    # -- doing ----------------------------------------------------------------------------------------------
    def _form(self, title: str, fields: list[FormField], submit: Callable[[dict[str, Any]], Any],
              done_message: str, *, note: str = "") -> None:
        def closed(result) -> None:
            if result is None:
                return
            self.notify(done_message)
            self.action_reload()

        self.app.push_screen(FormModal(title, fields, submit, note=note), closed)

    def _case(self):
        d = self.detail
        return d.case.id, d.version

    def action_intake(self) -> None:
        self.query_one("#ex-tabs", TabbedContent).active = "tab-intake"
        self.query_one("#intake-file", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "intake-file":
            return
        path = event.value.strip()
        if not path:
            return
        svc, actor = self.services, self.actor
        self.query_one("#intake-result", Static).update(self.tr("Checking…"))
        self.background(lambda: svc.pib.import_pib(actor, path), self._intake_done, self._intake_failed,
                        group="ex-intake")

    def _intake_done(self, r) -> None:
        tr = self.tr
        if r.unchanged:
            head = tr("{aju}: already received ({state}); nothing changed.", aju=r.aju,
                      state=coded(tr, "pib_state", r.state))
        elif r.accepted:
            head = tr("{aju}: accepted, {state}.", aju=r.aju, state=coded(tr, "pib_state", r.state))
            if r.billing_code:
                head += " " + tr("Billing code {code}, {amount}.", code=r.billing_code,
                                 amount=rupiah_or(r.billing_total_idr))
        else:
            head = "[b red]" + tr("{aju}: REJECTED, rejection response {number}.", aju=r.aju,
                                   number=r.documents[0] if r.documents else "-") + "[/]"
        lines = [esc(head) if r.accepted or r.unchanged else head,
                 *(esc(f"  {p.code.value} {p.field}: {self._problem_text(p)}") for p in r.problems)]
        self.query_one("#intake-result", Static).update("\n".join(lines))
        self.action_reload()

    def _intake_failed(self, exc: Exception) -> None:
        self.query_one("#intake-result", Static).update("[b red]" + esc(self.error_text(exc)) + "[/]")

    def action_pay_billing(self) -> None:
        cid, version = self._case()
        bill = self.detail.billing("DECLARED")
        svc, actor = self.services, self.actor
        fields = [FormField("billing_code", N_("Billing code"), bill.code if bill else ""),
                  FormField("ntpn", N_("NTPN (16 characters)"), max_length=16,
                            placeholder=N_("from the bank's receipt")),
                  FormField("amount_idr", N_("Amount paid (Rp)"), str(bill.total_idr) if bill else ""),
                  FormField("paid_on", N_("Paid on"), self.services.ctx.today(), kind="date")]
        self._form(self.tr("Billing payment"), fields,
                   lambda v: svc.pib.pay_billing(actor, cid, version, **v),
                   self.tr("Paid: PIB registered, SPJM issued."))

    def action_supporting(self) -> None:
        cid, version = self._case()
        svc, actor = self.services, self.actor
        from workstation.services.pib import SUPPORTING_KINDS

        kinds = [(k, k) for k in SUPPORTING_KINDS]
        fields = [FormField("kind", N_("Kind"), "INVOICE", kind="select", options=kinds),
                  FormField("number", N_("Number"), placeholder=N_("as on the document")),
                  FormField("date", N_("Date"), kind="date"),
                  FormField("item_seq", N_("PIB item (permits)"), max_length=4,
                            placeholder=N_("item number, for a permit"))]
        self._form(self.tr("Supporting document"), fields,
                   lambda v: svc.pib.record_supporting_documents(actor, cid, version, [v]),
                   self.tr("Document recorded."))

    def action_goods_ready(self) -> None:
        cid, version = self._case()
        svc, actor = self.services, self.actor
        d = self.detail
        fields = [FormField("location", N_("Location (TPS)"), d.goods_location or "", example="TPS KOJA"),
                  FormField("ready_on", N_("Ready on"), d.goods_ready_on or self.services.ctx.today(), kind="date"),
                  FormField("contact", N_("Contact"), d.goods_contact or "",
                            placeholder=N_("name and telephone at the TPS"))]
        self._form(self.tr("Goods-readiness notice"), fields,
                   lambda v: svc.pib.record_goods_ready(actor, cid, version, **v),
                   self.tr("Goods-readiness notice recorded."))

    def action_instruction(self) -> None:
        cid, version = self._case()
        d = self.detail
        svc, actor = self.services, self.actor
        containers = " ".join(d.manifest_line.containers) if d.manifest_line else ""
        ip = d.instruction
        levels = self.limits.levels_pct  # the rule set's ([inspection] levels_pct)
        fields = [FormField("inspector_login", N_("Inspector (login)"), ip.inspector_login if ip else ""),
                  FormField("level_pct", N_("Level"), str(ip.level_pct if ip else levels[0]), kind="select",
                            options=[(f"{n}%", str(n)) for n in levels]),
                  FormField("containers", N_("Containers"), " ".join(ip.containers) if ip else containers),
                  FormField("packages", N_("Packages"), ip.packages if ip else ""),
                  FormField("memo", N_("Memo"), ip.memo if ip else "", max_length=2000),
                  FormField("sample_requested", N_("Take samples"), "1" if ip and ip.sample_requested else "",
                            kind="check")]

        def submit(v):
            return svc.pib.issue_instruction(actor, cid, version, inspector_login=v["inspector_login"],
                                             level_pct=v["level_pct"], containers=v["containers"].split(),
                                             packages=v["packages"], memo=v["memo"],
                                             sample_requested=bool(v["sample_requested"]))

        self._form(self.tr("Instruksi Pemeriksaan"), fields, submit, self.tr("Instruction issued."))

    def action_request(self) -> None:
        cid, version = self._case()
        svc, actor = self.services, self.actor
        fields = [FormField("kind", N_("Kind"), "NPD", kind="select", options=[("NPD", "NPD"), ("DNP", "DNP")]),
                  FormField("text", N_("What is asked"), max_length=2000)]
        self._form(self.tr("Request to the importer"), fields,
                   lambda v: svc.pib.request_information(actor, cid, version, **v), self.tr("Request issued."))

    def action_lab(self) -> None:
        cid, version = self._case()
        svc, actor = self.services, self.actor
        fields = [FormField("item_seq", N_("PIB item")), FormField("text", N_("Test asked"), max_length=2000)]
        self._form(self.tr("Laboratory test"), fields,
                   lambda v: svc.pib.request_lab_test(actor, cid, version, **v), self.tr("Lab test requested."))

    def action_answer(self) -> None:
        cid, version = self._case()
        req = next(r for r in self.detail.requests if r.open)
        svc, actor = self.services, self.actor
        fields = [FormField("answer", N_("Answer"), max_length=2000)]
        if req.kind == "LAB":
            fields.append(FormField("result", N_("Lab result"), "CONFORMS", kind="select",
                                    options=[("CONFORMS", "CONFORMS"), ("DIFFERS", "DIFFERS")]))
        note = f"{req.kind}: {req.text[:70]}"
        self._form(self.tr("Answer"), fields,
                   lambda v: svc.pib.record_answer(actor, cid, version, req.id, **v), self.tr("Answer recorded."),
                   note=note)

    def action_enforcement(self) -> None:
        cid, version = self._case()
        svc, actor = self.services, self.actor

        def with_reason(reason: str | None) -> None:
            if reason:
                self.background(lambda: svc.pib.refer_to_enforcement(actor, cid, version, reason=reason),
                                lambda _: (self.notify(self.tr("Referred to enforcement.")), self.action_reload()),
                                group="ex-act")

        self.app.push_screen(PromptModal(self.tr("Refer to enforcement"), self.tr("Reason")), with_reason)

    def action_determine(self) -> None:
        def closed(result) -> None:
            if result is None:
                return
            self.notify(self.tr("Determined: {outcome}. Issued {documents}.", outcome=result.assessment.outcome.value,
                                documents=", ".join(result.documents)))
            self.action_reload()

        self.app.push_screen(DetermineModal(self.detail, self.limits.hs_max_length), closed)

    def action_pay_sptnp(self) -> None:
        cid, version = self._case()
        bill = self.detail.billing("SPTNP")
        svc, actor = self.services, self.actor
        fields = [FormField("billing_code", N_("Billing code"), bill.code if bill else ""),
                  FormField("ntpn", N_("NTPN (16 characters)"), max_length=16,
                            placeholder=N_("from the bank's receipt")),
                  FormField("amount_idr", N_("Amount paid (Rp)"), str(bill.total_idr) if bill else ""),
                  FormField("paid_on", N_("Paid on"), self.services.ctx.today(), kind="date")]
        self._form(self.tr("SPTNP payment"), fields, lambda v: svc.pib.pay_sptnp(actor, cid, version, **v),
                   self.tr("SPTNP paid: SPPB issued."))

    def action_release(self) -> None:
        cid, version = self._case()
        svc, actor = self.services, self.actor

        def with_note(note: str | None) -> None:
            if note is not None:
                self.background(lambda: svc.pib.release(actor, cid, version, note=note),
                                lambda _: (self.notify(self.tr("Goods released.")), self.action_reload()),
                                group="ex-act")

        self.app.push_screen(PromptModal(self.tr("Gate-out"), self.tr("Note (optional)"), required=False), with_note)

    def action_view_document(self) -> None:
        from screens.documents import DocumentModal

        numbers = [d.number for d in self.detail.documents]

        def chosen(number: str | None) -> None:
            if number:
                self.app.push_screen(DocumentModal(number.strip()))

        self.app.push_screen(PromptModal(self.tr("Document"), self.tr("Number"), value=numbers[-1]), chosen)

    def action_block(self) -> None:
        svc, actor = self.services, self.actor
        npwp = self.detail.importer_npwp if self.detail else ""
        name = self.detail.importer_name if self.detail else ""
        fields = [FormField("npwp", "NPWP", npwp), FormField("name", N_("Name"), name),
                  FormField("reason", N_("Reason"), max_length=500)]
        self.query_one("#ex-tabs", TabbedContent).active = "tab-blocked"
        self._form(self.tr("Block importer"), fields, lambda v: svc.pib.block_importer(actor, **v),
                   self.tr("Importer blocked."))

    def action_unblock(self) -> None:
        self.query_one("#ex-tabs", TabbedContent).active = "tab-blocked"
        t = self.query_one("#blocked", DataTable)
        if t.row_count == 0:
            return
        npwp = t.coordinate_to_cell_key(t.cursor_coordinate).row_key.value
        svc, actor = self.services, self.actor

        def with_reason(reason: str | None) -> None:
            if reason:
                self.background(lambda: svc.pib.unblock_importer(actor, npwp, reason),
                                lambda _: (self.notify(self.tr("Block lifted.")), self.action_reload()),
                                group="ex-act")

        self.app.push_screen(PromptModal(self.tr("Lift block on {npwp}", npwp=npwp), self.tr("Reason")), with_reason)


# ==================================================================================================
# Determination
# ==================================================================================================

    def _problem_text(self, problem) -> str:
        """A failed check in the UI's language: the checks word each problem in both (message / message_id)."""
        return problem.message_id if self.wapp.translator.lang == "id" else problem.message


class DetermineModal(Modal):
    """Per item: HS code, CIF, BM rate and a permit number, prefilled with the declared values. Enter updates
    the preview (declared vs determined levies, BM shortfall, fine, outcome); Ctrl+S determines."""

    DEFAULT_CSS = """
    DetermineModal { align: center middle; }
    DetermineModal > Vertical { width: 80; max-width: 100%; height: 100%; border: round $accent;
                                background: $surface; padding: 0 1; }
    DetermineModal VerticalScroll { height: 1fr; }
    DetermineModal .det-row { height: auto; }
    DetermineModal .det-row Label { width: 22; height: auto; max-height: 2; padding-right: 1; }
    DetermineModal .det-head Label { color: $text-muted; }
    DetermineModal .det-hs, DetermineModal .det-row Label.det-hs { width: 13; }
    DetermineModal .det-cif, DetermineModal .det-row Label.det-cif { width: 14; }
    DetermineModal .det-bm, DetermineModal .det-row Label.det-bm { width: 7; }
    DetermineModal .det-permit, DetermineModal .det-row Label.det-permit { width: 1fr; }
    DetermineModal #det-preview { height: auto; }
    DetermineModal #det-error { color: $error; height: auto; }
    """
    BINDINGS = [
        Binding("escape,f3", "cancel", N_("Cancel"), id="determine.cancel"),
        Binding("ctrl+s", "save", N_("Determine"), id="determine.save"),
        Binding("ctrl+r", "preview", N_("Preview"), id="determine.preview"),
    ]

    def __init__(self, detail, hs_max_length: int) -> None:
        super().__init__()
        self.detail = detail
        self.hs_max_length = hs_max_length  # digits of a tariff post (rule set)
        lhp = detail.lhp.lhp if detail.lhp else None
        # the form starts from the LHP: a mismatched item shows the inspector's HS code, undeclared goods
        # are rows of their own (HS code and CIF to determine, empty = left out, which needs a note)
        self.found = {i.seq: i for i in (lhp.items if lhp else ()) if not i.match}
        self.added = undeclared_items(detail.doc, lhp)

    def compose(self) -> ComposeResult:
        tr = self.tr
        with Vertical():
            yield Static("[b]" + tr("Determination") + f"[/b] {esc(self.detail.aju)}")
            with Horizontal(classes="det-row det-head"):  # column heads over the fields they name
                yield Label(tr("Item"))
                yield Label("HS", classes="det-hs")
                yield Label("CIF", classes="det-cif")
                yield Label("BM %", classes="det-bm")
                yield Label(tr("Permit"), classes="det-permit")
            with VerticalScroll():
                for item in self.detail.doc.items:
                    found = self.found.get(item.seq)
                    if found is not None:
                        yield Static("[b red]LHP[/] " + esc(f"#{item.seq}: {found.hs_code} {found.quantity} "
                                                               f"{found.unit} {found.description[:40]}"))
                    with Horizontal(classes="det-row"):
                        yield Label(plain(f"{item.seq}. {item.description[:40]}"))  # wraps to 2 lines
                        yield Input(found.hs_code if found else item.hs_code, id=f"hs-{item.seq}", classes="det-hs",
                                    max_length=self.hs_max_length, compact=True)
                        yield Input(format(item.cif, "f"), id=f"cif-{item.seq}", classes="det-cif", compact=True)
                        yield Input(format(item.bm_rate, "f"), id=f"bm-{item.seq}", classes="det-bm", compact=True)
                        yield Input(item.lartas_permit or "", id=f"permit-{item.seq}", classes="det-permit",
                                    compact=True)
                for item in self.added:
                    with Horizontal(classes="det-row"):
                        yield Label(f"{item.seq}. [b red]+[/]" + esc(item.description[:38]))
                        yield Input("", id=f"hs-{item.seq}", classes="det-hs", max_length=self.hs_max_length,
                                    compact=True, placeholder="HS")
                        yield Input("", id=f"cif-{item.seq}", classes="det-cif", compact=True, placeholder="CIF")
                        yield Input("", id=f"bm-{item.seq}", classes="det-bm", compact=True, placeholder="BM %")
                        yield Input("", id=f"permit-{item.seq}", classes="det-permit", compact=True)
                with Horizontal(classes="det-row"):
                    yield Label(tr("Note"))
                    yield Input(id="det-note", max_length=2000, compact=True)
                yield Static(id="det-preview")
                yield Static(id="det-error")
            yield Static(tr("Enter/Ctrl+R preview · Ctrl+S determine · Esc/F3 cancel"), id="det-keys")

    def on_mount(self) -> None:
        self.query(Input).first().focus()
        self.action_preview()

    def rows(self) -> list[dict[str, str]]:
        """Only what differs from the declaration is sent (the rest stays declared)."""
        out = []
        for item in self.detail.doc.items:
            row = {"seq": str(item.seq)}
            hs = self.query_one(f"#hs-{item.seq}", Input).value.strip()
            cif = self.query_one(f"#cif-{item.seq}", Input).value.strip()
            bm = self.query_one(f"#bm-{item.seq}", Input).value.strip()
            permit = self.query_one(f"#permit-{item.seq}", Input).value.strip()
            if hs != item.hs_code:
                row["hs_code"] = hs
            if cif != format(item.cif, "f"):
                row["cif"] = cif
            if bm != format(item.bm_rate, "f"):
                row["bm_rate"] = bm
            if permit and permit != (item.lartas_permit or ""):
                row["lartas_permit"] = permit
            out.append(row)
        for item in self.added:  # undeclared goods: whatever the examiner typed (all empty = left out)
            row = {"seq": str(item.seq)}
            for key, prefix in (("hs_code", "hs"), ("cif", "cif"), ("bm_rate", "bm"), ("lartas_permit", "permit")):
                value = self.query_one(f"#{prefix}-{item.seq}", Input).value.strip()
                if value:
                    row[key] = value
            out.append(row)
        return out

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_preview()

    def action_preview(self) -> None:
        svc, actor, cid, rows = self.services, self.actor, self.detail.case.id, self.rows()

        def work():
            return svc.pib.preview_determination(actor, cid, svc.pib.determination_from_form(rows))

        self.background(work, self._show_preview, self._failed, group="det-preview")

    def _show_preview(self, a) -> None:
        tr = self.tr
        self.query_one("#det-error", Static).update("")
        det = a.determined.totals if a.determined else a.declared.totals
        lines = [
            tr("Declared total") + f": {rupiah_or(a.declared.totals.total_idr)}   "
            + tr("Determined total") + f": {rupiah_or(det.total_idr)}",
            tr("BM shortfall") + f": {rupiah_or(a.bm_shortfall_idr)}   " + tr("Fine")
            + f": {rupiah_or(a.fine_idr)} ({a.fine_rate_pct}%)",
            tr("Outcome") + f": [b]{esc(a.outcome.value)}[/b]   " + tr("Rule set") + f": {esc(a.ruleset)}",
        ]
        if a.lartas_missing:
            lines.append(tr("Permit missing for item(s) {items}", items=", ".join(map(str, a.lartas_missing))))
        self.query_one("#det-preview", Static).update("\n".join(lines))

    def _failed(self, exc: Exception) -> None:
        self.query_one("#det-error", Static).update(plain(self.error_text(exc)))

    def action_save(self) -> None:
        svc, actor, d, rows = self.services, self.actor, self.detail, self.rows()
        note = self.query_one("#det-note", Input).value

        def work():
            return svc.pib.determine(actor, d.case.id, d.version, svc.pib.determination_from_form(rows), note=note)

        self.background(work, self.dismiss, self._failed, group="det-save")

    def action_cancel(self) -> None:
        self.dismiss(None)
