"""Device configuration: one pydantic model per device kind, validated from the workstation config's
`[[devices]]` list. Ports are opened by a stable path (`/dev/serial/by-id/...`), never by a bare ttyUSBn.

Example (TOML):

    [[devices]]
    name = "counter-qr"
    kind = "barcode"
    port = "/dev/serial/by-id/usb-Honeywell_Imaging_1900-if00"
    baud = 115200                      # Honeywell default 115200 8N1, Zebra 9600 8N1
    framing = { mode = "suffix", suffix = "\\r\\n" }
    aim = "required"

    [[devices]]
    name = "gate-1"
    kind = "barrier"
    protocol = "modbus"
    port = "/dev/serial/by-id/usb-FTDI_USB-RS485-if00-port0"
    baud = 9600
    parity = "E"
    modbus = { unit_id = 1, open_coil = 0, close_coil = 1, status_register = 100, loop_input = 0 }

Strings that stand for bytes (suffix, prefix, start, end) are taken as Latin-1 text: TOML's "\\r\\n",
"\\u0002" give the control bytes.
"""

from __future__ import annotations

import codecs
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from devices.framing import DelimitedFramer, Framer, IdleFramer, LengthFramer
from workstation.errors import ConfigError

_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


# The longest frame each kind of device sends, in bytes: a partial frame past it is line noise and is dropped,
# so a babbling line holds at most this much (devices/framing.py). `framing.max_length` overrides it.
DEFAULT_MAX_FRAME = 8192
MAX_FRAME_BYTES = {
    "barcode": 8192,  # a QR code holds up to 7,089 digits (version 40, numeric), plus prefix and AIM id
    "mrz": 512,  # TD3: 2 x 44 characters and a CR LF; TD1: 3 x 30; room for a reader's own header
    "barrier": 256,  # ASCII status lines are about 20 bytes; a relay board sends nothing
    "scanner": 8192,  # one JSON result record (ids, container, plate, image path, unknown keys)
    "eseal": 1024,  # one JSON or ESEAL| read, about 150 bytes
}


