"""What devices tell the rest of the application: small frozen dataclasses delivered to the manager's
`on_event` callback from a reader thread. The TUI wraps them in messages (`call_from_thread`); services and
tests take them as they are. `at` is the UTC time the event was made (when the frame was complete)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

# Health states of a device (status bar).
CONNECTED = "connected"
DISCONNECTED = "disconnected"
ERROR = "error"
STARTING = "starting"
STOPPED = "stopped"

# Barrier states (the Modbus register map, the ASCII protocol and the LCUS board all map onto these).
BARRIER_STATES = ("open", "closed", "opening", "closing", "fault", "unknown")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class DeviceEvent:
    device: str
    at: dt.datetime


@dataclass(frozen=True)
class BarcodeScanned(DeviceEvent):
    symbology: str | None  # "QR", "CODE128", … from the AIM identifier; None without one
    aim: str | None  # the raw identifier, e.g. "]Q1"
    payload: bytes  # bytes after the AIM identifier, exactly as framed
    text: str  # payload decoded with the device's encoding (errors replaced)


@dataclass(frozen=True)
class MrzRead(DeviceEvent):
    text: str  # the two TD3 lines joined by "\n"
    valid: bool  # every check digit right (workstation.domain.scan)
    detail: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class BarrierStatus(DeviceEvent):
    state: str  # one of BARRIER_STATES
    raw: int | str | None = None  # register value or status word as the device sent it
    confirmed: bool = True  # False when the device has no feedback (relay board): last commanded state
    source: str = "poll"  # poll | command | unsolicited


@dataclass(frozen=True)
class BarrierLoop(DeviceEvent):
    """The barrier's vehicle detector under the arm (induction loop or light curtain): occupied or clear.
    A vehicle has passed when it goes occupied, then clear, after the arm opened."""

    occupied: bool


@dataclass(frozen=True)
class ScanResult(DeviceEvent):
    scan_id: str
    scanned_at: dt.datetime | None
    container: str | None
    plate: str | None
    image_ref: str | None
    verdict: str  # clear | suspect | unknown, as the scanner says
    suspicious: bool
    source: str = "serial"  # serial | folder (file name in image_ref/raw)
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class ESealRead(DeviceEvent):
    seal_id: str
    state: str  # sealed | opened | tampered
    battery_pct: int | None
    event_time: dt.datetime | None  # when the seal recorded the state (the seal's clock)


@dataclass(frozen=True)
class FrameRejected(DeviceEvent):
    """A complete frame that could not be understood (the screen may beep); already logged once."""

    reason: str
    payload: bytes = field(repr=False, default=b"")


@dataclass(frozen=True)
class DeviceHealth:
    name: str
    kind: str
    state: str  # starting | connected | disconnected | error | stopped
    since: dt.datetime
    last_error: str | None = None
    last_event_at: dt.datetime | None = None
    port: str | None = None
    detail: str | None = None  # e.g. the barrier's last state
    dropped_bytes: int = 0  # noise and over-long frames dropped since start (devices/framing.py)
    confirmed: bool = True  # False when `detail` is the last commanded barrier state, not the device's report


@dataclass(frozen=True)
class DeviceHealthChanged(DeviceEvent):
    health: DeviceHealth


@dataclass(frozen=True)
class CommandResult:
    """Outcome of one barrier command; passed to `on_command` for the audit trail."""

    device: str
    command: str  # open | close | status
    ok: bool
    at: dt.datetime
    state: str | None = None  # barrier state after the command, when known
    error: str | None = None
    reason: str | None = None  # why it was sent: the caller's reason, or "passage" / "timeout" (auto-close)
