"""The office's Ed25519 signing key. The private key lives in a file on the issuing machine (mode 0600, never in
the database or its dump); the database keeps only the public key (base64) per office so that any workstation
can verify. What is signed: the document number and the SHA-256 of its canonical content, with a domain tag
so that a signature can never be replayed as something else."""

from __future__ import annotations

import base64
import binascii
import os
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from workstation.errors import InputError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

# cryptography is imported inside the functions that sign or verify: its Rust library costs a process ~9 MB,
# and a logged-in session needs only the key's seed for the audit chain's MAC (load_private_seed; issue #15).

_SIG_DOMAIN = b"WSD1-SIG"
_HASH_RE = re.compile(r"^[0-9a-f]{64}$")
_B64URL_RE = re.compile(r"^[A-Za-z0-9_-]+$")


def _message(number: str, content_hash: str) -> bytes:
    if not _HASH_RE.match(content_hash):
        raise InputError("content hash must be 64 lowercase hex digits", field="content_hash")
    if not number or "\n" in number:
        raise InputError("document number must be one non-empty line", field="number")
    return b"\n".join((_SIG_DOMAIN, number.encode("utf-8"), content_hash.encode("ascii")))


def generate_key(path: str | Path) -> Ed25519PrivateKey:
    """Create a new office key at `path` (PKCS#8 PEM, mode 0600). Refuses to overwrite an existing file:
    losing the old key would make every document it signed unverifiable against a new public key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = Path(path)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InputError("key file already exists; refusing to overwrite it", field=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot create key file: {exc.strerror}", field=str(path)) from None
    try:
        os.fchmod(fd, 0o600)  # os.open's mode passes through the umask; make it exactly 0600
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    return key


def _read_key_file(path: Path) -> bytes:
    """The key file's bytes; InputError when missing, unreadable or readable by others."""
    try:
        st = path.stat()
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("key file not found (generate it at set-up)", field=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read key file: {exc.strerror}", field=str(path)) from None
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        # Same stance as ssh: a signing key readable by others is not trusted.
        raise InputError(f"key file permissions {stat.S_IMODE(st.st_mode):04o} are too open; use 0600", field=str(path))
    return data


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = Path(path)
    data = _read_key_file(path)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise InputError("not an unencrypted PEM private key", field=str(path)) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError("key is not an Ed25519 key", field=str(path))
    return key


# What generate_key writes: PKCS#8 v1 of an Ed25519 key without attributes, whose DER RFC 8410 fixes to these
# 16 bytes followed by the 32-byte seed.
_PKCS8_ED25519 = bytes.fromhex("302e020100300506032b657004220420")
_PEM_BEGIN, _PEM_END = b"-----BEGIN PRIVATE KEY-----", b"-----END PRIVATE KEY-----"


def load_private_seed(path: str | Path) -> bytes:
    """The key file's 32-byte Ed25519 seed (its raw private bytes), for secrets derived from the key. The file
    is checked as load_private_key checks it (InputError); a key in the form generate_key writes is read
    without cryptography, any other form through load_private_key."""
    path = Path(path)
    lines = _read_key_file(path).strip().splitlines()
    if len(lines) >= 3 and lines[0].strip() == _PEM_BEGIN and lines[-1].strip() == _PEM_END:
        try:
            der = base64.b64decode(b"".join(line.strip() for line in lines[1:-1]), validate=True)
        except (binascii.Error, ValueError):
            der = b""
        if len(der) == len(_PKCS8_ED25519) + 32 and der.startswith(_PKCS8_ED25519):
            return der[len(_PKCS8_ED25519):]
    from cryptography.hazmat.primitives import serialization

    return load_private_key(path).private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                                serialization.NoEncryption())


def public_key_b64(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The raw 32-byte public key in standard base64: what the database stores per office."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def load_public_key(value: str | Ed25519PublicKey) -> Ed25519PublicKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if isinstance(value, Ed25519PublicKey):
        return value
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise InputError("public key is not base64", field="public_key") from None
    if len(raw) != 32:
        raise InputError("public key must be 32 bytes", field="public_key")
    return Ed25519PublicKey.from_public_bytes(raw)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    if not _B64URL_RE.match(text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(private_key: Ed25519PrivateKey, number: str, content_hash: str) -> str:
    """Signature over number + content hash, base64url without padding (86 characters)."""
    return _b64url(private_key.sign(_message(number, content_hash)))


def verify_signature(
    public_key: str | Ed25519PublicKey, number: str, content_hash: str, signature: str
) -> bool:
    """True only for a well-formed signature by this key over exactly this number and hash."""
    from cryptography.exceptions import InvalidSignature

    try:
        key = load_public_key(public_key)
        sig = _b64url_decode(signature)
        message = _message(number, content_hash)
    except (InputError, ValueError, binascii.Error):
        return False
    if len(sig) != 64:
        return False
    try:
        key.verify(sig, message)
    except InvalidSignature:
        return False
    return True
