"""printing.qr against the qrcode package (a reference encoder): the same data in byte mode, level M and
mask 4 must give the same matrix, module for module."""

from __future__ import annotations

import pytest
import qrcode
from hypothesis import given, settings
from hypothesis import strategies as st
from qrcode.constants import ERROR_CORRECT_M
from qrcode.util import MODE_8BIT_BYTE, QRData

from printing.qr import MASK, qr_matrix


def reference(data: bytes) -> list[list[int]]:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, mask_pattern=MASK)
    qr.add_data(QRData(data, mode=MODE_8BIT_BYTE))
    qr.make(fit=True)
    return [[int(bool(x)) for x in row] for row in qr.modules]


def as_lists(matrix) -> list[list[int]]:
    return [list(row) for row in matrix]


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=1, max_size=320))
def test_matches_reference_encoder(data):
    assert as_lists(qr_matrix(data)) == reference(data)


@pytest.mark.parametrize("length", [1, 14, 15, 122, 180, 213, 651, 2331])
def test_version_boundaries_and_largest(length):
    # 14/15: versions 1/2 at level M; 180/213: the sizes a payload has; 2331: version 40.
    data = bytes((i * 37 + 11) % 256 for i in range(length))
    matrix = qr_matrix(data)
    assert as_lists(matrix) == reference(data)


def test_typical_payload_size(sppb):
    matrix = qr_matrix(sppb.sealed.payload)
    assert len(matrix) in (53, 57, 61)  # version 9-11 for ~200 characters at level M
    assert as_lists(matrix) == reference(sppb.sealed.payload.encode())


def test_too_long():
    with pytest.raises(ValueError, match="too long"):
        qr_matrix(b"x" * 2332)
