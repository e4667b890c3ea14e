"""The SSH keys of one user (Administration → Users → k): list, add a public key line, remove (revoke) one.
services: workstation/services/sshkeys.py (admin role, audited)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from screens.base import Modal
from screens.widgets.form import FormField, FormModal
from screens.widgets.table import DataTable, fill
from screens.widgets.text import cells, plain
from screens.widgets.words import day
from workstation.i18n import N_


class SshKeysModal(Modal):
    CSS = """
    SshKeysModal { align: center middle; }
    SshKeysModal > Vertical { width: 78; max-width: 100%; height: auto; max-height: 100%; border: round $accent;
                              background: $surface; padding: 0 1; }
    SshKeysModal DataTable { height: 8; }
    SshKeysModal .hint { color: $text-muted; }
    """
    BINDINGS = [
        Binding("a", "add", N_("Add key"), id="admin.keys.add"),
        Binding("x", "remove", N_("Remove key"), id="admin.keys.remove"),
        Binding("escape,f3", "close", N_("Close"), id="admin.keys.close"),
    ]

    def __init__(self, login: str) -> None:
        super().__init__()
        self.login = login

    def compose(self) -> ComposeResult:
        tr = self.tr
        with Vertical():
            yield Static(plain(tr("SSH keys of {login}", login=self.login), "bold"))
            yield DataTable(id="keys", cursor_type="row", zebra_stripes=True)
            yield Static(tr("a add · x remove · Esc/F3 close"), classes="hint")

    def on_mount(self) -> None:
        self.reload()

    @property
    def keys(self):
        from workstation.services.sshkeys import SshKeyService

        return SshKeyService(self.services.ctx)

    def reload(self) -> None:
        self.call_service(self.keys.list_keys, self.actor, self.login, group="keys-load", on_result=self._show)

    def _show(self, rows) -> None:
        tr = self.tr
        t = self.query_one("#keys", DataTable)
        fill(t, (tr("Fingerprint"), tr("Kind"), tr("Comment"), tr("Added"), tr("State")),
             [(k.fingerprint, cells(k.fingerprint[7:27] + "…", k.algorithm.removeprefix("ssh-")[:10], k.comment[:16],
                                    day(k.added_at), tr("removed") if k.revoked_at else tr("active")))
              for k in rows])
        t.focus()

    def action_add(self) -> None:
        keys, actor, login, tr = self.keys, self.actor, self.login, self.tr
        self.app.push_screen(
            FormModal(tr("Add an SSH key for {login}", login=login),
                      [FormField("key", N_("Public key"), max_length=16 * 1024)],
                      lambda v: keys.add_key(actor, login, v["key"]),
                      note=tr("One line as in id_ed25519.pub: type, key, comment.")),
            lambda added: added is not None and (self.notify(tr("Key {fingerprint} added.",
                                                               fingerprint=added.fingerprint)), self.reload()))

    def action_remove(self) -> None:
        t = self.query_one("#keys", DataTable)
        if t.row_count == 0:
            return
        fp = t.coordinate_to_cell_key(t.cursor_coordinate).row_key.value
        tr = self.tr
        self.call_service(self.keys.remove_key, self.actor, fp, group="keys-act",
                          on_result=lambda _: (self.notify(tr("Key {fingerprint} removed.", fingerprint=fp)),
                                               self.reload()))

    def action_close(self) -> None:
        self.dismiss(None)
