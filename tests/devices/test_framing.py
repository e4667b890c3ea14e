"""Framing state machines: any split of the byte stream gives the same frames; noise is skipped and reported
once per run; over-long frames and bad headers resynchronise."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.framing import DelimitedFramer, Frame, IdleFramer, LengthFramer, Noise, encode_frame

STX, ETX = b"\x02", b"\x03"


def feed_split(framer, stream: bytes, cuts: list[int]) -> list:
    """Feed `stream` cut at `cuts`, then let the line go quiet once."""
    items = []
    points = sorted({c % (len(stream) + 1) for c in cuts} | {0, len(stream)})
    for a, b in itertools.pairwise(points):
        items += framer.feed(stream[a:b], 0.0)
    items += framer.tick(1.0)
    return items


def frames(items) -> list[bytes]:
    return [i.payload for i in items if isinstance(i, Frame)]


def noises(items) -> list[Noise]:
    return [i for i in items if isinstance(i, Noise)]


cuts = st.lists(st.integers(min_value=0, max_value=10_000), max_size=12)


def payloads_without(*forbidden: bytes, min_size: int = 1):
    return st.binary(min_size=min_size, max_size=60).filter(lambda b: not any(f in b for f in forbidden))


@settings(max_examples=150, deadline=None)
@given(st.lists(payloads_without(b"\r\n"), max_size=6), cuts)
def test_suffix_frames_survive_any_split(payloads, cut_points):
    stream = b"".join(encode_frame(p, "suffix", suffix=b"\r\n") for p in payloads)
    got = feed_split(DelimitedFramer(b"\r\n"), stream, cut_points)
    assert frames(got) == payloads
    assert not noises(got)


@settings(max_examples=150, deadline=None)
@given(st.lists(payloads_without(STX, ETX), max_size=6), st.lists(payloads_without(STX, min_size=0), max_size=7), cuts)
def test_etx_noise_between_frames_is_skipped_and_reported_once_per_run(payloads, noise_runs, cut_points):
    noise_runs = (noise_runs + [b""] * 7)[: len(payloads) + 1]
    stream = b""
    for noise, payload in zip(noise_runs, payloads, strict=False):
        stream += noise + encode_frame(payload, "etx")
    stream += noise_runs[len(payloads)]
    got = feed_split(DelimitedFramer(ETX, STX, restart_on_start=True), stream, cut_points)
    assert frames(got) == payloads
    # each non-empty run reported exactly once, whole, in order
    assert [n.data for n in noises(got)] == [n for n in noise_runs if n]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=300), max_size=5), st.sampled_from([1, 2, 4]), cuts)
def test_length_prefixed_frames_carry_any_bytes(payloads, width, cut_points):
    payloads = [p[: (1 << (8 * width)) - 1] for p in payloads]
    stream = b"".join(encode_frame(p, "length", start=STX, length_bytes=width) for p in payloads)
    got = feed_split(LengthFramer(start=STX, length_bytes=width, max_length=70_000), stream, cut_points)
    assert frames(got) == payloads


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=40), max_size=5), st.lists(payloads_without(STX), max_size=6), cuts)
def test_length_frames_with_end_marker_resync_after_noise(payloads, noise_runs, cut_points):
    noise_runs = (noise_runs + [b""] * 6)[: len(payloads)]
    params = {"start": STX, "length_bytes": 4, "length_format": "ascii", "end": ETX}
    stream = b"".join(n + encode_frame(p, "length", **params) for n, p in zip(noise_runs, payloads, strict=False))
    got = feed_split(LengthFramer(max_length=100, **params), stream, cut_points)
    assert frames(got) == payloads
    assert b"".join(n.data for n in noises(got)) == b"".join(noise_runs)


def test_qr_payload_with_crlf_survives_etx_and_length_framing():
    qr = b"]Q1ECD:ECD-1\r\nline two\r\nline three"
    etx = DelimitedFramer(ETX, STX, restart_on_start=True)
    assert frames(etx.feed(encode_frame(qr, "etx"))) == [qr]
    length = LengthFramer(start=STX, length_bytes=2)
    assert frames(length.feed(encode_frame(qr, "length", start=STX, length_bytes=2))) == [qr]
    # the same payload under CR LF suffix framing is (correctly) cut into lines: that mode cannot carry it
    assert len(frames(DelimitedFramer(b"\r\n").feed(qr + b"\r\n"))) == 3


def test_etx_restart_abandons_partial_frame_as_noise():
    f = DelimitedFramer(ETX, STX, restart_on_start=True)
    got = f.feed(STX + b"half" + STX + b"whole" + ETX)
    assert frames(got) == [b"whole"]
    assert [n.data for n in noises(got)] == [STX + b"half"]


def test_overlong_frame_is_dropped_until_its_end_and_reported_once():
    f = DelimitedFramer(b"\n", max_length=16)
    got = []
    for _ in range(10):
        got += f.feed(b"x" * 10)
    got += f.feed(b"tail\nok\n")
    assert frames(got) == [b"ok"]
    assert len(noises(got)) == 1 and noises(got)[0].data.startswith(b"x")


def test_suffix_with_prefix_treats_bytes_before_prefix_as_noise():
    f = DelimitedFramer(b"\r", b"\x1b[")
    got = f.feed(b"\x00\xff\x1b[ABC\r junk \x1b[DEF\r") + f.tick(1)
    assert frames(got) == [b"ABC", b"DEF"]
    assert [n.data for n in noises(got)] == [b"\x00\xff", b" junk "]


def test_length_bad_header_without_start_marker_drops_one_byte():
    f = LengthFramer(start=b"", length_bytes=1, max_length=5)
    got = f.feed(b"\xf0" + b"\x03abc")
    assert frames(got) == [b"abc"]
    assert [n.data for n in noises(got)] == [b"\xf0"]


def test_ascii_length_field_rejects_non_digits():
    f = LengthFramer(start=STX, length_bytes=3, length_format="ascii")
    got = f.feed(STX + b"x12" + STX + b"003abc")
    assert frames(got) == [b"abc"]


def test_noise_at_end_of_stream_is_reported_when_the_line_goes_quiet():
    f = DelimitedFramer(ETX, STX, restart_on_start=True)
    assert f.feed(b"garbage") == []
    assert f.feed(b" more") == []
    assert f.tick(1.0) == [Noise(b"garbage more", "outside a frame")]
    assert f.tick(2.0) == []


def test_reset_drops_only_the_partial_frame():
    f = DelimitedFramer(b"\r\n")
    assert frames(f.feed(b"one\r\ntw")) == [b"one"]
    assert f.pending == 2
    assert f.reset() == b"tw"
    assert frames(f.feed(b"three\r\n")) == [b"three"]


def test_idle_framer_ends_a_frame_on_a_quiet_line():
    f = IdleFramer(gap=0.05)
    assert f.feed(b"AB", 0.00) == []
    assert f.feed(b"CD", 0.01) == []
    assert f.tick(0.03) == []
    assert frames(f.tick(0.07)) == [b"ABCD"]
    # a new burst after a gap starts a new frame even without a tick in between
    f.feed(b"EF", 1.0)
    assert frames(f.feed(b"GH", 2.0)) == [b"EF"]


@pytest.mark.parametrize("mode", ["suffix", "etx", "length", "idle"])
def test_encode_frame_round_trips_through_the_configured_framer(mode):
    from devices.config import FramingSpec

    spec = FramingSpec(mode=mode)
    framer = spec.build()
    wire = encode_frame(b"]C0HELLO", mode, **spec.params())
    assert frames(framer.feed(wire, 0.0) + framer.tick(10.0)) == [b"]C0HELLO"]
