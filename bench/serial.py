"""Serial reader benchmark: frames per second and latency from device write to event delivered.

    python -m bench.serial [--runs 5] [--frames 300]

A barcode simulator writes on a pseudo-terminal; the DeviceManager's reader thread frames, decodes and
delivers `BarcodeScanned` to a callback. Baseline, measured in the same run: a bare pyserial read loop on
the same kind of pty that only waits for the frame's suffix (no framer, no driver, no manager). A pty moves
bytes at memory speed, so the time the same frame needs on a real line (start + 8 data + stop bits per byte,
at 9600 and 115200 baud) is printed beside: the reader's cost should be small next to it.
Medians of `--runs` runs; latency is the median over the frames of a run, sent one at a time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

FRAMES = {
    "container QR (]Q1CSQU3054383)": b"]Q1CSQU3054383",
    "offline e-CD QR (1.2 kB)": b"]Q1ECD1:" + b"A" * 1200,
}
BAUDS = (9600, 115200)
BITS_PER_BYTE = 10  # 8N1


def _wire_ms(n_bytes: int, baud: int) -> float:
    return n_bytes * BITS_PER_BYTE / baud * 1000


def _manager_run(payload: bytes, n: int) -> tuple[float, float]:
    """(median latency ms, frames/s) through the DeviceManager."""
    from devices.config import parse_device_configs
    from devices.events import BarcodeScanned, DeviceHealthChanged
    from devices.manager import DeviceManager
    from devices.sim.pty import PtyPort

    wire = payload + b"\r\n"
    got = threading.Semaphore(0)
    connected = threading.Event()
    stamps: list[float] = []

    def on_event(event: object) -> None:
        if isinstance(event, BarcodeScanned):
            stamps.append(time.perf_counter())
            got.release()
        elif isinstance(event, DeviceHealthChanged) and event.health.state == "connected":
            connected.set()

    with tempfile.TemporaryDirectory() as tmp, PtyPort(Path(tmp) / "qr") as dev:
        spec = parse_device_configs([{"name": "qr", "kind": "barcode", "port": dev.port, "baud": 115200}])
        manager = DeviceManager(spec, on_event)
        manager.start()
        try:
            if not connected.wait(10):
                raise RuntimeError("reader did not connect")
            latencies = []
            for _ in range(n):
                t0 = time.perf_counter()
                dev.write(wire)
                if not got.acquire(timeout=10):
                    raise RuntimeError("frame lost")
                latencies.append(stamps[-1] - t0)
            t0 = time.perf_counter()
            dev.write(wire * n)  # a burst: frames back to back
            for _ in range(n):
                if not got.acquire(timeout=30):
                    raise RuntimeError("frame lost in burst")
            fps = n / (stamps[-1] - t0)
        finally:
            manager.stop()
    return statistics.median(latencies) * 1000, fps


def _baseline_run(payload: bytes, n: int) -> tuple[float, float]:
    """(median latency ms, frames/s) of a bare pyserial read loop waiting for the suffix."""
    import serial

    from devices.sim.pty import PtyPort

    wire = payload + b"\r\n"
    with PtyPort() as dev, serial.serial_for_url(dev.path, timeout=0.05) as port:

        def read_frames(count: int) -> None:
            buf = b""
            seen = 0
            while seen < count:
                buf += port.read(max(1, port.in_waiting))
                seen += buf.count(b"\r\n")
                buf = buf[buf.rfind(b"\r\n") + 2 :] if b"\r\n" in buf else buf

        latencies = []
        for _ in range(n):
            t0 = time.perf_counter()
            dev.write(wire)
            read_frames(1)
            latencies.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        writer = threading.Thread(target=dev.write, args=(wire * n,))
        writer.start()
        read_frames(n)
        fps = n / (time.perf_counter() - t0)
        writer.join()
    return statistics.median(latencies) * 1000, fps


def main(argv: list[str] | None = None) -> int:
    if os.name != "posix":
        print("bench.serial needs pseudo-terminals (POSIX)", file=sys.stderr)
        return 2
    ap = argparse.ArgumentParser(prog="python -m bench.serial", description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--frames", type=int, default=300)
    args = ap.parse_args(argv)
    print(f"bench.serial: {args.runs} runs x {args.frames} frames, python {sys.version.split()[0]}, {os.cpu_count()} cpus")
    for label, payload in FRAMES.items():
        mgr = [_manager_run(payload, args.frames) for _ in range(args.runs)]
        base = [_baseline_run(payload, args.frames) for _ in range(args.runs)]
        m_lat = statistics.median(r[0] for r in mgr)
        m_fps = statistics.median(r[1] for r in mgr)
        b_lat = statistics.median(r[0] for r in base)
        b_fps = statistics.median(r[1] for r in base)
        n = len(payload) + 2
        wire = ", ".join(f"{_wire_ms(n, b):.2f} ms @{b}" for b in BAUDS)
        wire_fps = ", ".join(f"{1000 / _wire_ms(n, b):.0f}/s @{b}" for b in BAUDS)
        print(f"\n{label}: {n} bytes on the wire")
        print(f"  latency write→event  manager {m_lat:.3f} ms   baseline {b_lat:.3f} ms   ratio {m_lat / b_lat:.2f}")
        print(f"  burst throughput     manager {m_fps:,.0f} frames/s   baseline {b_fps:,.0f} frames/s   ratio {m_fps / b_fps:.2f}")
        print(f"  wire time per frame  {wire}   (line limit {wire_fps})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
