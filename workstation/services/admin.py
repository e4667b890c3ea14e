"""Administration (issue #15 item 3): what the Administration section lists and changes that no workflow
service already offers to an administrator — reactivate, unlock, reset a password, end another user's session,
block an importer, the rule sets and rates with the decisions that used them, the tariff and lartas tables.

Each change checks the role here (admin; supervisor too where the issue suggests it), refuses a stale row by
its version where the row has one (VERSION_CONFLICT), and writes its audit entry in the same transaction.
What other services already do for an administrator (create a user, set roles, deactivate, SSH keys, import
rates) is called there; this module only lists for them."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from db import audit
from db.models import ExchangeRate, RuleSetRecord, User
from workstation import inputs
from workstation.domain.codes import Role
from workstation.domain.errors import ErrorCode
from workstation.errors import InputError, NotFound, PermissionDenied, Refusal
from workstation.services.base import Actor, require_role

if TYPE_CHECKING:
    from workstation.services import Services
    from workstation.services.auth import UserInfo
    from workstation.services.plp.views import TpsView

LIST_LIMIT = 500


@dataclass(frozen=True)
class UserRow:
    """A user as the administration list shows it; `version` is what a change sends back."""

    login: str
    full_name: str
    nip: str
    roles: frozenset[Role]
    active: bool
    locked: bool
    failed_logins: int
    version: int
    ssh_keys: int


@dataclass(frozen=True)
class RuleSetRow:
    id: str
    kind: str
    valid_from: dt.date
    valid_to: dt.date | None
    sha256: str
    title: str
    shipped: bool  # a file this installation has (False: only its recorded text, kept for old decisions)
    decisions: int  # decisions that used it (e-CD decisions, PIB determinations, PLP requests)


@dataclass(frozen=True)
class RateRow:
    currency: str
    rate_idr: Decimal
    valid_from: dt.date
    valid_to: dt.date | None
    source: str


@dataclass(frozen=True)
class BlockRow:
    npwp: str
    name: str
    reason: str
    blocked_at: dt.datetime
    blocked_by: str
    lifted_at: dt.datetime | None
    lift_reason: str


@dataclass(frozen=True)
class TariffRow:
    hs_code: str
    description: str
    bm_rate: str


@dataclass(frozen=True)
class UnitRow:
    code: str
    name: str
    epoch: int
    enrolled: bool
    revoked: bool
    last_seen_at: dt.datetime | None
    pending_token: bool


@dataclass(frozen=True)
class LartasRow:
    hs_prefix: str
    permit: str
    agency: str


def _like(term: str) -> str:
    """A search term as a LIKE pattern that matches it literally anywhere (escape character '\\')."""
    t = term.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{t}%"


class AdminService:
    def __init__(self, services: Services):
        self.services = services
        self.ctx = services.ctx

    # -- helpers -----------------------------------------------------------------------------------------
    def _user(self, s: Session, login: str, version: int | None) -> User:
        user: User | None = s.scalar(select(User).where(User.login == login))
        if user is None:
            raise NotFound(f"no user {login!r}", code=ErrorCode.UNKNOWN_USER, field="login", params={"value": login})
        if version is not None and user.version != version:
            raise Refusal(f"user {login} was changed since you opened it; reload and redo",
                          code=ErrorCode.VERSION_CONFLICT, params={"reference": login, "who": "?"})
        return user

    # -- users -------------------------------------------------------------------------------------------
    def list_users(self, actor: Actor, search: str = "") -> list[UserRow]:
        """Every user (admin or supervisor), by login; `search` matches login, name or NIP."""
        require_role(actor, Role.ADMIN, Role.SUPERVISOR, action="list users")
        from db.models_ssh import UserSshKey

        keys = (select(func.count(UserSshKey.id)).where(UserSshKey.user_id == User.id, UserSshKey.revoked_at.is_(None))
                .correlate(User).scalar_subquery())
        q = select(User, keys).order_by(User.login).limit(LIST_LIMIT)
        if search.strip():
            pat = _like(search)
            q = q.where(or_(func.lower(User.login).like(pat, escape="\\"),
                            func.lower(User.full_name).like(pat, escape="\\"), User.nip.like(pat, escape="\\")))
        with self.ctx.db.read() as s:
            return [UserRow(u.login, u.full_name, u.nip, frozenset(Role(r) for r in u.role_codes), u.active,
                            u.locked_at is not None, u.failed_logins, u.version, n or 0)
                    for u, n in s.execute(q)]

    def create_user(self, actor: Actor, login: str, full_name: str, roles: Iterable[str | Role], password: str,
                    nip: str = "") -> UserInfo:
        """A new user (admin). The NIP, when given, is 18 digits (InputError NIP, checked before anything
        else is hashed or written); the rest as services.auth.create_user. The administrator typed the password,
        so the user must replace it at the first login (must_change_password), as after a reset."""
        require_role(actor, Role.ADMIN, action="create users")
        nip = (nip or "").strip()
        if nip and not (len(nip) == 18 and nip.isascii() and nip.isdigit()):
            raise InputError("NIP is 18 digits", code=ErrorCode.NIP, field="nip", params={"value": nip})
        return self.services.auth.create_user(actor, login, full_name, roles, password, nip=nip,
                                              must_change_password=True)

    def set_roles(self, actor: Actor, login: str, roles: Iterable[str | Role],
                  version: int | None = None) -> UserInfo:
        """Replace a user's roles (admin; never one's own: PermissionDenied SELF_GRANT). VERSION_CONFLICT
        when the row changed since the screen showed it; the change bumps the row's version. Audited
        `user.roles` as services.auth.set_roles does."""
        require_role(actor, Role.ADMIN, action="change roles")
        from db.models import UserRole
        from workstation.services.auth import _info, parse_roles

        role_set = parse_roles(roles)
        with self.ctx.db.write() as s:
            user = self._user(s, login, version)
            if user.id == actor.user_id:
                raise PermissionDenied("nobody changes their own roles (separation of duties)",
                                       code=ErrorCode.SELF_GRANT)
            before = sorted(user.role_codes)
            user.roles = [UserRole(role_code=r.value, granted_by=actor.user_id) for r in sorted(role_set)]
            user.updated_at = self.ctx.now()  # the roles live in another table: bump the user's version
            s.flush()
            audit.append(s, actor.audit, "user.roles", "user", user.id,
                         {"login": login, "before": before, "after": sorted(role_set)}, now=self.ctx.now())
            return _info(user)

    def deactivate(self, actor: Actor, login: str, reason: str, version: int | None = None) -> UserInfo:
        """Disable an account with a required reason (admin): it can no longer log in and its open sessions end.
        InputError REQUIRED (reason), PermissionDenied SELF_DEACTIVATE, Refusal ALREADY_INACTIVE,
        VERSION_CONFLICT, NotFound UNKNOWN_USER. The auth service's write path (audited `user.deactivate`)."""
        require_role(actor, Role.ADMIN, action="deactivate users")
        reason = inputs.text(reason, "reason", max_len=500)
        return self.services.auth.deactivate(actor, login, reason, version=version)

    def reactivate(self, actor: Actor, login: str, reason: str, version: int | None = None) -> UserRow:
        """Let a deactivated user log in again (admin). Refusal ALREADY_DONE when active; VERSION_CONFLICT;
        NotFound UNKNOWN_USER; InputError REQUIRED (reason). Audited `user.reactivate`."""
        require_role(actor, Role.ADMIN, action="reactivate users")
        reason = inputs.text(reason, "reason", max_len=500)
        with self.ctx.db.write() as s:
            user = self._user(s, login, version)
            if user.active:
                raise Refusal(f"{login} is already active", code=ErrorCode.ALREADY_DONE, params={"login": login})
            user.active = True
            user.failed_logins = 0
            s.flush()
            audit.append(s, actor.audit, "user.reactivate", "user", user.id, {"login": login, "reason": reason},
                         now=self.ctx.now())
            return self._row(s, user)

    def unlock(self, actor: Actor, login: str, version: int | None = None) -> UserRow:
        """Clear a lockout after failed logins (admin or supervisor; never one's own). Refusal ALREADY_DONE when
        not locked. Audited `user.unlock` as Supervision's unlock is."""
        require_role(actor, Role.ADMIN, Role.SUPERVISOR, action="unlock accounts")
        with self.ctx.db.write() as s:
            user = self._user(s, login, version)
            if user.id == actor.user_id:
                raise PermissionDenied("nobody unlocks their own account", code=ErrorCode.SELF_UNLOCK)
            if user.locked_at is None:
                raise Refusal(f"{login} is not locked", code=ErrorCode.ALREADY_DONE, params={"login": login})
            user.locked_at = None
            user.failed_logins = 0
            s.flush()
            audit.append(s, actor.audit, "user.unlock", "user", user.id, {"login": login}, now=self.ctx.now())
            return self._row(s, user)

    def reset_password(self, actor: Actor, login: str, new_password: str, version: int | None = None) -> UserRow:
        """Set another user's password (admin) and clear a lockout: the administrator hands it over in person,
        and the user must replace it at the next login (must_change_password: until then the session may only
        change it, services.auth.PasswordChangeActor). The user's open sessions end (end reason
        "password_reset"): whoever holds one logs in again. One's own password is changed with the old one
        (PermissionDenied SAME_USER here). InputError WEAK_PASSWORD, Refusal VERSION_CONFLICT, NotFound
        UNKNOWN_USER. Audited `user.password_reset` (never the password) with the number of sessions ended."""
        require_role(actor, Role.ADMIN, action="reset passwords")
        from workstation.services.auth import validate_password

        validate_password(new_password)
        auth = self.services.auth
        pw_hash = auth._ph.hash(new_password)  # outside the write: argon2 is deliberately slow
        with self.ctx.db.write() as s:
            user = self._user(s, login, version)
            if user.id == actor.user_id:
                raise PermissionDenied("change your own password with the old one", code=ErrorCode.SAME_USER)
            user.password_hash = pw_hash
            was_locked = user.locked_at is not None
            user.locked_at = None
            user.failed_logins = 0
            user.must_change_password = True
            ended = auth.end_user_sessions(s, user.id, "password_reset", actor.user_id)
            s.flush()
            audit.append(s, actor.audit, "user.password_reset", "user", user.id,
                         {"login": login, "unlocked": was_locked, "sessions_ended": len(ended)},
                         now=self.ctx.now())
            return self._row(s, user)

    def _row(self, s: Session, user: User) -> UserRow:
        from db.models_ssh import UserSshKey

        n = s.scalar(select(func.count(UserSshKey.id)).where(UserSshKey.user_id == user.id,
                                                              UserSshKey.revoked_at.is_(None)))
        return UserRow(user.login, user.full_name, user.nip, frozenset(Role(r) for r in user.role_codes),
                       user.active, user.locked_at is not None, user.failed_logins, user.version, n or 0)

    # -- sessions ----------------------------------------------------------------------------------------
    def end_session(self, actor: Actor, session_id: uuid.UUID, reason: str) -> None:
        """End another user's session (admin or supervisor): the user's screen locks at its next heartbeat.
        PermissionDenied SAME_USER for one's own (log out instead); the rest as services.auth.end_session,
        audited `session.end`."""
        require_role(actor, Role.ADMIN, Role.SUPERVISOR, action="end sessions")
        reason = inputs.text(reason, "reason", max_len=500)
        if session_id == actor.session_id:
            raise PermissionDenied("log out to end your own session", code=ErrorCode.SAME_USER)
        self.services.auth.end_session(actor, session_id, reason)

    # -- rule sets and rates -----------------------------------------------------------------------------
    def rule_sets(self, actor: Actor) -> list[RuleSetRow]:
        """The rule-set files of this installation and those only recorded (a decision used a version since
        corrected), each with how many decisions used it. A decision keeps its rule set's id and hash: a new
        or corrected file never changes it."""
        require_role(actor, Role.ADMIN, Role.SUPERVISOR, action="see rule sets")
        from db.models_passenger import EcdDecisionRow
        from db.models_pib import PibDetermination
        from db.models_plp import PlpRequestRow
        from workstation.rules.ruleset import all_rulesets

        counts: dict[str, int] = {}
        with self.ctx.db.read() as s:
            for col in (EcdDecisionRow.ruleset, PibDetermination.ruleset_id, PlpRequestRow.ruleset):
                for rid, n in s.execute(select(col, func.count()).group_by(col)):
                    counts[rid] = counts.get(rid, 0) + n
            recorded = list(s.scalars(select(RuleSetRecord).order_by(RuleSetRecord.kind, RuleSetRecord.valid_from)))
        out: dict[tuple[str, str], RuleSetRow] = {}
        for r in all_rulesets(extra_dir=self.ctx.settings.rulesets_dir):
            out[(r.id, r.sha256)] = RuleSetRow(r.id, r.kind, r.valid_from, r.valid_to, r.sha256, r.title, True,
                                               counts.get(r.id, 0))
        for rec in recorded:
            if (rec.id, rec.sha256) not in out:
                out[(rec.id, rec.sha256)] = RuleSetRow(rec.id, rec.kind, rec.valid_from, rec.valid_to, rec.sha256,
                                                       "", False, counts.get(rec.id, 0))
        return sorted(out.values(), key=lambda r: (r.kind, r.valid_from, r.shipped))

    def rates(self, actor: Actor, currency: str = "", limit: int = LIST_LIMIT) -> list[RateRow]:
        """Stored NDPBM rates, newest week first; `currency` filters (e.g. USD)."""
        require_role(actor, Role.ADMIN, Role.SUPERVISOR, action="see exchange rates")
        q = select(ExchangeRate).order_by(ExchangeRate.valid_from.desc(), ExchangeRate.currency).limit(limit)
        if currency.strip():
            q = q.where(ExchangeRate.currency == currency.strip().upper())
        with self.ctx.db.read() as s:
            return [RateRow(r.currency, Decimal(r.rate_idr), r.valid_from, r.valid_to, r.source)
                    for r in s.scalars(q)]

    # -- blocked importers -------------------------------------------------------------------------------
    def importer_blocks(self, actor: Actor, search: str = "", *, include_lifted: bool = False) -> list[BlockRow]:
        """Blocked importers (admin, supervisor, examiner), newest first; `search` matches NPWP or name."""
        require_role(actor, Role.ADMIN, Role.SUPERVISOR, Role.EXAMINER, action="see blocked importers")
        from db.models_pib import ImporterBlock

        q = (select(ImporterBlock, User.login).outerjoin(User, User.id == ImporterBlock.blocked_by)
             .order_by(ImporterBlock.blocked_at.desc()).limit(LIST_LIMIT))
        if not include_lifted:
            q = q.where(ImporterBlock.lifted_at.is_(None))
        if search.strip():
            pat = _like(search)
            q = q.where(or_(ImporterBlock.npwp.like(pat, escape="\\"),
                            func.lower(ImporterBlock.name).like(pat, escape="\\")))
        with self.ctx.db.read() as s:
            return [BlockRow(b.npwp, b.name, b.reason, b.blocked_at, login or "-", b.lifted_at, b.lift_reason or "")
                    for b, login in s.execute(q)]

    def block_importer(self, actor: Actor, npwp: str, name: str, reason: str) -> BlockRow:
        """Block an importer (admin or supervisor): its next PIBs are rejected. InputError NPWP, REQUIRED,
        TOO_LONG; Refusal ALREADY_BLOCKED. The PIB service's write path (audited `importer.block`)."""
        info = self.services.pib.block_importer(actor, npwp, name, reason)
        return BlockRow(info.npwp, info.name, info.reason, info.blocked_at, info.blocked_by, None, "")

    def unblock_importer(self, actor: Actor, npwp: str, reason: str) -> None:
        """Lift a block (admin or supervisor). InputError REQUIRED (reason); Refusal NOT_BLOCKED. The PIB
        service's write path (audited `importer.unblock`)."""
        self.services.pib.unblock_importer(actor, npwp, reason)

    # -- tariff and lartas -------------------------------------------------------------------------------
    def tariff_posts(self, actor: Actor, search: str = "") -> list[TariffRow]:
        """Tariff posts by HS code; `search` matches the start of the HS code or a word of the description."""
        require_role(actor, Role.ADMIN, Role.SUPERVISOR, Role.EXAMINER, action="see the tariff")
        from db.models_pib import TariffPost

        q = select(TariffPost).order_by(TariffPost.hs_code).limit(LIST_LIMIT)
        term = search.strip().replace(".", "")
        if term:
            q = q.where(or_(TariffPost.hs_code.like(term.replace("%", "").replace("_", "") + "%"),
                            func.lower(TariffPost.description).like(_like(search), escape="\\")))
        with self.ctx.db.read() as s:
            return [TariffRow(t.hs_code, t.description, f"{t.bm_rate.normalize():f}") for t in s.scalars(q)]

    def lartas_rules(self, actor: Actor, search: str = "") -> list[LartasRow]:
        """Lartas rules by HS prefix; `search` matches the prefix, the permit or the agency."""
        require_role(actor, Role.ADMIN, Role.SUPERVISOR, Role.EXAMINER, action="see the lartas rules")
        from db.models_pib import LartasRule

        q = select(LartasRule).order_by(LartasRule.hs_prefix).limit(LIST_LIMIT)
        if search.strip():
            pat = _like(search)
            q = q.where(or_(LartasRule.hs_prefix.like(pat, escape="\\"),
                            func.lower(LartasRule.permit).like(pat, escape="\\"),
                            func.lower(LartasRule.agency).like(pat, escape="\\")))
        with self.ctx.db.read() as s:
            return [LartasRow(r.hs_prefix, r.permit, r.agency) for r in s.scalars(q)]

    # -- TPS registry ------------------------------------------------------------------------------------
    def tps_list(self, actor: Actor) -> list[TpsView]:
        """The TPS registry with occupancy (services.plp.tps_overview); changes go through services.plp.save_tps
        (supervisor/admin, audited `plp.tps_save`)."""
        require_role(actor, Role.ADMIN, Role.SUPERVISOR, action="see the TPS registry")
        return self.services.plp.tps_overview()

    # -- field units -------------------------------------------------------------------------------------
    def units(self, actor: Actor) -> list[UnitRow]:
        """The field units registered on this (central) database, by code. Adding one and issuing a new token
        are workstation/sync/central.py's (CentralSync.add_unit / reenrol_unit, admin, audited): the screen
        calls them there, as `workstation unit add` does (services sit below sync)."""
        require_role(actor, Role.ADMIN, Role.SUPERVISOR, action="see field units")
        from db.models_sync import SyncUnit

        with self.ctx.db.read() as s:
            return [UnitRow(u.code, u.name, u.epoch, u.enrolled_at is not None, u.revoked_at is not None,
                            u.last_seen_at, u.token_hash is not None)
                    for u in s.scalars(select(SyncUnit).order_by(SyncUnit.code))]

    @staticmethod
    def unit_code(code: str) -> str:
        """A unit code as central.py wants it (1-6 letters or digits, upper case), refused with an example:
        InputError PATTERN (code)."""
        value = (code or "").strip().upper()
        if not value or len(value) > 6 or not (value.isascii() and value.isalnum()):
            raise InputError("1-6 letters or digits", code=ErrorCode.PATTERN, field="code",
                             params={"example": "PTK1", "value": value[:20]})
        return value

    def revoke_unit(self, actor: Actor, code: str, reason: str) -> None:
        """Refuse every further request of a unit (lost or stolen machine), with a required reason kept in the
        audit entry `sync.unit_revoke`. Refusal SYNC_UNKNOWN_UNIT; ALREADY_DONE when already revoked;
        InputError PATTERN (code), REQUIRED (reason)."""
        require_role(actor, Role.ADMIN, action="unit.revoke")
        from db.models_sync import SyncUnit

        code = self.unit_code(code)
        reason = inputs.text(reason, "reason", max_len=500)
        with self.ctx.db.write() as s:
            u = s.get(SyncUnit, code)
            if u is None:
                raise Refusal(code=ErrorCode.SYNC_UNKNOWN_UNIT, params={"unit": code})
            if u.revoked_at is not None:
                raise Refusal(f"unit {code} is already revoked", code=ErrorCode.ALREADY_DONE, params={"unit": code})
            u.revoked_at = self.ctx.now()
            u.token_hash = None
            audit.append(s, actor.audit, "sync.unit_revoke", "unit", code, {"reason": reason}, now=self.ctx.now())
