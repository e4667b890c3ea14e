"""MRZ of every size (ICAO 9303 TD1, TD2, TD3, visas) and readers that send one line per frame (issue #13 item 5).

The decisive case: a passport whose number starts with "P" (current Australian and Philippine passports) sent
one line per frame; its second line starts with "P" and must not be taken for a new first line."""

from __future__ import annotations

import datetime as dt
import os
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.base import FrameError
from devices.config import parse_device_configs
from devices.events import CONNECTED, FrameRejected, MrzRead
from devices.mrz import MrzDriver
from devices.sim.simulators import (
    SAMPLE_MRZ,
    SAMPLE_MRZ_P,
    SAMPLE_TD1,
    SAMPLE_TD2,
    MrzSim,
    td1_mrz,
    td3_mrz,
)
from workstation.domain.mrz import LineAssembler, MrzLineError, decode, line_role, split_lines

TODAY = dt.date(2026, 11, 30)
AT = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)

# ICAO 9303 part 5 §4.2.4 example of a document number longer than 9 characters (D23145890734).
TD1_LONG = (
    "I<UTOD23145890<7349<<<<<<<<<<<",
    "3407127M9507122UTO<<<<<<<<<<<2",
    "STEVENSON<<PETER<JOHN<<<<<<<<<",
)
# ICAO 9303 part 7 MRV-A specimen visa.
VISA_A = (
    "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L8988901C4XXX4009078F96121096ZE184226B<<<<<<",
)


# --- decoding ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "fmt", "number", "birth", "expiry"),
    [
        (SAMPLE_MRZ, "TD3", "L898902C3", "1974-08-12", "2012-04-15"),
        (SAMPLE_TD2, "TD2", "D23145890", "1974-08-12", "2012-04-15"),
        (SAMPLE_TD1, "TD1", "D23145890", "1974-08-12", "2012-04-15"),
        (TD1_LONG, "TD1", "D23145890734", "1934-07-12", "2095-07-12"),
        (VISA_A, "MRV-A", "L8988901C", "1940-09-07", "2096-12-10"),
        (SAMPLE_MRZ_P, "TD3", "PA1234567", "1985-01-01", "2032-04-15"),
    ],
)
def test_icao_specimens_decode_valid(lines, fmt, number, birth, expiry):
    r = decode(split_lines("\n".join(lines)), today=TODAY)
    assert (r.format, r.valid) == (fmt, True), r.detail
    d = r.detail
    assert (d["format"], d["document_number"], d["birth_date"], d["expiry_date"]) == (fmt, number, birth, expiry)
    assert all(d["checks"].values())


def test_long_document_number_check_digit_covers_the_whole_number():
    bad = (TD1_LONG[0][:18] + "8" + TD1_LONG[0][19:], *TD1_LONG[1:])  # the check digit after "734"
    r = decode(bad, today=TODAY)
    assert not r.valid and r.detail["checks"]["document_number"] is False


@pytest.mark.parametrize(("field", "text"), [("AB<12<34", "AB 12 34"), ("<<X", "X"), ("K<<L", "K  L")])
def test_a_filler_inside_optional_data_is_a_space(field, text):
    card = td1_mrz("AB12", optional=field, optional2=field)
    d = decode(card, today=TODAY).detail
    assert d["optional_data"] == text and d["optional_data_2"] == text
    passport = td3_mrz("X1234567", personal=field)
    d = decode(passport, today=TODAY).detail
    assert d["personal_number"] == text and d["checks"]["personal_number"]


def test_runs_without_newlines_are_split_by_size():
    assert split_lines("".join(SAMPLE_TD1)) == SAMPLE_TD1
    assert split_lines("".join(SAMPLE_TD2)) == SAMPLE_TD2
    assert split_lines("".join(SAMPLE_MRZ_P)) == SAMPLE_MRZ_P


def test_lines_of_no_known_size_are_an_invalid_mrz():
    r = decode((SAMPLE_TD1[0], SAMPLE_TD1[1][:-1], SAMPLE_TD1[2]), today=TODAY)
    assert r.format is None and not r.valid and "3×30" in r.detail["error"]


# --- pairing by structure -----------------------------------------------------------------------------------


def test_a_second_line_starting_with_p_is_a_second_line():
    assert SAMPLE_MRZ_P[1].startswith("P")
    assert line_role(SAMPLE_MRZ_P[0]) == ("TD3", 0)
    assert line_role(SAMPLE_MRZ_P[1]) == ("TD3", 1)
    assert [line_role(ln) for ln in SAMPLE_TD1] == [("TD1", 0), ("TD1", 1), ("TD1", 2)]
    assert [line_role(ln) for ln in TD1_LONG] == [("TD1", 0), ("TD1", 1), ("TD1", 2)]
    assert [line_role(ln) for ln in SAMPLE_TD2] == [("TD2", 0), ("TD2", 1)]
    assert line_role("X" * 40) is None and line_role("a" * 44) is None


def test_assembler_names_orphans_and_keeps_a_new_first_line():
    a = LineAssembler()
    with pytest.raises(MrzLineError, match="without a first line"):
        a.feed(SAMPLE_MRZ[1])
    assert a.feed(SAMPLE_TD1[0]) is None
    with pytest.raises(MrzLineError, match="replaced by a new first line"):
        a.feed(SAMPLE_MRZ_P[0])  # the card's first line is dropped, the passport's is kept
    assert a.feed(SAMPLE_MRZ_P[1]) == SAMPLE_MRZ_P
    a.feed(SAMPLE_TD1[0])
    with pytest.raises(MrzLineError, match="out of order"):
        a.feed(SAMPLE_TD1[2])
    assert a.pending == 0


