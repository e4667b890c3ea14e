"""The device manager on real pseudo-terminals: reader threads, reconnect, health, barrier commands."""

from __future__ import annotations

import json
import logging
import os
import threading

import pytest

from devices.events import (
    CONNECTED,
    DISCONNECTED,
    ERROR,
    STOPPED,
    BarcodeScanned,
    BarrierStatus,
    DeviceHealthChanged,
    ESealRead,
    FrameRejected,
    MrzRead,
    ScanResult,
)
from devices.framing import encode_frame
from devices.sim.pty import PtyPort
from devices.sim.simulators import (
    SAMPLE_MRZ,
    BarcodeSim,
    BarrierSim,
    ESealSim,
    ModbusBarrierSim,
    MrzSim,
    ScannerSim,
    scan_record,
    write_drop_file,
)
from workstation.errors import InputError

pytestmark = pytest.mark.skipif(os.name != "posix", reason="pseudo-terminals are POSIX only")


@pytest.fixture
def link(tmp_path):
    return str(tmp_path / "port")


def barcode_cfg(port: str, **kw):
    return {"name": "qr", "kind": "barcode", "port": port, **kw}


def texts(collector, device="qr"):
    return [e.text for e in collector.of(BarcodeScanned, device)]


def test_frames_split_across_reads_arrive_whole(collector, make_manager, link):
    with PtyPort(link) as dev:
        make_manager([barcode_cfg(link, aim="required")])
        collector.wait_health("qr", CONNECTED)
        wire = b"".join(encode_frame(f"]Q1CSQU305438{i}".encode(), "suffix") for i in range(3))
        for i in range(len(wire)):  # one byte per write: every frame is split across many reads
            dev.write(wire[i : i + 1])
        events = collector.wait_count(BarcodeScanned, 3)
        assert [e.text for e in events] == [f"CSQU305438{i}" for i in range(3)]
        assert all(e.symbology == "QR" for e in events)


@pytest.mark.parametrize(
    "framing",
    [
        {"mode": "etx"},
        {"mode": "length", "length_bytes": 2},
        {"mode": "length", "start": "", "length_bytes": 4, "length_format": "ascii", "end": "\r\n"},
    ],
)
def test_crlf_inside_a_qr_payload(collector, make_manager, link, framing):
    payload = "ECD:ECD-20261121-000123\r\nsecond line\r\nthird"
    with BarcodeSim(link=link, framing=framing["mode"], framing_params=_params(framing)) as sim:
        make_manager([barcode_cfg(link, framing=framing)])
        collector.wait_health("qr", CONNECTED)
        sim.scan(payload)
        sim.do_split("two\r\nhalves")
        events = collector.wait_count(BarcodeScanned, 2)
        assert [e.payload for e in events] == [payload.encode(), b"two\r\nhalves"]


def _params(framing: dict) -> dict:
    from devices.config import FramingSpec

    return FramingSpec(**framing).params()


def test_garbage_between_frames_is_skipped_logged_once_and_reader_survives(collector, make_manager, link, caplog):
    caplog.set_level(logging.WARNING, logger="devices")
    with BarcodeSim(link=link, framing="etx") as sim:
        make_manager([barcode_cfg(link, framing={"mode": "etx"}, aim="required")])
        collector.wait_health("qr", CONNECTED)
        sim.scan("FIRST")
        sim.write(b"\x00\xff\x13garbage\xfe\x03")  # noise, with a stray ETX in it
        sim.scan("SECOND")
        sim.send(b"]W9wrong aim")  # a frame with a wrong AIM identifier
        sim.send(b"\xff\xfe\xfd")  # a frame of binary junk
        sim.scan("THIRD")
        collector.wait_count(BarcodeScanned, 3)
        rejected = collector.wait_count(FrameRejected, 2)
        assert texts(collector) == ["FIRST", "SECOND", "THIRD"]
        assert [r.payload for r in rejected] == [b"]W9wrong aim", b"\xff\xfe\xfd"]
        assert "wrong AIM" in rejected[0].reason
        noise_logs = [r for r in caplog.records if "noise" in r.getMessage()]
        reject_logs = [r for r in caplog.records if "rejected frame" in r.getMessage()]
        assert len(noise_logs) == 1 and "qr" in noise_logs[0].getMessage()
        assert len(reject_logs) == 2 and all("device qr" in r.getMessage() for r in reject_logs)


