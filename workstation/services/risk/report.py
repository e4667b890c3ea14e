"""Hit rates (issue #16 item 3): per profile, per rule (lane reason) and for random selection over a period —
selections, inspections with an outcome, hits, the hit rate with its 95 % Wilson interval, duties recovered,
and the lift over the random baseline; plus weekly hit rates for the chart.

A case counts in the period by its decision date (risk selections) or its opening date (rules). Reads
risk_selections by (decided_on, kind) and cases by (opened_on, kind, lane) — both indexed."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import or_, select

from db.models import Case
from db.models_risk import RiskOutcome, RiskSelection
from workstation import inputs
from workstation.domain.codes import CaseKind, Lane, LaneReason
from workstation.domain.errors import ErrorCode
from workstation.domain.risk import SUPERVISORS
from workstation.errors import InputError
from workstation.rules.risk import hit_rate, lift
from workstation.services.base import Actor, require_role
from workstation.services.risk import queries as Q
from workstation.services.risk.base import RiskBase
from workstation.services.risk.views import ReportRow, RiskReport, WeekPoint

RISK_REASONS = {LaneReason.RISK_PROFILE.value, LaneReason.RANDOM_SELECTION.value}
MAX_DAYS = 3660


class _Tally:
    __slots__ = ("duties", "hits", "inspected", "selections")

    def __init__(self) -> None:
        self.selections = self.inspected = self.hits = self.duties = 0

    def add(self, hit: bool | None, duties: int | None) -> None:
        self.selections += 1
        if hit is not None:
            self.inspected += 1
            if hit:
                self.hits += 1
                self.duties += duties or 0

    def figures(self) -> Any:
        return hit_rate(self.selections, self.inspected, self.hits, self.duties)


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def compute_report(selections: list[tuple[Any, ...]], red_cases: list[tuple[Any, ...]],
                   names: dict[str, str], date_from: dt.date, date_to: dt.date) -> RiskReport:
    """The report from plain rows: selections (profile codes, random, decided_on, hit or None, duties) and red
    cases (reasons, opened_on, hit or None, duties). Pure: the tests compare it with a direct computation."""
    groups: dict[tuple[str, str], _Tally] = defaultdict(_Tally)
    weeks: dict[dt.date, dict[str, _Tally]] = defaultdict(lambda: defaultdict(_Tally))
    for codes, random, day, hit, duties in selections:
        for code in codes:
            groups[("profile", code)].add(hit, duties)
        if codes:
            weeks[_monday(day)]["targeted"].add(hit, duties)
        if random:
            groups[("random", "RANDOM")].add(hit, duties)
            weeks[_monday(day)]["random"].add(hit, duties)
    for reasons, day, hit, duties in red_cases:
        groups[("all", "ALL")].add(hit, duties)
        rules = sorted(set(reasons) - RISK_REASONS)
        for code in rules:
            groups[("rule", code)].add(hit, duties)
        if rules:
            weeks[_monday(day)]["rules"].add(hit, duties)
    baseline_tally = groups.get(("random", "RANDOM"))
    baseline = baseline_tally.figures().rate if baseline_tally else None
    order = {"profile": 0, "rule": 1, "random": 2, "all": 3}
    rows = []
    for (group, key), tally in sorted(groups.items(), key=lambda kv: (order[kv[0][0]], kv[0][1])):
        fig = tally.figures()
        name = names.get(key, "") if group == "profile" else ""
        rows.append(ReportRow(group, key, name, fig, lift(fig.rate, baseline) if group != "random" else None))
    points = tuple(WeekPoint(w, t["targeted"].figures(), t["random"].figures(), t["rules"].figures())
                   for w, t in sorted(weeks.items()))
    return RiskReport(date_from, date_to, tuple(rows), points)


class ReportMixin(RiskBase):
    def report(self, actor: Actor, date_from: Any, date_to: Any) -> RiskReport:
        """Hit rates from `date_from` to `date_to` (inclusive; at most ten years). Raises InputError
        (DATE_FORMAT, INVALID_VALUE), PermissionDenied ROLE_REQUIRED (supervisors)."""
        require_role(actor, *SUPERVISORS, action="see risk hit rates")
        start = inputs.date(date_from, "from")
        end = inputs.date(date_to, "to")
        if end < start or (end - start).days > MAX_DAYS:
            reason = "'to' must be on or after 'from', at most ten years later"
            raise InputError(reason, code=ErrorCode.INVALID_VALUE, field="to", params={"reason": reason})
        with self.ctx.db.read() as s:
            sel = s.execute(select(RiskSelection.profiles, RiskSelection.random, RiskSelection.decided_on,
                                   RiskOutcome.hit, RiskOutcome.duties_idr)
                            .outerjoin(RiskOutcome, RiskOutcome.case_id == RiskSelection.case_id)
                            .where(RiskSelection.decided_on >= start, RiskSelection.decided_on <= end)).all()
            red = s.execute(select(Case.reasons, Case.opened_on, RiskOutcome.hit, RiskOutcome.duties_idr)
                            .outerjoin(RiskOutcome, RiskOutcome.case_id == Case.id)
                            .where(Case.opened_on >= start, Case.opened_on <= end,
                                   # every PIB here is a red-lane PIB (SPJM) whatever its lane column says
                                   or_(Case.lane == Lane.RED.value, Case.kind == CaseKind.PIB.value))).all()
            names = {r.code: r.name for r in Q.latest_profile_rows(s)}
        selections = [(tuple(p["code"] for p in (profiles or [])), random, day, hit, duties)
                      for profiles, random, day, hit, duties in sel]
        return compute_report(selections, [(tuple(r or ()), d, h, du) for r, d, h, du in red], names, start, end)
