"""The supervisor's dashboard (issue #15 item 1): live figures of the office's work, read-only.

One `snapshot()` returns every figure as a typed, frozen view; `detail()` returns the list behind one figure.
The screen polls `snapshot()` every few seconds in a thread worker: changes committed by other sessions show up
within one poll. Nothing here loads the cases of the history into Python — every figure is either a count or sum
done in SQL over an index, or a short list bounded by what is open now:

- queues: open cases per workflow and state — `GROUP BY kind, state` with `state IN (open states)` per kind on
  ix_cases_state (kind, state): the released/closed cases, nearly all rows of a long history, are never read;
- SLA breaches: the daily report's typed queries for today (workstation/services/pib/queries.py,
  workstation/services/plp/queries.py) plus NPD/DNP requests whose answer is past due (ix_pib_requests_open);
- lanes of the day: e-CDs opened today per lane (ix_cases_opened, the index alone answers);
- officer workload: open cases per `assigned_to` (ix_cases_state again);
- print failures: print_jobs FAILED (index on status);
- field units: sync_units (central's registry: one row per unit — counts and last contact);
- devices: the health the device manager reports (passed in by the caller: the services do not own it).

Figures carry their kind/state codes, never translated (DOMAIN.md: codes and numbers are not translated).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Case, PrintJob, User
from db.models_pib import PibCase, PibRequest
from db.models_sync import SyncUnit
from workstation.domain import ecd as ecd_domain
from workstation.domain import pib as pib_domain
from workstation.domain import plp as plp_domain
from workstation.domain.codes import CaseKind, Role
from workstation.domain.errors import ErrorCode
from workstation.errors import InputError
from workstation.i18n import N_
from workstation.services.base import Actor, ServiceContext, require_role
from workstation.services.ecd import queries as ecd_q
from workstation.services.pib import queries as pib_q
from workstation.services.plp import queries as plp_q
from workstation.services.report import day_bounds

# Open states per case kind: every state of the workflow's table that is not final (workstation/domain/*.py).
OPEN_STATES: dict[str, tuple[str, ...]] = {
    CaseKind.ECD.value: tuple(s for s in ecd_domain.FLOW.states if s not in ecd_domain.FLOW.final),
    CaseKind.PIB.value: tuple(s for s in pib_domain.FLOW.states if s not in pib_domain.FLOW.final),
    CaseKind.PLP.value: tuple(s for s in plp_domain.FLOW.states if s not in plp_domain.FLOW.final),
}
ANSWERED_REQUESTS = ("NPD", "DNP")  # PIB requests whose answer has a due date the importer must meet
UNIT_STALE = dt.timedelta(hours=24)  # a field unit not heard of for this long is shown as stale
DETAIL_LIMIT = 500  # rows a detail list shows at most (the figure itself is the exact count)

# Figure groups (the screen's sections) and breach kinds: codes, never translated.
GROUPS = ("queue", "breach", "lane", "workload", "print", "unit", "device")
BREACH_KINDS = ("PIB_SLA", "SPTNP", "NPD_DNP", "PLP", "BTD_PIB", "BTD_TPS")

# Column headings of the detail lists (English source strings; the screen translates them).
H_REF, H_STATE, H_OPENED, H_ASSIGNED = N_("Reference"), N_("State"), N_("Opened"), N_("Assigned to")
H_DUE, H_WHAT, H_NUMBER, H_TARGET = N_("Due"), N_("What"), N_("Number"), N_("Printer")
H_TRIES, H_ERROR, H_UNIT, H_NAME = N_("Tries"), N_("Error"), N_("Unit"), N_("Name")
H_SEEN, H_DEVICE, H_KIND, H_SINCE = N_("Last contact"), N_("Device"), N_("Kind"), N_("Since")


@dataclass(frozen=True)
class Figure:
    """One figure of the dashboard. `group` one of GROUPS; `label` its codes (e.g. "PIB SPJM", "green",
    a login, a breach kind); `count` the exact number; `key` what `detail(group, key)` takes; `alert` when the
    figure needs attention (a breach, a failure, a stale unit, a device down)."""

    group: str
    label: str
    count: int
    key: str
    alert: bool = False


@dataclass(frozen=True)
class UnitsSummary:
    """Field units in central's registry: how many, revoked, enrolled but not heard of within UNIT_STALE,
    never seen, and the most recent contact of any (UTC, None when none ever synced)."""

    total: int
    revoked: int
    stale: int
    never_seen: int
    last_contact: dt.datetime | None


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard shows, as of `at` (UTC) on business day `day` (office zone)."""

    at: dt.datetime
    day: dt.date
    figures: tuple[Figure, ...]
    units: UnitsSummary

    def group(self, name: str) -> tuple[Figure, ...]:
        return tuple(f for f in self.figures if f.group == name)

    def count(self, group: str, key: str) -> int:
        """The figure's count, 0 when it is not shown (nothing to count)."""
        return next((f.count for f in self.figures if f.group == group and f.key == key), 0)


