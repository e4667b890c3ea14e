"""The office this installation works for: its code, name, address, city, phone and time zone — what the
letterhead of every issued document prints and the zone every time is shown in (#12 item 7).

Until someone enters the office, an install only has the defaults of workstation/config.py (Tanjung Priok):
`OfficeView.configured` is False and `require_configured()` refuses (OFFICE_NOT_CONFIGURED), so nothing is
issued under another office's letterhead. The office is configured when the `[office]` table is written in
the configuration file, or when it was entered on the first-run screen (`configure_first_run`, before any user
exists) or by an administrator (`update`).

Where it is kept: the `offices` row (name, address, city, time zone) and, for what that row has no column for
(the phone) and for the fact that it was entered, the audit entry `office.update` of the office — the chain
is append-only, so the newest such entry is the office as last entered. (A `configured_at` and a `phone`
column would make this one row read; see the report of issue #12.) Every change is audited in the same
transaction, and this process's settings follow at once (`ctx.settings.office`), so the letterhead, the
status bar and the clock use the new values without a restart.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select

from db import audit
from db.audit import AuditActor
from db.models import AuditEntry, Office, User
from workstation.domain.codes import Role
from workstation.domain.errors import ErrorCode
from workstation.errors import InputError, Refusal
from workstation.services.base import require_role

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workstation.services import Services
    from workstation.services.base import Actor

ACTION = "office.update"
NOT_CONFIGURED = ErrorCode.OFFICE_NOT_CONFIGURED
FIELDS = ("code", "name", "address", "city", "phone", "timezone")
LIMITS = {"name": 200, "address": 300, "city": 100, "phone": 40, "timezone": 64}
# The zones of Indonesia first (WIB, WITA, WIT): what the form offers; any IANA zone is accepted.
INDONESIAN_ZONES = ("Asia/Jakarta", "Asia/Pontianak", "Asia/Makassar", "Asia/Jayapura")


@dataclass(frozen=True)
class OfficeView:
    code: str
    name: str
    address: str
    city: str
    phone: str
    timezone: str
    configured: bool


def validate(fields: dict[str, Any]) -> dict[str, str]:
    """The office's fields checked and trimmed. Raises InputError (the first wrong field): REQUIRED,
    PATTERN (code: 6 digits), TOO_LONG, NOT_ONE_OF (timezone: an IANA zone such as Asia/Jakarta)."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise InputError(code=ErrorCode.NOT_ONE_OF, field=sorted(unknown)[0],
                         params={"value": sorted(unknown)[0], "options": ", ".join(FIELDS)})
    out = {k: str(v if v is not None else "").strip() for k, v in fields.items()}
    for name in ("code", "name", "address", "city", "timezone"):
        if name in out and not out[name]:
            raise InputError(code=ErrorCode.REQUIRED, field=name)
    if "code" in out and not re.fullmatch(r"[0-9]{6}", out["code"]):
        raise InputError("office code must be 6 digits", code=ErrorCode.PATTERN, field="code",
                         params={"example": "040300"})
    for name, limit in LIMITS.items():
        if len(out.get(name, "")) > limit:
            raise InputError(code=ErrorCode.TOO_LONG, field=name, params={"limit": limit})
    if "timezone" in out:
        try:
            ZoneInfo(out["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise InputError(code=ErrorCode.NOT_ONE_OF, field="timezone",
                             params={"value": out["timezone"], "options": ", ".join(INDONESIAN_ZONES)}) from None
    return out


def _enrolled_unit(s: Session) -> bool:
    """A field unit's office is central's: it came with the enrolment."""
    from db.changes import node

    me = node(s)
    return me is not None and me.role == "unit"


def require_configured_in(s: Session, ctx: Any) -> None:
    """Inside a caller's transaction (issuance.issue_in): Refusal OFFICE_NOT_CONFIGURED unless the office was
    entered. Once it is, the answer is kept on the context (an office never becomes unconfigured again), so
    an issuing transaction pays one indexed look-up per process, not one per document."""
    if getattr(ctx, "_office_configured", False):
        return
    settings = ctx.settings
    configured = ("office" in getattr(settings, "model_fields_set", set())
                  or OfficeService._last_entry(s, settings.office.code) is not None
                  or _enrolled_unit(s))
    if not configured:
        raise Refusal("the office is not configured yet: enter it on the first-run screen or under "
                      "Administration", code=ErrorCode.OFFICE_NOT_CONFIGURED)
    ctx._office_configured = True


class OfficeService:
    def __init__(self, services: Services):
        self.services = services
        self.ctx = services.ctx

    # -- reading ---------------------------------------------------------------------------------------------
    def get(self) -> OfficeView:
        """The office as this installation knows it; `configured` False while only the defaults are known."""
        with self.ctx.db.read() as s:
            return self._view(s)

    def require_configured(self) -> OfficeView:
        """The office, or Refusal OFFICE_NOT_CONFIGURED (nothing may be issued under a default letterhead)."""
        view = self.get()
        if not view.configured:
            raise Refusal("the office is not configured yet: enter it on the first-run screen or under "
                          "Administration", code=ErrorCode.OFFICE_NOT_CONFIGURED)
        return view

    def apply(self) -> OfficeView:
        """Make this process's settings follow the stored office (start-up): the letterhead, the status bar
        and the clock read `ctx.settings.office`."""
        with self.ctx.db.read() as s:
            view = self._view(s)
            if not view.configured:
                entered = self._last_entry(s, None)
                if entered and entered.get("code"):
                    view = OfficeView(**{f: str(entered.get(f, "")) for f in FIELDS}, configured=True)
        if view.configured:
            self._apply(view)
        return view

    def _view(self, s: Session) -> OfficeView:
        o = self.ctx.settings.office
        entered = self._last_entry(s, o.code)
        row = s.get(Office, o.code)
        explicit = "office" in getattr(self.ctx.settings, "model_fields_set", set()) or _enrolled_unit(s)
        phone = entered.get("phone", o.phone) if entered else o.phone
        if row is None:
            return OfficeView(o.code, o.name, o.address, o.city, phone, o.timezone, explicit or bool(entered))
        return OfficeView(row.code, row.name, row.address, row.city, phone, row.timezone,
                          explicit or bool(entered))

    @staticmethod
    def _last_entry(s: Session, code: str | None) -> dict[str, Any] | None:
        """The newest `office.update` of office `code` (of any office when None: the first run may have
        entered another code than the configuration's default)."""
        query = select(AuditEntry.payload).where(AuditEntry.action == ACTION)
        if code is not None:
            query = query.where(AuditEntry.entity_type == "office", AuditEntry.entity_id == code)
        payload = s.scalar(query.order_by(AuditEntry.seq.desc()).limit(1))
        if payload is None:
            return None
        data = json.loads(payload)
        return data if isinstance(data, dict) else {}

    # -- writing ---------------------------------------------------------------------------------------------
    def update(self, actor: Actor, **fields: Any) -> OfficeView:
        """An administrator enters or corrects the office (any of code, name, address, city, phone, timezone;
        the others stay). The code can change only while no document was issued and no user belongs to the
        office under another code — i.e. in practice on the first run. Audited as `office.update` with the
        new values, in the same transaction."""
        require_role(actor, Role.ADMIN, action="change the office")
        values = validate(fields)
        with self.ctx.db.write() as s:
            view = self._write(s, actor.audit, values)
        self._apply(view)
        return view

    def configure_first_run(self, **fields: Any) -> OfficeView:
        """The first-run screen: the office is entered before the administrator exists (all fields but the
        phone required). Refused (ALREADY_SET_UP) once a user exists: then it is the administrator's."""
        values = validate({"phone": "", **fields})
        missing = [f for f in ("code", "name", "address", "city", "timezone") if f not in values]
        if missing:
            raise InputError(code=ErrorCode.REQUIRED, field=missing[0])
        with self.ctx.db.write() as s:
            if s.scalar(select(func.count()).select_from(User)):
                raise Refusal("an administrator already exists; the office is changed under Administration",
                              code=ErrorCode.ALREADY_SET_UP)
            system = AuditActor(None, "system", None, values["code"], self.ctx.settings.unit_code)
            view = self._write(s, system, values)
        self._apply(view)
        return view

    def _write(self, s: Session, who: AuditActor, values: dict[str, str]) -> OfficeView:
        current = self._view(s)
        new = {f: values.get(f, getattr(current, f)) for f in FIELDS}
        if new["code"] != current.code and s.scalar(
                select(func.count()).select_from(User).where(User.office_code == current.code)):
            raise Refusal("the office code cannot change once users belong to the office",
                          code=ErrorCode.ALREADY_SET_UP, field="code")
        row = s.get(Office, new["code"])
        if row is None:
            row = Office(code=new["code"], name=new["name"])
            s.add(row)
        row.name, row.address, row.city, row.timezone = new["name"], new["address"], new["city"], new["timezone"]
        s.flush()
        changed = {f: new[f] for f in FIELDS if new[f] != getattr(current, f)}
        audit.append(s, who, ACTION, "office", new["code"], {**new, "changed": sorted(changed)},
                     now=self.ctx.now())
        return OfficeView(**new, configured=True)

    def _apply(self, view: OfficeView) -> None:
        """This process's settings take the office (pydantic models are copied, never mutated)."""
        settings = self.ctx.settings
        office = settings.office.model_copy(update={f: getattr(view, f) for f in FIELDS})
        new = settings.model_copy(update={"office": office})
        # model_copy keeps model_fields_set: "office" now counts as given
        new.__pydantic_fields_set__.add("office")
        self.ctx.settings = new
