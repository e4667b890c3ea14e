"""The audit hash chain. Appended inside the business transaction (under the write lock that
Database.write() holds), so an entry exists if and only if its change was committed.

row_hash = SHA-256( prev_hash | seq | ts | canonical JSON of the entry body )
row_mac  = HMAC-SHA256( office secret, row_hash ) — the secret is derived from the office's Ed25519 key, which
           lives in a file on the office machine and never in the database: a row appended by someone with
           database access only has a right hash but no right MAC.

Anchors (issue #11): the head (seq, row_hash) signed with the office key, on the first write of each business
day and on demand (`workstation audit anchor`, the sync). Anchors live in their own append-only table; `verify`
checks each against the chain, so a deleted tail, an emptied log or a log rewritten and re-hashed is found.
The database guards INSERT as well (seq = max + 1, prev_hash = the head: migration 0006).

Every append made for a user's session checks, in the same transaction, that the session is open, the user
active and not locked, and that the user still holds every role the actor claims (`check_actor`).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import hashlib
import hmac
import json
import logging
import uuid
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, Text, event, func, insert, select, type_coerce
from sqlalchemy.orm import Session

from db.models import AuditAnchor, AuditEntry, Office, User, UserRole, UserSession
from workstation.domain.canonical import canonical_json
from workstation.domain.errors import ErrorCode
from workstation.errors import AccountLocked, AuthenticationFailed, PermissionDenied

if TYPE_CHECKING:  # cryptography (~8 MB a process) is imported where a key is used, not by every session
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

log = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
ANCHOR_DOMAIN = b"WSA1-ANCHOR"
MAC_LABEL = b"WSA1-AUDIT-MAC"
# Built once: statement construction is most of the Python cost of an append.
_LAST = select(AuditEntry.seq, AuditEntry.row_hash).order_by(AuditEntry.seq.desc()).limit(1)
_INSERT = insert(AuditEntry)
_ACTOR_OK = "ws_audit_actor_ok"


def format_ts(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _body(e: AuditEntry, data: Any) -> dict[str, Any]:
    return {
        "action": e.action,
        "actor_id": str(e.actor_id) if e.actor_id else None,
        "actor_login": e.actor_login,
        "data": data,
        "entity_id": e.entity_id,
        "entity_type": e.entity_type,
        "office_code": e.office_code,
        "session_id": str(e.session_id) if e.session_id else None,
        "unit_code": e.unit_code,
    }


def compute_hash(prev_hash: str, seq: int, ts: dt.datetime, body: dict[str, Any]) -> str:
    material = f"{prev_hash}|{seq}|{format_ts(ts)}|{canonical_json(body)}"
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


# -- the office key, as the chain uses it --------------------------------------------------------------------
class ChainKey:
    """The office's Ed25519 key (from the key file) with what the chain derives from it.

    `key` is the private key or its 32-byte seed (printing.signing.load_private_seed). Every append needs only
    the MAC secret, derived from the seed with hashlib; the key object and its public half are made on first use
    (an anchor, a verification), so a session that only appends never loads cryptography (~9 MB; issue #15)."""

    def __init__(self, key: Ed25519PrivateKey | bytes, office_code: str, zone: ZoneInfo):
        if isinstance(key, bytes):
            if len(key) != 32:
                raise ValueError("an Ed25519 seed is 32 bytes")
            seed, self._private_key = key, None
        else:
            from cryptography.hazmat.primitives import serialization

            seed = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                     serialization.NoEncryption())
            self._private_key = key
        self._seed = seed
        self.office_code, self.zone = office_code, zone
        self.mac_secret = derive_secret(seed, MAC_LABEL)

    def __repr__(self) -> str:  # never the seed or the secret
        return f"ChainKey(office_code={self.office_code!r}, zone={self.zone!r})"

    @property
    def private_key(self) -> Ed25519PrivateKey:
        if self._private_key is None:
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

            self._private_key = Ed25519PrivateKey.from_private_bytes(self._seed)
        return self._private_key

    @functools.cached_property
    def public_b64(self) -> str:
        from cryptography.hazmat.primitives import serialization

        raw_pub = self.private_key.public_key().public_bytes(serialization.Encoding.Raw,
                                                             serialization.PublicFormat.Raw)
        return base64.b64encode(raw_pub).decode("ascii")

    def mac(self, row_hash: str) -> str:
        return hmac.new(self.mac_secret, row_hash.encode("ascii"), hashlib.sha256).hexdigest()


