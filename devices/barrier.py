"""Gate barriers: three ways to drive one.

* ``lcus``    LCUS-style USB relay board wired to the barrier controller's dry-contact inputs. Command frame
  ``A0 <channel> <state> <sum>`` with sum = (0xA0 + channel + state) mod 256, e.g. ``A0 01 01 A2`` relay 1 on,
  ``A0 01 00 A1`` off. Latch mode: relay on = open, off = close. Pulse mode: a pulse on `open_channel` opens,
  a pulse on `close_channel` closes. The board reports nothing, so the state shown is the last one
  commanded (`confirmed=False`).
* ``modbus``  Modbus RTU on RS-485 (e.g. CAME): a coil opens, a coil closes (pulsed), and one holding
  register tells the state through the configured `status_map` (CAME 40101: 16 open, 17 closed,
  32 opening, 33 closing). A vehicle detector (induction loop or light curtain) wired to the controller is
  read as one discrete input (`loop_input`, 1 = occupied). Driven by pymodbus's serial client.
* ``ascii``   a plain line protocol for controllers with a serial console (and our simulator):
  host sends ``OPEN``, ``CLOSE``, ``STATUS?``; the device answers ``OK OPEN``, ``OK CLOSE``, ``ERR <text>``,
  ``STATUS <OPEN|CLOSED|OPENING|CLOSING|FAULT>`` and may send ``STATUS …`` lines on its own when the state
  changes; a controller with a vehicle detector sends ``LOOP OCCUPIED`` / ``LOOP CLEAR`` when it changes.
  Lines end with the framing suffix (CR LF by default).

Commands are "open", "close" and "status". The manager runs them on the port's own thread and reports each
one to its `on_command` hook (the audit trail). The detector's changes are `BarrierLoop` events: the manager
closes a barrier opened for one vehicle when it has passed (devices/manager.py, auto-close).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from devices.base import DeviceSilent, FrameError, Link, StreamDriver
from devices.events import BarrierLoop, BarrierStatus, CommandResult, DeviceEvent
from devices.framing import Framer, IdleFramer, encode_frame

log = logging.getLogger(__name__)

COMMANDS = ("open", "close", "status")


def lcus_frame(channel: int, on: bool) -> bytes:
    state = 1 if on else 0
    return bytes([0xA0, channel, state, (0xA0 + channel + state) & 0xFF])


def parse_lcus_frame(frame: bytes) -> tuple[int, bool]:
    """(channel, on) of a 4-byte LCUS command; ValueError when the checksum or state byte is wrong."""
    if len(frame) != 4 or frame[0] != 0xA0:
        raise ValueError("not an LCUS frame")
    channel, state, total = frame[1], frame[2], frame[3]
    if state not in (0, 1):
        raise ValueError(f"bad state byte {state:#04x}")
    if (0xA0 + channel + state) & 0xFF != total:
        raise ValueError("bad checksum")
    return channel, bool(state)


class _BarrierDriver(StreamDriver):
    kind = "barrier"
    takes_commands = True

    def __init__(self, spec: Any):
        super().__init__(spec)
        self.state: str = "unknown"

    @property
    def detail(self) -> str | None:
        return self.state

    def disconnected(self) -> None:
        self.state = "unknown"


class LcusBarrierDriver(_BarrierDriver):
    def framer(self) -> Framer:
        # The board sends nothing; whatever arrives is noise gathered in bursts and logged once per burst.
        return IdleFramer(0.05, self.spec.max_frame)

    def handle(self, payload: bytes, at: dt.datetime) -> list[DeviceEvent]:
        raise FrameError(f"unexpected {len(payload)} bytes from a relay board")

    def connected(self, link: Link, at: dt.datetime) -> list[DeviceEvent]:
        self.state = "unknown"
        return [BarrierStatus(self.name, at, "unknown", confirmed=False, source="poll")]

    def _pulse(self, link: Link, channel: int) -> bool:
        link.write(lcus_frame(channel, True))
        done = link.sleep(self.spec.lcus.pulse_ms / 1000)
        link.write(lcus_frame(channel, False))  # always release the contact, even when stopping
        return done

    def execute(self, link: Link, command: str, at: dt.datetime) -> CommandResult:
        p = self.spec.lcus
        if command == "status":
            return CommandResult(self.name, command, True, at, state=self.state)
        if p.pulse_ms:
            self._pulse(link, p.open_channel if command == "open" else p.close_channel)
        else:
            link.write(lcus_frame(p.open_channel, command == "open"))
        self.state = "open" if command == "open" else "closed"
        link.emit(BarrierStatus(self.name, at, self.state, confirmed=False, source="command"))
        return CommandResult(self.name, command, True, at, state=self.state)


_ASCII_STATES = {"OPEN": "open", "CLOSED": "closed", "OPENING": "opening", "CLOSING": "closing", "FAULT": "fault"}


class AsciiBarrierDriver(_BarrierDriver):
    polls = True

    def __init__(self, spec: Any):
        super().__init__(spec)
        self._source = "unsolicited"
        self._reported = False

    def _line(self, text: str) -> bytes:
        f = self.spec.framing
        return encode_frame(text.encode("ascii"), f.mode, **f.params())

    def disconnected(self) -> None:
        super().disconnected()
        self._reported = False

    def handle(self, payload: bytes, at: dt.datetime) -> list[DeviceEvent]:
        try:
            text = payload.decode("ascii").strip()
        except UnicodeDecodeError:
            raise FrameError("barrier line is not ASCII") from None
        if text.startswith("STATUS "):
            word = text[7:].strip().upper()
            state = _ASCII_STATES.get(word)
            if state is None:
                raise FrameError(f"unknown barrier status {word!r}")
            if state != self.state or not self._reported or self._source == "command":
                self.state = state
                self._reported = True
                return [BarrierStatus(self.name, at, state, raw=word, source=self._source)]
            return []
        if text.startswith("LOOP "):
            word = text[5:].strip().upper()
            if word not in ("OCCUPIED", "CLEAR"):
                raise FrameError(f"unknown loop state {word[:20]!r}")
            return [BarrierLoop(self.name, at, word == "OCCUPIED")]
        if text.startswith(("OK", "ERR")):
            return []  # a reply; `execute` reads it through `transact`
        raise FrameError(f"unexpected barrier line {text[:40]!r}")

    def _query(self, link: Link, source: str) -> str | None:
        self._source = source
        try:
            reply = link.transact(
                self._line("STATUS?"), lambda p: p.strip().startswith(b"STATUS "), self.spec.command_timeout
            )
        finally:
            self._source = "unsolicited"
        return self.state if reply is not None else None

    def poll(self, link: Link, at: dt.datetime) -> list[DeviceEvent]:
        if self._query(link, "poll") is None:
            raise DeviceSilent("no reply to STATUS?")
        return []

    def execute(self, link: Link, command: str, at: dt.datetime) -> CommandResult:
        if command == "status":
            state = self._query(link, "command")
            if state is None:
                return CommandResult(self.name, command, False, at, error="no reply to STATUS?")
            return CommandResult(self.name, command, True, at, state=state)
        word = command.upper()
        reply = link.transact(
            self._line(word), lambda p: p.strip().startswith((b"OK", b"ERR")), self.spec.command_timeout
        )
        if reply is None:
            return CommandResult(self.name, command, False, at, error=f"no reply to {word}")
        text = reply.decode("ascii", errors="replace").strip()
        if not text.startswith("OK"):
            return CommandResult(self.name, command, False, at, error=text[4:].strip() or "refused")
        state = self._query(link, "command")
        return CommandResult(self.name, command, True, at, state=state)


def make_stream_barrier(spec: Any) -> _BarrierDriver:
    if spec.protocol == "lcus":
        return LcusBarrierDriver(spec)
    if spec.protocol == "ascii":
        return AsciiBarrierDriver(spec)
    raise ValueError(f"{spec.protocol} barriers are not stream drivers")


class ModbusBarrier:
    """Modbus RTU barrier through pymodbus's synchronous serial client (the manager's thread owns it)."""

    def __init__(self, spec: Any):
        self.spec = spec
        self.name: str = spec.name
        self.client: Any = None
        self.state = "unknown"

    def connect(self) -> None:
        from pymodbus import FramerType
        from pymodbus.client import ModbusSerialClient

        s = self.spec
        client = ModbusSerialClient(
            s.port,
            framer=FramerType.RTU,
            baudrate=s.baud,
            bytesize=s.bytesize,
            parity=s.parity,
            stopbits=s.stopbits,
            timeout=s.modbus.timeout,
            retries=0,
            name=s.name,
        )
        if not client.connect():
            raise OSError("the Modbus serial client could not open the port")
        self.client = client

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.close()
            finally:
                self.client = None
        self.state = "unknown"

    def _call(self, fn_name: str, *args: Any, **kwargs: Any) -> Any:
        from pymodbus.exceptions import ConnectionException, ModbusIOException

        if self.client is None:
            raise OSError("not connected")
        try:
            rr = getattr(self.client, fn_name)(*args, device_id=self.spec.modbus.unit_id, **kwargs)
        except ConnectionException as exc:
            raise OSError(f"port lost: {exc}") from None
        except ModbusIOException as exc:
            if self.client is None or not self.client.connected:
                raise OSError(f"port lost: {exc}") from None
            raise DeviceSilent(f"no Modbus reply from unit {self.spec.modbus.unit_id}") from None
        if rr.isError():
            raise DeviceSilent(f"Modbus exception {getattr(rr, 'exception_code', '?')} on {fn_name}")
        return rr

    def read_loop(self) -> bool | None:
        """True when a vehicle is on the detector; None when no `loop_input` is configured."""
        m = self.spec.modbus
        if m.loop_input is None:
            return None
        rr = self._call("read_discrete_inputs", m.loop_input, count=1)
        return bool(rr.bits[0])

    def read_status(self) -> tuple[str, int]:
        m = self.spec.modbus
        rr = self._call("read_holding_registers", m.status_register, count=1)
        raw = int(rr.registers[0])
        self.state = m.status_map.get(raw, "unknown")
        return self.state, raw

    def write_command(self, command: str, sleep: Any) -> None:
        """Drive the coils for "open"/"close"; `sleep(seconds)` waits between pulse edges."""
        m = self.spec.modbus
        if command == "open":
            coil = m.open_coil
        elif m.close_coil is not None:
            coil = m.close_coil
        else:  # a single coil: off means close
            self._call("write_coil", m.open_coil, False)
            return
        self._call("write_coil", coil, True)
        if m.pulse_ms:
            sleep(m.pulse_ms / 1000)
            self._call("write_coil", coil, False)