def test_noise_before_a_suffix_frame_is_stripped(collector, make_manager, link):
    with BarcodeSim(link=link) as sim:
        make_manager([barcode_cfg(link, aim="required")])
        collector.wait_health("qr", CONNECTED)
        sim.do_noise("7")
        sim.scan("CSQU3054383")
        (ev,) = collector.wait_count(BarcodeScanned, 1)
        assert (ev.symbology, ev.text) == ("QR", "CSQU3054383")


def test_unplug_and_replug_recovers_without_losing_a_complete_frame(collector, make_manager, link, caplog):
    caplog.set_level(logging.WARNING, logger="devices")
    dev = PtyPort(link)
    m = make_manager([barcode_cfg(link)])
    collector.wait_health("qr", CONNECTED)
    # a complete frame and the first half of the next one in the same read
    dev.write(b"]Q1BEFORE\r\n]Q1HALF-OF-A-FR")
    collector.wait_count(BarcodeScanned, 1)
    mark = collector.mark()
    dev.close()  # unplug
    collector.wait_health("qr", DISCONNECTED, after=mark)
    assert m.health("qr").state == DISCONNECTED and "lost" in m.health("qr").last_error
    mark = collector.mark()
    with PtyPort(link) as dev2:  # replug: a new pty behind the same stable path
        collector.wait_health("qr", CONNECTED, after=mark)
        dev2.write(b"]Q1AFTER\r\n")
        collector.wait_count(BarcodeScanned, 2)
        # the half frame was dropped at disconnect, not glued onto the next one
        assert texts(collector) == ["BEFORE", "AFTER"]
        assert any("unfinished frame" in r.getMessage() for r in caplog.records)
        assert m.health("qr").last_event_at is not None


def test_a_missing_port_backs_off_and_logs_once(collector, make_manager, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="devices")
    port = str(tmp_path / "not-yet")
    m = make_manager([barcode_cfg(port)])
    collector.wait_health("qr", DISCONNECTED)
    # several retries happen (back-off 0.05 → 0.2 s) while we wait for the device to appear
    with PtyPort(port) as dev:
        collector.wait_health("qr", CONNECTED)
        dev.write(b"]Q1LATE\r\n")
        collector.wait_count(BarcodeScanned, 1)
        # connected again; the last error stays on record for the status bar's detail
        assert m.health("qr").last_error and "cannot open" in m.health("qr").last_error
    opens = [r for r in caplog.records if "cannot open" in r.getMessage()]
    assert len(opens) == 1


def test_callback_errors_do_not_kill_the_reader(make_manager, link, collector, caplog):
    calls = []

    def flaky(event):
        calls.append(event)
        collector(event)
        if isinstance(event, BarcodeScanned) and event.text == "BOOM":
            raise RuntimeError("screen bug")

    from devices.config import parse_device_configs
    from devices.manager import DeviceManager

    with PtyPort(link) as dev:
        m = DeviceManager(parse_device_configs([barcode_cfg(link, read_timeout=0.05)]), flaky)
        m.start()
        try:
            collector.wait_health("qr", CONNECTED)
            dev.write(b"BOOM\r\nFINE\r\n")
            collector.wait_count(BarcodeScanned, 2)
        finally:
            assert m.stop()
    assert any("on_event callback failed" in r.getMessage() for r in caplog.records)
    assert m.health("qr").state == STOPPED


def test_mrz_reader_sends_both_lines(collector, make_manager, link):
    with MrzSim(link=link) as sim:
        make_manager([{"name": "pp", "kind": "mrz", "port": link}])
        collector.wait_health("pp", CONNECTED)
        sim.do_sample("")
        (ev,) = collector.wait_count(MrzRead, 1)
        assert ev.valid and ev.text == "\n".join(SAMPLE_MRZ)


def test_scanner_and_eseal_over_serial(collector, make_manager, tmp_path):
    with ScannerSim(link=str(tmp_path / "x")) as xray, ESealSim(link=str(tmp_path / "s")) as seal:
        make_manager(
            [
                {"name": "xray", "kind": "scanner", "port": xray.path},
                {"name": "seal", "kind": "eseal", "port": seal.path},
            ]
        )
        collector.wait_health("xray", CONNECTED)
        collector.wait_health("seal", CONNECTED)
        xray.do_scan("CSQU3054383 suspect")
        xray.send(json.dumps({"scan_id": "S9", "plate": "B1234XY", "suspicious": False}))
        seal.do_seal("ES77 opened 5")
        scans = collector.wait_count(ScanResult, 2)
        assert [(s.container, s.plate, s.suspicious) for s in scans] == [
            ("CSQU3054383", None, True),
            (None, "B1234XY", False),
        ]
        (read,) = collector.wait_count(ESealRead, 1)
        assert (read.seal_id, read.state, read.battery_pct) == ("ES77", "opened", 5)


