"""Administration (F9, issue #15 item 3): one tab per part, keyboard first, 80×24.

Digits 1-6 switch tabs (the lists have the focus, so a digit never types into a field); each tab's line of
keys is shown at its top, and only that tab's keys are active (check_action). Every change goes through a
service that checks the role, the row's version where it has one, and audits in the same transaction; the
forms are the app's one FormModal (Ctrl+S/F2 save, Esc/F3 cancel)."""

from __future__ import annotations

import uuid
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static, TabbedContent, TabPane

from screens.base import SectionScreen
from screens.widgets.form import FormField, FormModal
from screens.widgets.table import DataTable, fill
from screens.widgets.text import cells, plain
from screens.widgets.words import day, word
from workstation.domain.codes import Role
from workstation.i18n import N_

ROLE_NAMES = {
    Role.OFFICER: N_("Counter officer"),
    Role.INSPECTOR: N_("Physical inspector"),
    Role.EXAMINER: N_("Document examiner"),
    Role.SUPERVISOR: N_("Supervisor"),
    Role.ADMIN: N_("Administrator"),
}

# tab id -> (English title, the keys line shown at its top)
TABS: tuple[tuple[str, str, str], ...] = (
    ("tab-users", N_("Users"),
     N_("n new · o roles · d deactivate · a reactivate · u unlock · p password · k SSH keys · / search")),
    ("tab-sessions", N_("Sessions"), N_("e end the session")),
    ("tab-office", N_("Office"), N_("f office settings")),
    ("tab-rates", N_("Rates"), N_("i import a rates file · / currency")),
    ("tab-blocks", N_("Blocks"), N_("b block · x lift the block · / search")),
    ("tab-tariff", N_("Tariff"), N_("/ search HS code or words")),
    ("tab-tps", N_("TPS"), N_("e edit the TPS · n new TPS")),
    ("tab-devices", N_("Devices"), N_("r refresh")),
    ("tab-units", N_("Units"), N_("n new unit · t new enrolment token · x revoke")),
)
# action -> the tab it belongs to (hidden elsewhere)
ACTION_TAB = {
    "new_user": "tab-users", "roles": "tab-users", "deactivate": "tab-users", "reactivate": "tab-users",
    "unlock": "tab-users", "password": "tab-users", "ssh_keys": "tab-users",
    "end_session": "tab-sessions", "office": "tab-office", "import_rates": "tab-rates",
    "block": "tab-blocks", "unblock": "tab-blocks",
    "edit_tps": "tab-tps", "new_tps": "tab-tps",
    "new_unit": "tab-units", "reenrol_unit": "tab-units", "revoke_unit": "tab-units",
    "search": ("tab-users", "tab-rates", "tab-blocks", "tab-tariff"),
}


# device health states (devices/events.py DeviceHealth.state); words.py's "device" group lacks the last two
DEVICE_STATES = {"connected": N_("connected"), "disconnected": N_("disconnected"), "error": N_("error"),
                 "starting": N_("starting"), "stopped": N_("stopped")}


def rate_text(value) -> str:
    """An NDPBM rate as the app writes numbers: Indonesian grouping (16.250,00)."""
    return f"{value:,.2f}".replace(",", "\0").replace(".", ",").replace("\0", ".")


def _ts(value, zone) -> str:
    return value.astimezone(zone).strftime("%d-%m-%Y %H:%M") if value else "-"


