"""Barcode / QR readers in serial (RS-232 or USB-CDC) mode.

Frame = [prefix][AIM id, e.g. ]Q1][data][suffix]; the framer removes prefix and suffix, this driver splits
the AIM identifier and decodes the data with the configured encoding. Data stays bytes until here, so a QR
code holding CR/LF survives when the framing allows it (etx or length framing).

`aim` setting: "required" rejects frames without a valid identifier (the reader must be configured to
transmit it); "optional" strips a valid one and keeps anything else whole; "off" never looks.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from devices.aim import AimError, parse_aim, split_aim_bytes
from devices.base import FrameError, StreamDriver
from devices.events import BarcodeScanned, DeviceEvent

log = logging.getLogger("devices")

# Line noise (plugging a cable in, a ground loop): NUL, other C0 controls, DEL, 0xFF. GS (0x1D), RS (0x1E)
# and EOT (0x04) are kept: GS1 and ISO/IEC 15434 data use them. TAB, CR and LF are kept as well.
_NOISE = re.compile(rb"[\x00-\x03\x05-\x08\x0b\x0c\x0e-\x1c\x1f\x7f\xff]+")
_AIM_AT = re.compile(rb"\][A-Za-z][0-9A-Za-z]")


def _first_aim(payload: bytes) -> int:
    for m in _AIM_AT.finditer(payload):
        try:
            parse_aim(m.group().decode("ascii"))
        except AimError:
            continue
        return m.start()
    return -1


class BarcodeDriver(StreamDriver):
    kind = "barcode"

    def _strip_noise(self, payload: bytes) -> bytes:
        """Bytes in front of the data that cannot be data (suffix framing has no start marker to resync on)."""
        cut = 0
        if self.spec.aim == "required":
            # The reader always sends the identifier first: whatever precedes the first valid one is noise.
            cut = max(0, _first_aim(payload))
        else:
            m = _NOISE.match(payload)
            cut = m.end() if m else 0
        if cut:
            log.warning("device %s: skipped %d noise bytes before a frame: %r", self.name, cut, payload[:cut][:48])
        return payload[cut:]

    def handle(self, payload: bytes, at: dt.datetime) -> list[DeviceEvent]:
        aim = None
        payload = self._strip_noise(payload)
        body = payload
        mode = self.spec.aim
        if mode != "off":
            try:
                aim, body = split_aim_bytes(payload)
            except AimError as exc:
                if mode == "required":
                    raise FrameError(f"wrong AIM identifier: {exc}") from None
                aim, body = None, payload
            if aim is None and mode == "required":
                raise FrameError("missing AIM identifier")
        if not body:
            raise FrameError("empty barcode data")
        text = body.decode(self.spec.encoding, errors="replace")
        return [
            BarcodeScanned(
                device=self.name,
                at=at,
                symbology=aim.symbology if aim else None,
                aim=aim.prefix if aim else None,
                payload=body,
                text=text,
            )
        ]
