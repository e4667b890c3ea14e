"""QR Code (ISO/IEC 18004) matrix for the verification payload, built for speed.

Why not just `qrcode.QRCode(...).make()`: with its bit-at-a-time buffer and polynomial objects it costs
~7 ms per ~200-byte payload, about a fifth of a two-page document's render time. This encoder does only
what the payload needs: byte mode, error-correction level M, the smallest version that fits, one fixed
mask (4). It takes the standard's tables (RS block structure, alignment positions, BCH format/version
words) from the qrcode package, and tests/printing/test_qr.py checks that its matrices equal qrcode's for
the same mode, level and mask.

The mask is fixed rather than searched: searching is most of qrcode's time, every decoder reads any mask,
and the payload (a hash and a signature) is close to random already, which is what masking is for."""

from __future__ import annotations

import functools

from qrcode.base import rs_blocks
from qrcode.constants import ERROR_CORRECT_M
from qrcode.util import BCH_type_info, BCH_type_number, pattern_position

MASK = 4

# GF(256) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1.
_EXP = [0] * 512
_LOG = [0] * 256
_x = 1
for _i in range(255):
    _EXP[_i] = _x
    _LOG[_x] = _i
    _x <<= 1
    if _x & 0x100:
        _x ^= 0x11D
for _i in range(255, 512):
    _EXP[_i] = _EXP[_i - 255]


@functools.cache
def _generator_logs(degree: int) -> tuple[int, ...]:
    """Logs of the coefficients (after the leading 1) of prod (x - a^i), i < degree."""
    poly = [1]
    for i in range(degree):
        nxt = [0] * (len(poly) + 1)
        for j, c in enumerate(poly):
            nxt[j] ^= c
            if c:
                nxt[j + 1] ^= _EXP[_LOG[c] + i]
        poly = nxt
    return tuple(_LOG[c] for c in poly[1:])


@functools.cache
def _rs_table(degree: int) -> tuple[int, ...]:
    """For each byte f, the generator's coefficients times f, packed big-endian into one int."""
    gen = _generator_logs(degree)
    table = [0] * 256
    for f in range(1, 256):
        lf = _LOG[f]
        table[f] = int.from_bytes(bytes(_EXP[lf + g] for g in gen), "big")
    return tuple(table)


def _ec_codewords(data: bytes, degree: int) -> bytes:
    """Reed-Solomon remainder of data * x^degree by the generator: the LFSR with the register as one int."""
    table = _rs_table(degree)
    shift = 8 * (degree - 1)
    mask = (1 << (8 * degree)) - 1
    rem = 0
    for byte in data:
        rem = ((rem << 8) & mask) ^ table[byte ^ (rem >> shift)]
    return rem.to_bytes(degree, "big")


def _at_finder(r: int, c: int, n: int) -> bool:
    return (r < 9 and c < 9) or (r < 9 and c > n - 10) or (r > n - 10 and c < 9)


@functools.cache
def _layout(version: int) -> tuple[tuple[int, int], ...]:
    """Data module positions of a version in placement order (function patterns excluded)."""
    n = 17 + 4 * version
    reserved = [bytearray(n) for _ in range(n)]

    def block(r0: int, c0: int, h: int, w: int) -> None:
        for r in range(max(r0, 0), min(r0 + h, n)):
            for c in range(max(c0, 0), min(c0 + w, n)):
                reserved[r][c] = 1

    # Finder patterns with separators and format areas.
    block(0, 0, 9, 9)
    block(0, n - 8, 9, 8)
    block(n - 8, 0, 8, 9)
    # Timing patterns.
    block(6, 0, 1, n)
    block(0, 6, n, 1)
    # Alignment patterns (also where they cross the timing patterns), except at the three finder corners.
    for r in pattern_position(version):
        for c in pattern_position(version):
            if not _at_finder(r, c, n):
                block(r - 2, c - 2, 5, 5)
    # Version information.
    if version >= 7:
        block(0, n - 11, 6, 3)
        block(n - 11, 0, 3, 6)

    order: list[tuple[int, int]] = []
    upward = True
    col = n - 1
    while col > 0:
        if col == 6:  # the vertical timing pattern takes a whole column
            col -= 1
        rows = range(n - 1, -1, -1) if upward else range(n)
        for r in rows:
            for c in (col, col - 1):
                if not reserved[r][c]:
                    order.append((r, c))
        upward = not upward
        col -= 2
    return tuple(order)


