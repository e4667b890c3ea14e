"""Hangar inspection: the inspector's work queue (the Instruksi Pemeriksaan addressed to them; supervisors see
all), and for one case the LHP being written — containers (ISO 6346 number, size/type, seal and its
condition), items (packages examined, description, brand/type, specification, quantity, origin, HS, match),
undeclared goods, photo references — plus the BAP fisik and BA pengambilan contoh with both signatures.

The LHP is drafted on this screen and submitted once (Ctrl+S); it is locked from then on (an amendment is a new
version). Each row is validated as it is added, so a bad container number or quantity is caught at the form."""

from __future__ import annotations

import uuid
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from screens.base import SectionScreen
from screens.dialogs import PromptModal
from screens.examiner import day_text, short_aju
from screens.widgets.form import FormField, FormModal
from screens.widgets.text import cells, esc, plain
from workstation.i18n import N_

CAPACITIES = [("PPJK", "PPJK"), ("IMPORTER", "IMPORTER")]
SEALS = [("intact", "intact"), ("broken", "broken"), ("none", "none")]
SIZES = [("20", "20"), ("40", "40"), ("45", "45")]


def _representative(v: dict[str, Any]) -> dict[str, Any]:
    return {"name": v.pop("rep_name"), "capacity": v.pop("rep_capacity"), "id_number": v.pop("rep_id")}