@dataclass(frozen=True)
class DetailList:
    """The list behind a figure: `headings` (English source strings, translated by the screen) and rows of
    plain text cells (stored values: shown as text, never markup). `truncated` when more than DETAIL_LIMIT."""

    title: str
    headings: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    truncated: bool = False


@dataclass(frozen=True)
class DeviceState:
    name: str
    kind: str
    state: str  # starting | connected | disconnected | error | stopped | not started
    since: dt.datetime | None
    detail: str


def text_bar(value: int, largest: int, width: int = 20) -> str:
    """A horizontal bar of `value` against `largest` in whole cells (at least one cell for a non-zero value;
    integer arithmetic). The screens print the figure beside it: the bar only helps the eye."""
    if value <= 0 or largest <= 0:
        return ""
    return "█" * max(1, (value * width + largest // 2) // largest)


# -- index-bounded queries --------------------------------------------------------------------------------------
def open_queues(s: Session) -> list[tuple[str, str, int]]:
    """(kind, state, count) of open cases, one GROUP BY per kind over ix_cases_state (kind, state)."""
    out: list[tuple[str, str, int]] = []
    for kind, states in OPEN_STATES.items():
        rows = s.execute(select(Case.state, func.count()).where(Case.kind == kind, Case.state.in_(states))
                         .group_by(Case.state)).all()
        counts = {state: int(n) for state, n in rows}
        out += [(kind, state, counts[state]) for state in states if counts.get(state)]
    return out


def workload(s: Session) -> list[tuple[uuid.UUID, str, int]]:
    """(user id, login, open cases assigned to them), most loaded first: per kind over ix_cases_state."""
    per_user: dict[uuid.UUID, int] = {}
    for kind, states in OPEN_STATES.items():
        for user_id, n in s.execute(select(Case.assigned_to, func.count())
                                    .where(Case.kind == kind, Case.state.in_(states), Case.assigned_to.is_not(None))
                                    .group_by(Case.assigned_to)):
            if user_id is not None:
                per_user[user_id] = per_user.get(user_id, 0) + int(n)
    if not per_user:
        return []
    logins = dict(s.execute(select(User.id, User.login).where(User.id.in_(sorted(per_user)))).all())
    rows = [(uid, logins.get(uid, str(uid)[:8]), n) for uid, n in per_user.items()]
    return sorted(rows, key=lambda r: (-r[2], r[1]))


def late_requests(s: Session, day: dt.date) -> list[tuple[str, str, dt.date, str | None]]:
    """(aju, kind, due date, assignee login) of NPD/DNP requests unanswered with a due date before `day`:
    ix_pib_requests_open (answered_at, kind) reads only the open requests."""
    rows = s.execute(select(PibCase.aju, PibRequest.kind, PibRequest.due_on, Case.assigned_to)
                     .join(PibCase, PibCase.case_id == PibRequest.case_id).join(Case, Case.id == PibRequest.case_id)
                     .where(PibRequest.answered_at.is_(None), PibRequest.kind.in_(ANSWERED_REQUESTS),
                            PibRequest.due_on < day)).all()
    ids = {r.assigned_to for r in rows if r.assigned_to is not None}
    logins = dict(s.execute(select(User.id, User.login).where(User.id.in_(sorted(ids)))).all()) if ids else {}
    return sorted(((r.aju, r.kind, r.due_on, logins.get(r.assigned_to)) for r in rows), key=lambda r: (r[2], r[0]))


def sync_units(s: Session) -> list[SyncUnit]:
    """Central's registry of field units (one row per unit; a registry, not a history)."""
    return list(s.scalars(select(SyncUnit).order_by(SyncUnit.code)))


def failed_prints(s: Session, limit: int = DETAIL_LIMIT) -> tuple[int, list[PrintJob]]:
    """(count, oldest first up to `limit`) of print jobs FAILED (kept for retry): the status index."""
    n = int(s.scalar(select(func.count()).select_from(PrintJob).where(PrintJob.status == "FAILED")) or 0)
    jobs = list(s.scalars(select(PrintJob).where(PrintJob.status == "FAILED").order_by(PrintJob.created_at)
                          .limit(limit)))
    return n, jobs


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def device_states(health: Mapping[str, Any] | None, specs: list[Any]) -> list[DeviceState]:
    """The devices' health as the device manager reports it (`health`: name → devices.events.DeviceHealth),
    or, where no manager runs in this process, the configured devices as "not started"."""
    if health:
        return [DeviceState(name, str(getattr(h, "kind", "")), str(getattr(h, "state", "?")),
                            getattr(h, "since", None), str(getattr(h, "last_error", None) or getattr(h, "detail", None)
                                                           or ""))
                for name, h in sorted(health.items())]
    return [DeviceState(str(getattr(sp, "name", "?")), str(getattr(sp, "kind", "")), "not started", None, "")
            for sp in specs]


class DashboardService:
    """Read-only: every method needs the supervisor role and opens only read sessions."""

    def __init__(self, ctx: ServiceContext):
        self.ctx = ctx

    def _device_specs(self) -> list[Any]:
        from devices.config import parse_device_configs

        try:
            return list(parse_device_configs(self.ctx.settings.devices))
        except Exception:  # a bad device configuration is the start-up's error to report, not the dashboard's
            return []

    def _breaches(self, s: Session, day: dt.date, now: dt.datetime) -> dict[str, DetailList]:
        rulesets, zone = self.ctx.settings.rulesets_dir, self.ctx.settings.zone
        end = day_bounds(day, zone)[1]

        def d(value: dt.date) -> str:
            return value.strftime("%d-%m-%Y")

        def t(value: dt.datetime) -> str:
            return value.astimezone(zone).strftime("%d-%m-%Y %H:%M")

        pib = pib_q.determination_breaches(s, day, rulesets_dir=rulesets)
        bills = pib_q.overdue_billings(s, day)
        reqs = late_requests(s, day)
        lines = plp_q.overdue_lines(s, now, rulesets_dir=rulesets)
        btd = pib_q.uncleared_goods(s, day, rulesets_dir=rulesets)
        boxes = plp_q.stored_past_limit(s, day, end, zone=zone, rulesets_dir=rulesets)
        heads = (H_REF, H_STATE, H_DUE, H_ASSIGNED)
        return {
            "PIB_SLA": DetailList("PIB_SLA", heads, tuple((b.aju, b.state, d(b.due_on), b.assignee or "-")
                                                          for b in pib)),
            "SPTNP": DetailList("SPTNP", heads, tuple((b.aju, f"SPTNP {b.code}", d(b.due_on), b.assignee or "-")
                                                      for b in bills)),
            "NPD_DNP": DetailList("NPD_DNP", heads, tuple((aju, kind, d(due), who or "-")
                                                          for aju, kind, due, who in reqs)),
            "PLP": DetailList("PLP", (H_REF, H_WHAT, H_DUE, H_STATE),
                              tuple((f"{o.reference} #{o.seq}", o.what, t(o.due_at), f"{o.gate} {o.tps}")
                                    for o in lines)),
            "BTD_PIB": DetailList("BTD_PIB", heads, tuple((b.aju, b.state, d(b.limit_on), b.assignee or "-")
                                                          for b in btd)),
            "BTD_TPS": DetailList("BTD_TPS", (H_NUMBER, H_WHAT, H_DUE), tuple((c.number, c.tps, d(c.limit_on))
                                                                              for c in boxes)),
        }

    def snapshot(self, actor: Actor, device_health: Mapping[str, Any] | None = None) -> Dashboard:
        """Every figure now. `device_health`: the device manager's health by name, when this process runs one.
        Raises PermissionDenied ROLE_REQUIRED unless `actor` is a supervisor."""
        require_role(actor, Role.SUPERVISOR, action="see the dashboard")
        now, day = self.ctx.now(), self.ctx.today()
        figures: list[Figure] = []
        with self.ctx.db.read() as s:
            for kind, state, n in open_queues(s):
                figures.append(Figure("queue", f"{kind} {state}", n, f"{kind}:{state}"))
            for kind, detail in self._breaches(s, day, now).items():
                figures.append(Figure("breach", kind, len(detail.rows), kind, alert=bool(detail.rows)))
            for lane in ecd_q.opened(s, day):
                figures.append(Figure("lane", lane.lane or "-", lane.count, lane.lane or "-",
                                      alert=lane.lane == "red"))
            for uid, login, n in workload(s):
                figures.append(Figure("workload", login, n, str(uid)))
            n_failed, _ = failed_prints(s, limit=0)
            figures.append(Figure("print", "FAILED", n_failed, "FAILED", alert=n_failed > 0))
            units = sync_units(s)
        summary = self._units_summary(units, now)
        if summary.total:
            figures.append(Figure("unit", "units", summary.total, "all"))
            figures.append(Figure("unit", "stale", summary.stale, "stale", alert=summary.stale > 0))
            figures.append(Figure("unit", "revoked", summary.revoked, "revoked"))
        devices = device_states(device_health, self._device_specs())
        if devices:
            down = sum(1 for x in devices if x.state != "connected")
            figures.append(Figure("device", "devices", len(devices), "all"))
            figures.append(Figure("device", "down", down, "down", alert=down > 0))
        return Dashboard(now, day, tuple(figures), summary)

    @staticmethod
    def _units_summary(units: list[SyncUnit], now: dt.datetime) -> UnitsSummary:
        live = [u for u in units if u.revoked_at is None]
        seen = [_aware(u.last_seen_at) for u in units if u.last_seen_at is not None]
        stale = sum(1 for u in live if u.last_seen_at is not None
                    and now - (_aware(u.last_seen_at) or now) > UNIT_STALE)
        never = sum(1 for u in live if u.last_seen_at is None)
        return UnitsSummary(len(units), len(units) - len(live), stale, never,
                            max((x for x in seen if x is not None), default=None))

    def detail(self, actor: Actor, group: str, key: str,
               device_health: Mapping[str, Any] | None = None) -> DetailList:
        """The list behind the figure (`group`, `key`) of a snapshot. Raises PermissionDenied ROLE_REQUIRED,
        InputError NOT_ONE_OF (group or key)."""
        require_role(actor, Role.SUPERVISOR, action="see the dashboard")
        if group not in GROUPS:
            raise InputError(code=ErrorCode.NOT_ONE_OF, field="group",
                             params={"value": group, "options": ", ".join(GROUPS)})
        zone = self.ctx.settings.zone
        now, day = self.ctx.now(), self.ctx.today()

        def t(value: dt.datetime | None) -> str:
            value = _aware(value)
            return value.astimezone(zone).strftime("%d-%m-%Y %H:%M") if value else "-"

        with self.ctx.db.read() as s:
            if group == "breach":
                lists = self._breaches(s, day, now)
                if key not in lists:
                    raise InputError(code=ErrorCode.NOT_ONE_OF, field="key",
                                     params={"value": key, "options": ", ".join(BREACH_KINDS)})
                return lists[key]
            if group in ("queue", "lane", "workload"):
                return self._cases(s, group, key, day, t)
            if group == "print":
                _, jobs = failed_prints(s)
                return DetailList("FAILED", (H_NUMBER, H_TARGET, H_TRIES, H_ERROR),
                                  tuple((j.number, f"{j.target_kind}:{j.target}", str(j.attempts), j.last_error)
                                        for j in jobs))
            if group == "unit":
                units = sync_units(s)
                return DetailList("units", (H_UNIT, H_NAME, H_SEEN, H_STATE),
                                  tuple((u.code, u.name, t(u.last_seen_at),
                                         "REVOKED" if u.revoked_at else ("NEVER" if u.last_seen_at is None else
                                                                         "STALE" if now - (_aware(u.last_seen_at)
                                                                                           or now) > UNIT_STALE
                                                                         else "OK"))
                                        for u in units))
        devices = device_states(device_health, self._device_specs())
        return DetailList("devices", (H_DEVICE, H_KIND, H_STATE, H_SINCE, H_ERROR),
                          tuple((x.name, x.kind, x.state, t(x.since), x.detail) for x in devices))

    def _cases(self, s: Session, group: str, key: str, day: dt.date, t: Any) -> DetailList:
        q = select(Case.reference, Case.kind, Case.state, Case.opened_on, Case.assigned_to)
        if group == "queue":
            kind, _, state = key.partition(":")
            if state not in OPEN_STATES.get(kind, ()):
                raise InputError(code=ErrorCode.NOT_ONE_OF, field="key", params={
                    "value": key, "options": ", ".join(f"{k}:{x}" for k, v in OPEN_STATES.items() for x in v)})
            conds = [q.where(Case.kind == kind, Case.state == state)]  # ix_cases_state
        elif group == "lane":  # ix_cases_opened (opened_on, kind, lane)
            lane = None if key == "-" else key
            conds = [q.where(Case.opened_on == day, Case.kind == CaseKind.ECD.value,
                             Case.lane.is_(None) if lane is None else Case.lane == lane)]
        else:
            try:
                uid = uuid.UUID(key)
            except ValueError:
                raise InputError(code=ErrorCode.INVALID_VALUE, field="key", params={"value": key}) from None
            conds = [q.where(Case.kind == kind, Case.state.in_(states), Case.assigned_to == uid)
                     for kind, states in OPEN_STATES.items()]
        rows = [r for c in conds for r in s.execute(c.order_by(Case.opened_on, Case.reference)
                                                    .limit(DETAIL_LIMIT + 1)).all()]
        ids = {r.assigned_to for r in rows if r.assigned_to is not None}
        logins = dict(s.execute(select(User.id, User.login).where(User.id.in_(sorted(ids)))).all()) if ids else {}
        out = tuple((r.reference, f"{r.kind} {r.state}", r.opened_on.strftime("%d-%m-%Y"),
                     logins.get(r.assigned_to, "-")) for r in rows[:DETAIL_LIMIT])
        return DetailList(key if group != "workload" else "workload", (H_REF, H_STATE, H_OPENED, H_ASSIGNED), out,
                          truncated=len(rows) > DETAIL_LIMIT)
