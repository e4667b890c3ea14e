"""Administration: users and their roles. Office, units, rates and rule sets join here later."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Label, SelectionList, Static

from screens.base import Modal, SectionScreen
from screens.widgets.text import cells
from workstation.domain.codes import Role
from workstation.i18n import N_

ROLE_NAMES = {
    Role.OFFICER: N_("Counter officer"),
    Role.INSPECTOR: N_("Physical inspector"),
    Role.EXAMINER: N_("Document examiner"),
    Role.SUPERVISOR: N_("Supervisor"),
    Role.ADMIN: N_("Administrator"),
}


class AdminScreen(SectionScreen):
    TITLE_TEXT = N_("Administration")
    BINDINGS = [
        Binding("n", "new_user", N_("New user"), id="admin.new_user"),
        Binding("o", "roles", N_("Roles"), id="admin.roles"),
        Binding("r", "reload", N_("Refresh"), id="admin.reload"),
    ]

    def __init__(self, section=None) -> None:
        super().__init__()

    def compose_body(self) -> ComposeResult:
        yield DataTable(id="users", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        tr = self.tr
        self.query_one("#users", DataTable).add_columns(tr("Login"), tr("Name"), "NIP", tr("Roles"), tr("State"))
        self.action_reload()

    def action_reload(self) -> None:
        svc, actor = self.services, self.actor
        self.call_service(svc.auth.list_users, actor, group="admin-load", on_result=self._show)

    def _show(self, users) -> None:
        t = self.query_one("#users", DataTable)
        t.clear()
        for u in users:
            state = self.tr("LOCKED") if u.locked else (self.tr("active") if u.active else self.tr("disabled"))
            t.add_row(*cells(u.login, u.full_name[:22], u.nip or "-", ",".join(sorted(r.value for r in u.roles)),
                             state), key=u.login)
        t.focus()

    def action_new_user(self) -> None:
        self.app.push_screen(UserFormModal(), lambda created: created and self.action_reload())

    def action_roles(self) -> None:
        t = self.query_one("#users", DataTable)
        if t.row_count == 0:
            return
        login = t.coordinate_to_cell_key(t.cursor_coordinate).row_key.value
        self.app.push_screen(UserFormModal(edit_login=login), lambda changed: changed and self.action_reload())


class UserFormModal(Modal):
    DEFAULT_CSS = """
    UserFormModal { align: center middle; }
    UserFormModal > Vertical { width: 70; max-width: 100%; height: auto; max-height: 100%; border: round $accent;
                               background: $surface; padding: 0 1; }
    UserFormModal SelectionList { height: 7; }
    UserFormModal .error { color: $error; }
    """
    BINDINGS = [
        Binding("escape", "cancel", N_("Cancel"), id="dialog.cancel"),
        Binding("ctrl+s", "save", N_("Save"), id="dialog.save"),
    ]

    def __init__(self, edit_login: str | None = None) -> None:
        super().__init__()
        self.edit_login = edit_login

    def compose(self) -> ComposeResult:
        tr = self.tr
        with Vertical():
            if self.edit_login:
                yield Static("[b]" + tr("Roles of {login}", login=self.edit_login) + "[/b]")
            else:
                yield Static("[b]" + tr("New user") + "[/b]  (Ctrl+S " + tr("Save") + ")")
                yield Label(tr("Login"))
                yield Input(id="u-login", max_length=32)
                yield Label(tr("Full name"))
                yield Input(id="u-name", max_length=200)
                yield Label(tr("NIP (18 digits, optional)"))
                yield Input(id="u-nip", max_length=18, restrict=r"[0-9]*")
                yield Label(tr("Password (at least 8 characters)"))
                yield Input(id="u-password", password=True)
            yield Label(tr("Roles (space to select)"))
            yield SelectionList[str](*[(tr(ROLE_NAMES[r]) + f" ({r.value})", r.value) for r in Role], id="u-roles")
            yield Static(id="u-error", classes="error")

    def on_mount(self) -> None:
        self.query(Input).first().focus() if not self.edit_login else self.query_one(SelectionList).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.focus_next()

    def action_save(self) -> None:
        roles = list(self.query_one(SelectionList).selected)
        svc, actor = self.services, self.actor
        err = self.query_one("#u-error", Static)
        if self.edit_login:
            login = self.edit_login
            self.call_service(svc.auth.set_roles, actor, login, roles, group="admin-save",
                              on_result=lambda _: self.dismiss(True), on_error=lambda e: err.update(self.error_text(e)))
            return
        v = {k: self.query_one(f"#u-{k}", Input).value for k in ("login", "name", "nip", "password")}
        self.call_service(svc.auth.create_user, actor, v["login"], v["name"], roles, v["password"], nip=v["nip"],
                          group="admin-save", on_result=lambda _: self.dismiss(True),
                          on_error=lambda e: err.update(self.error_text(e)))

    def action_cancel(self) -> None:
        self.dismiss(False)