class HangarScreen(SectionScreen):
    TITLE_TEXT = N_("Hangar inspection")
    CSS_PATH = "hangar.tcss"
    BINDINGS = [
        Binding("r", "reload", N_("Refresh"), id="hangar.reload"),
        Binding("b", "bap", N_("BAP fisik"), id="hangar.bap"),
        Binding("m", "sampling", N_("BA contoh"), id="hangar.sampling"),
        Binding("c", "container", N_("Container"), id="hangar.container"),
        Binding("t", "item", N_("Item"), id="hangar.item"),
        Binding("x", "undeclared", N_("Undeclared"), id="hangar.undeclared"),
        Binding("f", "photo", N_("Photo"), id="hangar.photo"),
        Binding("delete", "remove", N_("Remove row"), id="hangar.remove", show=False),
        Binding("ctrl+s", "submit", N_("Submit LHP"), id="hangar.submit"),
    ]

    def __init__(self, section=None) -> None:
        super().__init__()
        self.detail = None
        self.limits = None  # FormLimits of the rule set (HS length), loaded with the case
        self._new_draft()

    def _new_draft(self) -> None:
        self.draft: dict[str, list] = {"containers": [], "items": [], "undeclared": [], "photos": []}

    def compose_body(self) -> ComposeResult:
        tr = self.tr
        with TabbedContent(id="hg-tabs"):
            with TabPane(tr("Work queue"), id="tab-work"):
                yield DataTable(id="hg-queue", cursor_type="row", zebra_stripes=True)
            with TabPane(tr("Inspection"), id="tab-inspection"), VerticalScroll():
                yield Static(tr("Open an instruction from the queue (Enter)."), id="ip-head")
                yield Static(tr("Containers"), classes="hg-caption")
                yield DataTable(id="lhp-containers", cursor_type="row")
                yield Static(tr("Items"), classes="hg-caption")
                yield DataTable(id="lhp-items", cursor_type="row")
                yield Static(id="lhp-extra")

    def on_mount(self) -> None:
        tr = self.tr
        self.query_one("#hg-queue", DataTable).add_columns(
            "AJU", tr("Importer"), tr("Level"), tr("Containers"), tr("Inspector"), tr("Days"), tr("Flags"))
        self.query_one("#lhp-containers", DataTable).add_columns(
            tr("Number"), tr("Size/type"), tr("Seal"), tr("Condition"))
        self.query_one("#lhp-items", DataTable).add_columns(
            "#", tr("Packages"), tr("Description"), tr("Qty"), tr("Origin"), "HS", tr("Result"))
        self.action_reload()

    # -- loading ------------------------------------------------------------------------------------------
    def action_reload(self) -> None:
        svc, actor = self.services, self.actor
        self.background(lambda: svc.pib.queue(actor, view_name="hangar"), self._show_queue, group="hg-load")
        if self.detail is not None:
            self._load_case(self.detail.case.id)

    def _show_queue(self, rows) -> None:
        t = self.query_one("#hg-queue", DataTable)
        t.clear()
        for r in rows:
            days = "-" if r.days is None else str(r.days)
            t.add_row(*cells(short_aju(r.aju), r.importer_name[:14], f"{r.level_pct}%", " ".join(r.containers)[:24],
                             r.inspector_login or "-", days, " ".join(r.flags)), key=str(r.case_id))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "hg-queue" and event.row_key.value:
            case_id = uuid.UUID(event.row_key.value)
            if self.detail is None or self.detail.case.id != case_id:
                self._new_draft()
            self._load_case(case_id)
            self.query_one("#hg-tabs", TabbedContent).active = "tab-inspection"

    def _load_case(self, case_id) -> None:
        svc, actor = self.services, self.actor
        self.background(lambda: (svc.pib.get(actor, case_id), svc.pib.form_limits()), self._show_case,
                        group="hg-case")

    def _show_case(self, data) -> None:
        detail, self.limits = data
        self.detail = detail
        tr = self.tr
        d, ip = detail, detail.instruction
        lines = [f"[b]{esc(d.aju)}[/b]  {d.state}  {esc(d.importer_name)}"]
        if ip:
            lines.append(esc(f"IP {ip.document_number}: {ip.level_pct}%  " + " ".join(ip.containers)))
            if ip.packages:
                lines.append(esc(tr("Packages") + f": {ip.packages}"))
            if ip.memo:
                lines.append(esc(tr("Memo") + f": {ip.memo}"))
            if ip.sample_requested:
                lines.append("[b]" + tr("Samples requested") + "[/b]")
        lines.append(tr("Goods at") + f" {esc(d.goods_location or '-')} " + tr("from") + f" {day_text(d.goods_ready_on)}   "
                     + tr("In TPS since") + f" {day_text(d.first_storage_on)} ({d.sla.storage_days} " + tr("days") + ")")
        bap = f"BAP v{d.bap.version}" if d.bap else "[b red]" + tr("BAP fisik missing") + "[/]"
        ba = f"BA contoh v{d.sampling.version}" if d.sampling else "-"
        lhp = f"LHP v{d.lhp.version}" if d.lhp else tr("LHP not submitted")
        lines.append(f"{bap}   {ba}   {lhp}")
        self.query_one("#ip-head", Static).update("\n".join(lines))
        self._show_draft()
        self.refresh_bindings()

    def _show_draft(self) -> None:
        c = self.query_one("#lhp-containers", DataTable)
        c.clear()
        for n, x in enumerate(self.draft["containers"]):
            c.add_row(*cells(x["number"], f"{x['size']}/{x['type']}", x.get("seal_number") or "-",
                             x["seal_condition"]), key=str(n))
        t = self.query_one("#lhp-items", DataTable)
        t.clear()
        for n, x in enumerate(self.draft["items"]):
            t.add_row(*cells(str(x["seq"]), x["packages_examined"], x["description"][:20],
                             f"{x['quantity']} {x['unit']}", x["origin"], x["hs_code"]),
                      self.tr("match") if x["match"] else "[b red]" + self.tr("mismatch") + "[/]", key=str(n))
        extra = []
        for u in self.draft["undeclared"]:
            extra.append(self.tr("Undeclared") + f": {u['description']} {u['quantity']} {u['unit']}")
        if self.draft["photos"]:
            extra.append(self.tr("Photos") + ": " + ", ".join(self.draft["photos"]))
        self.query_one("#lhp-extra", Static).update(plain("\n".join(extra), lines=True))

    # -- which keys apply ---------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "reload":
            return True
        actor, d = self.actor, self.detail
        if actor is None or d is None or d.instruction is None:
            return False
        # what the PIB table allows this user in the case's state; that the IP names this inspector is the
        # service's to check (NOT_ASSIGNED)
        allowed = self.services.pib.allowed_actions(actor, d)
        if action == "bap":
            return "pib.record_bap" in allowed
        if action == "sampling":
            return d.instruction.sample_requested and "pib.record_sampling" in allowed
        drafting = bool(allowed & {"pib.submit_lhp", "pib.amend_lhp"})
        if action == "submit":
            return drafting and bool(self.draft["items"])
        return drafting

    # -- the minutes --------------------------------------------------------------------------------------
    def _rep_fields(self) -> list[FormField]:
        return [FormField("rep_name", N_("Representative")),
                FormField("rep_capacity", N_("Capacity"), "PPJK", kind="select", options=CAPACITIES),
                FormField("rep_id", N_("ID (KTP / PPJK card)"))]

    def action_bap(self) -> None:
        from workstation.services.pib import BapInput, parse_form

        d = self.detail
        svc, actor, cid, version = self.services, self.actor, d.case.id, d.version
        fields = [FormField("place", N_("Place"), d.goods_location or ""),
                  FormField("inspected_on", N_("Date (YYYY-MM-DD)"), svc.ctx.today().isoformat()),
                  *self._rep_fields(),
                  FormField("findings", N_("Findings"), max_length=4000),
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
        fields = [FormField("place", N_("Place"), d.goods_location or ""),
                  FormField("taken_on", N_("Date (YYYY-MM-DD)"), svc.ctx.today().isoformat()),
                  *self._rep_fields(),
                  FormField("seq", N_("PIB item")), FormField("description", N_("Sample")),
                  FormField("quantity", N_("Quantity")), FormField("unit", N_("Unit"), "PCE"),
                  FormField("seal", N_("Sample seal")), FormField("purpose", N_("Purpose")),
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
        fields = [FormField("number", N_("Container number"), pending[0] if pending else "", max_length=11),
                  FormField("size", N_("Size"), "40", kind="select", options=SIZES),
                  FormField("type", N_("Type (GP, HC, RF...)"), "GP", max_length=4),
                  FormField("seal_number", N_("Seal number")),
                  FormField("seal_condition", N_("Seal condition"), "intact", kind="select", options=SEALS)]
        self._add("containers", self.tr("Container"), fields, LhpContainer)

    def action_item(self) -> None:
        from workstation.services.pib import LhpItem

        done = {i["seq"] for i in self.draft["items"]}
        pending = [i for i in self.detail.doc.items if i.seq not in done]
        item = pending[0] if pending else None
        fields = [FormField("seq", N_("PIB item"), str(item.seq) if item else ""),
                  FormField("packages_examined", N_("Packages examined")),
                  FormField("description", N_("Description"), item.description if item else ""),
                  FormField("brand_type", N_("Brand / type")),
                  FormField("specification", N_("Specification")),
                  FormField("quantity", N_("Quantity"), format(item.quantity, "f") if item else ""),
                  FormField("unit", N_("Unit"), item.unit if item else ""),
                  FormField("origin", N_("Origin (country)")),
                  FormField("hs_code", N_("HS code"), item.hs_code if item else "",
                            max_length=self.limits.hs_max_length),
                  FormField("match", N_("Matches the PIB"), "1", kind="check"),
                  FormField("note", N_("Note"))]
        self._add("items", self.tr("Item examined"), fields, LhpItem, self.services.pib.lhp_item)

    def action_undeclared(self) -> None:
        from workstation.services.pib import UndeclaredGoods

        fields = [FormField("description", N_("Description")), FormField("quantity", N_("Quantity")),
                  FormField("unit", N_("Unit"), "PCE"), FormField("container", N_("Container"))]
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
                return

    def action_submit(self) -> None:
        from workstation.services.pib import LhpInput, parse_form

        d = self.detail
        svc, actor, cid, version = self.services, self.actor, d.case.id, d.version
        draft = {k: list(v) for k, v in self.draft.items()}

        def work():
            return svc.pib.submit_lhp(actor, cid, version, parse_form(LhpInput, draft))

        def done(_case) -> None:
            self.notify(self.tr("LHP submitted; it is now locked."))
            self._new_draft()
            self.action_reload()

        self.background(work, done, group="hg-submit")
