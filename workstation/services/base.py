"""What every service shares: the context it runs in (database, settings, clock — injected, never global)
and the acting user, checked for roles here and not in screens."""

from __future__ import annotations

import datetime as dt
import getpass
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from db.audit import AuditActor
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
        return AuditActor(self.user_id, self.login, self.session_id, self.office_code, self.unit_code)


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


@dataclass
class ServiceContext:
    db: Database
    settings: Settings
    clock: Clock = field(default=system_clock)

    def now(self) -> dt.datetime:
        return self.clock()

    def today(self) -> dt.date:
        """The business date in the office's time zone."""
        return self.now().astimezone(self.settings.zone).date()
