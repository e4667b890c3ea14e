"""What every service shares: the context it runs in (database, settings, clock — injected, never global)
and the acting user, checked for roles here and not in screens."""

from __future__ import annotations

import datetime as dt
import getpass
import os
import secrets
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from db import audit as chain
from db.audit import AuditActor, ChainKey
from db.engine import Database
from workstation.config import Settings
from workstation.domain.codes import Role
from workstation.domain.errors import ErrorCode
from workstation.errors import PermissionDenied

Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Actor:
    """The authenticated user on whose behalf a service acts."""

    user_id: uuid.UUID | None
    login: str
    full_name: str
    roles: frozenset[Role]
    session_id: uuid.UUID | None
    office_code: str
    unit_code: str | None = None
    nip: str = ""

    def has(self, *roles: Role) -> bool:
        return any(r in self.roles for r in roles)

    @property
    def audit(self) -> AuditActor:
        """The actor as the audit chain records it; its roles are checked against the database on write."""
        return self.own_audit

    @property
    def own_audit(self) -> AuditActor:
        """The same, for what a session may always do to itself (change its password, lock, log out): a
        subclass that refuses `audit` (auth.PasswordChangeActor) still records these."""
        return AuditActor(self.user_id, self.login, self.session_id, self.office_code, self.unit_code,
                          frozenset(r.value for r in self.roles))


def cli_actor(settings: Settings) -> Actor:
    """Commands run from the shell act as the operating-system user with the admin and supervisor roles: whoever can run
    them already holds the database credentials. Audited under `cli:<os user>`."""
    try:
        who = getpass.getuser()
    except Exception:  # no passwd entry in some containers
        who = "unknown"
    return Actor(None, f"cli:{who}"[:32], "command line", frozenset({Role.ADMIN, Role.SUPERVISOR}), None,
                 settings.office.code, settings.unit_code)


def require_role(actor: Actor, *roles: Role, action: str = "") -> None:
    if not actor.has(*roles):
        need = " or ".join(r.value for r in roles)
        what = f" to {action}" if action else ""
        raise PermissionDenied(f"{actor.login} needs the {need} role{what}", code=ErrorCode.ROLE_REQUIRED,
                               params={"login": actor.login, "roles": need, "action": action})


class OfficeKeyFile:
    """The office's Ed25519 key file (the one IssuanceService signs documents with), loaded on first use
    and kept; absent on a machine that has none yet (then the chain has no MAC and no anchor)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._key: ChainKey | None = None
        self._lock = threading.Lock()

    def __call__(self) -> ChainKey | None:
        if self._key is not None:
            return self._key
        path = self.settings.effective_key_file
        if not path.exists():
            return None
        from printing import signing

        with self._lock:
            if self._key is None:  # the seed: no cryptography for the MAC (db.audit.ChainKey)
                self._key = ChainKey(signing.load_private_seed(path), self.settings.office.code, self.settings.zone)
        return self._key


def office_secret(settings: Settings, label: bytes) -> bytes:
    """A per-office secret for one purpose: derived from the office key when this machine has it, else from a
    random secret kept beside where the key file goes (created once, mode 0600)."""
    path = settings.effective_key_file
    if path.exists():
        from printing import signing

        return chain.derive_secret(signing.load_private_seed(path), label)
    secret_path = path.with_name(path.name + ".secret")
    if not secret_path.exists():
        secret_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(secret_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first
        else:
            try:
                os.fchmod(fd, 0o600)
                os.write(fd, secrets.token_bytes(32))
                os.fsync(fd)
            finally:
                os.close(fd)
    return chain.derive_secret(secret_path.read_bytes(), label)


def require_any_role(actor: Actor, action: str = "") -> None:
    """For what every officer may do (print, issue through a workflow, change one's password): the actor must
    still hold some role. PermissionDenied ROLE_REQUIRED otherwise; the write then checks the roles against the
    database (db.audit.check_actor)."""
    require_role(actor, *Role, action=action)


@dataclass
class ServiceContext:
    db: Database
    settings: Settings
    clock: Clock = field(default=system_clock)

    def __post_init__(self) -> None:
        self.office_key = OfficeKeyFile(self.settings)
        # every audit append on this database MACs its row and anchors the day with this key
        chain.register_key_source(self.db.engine, self.office_key)

    def now(self) -> dt.datetime:
        return self.clock()

    def today(self) -> dt.date:
        """The business date in the office's time zone."""
        return self.now().astimezone(self.settings.zone).date()