def test_scanner_file_drop(collector, make_manager, tmp_path):
    drop = tmp_path / "drop"
    m = make_manager([{"name": "xray", "kind": "scanner", "transport": "folder", "folder": str(drop), "poll_interval": 0.05}])
    collector.wait_health("xray", DISCONNECTED)  # no folder yet
    drop.mkdir()
    collector.wait_health("xray", CONNECTED)
    write_drop_file(drop, scan_record("D1", "CSQU3054383", verdict="suspect"))
    bad = drop / "bad.json"
    bad.write_text("{broken")
    os.utime(bad, (0, 0))  # long settled: it will not be completed any more
    (ev,) = collector.wait_count(ScanResult, 1)
    assert (ev.scan_id, ev.source, ev.suspicious) == ("D1", "folder", True)
    (rej,) = collector.wait_count(FrameRejected, 1)
    assert "JSON" in rej.reason
    collector.wait(lambda: (drop / "done" / "D1.json").exists() and (drop / "rejected" / "bad.json").exists())
    assert m.health("xray").port == str(drop)


# --- barriers ---------------------------------------------------------------------------------------------


def states(collector, device="gate"):
    out: list[str] = []
    for e in collector.of(BarrierStatus, device):
        if not out or out[-1] != e.state:
            out.append(e.state)
    return out


def test_ascii_barrier_status_transitions_and_audit(collector, make_manager, link):
    with BarrierSim(link=link, protocol="ascii", travel=0.3) as sim:
        m = make_manager(
            [{"name": "gate", "kind": "barrier", "protocol": "ascii", "port": link, "poll_interval": 0.05}]
        )
        collector.wait(lambda: states(collector) == ["closed"], what="closed")
        result = m.open_barrier("gate")
        assert result.ok and result.state in ("opening", "open")
        collector.wait(lambda: states(collector)[-1:] == ["open"], what="open")
        result = m.close_barrier("gate")
        assert result.ok
        collector.wait(lambda: states(collector)[-1:] == ["closed"], what="closed again")
        assert states(collector) == ["closed", "opening", "open", "closing", "closed"]
        assert m.health("gate").detail == "closed"
        sim.do_state("fault")
        refused = m.open_barrier("gate")
        assert not refused.ok and "fault" in refused.error
        collector.wait(lambda: states(collector)[-1:] == ["fault"], what="fault")
        assert [(d, c, r.ok) for d, c, r in collector.commands] == [
            ("gate", "open", True),
            ("gate", "close", True),
            ("gate", "open", False),
        ]
        assert sim.mechanism.commands == ["open", "close", "open"]


def test_silent_barrier_is_in_error_and_commands_fail_when_disconnected(collector, make_manager, link):
    with PtyPort(link) as dev:  # something on the port that never answers
        m = make_manager(
            [{"name": "gate", "kind": "barrier", "protocol": "ascii", "port": link, "poll_interval": 0.05,
              "command_timeout": 0.2}]
        )
        collector.wait_health("gate", ERROR)
        assert "STATUS?" in m.health("gate").last_error
        result = m.open_barrier("gate")
        assert not result.ok and "no reply" in result.error
        wire = b""
        while b"OPEN\r\n" not in wire:  # the requests did go out on the wire
            chunk = dev.read(2.0)
            assert chunk, f"nothing more on the wire after {wire!r}"
            wire += chunk
        assert wire.startswith(b"STATUS?\r\n")
        mark = collector.mark()
    collector.wait_health("gate", DISCONNECTED, after=mark)
    result = m.open_barrier("gate")
    assert not result.ok and result.error == "device disconnected"
    assert [c for _, c, _ in collector.commands] == ["open", "open"]
    with pytest.raises(InputError):
        m.barrier_command("gate", "explode")
    with pytest.raises(InputError):
        m.barrier_command("nope", "open")