def _as_bytes(value: str) -> bytes:
    return value.encode("latin-1")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FramingSpec(_Model):
    mode: Literal["suffix", "etx", "length", "idle"] = "suffix"
    suffix: str = "\r\n"
    prefix: str = ""
    start: str | None = None  # etx/length: default STX (0x02)
    end: str | None = None  # etx: default ETX (0x03); length: default none
    length_bytes: int = Field(2, ge=1, le=8)
    length_format: Literal["binary", "ascii"] = "binary"
    idle_gap: float = Field(0.05, gt=0, le=10)
    # None: the device kind's maximum (MAX_FRAME_BYTES); a framer never holds more than this of a partial frame
    max_length: int | None = Field(None, ge=16, le=1_048_576)

    @field_validator("suffix", "prefix", "start", "end")
    @classmethod
    def _latin1(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                v.encode("latin-1")
            except UnicodeEncodeError:
                raise ValueError("must be bytes 0x00-0xFF (Latin-1 text)") from None
        return v

    @model_validator(mode="after")
    def _delimiters(self) -> FramingSpec:
        if self.mode == "suffix" and not self.suffix:
            raise ValueError("suffix: must not be empty in suffix framing")
        if self.mode == "etx" and (self.end is not None and not self.end):
            raise ValueError("end: must not be empty in etx framing")
        return self

    def params(self) -> dict[str, Any]:
        """Byte parameters as `devices.framing.encode_frame` takes them."""
        if self.mode == "suffix":
            return {"prefix": _as_bytes(self.prefix), "suffix": _as_bytes(self.suffix)}
        if self.mode == "etx":
            return {"start": _as_bytes("\x02" if self.start is None else self.start), "end": _as_bytes(self.end or "\x03")}
        if self.mode == "length":
            return {
                "start": _as_bytes("\x02" if self.start is None else self.start),
                "end": _as_bytes(self.end or ""),
                "length_bytes": self.length_bytes,
                "length_format": self.length_format,
            }
        return {}

    def build(self, default_max: int = DEFAULT_MAX_FRAME) -> Framer:
        """The framer; `default_max` (bytes) applies when `max_length` is not set (the kind's maximum)."""
        p = self.params()
        limit = self.max_length or default_max
        if self.mode == "suffix":
            return DelimitedFramer(p["suffix"], p["prefix"], max_length=limit)
        if self.mode == "etx":
            return DelimitedFramer(p["end"], p["start"], restart_on_start=True, max_length=limit)
        if self.mode == "length":
            return LengthFramer(max_length=limit, **p)
        return IdleFramer(self.idle_gap, limit)


class _DeviceBase(_Model):
    name: str
    enabled: bool = True
    reconnect_initial: float = Field(0.5, gt=0, le=60)  # first back-off after a failure, seconds
    reconnect_max: float = Field(30.0, gt=0, le=3600)  # back-off doubles up to this

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME_RE.fullmatch(v):
            raise ValueError("1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
        return v


class _SerialBase(_DeviceBase):
    port: str | None = None  # stable path; pyserial URLs (loop://, rfc2217://) work too
    baud: int = Field(9600, ge=50, le=4_000_000)
    bytesize: Literal[5, 6, 7, 8] = 8
    parity: Literal["N", "E", "O", "M", "S"] = "N"
    stopbits: Literal[1, 1.5, 2] = 1
    read_timeout: float = Field(0.1, gt=0, le=5)  # a read returns at least this often (stop, commands, idle)
    exclusive: bool = True
    framing: FramingSpec = FramingSpec()

    @field_validator("port")
    @classmethod
    def _port(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("port must not be empty")
        return v

    @property
    def max_frame(self) -> int:
        """Bytes: the longest frame accepted from this device (framing.max_length or the kind's maximum)."""
        return self.framing.max_length or MAX_FRAME_BYTES.get(getattr(self, "kind", ""), DEFAULT_MAX_FRAME)

    @property
    def bits_per_byte(self) -> float:
        """Bits on the wire per byte: start + data + parity + stop."""
        return 1 + self.bytesize + (0 if self.parity == "N" else 1) + float(self.stopbits)

    def _require_port(self) -> None:
        if not self.port:
            raise ValueError("port: is required")


class BarcodeSpec(_SerialBase):
    kind: Literal["barcode"] = "barcode"
    aim: Literal["optional", "required", "off"] = "optional"  # AIM symbology identifier after the prefix
    encoding: str = "utf-8"

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, v: str) -> str:
        try:
            codecs.lookup(v)
        except LookupError:
            raise ValueError(f"unknown encoding {v!r}") from None
        return v

    @model_validator(mode="after")
    def _check(self) -> BarcodeSpec:
        self._require_port()
        return self


class MrzSpec(_SerialBase):
    """Passport reader sending TD3 lines: STX line1 CR LF line2 ETX (default), or one line per frame."""

    kind: Literal["mrz"] = "mrz"
    framing: FramingSpec = FramingSpec(mode="etx")

    @model_validator(mode="after")
    def _check(self) -> MrzSpec:
        self._require_port()
        return self


class LcusParams(_Model):
    """LCUS-style USB relay board: `A0 <channel> <0|1> <sum>`; no status feedback."""

    open_channel: int = Field(1, ge=1, le=255)
    close_channel: int | None = Field(None, ge=1, le=255)  # pulse mode: a second input closes the barrier
    pulse_ms: int = Field(0, ge=0, le=10_000)  # 0 = latch (relay on = open, off = close)

    @model_validator(mode="after")
    def _check(self) -> LcusParams:
        if self.pulse_ms and self.close_channel is None:
            raise ValueError("close_channel: is required in pulse mode")
        return self


DEFAULT_STATUS_MAP = {16: "open", 17: "closed", 32: "opening", 33: "closing"}


class ModbusParams(_Model):
    """Modbus RTU barrier (e.g. CAME): coils to command, one holding register for the state.

    Addresses are PDU (0-based) addresses: holding register 40101 in 4xxxx notation is 100.
    """

    unit_id: int = Field(1, ge=1, le=247)
    open_coil: int = Field(0, ge=0, le=65535)
    close_coil: int | None = Field(1, ge=0, le=65535)  # None: open coil off = close
    pulse_ms: int = Field(300, ge=0, le=10_000)  # 0 = write the coil on and leave it
    status_register: int = Field(100, ge=0, le=65535)
    status_map: dict[int, Literal["open", "closed", "opening", "closing", "fault"]] = Field(
        default_factory=lambda: dict(DEFAULT_STATUS_MAP)
    )
    loop_input: int | None = Field(None, ge=0, le=65535)  # discrete input of the vehicle detector, 1 = occupied
    timeout: float = Field(0.5, gt=0, le=10)


class BarrierSpec(_SerialBase):
    kind: Literal["barrier"] = "barrier"
    protocol: Literal["lcus", "modbus", "ascii"]
    poll_interval: float = Field(1.0, gt=0, le=60)
    command_timeout: float = Field(3.0, gt=0, le=60)
    lcus: LcusParams = LcusParams()
    modbus: ModbusParams = ModbusParams()

    @model_validator(mode="after")
    def _check(self) -> BarrierSpec:
        self._require_port()
        return self


class ScannerSpec(_SerialBase):
    """Container/vehicle X-ray scanner results: JSON lines over serial, or result files dropped in a folder."""

    kind: Literal["scanner"] = "scanner"
    transport: Literal["serial", "folder"] = "serial"
    folder: str | None = None
    poll_interval: float = Field(1.0, gt=0, le=60)
    archive: bool = True  # move handled files to done/ and rejected/ beside them

    @model_validator(mode="after")
    def _check(self) -> ScannerSpec:
        if self.transport == "serial":
            self._require_port()
        elif not self.folder:
            raise ValueError("folder: is required for transport 'folder'")
        return self


class ESealSpec(_SerialBase):
    kind: Literal["eseal"] = "eseal"

    @model_validator(mode="after")
    def _check(self) -> ESealSpec:
        self._require_port()
        return self


DeviceSpec = Annotated[BarcodeSpec | MrzSpec | BarrierSpec | ScannerSpec | ESealSpec, Field(discriminator="kind")]
KINDS = ("barcode", "mrz", "barrier", "scanner", "eseal")

_KEYED_MSG = re.compile(r"([a-z_]+): (.+)", re.S)
_ADAPTER: TypeAdapter[Any] = TypeAdapter(DeviceSpec)


def _error_field(prefix: str, kind: Any, err: dict[str, Any]) -> str:
    loc = list(err.get("loc", ()))
    if loc and loc[0] == kind:  # the discriminated union puts the tag first
        loc = loc[1:]
    if err.get("type", "").startswith("union_tag"):
        loc = ["kind"]
    path = prefix
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def parse_device_configs(raw: Any, *, root: str = "devices") -> list[DeviceSpec]:
    """Validate the raw `[[devices]]` list. Raises ConfigError naming the key (`devices[0].baud`)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ConfigError("must be a list of device tables", field=root)
    specs: list[Any] = []
    for i, item in enumerate(raw):
        prefix = f"{root}[{i}]"
        if not isinstance(item, dict):
            raise ConfigError("must be a table", field=prefix)
        kind = item.get("kind")
        if kind not in KINDS:
            raise ConfigError(f"kind must be one of {', '.join(KINDS)}", field=f"{prefix}.kind")
        try:
            specs.append(_ADAPTER.validate_python(item))
        except ValidationError as exc:
            err = exc.errors()[0]
            msg = err.get("msg", "invalid").removeprefix("Value error, ")
            # model validators report "key: problem" (their errors carry no location of their own)
            if m := _KEYED_MSG.match(msg):
                err = {**err, "loc": (*err.get("loc", ()), m.group(1))}
                msg = m.group(2)
            raise ConfigError(msg, field=_error_field(prefix, kind, err)) from None
    names: dict[str, int] = {}
    ports: dict[str, int] = {}
    for i, spec in enumerate(specs):
        if spec.name in names:
            raise ConfigError(f"duplicate device name (also devices[{names[spec.name]}])", field=f"{root}[{i}].name")
        names[spec.name] = i
        port = spec.port if not (spec.kind == "scanner" and spec.transport == "folder") else None
        if port:
            # One reader thread owns a port; several Modbus units on one RS-485 line are not supported yet.
            if port in ports:
                raise ConfigError(f"port already used by devices[{ports[port]}]", field=f"{root}[{i}].port")
            ports[port] = i
    return specs
