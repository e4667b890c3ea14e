"""Passport MRZ readers (ICAO 9303 TD3) over serial.

Readers send either both lines in one frame (STX line1 CR LF line2 ETX, the default framing) or one line per
frame (suffix framing). A one-line frame starting with "P" is held as the first line until the second
arrives. The check digits are checked by the same decoder the screens use (workstation.domain.scan); an MRZ
with a wrong check digit is still delivered (valid=False) so the officer sees "rescan", not silence.
"""

from __future__ import annotations

import datetime as dt

from devices.base import FrameError, StreamDriver
from devices.events import DeviceEvent, MrzRead
from workstation.domain.scan import TD3_LINE, decode_scan


def _lines(payload: bytes) -> list[str]:
    try:
        text = payload.decode("ascii")
    except UnicodeDecodeError:
        raise FrameError("MRZ frame is not ASCII") from None
    return [ln.strip() for ln in text.replace("\r", "\n").split("\n") if ln.strip()]


class MrzDriver(StreamDriver):
    kind = "mrz"

    def __init__(self, spec):
        super().__init__(spec)
        self._first: str | None = None

    def disconnected(self) -> None:
        self._first = None

    def handle(self, payload: bytes, at: dt.datetime) -> list[DeviceEvent]:
        lines = _lines(payload)
        if len(lines) == 1 and len(lines[0]) == 2 * TD3_LINE:
            lines = [lines[0][:TD3_LINE], lines[0][TD3_LINE:]]
        if len(lines) == 1:
            line = lines[0]
            if len(line) != TD3_LINE:
                self._first = None
                raise FrameError(f"MRZ line of {len(line)} characters (TD3 has {TD3_LINE})")
            if line.startswith("P"):
                dropped = self._first
                self._first = line
                if dropped:
                    raise FrameError("MRZ first line without its second line (replaced)")
                return []
            if self._first is None:
                raise FrameError("MRZ second line without a first line")
            lines = [self._first, line]
            self._first = None
        elif len(lines) == 3:
            raise FrameError("three-line MRZ (TD1 identity card) is not supported")
        if len(lines) != 2:
            raise FrameError(f"MRZ frame with {len(lines)} lines")
        result = decode_scan("\n".join(lines))
        if result.kind != "mrz":
            raise FrameError("not a passport (TD3) MRZ")
        return [MrzRead(device=self.name, at=at, text=result.value, valid=result.valid, detail=result.detail)]
