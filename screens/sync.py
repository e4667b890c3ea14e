"""Sync (issue #14): on a field unit, its sync with central — last sync and its result, pending changes, open
conflicts, the server — and "Sync now" (S), which pushes then pulls in a thread worker with a progress bar and
says the summary, or the refusal in the user's language from its error code. On central, the supervisor's
conflict review: the open conflicts (table, row, fields, unit, when); Enter opens one field by field (the
unit's value against central's, as plain text) and r resolves it with a reason (Ctrl+S saves). On a unit the
conflicts central sent back are shown read-only; a standalone office says it takes no part in a sync.

Everything goes through workstation.sync.service.SyncService (no db here); every value from the database is
shown as text, never markup (screens/widgets/text.py). Fits 80x24."""

from __future__ import annotations

import re
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import ProgressBar, Static

from screens.base import Modal, SectionScreen
from screens.widgets.form import FormField, FormModal
from screens.widgets.statusbar import poll_sync_now
from screens.widgets.table import DataTable
from screens.widgets.text import assemble, cells, plain
from workstation.domain.codes import Role
from workstation.i18n import N_


def _when(ts: Any, zone: Any) -> str:
    return ts.astimezone(zone).strftime("%d-%m-%Y %H:%M") if ts else "-"


def _short(value: str, width: int) -> str:
    value = value.replace("\n", " ")
    return value if len(value) <= width else value[: width - 1] + "…"


def sync_service(screen: Any) -> Any:
    """The screen's SyncService over the app's database (imported on first use: start-up stays light)."""
    from workstation.sync.service import SyncService

    return SyncService(screen.services.ctx)


