"""MRZ readers over serial: passports (ICAO 9303 TD3), identity cards (TD1), TD2 documents and visas.

Readers send either the whole MRZ in one frame (STX line1 CR LF line2 [CR LF line3] ETX, the default framing,
or one run of 2×44 / 2×36 / 3×30 characters) or one line per frame (suffix framing). Lines sent one per
frame are gathered by structure — line length, which positions hold digits, the order of lines
(workstation.domain.mrz.LineAssembler) — never by a leading letter: a passport number may start with "P".
The check digits are checked by the same decoder `scan decode` uses (workstation.domain.mrz); an MRZ with a
wrong check digit is still delivered (valid=False) so the officer sees "rescan", not silence.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from devices.base import FrameError, StreamDriver
from devices.events import DeviceEvent, MrzRead
from workstation.domain.mrz import LineAssembler, MrzLineError, decode, split_lines


def _lines(payload: bytes) -> list[str]:
    try:
        text = payload.decode("ascii")
    except UnicodeDecodeError:
        raise FrameError("MRZ frame is not ASCII") from None
    return [ln.strip() for ln in text.replace("\r", "\n").split("\n") if ln.strip()]


class MrzDriver(StreamDriver):
    kind = "mrz"

    def __init__(self, spec: Any):
        super().__init__(spec)
        self._assembler = LineAssembler()

    def disconnected(self) -> None:
        self._assembler.reset()

    def handle(self, payload: bytes, at: dt.datetime) -> list[DeviceEvent]:
        lines = _lines(payload)
        if len(lines) == 1 and split_lines(lines[0]) is None:
            # one line of an MRZ sent on its own
            try:
                whole = self._assembler.feed(lines[0])
            except MrzLineError as exc:
                raise FrameError(f"MRZ {exc}") from None
            if whole is None:
                return []
            lines = list(whole)
        else:
            # a whole MRZ in one frame: lines held from an unfinished one are superseded
            self._assembler.reset()
            split = split_lines("\n".join(lines))
            if split is None:
                raise FrameError(f"not an MRZ (frame of {len(lines)} line(s))")
            lines = list(split)
        result = decode(lines, today=at.date())
        if result.format is None:
            raise FrameError(str(result.detail.get("error", "not an MRZ")))
        return [MrzRead(device=self.name, at=at, text=result.value, valid=result.valid, detail=result.detail)]
