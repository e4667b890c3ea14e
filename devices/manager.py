"""The device manager: one thread per port, reconnect with back-off, health per device, events by callback.

    manager = DeviceManager(specs, on_event=handle, on_command=audit)
    manager.start()
    result = manager.barrier_command("gate-1", "open")   # blocks until the port's thread ran it
    manager.stop()

Threads. Each enabled device gets its own thread, which alone owns the port: it reads with a timeout
(`read_timeout`), frames, decodes, delivers events, polls barrier status and runs barrier commands handed
to it through a queue. `on_event` and `on_command` are called on that thread: keep them short (the TUI wraps
the event in a message with `call_from_thread` / `post_message`).

Failures. A port that cannot be opened or fails while open is closed, its health goes "disconnected" and the
thread retries after a back-off that doubles from `reconnect_initial` up to `reconnect_max`. A complete frame
is delivered the moment it is read; only the unfinished tail of the buffer is dropped, at disconnect. A frame
that cannot be understood and noise bytes between frames are logged once (with the device name), reported as
`FrameRejected` for frames, and never stop the thread. A device whose port is open but which does not answer
(no status reply) is in health "error".

Barrier commands are never queued across a reconnect: a command for a device that is not connected fails at
once, and one not started before its deadline (`command_timeout`) expires unexecuted. Every command, whatever
its fate, is passed once to `on_command(device, command, result)` — the service layer writes the audit entry.

Auto-close. `barrier_command(name, "open", close_after=S)` lets one vehicle through: the port's thread closes
the barrier itself when the vehicle detector (a `BarrierLoop` event: occupied, then clear) says it has passed,
or after S seconds while the detector is clear (at once for a device without one). Any other command cancels
it. The close is a command like any other (result reason "passage" or "timeout"), audited through
`on_command`. It survives a reconnect: a barrier left open when its port dropped is closed when it is back.

Bounded buffers. A read takes at most `READ_MAX` bytes; the framer bounds what it holds (devices/framing.py);
bytes dropped are counted in the device's health (`dropped_bytes`), and noise is logged at most once per
`NOISE_LOG_INTERVAL` per device, with what was skipped in between.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from devices.barcode import BarcodeDriver
from devices.barrier import COMMANDS, ModbusBarrier, make_stream_barrier
from devices.base import DeviceSilent, FrameError, StreamDriver
from devices.eseal import ESealDriver
from devices.events import (
    CONNECTED,
    DISCONNECTED,
    ERROR,
    STARTING,
    STOPPED,
    BarrierLoop,
    BarrierStatus,
    CommandResult,
    DeviceEvent,
    DeviceHealth,
    DeviceHealthChanged,
    FrameRejected,
    utcnow,
)
from devices.framing import Frame, Item, Noise
from devices.mrz import MrzDriver
from devices.scanner import FolderScanner, ScannerLineDriver
from workstation.domain.errors import ErrorCode
from workstation.errors import InputError

log = logging.getLogger("devices")

OnEvent = Callable[[DeviceEvent], None]
OnCommand = Callable[[str, str, CommandResult], None]

_PREVIEW = 48  # bytes of a bad frame shown in the log
READ_MAX = 65536  # bytes per read: at 115200 baud about 5 s of line, far more than a frame
NOISE_LOG_INTERVAL = 10.0  # seconds: a noisy line logs one warning per interval, with a count of the rest
LOOP_POLL = 0.2  # seconds between Modbus detector reads while a vehicle is awaited (a truck takes seconds)
AUTO_CLOSE_REASONS = ("passage", "timeout")  # the reason of a close the manager sent by itself
HEALTH_EVERY = 1.0  # seconds: a changing dropped-bytes count is announced (DeviceHealthChanged) at most this often


def _preview(data: bytes) -> str:
    text = repr(data[:_PREVIEW])
    return text + ("…" if len(data) > _PREVIEW else "")


def open_serial(spec: Any) -> Any:
    """Open a port the way every driver here does (pyserial, exclusive where supported)."""
    import serial

    return serial.serial_for_url(
        spec.port,
        baudrate=spec.baud,
        bytesize=spec.bytesize,
        parity=spec.parity,
        stopbits=spec.stopbits,
        timeout=spec.read_timeout,
        write_timeout=max(1.0, spec.read_timeout),
        exclusive=spec.exclusive,
    )


def make_driver(spec: Any) -> StreamDriver:
    if spec.kind == "barcode":
        return BarcodeDriver(spec)
    if spec.kind == "mrz":
        return MrzDriver(spec)
    if spec.kind == "barrier":
        return make_stream_barrier(spec)
    if spec.kind == "scanner":
        return ScannerLineDriver(spec)
    if spec.kind == "eseal":
        return ESealDriver(spec)
    raise ValueError(f"no serial driver for {spec.kind}")


@dataclasses.dataclass
class _Command:
    command: str
    deadline: float
    future: Future[CommandResult]
    close_after: float | None = None  # "open": close again after the vehicle passed, or after this long
    reason: str | None = None


@dataclasses.dataclass
class _AutoClose:
    """An open barrier waiting for its one vehicle (monotonic times)."""

    deadline: float  # close then, unless a vehicle is on the detector
    occupied_seen: bool = False
    passed: bool = False


class _Worker(threading.Thread):
    def __init__(self, manager: DeviceManager, spec: Any):
        super().__init__(name=f"device:{spec.name}", daemon=True)
        self.manager = manager
        self.spec = spec
        self.name_ = spec.name
        self._stop_evt = threading.Event()
        self._commands: queue.Queue[_Command | None] = queue.Queue()
        self._last_down: str | None = None
        self._auto: _AutoClose | None = None
        self._loop_occupied = False

    # --- control from other threads
    def stop(self) -> None:
        self._stop_evt.set()
        self._commands.put(None)
        self._wake()

    def _wake(self) -> None:
        """Cut a blocking read short (commands, stop)."""

    def submit(
        self, command: str, timeout: float, *, close_after: float | None = None, reason: str | None = None
    ) -> Future[CommandResult]:
        fut: Future[CommandResult] = Future()
        self._commands.put(_Command(command, time.monotonic() + timeout, fut, close_after, reason))
        self._wake()
        return fut

    @property
    def stopping(self) -> bool:
        return self._stop_evt.is_set()

    # --- the thread
    def run(self) -> None:
        spec = self.spec
        backoff = spec.reconnect_initial
        try:
            while not self.stopping:
                try:
                    self._open()
                except Exception as exc:  # pyserial raises SerialException, OSError, ValueError, termios.error
                    self._down(f"cannot open {self._where()}: {exc}")
                else:
                    backoff = spec.reconnect_initial
                    self._last_down = None
                    self.manager._set_health(self.name_, CONNECTED)
                    log.info("device %s: connected on %s", self.name_, self._where())
                    try:
                        self._serve()
                    except (OSError, EOFError) as exc:  # SerialException is an OSError
                        if not self.stopping:
                            self._down(f"lost {self._where()}: {exc}")
                    except Exception as exc:  # a bug: log it, show it, keep the device alive
                        log.exception("device %s: unexpected failure", self.name_)
                        self.manager._set_health(self.name_, ERROR, error=f"internal error: {exc}")
                    finally:
                        self._close()
                self._fail_pending("device disconnected")
                if self.stopping or self._stop_evt.wait(backoff):
                    break
                backoff = min(backoff * 2, spec.reconnect_max)
        finally:
            self._close()
            self._fail_pending("device manager stopped")
            self.manager._set_health(self.name_, STOPPED)

    def _where(self) -> str:
        return str(self.spec.port)

    def _down(self, message: str) -> None:
        # The same failure repeats every back-off while a device is unplugged: log it once.
        if message != self._last_down:
            log.warning("device %s: %s", self.name_, message)
            self._last_down = message
        else:
            log.debug("device %s: %s", self.name_, message)
        self.manager._set_health(self.name_, DISCONNECTED, error=message)

    def _open(self) -> None:
        raise NotImplementedError

    def _serve(self) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        pass

    def _execute(self, command: str) -> CommandResult:
        return CommandResult(self.name_, command, False, utcnow(), error="device takes no commands")

    # --- commands, on the thread
    def _run_commands(self) -> None:
        while True:
            try:
                cmd = self._commands.get_nowait()
            except queue.Empty:
                return
            if cmd is None:
                continue
            self._run_command(cmd)

    def _run_command(self, cmd: _Command) -> None:
        if cmd.command != "status":
            self._auto = None  # any open or close replaces a pending auto-close
        if time.monotonic() > cmd.deadline:
            result = CommandResult(self.name_, cmd.command, False, utcnow(), error="expired before it could run")
        else:
            try:
                result = self._execute(cmd.command)
            except (OSError, EOFError) as exc:
                result = CommandResult(self.name_, cmd.command, False, utcnow(), error=f"port lost: {exc}")
                self.manager._finish_command(cmd.future, dataclasses.replace(result, reason=cmd.reason))
                raise
            except (DeviceSilent, FrameError) as exc:
                result = CommandResult(self.name_, cmd.command, False, utcnow(), error=str(exc))
        if cmd.command == "open" and result.ok and cmd.close_after is not None:
            # a vehicle already on the detector is the one let through: its leaving is the passage
            self._auto = _AutoClose(time.monotonic() + cmd.close_after, occupied_seen=self._loop_occupied)
        self.manager._finish_command(cmd.future, dataclasses.replace(result, reason=cmd.reason))

    # --- auto-close, on the thread
    def _loop_changed(self, occupied: bool) -> None:
        was, self._loop_occupied = self._loop_occupied, occupied
        auto = self._auto
        if auto is None:
            return
        if occupied:
            auto.occupied_seen = True
        elif was and auto.occupied_seen:
            auto.passed = True

    def _auto_close_due(self) -> None:
        auto = self._auto
        if auto is None:
            return
        if auto.passed:
            reason = AUTO_CLOSE_REASONS[0]
        elif time.monotonic() >= auto.deadline and not self._loop_occupied:
            reason = AUTO_CLOSE_REASONS[1]  # no vehicle came, or the device has no detector
        else:
            return
        self._auto = None
        log.info("device %s: closing after %s", self.name_, reason)
        self._run_command(_Command("close", time.monotonic() + self.spec.command_timeout, Future(), None, reason))

    def _wait_slice(self, longest: float) -> float:
        """How long the thread may block: short while an auto-close is pending."""
        return min(longest, 0.1) if self._auto is not None else longest

    def _fail_pending(self, reason: str) -> None:
        while True:
            try:
                cmd = self._commands.get_nowait()
            except queue.Empty:
                return
            if cmd is not None:
                self.manager._finish_command(
                    cmd.future, CommandResult(self.name_, cmd.command, False, utcnow(), error=reason)
                )


class _SerialWorker(_Worker):
    """A stream device on a serial port: read, frame, decode; barriers also poll and take commands."""

    def __init__(self, manager: DeviceManager, spec: Any, opener: Callable[[Any], Any]):
        super().__init__(manager, spec)
        self.driver = make_driver(spec)
        self.framer = self.driver.framer()
        self._opener = opener
        self._port: Any = None
        self._port_lock = threading.Lock()
        self._dropped_seen = 0
        self._noise_logged_at = -NOISE_LOG_INTERVAL
        self._noise_quiet_runs = 0  # noise runs not logged since the last warning
        self._noise_quiet_bytes = 0

    def _wake(self) -> None:
        with self._port_lock:
            port = self._port
            if port is not None:
                with contextlib.suppress(Exception):
                    port.cancel_read()

    def _open(self) -> None:
        port = self._opener(self.spec)
        with self._port_lock:
            self._port = port
        for event in self.driver.connected(self, utcnow()):
            self.emit(event)

    def _close(self) -> None:
        with self._port_lock:
            port, self._port = self._port, None
        if port is None:
            return
        with contextlib.suppress(Exception):
            port.close()
        dropped = self.framer.reset()
        if dropped:
            log.warning("device %s: dropped %d bytes of an unfinished frame at disconnect", self.name_, len(dropped))
        self._count_dropped()
        self.driver.disconnected()
        self._loop_occupied = False  # unknown until the device says again

    def _serve(self) -> None:
        next_poll = time.monotonic()
        while not self.stopping:
            self._run_commands()
            self._auto_close_due()
            if self.driver.polls and time.monotonic() >= next_poll:
                self._poll()
                next_poll = time.monotonic() + self.spec.poll_interval
            self._pump()

    def _poll(self) -> None:
        try:
            for event in self.driver.poll(self, utcnow()):
                self.emit(event)
        except DeviceSilent as exc:
            if self.manager.health(self.name_).state != ERROR:
                log.warning("device %s: %s", self.name_, exc)
            self.manager._set_health(self.name_, ERROR, error=str(exc))
        else:
            self.manager._set_health(self.name_, CONNECTED)

    def _pump(self, is_reply: Callable[[bytes], bool] | None = None) -> bytes | None:
        port = self._port
        if port is None:
            raise OSError("port closed")
        data = port.read(min(max(1, port.in_waiting), READ_MAX))
        now = time.monotonic()
        items = self.framer.feed(data, now) if data else self.framer.tick(now)
        reply = self._dispatch(items, is_reply)
        self._count_dropped(quiet=not data)
        return reply

    def _count_dropped(self, quiet: bool = False) -> None:
        total = self.framer.dropped_bytes
        if total != self._dropped_seen:
            self._dropped_seen = total
            self.manager._set_dropped(self.name_, total)
        elif quiet and total:
            self.manager._set_dropped(self.name_)  # the last count of a burst is announced too

    def _log_noise(self, item: Noise) -> None:
        now = time.monotonic()
        if now - self._noise_logged_at < NOISE_LOG_INTERVAL:
            self._noise_quiet_runs += 1
            self._noise_quiet_bytes += item.size
            return
        since = ""
        if self._noise_quiet_runs:
            since = f" (and {self._noise_quiet_bytes} bytes in {self._noise_quiet_runs} runs not logged before it)"
        log.warning(
            "device %s: skipped %d noise bytes (%s): %s%s",
            self.name_,
            item.size,
            item.reason,
            _preview(item.data),
            since,
        )
        self._noise_logged_at = now
        self._noise_quiet_runs = self._noise_quiet_bytes = 0

    def _dispatch(self, items: list[Item], is_reply: Callable[[bytes], bool] | None) -> bytes | None:
        reply = None
        for item in items:
            if isinstance(item, Noise):
                self._log_noise(item)
                continue
            assert isinstance(item, Frame)
            if is_reply is not None and reply is None:
                with contextlib.suppress(Exception):
                    if is_reply(item.payload):
                        reply = item.payload
            self._handle(item.payload)
        return reply

    def _handle(self, payload: bytes) -> None:
        at = utcnow()
        try:
            events = self.driver.handle(payload, at)
        except FrameError as exc:
            log.warning("device %s: rejected frame (%s): %s", self.name_, exc.reason, _preview(payload))
            self.emit(FrameRejected(self.name_, at, exc.reason, payload))
            return
        except Exception as exc:  # a driver bug must not kill the reader
            log.exception("device %s: driver failed on frame %s", self.name_, _preview(payload))
            self.emit(FrameRejected(self.name_, at, f"driver error: {exc}", payload))
            return
        for event in events:
            self.emit(event)

    def _execute(self, command: str) -> CommandResult:
        if not self.driver.takes_commands:
            return super()._execute(command)
        return self.driver.execute(self, command, utcnow())

    # --- Link, for the driver
    def write(self, data: bytes) -> None:
        port = self._port
        if port is None:
            raise OSError("port closed")
        port.write(data)
        port.flush()

    def transact(self, request: bytes, is_reply: Callable[[bytes], bool], timeout: float) -> bytes | None:
        self.write(request)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.stopping:
            reply = self._pump(is_reply)
            if reply is not None:
                return reply
        return None

    def sleep(self, seconds: float) -> bool:
        return not self._stop_evt.wait(seconds)

    def emit(self, event: DeviceEvent) -> None:
        if isinstance(event, BarrierLoop):
            self._loop_changed(event.occupied)
        self.manager._emit(event)


class _ModbusWorker(_Worker):
    def __init__(self, manager: DeviceManager, spec: Any):
        super().__init__(manager, spec)
        self.device = ModbusBarrier(spec)
        self._reported: str | None = None

    def _open(self) -> None:
        self.device.connect()

    def _close(self) -> None:
        with contextlib.suppress(Exception):
            self.device.close()
        self._reported = None
        self._loop_occupied = False

    def _read_status(self, source: str) -> str:
        state, raw = self.device.read_status()
        if state != self._reported or source == "command":
            self._reported = state
            self.manager._emit(BarrierStatus(self.name_, utcnow(), state, raw=raw, source=source))
        return state

    def _read_loop(self) -> None:
        occupied = self.device.read_loop()
        if occupied is not None and occupied != self._loop_occupied:
            self._loop_changed(occupied)
            self.manager._emit(BarrierLoop(self.name_, utcnow(), occupied))

    def _serve(self) -> None:
        next_poll = time.monotonic()
        while not self.stopping:
            now = time.monotonic()
            if now >= next_poll:
                try:
                    self._read_status("poll")
                    self._read_loop()
                except DeviceSilent as exc:
                    if self.manager.health(self.name_).state != ERROR:
                        log.warning("device %s: %s", self.name_, exc)
                    self.manager._set_health(self.name_, ERROR, error=str(exc))
                else:
                    self.manager._set_health(self.name_, CONNECTED)
                # while a vehicle is awaited the detector is read often enough to see it pass
                interval = self.spec.poll_interval
                if self._auto is not None:
                    interval = min(interval, LOOP_POLL)
                next_poll = time.monotonic() + interval
            self._auto_close_due()
            try:
                cmd = self._commands.get(timeout=max(0.0, self._wait_slice(min(next_poll - time.monotonic(), 0.5))))
            except queue.Empty:
                continue
            if cmd is not None:
                self._run_command(cmd)

    def _execute(self, command: str) -> CommandResult:
        at = utcnow()
        if command != "status":
            self.device.write_command(command, lambda s: self._stop_evt.wait(s))
        state = self._read_status("command")
        return CommandResult(self.name_, command, True, at, state=state)


class _FolderWorker(_Worker):
    def __init__(self, manager: DeviceManager, spec: Any):
        super().__init__(manager, spec)
        self.scanner = FolderScanner(
            spec.folder, device=spec.name, archive=spec.archive, settle=max(2.0, 2 * spec.poll_interval)
        )

    def _where(self) -> str:
        return str(self.spec.folder)

    def _open(self) -> None:
        self.scanner.check()

    def _serve(self) -> None:
        while not self.stopping:
            for outcome in self.scanner.poll():
                if outcome.event is not None:
                    self.manager._emit(outcome.event)
                else:
                    log.warning("device %s: rejected %s (%s)", self.name_, outcome.path.name, outcome.error)
                    self.manager._emit(
                        FrameRejected(self.name_, utcnow(), outcome.error or "rejected", outcome.path.name.encode())
                    )
            if self._stop_evt.wait(self.spec.poll_interval):
                return


class DeviceManager:
    def __init__(
        self,
        specs: Iterable[Any],
        on_event: OnEvent,
        on_command: OnCommand | None = None,
        *,
        opener: Callable[[Any], Any] = open_serial,
    ):
        self._specs = {s.name: s for s in specs}
        self._on_event = on_event
        self._on_command = on_command
        self._opener = opener
        self._workers: dict[str, _Worker] = {}
        self._lock = threading.Lock()
        now = utcnow()
        self._health: dict[str, DeviceHealth] = {
            s.name: DeviceHealth(
                s.name,
                s.kind,
                STARTING if s.enabled else STOPPED,
                now,
                port=(s.folder if s.kind == "scanner" and s.transport == "folder" else s.port),
                detail=None if s.enabled else "disabled",
            )
            for s in self._specs.values()
        }
        self._started = False
        self._dropped_announced: dict[str, tuple[float, int]] = {}  # name: (monotonic time, count) last announced

    # --- lifecycle
    def start(self) -> None:
        if self._started:
            return
        self._started = True
        for spec in self._specs.values():
            if not spec.enabled:
                continue
            worker: _Worker
            if spec.kind == "barrier" and spec.protocol == "modbus":
                worker = _ModbusWorker(self, spec)
            elif spec.kind == "scanner" and spec.transport == "folder":
                worker = _FolderWorker(self, spec)
            else:
                worker = _SerialWorker(self, spec, self._opener)
            self._workers[spec.name] = worker
            worker.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop every thread and wait for it. False if one did not finish within `timeout`."""
        workers = list(self._workers.values())
        for w in workers:
            w.stop()
        deadline = time.monotonic() + timeout
        ok = True
        for w in workers:
            w.join(max(0.0, deadline - time.monotonic()))
            if w.is_alive():
                log.error("device %s: thread did not stop", w.name_)
                ok = False
        self._workers.clear()
        self._started = False
        return ok

    def __enter__(self) -> DeviceManager:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- state
    def health(self, name: str | None = None) -> Any:
        """All devices' health (dict by name), or one device's."""
        with self._lock:
            if name is not None:
                return self._health[name]
            return dict(self._health)

    @property
    def specs(self) -> dict[str, Any]:
        return dict(self._specs)

    # --- barrier commands
    def barrier_command(
        self, name: str, command: str, *, close_after: float | None = None, reason: str | None = None
    ) -> CommandResult:
        """Run "open", "close" or "status" on a barrier and wait for the outcome (from any thread).

        `close_after` (seconds, "open" only): let one vehicle through — the barrier closes by itself when the
        vehicle detector reports it passed, or after that long while the detector is clear (module docstring).
        `reason` is carried to the result and the audit (e.g. the container released, "refused")."""
        spec = self._specs.get(name)
        if spec is None:
            raise InputError(template="unknown device {device!r}", field="device", code=ErrorCode.UNKNOWN,
                             params={"device": name})
        if spec.kind != "barrier":
            raise InputError(template="{device} is not a barrier", field="device", code=ErrorCode.INVALID_VALUE,
                             params={"device": name})
        if command not in COMMANDS:
            raise InputError(f"barrier command must be one of {', '.join(COMMANDS)}", field="command",
                             code=ErrorCode.NOT_ONE_OF, params={"options": ", ".join(COMMANDS)})
        if close_after is not None and (command != "open" or not close_after > 0):
            raise InputError("close_after applies to open, in seconds above zero", field="close_after",
                             code=ErrorCode.INVALID_VALUE)
        worker = self._workers.get(name)
        state = self.health(name).state
        if worker is None or state not in (CONNECTED, ERROR):
            result = CommandResult(name, command, False, utcnow(), error=f"device {state}", reason=reason)
            self._audit(result)
            return result
        fut = worker.submit(command, spec.command_timeout, close_after=close_after, reason=reason)
        pulse = max(spec.lcus.pulse_ms, spec.modbus.pulse_ms) / 1000
        try:
            # Generous: the command itself may wait `command_timeout` for a reply, twice (command + status).
            return fut.result(timeout=2 * spec.command_timeout + pulse + spec.modbus.timeout * 3 + 1)
        except FutureTimeout:
            # The thread still owns the command and will audit what really happened.
            return CommandResult(name, command, False, utcnow(), error="no answer from the device thread",
                                 reason=reason)

    def open_barrier(self, name: str, *, close_after: float | None = None) -> CommandResult:
        return self.barrier_command(name, "open", close_after=close_after)

    def close_barrier(self, name: str) -> CommandResult:
        return self.barrier_command(name, "close")

    # --- called by the workers
    def _finish_command(self, fut: Future[CommandResult], result: CommandResult) -> None:
        self._audit(result)
        if not fut.done():
            fut.set_result(result)

    def _audit(self, result: CommandResult) -> None:
        if self._on_command is None:
            return
        try:
            self._on_command(result.device, result.command, result)
        except Exception:
            log.exception("device %s: on_command hook failed for %s", result.device, result.command)

    def _set_health(self, name: str, state: str, *, error: str | None = None) -> None:
        with self._lock:
            old = self._health[name]
            if old.state == state and (error is None or error == old.last_error):
                return
            new = dataclasses.replace(
                old,
                state=state,
                since=utcnow() if state != old.state else old.since,
                last_error=error if error is not None else old.last_error,
            )
            self._health[name] = new
        self._deliver(DeviceHealthChanged(name, utcnow(), new))

    def _set_dropped(self, name: str, total: int | None = None) -> None:
        """A device's count of dropped bytes grew (`total`): kept in its health at once, announced by a
        DeviceHealthChanged at most once per HEALTH_EVERY. Without `total` (the line went quiet): announce a
        count still unannounced."""
        now = time.monotonic()
        with self._lock:
            health = self._health[name]
            if total is not None and total != health.dropped_bytes:
                health = dataclasses.replace(health, dropped_bytes=total)
                self._health[name] = health
            last_time, last_total = self._dropped_announced.get(name, (-HEALTH_EVERY, 0))
            announce = health.dropped_bytes != last_total and now - last_time >= HEALTH_EVERY
            if announce:
                self._dropped_announced[name] = (now, health.dropped_bytes)
        if announce:
            self._deliver(DeviceHealthChanged(name, utcnow(), health))

    def _emit(self, event: DeviceEvent) -> None:
        with self._lock:
            old = self._health.get(event.device)
            if old is not None:
                changes: dict[str, Any] = {"last_event_at": event.at}
                if isinstance(event, BarrierStatus):
                    changes["detail"] = event.state
                    changes["confirmed"] = event.confirmed
                self._health[event.device] = dataclasses.replace(old, **changes)
        self._deliver(event)

    def _deliver(self, event: DeviceEvent) -> None:
        try:
            self._on_event(event)
        except Exception:
            log.exception("device %s: on_event callback failed for %s", event.device, type(event).__name__)
