"""Device configuration errors name their key; drivers turn frames into events or reject them (pure, no port)."""

from __future__ import annotations

import datetime as dt
import json
import os
import time

import pytest

from devices.barcode import BarcodeDriver
from devices.barrier import lcus_frame, parse_lcus_frame
from devices.base import FrameError
from devices.config import BarcodeSpec, parse_device_configs
from devices.eseal import ESealDriver
from devices.events import BarcodeScanned, MrzRead
from devices.mrz import MrzDriver
from devices.scanner import FolderScanner, ScannerLineDriver
from devices.sim.simulators import SAMPLE_MRZ, scan_record, unescape, write_drop_file
from workstation.errors import ConfigError

AT = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)


# --- configuration ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"name": "a", "kind": "barcode", "port": "/dev/x", "baud": 0}, "devices[0].baud"),
        ({"name": "a", "kind": "barcode"}, "devices[0].port"),
        ({"name": "a", "kind": "laser"}, "devices[0].kind"),
        ({"kind": "barcode", "port": "/dev/x"}, "devices[0].name"),
        ({"name": "a b", "kind": "barcode", "port": "/dev/x"}, "devices[0].name"),
        ({"name": "a", "kind": "barcode", "port": "/dev/x", "parity": "X"}, "devices[0].parity"),
        ({"name": "a", "kind": "barcode", "port": "/dev/x", "framing": {"mode": "etx", "nope": 1}}, "devices[0].framing.nope"),
        ({"name": "a", "kind": "barcode", "port": "/dev/x", "framing": {"suffix": "\u20ac"}}, "devices[0].framing.suffix"),
        ({"name": "a", "kind": "barrier", "port": "/dev/x"}, "devices[0].protocol"),
        ({"name": "a", "kind": "barrier", "port": "/dev/x", "protocol": "lcus", "lcus": {"pulse_ms": 200}}, "devices[0].lcus.close_channel"),
        ({"name": "a", "kind": "barrier", "port": "/dev/x", "protocol": "modbus", "modbus": {"unit_id": 300}}, "devices[0].modbus.unit_id"),
        ({"name": "a", "kind": "scanner", "transport": "folder"}, "devices[0].folder"),
        ({"name": "a", "kind": "eseal", "port": "/dev/x", "stopbits": 3}, "devices[0].stopbits"),
    ],
)
def test_config_errors_name_the_key(raw, field):
    with pytest.raises(ConfigError) as exc:
        parse_device_configs([raw])
    assert exc.value.field == field


def test_duplicate_names_and_ports_are_refused():
    base = {"kind": "barcode", "port": "/dev/a"}
    with pytest.raises(ConfigError) as exc:
        parse_device_configs([{**base, "name": "x"}, {**base, "name": "x", "port": "/dev/b"}])
    assert exc.value.field == "devices[1].name"
    with pytest.raises(ConfigError) as exc:
        parse_device_configs([{**base, "name": "x"}, {**base, "name": "y"}])
    assert exc.value.field == "devices[1].port"
    with pytest.raises(ConfigError):
        parse_device_configs({"name": "x"})


def test_config_defaults_and_register_map():
    specs = parse_device_configs(
        [
            {"name": "qr", "kind": "barcode", "port": "/dev/serial/by-id/usb-x", "baud": 115200},
            {"name": "gate", "kind": "barrier", "port": "/dev/ttyRS485", "protocol": "modbus", "parity": "E",
             "modbus": {"status_register": 100, "status_map": {"1": "open", "2": "closed"}}},
            {"name": "mrz", "kind": "mrz", "port": "/dev/ttyS1"},
            {"name": "xray", "kind": "scanner", "transport": "folder", "folder": "/srv/drop"},
        ]
    )
    qr, gate, mrz, xray = specs
    assert qr.framing.mode == "suffix" and qr.framing.suffix == "\r\n" and qr.aim == "optional"
    assert gate.modbus.status_map == {1: "open", 2: "closed"} and gate.bits_per_byte == 11
    assert mrz.framing.mode == "etx"
    assert xray.port is None and xray.folder == "/srv/drop"
    assert parse_device_configs(None) == []


# --- barcode ----------------------------------------------------------------------------------------------


def barcode(aim: str = "optional", **kw) -> BarcodeDriver:
    return BarcodeDriver(BarcodeSpec(name="qr", port="/dev/x", aim=aim, **kw))


