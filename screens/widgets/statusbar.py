"""One line at the bottom: who, which role, office/unit, database back end, devices, clock (office zone)."""

from __future__ import annotations

from textual.widgets import Static


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    def on_mount(self) -> None:
        self.refresh_status()
        self.set_interval(1.0, self.refresh_status)

    def refresh_status(self) -> None:
        app = self.app
        tr = app.tr  # type: ignore[attr-defined]
        settings = app.settings  # type: ignore[attr-defined]
        actor = getattr(app, "actor", None)
        now = app.clock().astimezone(settings.zone)  # type: ignore[attr-defined]
        who = f"{actor.login} ({','.join(sorted(r.value for r in actor.roles))})" if actor else tr("not logged in")
        unit = settings.unit_code or "-"
        backend = getattr(app, "backend_label", "…")
        devices = getattr(app, "device_summary", "-")
        dev = tr("dev")
        self.update(
            f"{who} │ {settings.office.code}/{unit} │ {backend} │ {dev}: {devices} │ {now:%H:%M:%S}"
        )
