"""Pseudo-terminals that stand in for serial devices (POSIX only).

`PtyPort` is one pty pair: the simulator writes to and reads from the master side; the application opens
`path` (the slave) as it would open /dev/ttyUSB0. `link=` adds a symlink, the stable path the device config
names; re-pointing it to a new pty is how tests unplug and replug a device.

`PtyBridge` joins two pty pairs back to back (like `socat pty pty`): two programs that both want to open a
serial port by path, e.g. pymodbus's serial server and our Modbus driver.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import tty
from pathlib import Path


def _point_link(link: Path, target: str) -> None:
    """Atomically (re)point `link` at `target`."""
    tmp = link.with_name(f".{link.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, link)


class PtyPort:
    def __init__(self, link: str | os.PathLike[str] | None = None):
        import pty  # POSIX only; imported here so that importing this module never fails elsewhere

        self.master, self._slave = pty.openpty()
        # Raw on the device side: no echo, no CR/LF translation, no line buffering.
        tty.setraw(self._slave)
        tty.setraw(self.master)
        self.path = os.ttyname(self._slave)
        self.link = Path(link) if link else None
        if self.link:
            _point_link(self.link, self.path)
        self._closed = False
        self._lock = threading.Lock()

    @property
    def port(self) -> str:
        """What a device config should name: the link if there is one, else the pty path."""
        return str(self.link) if self.link else self.path

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(self.master, view)
            view = view[n:]

    def read(self, timeout: float = 0.1, size: int = 4096) -> bytes:
        """What the application wrote, or b"" after `timeout`."""
        if self._closed:
            return b""
        try:
            ready, _, _ = select.select([self.master], [], [], timeout)
        except (OSError, ValueError):
            return b""
        if not ready:
            return b""
        try:
            return os.read(self.master, size)
        except OSError:  # EIO when nobody has the slave open on some kernels
            return b""

    def fileno(self) -> int:
        return self.master

    def close(self, *, unlink: bool = False) -> None:
        """Unplug: both ends go away. The link stays (dangling) unless `unlink`."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        for fd in (self.master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        if unlink and self.link:
            with contextlib.suppress(FileNotFoundError):
                self.link.unlink()

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> PtyPort:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PtyBridge:
    """Two pty pairs joined back to back: bytes written to `a.path` come out of `b.path` and back."""

    def __init__(self, link_a: str | os.PathLike[str] | None = None, link_b: str | os.PathLike[str] | None = None):
        self.a = PtyPort(link_a)
        self.b = PtyPort(link_b)
        self._stop_r, self._stop_w = os.pipe()
        self._thread = threading.Thread(target=self._pump, name="pty-bridge", daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        peers = {self.a.master: self.b, self.b.master: self.a}
        while True:
            try:
                ready, _, _ = select.select([self.a.master, self.b.master, self._stop_r], [], [])
            except (OSError, ValueError):
                return
            if self._stop_r in ready:
                return
            for fd in ready:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    continue
                if data:
                    with contextlib.suppress(OSError):
                        peers[fd].write(data)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self._stop_w, b"x")
        self._thread.join(5)
        for fd in (self._stop_r, self._stop_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.a.close()
        self.b.close()

    def __enter__(self) -> PtyBridge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
