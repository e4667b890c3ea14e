"""What travels between a field unit and central, and how it is signed.

Requests: each request of an enrolled unit carries `X-WS-Unit`, `X-WS-Time` (Unix seconds) and `X-WS-Signature`:
Ed25519 (RFC 8032) of `request_message(...)` with the key the unit registered at enrolment. The server refuses a
time more than MAX_SKEW_S from its own clock; pushes are idempotent (change ids), so a replay inside that window
changes nothing. Transport security is TLS (uvicorn with --tls-cert/--tls-key); the signature authenticates the
unit even behind a TLS-terminating proxy.

Bundles (files carried on a USB stick): canonical JSON of
`{"format": "ws-sync-bundle/1", "bundle_id", "kind": "unit"|"central", "unit", "epoch", "created_at", "payload"}`
plus `"signature"` over the canonical JSON without it: a unit's bundle signed with its key, central's with the
office key the unit received at enrolment.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workstation.domain.canonical import canonical_json

if TYPE_CHECKING:  # cryptography (~8 MB a process) is imported where a key is used: not by the status bar's figures
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

DOMAIN = b"WS-SYNC-1"
BUNDLE_FORMAT = "ws-sync-bundle/1"
MAX_SKEW_S = 300
MAX_BODY_BYTES = 64 * 1024 * 1024


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_b64(key: Ed25519PrivateKey) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def request_message(method: str, target: str, timestamp: str, unit: str, body: bytes) -> bytes:
    return b"\n".join((DOMAIN, method.upper().encode(), target.encode("utf-8"), timestamp.encode(),
                       unit.encode("utf-8"), hashlib.sha256(body).hexdigest().encode()))


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    return b64url(key.sign(message))


def verify(public_key_b64: str, message: bytes, signature: str) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64, validate=True)).verify(
            unb64url(signature), message)
    except (InvalidSignature, ValueError, binascii.Error, TypeError):
        return False
    return True


def _no_float(text: str) -> Any:
    raise ValueError(f"a number with a fraction ({text[:20]}): rows carry decimals as text")


def parse_json(data: bytes | str, source: str) -> dict[str, Any]:
    """A request body or bundle: a JSON object, exactly as sent (text is not normalised: rows travel whole),
    no floats. Raises InputError INVALID_JSON naming `source`."""
    from workstation.domain.errors import ErrorCode
    from workstation.errors import InputError

    try:
        value = json.loads(data, parse_float=_no_float)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InputError(code=ErrorCode.INVALID_JSON, field=source,
                         params={"reason": str(exc)[:200] or "not JSON"}) from None
    if not isinstance(value, dict):
        raise InputError(code=ErrorCode.INVALID_JSON, field=source, params={"reason": "not a JSON object"})
    return value


def gunzip_bounded(data: bytes, limit: int) -> bytes:
    """A gzip request body, decompressed to at most `limit` bytes (a small body must not expand without end).
    Raises InputError FILE_TOO_LARGE / INVALID_JSON (not gzip)."""
    import zlib

    from workstation.domain.errors import ErrorCode
    from workstation.errors import InputError

    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error:
        raise InputError(code=ErrorCode.INVALID_JSON, field="body", params={"reason": "not gzip"}) from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise InputError(code=ErrorCode.FILE_TOO_LARGE, field="body", params={"limit": f"{limit // 2**20} MB"})
    return out


def bundle_message(bundle: dict[str, Any]) -> bytes:
    return canonical_json({k: v for k, v in bundle.items() if k != "signature"}).encode("utf-8")


# -- the unit's key file ------------------------------------------------------------------------------------
def key_path(data_dir: Path, unit: str) -> Path:
    return Path(data_dir) / "keys" / f"sync-unit-{unit}.key"


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The unit's Ed25519 key (PEM, PKCS#8), created 0600 on first use."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 key")
        return key
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
        f.flush()
        os.fsync(f.fileno())
    return key


def split_token(token: str) -> tuple[str, str]:
    """An enrolment token is `CODE.SECRET` (`workstation unit add` prints it): the unit learns its code from it."""
    code, sep, secret = token.strip().partition(".")
    if not sep or not code or not secret:
        raise ValueError("an enrolment token looks like CODE.SECRET")
    return code.upper(), secret
