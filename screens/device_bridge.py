"""Devices to screens: the manager's reader threads post messages into the UI loop (thread-safe), the app
forwards device events to the active screen, and keeps a short health summary for the status bar."""

from __future__ import annotations

import logging
from typing import Any

from textual.message import Message

log = logging.getLogger(__name__)


class DeviceEventMessage(Message, bubble=False):  # to the app, forwarded once to the screen; never back up
    """A device event (devices.events) for the active screen. Screens handle `on_device_event_message`."""

    def __init__(self, event: Any) -> None:
        super().__init__()
        self.event = event


class DeviceBridge:
    """Owns the DeviceManager of this process; started when the services are ready, stopped at exit."""

    def __init__(self, app, specs: list[Any]):
        self.app = app
        self.specs = specs
        self.manager = None

    def start(self) -> None:
        if not self.specs:
            return
        from devices.manager import DeviceManager

        self.manager = DeviceManager(self.specs, on_event=self._on_event, on_command=self._on_command)
        self.manager.start()

    def stop(self) -> None:
        if self.manager is not None:
            self.manager.stop()
            self.manager = None

    # -- called on reader threads ------------------------------------------------------------------------
    def _on_event(self, event: Any) -> None:
        self.app.post_message(DeviceEventMessage(event))

    def _on_command(self, device: str, command: str, result: Any) -> None:
        services = self.app.services
        if services is None:
            return
        try:
            services.devices.record_barrier_command(self.app.actor, device, command, result)
        except Exception:  # the audit failing must be loud but must not kill the port's thread
            log.exception("could not audit barrier command %s %s", device, command)

    # -- UI thread -----------------------------------------------------------------------------------------
    def summary(self) -> str:
        if self.manager is None:
            return "-"
        marks = {"connected": "●", "disconnected": "○", "error": "!", "starting": "…", "stopped": "-"}
        return " ".join(f"{name}{marks.get(h.state, '?')}" for name, h in sorted(self.manager.health().items()))
