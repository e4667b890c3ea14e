"""Device simulators on pseudo-terminals: what `workstation devices simulate KIND` runs, and what the tests,
the benchmark and the demo drive.

Each simulator takes lines of a small script language (from a file or typed on stdin):

    # comment                     sleep SECONDS                 raw HEX (bytes as they are, e.g. noise)
    send TEXT                     quit                          help
    sample                        (one canned valid read)

and kind-specific verbs (`help` lists them). TEXT understands \\r \\n \\t \\\\ \\xHH. A line that is no verb
is, for readers, sent as the data of one read. Everything the simulator has to say goes to `out`
(stderr in the CLI), so its stdout carries only the port path.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import re
import select
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from devices.barrier import lcus_frame, parse_lcus_frame
from devices.framing import DelimitedFramer, Frame, encode_frame
from devices.sim.pty import PtyBridge, PtyPort
from workstation.domain.identifiers import mrz_check_digit

Out = Callable[[str], None]

SAMPLE_CONTAINER = "CSQU3054383"
# ICAO 9303 part 4 specimen passport (fictional state UTO).
SAMPLE_MRZ = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)
# ICAO 9303 part 5 specimen identity card (TD1) and the part 6 TD2 specimen.
SAMPLE_TD1 = (
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
)
SAMPLE_TD2 = (
    "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
    "D231458907UTO7408122F1204159<<<<<<<6",
)


def _mrz_field(text: str, width: int) -> str:
    text = text.upper().replace(" ", "<")
    if len(text) > width:
        raise ValueError(f"{text!r} is longer than {width} MRZ characters")
    return text.ljust(width, "<")


def _mrz_name(surname: str, given: str, width: int) -> str:
    return _mrz_field(surname.replace(" ", "<") + "<<" + given.replace(" ", "<"), width)[:width]


def _cd(text: str) -> str:
    return str(mrz_check_digit(text))


def td3_mrz(
    number: str,
    *,
    surname: str = "ERIKSSON",
    given: str = "ANNA MARIA",
    state: str = "UTO",
    nationality: str | None = None,
    birth: str = "740812",
    sex: str = "F",
    expiry: str = "320415",
    personal: str = "",
    code: str = "P<",
) -> tuple[str, str]:
    """A TD3 passport MRZ (ICAO 9303 part 4) with every check digit right. Dates YYMMDD; a space in
    `personal` becomes the filler ``<``."""
    line1 = _mrz_field(code, 2) + _mrz_field(state, 3) + _mrz_name(surname, given, 39)
    num = _mrz_field(number, 9)
    pers = _mrz_field(personal, 14)
    pcd = "<" if set(pers) == {"<"} else _cd(pers)
    body = f"{num}{_cd(num)}{_mrz_field(nationality or state, 3)}{birth}{_cd(birth)}{sex}{expiry}{_cd(expiry)}{pers}{pcd}"
    return line1, body + _cd(body[0:10] + body[13:20] + body[21:43])


def td1_mrz(
    number: str,
    *,
    surname: str = "ERIKSSON",
    given: str = "ANNA MARIA",
    state: str = "UTO",
    nationality: str | None = None,
    birth: str = "740812",
    sex: str = "F",
    expiry: str = "320415",
    optional: str = "",
    optional2: str = "",
    code: str = "I<",
) -> tuple[str, str, str]:
    """A TD1 identity-card MRZ (ICAO 9303 part 5) with every check digit right; a number longer than 9
    characters overflows into the optional data (its check digit after it, then a filler)."""
    if len(number) > 9:
        num, cd, opt = number[:9], "<", number[9:] + _cd(number) + "<" + optional
    else:
        num = _mrz_field(number, 9)
        cd, opt = _cd(num), optional
    line1 = _mrz_field(code, 2) + _mrz_field(state, 3) + num + cd + _mrz_field(opt, 15)
    line2 = f"{birth}{_cd(birth)}{sex}{expiry}{_cd(expiry)}{_mrz_field(nationality or state, 3)}{_mrz_field(optional2, 11)}"
    line2 += _cd(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
    return line1, line2, _mrz_name(surname, given, 30)


# A passport whose number starts with "P" (as current Australian and Philippine ones do): its second line
# starts with P too.
SAMPLE_MRZ_P = td3_mrz("PA1234567", surname="DELA CRUZ", given="JUAN", state="PHL", birth="850101", sex="M")

_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{2}|[rnt0\\e])")
_SIMPLE = {"r": "\r", "n": "\n", "t": "\t", "0": "\0", "\\": "\\", "e": "\x1b"}


def unescape(text: str) -> bytes:
    """Script text to bytes: UTF-8, with \\r \\n \\t \\0 \\e \\\\ and \\xHH escapes."""
    out = bytearray()
    pos = 0
    for m in _ESCAPE.finditer(text):
        out += text[pos : m.start()].encode("utf-8")
        esc = m.group(1)
        out += bytes([int(esc[1:], 16)]) if esc[0] == "x" else _SIMPLE[esc].encode("latin-1")
        pos = m.end()
    out += text[pos:].encode("utf-8")
    return bytes(out)


class ScriptError(ValueError):
    pass


class Simulator:
    kind = "device"
    verbs_help = ""

    def __init__(self, out: Out | None = None):
        self.out: Out = out or (lambda _msg: None)
        self._closed = False
        self.stop = threading.Event()  # set to cut a script's sleep short

    # --- what the application opens
    @property
    def path(self) -> str:
        raise NotImplementedError

    def write(self, data: bytes) -> None:
        raise NotImplementedError

    # --- script
    def run_line(self, line: str) -> bool:
        """Run one script line. False when the script says quit."""
        line = line.rstrip("\r\n")
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            return True
        verb, _, rest = stripped.partition(" ")
        verb = verb.lower()
        if verb == "quit":
            return False
        if verb == "sleep":
            try:
                seconds = float(rest)
            except ValueError:
                raise ScriptError("sleep needs seconds") from None
            return not self.stop.wait(max(0.0, seconds))
        if verb == "raw":
            try:
                self.write(bytes.fromhex(rest))
            except ValueError:
                raise ScriptError("raw needs hex bytes, e.g. raw 00 ff 1b") from None
            return True
        if verb == "help":
            self.out(
                "verbs: sleep S | raw HEX | send TEXT | sample | quit" + (f" | {self.verbs_help}" if self.verbs_help else "")
            )
            return True
        handler = getattr(self, f"do_{verb}", None)
        if handler is not None:
            handler(rest)
            return True
        self.default(line)
        return True

    def run_script(self, lines: Any) -> bool:
        """Run lines until the end, `quit` or `stop`. False if the script said quit or was stopped."""
        for n, line in enumerate(lines, 1):
            if self.stop.is_set():
                return False
            try:
                if not self.run_line(line):
                    return False
            except ScriptError as exc:
                self.out(f"line {n}: {exc}")
        return True

    def default(self, line: str) -> None:
        raise ScriptError(f"unknown verb in {line.strip()[:30]!r} (try help)")

    def close(self) -> None:
        self._closed = True

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _PtySimulator(Simulator):
    def __init__(
        self,
        port: PtyPort | None = None,
        *,
        link: str | None = None,
        out: Out | None = None,
        baud: int | None = None,
        bits_per_byte: float = 10.0,
    ):
        super().__init__(out)
        self.port = port or PtyPort(link)
        # A pty moves bytes at memory speed; with `baud` the simulator paces writes like a real line (8N1: 10 bits).
        self.byte_time = bits_per_byte / baud if baud else 0.0

    @property
    def path(self) -> str:
        return self.port.port

    def write(self, data: bytes) -> None:
        if not self.byte_time:
            self.port.write(data)
            return
        chunk = max(1, int(0.01 / self.byte_time))  # about 10 ms of line time per write
        for i in range(0, len(data), chunk):
            part = data[i : i + chunk]
            self.port.write(part)
            time.sleep(len(part) * self.byte_time)

    def close(self) -> None:
        super().close()
        self.port.close(unlink=True)


class _FramedReaderSim(_PtySimulator):
    """A reader that sends framed data (barcode, MRZ, scanner and e-seal readers)."""

    def __init__(
        self,
        port: PtyPort | None = None,
        *,
        framing: str = "suffix",
        framing_params: dict[str, Any] | None = None,
        link: str | None = None,
        out: Out | None = None,
        baud: int | None = None,
    ):
        super().__init__(port, link=link, out=out, baud=baud)
        self.framing = framing
        self.framing_params = dict(framing_params or {})

    def frame(self, payload: bytes) -> bytes:
        return encode_frame(payload, self.framing, **self.framing_params)

    def send(self, payload: bytes | str) -> None:
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        self.write(self.frame(payload))

    def do_send(self, rest: str) -> None:
        self.send(unescape(rest))

    def default(self, line: str) -> None:
        self.send(unescape(line.strip()))


class BarcodeSim(_FramedReaderSim):
    kind = "barcode"
    verbs_help = "scan TEXT | aim ]Q1|none | split TEXT | noise N"

    def __init__(self, port: PtyPort | None = None, *, aim: str | None = "]Q1", **kw: Any):
        super().__init__(port, **kw)
        self.aim = aim

    def scan(self, data: bytes | str, aim: str | None = ...) -> None:  # type: ignore[assignment]
        if isinstance(data, str):
            data = data.encode("utf-8")
        prefix = self.aim if aim is ... else aim
        self.send((prefix or "").encode("ascii") + data)

    def do_scan(self, rest: str) -> None:
        self.scan(unescape(rest))

    def do_send(self, rest: str) -> None:
        self.scan(unescape(rest))

    def default(self, line: str) -> None:
        self.scan(unescape(line.strip()))

    def do_sample(self, rest: str) -> None:
        self.scan(SAMPLE_CONTAINER)

    def do_aim(self, rest: str) -> None:
        value = rest.strip()
        self.aim = None if value.lower() in ("", "none", "off") else value

    def do_split(self, rest: str) -> None:
        """Send one frame in two writes with a pause between (a frame split across reads)."""
        frame = self.frame((self.aim or "").encode("ascii") + unescape(rest))
        half = len(frame) // 2
        self.write(frame[:half])
        time.sleep(0.05)
        self.write(frame[half:])

    def do_noise(self, rest: str) -> None:
        try:
            n = int(rest or "8")
        except ValueError:
            raise ScriptError("noise needs a byte count") from None
        # Line noise as seen when a cable is plugged in: NULs and 0xFF, no framing bytes.
        self.write(bytes((0x00, 0xFF, 0x80, 0x7F)[i % 4] for i in range(n)))


class MrzSim(_FramedReaderSim):
    """An MRZ reader. With suffix framing (or `per_line=True`) it sends one line per frame, as line-mode
    readers do; otherwise the whole MRZ in one frame (lines separated by CR LF)."""

    kind = "mrz"
    verbs_help = "mrz LINE1 LINE2 [LINE3] | sample [td3|td1|td2|p]"
    SAMPLES = {"td3": SAMPLE_MRZ, "td1": SAMPLE_TD1, "td2": SAMPLE_TD2, "p": SAMPLE_MRZ_P}

    def __init__(self, port: PtyPort | None = None, *, framing: str = "etx", per_line: bool | None = None,
                 **kw: Any):
        super().__init__(port, framing=framing, **kw)
        self.per_line = framing == "suffix" if per_line is None else per_line

    def read_document(self, *lines: str) -> None:
        """One read of a passport (2 lines), TD2 document (2) or identity card (3)."""
        if self.per_line:
            for line in lines:
                self.send(line)
        else:
            self.send("\r\n".join(lines))

    def read_passport(self, line1: str, line2: str) -> None:
        self.read_document(line1, line2)

    def do_mrz(self, rest: str) -> None:
        parts = rest.split()
        if len(parts) not in (2, 3):
            raise ScriptError("mrz needs two or three lines separated by spaces")
        self.read_document(*parts)

    def do_sample(self, rest: str) -> None:
        which = rest.strip().lower() or "td3"
        if which not in self.SAMPLES:
            raise ScriptError(f"sample is one of {', '.join(self.SAMPLES)}")
        self.read_document(*self.SAMPLES[which])

    def default(self, line: str) -> None:
        parts = line.split()
        if len(parts) in (2, 3):
            self.read_document(*parts)
        else:
            self.send(unescape(line.strip()))


def scan_record(
    scan_id: str,
    container: str | None = None,
    *,
    verdict: str = "clear",
    plate: str | None = None,
    image: str | None = None,
    when: dt.datetime | None = None,
) -> dict[str, Any]:
    when = when or dt.datetime.now(dt.UTC)
    return {
        "scan_id": scan_id,
        "time": when.isoformat(timespec="seconds"),
        "container": container,
        "plate": plate,
        "image": image or f"images/{scan_id}.jpg",
        "verdict": verdict,
    }


def write_drop_file(folder: str | os.PathLike[str], record: dict[str, Any], name: str | None = None) -> Path:
    """Drop a result file the way a scanner gateway should: write a temporary name, then rename."""
    folder = Path(folder)
    name = name or f"{record.get('scan_id', 'scan')}.json"
    tmp = folder / f".{name}.tmp"
    tmp.write_text(json.dumps(record), encoding="utf-8")
    final = folder / name
    os.replace(tmp, final)
    return final


class _ScanVerbs:
    """Script verbs shared by the serial and the folder scanner simulators."""

    kind = "scanner"
    verbs_help = "scan CONTAINER [clear|suspect] [PLATE]"
    _seq = 0

    def result(self, record: dict[str, Any]) -> None:
        raise NotImplementedError

    def do_scan(self, rest: str) -> None:
        args = rest.split()
        if not args:
            raise ScriptError("scan needs a container number")
        self._seq += 1
        verdict = args[1].lower() if len(args) > 1 else "clear"
        if verdict not in ("clear", "suspect"):
            raise ScriptError("verdict must be clear or suspect")
        scan_id = f"SIM-{os.getpid()}-{self._seq:04d}"
        self.result(scan_record(scan_id, args[0], verdict=verdict, plate=args[2] if len(args) > 2 else None))

    def do_sample(self, rest: str) -> None:
        self.do_scan(f"{SAMPLE_CONTAINER} suspect")


class ScannerSim(_ScanVerbs, _FramedReaderSim):
    """X-ray scanner results as JSON lines on a pty."""

    def result(self, record: dict[str, Any]) -> None:
        self.send(json.dumps(record, separators=(",", ":")))


class FolderScannerSim(_ScanVerbs, Simulator):
    """X-ray scanner results dropped as files into a folder (network scanners' gateway)."""

    def __init__(self, folder: str | os.PathLike[str], *, out: Out | None = None):
        Simulator.__init__(self, out)
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    @property
    def path(self) -> str:
        return str(self.folder)

    def write(self, data: bytes) -> None:
        raise ScriptError("a drop folder takes whole files, not raw bytes")

    def result(self, record: dict[str, Any]) -> None:
        write_drop_file(self.folder, record)

    def do_send(self, rest: str) -> None:
        try:
            record = json.loads(unescape(rest).decode("utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ScriptError("send needs a JSON object") from None
        self.result(record)

    def default(self, line: str) -> None:
        self.do_send(line.strip())


class ESealSim(_FramedReaderSim):
    kind = "eseal"
    verbs_help = "seal ID sealed|opened|tampered [BATTERY]"

    def seal(self, seal_id: str, state: str, battery: int | None = None) -> None:
        when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        self.send(f"ESEAL|{seal_id}|{state.upper()}|{'-' if battery is None else battery}|{when}")

    def do_seal(self, rest: str) -> None:
        args = rest.split()
        if len(args) not in (2, 3):
            raise ScriptError("seal needs ID STATE [BATTERY]")
        battery = None
        if len(args) == 3:
            if not args[2].isdigit():
                raise ScriptError("battery is a whole percentage")
            battery = int(args[2])
        self.seal(args[0], args[1], battery)

    def do_sample(self, rest: str) -> None:
        self.seal("ES0012345", "sealed", 87)


# --- barriers -----------------------------------------------------------------------------------------


class BarrierMechanism:
    """The arm: closed → opening → open → closing → closed, each move taking `travel` seconds; and the vehicle
    detector under it (an induction loop), occupied while a vehicle drives through.

    `auto_pass` (seconds): after each open command a simulated truck drives through once the arm is up and
    that long has passed, occupying the loop for `pass_time` seconds (the demo's trucks)."""

    CODES = {"open": 16, "closed": 17, "opening": 32, "closing": 33, "fault": 99}

    def __init__(
        self,
        travel: float = 1.0,
        on_change: Callable[[str], None] | None = None,
        *,
        auto_pass: float | None = None,
        pass_time: float = 0.3,
    ):
        self.travel = travel
        self._state = "closed"
        self._until = 0.0
        self._lock = threading.Lock()
        self.on_change = on_change
        self.commands: list[str] = []  # every command received, for tests
        self.auto_pass = auto_pass
        self.pass_time = pass_time
        self._loop = False  # set by the script (`loop occupied`)
        self._vehicle: tuple[float, float] | None = None  # (on the loop from, off it at), monotonic

    def occupied(self) -> bool:
        """Whether a vehicle is on the loop now."""
        with self._lock:
            now = time.monotonic()
            if self._vehicle is not None and now >= self._vehicle[1]:
                self._vehicle = None
            return self._loop or (self._vehicle is not None and now >= self._vehicle[0])

    def set_loop(self, occupied: bool) -> None:
        with self._lock:
            self._loop = occupied

    def vehicle_passes(self, delay: float = 0.0, duration: float | None = None) -> None:
        """A vehicle reaches the loop in `delay` seconds and leaves it `duration` seconds later."""
        with self._lock:
            start = time.monotonic() + delay
            self._vehicle = (start, start + (self.pass_time if duration is None else duration))

    def _settle(self, now: float) -> str | None:
        if self._state in ("opening", "closing") and now >= self._until:
            self._state = "open" if self._state == "opening" else "closed"
            return self._state
        return None

    def state(self) -> str:
        with self._lock:
            changed = self._settle(time.monotonic())
            state = self._state
        if changed and self.on_change:
            self.on_change(changed)
        return state

    def command(self, what: str) -> bool:
        """"open" or "close". False when the arm is in fault."""
        with self._lock:
            self._settle(time.monotonic())
            self.commands.append(what)
            if self._state == "fault":
                return False
            target = "open" if what == "open" else "closed"
            if what == "open" and self.auto_pass is not None:
                start = time.monotonic() + self.travel + self.auto_pass
                self._vehicle = (start, start + self.pass_time)
            if self._state == target:
                return True
            self._state = "opening" if what == "open" else "closing"
            self._until = time.monotonic() + self.travel
            if self.travel <= 0:
                self._state = target
            state = self._state
        if self.on_change:
            self.on_change(state)
        return True

    def force(self, state: str) -> None:
        if state not in self.CODES:
            raise ScriptError(f"state must be one of {', '.join(self.CODES)}")
        with self._lock:
            self._state = state
            self._until = time.monotonic() + self.travel
        if self.on_change:
            self.on_change(state)


class _BarrierSimBase(Simulator):
    kind = "barrier"
    verbs_help = (
        "state open|closed|opening|closing|fault | travel SECONDS | status | loop occupied|clear"
        " | pass [SECONDS] | autopass SECONDS|off"
    )

    def __init__(self, travel: float, out: Out | None, auto_pass: float | None = None):
        Simulator.__init__(self, out)
        self.mechanism = BarrierMechanism(travel, on_change=self._changed, auto_pass=auto_pass)

    def do_loop(self, rest: str) -> None:
        """loop occupied|clear: a vehicle stops on the detector, or leaves it."""
        word = rest.strip().lower()
        if word not in ("occupied", "clear"):
            raise ScriptError("loop needs occupied or clear")
        self.mechanism.set_loop(word == "occupied")

    def do_pass(self, rest: str) -> None:
        """pass [SECONDS]: a vehicle drives through now, on the loop for SECONDS (default 0.3)."""
        try:
            duration = float(rest) if rest.strip() else None
        except ValueError:
            raise ScriptError("pass takes seconds") from None
        self.mechanism.vehicle_passes(0.0, duration)

    def do_autopass(self, rest: str) -> None:
        word = rest.strip().lower()
        try:
            self.mechanism.auto_pass = None if word in ("off", "") else float(word)
        except ValueError:
            raise ScriptError("autopass needs seconds or off") from None

    def _changed(self, state: str) -> None:
        self.out(f"barrier {state}")

    def do_state(self, rest: str) -> None:
        self.mechanism.force(rest.strip().lower())

    def do_travel(self, rest: str) -> None:
        try:
            self.mechanism.travel = float(rest)
        except ValueError:
            raise ScriptError("travel needs seconds") from None

    def do_status(self, rest: str) -> None:
        self.out(f"barrier {self.mechanism.state()}")

    def do_sample(self, rest: str) -> None:
        self.do_status(rest)

    def do_send(self, rest: str) -> None:
        self.write(unescape(rest))


class BarrierSim(_BarrierSimBase):
    """ASCII-protocol or LCUS relay-board barrier on a pty (see devices/barrier.py for both protocols)."""

    def __init__(
        self,
        port: PtyPort | None = None,
        *,
        protocol: str = "ascii",
        travel: float = 1.0,
        lcus_mode: str = "latch",
        link: str | None = None,
        out: Out | None = None,
        auto_pass: float | None = None,
    ):
        if protocol not in ("ascii", "lcus"):
            raise ValueError("protocol must be ascii or lcus (modbus: ModbusBarrierSim)")
        _BarrierSimBase.__init__(self, travel, out, auto_pass)
        self.port = port or PtyPort(link)
        self.protocol = protocol
        self.lcus_mode = lcus_mode
        self.relays: dict[int, bool] = {}
        self._framer = DelimitedFramer(b"\r", max_length=256) if protocol == "ascii" else None
        self._lcus_buf = bytearray()
        self._reported = self.mechanism.state()
        self._loop_reported = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=f"sim-barrier-{protocol}", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            data = self.port.read(0.02)
            if data:
                if self.protocol == "ascii":
                    self._ascii(data)
                else:
                    self._lcus(data)
            if self.protocol == "ascii":
                state = self.mechanism.state()
                if state != self._reported:  # the controller announces every change by itself
                    self._reported = state
                    self._reply(f"STATUS {state.upper()}")
                occupied = self.mechanism.occupied()
                if occupied != self._loop_reported:  # and every change of its vehicle detector
                    self._loop_reported = occupied
                    self._reply("LOOP OCCUPIED" if occupied else "LOOP CLEAR")

    def _reply(self, text: str) -> None:
        with contextlib.suppress(OSError):
            self.port.write(text.encode("ascii") + b"\r\n")

    def _ascii(self, data: bytes) -> None:
        assert self._framer is not None
        for item in self._framer.feed(data):
            if not isinstance(item, Frame):
                continue
            cmd = item.payload.strip(b"\n ").decode("ascii", errors="replace").upper()
            if cmd in ("OPEN", "CLOSE"):
                if self.mechanism.command(cmd.lower()):
                    self._reply(f"OK {cmd}")
                else:
                    self._reply("ERR barrier in fault")
            elif cmd == "STATUS?":
                state = self.mechanism.state()
                self._reported = state
                self._reply(f"STATUS {state.upper()}")
            else:
                self._reply("ERR unknown command")

    def _lcus(self, data: bytes) -> None:
        self._lcus_buf += data
        while len(self._lcus_buf) >= 4:
            start = self._lcus_buf.find(0xA0)
            if start < 0:
                self._lcus_buf.clear()
                return
            del self._lcus_buf[:start]
            if len(self._lcus_buf) < 4:
                return
            try:
                channel, on = parse_lcus_frame(bytes(self._lcus_buf[:4]))
            except ValueError as exc:
                self.out(f"relay board: {exc}")
                del self._lcus_buf[:1]
                continue
            del self._lcus_buf[:4]
            self.relays[channel] = on
            self.out(f"relay {channel} {'on' if on else 'off'}")
            if self.lcus_mode == "latch" and channel == 1:
                self.mechanism.command("open" if on else "close")
            elif self.lcus_mode == "pulse" and on:
                self.mechanism.command("open" if channel == 1 else "close")

    @property
    def path(self) -> str:
        return self.port.port

    def write(self, data: bytes) -> None:
        self.port.write(data)

    def do_relay(self, rest: str) -> None:
        """relay CH on|off: what the host would send (handy to check wiring)."""
        args = rest.split()
        self._lcus(lcus_frame(int(args[0]), args[1].lower() == "on"))

    def close(self) -> None:
        if self._closed:
            return
        Simulator.close(self)
        self._stop.set()
        self._thread.join(5)
        self.port.close(unlink=True)


class ModbusBarrierSim(_BarrierSimBase):
    """A CAME-style Modbus RTU barrier: pymodbus's serial server on one end of a pty bridge.

    Coil `open_coil` on → open, coil `close_coil` on → close; holding register `status_register` answers
    the arm's state with the CAME codes (16 open, 17 closed, 32 opening, 33 closing); discrete input 0 is the
    vehicle detector (1 = occupied).
    """

    def __init__(
        self,
        *,
        unit_id: int = 1,
        open_coil: int = 0,
        close_coil: int = 1,
        status_register: int = 100,
        travel: float = 1.0,
        baud: int = 9600,
        link: str | None = None,
        out: Out | None = None,
        auto_pass: float | None = None,
    ):
        super().__init__(travel, out, auto_pass)
        self.unit_id = unit_id
        self.open_coil = open_coil
        self.close_coil = close_coil
        self.status_register = status_register
        self.bridge = PtyBridge(link_a=link)
        self.requests = 0
        self._loop = asyncio.new_event_loop()
        self._server: Any = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="sim-modbus", daemon=True)
        self._thread.start()
        if not self._ready.wait(10) or self._error is not None:
            self.close()
            raise RuntimeError(f"Modbus simulator did not start: {self._error}")

    @property
    def path(self) -> str:
        return self.bridge.a.port

    def write(self, data: bytes) -> None:
        self.bridge.b.write(data)  # raw bytes towards the application (noise on the bus)

    def _device(self) -> Any:
        from pymodbus.simulator import DataType, SimData, SimDevice

        coils = max(self.open_coil, self.close_coil) + 1
        return SimDevice(
            id=self.unit_id,
            simdata=(
                [SimData(0, count=coils, values=False, datatype=DataType.BITS)],
                [SimData(0, count=1, values=False, datatype=DataType.BITS)],
                [SimData(self.status_register, values=17, datatype=DataType.REGISTERS)],
                [SimData(0, values=0, datatype=DataType.REGISTERS)],
            ),
            action=self._action,
        )

    async def _action(self, fc: int, start: int, address: int, count: int, registers: list[int], values: Any) -> None:
        self.requests += 1
        if fc in (5, 15) and values and values[0] is True:
            if address == self.open_coil:
                self.mechanism.command("open")
            elif address == self.close_coil:
                self.mechanism.command("close")
        elif fc in (3, 4) and address <= self.status_register < address + count:
            registers[self.status_register - start] = self.mechanism.CODES[self.mechanism.state()]
        elif fc == 2 and start == 0:
            # discrete inputs are packed 16 to a register, input 0 in the lowest bit
            registers[0] = (registers[0] & ~1) | int(self.mechanism.occupied())
        return None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        except BaseException as exc:  # reported to the constructor
            self._error = exc
            self._ready.set()
        finally:
            self._loop.close()

    async def _main(self) -> None:
        from pymodbus import FramerType
        from pymodbus.server import ModbusSerialServer

        self._server = ModbusSerialServer(
            self._device(), framer=FramerType.RTU, port=self.bridge.b.path, baudrate=115200
        )
        await self._server.serve_forever(background=True)
        self._ready.set()
        await self._server.serving

    def close(self) -> None:
        if self._closed:
            return
        super().close()
        if self._server is not None and self._loop.is_running():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self._server.shutdown(), self._loop).result(5)
        self._thread.join(5)
        self.bridge.close()


def make_simulator(kind: str, **options: Any) -> Simulator:
    """The simulator for a CLI `KIND` with its options (framing, protocol, travel, link, folder, out)."""
    out = options.get("out")
    link = options.get("link")
    framing = options.get("framing")
    kw = {"link": link, "out": out, "baud": options.get("baud")}
    if kind == "barcode":
        return BarcodeSim(framing=framing or "suffix", aim=options.get("aim", "]Q1"), **kw)
    if kind == "mrz":
        return MrzSim(framing=framing or "etx", **kw)
    if kind == "scanner":
        if options.get("folder"):
            return FolderScannerSim(options["folder"], out=out)
        return ScannerSim(framing=framing or "suffix", **kw)
    if kind == "eseal":
        return ESealSim(framing=framing or "suffix", **kw)
    if kind == "barrier":
        protocol = options.get("protocol") or "ascii"
        travel = options.get("travel", 1.0)
        auto_pass = options.get("auto_pass")
        if protocol == "modbus":
            return ModbusBarrierSim(travel=travel, link=link, out=out, auto_pass=auto_pass)
        return BarrierSim(protocol=protocol, travel=travel, link=link, out=out, auto_pass=auto_pass)
    raise ValueError(f"unknown simulator kind {kind!r}")


def read_stdin_lines(stream: Any, stop: threading.Event) -> Any:
    """Yield lines typed on `stream` until EOF or `stop` (checked at least every 0.2 s)."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        fd = None
    if fd is None:  # e.g. a StringIO in tests
        for line in stream:
            if stop.is_set():
                return
            yield line
        return
    # Read the descriptor itself: select() knows nothing of a TextIO's buffer.
    pending = b""
    while not stop.is_set():
        try:
            ready, _, _ = select.select([fd], [], [], 0.2)
        except (OSError, ValueError):
            return
        if not ready:
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            if pending:
                yield pending.decode("utf-8", errors="replace")
            return
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            yield line.decode("utf-8", errors="replace") + "\n"


__all__ = [
    "SAMPLE_CONTAINER",
    "SAMPLE_MRZ",
    "SAMPLE_MRZ_P",
    "SAMPLE_TD1",
    "SAMPLE_TD2",
    "BarcodeSim",
    "BarrierMechanism",
    "BarrierSim",
    "ESealSim",
    "FolderScannerSim",
    "ModbusBarrierSim",
    "MrzSim",
    "ScannerSim",
    "Simulator",
    "make_simulator",
    "read_stdin_lines",
    "scan_record",
    "td1_mrz",
    "td3_mrz",
    "unescape",
    "write_drop_file",
]