@pytest.mark.parametrize("mode", ["latch", "pulse"])
def test_lcus_relay_board(collector, make_manager, link, mode):
    lcus = {"pulse_ms": 30, "close_channel": 2} if mode == "pulse" else {}
    with BarrierSim(link=link, protocol="lcus", lcus_mode=mode, travel=0) as sim:
        m = make_manager([{"name": "gate", "kind": "barrier", "protocol": "lcus", "port": link, "lcus": lcus}])
        collector.wait_health("gate", CONNECTED)
        assert m.open_barrier("gate").state == "open"
        collector.wait(lambda: sim.mechanism.commands == ["open"], what="open at the board")
        assert m.close_barrier("gate").ok
        collector.wait(lambda: sim.mechanism.commands == ["open", "close"], what="close at the board")
        collector.wait(lambda: not any(sim.relays.values()), what="contacts released")
        assert states(collector) == ["unknown", "open", "closed"]
        assert all(not e.confirmed for e in collector.of(BarrierStatus, "gate"))


def test_modbus_barrier_through_pymodbus_server(collector, make_manager, link):
    with ModbusBarrierSim(link=link, travel=0.4) as sim:
        m = make_manager(
            [{"name": "gate", "kind": "barrier", "protocol": "modbus", "port": link, "baud": 115200,
              "poll_interval": 0.05, "modbus": {"pulse_ms": 20, "timeout": 0.5}}]
        )
        collector.wait(lambda: states(collector) == ["closed"], what="closed")
        assert m.health("gate").state == CONNECTED
        result = m.open_barrier("gate")
        assert result.ok and result.state in ("opening", "open")
        collector.wait(lambda: states(collector)[-1:] == ["open"], what="open")
        assert m.close_barrier("gate").ok
        collector.wait(lambda: states(collector)[-1:] == ["closed"], what="closed again")
        assert states(collector) == ["closed", "opening", "open", "closing", "closed"]
        raws = {e.state: e.raw for e in collector.of(BarrierStatus, "gate")}
        assert raws == {"closed": 17, "opening": 32, "open": 16, "closing": 33}
        assert sim.mechanism.commands == ["open", "close"]
        assert [(c, r.ok) for _, c, r in collector.commands] == [("open", True), ("close", True)]


def test_modbus_barrier_reconnects_after_unplug(collector, make_manager, link):
    sim = ModbusBarrierSim(link=link, travel=0)
    try:
        m = make_manager(
            [{"name": "gate", "kind": "barrier", "protocol": "modbus", "port": link, "poll_interval": 0.05,
              "modbus": {"pulse_ms": 0, "timeout": 0.3}}]
        )
        collector.wait(lambda: states(collector) == ["closed"], what="closed")
        mark = collector.mark()
        sim.close()  # unplug the RS-485 adapter
        collector.wait_health("gate", DISCONNECTED, after=mark)
        assert not m.open_barrier("gate").ok  # refused at once, never queued for later
        mark = collector.mark()
        sim = ModbusBarrierSim(link=link, travel=0)
        collector.wait_health("gate", CONNECTED, after=mark)
        assert m.open_barrier("gate").state == "open"
        assert sim.mechanism.commands == ["open"]
    finally:
        sim.close()


def test_disabled_device_is_not_started(collector, make_manager, link):
    m = make_manager([barcode_cfg(link, enabled=False)])
    h = m.health("qr")
    assert (h.state, h.detail) == (STOPPED, "disabled")
    assert not [t for t in threading.enumerate() if t.name == "device:qr"]


def test_modbus_exception_reply_puts_the_barrier_in_error(collector, make_manager, link):
    with ModbusBarrierSim(link=link, travel=0.1, status_register=100):
        # the register map points at an address the device does not have
        m = make_manager(
            [{"name": "gate", "kind": "barrier", "protocol": "modbus", "port": link, "poll_interval": 0.05,
              "modbus": {"status_register": 7, "timeout": 0.3}}]
        )
        collector.wait_health("gate", ERROR)
        assert "Modbus exception" in m.health("gate").last_error
        result = m.barrier_command("gate", "status")
        assert not result.ok


def test_stop_is_clean_with_a_command_in_flight(collector, make_manager, link):
    with BarrierSim(link=link, protocol="ascii", travel=0.2):
        m = make_manager([{"name": "gate", "kind": "barrier", "protocol": "ascii", "port": link}])
        collector.wait_health("gate", CONNECTED)
        results = []
        t = threading.Thread(target=lambda: results.append(m.open_barrier("gate")))
        t.start()
        t.join(10)
        assert m.stop(timeout=10)
        assert results and results[0].ok
        assert all(
            e.health.state == STOPPED for e in collector.of(DeviceHealthChanged, "gate")[-1:]
        )