class AdminScreen(SectionScreen):
    TITLE_TEXT = N_("Administration")
    CSS = """
    AdminScreen .admin-keys { color: $text-muted; height: auto; }
    AdminScreen Tab { padding: 0 1 0 0; }
    AdminScreen .admin-note { height: auto; }
    AdminScreen #rulesets { height: auto; max-height: 7; }
    AdminScreen #lartas { height: auto; max-height: 7; }
    """
    BINDINGS = [
        *(Binding(str(n), f"tab('{tab}')", title, show=False, id=f"admin.tab{n}")
          for n, (tab, title, _) in enumerate(TABS, start=1)),
        Binding("n", "new_user", N_("New user"), id="admin.new_user"),
        Binding("o", "roles", N_("Roles"), id="admin.roles"),
        Binding("d", "deactivate", N_("Deactivate"), id="admin.deactivate"),
        Binding("a", "reactivate", N_("Reactivate"), id="admin.reactivate"),
        Binding("u", "unlock", N_("Unlock"), id="admin.unlock"),
        Binding("p", "password", N_("Password"), id="admin.password"),
        Binding("k", "ssh_keys", N_("SSH keys"), id="admin.ssh_keys"),
        Binding("e", "end_session", N_("End session"), id="admin.end_session"),
        Binding("f", "office", N_("Office settings"), id="admin.office"),
        Binding("i", "import_rates", N_("Import rates"), id="admin.import_rates"),
        Binding("b", "block", N_("Block"), id="admin.block"),
        Binding("x", "unblock", N_("Lift block"), id="admin.unblock"),
        Binding("e", "edit_tps", N_("Edit TPS"), id="admin.edit_tps"),
        Binding("n", "new_tps", N_("New TPS"), id="admin.new_tps"),
        Binding("n", "new_unit", N_("New unit"), id="admin.new_unit"),
        Binding("t", "reenrol_unit", N_("New token"), id="admin.reenrol_unit"),
        Binding("x", "revoke_unit", N_("Revoke unit"), id="admin.revoke_unit"),
        Binding("slash", "search", N_("Search"), id="admin.search"),
        Binding("r", "reload", N_("Refresh"), id="admin.reload"),
    ]

    def __init__(self, section=None) -> None:
        super().__init__()
        self.search_terms: dict[str, str] = {}
        self.user_rows: dict[str, Any] = {}
        self.office_view: Any = None
        self.column_labels: dict[str, tuple[str, ...]] = {}
        self.tps_rows: dict[str, Any] = {}

    # -- layout ----------------------------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        tr = self.tr
        with TabbedContent(id="admin-tabs"):
            for n, (tab, title, keys) in enumerate(TABS, start=1):
                with TabPane(f"{n} {tr(title)}", id=tab):
                    yield Static(tr(keys), classes="admin-keys", id=f"{tab}-keys")
                    yield from self._tab_body(tab)

    def _tab_body(self, tab: str) -> ComposeResult:
        table = dict(cursor_type="row", zebra_stripes=True)
        if tab == "tab-users":
            yield DataTable(id="users", **table)
        elif tab == "tab-sessions":
            yield DataTable(id="sessions", **table)
        elif tab == "tab-office":
            yield Static(id="office-view", classes="admin-note")
        elif tab == "tab-rates":
            yield DataTable(id="rulesets", **table)
            yield DataTable(id="rates", **table)
        elif tab == "tab-blocks":
            yield DataTable(id="blocks", **table)
        elif tab == "tab-tariff":
            yield DataTable(id="tariff", **table)
            yield DataTable(id="lartas", **table)
        elif tab == "tab-tps":
            yield DataTable(id="tps", **table)
        elif tab == "tab-units":
            yield DataTable(id="units", **table)
        elif tab == "tab-devices":
            yield DataTable(id="devices", **table)

    def on_mount(self) -> None:
        self._columns()
        self.action_reload()
        self.query_one("#users", DataTable).focus()

    def _columns(self) -> None:
        tr = self.tr
        columns = {
            "users": (tr("Login"), tr("Name"), "NIP", tr("Roles"), tr("State"), "SSH"),
            "sessions": (tr("Login"), tr("Started"), tr("Seen"), tr("Client")),
            "rulesets": (tr("Rule set"), tr("Kind"), tr("From"), tr("To"), "SHA-256", tr("Decisions")),
            "rates": (tr("Currency"), tr("Rate (Rp)"), tr("From"), tr("To"), tr("Source")),
            "blocks": ("NPWP", tr("Name"), tr("Reason"), tr("Blocked"), tr("By")),
            "tariff": (tr("HS code"), tr("Description"), "BM %"),
            "lartas": (tr("HS prefix"), tr("Permit"), tr("Agency")),
            "tps": (tr("Code"), tr("Name"), tr("Port"), "TEU", "m³", tr("Facilities"), tr("Containers")),
            "units": (tr("Unit code"), tr("Name"), tr("State"), "Epoch", tr("Last seen")),
            "devices": (tr("Device"), tr("Kind"), tr("Serial port"), tr("State"), tr("Since"), tr("Last error")),
        }
        self.column_labels = columns
        for table_id, cols in columns.items():
            t = self.query_one(f"#{table_id}", DataTable)
            t.clear(columns=True)
            t.add_columns(*cols)

    def refresh_language(self) -> None:
        super().refresh_language()
        tabs = self.query_one("#admin-tabs", TabbedContent)
        for n, (tab, title, keys) in enumerate(TABS, start=1):
            tabs.get_tab(tab).label = f"{n} {self.tr(title)}"
            self.query_one(f"#{tab}-keys", Static).update(self.tr(keys))
        self._columns()
        self.action_reload()

    # -- which keys apply ------------------------------------------------------------------------------------
    @property
    def active_tab(self) -> str:
        return self.query_one("#admin-tabs", TabbedContent).active

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        tabs = ACTION_TAB.get(action)
        if tabs is None:
            return True
        try:
            current = self.active_tab
        except Exception:  # before the tabs exist
            return True
        return current in tabs if isinstance(tabs, tuple) else current == tabs

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.refresh_bindings()
        pane = event.pane
        tables = list(pane.query(DataTable))
        if tables:
            tables[0].focus()

    def action_tab(self, tab: str) -> None:
        self.query_one("#admin-tabs", TabbedContent).active = tab

    # -- loading ---------------------------------------------------------------------------------------------
    def action_reload(self) -> None:
        svc, actor, terms = self.services, self.actor, dict(self.search_terms)

        def load():
            admin = svc.admin
            return {
                "users": admin.list_users(actor, terms.get("tab-users", "")),
                "sessions": svc.auth.list_sessions(actor),
                "rulesets": admin.rule_sets(actor),
                "rates": admin.rates(actor, terms.get("tab-rates", "")),
                "blocks": admin.importer_blocks(actor, terms.get("tab-blocks", "")),
                "tariff": admin.tariff_posts(actor, terms.get("tab-tariff", "")),
                "lartas": admin.lartas_rules(actor, terms.get("tab-tariff", "")),
                "tps": admin.tps_list(actor),
                "units": admin.units(actor),
            }

        self.call_service(load, group="admin-load", on_result=self._show)
        self._load_office()
        self._show_devices()

    def _show_devices(self) -> None:
        """Configured devices with this process's health of each (the device manager runs in the app)."""
        tr, zone = self.tr, self.wapp.settings.zone
        bridge = getattr(self.app, "devices", None)
        manager = getattr(bridge, "manager", None)
        health = manager.health() if manager is not None else {}
        specs = getattr(bridge, "specs", None) or []
        rows = []
        for spec in specs:
            h = health.get(spec.name)
            state = (tr(DEVICE_STATES[h.state]) if h.state in DEVICE_STATES else word(tr, "device", h.state)) if h \
                else tr("not started")
            rows.append((spec.name, cells(spec.name, getattr(spec, "kind", "-"),
                                          str(getattr(spec, "port", None) or "-")[:20], state,
                                          h.since.astimezone(zone).strftime("%d-%m %H:%M") if h else "-",
                                          (h.last_error or "-")[:30] if h else "-")))
        fill(self.query_one("#devices", DataTable), self.column_labels["devices"], rows)

    def on_device_event_message(self, message) -> None:
        from devices.events import DeviceHealthChanged

        if isinstance(message.event, DeviceHealthChanged):
            self._show_devices()

    def _load_office(self) -> None:
        view = self.query_one("#office-view", Static)
        get = getattr(self.services.office, "get", None)
        if get is None:
            view.update(self.tr("Office settings are not available in this version."))
            return
        self.call_service(get, group="admin-office", on_result=lambda o: self._office_loaded(view, o),
                          on_error=lambda e: view.update(plain(self.error_text(e))))

    def _office_loaded(self, view: Static, office: Any) -> None:
        self.office_view = office
        view.update(self._office_text(office))

    def _office_text(self, office: Any):
        tr = self.tr
        lines = []
        for attr, label in (("code", N_("Office code")), ("name", N_("Name")), ("address", N_("Address")),
                            ("city", N_("City")), ("phone", N_("Phone")),
                            ("timezone", N_("Time zone"))):
            value = getattr(office, attr, None)
            if value is not None:
                lines.append(f"{tr(label)}: {value}")
        if not getattr(office, "configured", True):
            lines.append(tr("Not configured yet: nothing can be issued until the office is entered (f)."))
        return plain("\n".join(lines) or "-", lines=True)

    def _show(self, data: dict[str, list[Any]]) -> None:
        zone = self.wapp.settings.zone
        self.user_rows = {u.login: u for u in data["users"]}
        rows = {
            "users": [(u.login, cells(u.login, u.full_name[:22], u.nip or "-",
                                      ", ".join(word(self.tr, "role", r.value) for r in sorted(u.roles)), self._state(u), str(u.ssh_keys)))
                      for u in data["users"]],
            "sessions": [(str(s.id), cells(s.login, _ts(s.started_at, zone), _ts(s.last_seen_at, zone),
                                           s.client[:36])) for s in data["sessions"]],
            "rulesets": [(f"{r.id}:{r.sha256}", cells(r.id, r.kind, day(r.valid_from), day(r.valid_to),
                                                      r.sha256[:12] + ("" if r.shipped else " *"), str(r.decisions)))
                         for r in data["rulesets"]],
            "rates": [(None, cells(r.currency, rate_text(r.rate_idr), day(r.valid_from), day(r.valid_to),
                                   r.source[:20]))
                      for r in data["rates"]],
            "blocks": [(b.npwp, cells(b.npwp, b.name[:16], b.reason[:22], day(b.blocked_at.astimezone(zone)),
                                      b.blocked_by))
                       for b in data["blocks"]],
            "tariff": [(t.hs_code, cells(t.hs_code, t.description[:48], t.bm_rate)) for t in data["tariff"]],
            "lartas": [(r.hs_prefix, cells(r.hs_prefix, r.permit[:40], r.agency[:20])) for r in data["lartas"]],
            "tps": [(t.code, cells(t.code, t.name[:20], t.port, "-" if t.capacity_teu is None else str(t.capacity_teu),
                                   "-" if t.capacity_m3 is None else f"{t.capacity_m3.normalize():f}",
                                   ",".join(t.facilities) or "-",
                                   str(t.containers))) for t in data["tps"]],
            "units": [(u.code, cells(u.code, u.name[:28], self._unit_state(u), str(u.epoch),
                                     _ts(u.last_seen_at, zone))) for u in data["units"]],
        }
        self.tps_rows = {t.code: t for t in data["tps"]}
        for tab, _title, keys in TABS:  # a filter in force is said beside the keys, never silent
            term = self.search_terms.get(tab, "")
            line = self.tr(keys) + (" · " + self.tr("filter: {term}", term=term) if term else "")
            self.query_one(f"#{tab}-keys", Static).update(plain(line))
        for table_id, items in rows.items():
            # columns again too: a table already drawn keeps its columns as wide as they were (Textual 8)
            fill(self.query_one(f"#{table_id}", DataTable), self.column_labels[table_id], items)


    def _unit_state(self, u) -> str:
        if u.revoked:
            return self.tr("revoked")
        if u.enrolled:
            return self.tr("enrolled") + (" · " + self.tr("token issued") if u.pending_token else "")
        return self.tr("token issued")

    def _state(self, u) -> str:
        if not u.active:
            return self.tr("disabled")
        return self.tr("LOCKED") if u.locked else self.tr("active")

    def _selected(self, table_id: str) -> str | None:
        table = self.query_one(f"#{table_id}", DataTable)
        if table.row_count == 0:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def _done(self, message: str) -> None:
        self.notify(message)
        self.action_reload()

    def _form(self, title: str, fields: list[FormField], submit, done_text: str, note: str = "") -> None:
        def run(values):
            result = submit(values)
            return True if result is None else result  # None is what a cancelled form gives

        self.app.push_screen(FormModal(title, fields, run, note=note),
                             lambda result: result is not None and self._done(done_text))

    # -- users -----------------------------------------------------------------------------------------------
    def _user(self):
        login = self._selected("users")
        return self.user_rows.get(login) if login else None

    def action_new_user(self) -> None:
        admin, actor, tr = self.services.admin, self.actor, self.tr
        fields = [FormField("login", N_("Login"), max_length=32),
                  FormField("full_name", N_("Full name"), max_length=200),
                  FormField("nip", N_("NIP (18 digits)"), max_length=18),
                  FormField("password", N_("Password"), password=True),
                  *(FormField(f"role_{r.value}", ROLE_NAMES[r], kind="check") for r in Role)]

        def submit(v):
            roles = [r.value for r in Role if v[f"role_{r.value}"]]
            return admin.create_user(actor, v["login"], v["full_name"], roles, v["password"], nip=v["nip"])

        self._form(tr("New user"), fields, submit, tr("User created."),
                   note=tr("The NIP is optional; when given it has 18 digits. At least 8 characters of password: "
                           "the user chooses their own at the first login."))

    def action_roles(self) -> None:
        u = self._user()
        if u is None:
            return
        admin, actor, tr = self.services.admin, self.actor, self.tr
        fields = [FormField(f"role_{r.value}", ROLE_NAMES[r], kind="check", value="1" if r in u.roles else "")
                  for r in Role]

        def submit(v):
            return admin.set_roles(actor, u.login, [r.value for r in Role if v[f"role_{r.value}"]], u.version)

        self._form(tr("Roles of {login}", login=u.login), fields, submit, tr("Roles saved."))

    def _reason_form(self, title: str, submit, done: str) -> None:
        self._form(title, [FormField("reason", N_("Reason"))], submit, done)

    def action_deactivate(self) -> None:
        u = self._user()
        if u is None:
            return
        admin, actor, tr = self.services.admin, self.actor, self.tr
        self._reason_form(tr("Deactivate {login}", login=u.login),
                          lambda v: admin.deactivate(actor, u.login, v["reason"], u.version),
                          tr("{login} deactivated.", login=u.login))

    def action_reactivate(self) -> None:
        u = self._user()
        if u is None:
            return
        admin, actor, tr = self.services.admin, self.actor, self.tr
        self._reason_form(tr("Reactivate {login}", login=u.login),
                          lambda v: admin.reactivate(actor, u.login, v["reason"], u.version),
                          tr("{login} reactivated.", login=u.login))

    def action_unlock(self) -> None:
        u = self._user()
        if u is None:
            return
        admin, actor, tr = self.services.admin, self.actor, self.tr
        self.call_service(admin.unlock, actor, u.login, u.version, group="admin-act", exclusive=False,
                          on_result=lambda _: self._done(tr("{login} unlocked.", login=u.login)))

    def action_password(self) -> None:
        u = self._user()
        if u is None:
            return
        admin, actor, tr = self.services.admin, self.actor, self.tr
        fields = [FormField("password", N_("New password"), password=True),
                  FormField("again", N_("The same again"), password=True)]

        def submit(v):
            if v["password"] != v["again"]:
                from workstation.domain.errors import ErrorCode
                from workstation.errors import InputError

                raise InputError("the two passwords differ", code=ErrorCode.PASSWORDS_DIFFER, field="again")
            return admin.reset_password(actor, u.login, v["password"], u.version)

        self._form(tr("New password for {login}", login=u.login), fields, submit,
                   tr("Password of {login} reset.", login=u.login),
                   note=tr("Give it to the user in person: they choose their own at the next login, and their "
                           "open sessions end. A lockout is cleared too."))

    def action_ssh_keys(self) -> None:
        u = self._user()
        if u is None:
            return
        from screens.admin_keys import SshKeysModal

        self.app.push_screen(SshKeysModal(u.login), lambda _: self.action_reload())

    # -- sessions --------------------------------------------------------------------------------------------
    def action_end_session(self) -> None:
        sid = self._selected("sessions")
        if sid is None:
            return
        admin, actor, tr = self.services.admin, self.actor, self.tr
        self._reason_form(tr("End session"), lambda v: admin.end_session(actor, uuid.UUID(sid), v["reason"]),
                          tr("Session ended."))

    # -- office ----------------------------------------------------------------------------------------------
    def action_office(self) -> None:
        try:
            from screens.office import OfficeFormModal  # built by another part of #15
        except ImportError:
            self.notify(self.tr("Office settings are not available in this version."), severity="warning")
            return
        self.app.push_screen(OfficeFormModal(self.office_view), lambda _: self._load_office())

    # -- rates -----------------------------------------------------------------------------------------------
    def action_import_rates(self) -> None:
        ref, actor, tr = self.services.reference, self.actor, self.tr

        def submit(v):
            return ref.import_rates(actor, v["path"].strip() or None)

        def imported(result) -> None:
            if result is not None:
                added, unchanged = result
                self._done(tr("Rates imported: {added} new, {unchanged} already stored.", added=added,
                              unchanged=unchanged))

        self.app.push_screen(FormModal(tr("Import a rates file"), [FormField("path", N_("File"), max_length=1000)],
                                       submit, note=tr("The NDPBM file of the Minister's decree (CSV). Nothing "
                                                       "is written if one line is wrong.")), imported)

    # -- blocked importers -----------------------------------------------------------------------------------
    def action_block(self) -> None:
        admin, actor, tr = self.services.admin, self.actor, self.tr
        fields = [FormField("npwp", "NPWP", max_length=30), FormField("name", N_("Importer name"), max_length=200),
                  FormField("reason", N_("Reason"))]
        self._form(tr("Block an importer"), fields,
                   lambda v: admin.block_importer(actor, v["npwp"], v["name"], v["reason"]),
                   tr("Importer blocked."), note=tr("Its next PIBs are rejected until the block is lifted."))

    def action_unblock(self) -> None:
        npwp = self._selected("blocks")
        if npwp is None:
            return
        admin, actor, tr = self.services.admin, self.actor, self.tr
        self._reason_form(tr("Lift the block of {npwp}", npwp=npwp),
                          lambda v: admin.unblock_importer(actor, npwp, v["reason"]), tr("Block lifted."))

    # -- search ----------------------------------------------------------------------------------------------
    def action_search(self) -> None:
        tab, tr = self.active_tab, self.tr
        label = N_("Currency (e.g. USD)") if tab == "tab-rates" else N_("Search for")

        def searched(term) -> None:
            if term is not None:
                self.search_terms[tab] = term
                self.action_reload()

        self.app.push_screen(FormModal(tr("Search"), [FormField("term", label, value=self.search_terms.get(tab, ""))],
                                       lambda v: v["term"].strip(), note=tr("Empty shows everything.")), searched)

    # -- TPS registry ----------------------------------------------------------------------------------------
    def _tps_form(self, tps) -> None:
        plp, actor, tr = self.services.plp, self.actor, self.tr

        def dec(v) -> str:
            return "" if v is None else f"{v:f}"

        fields = [
            FormField("code", N_("TPS code"), value=tps.code if tps else "", max_length=8),
            FormField("name", N_("Name"), value=tps.name if tps else "", max_length=200),
            FormField("operator", N_("Operator"), value=tps.operator if tps else "", max_length=200),
            FormField("port", N_("Port (UN/LOCODE)"), value=tps.port if tps else "", max_length=5),
            FormField("capacity_teu", N_("Yard capacity (TEU)"),
                      value="" if not tps or tps.capacity_teu is None else str(tps.capacity_teu), max_length=9),
            FormField("capacity_m3", N_("Shed capacity (m³)"), value=dec(tps.capacity_m3) if tps else "",
                      max_length=16),
            FormField("facilities", N_("Facilities (LCL, DG, COLD)"), value=",".join(tps.facilities) if tps else "",
                      max_length=40),
        ]
        entered = tps is not None and tps.source == "entered"
        keep_teu = tps.teu_used if entered else None
        keep_m3 = tps.m3_used if entered else None

        def submit(v):
            # the version shown when it is that TPS being saved, else 0: a new TPS (or a code edited into a new
            # one) that must not exist yet — someone else's change is refused (VERSION_CONFLICT), not overwritten
            same = tps is not None and v["code"].strip().upper() == tps.code
            return plp.save_tps(actor, v["code"], v["name"], v["operator"], v["port"], v["capacity_teu"] or None,
                                capacity_m3=v["capacity_m3"] or None, facilities=v["facilities"],
                                occupancy_teu_entered=keep_teu, occupancy_m3_entered=keep_m3,
                                version=tps.version if tps is not None and same else 0)

        title = tr("TPS {code}", code=tps.code) if tps else tr("New TPS")
        self._form(title, fields, submit, tr("TPS saved."),
                   note=tr("A yard in TEU, a shed in m³: at least one. The operator's occupancy report is kept."))

    def action_edit_tps(self) -> None:
        code = self._selected("tps")
        if code is not None and code in self.tps_rows:
            self._tps_form(self.tps_rows[code])

    def action_new_tps(self) -> None:
        self._tps_form(None)

    # -- field units -----------------------------------------------------------------------------------------
    def _show_token(self, code: str, token: str) -> None:
        from screens.admin_units import TokenModal

        self.app.push_screen(TokenModal(code, token), lambda _: self.action_reload())

    def _central(self):
        from workstation.sync.central import CentralSync  # as `workstation unit add` (commands/sync.py)

        return CentralSync(self.services.ctx)

    def action_new_unit(self) -> None:
        admin, actor, tr, central = self.services.admin, self.actor, self.tr, self._central()
        fields = [FormField("code", N_("Unit code"), max_length=8), FormField("name", N_("Name"), max_length=200)]

        def submit(v):
            code = admin.unit_code(v["code"])
            return code, central.add_unit(actor, code, v["name"])

        self.app.push_screen(FormModal(tr("New field unit"), fields, submit,
                                       note=tr("The enrolment token is shown once, on the next screen.")),
                             lambda r: r is not None and self._show_token(*r))

    def action_reenrol_unit(self) -> None:
        code = self._selected("units")
        if code is None:
            return
        self.call_service(self._central().reenrol_unit, self.actor, code, group="admin-act", exclusive=False,
                          on_result=lambda token: self._show_token(code, token))

    def action_revoke_unit(self) -> None:
        code = self._selected("units")
        if code is None:
            return
        admin, actor, tr = self.services.admin, self.actor, self.tr
        self._reason_form(tr("Revoke unit {code}", code=code), lambda v: admin.revoke_unit(actor, code, v["reason"]),
                          tr("Unit {code} revoked.", code=code))