def _version_for(length: int) -> int:
    for version in range(1, 41):
        count_bits = 8 if version < 10 else 16
        capacity = sum(b.data_count for b in rs_blocks(version, ERROR_CORRECT_M)) * 8
        if 4 + count_bits + 8 * length <= capacity:
            return version
    raise ValueError("payload too long for a QR code")


def _codewords(data: bytes, version: int) -> bytes:
    blocks = rs_blocks(version, ERROR_CORRECT_M)
    capacity = sum(b.data_count for b in blocks)
    count_bits = 8 if version < 10 else 16
    nbits = 4 + count_bits + 8 * len(data)
    stream = (((0b0100 << count_bits) | len(data)) << (8 * len(data))) | int.from_bytes(data, "big")
    terminator = min(4, capacity * 8 - nbits)
    stream <<= terminator
    nbits += terminator
    pad = -nbits % 8
    stream <<= pad
    nbits += pad
    body = stream.to_bytes(nbits // 8, "big")
    fill = capacity - len(body)
    body += (b"\xec\x11" * (fill // 2 + 1))[:fill]

    data_blocks: list[bytes] = []
    ec_blocks: list[bytes] = []
    pos = 0
    for b in blocks:
        chunk = body[pos : pos + b.data_count]
        pos += b.data_count
        data_blocks.append(chunk)
        ec_blocks.append(_ec_codewords(chunk, b.total_count - b.data_count))
    out = bytearray()
    for i in range(max(len(d) for d in data_blocks)):
        out.extend(d[i] for d in data_blocks if i < len(d))
    for i in range(max(len(e) for e in ec_blocks)):
        out.extend(e[i] for e in ec_blocks if i < len(e))
    return bytes(out)


@functools.cache
def _template(version: int) -> tuple[bytes, ...]:
    """Finder, timing and alignment patterns of a version (the rest light), built once per version."""
    n = 17 + 4 * version
    m = [bytearray(n) for _ in range(n)]

    def finder(r0: int, c0: int) -> None:
        for r in range(7):
            for c in range(7):
                m[r0 + r][c0 + c] = int(r in (0, 6) or c in (0, 6) or (2 <= r <= 4 and 2 <= c <= 4))

    finder(0, 0)
    finder(0, n - 7)
    finder(n - 7, 0)
    for i in range(8, n - 8):
        m[6][i] = m[i][6] = int(i % 2 == 0)
    positions = pattern_position(version)
    for r in positions:
        for c in positions:
            if _at_finder(r, c, n):
                continue
            for dr in range(-2, 3):
                for dc in range(-2, 3):
                    m[r + dr][c + dc] = int(max(abs(dr), abs(dc)) != 1)
    return tuple(bytes(row) for row in m)


@functools.cache
def _masked_layout(version: int) -> tuple[tuple[int, int, str], ...]:
    """Placement order with each module's mask bit as the character that flips it: mask 4 darkens
    (row // 2 + col // 3) % 2 == 0."""
    return tuple((r, c, "1" if (r // 2 + c // 3) % 2 == 0 else "0") for r, c in _layout(version))


def qr_matrix(payload: str | bytes) -> list[bytearray]:
    """Module matrix (rows from the top, 1 = dark), without the quiet zone."""
    data = payload.encode("utf-8") if isinstance(payload, str) else payload
    version = _version_for(len(data))
    n = 17 + 4 * version
    m = [bytearray(row) for row in _template(version)]

    codewords = _codewords(data, version)
    # Data bits then the 0-7 light remainder bits; each XOR its mask bit.
    layout = _masked_layout(version)
    bits = format(int.from_bytes(codewords, "big"), f"0{len(codewords) * 8}b").ljust(len(layout), "0")
    for (r, c, mask), bit in zip(layout, bits, strict=True):
        m[r][c] = bit != mask

    # Format information (level M = 00, mask), both copies, and the dark module.
    fmt = BCH_type_info((ERROR_CORRECT_M << 3) | MASK)
    for i in range(15):
        bit = (fmt >> i) & 1
        if i < 6:
            m[i][8] = bit
        elif i < 8:
            m[i + 1][8] = bit
        else:
            m[n - 15 + i][8] = bit
        if i < 8:
            m[8][n - i - 1] = bit
        elif i < 9:
            m[8][15 - i] = bit
        else:
            m[8][14 - i] = bit
    m[n - 8][8] = 1
    if version >= 7:
        ver = BCH_type_number(version)
        for i in range(18):
            bit = (ver >> i) & 1
            m[i // 3][i % 3 + n - 11] = bit
            m[i % 3 + n - 11][i // 3] = bit
    return m