names = st.text(string.ascii_uppercase, min_size=1, max_size=12)
numbers = st.text(string.ascii_uppercase + string.digits, min_size=1, max_size=8)
yymmdd = st.dates(dt.date(1930, 1, 1), dt.date(2029, 12, 31)).map(lambda d: d.strftime("%y%m%d"))


@st.composite
def documents(draw):
    kind = draw(st.sampled_from(["td3", "td3p", "td1", "td1long", "td2"]))
    who = {"surname": draw(names), "given": draw(names), "birth": draw(yymmdd), "expiry": draw(yymmdd)}
    if kind == "td3":
        return td3_mrz(draw(numbers), **who)
    if kind == "td3p":
        return td3_mrz("P" + draw(numbers), **who)
    if kind == "td1":
        return td1_mrz(draw(numbers), **who)
    if kind == "td1long":
        return td1_mrz(draw(st.text(string.ascii_uppercase + string.digits, min_size=10, max_size=13)), **who)
    lines = td3_mrz(draw(numbers), code="I<", **who)
    line1 = lines[0][:36]  # TD2: same fields, 31 name characters and 7 optional ones
    body = lines[1][:28] + "<<<<<<<"
    from workstation.domain.identifiers import mrz_check_digit

    return line1, body + str(mrz_check_digit(body[0:10] + body[13:20] + body[21:35]))


@settings(max_examples=200, deadline=None)
@given(st.lists(documents(), min_size=1, max_size=6))
def test_any_sequence_of_documents_sent_line_by_line_yields_each_once(docs):
    a = LineAssembler()
    out = []
    for doc in docs:
        for line in doc:
            got = a.feed(line)
            if got is not None:
                out.append(got)
    assert out == [tuple(d) for d in docs]
    assert all(decode(d, today=TODAY).valid for d in out)


# --- the driver -------------------------------------------------------------------------------------------


def driver() -> MrzDriver:
    return MrzDriver(parse_device_configs([{"name": "pp", "kind": "mrz", "port": "/dev/x"}])[0])


def test_driver_pairs_line_per_frame_p_passports_and_cards():
    d = driver()
    reads = []
    for doc in (SAMPLE_MRZ_P, SAMPLE_TD1, SAMPLE_MRZ, TD1_LONG, SAMPLE_TD2):
        for line in doc:
            reads += d.handle(line.encode() + b"\r\n", AT)
    assert [r.text for r in reads] == ["\n".join(doc) for doc in (SAMPLE_MRZ_P, SAMPLE_TD1, SAMPLE_MRZ, TD1_LONG, SAMPLE_TD2)]
    assert all(r.valid for r in reads)
    assert reads[3].detail["document_number"] == "D23145890734"


def test_driver_reads_whole_cards_in_one_frame_and_forgets_lines_at_disconnect():
    d = driver()
    (ev,) = d.handle("\r\n".join(SAMPLE_TD1).encode(), AT)
    assert ev.valid and ev.detail["format"] == "TD1"
    (ev,) = d.handle("".join(TD1_LONG).encode(), AT)
    assert ev.detail["document_number"] == "D23145890734"
    assert d.handle(SAMPLE_TD1[0].encode(), AT) == []
    d.disconnected()
    with pytest.raises(FrameError, match="without a first line"):
        d.handle(SAMPLE_TD1[1].encode(), AT)


def test_driver_rejects_lines_of_no_mrz_size():
    with pytest.raises(FrameError, match="fits no MRZ line"):
        driver().handle(b"P<UTO" + b"<" * 20, AT)


# --- through a pseudo-terminal, as the device tests run readers ----------------------------------------------

pty_only = pytest.mark.skipif(os.name != "posix", reason="pseudo-terminals are POSIX only")


@pty_only
@pytest.mark.parametrize("mode", ["suffix", "etx-per-line", "etx"])
def test_reader_simulator_gives_one_read_per_document(collector, make_manager, tmp_path, mode):
    link = str(tmp_path / "port")
    framing = "suffix" if mode == "suffix" else "etx"
    docs = [SAMPLE_MRZ_P, SAMPLE_TD1, td3_mrz("PB7654321", state="AUS", surname="NGUYEN", given="VAN AN"),
            TD1_LONG, SAMPLE_TD2, SAMPLE_MRZ]
    with MrzSim(link=link, framing=framing, per_line=mode != "etx") as sim:
        make_manager([{"name": "pp", "kind": "mrz", "port": link, "framing": {"mode": framing}}])
        collector.wait_health("pp", CONNECTED)
        for doc in docs:
            sim.read_document(*doc)
        events = collector.wait_count(MrzRead, len(docs), "pp")
    assert [e.text for e in events] == ["\n".join(doc) for doc in docs]
    assert all(e.valid for e in events)
    assert [e.detail["document_number"] for e in events][:3] == ["PA1234567", "D23145890", "PB7654321"]
    assert not collector.of(FrameRejected, "pp")


@pty_only
def test_simulator_script_samples(collector, make_manager, tmp_path):
    link = str(tmp_path / "port")
    with MrzSim(link=link, framing="suffix") as sim:
        make_manager([{"name": "pp", "kind": "mrz", "port": link, "framing": {"mode": "suffix"}}])
        collector.wait_health("pp", CONNECTED)
        sim.run_script(["sample p", "sample td1", " ".join(SAMPLE_TD2)])
        events = collector.wait_count(MrzRead, 3, "pp")
    assert [e.detail["format"] for e in events] == ["TD3", "TD1", "TD2"]
