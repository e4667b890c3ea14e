"""Moved: the scan decoder is `workstation.domain.scan` (the device drivers need it, and devices may import the
domain but not the rules). This alias keeps the importers that have not moved yet working
(services/ecd, commands/scan.py, screens/gate.py); delete it once they import `workstation.domain.scan`."""

from __future__ import annotations

from workstation.domain.scan import (
    AIM_SYMBOLOGIES,
    MAX_ECD_JSON_BYTES,
    MAX_SCAN_TEXT,
    TD3_LINE,
    AimError,
    AimId,
    ScanDecode,
    decode_scan,
    encode_ecd_offline,
    inflate_ecd_payload,
    parse_aim,
    parse_ecd_json,
    split_aim,
    unusable_reason,
)

__all__ = [
    "AIM_SYMBOLOGIES",
    "MAX_ECD_JSON_BYTES",
    "MAX_SCAN_TEXT",
    "TD3_LINE",
    "AimError",
    "AimId",
    "ScanDecode",
    "decode_scan",
    "encode_ecd_offline",
    "inflate_ecd_payload",
    "parse_aim",
    "parse_ecd_json",
    "split_aim",
    "unusable_reason",
]
