"""`workstation devices simulate KIND`: first stdout line is the port path; the device plays on it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import serial

pytestmark = pytest.mark.skipif(os.name != "posix", reason="pseudo-terminals are POSIX only")

ROOT = Path(__file__).resolve().parents[2]
WAIT = 15.0


def start(*args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen(
        [sys.executable, "-m", "workstation", "devices", "simulate", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def first_line(proc: subprocess.Popen) -> str:
    line = proc.stdout.readline().decode().strip()
    assert line, proc.stderr.read().decode()
    return line


def read_until(port: serial.Serial, needle: bytes) -> bytes:
    got = b""
    deadline = time.monotonic() + WAIT
    while needle not in got:
        assert time.monotonic() < deadline, f"no {needle!r} in {got!r}"
        got += port.read(256)
    return got


def finish(proc: subprocess.Popen) -> int:
    try:
        return proc.wait(WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream:
                stream.close()


def test_barcode_simulator_interactive(tmp_path):
    link = tmp_path / "qr"
    proc = start("barcode", "--link", str(link))
    try:
        assert first_line(proc) == str(link)
        with serial.serial_for_url(str(link), timeout=0.2) as port:
            proc.stdin.write(b"sample\nsend two\\r\\nlines\naim none\nraw 00 ff\n")
            proc.stdin.flush()
            got = read_until(port, b"\x00\xff")
        assert got == b"]Q1CSQU3054383\r\n]Q1two\r\nlines\r\n\x00\xff"
        proc.stdin.close()  # Ctrl-D
    finally:
        code = finish(proc)
    assert code == 0
    assert not link.exists()  # the link goes with the device


def test_barrier_simulator_from_script_keeps_answering_until_terminated(tmp_path):
    script = tmp_path / "gate.txt"
    script.write_text("# a gate that starts open\nstate open\n")
    proc = start("barrier", "--script", str(script), "--travel", "0")
    try:
        path = first_line(proc)
        with serial.serial_for_url(path, timeout=0.2) as port:
            deadline = time.monotonic() + WAIT
            seen = b""
            while b"STATUS OPEN" not in seen:  # the script runs right after the path is printed
                assert time.monotonic() < deadline, seen
                port.write(b"STATUS?\r\n")
                seen += read_until(port, b"\r\n")
            port.write(b"CLOSE\r\n")
            assert b"OK CLOSE" in read_until(port, b"OK CLOSE")
        proc.send_signal(signal.SIGTERM)
    finally:
        code = finish(proc)
    assert code == 0


def test_modbus_barrier_simulator(tmp_path):
    from pymodbus import FramerType
    from pymodbus.client import ModbusSerialClient

    proc = start("barrier", "--protocol", "modbus", "--travel", "0")
    try:
        path = first_line(proc)
        client = ModbusSerialClient(path, framer=FramerType.RTU, baudrate=115200, timeout=1, retries=2)
        assert client.connect()
        try:
            assert client.read_holding_registers(100, count=1, device_id=1).registers == [17]
            client.write_coil(0, True, device_id=1)
            assert client.read_holding_registers(100, count=1, device_id=1).registers == [16]
        finally:
            client.close()
        proc.send_signal(signal.SIGINT)
    finally:
        code = finish(proc)
    assert code == 0


def test_scanner_simulator_drops_files(tmp_path):
    drop = tmp_path / "drop"
    proc = start("scanner", "--folder", str(drop))
    try:
        assert first_line(proc) == str(drop)
        proc.stdin.write(b"scan CSQU3054383 suspect\n")
        proc.stdin.close()
    finally:
        code = finish(proc)
    assert code == 0
    (f,) = drop.glob("*.json")
    assert '"verdict": "suspect"' in f.read_text()


def test_unreadable_script_is_an_input_error(tmp_path):
    proc = start("barcode", "--script", str(tmp_path / "missing.txt"))
    try:
        proc.stdin.close()
        err = proc.stderr.read().decode()
    finally:
        code = finish(proc)
    assert code == 2
    assert err.count("\n") == 1 and "--script" in err
