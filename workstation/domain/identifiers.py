"""Check digits of identifiers read at counters and gates (DOMAIN.md "Devices")."""

from __future__ import annotations

import re

_CONTAINER_RE = re.compile(r"^[A-Z]{3}[UJZ][0-9]{6}[0-9]$")


def _iso6346_letter_values() -> dict[str, int]:
    # A=10, then skip multiples of 11 (11, 22, 33): B=12 ... Z=38.
    values: dict[str, int] = {}
    n = 10
    for ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        if n % 11 == 0:
            n += 1
        values[ch] = n
        n += 1
    return values


_ISO6346 = _iso6346_letter_values()


def iso6346_check_digit(first10: str) -> int:
    """Check digit for owner code + category + serial (10 chars)."""
    if len(first10) != 10:
        raise ValueError("ISO 6346 check digit needs 10 characters")
    total = 0
    for i, ch in enumerate(first10):
        v = _ISO6346[ch] if ch.isalpha() else int(ch)
        total += v * (2**i)
    return (total % 11) % 10


def container_number_valid(number: str) -> bool:
    number = number.strip().upper()
    if not _CONTAINER_RE.match(number):
        return False
    return iso6346_check_digit(number[:10]) == int(number[10])


def mrz_char_value(ch: str) -> int:
    if ch.isdigit():
        return int(ch)
    if "A" <= ch <= "Z":
        return ord(ch) - ord("A") + 10
    if ch == "<":
        return 0
    raise ValueError(f"invalid MRZ character {ch!r}")


def mrz_check_digit(field: str) -> int:
    """ICAO 9303: weights 7,3,1 repeating, sum mod 10."""
    weights = (7, 3, 1)
    return sum(mrz_char_value(c) * weights[i % 3] for i, c in enumerate(field)) % 10


_MARKING_SEPARATORS = re.compile(r"[\s\-./()\[\]|]+")


def container_marking(value: object) -> str:
    """A container number as painted on the box or typed from it, made compact: white space, hyphens, dots,
    slashes and the box drawn round the check digit dropped, upper-cased ('tolu 473478 7', 'TOLU 473478-7',
    'TOLU 473478 [7]' → 'TOLU4734787'). ISO 6346 marks the owner code + category, the serial and the check
    digit as separate groups, the check digit often boxed. The one normaliser of container numbers: plp/1 and
    TPS Online requests (workstation/formats/tpsonline.py) and `container_number` (PIB inspection, the TPS
    registry) use it. Nothing is checked here: `container_number` checks the digit; a rule may refuse the
    number with its own code (PLP: INVALID_CONTAINER_NUMBER)."""
    return _MARKING_SEPARATORS.sub("", str(value or "")).upper()
