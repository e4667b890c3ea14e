"""Hangar inspection: the inspector's work queue (the Instruksi Pemeriksaan addressed to them; supervisors see
all), and for one case the LHP being written — containers (ISO 6346 number, size/type, seal and its
condition), items (packages examined, description, brand/type, specification, quantity, origin, HS, match),
undeclared goods, photo references — plus the BAP fisik and BA pengambilan contoh with both signatures.

The LHP is drafted on this screen; Ctrl+S shows the report as it will be issued and asks to confirm. Once
submitted it stays on screen, read-only; an amendment is explicit (A: a new version drafted from the submitted
one, with a reason) and leaves the earlier versions as they were. Each row is validated as it is added, so a bad
container number or quantity is caught at the form. The screen has no text field: its letters never type."""

from __future__ import annotations

import uuid
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static, TabbedContent, TabPane

from screens.base import SectionScreen
from screens.dialogs import PromptModal
from screens.examiner import fixed_columns, short_aju
from screens.preview import PreviewModal
from screens.widgets.form import FormField, FormModal
from screens.widgets.table import DataTable
from screens.widgets.text import cells, esc, plain
from screens.widgets.words import coded, day, word
from workstation.i18n import N_

CAPACITIES = [(N_("PPJK (customs broker)"), "PPJK"), (N_("Importer"), "IMPORTER")]
# the option labels are the status words of words.py ("seal"), translated by the form
SEALS = [(N_("intact"), "intact"), (N_("broken"), "broken"), (N_("no seal"), "none")]
SIZES = [("20'", "20"), ("40'", "40"), ("45'", "45")]


def _representative(v: dict[str, Any]) -> dict[str, Any]:
    return {"name": v.pop("rep_name"), "capacity": v.pop("rep_capacity"), "id_number": v.pop("rep_id")}


class LhpPreviewModal(PreviewModal):
    """The LHP as it will be issued; Ctrl+S (or Enter) submits it, F3 (or Escape) goes back to the draft."""

    BINDINGS = [
        Binding("ctrl+s", "issue", N_("Submit LHP"), id="lhp.confirm"),
        Binding("f3", "back", N_("Back"), id="lhp.back"),
    ]

    def __init__(self, text: str, title: str) -> None:
        super().__init__(text)
        self.title_text = title

    def compose(self) -> ComposeResult:
        from textual.containers import Vertical

        with Vertical():
            yield Static(plain(self.title_text, "bold"), id="lhp-confirm-title")
            with VerticalScroll():
                yield Static(plain(self.text, lines=True), id="preview-text")
            yield Static(self.tr("Ctrl+S/Enter: submit this LHP · F3/Esc: back to the draft"), id="preview-keys")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()  # arrows and PgUp/PgDn read the report


