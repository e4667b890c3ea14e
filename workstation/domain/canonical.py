"""Canonical JSON and its SHA-256: the one encoding hashed by the audit chain and issued documents.
Keys sorted, no insignificant whitespace, UTF-8, Decimals as strings, dates ISO. Floats are refused:
money is never float, and float text is not stable across platforms."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from decimal import Decimal
from enum import Enum
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise TypeError("naive datetime in canonical JSON; store UTC-aware datetimes")
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if hasattr(value, "model_dump"):  # pydantic model
        return value.model_dump(mode="json")
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot encode {type(value).__name__} in canonical JSON")


def _check_no_float(value: Any, path: str = "$") -> None:
    if isinstance(value, float):
        raise TypeError(f"float at {path} in canonical JSON")
    if isinstance(value, dict):
        for k, v in value.items():
            _check_no_float(v, f"{path}.{k}")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _check_no_float(v, f"{path}[{i}]")


def canonical_json(value: Any) -> str:
    _check_no_float(value)
    return json.dumps(value, default=_default, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_bytes(value: Any) -> bytes:
    return canonical_json(value).encode("utf-8")


def sha256_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def content_hash(value: Any) -> str:
    return sha256_hex(canonical_bytes(value))