def test_barcode_splits_aim_and_keeps_payload_bytes():
    (ev,) = barcode().handle(b"]Q1line1\r\nline2", AT)
    assert isinstance(ev, BarcodeScanned)
    assert (ev.symbology, ev.aim, ev.payload, ev.text) == ("QR", "]Q1", b"line1\r\nline2", "line1\r\nline2")


def test_barcode_required_aim_rejects_missing_or_wrong_identifiers():
    d = barcode("required")
    with pytest.raises(FrameError, match="missing AIM"):
        d.handle(b"CSQU3054383", AT)
    with pytest.raises(FrameError, match="wrong AIM"):
        d.handle(b"]W9CSQU3054383", AT)
    with pytest.raises(FrameError):
        d.handle(b"]Q1", AT)  # identifier and no data


def test_barcode_optional_aim_keeps_a_bracket_that_is_no_identifier():
    (ev,) = barcode("optional").handle(b"]W9DATA", AT)
    assert ev.symbology is None and ev.payload == b"]W9DATA"
    (ev,) = barcode("off").handle(b"]Q1DATA", AT)
    assert ev.symbology is None and ev.payload == b"]Q1DATA"


def test_barcode_strips_line_noise_in_front_of_a_frame(caplog):
    (ev,) = barcode("optional").handle(b"\x00\xff\x00]C0ABC", AT)
    assert (ev.symbology, ev.payload) == ("CODE128", b"ABC")
    (ev,) = barcode("required").handle(b"#~garbage]Q1XYZ", AT)
    assert ev.payload == b"XYZ"
    assert sum("noise" in r.message and "qr" in r.message for r in caplog.records) == 2
    # GS1 separators are data, not noise
    (ev,) = barcode("off").handle(b"\x1d0112345", AT)
    assert ev.payload == b"\x1d0112345"


def test_barcode_decodes_with_configured_encoding_without_failing():
    (ev,) = barcode(encoding="latin-1").handle(b"]Q1caf\xe9", AT)
    assert ev.text == "café"
    (ev,) = barcode().handle(b"]Q1caf\xe9", AT)
    assert ev.text == "caf\ufffd" and ev.payload == b"caf\xe9"


# --- MRZ --------------------------------------------------------------------------------------------------


def mrz_driver() -> MrzDriver:
    return MrzDriver(parse_device_configs([{"name": "pp", "kind": "mrz", "port": "/dev/x"}])[0])


def test_mrz_two_lines_in_one_frame():
    (ev,) = mrz_driver().handle(f"{SAMPLE_MRZ[0]}\r\n{SAMPLE_MRZ[1]}".encode(), AT)
    assert isinstance(ev, MrzRead) and ev.valid and ev.detail["document_number"] == "L898902C3"


def test_mrz_one_line_per_frame_is_paired_and_forgotten_at_disconnect():
    d = mrz_driver()
    assert d.handle(SAMPLE_MRZ[0].encode(), AT) == []
    (ev,) = d.handle(SAMPLE_MRZ[1].encode(), AT)
    assert ev.text == "\n".join(SAMPLE_MRZ)
    d.handle(SAMPLE_MRZ[0].encode(), AT)
    d.disconnected()
    with pytest.raises(FrameError, match="without a first line"):
        d.handle(SAMPLE_MRZ[1].encode(), AT)


def test_mrz_with_bad_check_digit_is_delivered_invalid_and_garbage_rejected():
    line2 = SAMPLE_MRZ[1][:9] + "7" + SAMPLE_MRZ[1][10:]
    (ev,) = mrz_driver().handle(f"{SAMPLE_MRZ[0]}\n{line2}".encode(), AT)
    assert not ev.valid and ev.detail["checks"]["document_number"] is False
    for bad in (b"hello", b"\xff\xfe", b"A" * 30 + b"\n" + b"B" * 30 + b"\n" + b"C" * 30):
        with pytest.raises(FrameError):
            mrz_driver().handle(bad, AT)


# --- barrier wire formats ---------------------------------------------------------------------------------


def test_lcus_frames_match_the_domain_brief():
    assert lcus_frame(1, True) == bytes.fromhex("A00101A2")
    assert lcus_frame(1, False) == bytes.fromhex("A00100A1")
    assert parse_lcus_frame(bytes.fromhex("A00201A3")) == (2, True)
    with pytest.raises(ValueError):
        parse_lcus_frame(bytes.fromhex("A00101A3"))


# --- scanner and e-seal records -----------------------------------------------------------------------------


def scanner_driver() -> ScannerLineDriver:
    return ScannerLineDriver(parse_device_configs([{"name": "xray", "kind": "scanner", "port": "/dev/x"}])[0])