def derive_secret(key_material: bytes, label: bytes) -> bytes:
    """A 32-byte secret for one purpose (`label`) from the office key's bytes; one key, separate uses."""
    return hmac.new(key_material, label, hashlib.sha256).digest()


KeySource = Callable[[], ChainKey | None]
# Which key a database's writers use: registered by the service context (which knows the settings); keyed by
# engine, weakly, so nothing outlives its Database.
_SOURCES: weakref.WeakKeyDictionary[Engine, KeySource] = weakref.WeakKeyDictionary()
_ANCHORED_DAY: weakref.WeakKeyDictionary[Engine, dt.date] = weakref.WeakKeyDictionary()


def register_key_source(engine: Engine, source: KeySource) -> None:
    """`source()` returns the office key, or None where this machine has no key file (no MAC, no anchor)."""
    _SOURCES[engine] = source


def _engine(session: Session) -> Engine | None:
    bind = session.get_bind()
    base = getattr(bind, "_proxied", bind)  # Engine.execution_options() returns a proxy of the engine
    return base if isinstance(base, Engine) else None


def chain_key(session: Session) -> ChainKey | None:
    engine = _engine(session)
    source = _SOURCES.get(engine) if engine is not None else None
    return source() if source else None


# -- the acting user, checked against the database --------------------------------------------------------------
@dataclass(frozen=True)
class AuditActor:
    user_id: uuid.UUID | None
    login: str
    session_id: uuid.UUID | None
    office_code: str | None
    unit_code: str | None
    roles: frozenset[str] = frozenset()  # the roles the actor claims (checked against user_roles on write)


def check_actor(session: Session, actor: AuditActor) -> None:
    """Refuse unless the actor's session is open, its user active and not locked, and the user still holds
    every role the actor claims. Raises AuthenticationFailed SESSION_ENDED / INACTIVE, AccountLocked LOCKED,
    PermissionDenied ROLE_REVOKED. An actor without a session (the command line, the system) is not checked."""
    if actor.session_id is None:
        return
    # One round trip: the session, its user and how many of the claimed roles the user holds now.
    held_count = (select(func.count()).select_from(UserRole)
                  .where(UserRole.user_id == UserSession.user_id, UserRole.role_code.in_(sorted(actor.roles)))
                  .scalar_subquery())
    row = session.execute(
        select(UserSession.ended_at, UserSession.user_id, User.active, User.locked_at, held_count.label("held"))
        .join(User, User.id == UserSession.user_id).where(UserSession.id == actor.session_id)).first()
    if row is None or row.ended_at is not None or row.user_id != actor.user_id:
        raise AuthenticationFailed("this session was ended; log in again", code=ErrorCode.SESSION_ENDED)
    if not row.active:
        raise AuthenticationFailed("this account is disabled", code=ErrorCode.INACTIVE, params={"login": actor.login})
    if row.locked_at is not None:
        raise AccountLocked("this account is locked; a supervisor must unlock it", code=ErrorCode.LOCKED)
    if row.held != len(actor.roles):
        held = set(session.scalars(select(UserRole.role_code).where(UserRole.user_id == actor.user_id)))
        missing = sorted(set(actor.roles) - held)
        raise PermissionDenied(f"{actor.login} no longer holds the {', '.join(missing)} role; log in again",
                               code=ErrorCode.ROLE_REVOKED,
                               params={"login": actor.login, "roles": ", ".join(missing)})


