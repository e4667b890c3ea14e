"""Login (shown at once; the database connects behind it) and the first-run screen that creates the admin.

In an SSH session (`workstation tui --ssh-user=LOGIN`, issue #15 item 6) the SSH key was the first factor: the
login field shows LOGIN and cannot be changed, only the password (the second factor) is asked, and the session
row's client is "ssh:<peer>" (the app's `ssh_user` / `ssh_client`, set by commands/tui.py)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Static

from screens.base import AppAccess, enter_to_next_field
from screens.widgets.bottom import BottomBars
from screens.widgets.text import assemble, plain
from screens.widgets.words import word
from workstation.i18n import N_


class LoginScreen(AppAccess, Screen):
    CSS_PATH = "login.tcss"
    # ctrl+j: a line feed — what Enter arrives as when typed ahead before the terminal is in raw mode
    # (the keys typed while the app starts); it does what Enter does
    # priority: Enter in the login field moves the focus while the key is handled, so a password typed ahead in
    # the same burst lands in the password field
    BINDINGS = [Binding("enter", "enter", N_("Log in"), id="login.submit", show=False, priority=True),
                Binding("ctrl+j", "enter", N_("Log in"), id="login.enter", show=False, priority=True)]

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="login-box"):
            yield Static(id="login-title")
            if self.wapp.demo_accounts:
                yield Static(plain(self._demo_text(), lines=True), id="demo-banner")
            yield Label(id="login-label")
            if self.ssh_user:
                yield Input(self.ssh_user, id="login", max_length=32, compact=True, disabled=True)
            else:
                yield Input(id="login", max_length=32, compact=True)
            yield Label(id="password-label")
            yield Input(id="password", password=True, max_length=200, compact=True)
            yield Button(id="login-button", variant="primary", compact=True)
            yield Static(id="login-message")
        yield BottomBars()

    def _demo_text(self) -> str:
        rows = [f"{login:<8} {password:<14} {word(self.tr, 'role', role)}"
                for login, password, role in self.wapp.demo_accounts]
        text = self.tr("DEMO — accounts (login, password, role):") + "\n" + "\n".join(rows)
        note = getattr(self.wapp, "demo_note", None)  # `demo --unit`: which database is open
        if isinstance(note, dict) and note:
            text += "\n" + self.tr("Field unit {unit}: {unit_db} (this screen); central: {central_db} — "
                                    "`workstation demo --dir {dir}` opens it; a supervisor reviews the conflict "
                                    "under Sync.", **note)
        return text

    @property
    def ssh_user(self) -> str | None:
        return getattr(self.wapp, "ssh_user", None)

    def _focus_first(self) -> None:
        self.query_one("#password" if self.ssh_user else "#login", Input).focus()

    def on_mount(self) -> None:
        self.refresh_language()
        self._focus_first()
        if self.wapp.exit_on == "first-paint":
            self.call_after_refresh(self.app.exit)
        if self.wapp.services is None and self.wapp.services_error is None:
            self._message(self.tr("Connecting to the database…"))
        elif self.wapp.services_error:
            self.services_failed(self.wapp.services_error)

    def refresh_language(self) -> None:
        self.query_one("#login-title", Static).update(
            assemble((self.tr("Customs Officer Workstation"), "bold"), "\n",
                     f"DJBC — {self.wapp.settings.office.name}"))
        self.query_one("#login-label", Label).update(self.tr("Login"))
        self.query_one("#password-label", Label).update(self.tr("Password"))
        self.query_one("#login-button", Button).label = self.tr("Log in")
        if self.wapp.demo_accounts:
            self.query_one("#demo-banner", Static).update(plain(self._demo_text(), lines=True))

    def _message(self, text: str, error: bool = False) -> None:
        msg = self.query_one("#login-message", Static)
        msg.update(plain(text))  # may carry an error's text with what was typed: never markup
        msg.set_class(error, "error")

    def services_ready(self) -> None:
        self._message("")
        self.refresh_language()  # the office's name as stored (app.settings now has it)
        pending, self._submit_pending = getattr(self, "_submit_pending", False), False
        if self.ssh_user:
            self._check_ssh_account()
        elif self.services.auth.needs_first_admin():
            self.app.push_screen(FirstRunScreen(), callback=self._first_admin_created)
            return
        if pending:  # Enter was pressed while connecting: it logs in now
            self.action_submit()

    def _check_ssh_account(self) -> None:
        """An SSH user whose account is disabled or locked sees the refusal before typing a password."""
        from workstation.services.sshkeys import SshKeyService

        keys, login = SshKeyService(self.services.ctx), self.ssh_user
        self.background(lambda: keys.account_state(login), self._ssh_account_state, lambda exc: None,
                        group="ssh-account")

    def _ssh_account_state(self, state: str) -> None:
        if state == "inactive":
            self._message(self.tr("This account is disabled."), error=True)
        elif state == "locked":
            self._message(self.tr("Account locked after too many failed logins; a supervisor must unlock it."),
                          error=True)

    def services_failed(self, message: str) -> None:
        if self.wapp.config_error:
            # the line `workstation` prints for the same file: "office.code: office code must be 6 digits"
            self._message(message, error=True)
        else:
            self._message(self.tr("Database unavailable: {err}", err=message), error=True)

    def _first_admin_created(self, login: str | None) -> None:
        if login:
            self.refresh_language()  # the office just entered
            self.query_one("#login", Input).value = login
            self.query_one("#password", Input).focus()
            self._message(self.tr("Administrator created. Log in."))

    def reset(self, message: str | None = None) -> None:
        self.query_one("#password", Input).value = ""
        self._focus_first()
        self._message(message or "", error=bool(message))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_submit()

    def action_enter(self) -> None:
        if self.focused is not None and self.focused.id == "login":
            self.set_focus(self.query_one("#password", Input))
        elif self.focused is not None:
            # after the keys already queued to the field: its value is complete when the submit reads it
            self.focused.call_later(self.action_submit)
        else:
            self.action_submit()

    def action_submit(self) -> None:
        if self.services is None:
            # not lost: remembered and done as soon as the database is open (services_ready)
            self._submit_pending = self.wapp.services_error is None
            self._message(self.wapp.services_error or self.tr("Connecting to the database…"),
                          error=bool(self.wapp.services_error))
            return
        login = self.ssh_user or self.query_one("#login", Input).value.strip()
        password = self.query_one("#password", Input).value
        if not login or not password:
            self._message(self.tr("Enter login and password."), error=True)
            return
        self._message(self.tr("Checking…"))
        auth = self.services.auth
        client = getattr(self.wapp, "ssh_client", None) if self.ssh_user else None
        self.background(lambda: auth.login(login, password, client=client),
                        lambda actor: self._ok(actor, password), self._failed, group="login")

    def _ok(self, actor, password: str = "") -> None:
        self.query_one("#password", Input).value = ""
        self._message("")
        from workstation.services.auth import PasswordChangeActor  # not before the first paint

        if isinstance(actor, PasswordChangeActor):
            self._ask_new_password(actor, password)
            return
        self.wapp.logged_in(actor)

    def _ask_new_password(self, actor, old: str) -> None:
        """An administrator set this password (a reset, a new account): the session may only change it, so the
        new one is asked — twice, the old one being what was just typed — before any section opens. The
        app holds the session meanwhile (the idle lock applies, the end of the process ends it); Escape
        ends it."""
        from screens.widgets.form import FormField, FormModal
        from workstation.domain.errors import ErrorCode
        from workstation.errors import InputError

        self.wapp.actor = actor
        auth = self.services.auth
        fields = [FormField("password", N_("New password"), password=True, max_length=200),
                  FormField("again", N_("The same again"), password=True, max_length=200)]

        def submit(v: dict) -> object:
            if v["password"] != v["again"]:
                raise InputError("the two passwords differ", code=ErrorCode.PASSWORDS_DIFFER, field="again")
            return auth.change_password(actor, old, v["password"])

        def done(changed) -> None:
            if self.wapp.actor is not actor:  # logged out (F10, idle lock) while the form was open
                return
            if changed is None:
                self.call_later(self.wapp.logout, "password_not_changed",
                                self.tr("Password not changed: log in again to choose one."))
                return
            self.wapp.notify(self.tr("Password changed."))
            self.wapp.logged_in(changed)

        class NewPasswordForm(FormModal):
            # F10 logs out here as on every screen of a session (a modal screen takes no key of the app's)
            BINDINGS = [Binding("f10", "app.logout", N_("Logout"), id="newpw.logout")]

            def hint_text(self) -> str:
                return self.tr("Ctrl+S save · Enter next field · Esc/F3 cancel · F10 log out")

        self.app.push_screen(NewPasswordForm(self.tr("Choose your password"), fields, submit, id_prefix="newpw-",
                                             note=self.tr("An administrator set your password. Choose your "
                                                          "own (at least 8 characters) before you continue.")),
                             done)

    def _failed(self, exc: Exception) -> None:
        self.query_one("#password", Input).value = ""
        self.query_one("#password", Input).focus()
        code = getattr(exc, "code", None)
        if code == "LOCKED":
            text = self.tr("Account locked after too many failed logins; a supervisor must unlock it.")
        elif code == "INACTIVE" and self.ssh_user:  # the key named the account: no secret to keep
            text = self.tr("This account is disabled.")
        elif code in ("BAD_CREDENTIALS", "INACTIVE"):
            text = self.tr("Wrong login or password.")
        else:  # e.g. a login with spaces around it: the raiser's words, in the user's language
            text = self.error_text(exc)
        self._message(text, error=True)


class FirstRunScreen(AppAccess, Screen):
    """No user exists yet: enter the office this installation works for (its letterhead: code, name,
    address, city, time zone), then create the administrator (and the office signing key). The office comes
    first: nothing is issued under the defaults' letterhead (services.office, #12 item 7)."""

    CSS_PATH = "login.tcss"
    # Enter: the next field at once (priority), so what is typed ahead lands there, as in the one form
    BINDINGS = [Binding("ctrl+s,f2", "create", N_("Create"), id="firstrun.create"),
                Binding("enter", "next_field", show=False, priority=True, id="firstrun.next")]
    # (id, English label, max length, placeholder): the office, then the administrator
    OFFICE_FIELDS = (("code", N_("Office code (6 digits)"), 6), ("name", N_("Office name"), 200),
                     ("address", N_("Address"), 300), ("city", N_("City"), 100), ("phone", N_("Phone"), 40),
                     ("timezone", N_("Time zone"), 64))
    ADMIN_FIELDS = (("login", N_("Login"), 32), ("name", N_("Full name"), 200), ("nip", N_("NIP (18 digits)"), 18),
                    ("password", N_("Password (8+ characters)"), 200), ("password2", N_("Repeat password"), 200))

    def compose(self) -> ComposeResult:
        tr = self.tr
        office = self.wapp.settings.office
        with Center(), Vertical(id="login-box", classes="first-run"):
            yield Static(assemble((tr("First run: the office and its administrator"), "bold")), id="login-title")
            yield Static(assemble((tr("Office"), "bold")), classes="fr-heading")
            for name, label, limit in self.OFFICE_FIELDS:
                with Horizontal(classes="fr-row"):
                    yield Label(tr(label))
                    value = office.timezone if name == "timezone" else ""
                    hint = {"code": tr("e.g. {example}", example="040300"),
                            "timezone": "Asia/Jakarta, Asia/Makassar, Asia/Jayapura"}.get(name, "")
                    yield Input(value, id=f"fr-office-{name}", max_length=limit, placeholder=hint, compact=True,
                                restrict=r"[0-9]*" if name == "code" else None)
            yield Static(assemble((tr("Administrator"), "bold")), classes="fr-heading")
            for name, label, limit in self.ADMIN_FIELDS:
                with Horizontal(classes="fr-row"):
                    yield Label(tr(label))
                    yield Input(id=f"fr-{name}", max_length=limit, compact=True,
                                password=name.startswith("password"),
                                restrict=r"[0-9]*" if name == "nip" else None)
            yield Static(tr("Enter: next field · Ctrl+S: create"), id="fr-hint")
            yield Static(id="login-message")
        yield BottomBars(keys=False)

    def on_mount(self) -> None:
        self.query_one("#fr-office-code", Input).focus()

    def action_next_field(self) -> None:
        enter_to_next_field(self, list(self.query(Input)), self.action_create)

    def _error(self, text: str, wid: str | None = None) -> None:
        """Show the refusal and put the cursor in the field it names (`wid`: the Input's id)."""
        msg = self.query_one("#login-message", Static)
        msg.update(plain(text))
        msg.add_class("error")
        if wid and self.query(f"#{wid}"):
            self.query_one(f"#{wid}", Input).focus()

    def action_create(self) -> None:
        office = {name: self.query_one(f"#fr-office-{name}", Input).value for name, _, _ in self.OFFICE_FIELDS}
        v = {k: self.query_one(f"#fr-{k}", Input).value for k in ("login", "name", "nip", "password", "password2")}
        if v["nip"] and len(v["nip"]) != 18:  # as the CLI and the user form: 18 digits or nothing
            self._error(self.tr("NIP is 18 digits"), "fr-nip")
            return
        if v["password"] != v["password2"]:
            self._error(self.tr("The passwords differ."), "fr-password2")
            return
        services = self.services

        def work() -> str:
            from workstation.services.auth import validate_login, validate_password

            # the admin's fields are checked before the office is written: one refusal, nothing half done
            validate_login(v["login"])
            validate_password(v["password"])
            services.office.configure_first_run(**office)
            info = services.auth.create_first_admin(v["login"], v["name"], v["password"], nip=v["nip"])
            services.issuance.ensure_office_key()
            return info.login

        def failed(exc: Exception) -> None:
            field = getattr(exc, "field", None)
            office_names = {name for name, _, _ in self.OFFICE_FIELDS}
            if field == "full_name":
                wid = "fr-name"
            elif field in ("login", "password", "nip"):
                wid = f"fr-{field}"
            else:
                wid = f"fr-office-{field}" if field in office_names else None
            self._error(self.error_text(exc), wid)

        self.call_service(work, group="firstrun", on_result=self._created, on_error=failed)

    def _created(self, login: str) -> None:
        self.wapp.settings = self.services.settings  # the office as entered (letterhead, zone, status bar)
        self.dismiss(login)
