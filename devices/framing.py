"""Incremental framing: bytes in, frames out. Pure state machines (no I/O, time passed in), so a frame split
across any number of reads gives the same frames, and noise is skipped and reported once per run.

Modes (config `framing.mode`):

* ``suffix``  payload ends with a terminator (CR LF by default); an optional prefix starts a frame and bytes
  before it are noise. Payload bytes stay bytes: decoding happens after framing.
* ``etx``     STX payload ETX (start and end bytes configurable). The payload may contain CR/LF (multi-line QR,
  two MRZ lines); a new STX before ETX abandons the partial frame as noise.
* ``length``  [start marker] length field [payload] [end marker]; the length field is big-endian binary or fixed
  width ASCII digits. Any payload bytes allowed. A bad length or a missing end marker resynchronises one
  byte after the start marker.
* ``idle``    a frame ends when the line has been quiet for `idle_gap` seconds (readers with no suffix).

Every framer answers `feed(data, now)` and `tick(now)` (called when a read times out, i.e. the line is
quiet) with a list of `Frame` and `Noise`, and `reset()` drops a partial frame (only at disconnect).

Bounded memory. A line that babbles without ever completing a frame must not grow the process: a framer holds
at most `max_length` bytes of a partial frame (plus a delimiter's length), keeps only the first `NOISE_KEEP`
bytes of a noise run (for the log) and counts the rest (`Noise.length`, `Framer.dropped_bytes`), and feeds a
large read in slices. An over-long frame is dropped and the framer resynchronises on the next start marker
(or, without one, after the next end delimiter; idle framing: at the next quiet gap).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

# Bytes of a noise run kept for the log line (the manager shows 48); the rest is only counted.
NOISE_KEEP = 256
# A noise run that never ends (a babbling line) is reported every this many bytes, so the log and the health
# counter show it while it lasts: about once a minute and a half at 115200 baud.
NOISE_REPORT_EVERY = 1 << 20
# A read is framed in slices of at most this many bytes (or `max_length`, if larger), so one huge read never
# sits whole in a framer's buffer.
FEED_SLICE = 4096


@dataclass(frozen=True, slots=True)
class Frame:
    payload: bytes


@dataclass(frozen=True, slots=True)
class Noise:
    """A contiguous run of bytes that belongs to no frame, reported once (or once per `NOISE_REPORT_EVERY`).

    `data` holds the run's first `NOISE_KEEP` bytes; `length` is the run's true size when it was longer."""

    data: bytes
    reason: str
    length: int | None = field(default=None, compare=False)

    @property
    def size(self) -> int:
        """Bytes dropped in this run."""
        return self.length if self.length is not None else len(self.data)


Item = Frame | Noise


class Framer(ABC):
    def __init__(self, max_length: int = 8192):
        if max_length < 1:
            raise ValueError("max_length must be positive")
        self.max_length = max_length
        self._buf = bytearray()  # the partial frame (and, between frames, a possible partial start marker)
        self._noise = bytearray()  # the first NOISE_KEEP bytes of the current run
        self._noise_count = 0  # bytes in the current run
        self._noise_reason = ""
        self.dropped_bytes = 0  # every byte dropped since the framer was made (health counter)

    def feed(self, data: bytes, now: float = 0.0) -> list[Item]:
        """Frame `data` (any split of a stream gives the same frames). Returns frames and ended noise runs."""
        step = max(FEED_SLICE, self.max_length)
        if len(data) <= step:
            return self._feed(data, now)
        out: list[Item] = []
        view = memoryview(data)
        for i in range(0, len(data), step):
            out += self._feed(bytes(view[i : i + step]), now)
        return out

    @abstractmethod
    def _feed(self, data: bytes, now: float) -> list[Item]: ...

    @property
    def buffered(self) -> int:
        """Bytes this framer holds now (partial frame and kept noise): bounded whatever the line sends."""
        return len(self._buf) + len(self._noise)

    @property
    def bound(self) -> int:
        """The most `buffered` can ever be between feeds: a partial frame with its markers, and a noise head."""
        return self.max_length + self._overhead() + NOISE_KEEP

    def _overhead(self) -> int:
        return 0

    def tick(self, now: float) -> list[Item]:
        """The line is quiet: report a pending noise run (and, for idle framing, end the frame)."""
        out: list[Item] = []
        self._flush_noise(out)
        return out

    @abstractmethod
    def _drop_partial(self) -> bytes: ...

    def reset(self) -> bytes:
        """Disconnect: drop the partial frame (and pending noise). Returns the dropped partial bytes."""
        self._noise.clear()
        self._noise_count = 0
        dropped = self._drop_partial()
        self.dropped_bytes += len(dropped)
        return dropped

    @property
    @abstractmethod
    def pending(self) -> int:
        """Bytes held in a partial frame."""

    # noise runs are gathered across feeds and reported once, when the run ends or the line goes quiet
    def _add_noise(self, data: bytes | bytearray, reason: str, out: list[Item] | None = None) -> None:
        """Count `data` as dropped, keeping only the run's head. With `out`, a run that reached
        NOISE_REPORT_EVERY bytes is reported now (a line that never stops babbling is still seen)."""
        if data:
            if not self._noise_count:
                self._noise_reason = reason
            room = NOISE_KEEP - len(self._noise)
            if room > 0:
                self._noise += data[:room]
            self._noise_count += len(data)
            self.dropped_bytes += len(data)
            if out is not None and self._noise_count >= NOISE_REPORT_EVERY:
                self._flush_noise(out)

    def _flush_noise(self, out: list[Item]) -> None:
        if self._noise_count:
            count = self._noise_count
            out.append(Noise(bytes(self._noise), self._noise_reason, count if count > len(self._noise) else None))
            self._noise.clear()
            self._noise_count = 0


class DelimitedFramer(Framer):
    """`suffix` mode (start optional, end = suffix) and `etx` mode (start = STX, end = ETX, restart on STX)."""

    def __init__(self, end: bytes, start: bytes = b"", *, restart_on_start: bool = False, max_length: int = 8192):
        super().__init__(max_length)
        if not end:
            raise ValueError("end delimiter must not be empty")
        self.start = start
        self.end = end
        self.restart_on_start = restart_on_start and bool(start)
        self._buf = bytearray()
        self._in_frame = not start  # without a start marker every byte is payload
        self._discarding = False  # an over-long frame is skipped up to its end delimiter
        self._scanned = 0  # payload bytes already searched for the delimiter

    @property
    def pending(self) -> int:
        return len(self._buf) if self._in_frame else 0

    def _drop_partial(self) -> bytes:
        dropped = bytes(self._buf) if self._in_frame else b""
        self._buf.clear()
        self._in_frame = not self.start
        self._discarding = False
        self._scanned = 0
        return dropped

    def _overhead(self) -> int:
        return len(self.start) + len(self.end)

    def tick(self, now: float) -> list[Item]:
        out: list[Item] = []
        if self._discarding:
            # Without a start marker an over-long frame ends at the next end delimiter, or here: a quiet line
            # after a babble means the next byte starts a frame (the babble's tail is dropped with it).
            self._add_noise(self._buf, f"frame longer than {self.max_length} bytes")
            self._buf.clear()
            self._scanned = 0
            self._discarding = False
        self._flush_noise(out)
        return out

    def _feed(self, data: bytes, now: float) -> list[Item]:
        out: list[Item] = []
        self._buf += data
        while True:
            if not self._in_frame:
                idx = self._buf.find(self.start)
                if idx < 0:
                    # keep a possible partial start marker, the rest is noise
                    keep = len(self.start) - 1
                    cut = max(0, len(self._buf) - keep)
                    self._add_noise(self._buf[:cut], "outside a frame", out)
                    del self._buf[:cut]
                    return out
                self._add_noise(self._buf[:idx], "outside a frame")
                self._flush_noise(out)
                del self._buf[: idx + len(self.start)]
                self._in_frame = True
                self._scanned = 0
            # inside a frame: look for the end delimiter (and, in etx mode, a restarting start marker)
            from_ = max(0, self._scanned - len(self.end) + 1)
            end_idx = self._buf.find(self.end, from_)
            if self.restart_on_start:
                st_idx = self._buf.find(self.start, max(0, self._scanned - len(self.start) + 1))
                if st_idx >= 0 and (end_idx < 0 or st_idx < end_idx):
                    self._add_noise(self.start + self._buf[:st_idx], "frame restarted before its end")
                    del self._buf[: st_idx + len(self.start)]
                    self._flush_noise(out)
                    self._scanned = 0
                    self._discarding = False
                    continue
            too_long = end_idx > self.max_length or (end_idx < 0 and len(self._buf) > self.max_length)
            if too_long and self.start:
                # Resynchronise on the next start marker: the frame's first max_length bytes are dropped and
                # the rest is searched for a start marker (what precedes it joins the same noise run).
                self._add_noise(self.start + self._buf[: self.max_length], f"frame longer than {self.max_length} bytes",
                                out)
                del self._buf[: self.max_length]
                self._in_frame = False
                self._scanned = 0
                continue
            if end_idx < 0:
                self._scanned = len(self._buf)
                if len(self._buf) > self.max_length:
                    # No start marker: the next frame begins after the next end delimiter (or a quiet line).
                    keep = len(self.end) - 1
                    cut = len(self._buf) - keep
                    self._add_noise(self._buf[:cut], f"frame longer than {self.max_length} bytes", out)
                    del self._buf[:cut]
                    self._scanned = len(self._buf)
                    self._discarding = True
                return out
            payload = bytes(self._buf[:end_idx])
            del self._buf[: end_idx + len(self.end)]
            self._scanned = 0
            self._in_frame = not self.start
            if self._discarding or len(payload) > self.max_length:
                self._add_noise(payload + self.end, f"frame longer than {self.max_length} bytes")
                self._discarding = False
                self._flush_noise(out)
            elif payload:
                self._flush_noise(out)
                out.append(Frame(payload))
            # an empty frame (a bare terminator, e.g. CR LF after a CR-terminated reader) carries nothing


class LengthFramer(Framer):
    """[start] length [payload] [end]. Without a start marker a bad length drops one byte and retries."""

    def __init__(
        self,
        *,
        start: bytes = b"\x02",
        length_bytes: int = 2,
        length_format: str = "binary",
        end: bytes = b"",
        max_length: int = 8192,
    ):
        super().__init__(max_length)
        if length_format not in ("binary", "ascii"):
            raise ValueError("length_format must be 'binary' or 'ascii'")
        if not 1 <= length_bytes <= 8:
            raise ValueError("length_bytes must be 1..8")
        self.start = start
        self.length_bytes = length_bytes
        self.length_format = length_format
        self.end = end
        self._buf = bytearray()

    @property
    def pending(self) -> int:
        return len(self._buf)

    def _drop_partial(self) -> bytes:
        dropped = bytes(self._buf)
        self._buf.clear()
        return dropped

    def _length(self, field: bytes) -> int | None:
        if self.length_format == "binary":
            return int.from_bytes(field, "big")
        if not field.isdigit():
            return None
        return int(field)

    def _overhead(self) -> int:
        return len(self.start) + self.length_bytes + len(self.end)

    def _skip_one(self, out: list[Item]) -> None:
        # the candidate start was not a frame: it is noise, resynchronise right after it
        self._add_noise(self._buf[:1], "bad length header", out)
        del self._buf[:1]

    def _feed(self, data: bytes, now: float) -> list[Item]:
        out: list[Item] = []
        self._buf += data
        head = len(self.start) + self.length_bytes
        while True:
            if self.start:
                idx = self._buf.find(self.start)
                if idx < 0:
                    cut = max(0, len(self._buf) - (len(self.start) - 1))
                    self._add_noise(self._buf[:cut], "outside a frame", out)
                    del self._buf[:cut]
                    return out
                if idx:
                    self._add_noise(self._buf[:idx], "outside a frame", out)
                    del self._buf[:idx]
            if len(self._buf) < head:
                return out
            length = self._length(bytes(self._buf[len(self.start) : head]))
            if length is None or length > self.max_length:
                self._skip_one(out)
                continue
            total = head + length + len(self.end)
            if len(self._buf) < total:
                return out
            if self.end and self._buf[head + length : total] != self.end:
                self._skip_one(out)
                continue
            payload = bytes(self._buf[head : head + length])
            del self._buf[:total]
            self._flush_noise(out)
            if payload:
                out.append(Frame(payload))


class IdleFramer(Framer):
    """A frame is whatever arrives until the line is quiet for `gap` seconds. A frame that grows past
    `max_length` is dropped, with everything up to the next quiet gap."""

    def __init__(self, gap: float, max_length: int = 8192):
        super().__init__(max_length)
        if gap <= 0:
            raise ValueError("idle gap must be positive")
        self.gap = gap
        self._buf = bytearray()
        self._last = 0.0
        self._discarding = False

    @property
    def pending(self) -> int:
        return len(self._buf)

    def _drop_partial(self) -> bytes:
        dropped = bytes(self._buf)
        self._buf.clear()
        self._discarding = False
        return dropped

    def _emit(self, out: list[Item]) -> None:
        if self._discarding:
            self._discarding = False
            self._flush_noise(out)
        if self._buf:
            out.append(Frame(bytes(self._buf)))
            self._buf.clear()

    def _feed(self, data: bytes, now: float) -> list[Item]:
        out: list[Item] = []
        if not data:
            return out
        if (self._buf or self._discarding) and now - self._last >= self.gap:
            self._emit(out)
        self._last = now
        if self._discarding:
            self._add_noise(data, f"frame longer than {self.max_length} bytes", out)
            return out
        self._buf += data
        if len(self._buf) > self.max_length:
            self._add_noise(self._buf, f"frame longer than {self.max_length} bytes", out)
            self._buf.clear()
            self._discarding = True
        return out

    def tick(self, now: float) -> list[Item]:
        out: list[Item] = []
        if (self._buf or self._discarding) and now - self._last >= self.gap:
            self._emit(out)
        self._flush_noise(out)
        return out


def encode_frame(payload: bytes, mode: str, **params) -> bytes:
    """What a device sends for `payload` in a framing mode (simulators, tests and the benchmark)."""
    if mode == "suffix":
        return params.get("prefix", b"") + payload + params.get("suffix", b"\r\n")
    if mode == "etx":
        return params.get("start", b"\x02") + payload + params.get("end", b"\x03")
    if mode == "length":
        n = params.get("length_bytes", 2)
        if params.get("length_format", "binary") == "binary":
            field = len(payload).to_bytes(n, "big")
        else:
            field = str(len(payload)).zfill(n).encode("ascii")
            if len(field) != n:
                raise ValueError("payload too long for the ASCII length field")
        return params.get("start", b"\x02") + field + payload + params.get("end", b"")
    if mode == "idle":
        return payload
    raise ValueError(f"unknown framing mode {mode!r}")
