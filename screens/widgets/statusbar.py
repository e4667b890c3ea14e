"""One line at the bottom: who, which role, office/unit, database back end, devices, clock (office zone), and
the sync panel (issue #14): on a field unit "Sinkron: 12 tertunda · terakhir 13:05" (pending changes, last sync
in the office zone), on central the open conflicts, nothing on a standalone office.

The sync figures come from a thread worker every SYNC_POLL_S seconds (`SyncService.panel`: bounded index reads),
never from the UI thread; they are kept per app, so a status bar on a newly opened screen shows them at once.
`poll_sync_now(app)` asks for fresh figures at once (the sync screen calls it after a sync). When the line does
not fit, the device list becomes counts per health mark ("4●"), then the parts are kept by importance as long
as they fit (`fit_parts`: a long part is left out, not every shorter part less important than it), so the sync
panel stays readable at 80 columns and the back end's name is not lost to a long device list."""

from __future__ import annotations

import contextlib
import logging
import time
import weakref
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from textual.widgets import Static

from screens.widgets.text import plain
from screens.widgets.words import word

log = logging.getLogger(__name__)

SYNC_POLL_S = 5.0


@dataclass
class _SyncCache:
    panel: Any = None  # workstation.sync.service.SyncPanel, or None before the first answer
    fetched_at: float = 0.0
    busy: bool = False


_CACHES: weakref.WeakKeyDictionary[Any, _SyncCache] = weakref.WeakKeyDictionary()


def _cache(app: Any) -> _SyncCache:
    cache = _CACHES.get(app)
    if cache is None:
        cache = _CACHES[app] = _SyncCache()
    return cache


def sync_panel_text(panel: Any, tr: Any, zone: Any) -> str:
    """The sync part of the status bar ("" when there is nothing to show). `panel`: a SyncPanel."""
    if panel is None or panel.role is None:
        return ""
    if panel.role == "unit":
        pending = f"{panel.pending}+" if panel.pending_more else str(panel.pending)
        last = (panel.last_sync_at.astimezone(zone).strftime("%H:%M") if panel.last_sync_at
                else tr("never"))
        text = tr("Sync: {pending} pending · last {time}", pending=pending, time=last)
        if panel.conflicts:
            conflicts = f"{panel.conflicts}+" if panel.conflicts_more else str(panel.conflicts)
            text += " · " + tr("{n} conflicts", n=conflicts)
        return text
    if panel.role == "central":
        n = f"{panel.conflicts}+" if panel.conflicts_more else str(panel.conflicts)
        return tr("Sync: {n} conflicts", n=n)
    return ""


def poll_sync_now(app: Any) -> None:
    """Fetch the sync figures at once (after a sync, a resolution) for the status bar of the current screen."""
    _cache(app).fetched_at = 0.0
    try:
        screen = app.screen
    except Exception:  # no screen (yet)
        return
    for bar in screen.query(StatusBar):
        bar.poll_sync()


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 1; width: 100%; background: $panel; color: $text; padding: 0 1; }
    """

    def on_mount(self) -> None:
        self.refresh_status()
        self.set_interval(1.0, self._tick)

    def on_resize(self) -> None:
        self.refresh_status()  # the parts that fit depend on the width

    def _tick(self) -> None:
        self.refresh_status()
        cache = _cache(self.app)
        if time.monotonic() - cache.fetched_at >= SYNC_POLL_S:
            self.poll_sync()

    # -- the sync figures, off the UI thread -------------------------------------------------------------------
    def poll_sync(self) -> None:
        """Start one worker for the sync figures unless one is running or there is no one to show them to."""
        app = self.app
        services = getattr(app, "services", None)
        cache = _cache(app)
        if services is None or getattr(app, "actor", None) is None or cache.busy:
            return
        try:
            if app.screen is not self.screen:
                return  # a status bar of a screen underneath: the visible one polls
        except Exception:  # no screen yet, or shutting down
            return
        cache.busy = True
        cache.fetched_at = time.monotonic()
        ctx = services.ctx

        def fetch() -> None:
            from workstation.sync.service import SyncService

            try:
                panel = SyncService(ctx).panel()
            except Exception:  # a database hiccup shows the last figures, never an error in the status bar
                log.warning("sync status for the status bar failed", exc_info=True)
                panel = cache.panel
            cache.panel, cache.busy = panel, False
            with contextlib.suppress(RuntimeError):  # the app stopped meanwhile
                app.call_from_thread(self._sync_fetched)

        self.run_worker(fetch, thread=True, group="sync-panel", exclusive=True, name="sync-panel")

    def _sync_fetched(self) -> None:
        if self.is_attached:  # the screen may have gone meanwhile (logout)
            self.refresh_status()

    # -- the line --------------------------------------------------------------------------------------------
    def refresh_status(self) -> None:
        app = self.app
        tr = app.tr  # type: ignore[attr-defined]
        settings = app.settings  # type: ignore[attr-defined]
        actor = getattr(app, "actor", None)
        now = app.clock().astimezone(settings.zone)  # type: ignore[attr-defined]
        roles = ", ".join(word(tr, "role", r.value) for r in sorted(actor.roles, key=lambda r: r.value)) if actor else ""
        who = f"{actor.login} ({roles})" if actor else tr("not logged in")
        unit = settings.unit_code or "-"
        backend = getattr(app, "backend_label", "…")
        devices = getattr(app, "device_summary", "-")
        dev = tr("dev")
        panel = _cache(app).panel if actor is not None else None
        sync = sync_panel_text(panel, tr, settings.zone)
        # (priority: lower is dropped first when the line does not fit, text)
        # on a unit with a conflict the sync part is long: it outranks the office/unit code, which the login
        # screen and the sync screen show anyway
        parts = [(9, who), (8, f"{settings.office.code}/{unit}"), (3, str(backend)), (4, f"{dev}: {devices}"),
                 (8.5, sync), (6, f"{now:%H:%M:%S}")]
        width = self.size.width  # the content area (padding excluded); 0 before the first layout
        if width and cell_len(" │ ".join(t for _, t in parts if t)) > width:
            parts[3] = (4, f"{dev}: {compact_devices(devices)}")  # "4●", not every device's name
        self.update(plain(fit_parts(parts, width)))  # a login, a device name: text, never markup


def compact_devices(summary: str) -> str:
    """The device summary ("counter-qr● gate-1! printer●", DeviceBridge.summary) as counts per health mark,
    most first: "2● 1!". "-" (no devices) stays "-"."""
    marks: dict[str, int] = {}
    for item in summary.split():
        if len(item) > 1:
            marks[item[-1]] = marks.get(item[-1], 0) + 1
    if not marks:
        return summary
    return " ".join(f"{n}{mark}" for mark, n in sorted(marks.items(), key=lambda m: -m[1]))


def fit_parts(parts: list[tuple[float, str]], width: int) -> str:
    """The parts' texts joined by " │ " in their order, keeping the most important (highest first number)
    that fit `width` cells together: a long part is left out, not every part less important than it. Empty
    texts are left out; width 0 (not laid out yet) keeps everything; the most important part is always kept."""
    present = [(i, p, t) for i, (p, t) in enumerate(parts) if t]
    if not width:
        return " │ ".join(t for _, _, t in present)
    keep: list[tuple[int, float, str]] = []
    for item in sorted(present, key=lambda x: -x[1]):
        trial = sorted([*keep, item])
        if not keep or cell_len(" │ ".join(t for _, _, t in trial)) <= width:
            keep = trial
    return " │ ".join(t for _, _, t in keep)
