"""Fixtures for the devices tests: real pseudo-terminals, an event collector that waits by polling, and a
guard that no device or simulator thread outlives its test."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from devices.config import parse_device_configs
from devices.events import DeviceEvent, DeviceHealthChanged
from devices.manager import DeviceManager

WAIT = 10.0  # generous: a loaded CI machine is slow, a passing test never waits this long

_OUR_THREADS = ("device:", "sim-", "pty-bridge")


class Collector:
    """Thread-safe sink for `on_event`; tests wait on it by condition, never by fixed sleeps."""

    def __init__(self) -> None:
        self.events: list[DeviceEvent] = []
        self.commands: list[tuple[str, str, Any]] = []
        self._cond = threading.Condition()

    def __call__(self, event: DeviceEvent) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def on_command(self, device: str, command: str, result: Any) -> None:
        with self._cond:
            self.commands.append((device, command, result))
            self._cond.notify_all()

    def of(self, kind: type, device: str | None = None) -> list[Any]:
        with self._cond:
            return [e for e in self.events if isinstance(e, kind) and (device is None or e.device == device)]

    def wait(self, predicate: Callable[[], bool], timeout: float = WAIT, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}; events: {self.events[-20:]!r}")
                self._cond.wait(min(left, 0.05))

    def wait_count(self, kind: type, n: int, device: str | None = None, timeout: float = WAIT) -> list[Any]:
        def enough() -> bool:
            return len([e for e in self.events if isinstance(e, kind) and (device is None or e.device == device)]) >= n

        self.wait(enough, timeout, f"{n} {kind.__name__}")
        return self.of(kind, device)

    def wait_health(self, device: str, state: str, timeout: float = WAIT, after: int = 0) -> None:
        """Wait for a health change of `device` to `state` (among events from index `after` on)."""

        def seen() -> bool:
            return any(
                isinstance(e, DeviceHealthChanged) and e.device == device and e.health.state == state
                for e in self.events[after:]
            )

        self.wait(seen, timeout, f"{device} {state}")

    def mark(self) -> int:
        with self._cond:
            return len(self.events)


@pytest.fixture
def collector() -> Collector:
    return Collector()


@pytest.fixture
def make_manager(collector: Collector) -> Iterator[Callable[..., DeviceManager]]:
    managers: list[DeviceManager] = []

    def make(raw: list[dict[str, Any]], **kw: Any) -> DeviceManager:
        for item in raw:
            item.setdefault("reconnect_initial", 0.05)
            item.setdefault("reconnect_max", 0.2)
            item.setdefault("read_timeout", 0.05)
        m = DeviceManager(parse_device_configs(raw), collector, collector.on_command, **kw)
        managers.append(m)
        m.start()
        return m

    yield make
    for m in managers:
        assert m.stop(timeout=10), "a device thread did not stop"


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    before = {t.ident for t in threading.enumerate()}
    yield
    deadline = time.monotonic() + 5
    while True:
        leaked = [
            t.name
            for t in threading.enumerate()
            if t.ident not in before and t.is_alive() and t.name.startswith(_OUR_THREADS)
        ]
        if not leaked or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert not leaked, f"threads left running: {leaked}"
