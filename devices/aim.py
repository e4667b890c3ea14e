"""AIM symbology identifiers (ISO/IEC 15424) on framed barcode bytes.

The table and the text parser live in `workstation.domain.scan` (text typed by a keyboard-wedge scanner or
given to `workstation scan decode` carries the prefix too); this module applies them to raw frame bytes.
"""

from __future__ import annotations

from workstation.domain.scan import AIM_SYMBOLOGIES, AimError, AimId, parse_aim

__all__ = ["AIM_SYMBOLOGIES", "AimError", "AimId", "parse_aim", "split_aim_bytes"]


def split_aim_bytes(payload: bytes) -> tuple[AimId | None, bytes]:
    """(AIM id, rest) when the frame starts with ']'; raises AimError for a ']' that is not a valid identifier.
    Without a leading ']' returns (None, payload)."""
    if not payload.startswith(b"]"):
        return None, payload
    if len(payload) < 3:
        raise AimError("frame too short for an AIM identifier")
    try:
        prefix = payload[:3].decode("ascii")
    except UnicodeDecodeError:
        raise AimError("AIM identifier is not ASCII") from None
    return parse_aim(prefix), payload[3:]
