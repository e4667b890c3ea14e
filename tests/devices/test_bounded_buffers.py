"""A line that babbles never grows the process (#11 item 10): every framer holds at most its kind's maximum
frame, drops the rest with a count (in the device's health), and resynchronises on the next start marker;
the scanner and e-seal drivers answer any bytes with a read or a FrameError, nothing else."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.base import FrameError
from devices.config import MAX_FRAME_BYTES, parse_device_configs
from devices.eseal import ESealDriver
from devices.events import BarcodeScanned, DeviceHealthChanged, ScanResult
from devices.framing import (
    FEED_SLICE,
    NOISE_KEEP,
    NOISE_REPORT_EVERY,
    DelimitedFramer,
    Frame,
    IdleFramer,
    LengthFramer,
    Noise,
)
from devices.scanner import ScannerLineDriver
from devices.sim.simulators import BarcodeSim, scan_record

STX, ETX = b"\x02", b"\x03"
AT = dt.datetime(2026, 11, 30, 3, 0, tzinfo=dt.UTC)


def _babble(n: int, forbidden: bytes, seed: int = 7) -> bytes:
    """`n` random bytes with none of `forbidden` (no marker: the framer never finds a frame in it)."""
    rng = random.Random(seed)
    alphabet = bytes(b for b in range(256) if b not in forbidden)
    return bytes(rng.choice(alphabet) for _ in range(n))


# (framer, the good frame that follows the noise, bytes that must not occur in the noise)
FRAMERS = {
    "suffix": (lambda: DelimitedFramer(b"\r\n", max_length=64), b"GOOD\r\n", b"\r\n"),
    "suffix-prefix": (lambda: DelimitedFramer(b"\r", b"\x1b[", max_length=64), b"\x1b[GOOD\r", b"\x1b\r"),
    "etx": (lambda: DelimitedFramer(ETX, STX, restart_on_start=True, max_length=64), STX + b"GOOD" + ETX, STX + ETX),
    "length": (lambda: LengthFramer(start=STX, length_bytes=2, max_length=64), STX + b"\x00\x04GOOD", STX),
}


@pytest.mark.parametrize("mode", list(FRAMERS))
def test_babble_is_bounded_counted_and_the_next_frame_decodes(mode):
    make, good, forbidden = FRAMERS[mode]
    f = make()
    noise = _babble(300_000, forbidden)
    rng = random.Random(1)
    items, pos = [], 0
    while pos < len(noise):
        step = rng.choice((1, 7, 100, 4096, 70_000))  # reads of any size, one larger than the read cap
        items += f.feed(noise[pos : pos + step], 0.0)
        pos += step
        assert f.buffered <= f.bound, f"{mode}: holds {f.buffered} bytes after {pos}"
    items += f.tick(1.0)  # the babble stops: without a start marker, the quiet line is where frames resume
    items += f.feed(good, 1.0)
    assert [i.payload for i in items if isinstance(i, Frame)] == [b"GOOD"]
    runs = [i for i in items if isinstance(i, Noise)]
    assert sum(r.size for r in runs) == len(noise) == f.dropped_bytes
    assert all(len(r.data) <= NOISE_KEEP for r in runs)


def test_a_stx_babble_without_etx_in_etx_mode_stays_bounded():
    # STX restarts each time: no frame ever ends, yet nothing accumulates
    f = DelimitedFramer(ETX, STX, restart_on_start=True, max_length=64)
    for _ in range(2000):
        f.feed(STX + b"x" * 50)
        assert f.buffered <= f.bound
    assert [i.payload for i in f.feed(STX + b"ok" + ETX) if isinstance(i, Frame)] == [b"ok"]
    assert f.dropped_bytes == 2000 * 51


def test_overlong_frame_with_a_start_marker_resynchronises_on_the_next_start_marker():
    f = DelimitedFramer(b"\r", b"\x1b[", max_length=16)
    # the over-long frame's own end never comes; the next prefix starts a good frame
    got = f.feed(b"\x1b[" + b"A" * 40 + b"\x1b[OK\r")
    assert [i.payload for i in got if isinstance(i, Frame)] == [b"OK"]
    assert [(n.size, n.reason) for n in got if isinstance(n, Noise)] == [(42, "frame longer than 16 bytes")]


def test_idle_framer_drops_a_frame_that_never_pauses_and_recovers_at_the_gap():
    f = IdleFramer(0.05, max_length=100)
    for i in range(1000):
        assert f.feed(b"z" * 37, now=i * 0.001) == []
        assert f.buffered <= f.bound
    got = f.tick(5.0)
    assert [(type(i).__name__, getattr(i, "size", None)) for i in got] == [("Noise", 37_000)]
    f.feed(b"whole", now=6.0)
    assert f.tick(7.0) == [Frame(b"whole")]
    assert f.dropped_bytes == 37_000


def test_a_run_that_never_ends_is_still_reported_every_so_often():
    f = DelimitedFramer(ETX, STX, restart_on_start=True)
    chunk = b"\x00" * 65536
    items = []
    for _ in range(3 * NOISE_REPORT_EVERY // len(chunk)):
        items += f.feed(chunk)
    assert [n.size for n in items if isinstance(n, Noise)] == [NOISE_REPORT_EVERY] * 3


def test_each_kind_has_its_own_maximum_frame():
    specs = parse_device_configs([
        {"name": "m", "kind": "mrz", "port": "/a"},
        {"name": "b", "kind": "barrier", "protocol": "ascii", "port": "/b"},
        {"name": "q", "kind": "barcode", "port": "/c", "framing": {"max_length": 100}},
    ])
    from devices.manager import make_driver

    assert [make_driver(s).framer().max_length for s in specs] == [MAX_FRAME_BYTES["mrz"], MAX_FRAME_BYTES["barrier"], 100]


# --- drivers: FrameError or a read, nothing else ------------------------------------------------------------

_SCANNER = ScannerLineDriver(parse_device_configs([{"name": "x", "kind": "scanner", "port": "/x"}])[0])
_ESEAL = ESealDriver(parse_device_configs([{"name": "e", "kind": "eseal", "port": "/e"}])[0])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
_KEYS = ("scan_id", "time", "container", "plate", "image", "verdict", "suspicious", "seal_id", "state", "battery")
records = st.dictionaries(st.sampled_from(_KEYS), json_values | st.sampled_from(
    ["CSQU3054383", "clear", "suspect", "sealed", "87", "²", "2026-11-30T10:00:00+07:00",
     "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "A\u202eB", "\ud800", "x" * 400]), max_size=8)


def _only_frame_errors(driver, payload: bytes) -> None:
    try:
        events = driver.handle(payload, AT)
    except FrameError:
        return
    assert len(events) == 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300) | st.builds(lambda r: json.dumps(r).encode(), records)
       | st.builds(lambda fields: "|".join(["SCAN", *fields]).encode(), st.lists(st.text(max_size=20), max_size=8))
       | st.builds(lambda fields: "|".join(["ESEAL", *fields]).encode(), st.lists(st.text(max_size=20), max_size=6)))
def test_scanner_and_eseal_drivers_raise_only_frame_error(payload):
    _only_frame_errors(_SCANNER, payload)
    _only_frame_errors(_ESEAL, payload)


@pytest.mark.parametrize("payload", [
    b"[" * 100_000, b"{\"battery\": " + b"9" * 5000 + b"}",  # recursion; digit limit
    json.dumps({"seal_id": "ES1", "state": "sealed", "battery": "\u00b2"}).encode(),
    json.dumps({"scan_id": "S", "container": "CSQU3054383", "verdict": "clear",
                "time": "0001-01-01T00:00:00+14:00"}).encode(),  # before year 1 in UTC
    json.dumps({"scan_id": "S", "container": "CSQU\u0000305", "verdict": "clear"}).encode(),
    json.dumps({"scan_id": "S", "container": "CSQU3054383", "plate": "B\u202e1", "verdict": "clear"}).encode(),
    json.dumps({"scan_id": "S" * 65, "container": "CSQU3054383", "verdict": "clear"}).encode(),
])
def test_known_bad_records_are_frame_errors(payload):
    for driver in (_SCANNER, _ESEAL):
        with pytest.raises(FrameError):
            driver.handle(payload, AT)


# --- 10 MB of noise through a pseudo-terminal ---------------------------------------------------------------

pty_only = pytest.mark.skipif(os.name != "posix", reason="pseudo-terminals are POSIX only")


@pty_only
@pytest.mark.parametrize(("kind", "framing"), [("barcode", "suffix"), ("scanner", "etx")])
def test_ten_megabytes_of_noise_on_a_pty(collector, make_manager, tmp_path, kind, framing, caplog):
    link = str(tmp_path / "port")
    total = 10 * 1024 * 1024
    block = _babble(64 * 1024, b"\r\n\x02\x03")
    with BarcodeSim(link=link, framing=framing, aim=None) as sim:
        m = make_manager([{"name": "dev", "kind": kind, "port": link, "framing": {"mode": framing}}])
        collector.wait_health("dev", "connected")
        worker = m._workers["dev"]
        framer = worker.framer
        done = threading.Event()

        def babble() -> None:
            for _ in range(total // len(block)):
                sim.write(block)
            done.set()

        t = threading.Thread(target=babble, name="sim-babble", daemon=True)
        t.start()
        most = 0
        while not done.is_set():  # sample what the reader thread holds while the line is busy
            most = max(most, framer.buffered)
            done.wait(0.002)
        t.join(30)
        collector.wait(lambda: m.health("dev").dropped_bytes >= total - MAX_FRAME_BYTES[kind], what="drained")
        time.sleep(0.3)  # the line goes quiet before the next read (suffix framing resumes there)
        # `bound` holds between feeds; sampled from another thread, a feed may be caught in the middle of one
        # slice (FEED_SLICE bytes or one frame): never more than that above it
        assert framer.bound <= MAX_FRAME_BYTES[kind] + 2 + NOISE_KEEP
        assert most <= framer.bound + max(FEED_SLICE, framer.max_length), (most, framer.bound)
        if kind == "barcode":
            sim.send(b"CSQU3054383")
            events = collector.wait_count(BarcodeScanned, 1, "dev", timeout=30)
            assert events[0].text == "CSQU3054383"
        else:
            sim.send(json.dumps(scan_record("SC-9", "CSQU3054383")).encode())
            assert collector.wait_count(ScanResult, 1, "dev", timeout=30)[0].container == "CSQU3054383"
        collector.wait(lambda: m.health("dev").dropped_bytes >= total, what="dropped count in health")
        assert m.health("dev").dropped_bytes == total
        # the count reaches the screens too (a health event), and the log is not flooded
        collector.wait(lambda: any(e.health.dropped_bytes == total for e in collector.of(DeviceHealthChanged, "dev")),
                       what="the final count announced")
        assert 1 <= sum("noise" in r.getMessage() for r in caplog.records) <= 2


def test_a_folder_file_nested_past_the_stack_is_rejected_not_a_crash(tmp_path):
    from devices.scanner import FolderScanner

    (tmp_path / "deep.json").write_text("[" * 200_000)
    (tmp_path / "huge.json").write_text('{"scan_id": ' + "9" * 5000 + "}")
    outcomes = FolderScanner(tmp_path, device="x", settle=0).poll(now=time.time() + 10)
    assert sorted((o.path.name, o.event) for o in outcomes) == [("deep.json", None), ("huge.json", None)]
    assert (tmp_path / "rejected" / "deep.json").exists()