def test_scanner_json_and_pipe_lines():
    rec = scan_record("S1", "CSQU3054383", verdict="suspect", when=AT)
    (ev,) = scanner_driver().handle(json.dumps(rec).encode(), AT)
    assert (ev.scan_id, ev.container, ev.verdict, ev.suspicious, ev.scanned_at) == ("S1", "CSQU3054383", "suspect", True, AT)
    (ev,) = scanner_driver().handle(b"SCAN|S2|2026-11-22T15:00:00+07:00|-|B 1234 XY|img/2.jpg|CLEAR", AT)
    assert (ev.plate, ev.container, ev.suspicious, ev.image_ref) == ("B 1234 XY", None, False, "img/2.jpg")
    assert ev.scanned_at == dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "line",
    [
        b'{"scan_id": "S", "container": "C", "verdict": "maybe"}',
        b'{"scan_id": "S", "verdict": "clear"}',
        b'{"container": "C", "verdict": "clear"}',
        b'{"scan_id": "S", "container": "C", "verdict": "clear", "suspicious": true}',
        b'{"scan_id": "S", "container": "C", "verdict": "clear", "time": "2026-11-22T10:00:00"}',
        b'{"scan_id": "S", "container": "C"}',
        b"SCAN|too|few",
        b"[1,2]",
        b"\xff",
    ],
)
def test_scanner_bad_records_are_rejected(line):
    with pytest.raises(FrameError):
        scanner_driver().handle(line, AT)


def test_eseal_reads():
    d = ESealDriver(parse_device_configs([{"name": "seal", "kind": "eseal", "port": "/dev/x"}])[0])
    (ev,) = d.handle(b"ESEAL|es0012345|OPENED|12|2026-11-22T07:59:00Z", AT)
    assert (ev.seal_id, ev.state, ev.battery_pct) == ("ES0012345", "opened", 12)
    assert ev.event_time == dt.datetime(2026, 11, 22, 7, 59, tzinfo=dt.UTC)
    (ev,) = d.handle(b'{"seal_id": "X1", "state": "sealed", "battery": null}', AT)
    assert ev.battery_pct is None and ev.event_time is None
    for bad in (b"ESEAL|X|LOST|1|-", b"ESEAL|X|SEALED|101|-", b'{"seal_id": "X", "state": "sealed", "battery": true}'):
        with pytest.raises(FrameError):
            d.handle(bad, AT)


# --- scanner drop folder (pure poll) -----------------------------------------------------------------------


def test_folder_scanner_handles_good_bad_partial_and_temporary_files(tmp_path):
    fs = FolderScanner(tmp_path, device="xray", settle=2.0)
    fs.check()
    write_drop_file(tmp_path, scan_record("S1", "CSQU3054383"))
    (tmp_path / ".S2.json.tmp").write_text("{half")  # still being written under a temporary name
    (tmp_path / "S3.json").write_text('{"scan_id": "S3"')  # half-written under its final name
    (tmp_path / "S4.json").write_text('{"scan_id": "S4", "verdict": "clear"}')  # complete but invalid
    now = time.time()
    outcomes = {o.path.name: o for o in fs.poll(now=now)}
    assert set(outcomes) == {"S1.json", "S4.json"}  # S3 is young: retried, not rejected
    assert outcomes["S1.json"].event.container == "CSQU3054383"
    assert os.path.isabs(outcomes["S1.json"].event.image_ref)
    assert "container or plate" in outcomes["S4.json"].error
    assert (tmp_path / "done" / "S1.json").exists() and (tmp_path / "rejected" / "S4.json").exists()
    # once it has settled and still does not parse, it is rejected
    (later,) = fs.poll(now=now + 10)
    assert later.path.name == "S3.json" and later.event is None
    assert fs.poll(now=now + 20) == []
    assert (tmp_path / ".S2.json.tmp").exists()


def test_folder_scanner_without_archive_reports_each_file_once(tmp_path):
    fs = FolderScanner(tmp_path, device="xray", archive=False)
    write_drop_file(tmp_path, scan_record("S1", "CSQU3054383"))
    assert len(fs.poll()) == 1
    assert fs.poll() == []
    assert (tmp_path / "S1.json").exists() and not (tmp_path / "done").exists()


def test_folder_scanner_reports_a_missing_folder(tmp_path):
    with pytest.raises(OSError):
        FolderScanner(tmp_path / "nope", device="xray").poll()


def test_script_escapes():
    assert unescape(r"A\r\nB\x1d\\") == b"A\r\nB\x1d\\"