class HangarScreen(SectionScreen):
    TITLE_TEXT = N_("Hangar inspection")
    CSS_PATH = "hangar.tcss"
    # the key bar shows the keys that apply now in this order: submitting first, so 80 columns never cut it
    BINDINGS = [
        Binding("ctrl+s", "submit", N_("Submit LHP"), id="hangar.submit"),
        Binding("a", "amend", N_("Amend LHP"), id="hangar.amend"),
        Binding("c", "container", N_("Container"), id="hangar.container"),
        Binding("t", "item", N_("Item"), id="hangar.item"),
        Binding("x", "undeclared", N_("Undeclared"), id="hangar.undeclared"),
        Binding("f", "photo", N_("Photo"), id="hangar.photo"),
        Binding("b", "bap", N_("BAP fisik"), id="hangar.bap"),
        Binding("m", "sampling", N_("BA contoh"), id="hangar.sampling"),
        # said in the draft's caption line instead of the key bar (two lines at 80 columns hold the rest)
        Binding("delete", "remove", N_("Remove row"), id="hangar.remove", show=False),
        Binding("ctrl+b,escape", "queue", N_("Queue"), id="hangar.queue"),
        Binding("r", "reload", N_("Refresh"), id="hangar.reload"),
    ]

    def __init__(self, section=None) -> None:
        super().__init__()
        self.detail = None
        self.limits = None  # FormLimits of the rule set (HS length), loaded with the case
        self.amending: int | None = None  # the version an amendment being drafted will be
        self._new_draft()

    def _new_draft(self) -> None:
        self.draft: dict[str, Any] = {"containers": [], "items": [], "undeclared": [], "photos": [], "notes": ""}
        self.amending = None

    def compose_body(self) -> ComposeResult:
        tr = self.tr
        with TabbedContent(id="hg-tabs"):
            with TabPane(tr("Work queue"), id="tab-work"):
                yield DataTable(id="hg-queue", cursor_type="row", zebra_stripes=True)
            with TabPane(tr("Inspection"), id="tab-inspection"), VerticalScroll(id="hg-case"):
                yield Static(tr("Open an instruction from the queue (Enter)."), id="ip-head")
                yield Static(id="lhp-state", classes="hg-caption")
                yield Static(tr("Containers"), classes="hg-caption")
                yield DataTable(id="lhp-containers", cursor_type="row")
                yield Static(tr("Items"), classes="hg-caption")
                yield DataTable(id="lhp-items", cursor_type="row")
                yield Static(id="lhp-extra")

    def on_mount(self) -> None:
        tr = self.tr
        # 80 columns: the inspector's own login (and the level, in the case view) come last or not at all
        fixed_columns(self.query_one("#hg-queue", DataTable), ("AJU", 11), (tr("Importer"), 12), ("LHP", 12),
                      (tr("Containers"), 14), (tr("Days"), 4), (tr("Flags"), None), (tr("Inspector"), None))
        fixed_columns(self.query_one("#lhp-containers", DataTable), (tr("Number"), 11), (tr("Size/type"), 11),
                      (tr("Seal"), 14), (tr("Condition"), None))
        fixed_columns(self.query_one("#lhp-items", DataTable), ("#", 3), (tr("Packages"), 10),
                      (tr("Description"), 16), (tr("Qty"), 8), (tr("Origin"), 4), ("HS", 10), (tr("Result"), None))
        self.query_one("#hg-queue", DataTable).focus()  # arrows and Enter work as the queue opens
        self.action_reload()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        # the tab's list takes the keys at once (no Tab first), also when the tab was chosen by mouse
        target = "#hg-queue" if event.pane.id == "tab-work" else "#lhp-items"
        self.query_one(target, DataTable).focus()
        self.refresh_bindings()

    # -- loading ------------------------------------------------------------------------------------------
    def action_reload(self) -> None:
        svc, actor = self.services, self.actor
        # with the submitted LHPs that can still be amended (after the instructions still to do)
        self.background(lambda: svc.pib.queue(actor, view_name="hangar", submitted=True), self._show_queue,
                        group="hg-load")
        if self.detail is not None:
            self._load_case(self.detail.case.id)

    def _show_queue(self, rows) -> None:
        t = self.query_one("#hg-queue", DataTable)
        t.clear()
        for r in rows:
            days = "-" if r.days is None else str(r.days)
            lhp = self.tr("sent") if r.state == "RESEARCH" else self.tr("to write")
            boxes = (r.containers[0] + (f" +{len(r.containers) - 1}" if len(r.containers) > 1 else "")
                     if r.containers else "-")
            t.add_row(*cells(short_aju(r.aju), r.importer_name[:12], lhp, boxes, days, " ".join(r.flags),
                             r.inspector_login or "-"), key=str(r.case_id))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "hg-queue" and event.row_key.value:
            case_id = uuid.UUID(event.row_key.value)
            if self.detail is None or self.detail.case.id != case_id:
                self._new_draft()
            self._load_case(case_id)
            self.query_one("#hg-tabs", TabbedContent).active = "tab-inspection"

    def action_queue(self) -> None:
        self.query_one("#hg-tabs", TabbedContent).active = "tab-work"
        self.query_one("#hg-queue", DataTable).focus()

    def _load_case(self, case_id) -> None:
        svc, actor = self.services, self.actor
        self.background(lambda: (svc.pib.get(actor, case_id), svc.pib.form_limits()), self._show_case,
                        group="hg-case")

    def _show_case(self, data) -> None:
        detail, self.limits = data
        if self.amending is not None and (detail.lhp is None or detail.lhp.version >= self.amending):
            self._new_draft()  # the amendment was recorded (or the case moved on): nothing left to draft
        self.detail = detail
        tr = self.tr
        d, ip = detail, detail.instruction
        lines = [f"[b]{esc(d.aju)}[/b]  {esc(coded(tr, 'pib_state', d.state))}", esc(d.importer_name)]
        if ip:
            lines.append(esc(f"IP {ip.document_number}: {ip.level_pct}%  " + " ".join(ip.containers)))
            if ip.packages:
                lines.append(esc(tr("Packages") + f": {ip.packages}"))
            if ip.memo:
                lines.append(esc(tr("Memo") + f": {ip.memo}"))
            if ip.sample_requested:
                lines.append("[b]" + tr("Samples requested") + "[/b]")
        lines.append(tr("Goods at") + f" {esc(d.goods_location or '-')} " + tr("from") + f" {day(d.goods_ready_on)}   "
                     + tr("In TPS since") + f" {day(d.first_storage_on)} ({d.sla.storage_days} " + tr("days") + ")")
        bap = f"BAP v{d.bap.version}" if d.bap else "[b red]" + tr("BAP fisik missing") + "[/]"
        ba = f"BA contoh v{d.sampling.version}" if d.sampling else "-"
        lhp = f"LHP v{d.lhp.version}" if d.lhp else tr("LHP not submitted")
        lines.append(f"{bap}   {ba}   {lhp}")
        self.query_one("#ip-head", Static).update("\n".join(lines))
        self._show_draft()
        self.refresh_bindings()

    @property
    def read_only(self) -> bool:
        """The submitted LHP is on screen (not a draft): shown, never edited in place."""
        return self.detail is not None and self.detail.lhp is not None and self.amending is None

    def _shown(self) -> dict[str, Any]:
        """What the tables show: the submitted LHP as recorded, or the draft being written."""
        if self.read_only:
            return self.detail.lhp.content
        return self.draft

    def _show_draft(self) -> None:
        tr = self.tr
        d = self.detail
        if d is not None and self.read_only:
            lhp = d.lhp
            state = tr("LHP v{version} submitted {day} by {login}: read-only.", version=lhp.version,
                       day=day(lhp.submitted_at), login=lhp.author_login)
            if self._amend_allowed():
                state += " " + tr("A: amend (version {version}).", version=lhp.version + 1)
            if lhp.amendment_reason:
                state += "\n" + tr("Amendment reason") + ": " + lhp.amendment_reason
        elif self.amending is not None:
            state = tr("Amending the LHP: version {version}, drafted from version {previous}. Ctrl+S submits it.",
                       version=self.amending, previous=self.amending - 1)
        elif d is not None and d.instruction is not None:
            state = tr("LHP draft: add containers (C) and items (T), Del removes a row; Ctrl+S shows the report "
                       "to submit.")
        else:
            state = ""
        self.query_one("#lhp-state", Static).update(plain(state, lines=True))
        shown = self._shown()
        c = self.query_one("#lhp-containers", DataTable)
        c.clear()
        for n, x in enumerate(shown.get("containers", [])):
            c.add_row(*cells(x["number"], f"{x['size']}/{x['type']}", x.get("seal_number") or "-",
                             word(tr, "seal", x["seal_condition"])), key=str(n))
        t = self.query_one("#lhp-items", DataTable)
        t.clear()
        for n, x in enumerate(shown.get("items", [])):
            # 80 columns: the result column must stay in view, so the free text is kept short here
            t.add_row(*cells(str(x["seq"]), x["packages_examined"][:10], x["description"][:16],
                             f"{x['quantity']} {x['unit']}", x["origin"], x["hs_code"]),
                      *cells(tr("match") if x["match"] else tr("mismatch"), style="" if x["match"] else "bold red"),
                      key=str(n))
        extra = []
        for u in shown.get("undeclared", []):
            extra.append(tr("Undeclared") + f": {u['description']} {u['quantity']} {u['unit']}")
        if shown.get("photos"):
            extra.append(tr("Photos") + ": " + ", ".join(shown["photos"]))
        self.query_one("#lhp-extra", Static).update(plain("\n".join(extra), lines=True))

    # -- which keys apply ---------------------------------------------------------------------------------
    def _on_case_tab(self) -> bool:
        return self.query_one("#hg-tabs", TabbedContent).active == "tab-inspection"

    def _amend_allowed(self) -> bool:
        d, actor = self.detail, self.actor
        return (d is not None and d.lhp is not None and d.instruction is not None and actor is not None
                and d.instruction.inspector_id == actor.user_id
                and "pib.amend_lhp" in self.services.pib.allowed_actions(actor, d))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "reload":
            return True
        if action == "queue":
            return self._on_case_tab()
        actor, d = self.actor, self.detail
        if actor is None or d is None or d.instruction is None or not self._on_case_tab():
            return False
        # what the PIB table allows this user in the case's state; that the IP names this inspector is the
        # service's to check (NOT_ASSIGNED)
        allowed = self.services.pib.allowed_actions(actor, d)
        if action == "bap":
            return "pib.record_bap" in allowed
        if action == "sampling":
            return d.instruction.sample_requested and "pib.record_sampling" in allowed
        if action == "amend":
            return self.amending is None and self._amend_allowed()
        drafting = ("pib.submit_lhp" in allowed and d.lhp is None) or (
            self.amending is not None and "pib.amend_lhp" in allowed)
        if action == "submit":
            return drafting and bool(self.draft["items"])
        return drafting

    # -- the minutes --------------------------------------------------------------------------------------
    def _rep_fields(self) -> list[FormField]:
        """The representative who signs, prefilled from the minutes already recorded on this case."""
        known = next((r.content.get("representative") for r in (self.detail.bap, self.detail.sampling) if r), None)
        known = known or {}
        return [FormField("rep_name", N_("Representative (importer / PPJK)"), known.get("name", ""),
                          placeholder=N_("full name as on the ID")),
                FormField("rep_capacity", N_("Capacity"), known.get("capacity", "PPJK"), kind="select",
                          options=CAPACITIES),
                FormField("rep_id", N_("ID (KTP / PPJK card)"), known.get("id_number", ""),
                          placeholder=N_("KTP or PPJK card number"))]

    def action_bap(self) -> None:
        from workstation.services.pib import BapInput, parse_form

        d = self.detail
        svc, actor, cid, version = self.services, self.actor, d.case.id, d.version
        fields = [FormField("place", N_("Place"), d.goods_location or "", placeholder=N_("TPS / hangar")),
                  FormField("inspected_on", N_("Inspected on"), svc.ctx.today(), kind="date"),
                  *self._rep_fields(),
                  FormField("findings", N_("Findings"), max_length=4000,
                            placeholder=N_("what was opened, counted and seen")),
                  FormField("representative_signed", N_("Representative signed"), kind="check"),
                  FormField("inspector_signed", N_("Inspector signed"), kind="check")]

        def submit(v):
            v = dict(v)
            v["representative"] = _representative(v)
            return svc.pib.record_bap(actor, cid, version, parse_form(BapInput, v))

        self._form(self.tr("BAP fisik"), fields, submit, self.tr("BAP fisik recorded."))

    def action_sampling(self) -> None:
        from workstation.services.pib import SamplingInput, parse_form

        d = self.detail
        svc, actor, cid, version = self.services, self.actor, d.case.id, d.version
        items = [(f"{i.seq}. {i.description[:40]}", str(i.seq)) for i in d.doc.items]
        first = d.doc.items[0] if d.doc.items else None
        fields = [FormField("place", N_("Place"), d.goods_location or "", placeholder=N_("TPS / hangar")),
                  FormField("taken_on", N_("Taken on"), svc.ctx.today(), kind="date"),
                  *self._rep_fields(),
                  FormField("seq", N_("PIB item"), items[0][1] if items else "", kind="select", options=items),
                  FormField("description", N_("Sample"), placeholder=N_("what was taken")),
                  FormField("quantity", N_("Quantity"), example="1"),
                  FormField("unit", N_("Unit"), first.unit if first else "PCE", max_length=4),
                  FormField("seal", N_("Sample seal"), placeholder=N_("seal number on the sample bag")),
                  FormField("purpose", N_("Purpose"), placeholder=N_("e.g. laboratory test")),
                  FormField("representative_signed", N_("Representative signed"), kind="check"),
                  FormField("inspector_signed", N_("Inspector signed"), kind="check")]

        def submit(v):
            v = dict(v)
            v["representative"] = _representative(v)
            v["samples"] = [{k: v.pop(k) for k in ("seq", "description", "quantity", "unit", "seal")}]
            return svc.pib.record_sampling(actor, cid, version, parse_form(SamplingInput, v))

        self._form(self.tr("BA pengambilan contoh"), fields, submit, self.tr("BA pengambilan contoh recorded."))

    def _form(self, title: str, fields: list[FormField], submit, done_message: str) -> None:
        def closed(result) -> None:
            if result is not None:
                self.notify(done_message)
                self.action_reload()

        self.app.push_screen(FormModal(title, fields, submit), closed)

    # -- the LHP draft ------------------------------------------------------------------------------------
    def _add(self, key: str, title: str, fields: list[FormField], model, check=None) -> None:
        """A row of the LHP draft, validated as the form is saved (by `check(values)` when given, else by the
        form model); nothing is stored until the LHP is submitted."""
        from workstation.services.pib import parse_form

        def submit(v):
            return check(v) if check is not None else parse_form(model, v).model_dump(mode="json")

        def closed(row) -> None:
            if row is not None:
                self.draft[key].append(row)
                self._show_draft()
                self.refresh_bindings()

        self.app.push_screen(FormModal(title, fields, submit), closed)

    def action_container(self) -> None:
        from workstation.services.pib import LhpContainer

        reported = {c["number"] for c in self.draft["containers"]}
        pending = [c for c in self.detail.instruction.containers if c not in reported]
        # the seal condition is not the last line: its list opens over the lines below it, not the key hint
        fields = [FormField("number", N_("Container number"), pending[0] if pending else "", max_length=11,
                            example="CSQU3054383"),
                  FormField("seal_number", N_("Seal number"), placeholder=N_("as on the seal; empty if none")),
                  FormField("seal_condition", N_("Seal condition"), "intact", kind="select", options=SEALS),
                  FormField("size", N_("Size"), "40", kind="select", options=SIZES),
                  FormField("type", N_("Type (GP, HC, RF...)"), "GP", max_length=4)]
        self._add("containers", self.tr("Container"), fields, LhpContainer)

    def action_item(self) -> None:
        from workstation.services.pib import LhpItem

        done = {i["seq"] for i in self.draft["items"]}
        pending = [i for i in self.detail.doc.items if i.seq not in done]
        item = pending[0] if pending else None
        # prefilled with what the PIB declares for the next item not yet examined: the inspector corrects
        fields = [FormField("seq", N_("PIB item"), str(item.seq) if item else "", max_length=4),
                  FormField("packages_examined", N_("Packages examined"), example="3 CT of 40"),
                  FormField("description", N_("Description"), item.description if item else ""),
                  FormField("brand_type", N_("Brand / type"), placeholder=N_("as marked on the goods")),
                  FormField("specification", N_("Specification"), placeholder=N_("as seen")),
                  FormField("quantity", N_("Quantity"), format(item.quantity, "f") if item else ""),
                  FormField("unit", N_("Unit"), item.unit if item else "", max_length=4),
                  FormField("origin", N_("Origin (country)"), max_length=2, example="CN"),
                  FormField("hs_code", N_("HS code"), item.hs_code if item else "",
                            max_length=self.limits.hs_max_length),
                  FormField("match", N_("Matches the PIB"), "1", kind="check"),
                  FormField("note", N_("Note"))]
        self._add("items", self.tr("Item examined"), fields, LhpItem, self.services.pib.lhp_item)

    def action_undeclared(self) -> None:
        from workstation.services.pib import UndeclaredGoods

        containers = self.detail.instruction.containers
        fields = [FormField("description", N_("Description"), placeholder=N_("what was found")),
                  FormField("quantity", N_("Quantity"), example="20"),
                  FormField("unit", N_("Unit"), "PCE", max_length=4),
                  FormField("container", N_("Container"), containers[0] if len(containers) == 1 else "",
                            max_length=11)]
        self._add("undeclared", self.tr("Undeclared goods"), fields, UndeclaredGoods)

    def action_photo(self) -> None:
        def added(ref: str | None) -> None:
            if ref:
                self.draft["photos"].append(ref)
                self._show_draft()

        self.app.push_screen(PromptModal(self.tr("Photo"), self.tr("Photo reference (file name or id)")), added)

    def action_remove(self) -> None:
        for table_id, key in (("#lhp-items", "items"), ("#lhp-containers", "containers")):
            t = self.query_one(table_id, DataTable)
            if t.has_focus and t.row_count:
                del self.draft[key][t.cursor_row]
                self._show_draft()
                self.refresh_bindings()
                return

    # -- amending -----------------------------------------------------------------------------------------
    def action_amend(self) -> None:
        """Start version n+1 from the submitted LHP: its rows become the draft; nothing is stored until the
        amendment is confirmed (the submitted versions stay as they are)."""
        lhp = self.detail.lhp
        content = lhp.lhp.model_dump(mode="json")
        self.draft = {k: list(content.get(k, [])) for k in ("containers", "items", "undeclared", "photos")}
        self.draft["notes"] = content.get("notes", "")
        self.amending = lhp.version + 1
        self._show_draft()
        self.refresh_bindings()
        self.query_one("#lhp-items", DataTable).focus()

    # -- submitting ---------------------------------------------------------------------------------------
    def action_submit(self) -> None:
        """Show the report as it will be issued (the service checks it as the submission will); submit on
        confirmation. An amendment asks for its reason first."""
        from workstation.services.pib import LhpInput, parse_form

        d = self.detail
        svc, actor, cid, version = self.services, self.actor, d.case.id, d.version
        try:
            form = parse_form(LhpInput, {k: (list(v) if isinstance(v, list) else v) for k, v in self.draft.items()})
        except Exception as exc:  # the rows were checked one by one; this is what only the whole LHP can say
            self.show_error(exc)
            return
        amending = self.amending

        def confirmed(ok: bool | None, reason: str = "") -> None:
            if not ok:
                return

            def work():
                if amending is not None:
                    return svc.pib.amend_lhp(actor, cid, version, form, reason=reason)
                return svc.pib.submit_lhp(actor, cid, version, form)

            self.background(work, self._submitted, group="hg-submit")

        def preview(reason: str = "") -> None:
            title = (self.tr("Amendment of the LHP, version {version}: check and confirm", version=amending)
                     if amending is not None else self.tr("LHP: check the report and confirm"))
            self.background(lambda: svc.pib.preview_lhp(actor, cid, form),
                            lambda text: self.app.push_screen(LhpPreviewModal(text, title),
                                                              lambda ok: confirmed(ok, reason)),
                            group="hg-submit")

        if amending is None:
            preview()
            return

        def with_reason(reason: str | None) -> None:
            if reason:
                preview(reason)

        self.app.push_screen(PromptModal(self.tr("Amend the LHP"), self.tr("Reason for the amendment")),
                             with_reason)

    def _submitted(self, _case) -> None:
        self.notify(self.tr("LHP submitted; it is now locked."))
        self._new_draft()
        self.action_reload()
