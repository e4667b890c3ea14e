"""What a serial device driver is to the device manager.

A `StreamDriver` turns the frames of one port into events. It never touches the port itself except through
the `Link` the manager's reader thread hands it (write, request/response, an interruptible sleep), so the
port has exactly one owner: the reader thread.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Protocol

from devices.events import CommandResult, DeviceEvent
from devices.framing import Framer


class FrameError(Exception):
    """A complete frame the driver cannot understand. The manager logs it once and carries on."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class DeviceSilent(Exception):
    """The port is open but the device does not answer (health: error, the port is kept)."""


class Link(Protocol):
    def write(self, data: bytes) -> None: ...

    def transact(self, request: bytes, is_reply: Callable[[bytes], bool], timeout: float) -> bytes | None:
        """Write `request` and read frames until one satisfies `is_reply` (returned) or `timeout` (None).
        Every frame read meanwhile also goes through the driver's `handle` (unsolicited status lines)."""
        ...

    def sleep(self, seconds: float) -> bool:
        """Wait without reading; False if the manager is stopping."""
        ...

    def emit(self, event: DeviceEvent) -> None: ...


class StreamDriver:
    """Base driver: frames in, events out. Subclasses override `handle` (and barriers the rest)."""

    kind = "serial"
    polls = False  # barriers poll their status every `spec.poll_interval`
    takes_commands = False

    def __init__(self, spec: Any):
        self.spec = spec
        self.name: str = spec.name

    def framer(self) -> Framer:
        return self.spec.framing.build(self.spec.max_frame)

    def handle(self, payload: bytes, at: dt.datetime) -> list[DeviceEvent]:
        raise NotImplementedError

    def connected(self, link: Link, at: dt.datetime) -> list[DeviceEvent]:
        """The port was (re)opened."""
        return []

    def disconnected(self) -> None:
        """The port was lost: forget any half-assembled state (e.g. an MRZ first line)."""

    def poll(self, link: Link, at: dt.datetime) -> list[DeviceEvent]:
        return []

    def execute(self, link: Link, command: str, at: dt.datetime) -> CommandResult:
        raise FrameError(f"{self.kind} devices take no commands")

    @property
    def detail(self) -> str | None:
        """A word for the status bar (a barrier's state)."""
        return None