class SyncScreen(SectionScreen):
    CSS_PATH = "sync.tcss"
    TITLE_TEXT = N_("Sync")
    BINDINGS = [
        Binding("s", "sync_now", N_("Sync now"), id="sync.now"),
        Binding("o", "open_conflict", N_("Details"), id="sync.open"),
        Binding("r", "reload", N_("Refresh"), id="sync.reload"),
    ]

    def __init__(self, section: Any = None) -> None:
        super().__init__()
        self.role: str | None = None
        self.status: Any = None
        self.running = False

    def compose_body(self) -> ComposeResult:
        yield Static(id="sync-info")
        with Vertical(id="sync-run"):
            yield Static(id="sync-progress-text")
            yield ProgressBar(id="sync-progress", show_eta=False)
        yield Static(id="sync-result")
        yield Static(id="sync-conflicts-title", classes="sync-caption")
        yield DataTable(id="sync-conflicts", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.query_one("#sync-run").display = False
        self._columns()
        self.query_one("#sync-info", Static).update(self.tr("Loading…"))
        self.action_reload()

    def _columns(self) -> None:
        tr = self.tr
        table = self.query_one("#sync-conflicts", DataTable)
        table.clear(columns=True)
        # 12 + 20 + 14 + 9 + 11 and a cell's padding: 76 of 80 columns
        for label, width in ((tr("Table"), 12), (tr("Row"), 20), (tr("Fields"), 14), (tr("Unit code"), 9),
                             (tr("When"), 11)):
            table.add_column(label, width=width)

    def refresh_language(self) -> None:
        super().refresh_language()
        self._columns()
        self.action_reload()

    # -- figures -------------------------------------------------------------------------------------------
    def action_reload(self) -> None:
        svc = sync_service(self)
        self.call_service(lambda: (svc.status(), svc.conflicts()), group="sync-load", on_result=self._show)

    def _show(self, data: Any) -> None:
        status, conflicts = data
        self.status, self.role = status, status.role
        self.refresh_bindings()
        zone = self.wapp.settings.zone
        tr = self.tr
        info = self.query_one("#sync-info", Static)
        if status.role is None:
            info.update(tr("This database takes no part in a sync (no field unit enrolled here, none registered)."))
        elif status.role == "unit":
            last = _when(status.last_sync_at, zone) if status.last_sync_at else tr("never")
            info.update(assemble(
                (tr("Field unit"), "bold"), f" {status.unit} · " + tr("epoch {n}", n=status.epoch), "\n",
                tr("Server: "), plain(status.server or "-"), "\n",
                tr("Last sync: "), (last, "bold"),
                *(["  (", plain(_result_text(status.last_result, tr)), ")"] if status.last_result else []), "\n",
                tr("Pending changes: "), (str(status.pending), "bold"), "   ",
                tr("Open conflicts: "), (str(status.conflicts), "bold")))
        else:
            info.update(assemble(
                (tr("Central"), "bold"), " · " + tr("feed position {n}", n=status.cursor), "\n",
                tr("Open conflicts: "), (str(status.conflicts), "bold"), "\n",
                tr("Enter or o: details · r in the details: resolve with a reason")))
        self.query_one("#sync-conflicts-title", Static).update(
            tr("Open conflicts ({n})", n=len(conflicts)) if status.role else "")
        table = self.query_one("#sync-conflicts", DataTable)
        table.clear()
        for c in conflicts:
            when = c.detected_at.astimezone(zone).strftime("%d-%m %H:%M")
            table.add_row(*cells(_short(c.table, 12), _short(c.label, 20), _short(", ".join(c.fields), 14),
                                 c.unit, when), key=str(c.id))
        table.display = status.role is not None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "sync_now":
            if self.role != "unit":
                return False  # hidden: only a field unit syncs
            return None if self.running else True
        if action == "open_conflict":
            return self.role is not None
        return True

    # -- sync now ------------------------------------------------------------------------------------------
    def action_sync_now(self) -> None:
        if self.running or self.role != "unit":
            return
        self.running = True
        self.refresh_bindings()
        run = self.query_one("#sync-run")
        run.display = True
        bar = self.query_one("#sync-progress", ProgressBar)
        bar.update(total=None, progress=0)
        text = self.query_one("#sync-progress-text", Static)
        text.update(self.tr("Syncing with central…"))
        result = self.query_one("#sync-result", Static)
        result.update("")
        result.remove_class("error")
        app, tr = self.app, self.tr
        labels = {"push": N_("Sending {done} of {total} changes…"), "pull": N_("Receiving changes: {done}…")}

        def progress(phase: str, done: int, total: int) -> None:  # called on the worker's thread
            def show() -> None:
                bar.update(total=max(total, done, 1), progress=done)
                text.update(tr(labels.get(phase, "{done}"), done=done, total=max(total, done)))
            app.call_from_thread(show)

        svc = sync_service(self)
        self.call_service(svc.sync_now, progress, group="sync-now", on_result=self._synced, on_error=self._failed)

    def _finish(self) -> None:
        self.running = False
        self.query_one("#sync-run").display = False
        self.refresh_bindings()
        poll_sync_now(self.app)
        self.action_reload()

    def _synced(self, r: Any) -> None:
        message = self.tr("Sync done: pushed {pushed}, pulled {pulled}, conflicts {conflicts}, pending {pending}.",
                          pushed=r.pushed, pulled=r.pulled, conflicts=r.conflicts, pending=r.pending)
        self.query_one("#sync-result", Static).update(plain(message))
        self.notify(message)
        self._finish()

    def _failed(self, exc: Exception) -> None:
        text = self.error_text(exc)
        result = self.query_one("#sync-result", Static)
        result.update(assemble((self.tr("Sync failed: "), "bold"), text))
        result.add_class("error")
        self.wapp.notify(text, severity="error", timeout=8)
        self._finish()

    # -- conflicts -----------------------------------------------------------------------------------------
    def _selected(self) -> str | None:
        table = self.query_one("#sync-conflicts", DataTable)
        if table.row_count == 0:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_conflict()

    def action_open_conflict(self) -> None:
        cid = self._selected()
        if cid is None:
            return
        svc = sync_service(self)
        self.call_service(svc.conflict, cid, group="sync-conflict", on_result=self._open)

    def _open(self, view: Any) -> None:
        can_resolve = self.role == "central" and Role.SUPERVISOR in self.actor.roles

        def closed(resolved: Any) -> None:
            if resolved:
                self.notify(self.tr("Conflict resolved."))
                poll_sync_now(self.app)
                self.action_reload()

        self.app.push_screen(ConflictModal(view, can_resolve=can_resolve), closed)


class ConflictModal(Modal):
    """One conflict field by field: the unit's value (theirs) against central's when it arrived (ours);
    collided fields first, marked "!". The highlighted field's whole values show below the table. r (central,
    supervisor) resolves with a reason; Esc or F3 closes. Dismisses with True once resolved."""

    DEFAULT_CSS = """
    ConflictModal { align: center middle; }
    ConflictModal > Vertical { width: 80; max-width: 100%; height: auto; max-height: 100%; border: round $accent;
                               background: $surface; padding: 0 1; }
    ConflictModal #conflict-head { height: auto; }
    ConflictModal #conflict-diffs { height: auto; max-height: 10; }
    ConflictModal #conflict-full-box { height: auto; max-height: 5; }
    ConflictModal #conflict-hint { color: $text-muted; height: 1; }
    """
    BINDINGS = [
        Binding("escape,f3", "close", N_("Close"), id="conflict.close"),
        Binding("r", "resolve", N_("Resolve"), id="conflict.resolve"),
    ]

    def __init__(self, view: Any, *, can_resolve: bool) -> None:
        super().__init__()
        self.view = view
        self.can_resolve = can_resolve and view.resolved_at is None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(id="conflict-head")
            yield DataTable(id="conflict-diffs", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="conflict-full-box"):
                yield Static(id="conflict-full")
            yield Static(id="conflict-hint")

    def on_mount(self) -> None:
        v, tr, zone = self.view, self.tr, self.wapp.settings.zone
        row = v.row
        head: list[Any] = [(tr("Conflict"), "bold"), " ", plain(row.table), " · ", plain(row.label), "\n",
                           tr("From unit {unit}, {when}", unit=row.unit, when=_when(row.detected_at, zone)), "\n",
                           tr("Fields both sides changed: "), (", ".join(row.fields) or "-", "bold"), "\n",
                           tr("The value at central stands; the unit's change is kept here for review.")]
        if v.resolved_at is not None:
            head += ["\n", tr("Resolved by {login}, {when}: ", login=v.resolved_by or "-",
                              when=_when(v.resolved_at, zone)), plain(v.resolution or "")]
        self.query_one("#conflict-head", Static).update(assemble(*head))
        table = self.query_one("#conflict-diffs", DataTable)
        for label, width in ((tr("Field"), 18), (tr("Unit (theirs)"), 26), (tr("Central (ours)"), 26)):
            table.add_column(label, width=width)
        for i, d in enumerate(v.diffs):
            table.add_row(*cells(("! " if d.collided else "  ") + _short(d.field, 16), _short(d.theirs, 26),
                                 _short(d.ours, 26)), key=str(i))
        hint = tr("{n} other fields are equal.", n=v.same_fields) + "  "
        hint += tr("r resolve · Esc/F3 close") if self.can_resolve else tr("Esc/F3 close")
        self.query_one("#conflict-hint", Static).update(hint)
        self._show_full(0)
        table.focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_full(event.cursor_row)

    def _show_full(self, index: int) -> None:
        if not (0 <= index < len(self.view.diffs)):
            self.query_one("#conflict-full", Static).update("")
            return
        d = self.view.diffs[index]
        self.query_one("#conflict-full", Static).update(assemble(
            (d.field, "bold"), "\n", (self.tr("Unit (theirs): "), "bold"), plain(d.theirs or "-"), "\n",
            (self.tr("Central (ours): "), "bold"), plain(d.ours or "-")))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "resolve":
            return self.can_resolve
        return True

    def action_close(self) -> None:
        self.dismiss(False)

    def action_resolve(self) -> None:
        if not self.can_resolve:
            return
        svc, actor, cid = sync_service(self), self.actor, self.view.row.id

        def submit(values: dict[str, Any]) -> bool:
            svc.resolve(actor, cid, str(values["resolution"]))
            return True

        def done(resolved: Any) -> None:
            if resolved:
                self.dismiss(True)

        form = FormModal(self.tr("Resolve conflict"),
                         [FormField("resolution", N_("Resolution"), max_length=500,
                                    placeholder=self.tr("what was done about it"))],
                         submit, note=self.tr("The reason is kept in the audit log."))
        self.app.push_screen(form, done)


_RESULT = re.compile(r"pushed (\d+), pulled (\d+), conflicts (\d+), pending (\d+)")


def _result_text(stored: str, tr) -> str:
    """The last sync's stored summary (English, as `sync status` prints it) in the user's language."""
    m = _RESULT.fullmatch(stored)
    if m is None:
        return stored
    return tr("pushed {pushed}, pulled {pulled}, conflicts {conflicts}, pending {pending}", pushed=m[1],
              pulled=m[2], conflicts=m[3], pending=m[4])
