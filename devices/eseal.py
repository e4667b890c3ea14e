"""Electronic seal readers (ISO 18185 e-seals read by a fixed or handheld interrogator on a serial line).

One read per frame, either a JSON object
    {"seal_id": "ES123456", "state": "sealed", "battery": 87, "time": "2026-11-20T10:15:00+07:00"}
or a pipe line  ``ESEAL|<seal_id>|<SEALED|OPENED|TAMPERED>|<battery % or ->|<ISO time or ->``.
`time` is the seal's own record of the state change (optional); the event's `at` is when we read it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from devices.base import FrameError, StreamDriver
from devices.events import DeviceEvent, ESealRead
from devices.scanner import parse_iso_time

_STATES = ("sealed", "opened", "tampered")
_SEAL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_BATTERY = re.compile(r"[0-9]{1,3}")  # ASCII digits only: str.isdigit() also takes "²", which int() refuses


def eseal_from_record(record: Any, *, device: str, at: dt.datetime) -> ESealRead:
    if not isinstance(record, dict):
        raise FrameError("e-seal read must be a JSON object")
    seal_id = record.get("seal_id")
    if not isinstance(seal_id, str) or not _SEAL_ID.fullmatch(seal_id.strip()):
        raise FrameError("seal_id must be 1-64 letters, digits, '.', '_' or '-'")
    state = record.get("state")
    if not isinstance(state, str) or state.lower() not in _STATES:
        raise FrameError("state must be sealed, opened or tampered")
    battery = record.get("battery")
    if battery in (None, "", "-"):
        battery = None
    else:
        if isinstance(battery, str) and _BATTERY.fullmatch(battery):
            battery = int(battery)
        if not isinstance(battery, int) or isinstance(battery, bool) or not 0 <= battery <= 100:
            raise FrameError("battery must be a whole percentage 0-100")
    return ESealRead(
        device=device,
        at=at,
        seal_id=seal_id.strip().upper(),
        state=state.lower(),
        battery_pct=battery,
        event_time=parse_iso_time(record.get("time")),
    )


def parse_eseal_line(payload: bytes) -> dict[str, Any]:
    try:
        text = payload.decode("ascii").strip()
    except UnicodeDecodeError:
        raise FrameError("e-seal line is not ASCII") from None
    if text.startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise FrameError(f"e-seal line is not JSON ({exc.msg})") from None
        except (ValueError, RecursionError):  # a number past Python's digit limit; nesting past the stack
            raise FrameError("e-seal line is not a JSON record this driver reads") from None
    if text.startswith("ESEAL|"):
        parts = text.split("|")
        if len(parts) != 5:
            raise FrameError("ESEAL line needs 5 fields")
        _, seal_id, state, battery, when = parts
        return {"seal_id": seal_id, "state": state, "battery": battery, "time": None if when == "-" else when}
    raise FrameError("e-seal line is neither JSON nor ESEAL|…")


class ESealDriver(StreamDriver):
    kind = "eseal"

    def handle(self, payload: bytes, at: dt.datetime) -> list[DeviceEvent]:
        return [eseal_from_record(parse_eseal_line(payload), device=self.name, at=at)]