def append(
    session: Session,
    actor: AuditActor,
    action: str,
    entity_type: str,
    entity_id: str | uuid.UUID,
    data: dict[str, Any] | None = None,
    *,
    now: dt.datetime | None = None,
    check: bool = True,
) -> AuditEntry:
    """Append one entry. The caller is inside Database.write(), which serialises writers. Every write of a
    user's session passes here, so the actor is checked here (`check_actor`, once per transaction); only the
    session's own end (logout, lockout) passes `check=False`."""
    if check and actor.session_id is not None:
        done = session.info.setdefault(_ACTOR_OK, set())
        key = (actor.session_id, actor.user_id, actor.roles)
        if key not in done:
            check_actor(session, actor)
            done.add(key)
    last = session.execute(_LAST).first()
    seq = (last.seq + 1) if last else 1
    prev = last.row_hash if last else GENESIS_HASH
    ts = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    payload_json = canonical_json(data or {})
    entry = AuditEntry(
        seq=seq,
        ts=ts,
        actor_id=actor.user_id,
        actor_login=actor.login,
        session_id=actor.session_id,
        office_code=actor.office_code,
        unit_code=actor.unit_code,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        payload=payload_json,
        prev_hash=prev,
        row_hash="",
    )
    entry.row_hash = compute_hash(prev, seq, ts, _body(entry, json.loads(payload_json)))
    key_ = chain_key(session)
    entry.row_mac = key_.mac(entry.row_hash) if key_ else None
    # Core insert: the hot path of every change; no identity-map bookkeeping needed for an append-only row.
    session.execute(_INSERT, [dict(
        seq=seq, ts=ts, actor_id=entry.actor_id, actor_login=entry.actor_login, session_id=entry.session_id,
        office_code=entry.office_code, unit_code=entry.unit_code, action=action, entity_type=entity_type,
        entity_id=entry.entity_id, payload=payload_json, prev_hash=prev, row_hash=entry.row_hash,
        row_mac=entry.row_mac)])
    if key_ is not None:
        _anchor_daily(session, key_, ts, seq, entry.row_hash)
    return entry


# -- anchors ------------------------------------------------------------------------------------------------------
def anchor_message(office_code: str, seq: int, head_seq: int, head_hash: str, at: dt.datetime, reason: str) -> bytes:
    return b"\n".join((ANCHOR_DOMAIN, office_code.encode("utf-8"), str(seq).encode(), str(head_seq).encode(),
                       head_hash.encode("ascii"), format_ts(at).encode(), reason.encode("utf-8")))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def anchor(session: Session, key: ChainKey, reason: str, now: dt.datetime,
           head: tuple[int, str] | None = None) -> AuditAnchor:
    """Sign the chain's current head (or `head`, just appended in this transaction) and store the anchor.
    The caller is inside Database.write()."""
    if head is None:
        last = session.execute(_LAST).first()
        head = (last.seq, last.row_hash) if last else (0, GENESIS_HASH)
    seq = (session.scalar(select(AuditAnchor.seq).order_by(AuditAnchor.seq.desc()).limit(1)) or 0) + 1
    at = now.astimezone(dt.UTC)
    sig = key.private_key.sign(anchor_message(key.office_code, seq, head[0], head[1], at, reason))
    row = AuditAnchor(seq=seq, anchored_at=at, head_seq=head[0], head_hash=head[1], office_code=key.office_code,
                      reason=reason, public_key=key.public_b64, signature=_b64url(sig))
    session.add(row)
    session.flush()
    return row


def _anchor_daily(session: Session, key: ChainKey, ts: dt.datetime, seq: int, row_hash: str) -> None:
    """The first write of each business day (office zone) anchors the head it has just appended."""
    engine = _engine(session)
    day = ts.astimezone(key.zone).date()
    if engine is None or _ANCHORED_DAY.get(engine) == day:
        return
    last_at = session.scalar(select(AuditAnchor.anchored_at).order_by(AuditAnchor.seq.desc()).limit(1))
    if last_at is None or last_at.astimezone(key.zone).date() != day:
        anchor(session, key, "daily", ts, head=(seq, row_hash))

    def remember(_session: Session) -> None:  # only once committed: a rolled-back anchor is retried
        _ANCHORED_DAY[engine] = day

    event.listen(session, "after_commit", remember, once=True)


# -- verification ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AnchorInfo:
    seq: int
    anchored_at: str
    head_seq: int
    head_hash: str
    reason: str


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    broken_seq: int | None = None
    problem: str | None = None
    entry_summary: str | None = None
    head_seq: int = 0  # the last entry found (0: none)
    head_hash: str = GENESIS_HASH
    anchors: int = 0  # anchors found and checked
    last_anchor: AnchorInfo | None = None
    unanchored: int = 0  # entries after the last anchor's head
    macs: str = "none"  # checked | not checked (no office key here) | none


def iter_entries(session: Session, batch: int = 2000) -> Iterator[AuditEntry]:
    stmt = select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=batch)
    yield from session.scalars(stmt)


