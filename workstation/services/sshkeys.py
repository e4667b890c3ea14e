"""SSH public keys of users (issue #15 item 6) and the SSH server's look-ups.

`workstation serve-ssh` accepts a connection only with a key registered here for a workstation user and not
revoked; the key is the first factor, the in-app password (services.auth.login) the second. Keys are added and
removed by an administrator (`workstation user key add|list|remove`), every change audited; a removed key is
kept, marked revoked, so that the fingerprints in the audit log still name a row.

Key format: the OpenSSH one-line public key form (`<algorithm> <base64 blob> [comment]`, as in `id_ed25519.pub`
or an `authorized_keys` line without options). Fingerprint: OpenSSH's `SHA256:` + unpadded base64 of the
SHA-256 of the blob (RFC 4253 §6.6 public key encoding), as `ssh-keygen -lf` prints it."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import struct
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import audit
from db.audit import AuditActor
from db.models import User, UserSession
from db.models_ssh import UserSshKey
from workstation.domain.codes import Role
from workstation.domain.errors import ErrorCode
from workstation.errors import InputError, NotFound, Refusal
from workstation.services.base import Actor, ServiceContext, require_role

# Key types accepted (DSA is refused: OpenSSH dropped it; RSA needs >= 2048 bits). The security-key (FIDO)
# types work with serve-ssh too (asyncssh verifies them).
ALGORITHMS = ("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa",
              "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com")
MIN_RSA_BITS = 2048
MAX_KEY_LINE = 16 * 1024  # an RSA-16384 key line is ~2.8 KB


@dataclass(frozen=True)
class PublicKey:
    """One parsed key line. `public_key`: "<algorithm> <base64>" without the comment."""

    algorithm: str
    blob: bytes
    comment: str

    @property
    def public_key(self) -> str:
        return f"{self.algorithm} {base64.b64encode(self.blob).decode('ascii')}"

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.blob)


@dataclass(frozen=True)
class SshKeyInfo:
    id: uuid.UUID
    login: str
    algorithm: str
    fingerprint: str
    comment: str
    added_at: dt.datetime
    added_by: str
    revoked_at: dt.datetime | None


def fingerprint(blob: bytes) -> str:
    """OpenSSH's SHA-256 fingerprint of a public key blob: "SHA256:" + base64 without padding (43 chars)."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii").rstrip("=")


def _bad(reason: str) -> InputError:
    return InputError(code=ErrorCode.SSH_KEY_FORMAT, field="key", params={"reason": reason})


def _ssh_string(blob: bytes, offset: int) -> tuple[bytes, int]:
    if offset + 4 > len(blob):
        raise _bad("truncated key data")
    (n,) = struct.unpack(">I", blob[offset:offset + 4])
    end = offset + 4 + n
    if end > len(blob):
        raise _bad("truncated key data")
    return blob[offset + 4:end], end


