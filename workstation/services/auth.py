"""Users, login, lockout, sessions. Passwords: argon2id (argon2-cffi). Every login, logout and failure is
audited in the same transaction as the change it records."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
import socket
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import audit
from db.audit import AuditActor
from db.models import Office, User, UserRole, UserSession
from workstation import inputs
from workstation.domain.codes import Role
from workstation.domain.errors import ErrorCode
from workstation.errors import (
    AccountLocked,
    AuthenticationFailed,
    InputError,
    NotFound,
    PermissionDenied,
    Refusal,
)
from workstation.services.base import Actor, ServiceContext, office_secret, require_any_role, require_role

LOGIN_RE = re.compile(r"^[a-z][a-z0-9._-]{2,31}$")
MIN_PASSWORD = 8
LOGIN_LABEL = b"WSA1-UNKNOWN-LOGIN"
LOCKED_MSG = "account locked after too many failed logins; a supervisor must unlock it"


def validate_login(login: str) -> str:
    """The login, stripped. InputError LOGIN_FORMAT unless 3-32 of [a-z0-9._-] starting with a letter."""
    login = (login or "").strip()
    if not LOGIN_RE.fullmatch(login):
        raise InputError(code=ErrorCode.LOGIN_FORMAT, field="login", params={"value": login})
    return login


def validate_password(password: str) -> str:
    """The password unchanged. InputError WEAK_PASSWORD when shorter than MIN_PASSWORD characters,
    INVALID_VALUE when it starts or ends with spaces."""
    if len(password or "") < MIN_PASSWORD:
        raise InputError(code=ErrorCode.WEAK_PASSWORD, field="password", params={"limit": MIN_PASSWORD})
    if password.strip() != password:
        raise InputError("must not start or end with spaces", code=ErrorCode.INVALID_VALUE, field="password")
    return password


def parse_roles(values: Iterable[str | Role]) -> frozenset[Role]:
    """Roles from names (comma-separated allowed). InputError UNKNOWN_ROLE naming the bad one, REQUIRED when
    none is given."""
    roles: set[Role] = set()
    for v in values:
        for part in str(v).split(","):
            part = part.strip().lower()
            if not part:
                continue
            try:
                roles.add(Role(part))
            except ValueError:
                allowed = ", ".join(r.value for r in Role)
                raise InputError(f"unknown role {part!r} (one of {allowed})", code=ErrorCode.UNKNOWN_ROLE,
                                 field="role", params={"value": part, "options": allowed}) from None
    if not roles:
        raise InputError("at least one role is required", code=ErrorCode.REQUIRED, field="role")
    return frozenset(roles)


def client_label() -> str:
    """Where this session runs: host, tty or SSH peer — shown to supervisors ending sessions."""
    ssh = os.environ.get("SSH_CONNECTION", "").split()
    where = f"ssh {ssh[0]}" if ssh else "local"
    return f"{socket.gethostname()} {where} pid {os.getpid()}"[:200]


@dataclass(frozen=True)
class UserInfo:
    id: uuid.UUID
    login: str
    full_name: str
    nip: str
    roles: frozenset[Role]
    locked: bool
    active: bool
    failed_logins: int


@dataclass(frozen=True)
class SessionInfo:
    id: uuid.UUID
    login: str
    started_at: dt.datetime
    last_seen_at: dt.datetime
    ended_at: dt.datetime | None
    end_reason: str | None
    client: str


def _change_required() -> PermissionDenied:
    return PermissionDenied("an administrator set your password: choose your own before you continue",
                            code=ErrorCode.PASSWORD_CHANGE_REQUIRED)


@dataclass(frozen=True)
class PasswordChangeActor(Actor):
    """What `login` returns for a user whose password an administrator set (users.must_change_password): the
    session is open, but it may only change the password (`change_password`, which returns the plain Actor to
    carry on with) or end (`logout`). Everything else is refused with PermissionDenied PASSWORD_CHANGE_REQUIRED
    where every service call passes: a role check (`has`, hence `require_role`) and an audited write (`audit`,
    hence every write) raise it. A reset ends the user's open sessions, so no plain Actor outlives one."""

    def has(self, *roles: Role) -> bool:
        raise _change_required()

    @property
    def audit(self) -> AuditActor:
        raise _change_required()


def _info(u: User) -> UserInfo:
    return UserInfo(u.id, u.login, u.full_name, u.nip, frozenset(Role(r) for r in u.role_codes),
                    u.locked_at is not None, u.active, u.failed_logins)