_T = AuditEntry.__table__.c
# Raw columns: the UTC type would raise on an unparseable SQLite ts before we could name the entry.
_RAW = select(_T.seq, type_coerce(_T.ts, Text).label("ts"), type_coerce(_T.actor_id, Text).label("actor_id"),
              _T.actor_login, type_coerce(_T.session_id, Text).label("session_id"),
              _T.office_code, _T.unit_code, _T.action, _T.entity_type, _T.entity_id, _T.payload, _T.prev_hash,
              _T.row_hash, _T.row_mac).order_by(_T.seq)


class _Tampered(Exception):
    pass


def _parse_ts(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        ts = value
    elif isinstance(value, str):
        try:
            ts = dt.datetime.fromisoformat(value)
        except ValueError:
            raise _Tampered(f"its time {value[:40]!r} is not a timestamp") from None
    else:
        raise _Tampered("its time is not a timestamp")
    return ts.replace(tzinfo=dt.UTC) if ts.tzinfo is None else ts.astimezone(dt.UTC)


def _reject_constant(name: str) -> Any:
    raise _Tampered(f"its payload holds {name}")


def _parse_payload(text: Any) -> Any:
    if not isinstance(text, str):
        raise _Tampered("its payload is not text")
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise _Tampered("its payload is nested too deeply") from None
    except ValueError:
        raise _Tampered("its payload is not valid JSON") from None
    try:
        if canonical_json(data) != text:
            raise _Tampered("its payload is not canonical JSON (edited)")
    except (TypeError, ValueError):
        raise _Tampered("its payload holds a value the log never writes (float, NaN)") from None
    except RecursionError:
        raise _Tampered("its payload is nested too deeply") from None
    return data


def _uuid_text(value: Any) -> str | None:
    """The dashed text form the hash uses (SQLite stores 32 hex digits, PostgreSQL returns a UUID)."""
    if not value:
        return None
    if isinstance(value, uuid.UUID):
        return str(value)
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise _Tampered("its actor or session id is not a UUID") from None


def _summary(r: Any) -> str:
    def clip(v: Any, n: int = 40) -> str:
        text = str(v)
        return "".join(c if c.isprintable() else "?" for c in text[:n])

    return f"#{clip(r.seq)} {clip(r.ts, 32)} {clip(r.action)} by {clip(r.actor_login)} on " \
           f"{clip(r.entity_type)}:{clip(r.entity_id)}"


def _row_hash(r: Any, prev_hash: str) -> str:
    ts = _parse_ts(r.ts)
    data = _parse_payload(r.payload)
    body = {"action": r.action, "actor_id": _uuid_text(r.actor_id), "actor_login": r.actor_login, "data": data,
            "entity_id": r.entity_id, "entity_type": r.entity_type, "office_code": r.office_code,
            "session_id": _uuid_text(r.session_id), "unit_code": r.unit_code}
    try:
        return compute_hash(prev_hash, r.seq, ts, body)
    except (TypeError, ValueError, OverflowError) as exc:
        raise _Tampered(f"it cannot be hashed ({type(exc).__name__})") from None


def _verify_signature(public_b64: str, message: bytes, signature: str) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        raw = base64.b64decode(public_b64, validate=True)
        sig = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        Ed25519PublicKey.from_public_bytes(raw).verify(sig, message)
    except (InvalidSignature, ValueError, binascii.Error, TypeError):
        return False
    return True


def _trusted_keys(session: Session, key: ChainKey | None) -> set[str]:
    """The key file on this machine is the authority; without it, the public keys the offices registered."""
    if key is not None:
        return {key.public_b64}
    return {k for k in session.scalars(select(Office.signing_public_key)) if k}


def verify_chain(session: Session, progress: Callable[[int], None] | None = None,
                 key: ChainKey | None = None) -> ChainReport:
    """Walk the whole chain and its anchors; stop at the first entry or anchor that does not hold, naming it.
    `key` (the office key, when this machine has it) checks every MAC and is the only key anchors may be
    signed with; without it the offices' registered public keys check the anchors and MACs are not checked.
    Never raises on tampered content: an unreadable row is reported as tampered."""
    key = key or chain_key(session)
    trusted = _trusted_keys(session, key)
    try:
        anchors = list(session.scalars(select(AuditAnchor).order_by(AuditAnchor.seq)))
    except Exception as exc:  # a tampered anchor row the driver cannot read back (e.g. a text time on SQLite)
        return ChainReport(False, 0, None, f"the anchors cannot be read (tampered): {type(exc).__name__}")
    info: AnchorInfo | None = None
    by_head: dict[int, list[AuditAnchor]] = {}
    for a in anchors:
        when = format_ts(a.anchored_at)
        info = AnchorInfo(a.seq, when, a.head_seq, a.head_hash, a.reason)
        msg = anchor_message(a.office_code, a.seq, a.head_seq, a.head_hash, a.anchored_at, a.reason)
        if a.public_key not in trusted or not _verify_signature(a.public_key, msg, a.signature):
            return ChainReport(False, 0, None, f"anchor #{a.seq} of {when} is not signed by the office key (forged)",
                               f"anchor #{a.seq} {when} head #{a.head_seq}", anchors=len(anchors))
        by_head.setdefault(a.head_seq, []).append(a)
    macs = "none" if key is None else "checked"
    mac_seen = False
    prev_hash = GENESIS_HASH
    expected_seq = 1
    count = 0

    def broken(seq: int | None, problem: str, summary: str | None) -> ChainReport:
        return ChainReport(False, count, seq, problem, summary, expected_seq - 1, prev_hash, len(anchors), info,
                           0, macs)

    rows = iter(session.execute(_RAW.execution_options(yield_per=2000)))
    while True:
        try:
            r = next(rows)
        except StopIteration:
            break
        except Exception as exc:  # a value the driver itself cannot read back
            return broken(expected_seq, f"entry after #{expected_seq - 1} cannot be read (tampered): "
                                        f"{type(exc).__name__}", None)
        summary = _summary(r)
        if not isinstance(r.seq, int):
            return broken(expected_seq, f"entry after #{expected_seq - 1} has a bad sequence number (tampered)",
                          summary)
        if r.seq != expected_seq:
            return broken(expected_seq, f"entry #{expected_seq} is missing", summary)
        if r.prev_hash != prev_hash:
            return broken(r.seq, "link to the previous entry is broken", summary)
        try:
            row_hash = _row_hash(r, prev_hash)
        except _Tampered as exc:
            return broken(r.seq, f"entry is tampered: {exc}", summary)
        if row_hash != r.row_hash:
            return broken(r.seq, "content does not match its hash (edited)", summary)
        if r.row_mac is not None:
            if key is not None and not hmac.compare_digest(key.mac(r.row_hash), str(r.row_mac)):
                return broken(r.seq, "its MAC does not match (written without the office key: forged)", summary)
            mac_seen = True
        elif mac_seen and key is not None:
            return broken(r.seq, "it has no MAC though earlier entries do (written without the office key: "
                                 "forged)", summary)
        for a in by_head.get(r.seq, ()):
            if a.head_hash != r.row_hash:
                return broken(r.seq, f"it is not the entry anchor #{a.seq} signed on {format_ts(a.anchored_at)} "
                                     f"(the log was rewritten at or before #{r.seq})", summary)
        prev_hash = r.row_hash
        expected_seq += 1
        count += 1
        if progress and count % 5000 == 0:
            progress(count)
    head = expected_seq - 1
    for a in anchors:
        if a.head_seq > head:
            what = "every entry was deleted" if head == 0 else f"entries #{head + 1} to #{a.head_seq} were deleted"
            return ChainReport(False, count, head + 1,
                               f"anchor #{a.seq} of {format_ts(a.anchored_at)} signed head #{a.head_seq}, "
                               f"but the log ends at #{head}: {what}",
                               f"anchor #{a.seq} head #{a.head_seq} {a.head_hash[:16]}…", head, prev_hash,
                               len(anchors), info, 0, macs)
        if a.head_seq == 0 and a.head_hash != GENESIS_HASH:
            return ChainReport(False, count, None, f"anchor #{a.seq} names an impossible head", None, head,
                               prev_hash, len(anchors), info, 0, macs)
    if key is not None and not mac_seen:
        macs = "none"
    elif key is None and count:
        macs = "not checked (no office key here)"
    unanchored = head - (info.head_seq if info else 0)
    return ChainReport(True, count, head_seq=head, head_hash=prev_hash, anchors=len(anchors), last_anchor=info,
                       unanchored=unanchored, macs=macs)