def parse_public_key(text: str) -> PublicKey:
    """Parse one OpenSSH public key line (the first non-blank, non-comment line of `text`).
    Raises InputError SSH_KEY_FORMAT (field "key", parameter `reason`) when it is not a key of ALGORITHMS, its
    blob does not decode or name the same algorithm, an RSA key is shorter than MIN_RSA_BITS, or the line is a
    private key or an authorized_keys line with options."""
    if len(text) > MAX_KEY_LINE:
        raise _bad(f"longer than {MAX_KEY_LINE} characters")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    if not lines:
        raise _bad("empty")
    if "PRIVATE KEY" in lines[0]:
        raise _bad("this is a private key; give the .pub file")
    parts = lines[0].split(None, 2)
    if len(parts) < 2:
        raise _bad("expected '<type> <base64> [comment]'")
    algorithm, data = parts[0], parts[1]
    comment = parts[2].strip() if len(parts) > 2 else ""
    if algorithm not in ALGORITHMS:
        if algorithm == "ssh-dss":
            raise _bad("DSA keys are not accepted")
        raise _bad(f"unsupported key type (one of {', '.join(ALGORITHMS)}; no options before the type)")
    try:
        blob = base64.b64decode(data.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise _bad("the key data is not base64") from None
    name, offset = _ssh_string(blob, 0)
    if name != algorithm.encode("ascii"):
        raise _bad("the key data names another type")
    if algorithm == "ssh-rsa":
        _e, offset = _ssh_string(blob, offset)
        n, offset = _ssh_string(blob, offset)
        bits = int.from_bytes(n, "big").bit_length()
        if bits < MIN_RSA_BITS:
            raise _bad(f"RSA key of {bits} bits; at least {MIN_RSA_BITS}")
    elif algorithm == "ssh-ed25519":
        key, offset = _ssh_string(blob, offset)
        if len(key) != 32:
            raise _bad("an Ed25519 key has 32 bytes")
    if not all(ch.isprintable() for ch in comment):
        comment = "".join(ch if ch.isprintable() else "?" for ch in comment)
    return PublicKey(algorithm, blob, comment[:200])


def _info(k: UserSshKey, login: str) -> SshKeyInfo:
    return SshKeyInfo(k.id, login, k.algorithm, k.fingerprint, k.comment, k.added_at, k.added_by, k.revoked_at)


@dataclass(frozen=True)
class KeyOwner:
    """Who a key offered at SSH login belongs to (serve-ssh's look-up)."""

    user_id: uuid.UUID
    login: str
    fingerprint: str
    active: bool
    locked: bool


class SshKeyService:
    """Keys of users. Built from the process's ServiceContext: `SshKeyService(services.ctx)`."""

    def __init__(self, ctx: ServiceContext):
        self.ctx = ctx

    def _user(self, s: Session, login: str) -> User:
        user: User | None = s.scalar(select(User).where(User.login == login))
        if user is None:
            raise NotFound(f"no user {login!r}", code=ErrorCode.UNKNOWN_USER, field="login", params={"value": login})
        return user

    # -- administration ------------------------------------------------------------------------------------
    def add_key(self, actor: Actor, login: str, key_text: str) -> SshKeyInfo:
        """Register a public key for `login` (admin). Raises InputError SSH_KEY_FORMAT, NotFound UNKNOWN_USER,
        Refusal SSH_KEY_IN_USE when the fingerprint is already registered (even revoked: a removed key is not
        given back). Audited `user.ssh_key_add` with the fingerprint."""
        require_role(actor, Role.ADMIN, action="add SSH keys")
        key = parse_public_key(key_text)
        with self.ctx.db.write() as s:
            user = self._user(s, login)
            if s.scalar(select(UserSshKey.id).where(UserSshKey.fingerprint == key.fingerprint)) is not None:
                raise Refusal(f"key {key.fingerprint} is already registered", code=ErrorCode.SSH_KEY_IN_USE,
                              field="key", params={"fingerprint": key.fingerprint})
            row = UserSshKey(user_id=user.id, algorithm=key.algorithm, public_key=key.public_key,
                             fingerprint=key.fingerprint, comment=key.comment, added_at=self.ctx.now(),
                             added_by=actor.login[:32])
            s.add(row)
            s.flush()
            audit.append(s, actor.audit, "user.ssh_key_add", "user", user.id,
                         {"login": login, "fingerprint": key.fingerprint, "algorithm": key.algorithm,
                          "comment": key.comment}, now=self.ctx.now())
            return _info(row, login)

    def list_keys(self, actor: Actor, login: str, *, include_revoked: bool = True) -> list[SshKeyInfo]:
        """The keys of `login`, oldest first (admin or supervisor). NotFound UNKNOWN_USER."""
        require_role(actor, Role.ADMIN, Role.SUPERVISOR, action="list SSH keys")
        with self.ctx.db.read() as s:
            user = self._user(s, login)
            q = select(UserSshKey).where(UserSshKey.user_id == user.id)
            if not include_revoked:
                q = q.where(UserSshKey.revoked_at.is_(None))
            return [_info(k, login) for k in s.scalars(q.order_by(UserSshKey.added_at, UserSshKey.id))]

    def remove_key(self, actor: Actor, fingerprint_text: str) -> SshKeyInfo:
        """Revoke the key with this fingerprint (admin): serve-ssh refuses it from the next connection on
        (sessions already open go on until they end; end them from Supervision). NotFound UNKNOWN_SSH_KEY,
        Refusal SSH_KEY_REVOKED. Audited `user.ssh_key_remove`."""
        require_role(actor, Role.ADMIN, action="remove SSH keys")
        fp = fingerprint_text.strip()
        if not fp.startswith("SHA256:"):
            fp = "SHA256:" + fp
        with self.ctx.db.write() as s:
            row = s.scalar(select(UserSshKey).where(UserSshKey.fingerprint == fp))
            if row is None:
                raise NotFound(f"no SSH key {fp}", code=ErrorCode.UNKNOWN_SSH_KEY, field="fingerprint",
                               params={"value": fp})
            if row.revoked_at is not None:
                raise Refusal(f"key {fp} was already removed", code=ErrorCode.SSH_KEY_REVOKED,
                              field="fingerprint", params={"value": fp})
            row.revoked_at = self.ctx.now()
            login = s.scalar(select(User.login).where(User.id == row.user_id)) or "?"
            s.flush()
            audit.append(s, actor.audit, "user.ssh_key_remove", "user", row.user_id,
                         {"login": login, "fingerprint": fp}, now=self.ctx.now())
            return _info(row, login)

    # -- the SSH server ------------------------------------------------------------------------------------
    def key_owner(self, login: str, public_key: str) -> KeyOwner | None:
        """The owner of `public_key` ("<algorithm> <base64>") when it is registered, not revoked, and belongs
        to the user named `login` (the SSH user name); else None. An inactive or locked user is returned
        (marked): the app then shows the refusal after the key login."""
        try:
            key = parse_public_key(public_key)
        except InputError:
            return None
        with self.ctx.db.read() as s:
            row = s.execute(
                select(UserSshKey.public_key, User.id, User.login, User.active, User.locked_at)
                .join(User, User.id == UserSshKey.user_id)
                .where(UserSshKey.fingerprint == key.fingerprint, UserSshKey.revoked_at.is_(None))).first()
        if row is None or row.login != login or row.public_key != key.public_key:
            return None
        return KeyOwner(row.id, row.login, key.fingerprint, row.active, row.locked_at is not None)

    def has_keys(self, login: str) -> bool:
        """True when `login` has at least one key not revoked (serve-ssh then offers public-key auth)."""
        with self.ctx.db.read() as s:
            return s.scalar(select(UserSshKey.id).join(User, User.id == UserSshKey.user_id)
                            .where(User.login == login, UserSshKey.revoked_at.is_(None)).limit(1)) is not None

    def account_state(self, login: str) -> str:
        """"active", "inactive", "locked" or "unknown": what the login screen of an SSH session says before
        the password is asked."""
        with self.ctx.db.read() as s:
            row = s.execute(select(User.active, User.locked_at).where(User.login == login)).first()
        if row is None:
            return "unknown"
        if not row.active:
            return "inactive"
        return "locked" if row.locked_at is not None else "active"

    def _server(self, owner: KeyOwner) -> AuditActor:
        s = self.ctx.settings
        return AuditActor(owner.user_id, owner.login, None, s.office.code, s.unit_code)

    def connection_opened(self, owner: KeyOwner, peer: str) -> None:
        """Audit `ssh.connect`: the key login of `owner` from `peer` ("ip:port")."""
        with self.ctx.db.write() as s:
            audit.append(s, self._server(owner), "ssh.connect", "user", owner.user_id,
                         {"login": owner.login, "fingerprint": owner.fingerprint, "peer": peer[:80]},
                         now=self.ctx.now(), check=False)

    def connection_closed(self, owner: KeyOwner, peer: str, client: str, reason: str) -> int:
        """The SSH connection of `owner` from `peer` ended (`reason`: "disconnect", "exit", "limit", ...).
        Ends the workstation session rows still open whose client is `client` (the child normally ends its
        own on SIGHUP; this catches a child that was killed) with end reason "ssh_<reason>", each audited as
        `auth.logout`, and audits `ssh.disconnect`. Returns how many session rows it ended."""
        now = self.ctx.now()
        with self.ctx.db.write() as s:
            rows = list(s.scalars(select(UserSession).where(UserSession.user_id == owner.user_id,
                                                            UserSession.client == client,
                                                            UserSession.ended_at.is_(None))))
            for sess in rows:
                sess.ended_at = now
                sess.end_reason = f"ssh_{reason}"[:40]
                actor = AuditActor(owner.user_id, owner.login, sess.id, sess.office_code, sess.unit_code)
                audit.append(s, actor, "auth.logout", "session", sess.id, {"reason": sess.end_reason},
                             now=now, check=False)
            s.flush()
            audit.append(s, self._server(owner), "ssh.disconnect", "user", owner.user_id,
                         {"login": owner.login, "fingerprint": owner.fingerprint, "peer": peer[:80],
                          "reason": reason, "sessions_ended": len(rows)}, now=now, check=False)
        return len(rows)