class AuthService:
    def __init__(self, ctx: ServiceContext):
        self.ctx = ctx
        if ctx.settings.password_hashing == "fast":
            self._ph = argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        else:
            self._ph = argon2.PasswordHasher()  # argon2id, RFC 9106 low-memory profile

    @cached_property
    def _dummy_hash(self) -> str:
        """Verified against for unknown logins so that timing does not tell which logins exist."""
        return self._ph.hash("not a password of anyone")

    # -- helpers -----------------------------------------------------------------------------------------
    def _anon(self, login: str) -> AuditActor:
        """Not logged in, naming an existing user's login."""
        s = self.ctx.settings
        return AuditActor(None, f"?{login}"[:32], None, s.office.code, s.unit_code)

    @cached_property
    def _login_secret(self) -> bytes:
        return office_secret(self.ctx.settings, LOGIN_LABEL)

    def login_digest(self, typed: str) -> str:
        """What the audit log keeps of a typed login that matches no user: a keyed hash (HMAC-SHA256 under a
        per-office secret, 20 hex digits), never the text — people type their password into the login field.
        The same text gives the same digest, so repeated attempts can still be told apart and counted."""
        return hmac.new(self._login_secret, typed.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:20]

    def _unknown(self, digest: str) -> AuditActor:
        s = self.ctx.settings
        return AuditActor(None, f"?#{digest}"[:32], None, s.office.code, s.unit_code)

    def _ensure_office(self, session: Session) -> None:
        office = self.ctx.settings.office
        if session.get(Office, office.code) is None:
            session.add(Office(code=office.code, name=office.name, address=office.address, city=office.city,
                               timezone=office.timezone))
            session.flush()

    def _actor(self, user: User, session_id: uuid.UUID | None) -> Actor:
        """The user as a service actor; a PasswordChangeActor while the user must change a reset password."""
        s = self.ctx.settings
        cls = PasswordChangeActor if user.must_change_password else Actor
        return cls(user.id, user.login, user.full_name, frozenset(Role(r) for r in user.role_codes), session_id,
                   user.office_code, s.unit_code, user.nip)

    # -- first run ---------------------------------------------------------------------------------------
    def needs_first_admin(self) -> bool:
        with self.ctx.db.read() as s:
            return s.scalar(select(func.count()).select_from(User)) == 0

    def create_first_admin(self, login: str, full_name: str, password: str, nip: str = "") -> UserInfo:
        """Only while there is no user at all (first-run screen)."""
        login = validate_login(login)
        validate_password(password)
        if not full_name.strip():
            raise InputError(code=ErrorCode.REQUIRED, field="full_name")
        nip = inputs.nip(nip, "nip")  # as create_user, the CLI and the screens check it
        pw_hash = self._ph.hash(password)
        with self.ctx.db.write() as s:
            if s.scalar(select(func.count()).select_from(User)):
                raise Refusal("an administrator already exists; log in instead", code=ErrorCode.ALREADY_SET_UP)
            self._ensure_office(s)
            user = User(login=login, full_name=full_name.strip(), nip=nip.strip(), password_hash=pw_hash,
                        office_code=self.ctx.settings.office.code)
            user.roles = [UserRole(role_code=Role.ADMIN.value)]
            s.add(user)
            s.flush()
            actor = AuditActor(user.id, login, None, user.office_code, self.ctx.settings.unit_code)
            audit.append(s, actor, "user.first_admin", "user", user.id, {"login": login}, now=self.ctx.now())
            return _info(user)

    # -- user administration -----------------------------------------------------------------------------
    def create_user(self, actor: Actor, login: str, full_name: str, roles: Iterable[str | Role], password: str,
                    nip: str = "", *, must_change_password: bool = False) -> UserInfo:
        """A new user (admin). `must_change_password`: the password is one the administrator chose, and the user
        replaces it at the first login (AdminService.create_user, `user add --must-change-password`).
        Raises InputError LOGIN_FORMAT, UNKNOWN_ROLE, REQUIRED, WEAK_PASSWORD, NIP, DUPLICATE (login)."""
        require_role(actor, Role.ADMIN, action="create users")
        login = validate_login(login)
        role_set = parse_roles(roles)
        validate_password(password)
        if not full_name.strip():
            raise InputError(code=ErrorCode.REQUIRED, field="full_name")
        nip = inputs.nip(nip, "nip")
        pw_hash = self._ph.hash(password)
        with self.ctx.db.write() as s:
            if s.scalar(select(User.id).where(User.login == login)):
                raise InputError(f"{login!r} already exists", code=ErrorCode.DUPLICATE, field="login",
                                 params={"value": login})
            self._ensure_office(s)
            user = User(login=login, full_name=full_name.strip(), nip=nip, password_hash=pw_hash,
                        office_code=self.ctx.settings.office.code, must_change_password=must_change_password)
            user.roles = [UserRole(role_code=r.value, granted_by=actor.user_id) for r in sorted(role_set)]
            s.add(user)
            s.flush()
            data: dict[str, object] = {"login": login, "roles": sorted(role_set), "full_name": user.full_name}
            if must_change_password:  # as auth.login records it: only when set
                data["must_change_password"] = True
            audit.append(s, actor.audit, "user.create", "user", user.id, data, now=self.ctx.now())
            return _info(user)

    def set_roles(self, actor: Actor, login: str, roles: Iterable[str | Role]) -> UserInfo:
        require_role(actor, Role.ADMIN, action="change roles")
        role_set = parse_roles(roles)
        with self.ctx.db.write() as s:
            user = self._get(s, login)
            if user.id == actor.user_id:
                raise PermissionDenied("nobody changes their own roles (separation of duties)", code=ErrorCode.SELF_GRANT)
            before = sorted(user.role_codes)
            user.roles = [UserRole(role_code=r.value, granted_by=actor.user_id) for r in sorted(role_set)]
            s.flush()
            audit.append(s, actor.audit, "user.roles", "user", user.id,
                         {"login": login, "before": before, "after": sorted(role_set)}, now=self.ctx.now())
            return _info(user)

    def list_users(self, actor: Actor) -> list[UserInfo]:
        require_role(actor, Role.ADMIN, Role.SUPERVISOR, action="list users")
        with self.ctx.db.read() as s:
            return [_info(u) for u in s.scalars(select(User).order_by(User.login))]

    def _get(self, s: Session, login: str) -> User:
        user: User | None = s.scalar(select(User).where(User.login == login))
        if user is None:
            raise NotFound(f"no user {login!r}", code=ErrorCode.UNKNOWN_USER, field="login", params={"value": login})
        return user

    def unlock(self, actor: Actor, login: str) -> UserInfo:
        require_role(actor, Role.SUPERVISOR, action="unlock accounts")
        with self.ctx.db.write() as s:
            user = self._get(s, login)
            if user.id == actor.user_id:
                raise PermissionDenied("a supervisor cannot unlock their own account", code=ErrorCode.SELF_UNLOCK)
            user.locked_at = None
            user.failed_logins = 0
            s.flush()
            audit.append(s, actor.audit, "user.unlock", "user", user.id, {"login": login}, now=self.ctx.now())
            return _info(user)

    def change_password(self, actor: Actor, old: str, new: str) -> Actor:
        """One's own password (any role; the write checks the session as every write does), `old` being the
        current one. The one call a PasswordChangeActor may make besides logout: it clears the user's
        must_change_password and the session carries on with the returned plain Actor (same session, roles as
        now stored). Audited `user.password` with {"forced": whether a reset was being replaced}.
        Raises InputError WEAK_PASSWORD / INVALID_VALUE / PASSWORD_UNCHANGED (field "password": the new one),
        AuthenticationFailed BAD_CREDENTIALS (field "old_password"), PermissionDenied ROLE_REQUIRED, and the
        session's refusals (SESSION_ENDED, INACTIVE, LOCKED, ROLE_REVOKED)."""
        if not isinstance(actor, PasswordChangeActor):
            require_any_role(actor, action="change the password")
        validate_password(new)
        if new == old:
            raise InputError(code=ErrorCode.PASSWORD_UNCHANGED, field="password")
        with self.ctx.db.read() as s:
            user = s.get(User, actor.user_id)
            pw_hash = user.password_hash if user else self._dummy_hash
        # outside the write lock, as login: argon2 is deliberately slow
        ok = self._verify(pw_hash, old)
        new_hash = self._ph.hash(new)
        with self.ctx.db.write() as s:
            user = s.get(User, actor.user_id)
            if user is None or not ok or user.password_hash != pw_hash:
                raise AuthenticationFailed("the current password is wrong", code=ErrorCode.BAD_CREDENTIALS,
                                           field="old_password")
            forced = user.must_change_password
            user.password_hash = new_hash
            user.must_change_password = False
            s.flush()  # the session check below (audit.check_actor) reads the user as it now is
            audit.append(s, actor.own_audit, "user.password", "user", user.id, {"forced": forced},
                         now=self.ctx.now())
            return self._actor(user, actor.session_id)

    # -- login / logout ----------------------------------------------------------------------------------
    def _verify(self, pw_hash: str, password: str) -> bool:
        try:
            return self._ph.verify(pw_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def _fail(self, s: Session, user: User, reason: str) -> bool:
        """Count a failure; the Nth locks the account. Both audited. True when the account is now locked."""
        user.failed_logins += 1
        data = {"login": user.login, "reason": reason, "failed_logins": user.failed_logins}
        audit.append(s, self._anon(user.login), "auth.failure", "user", user.id, data, now=self.ctx.now())
        if user.failed_logins >= self.ctx.settings.max_failed_logins and user.locked_at is None:
            user.locked_at = self.ctx.now()
            audit.append(s, self._anon(user.login), "auth.locked", "user", user.id,
                         {"login": user.login, "failed_logins": user.failed_logins}, now=self.ctx.now())
        return user.locked_at is not None

    def login(self, login: str, password: str, client: str | None = None) -> Actor:
        """Open a session (audited `auth.login`; failures `auth.failure`, the Nth locks the account). Returns the
        session's Actor — a PasswordChangeActor when an administrator set the password (the caller asks for a
        new one: `change_password`). Raises AuthenticationFailed BAD_CREDENTIALS / INACTIVE, AccountLocked
        LOCKED."""
        login = (login or "").strip()
        with self.ctx.db.read() as s:
            found = s.scalar(select(User).where(User.login == login))
            pw_hash = found.password_hash if found else self._dummy_hash
        ok = self._verify(pw_hash, password)  # outside the write lock: argon2 is deliberately slow
        # Refusals are raised after the write block commits: the failure must stay in the audit log.
        err: Exception | None = None
        with self.ctx.db.write() as s:
            user = s.scalar(select(User).where(User.login == login))
            if user is None:
                digest = self.login_digest(login)
                audit.append(s, self._unknown(digest), "auth.failure", "user", f"#{digest}",
                             {"login_hmac": digest, "reason": "unknown_login"}, now=self.ctx.now())
                err = AuthenticationFailed("wrong login or password", code=ErrorCode.BAD_CREDENTIALS)
            elif not user.active:
                audit.append(s, self._anon(login), "auth.failure", "user", user.id,
                             {"login": login, "reason": "inactive"}, now=self.ctx.now())
                err = AuthenticationFailed("this account is disabled", code=ErrorCode.INACTIVE, params={"login": login})
            elif user.locked_at is not None:
                audit.append(s, self._anon(login), "auth.failure", "user", user.id,
                             {"login": login, "reason": "locked"}, now=self.ctx.now())
                err = AccountLocked(LOCKED_MSG, code=ErrorCode.LOCKED)
            elif not ok or user.password_hash != pw_hash:
                locked = self._fail(s, user, "bad_password")
                err = (AccountLocked(LOCKED_MSG, code=ErrorCode.LOCKED) if locked
                       else AuthenticationFailed("wrong login or password", code=ErrorCode.BAD_CREDENTIALS))
            else:
                user.failed_logins = 0
                sess = UserSession(user_id=user.id, client=(client or client_label())[:200],
                                   office_code=user.office_code, unit_code=self.ctx.settings.unit_code,
                                   started_at=self.ctx.now(), last_seen_at=self.ctx.now())
                s.add(sess)
                s.flush()
                actor = self._actor(user, sess.id)
                data: dict[str, object] = {"login": login, "client": sess.client}
                if user.must_change_password:
                    data["must_change_password"] = True
                audit.append(s, actor.own_audit, "auth.login", "session", sess.id, data, now=self.ctx.now())
        if err is not None:
            raise err
        return actor

    def logout(self, actor: Actor, reason: str = "logout") -> None:
        with self.ctx.db.write() as s:
            sess = s.get(UserSession, actor.session_id) if actor.session_id else None
            if sess is None or sess.ended_at is not None:
                return
            sess.ended_at = self.ctx.now()
            sess.end_reason = reason
            # check=False: ending one's own session is never refused (a deactivated user still logs out)
            audit.append(s, actor.own_audit, "auth.logout", "session", sess.id, {"reason": reason},
                         now=self.ctx.now(), check=False)

    def lock_screen(self, actor: Actor, reason: str = "manual") -> None:
        """The screen was locked (`reason` "manual": the user's key; "idle": the idle timer): audited as
        `auth.lock_screen`, the counterpart of `auth.unlock_screen`. A session already ended records nothing
        (it is the login screen's business now). Raises InputError NOT_ONE_OF (reason)."""
        if reason not in ("manual", "idle"):
            raise InputError(code=ErrorCode.NOT_ONE_OF, field="reason",
                             params={"value": reason, "options": "manual, idle"})
        with self.ctx.db.write() as s:
            sess = s.get(UserSession, actor.session_id) if actor.session_id else None
            if sess is None or sess.ended_at is not None:
                return
            # check=False: locking is never refused (a user whose role was just revoked may still lock)
            audit.append(s, actor.own_audit, "auth.lock_screen", "session", sess.id, {"reason": reason},
                         now=self.ctx.now(), check=False)

    def unlock_screen(self, actor: Actor, password: str) -> bool:
        """Idle lock: the same user re-enters the password. Failures count toward the account lockout;
        a lockout ends the session."""
        with self.ctx.db.read() as s:
            user = s.get(User, actor.user_id)
            pw_hash = user.password_hash if user else self._dummy_hash
        ok = self._verify(pw_hash, password)
        with self.ctx.db.write() as s:
            user = s.get(User, actor.user_id)
            sess = s.get(UserSession, actor.session_id) if actor.session_id else None
            if user is None or sess is None or sess.ended_at is not None:
                raise AuthenticationFailed("this session was ended; log in again", code=ErrorCode.SESSION_ENDED)
            if user.locked_at is not None:
                raise AccountLocked(LOCKED_MSG, code=ErrorCode.LOCKED)
            if ok:
                user.failed_logins = 0
                sess.last_seen_at = self.ctx.now()
                audit.append(s, actor.own_audit, "auth.unlock_screen", "session", sess.id, {},
                             now=self.ctx.now())
                return True
            if self._fail(s, user, "bad_password_idle_lock"):
                sess.ended_at = self.ctx.now()
                sess.end_reason = "locked"
                audit.append(s, actor.own_audit, "auth.logout", "session", sess.id, {"reason": "locked"},
                             now=self.ctx.now(), check=False)
        return False

    def heartbeat(self, actor: Actor) -> bool:
        """Mark the session alive. False when it may no longer act — ended (by a supervisor), its user
        deactivated or locked out, or a role it claims revoked: the same check every write makes. The app
        then locks and returns to the login screen."""
        if actor.session_id is None:
            return True
        with self.ctx.db.write() as s:
            try:
                audit.check_actor(s, actor.own_audit)
            except (AuthenticationFailed, PermissionDenied):
                return False
            sess = s.get(UserSession, actor.session_id)
            if sess is None:
                return False
            sess.last_seen_at = self.ctx.now()
            return True

    def deactivate(self, actor: Actor, login: str, reason: str = "", version: int | None = None) -> UserInfo:
        """Disable an account (admin): it can no longer log in, and its open sessions end at once (every
        write and heartbeat checks the user is active). The user row and its history stay. PermissionDenied
        SELF_DEACTIVATE for one's own account, Refusal ALREADY_INACTIVE, VERSION_CONFLICT (when `version` is
        given and the row changed since), NotFound UNKNOWN_USER."""
        require_role(actor, Role.ADMIN, action="deactivate users")
        with self.ctx.db.write() as s:
            user = self._get(s, login)
            if version is not None and user.version != version:
                raise Refusal(f"user {login} was changed since you opened it; reload and redo",
                              code=ErrorCode.VERSION_CONFLICT, params={"reference": login, "who": "?"})
            if user.id == actor.user_id:
                raise PermissionDenied("nobody deactivates their own account", code=ErrorCode.SELF_DEACTIVATE)
            if not user.active:
                raise Refusal(f"{login} is already deactivated", code=ErrorCode.ALREADY_INACTIVE,
                              params={"login": login})
            user.active = False
            ended = self.end_user_sessions(s, user.id, "deactivated", actor.user_id)
            s.flush()
            audit.append(s, actor.audit, "user.deactivate", "user", user.id,
                         {"login": login, "reason": reason.strip(), "sessions_ended": len(ended)},
                         now=self.ctx.now())
            return _info(user)

    def end_user_sessions(self, s: Session, user_id: uuid.UUID, reason: str,
                          by: uuid.UUID | None) -> list[UserSession]:
        """End every open session of a user inside the caller's write (their screens lock at the next
        heartbeat): a deactivation, a password reset. Returns the sessions ended; the caller audits."""
        ended = list(s.scalars(select(UserSession).where(UserSession.user_id == user_id,
                                                         UserSession.ended_at.is_(None))))
        for sess in ended:
            sess.ended_at = self.ctx.now()
            sess.end_reason = reason
            sess.ended_by = by
        return ended

    # -- sessions (supervisor) ---------------------------------------------------------------------------
    def list_sessions(self, actor: Actor, active_only: bool = True) -> list[SessionInfo]:
        require_role(actor, Role.SUPERVISOR, Role.ADMIN, action="see sessions")
        with self.ctx.db.read() as s:
            q = select(UserSession, User.login).join(User, User.id == UserSession.user_id)
            if active_only:
                q = q.where(UserSession.ended_at.is_(None))
            rows = s.execute(q.order_by(UserSession.started_at.desc()).limit(500)).all()
            return [SessionInfo(us.id, login, us.started_at, us.last_seen_at, us.ended_at, us.end_reason, us.client)
                    for us, login in rows]

    def end_session(self, actor: Actor, session_id: uuid.UUID, reason: str) -> None:
        """End a user's session (supervisor or administrator): that screen locks at its next heartbeat.
        InputError REQUIRED (reason), NotFound UNKNOWN_SESSION, Refusal ALREADY_ENDED; audited `session.end`."""
        require_role(actor, Role.SUPERVISOR, Role.ADMIN, action="end sessions")
        if not reason.strip():
            raise InputError("a reason is required", code=ErrorCode.REQUIRED, field="reason")
        with self.ctx.db.write() as s:
            sess = s.get(UserSession, session_id)
            if sess is None:
                raise NotFound(code=ErrorCode.UNKNOWN_SESSION, field="session")
            if sess.ended_at is not None:
                raise Refusal("that session has already ended", code=ErrorCode.ALREADY_ENDED)
            sess.ended_at = self.ctx.now()
            sess.end_reason = "ended_by_supervisor"
            sess.ended_by = actor.user_id
            audit.append(s, actor.audit, "session.end", "session", sess.id,
                         {"reason": reason.strip(), "user_id": str(sess.user_id)}, now=self.ctx.now())

    def confirm_supervisor(self, actor: Actor, login: str, password: str, purpose: str) -> Actor:
        """Dual authorisation: a second, different user with the supervisor role confirms with their
        password. Returns that supervisor (the caller records both in the audit entry of the change)."""
        if login.strip() == actor.login:
            raise PermissionDenied("the confirming supervisor must be a different user", code=ErrorCode.SAME_USER)
        with self.ctx.db.read() as s:
            user = s.scalar(select(User).where(User.login == login.strip()))
            pw_hash = user.password_hash if user else self._dummy_hash
        ok = self._verify(pw_hash, password)
        if user is None or not ok or not user.active or user.locked_at is not None:
            with self.ctx.db.write() as s:
                u = s.scalar(select(User).where(User.login == login.strip()))
                if u is not None and not ok:
                    self._fail(s, u, f"bad_password_confirm:{purpose}"[:60])
                elif u is None:  # the typed text may be a password: keep only its keyed hash
                    digest = self.login_digest(login.strip())
                    audit.append(s, actor.audit, "auth.confirm_failure", "user", f"#{digest}",
                                 {"login_hmac": digest, "purpose": purpose}, now=self.ctx.now())
                else:
                    audit.append(s, actor.audit, "auth.confirm_failure", "user", u.id,
                                 {"login": u.login, "purpose": purpose}, now=self.ctx.now())
            raise AuthenticationFailed("supervisor confirmation failed", code=ErrorCode.CONFIRM_FAILED)
        if Role.SUPERVISOR.value not in user.role_codes:
            raise PermissionDenied(f"{login} is not a supervisor", code=ErrorCode.ROLE_REQUIRED,
                                   params={"login": login, "roles": Role.SUPERVISOR.value})
        if user.must_change_password:  # a password an administrator chose confirms nothing
            raise _change_required()
        return self._actor(user, None)
