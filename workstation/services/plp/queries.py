"""Typed look-ups over the PLP tables for the daily report: requests opened on a day, container/package lines
overdue at a gate at the end of the day, and containers in a TPS past the storage limit (BTD).

Each function takes an open `Session` and plain values (the day and its UTC bounds `start` <= t < `end`),
reads with `select`s bounded by an index (migration 0005) and returns frozen dataclasses. Due times come from
the request's own rule set, as the PLP service computes them."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from db.models import Case
from db.models_plp import PlpLine, PlpRequestRow, TpsContainer
from workstation.domain.codes import CaseKind
from workstation.domain.plp import LINE_OPEN, LineState
from workstation.errors import InputError, Refusal
from workstation.rules.pib import tps_storage_deadline
from workstation.rules.plp import gate_in_due, gate_out_due
from workstation.rules.ruleset import RuleSet, ruleset_by_id, ruleset_for

KIND = CaseKind.PLP.value
# The upper bound of "after the day" ranges: with both bounds SQLite's planner takes the index even when the
# statistics of a long history are in (see workstation/services/pib/queries.py LAST_DATE).
LAST_TIME = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)


@dataclass(frozen=True)
class OverdueLine:
    """A line that should have passed a gate by the end of the day: OUT at the origin (approved, not out), or
    IN at the destination (out, not in)."""

    case_id: uuid.UUID
    reference: str  # the PLP letter number, or the request reference before one was issued
    seq: int
    what: str  # the container number, or the B/L of a package line
    gate: str  # OUT | IN: the movement that is late
    tps: str  # where it is due
    due_at: dt.datetime  # UTC


@dataclass(frozen=True)
class StoredPastLimit:
    """BTD: a container stored in a TPS at the end of the day, past the storage limit counted from its first
    storage (a PLP move carries the first-storage time over)."""

    number: str
    tps: str
    first_stored_at: dt.datetime  # UTC
    limit_on: dt.date  # the last day it may lie in a TPS


def opened(s: Session, day: dt.date) -> int:
    """PLP requests opened on `day` (business date, office zone). ix_cases_opened."""
    return int(s.scalar(select(func.count()).select_from(Case).where(Case.opened_on == day, Case.kind == KIND)) or 0)


@cache
def _plp_ruleset(ruleset_id: str, rulesets_dir: Path | str | None) -> RuleSet:
    return ruleset_by_id(ruleset_id, rulesets_dir)


def overdue_lines(s: Session, end: dt.datetime, *, rulesets_dir: Path | str | None = None
                  ) -> tuple[OverdueLine, ...]:
    """Lines overdue at `end` (UTC, the end of the report day): approved before `end`, not out by `end`, past
    the gate-out time; or out before `end`, not in by `end`, past the gate-in time. Candidates are the lines
    open now (ix_plp_lines_state) and those that moved only after `end` (ix_plp_lines_out_at / _in_at): a
    bounded set, whatever the history. One statement per index (an OR of the three lets a planner read the
    cases whole); the case reference is read only for the late lines without a PLP number."""
    base = select(PlpLine, PlpRequestRow).join(PlpRequestRow, PlpRequestRow.case_id == PlpLine.case_id)
    rows = {line.id: (line, req) for cond in (PlpLine.state.in_([s.value for s in LINE_OPEN]),
                                              and_(PlpLine.out_at >= end, PlpLine.out_at < LAST_TIME),
                                              and_(PlpLine.in_at >= end, PlpLine.in_at < LAST_TIME))
            for line, req in s.execute(base.where(cond)).all()}
    late = []
    for line, req in rows.values():
        if req.decided_at is None or req.decided_at >= end or line.state in (
                LineState.PENDING, LineState.REJECTED, LineState.CANCELLED):
            continue
        rs = _plp_ruleset(req.ruleset, rulesets_dir)
        if line.out_at is None or line.out_at >= end:
            gate, tps, due = "OUT", req.origin_tps, gate_out_due(req.decided_at, ruleset=rs)
        elif line.in_at is None or line.in_at >= end:
            gate, tps, due = "IN", req.destination_tps, gate_in_due(line.out_at, ruleset=rs)
        else:
            continue
        if end > due:
            late.append((line, req, gate, tps, due))
    unnumbered = sorted({line.case_id for line, req, *_ in late if not req.plp_number})
    refs = dict(s.execute(select(Case.id, Case.reference).where(Case.id.in_(unnumbered))).all()) if unnumbered else {}
    out = [OverdueLine(line.case_id, req.plp_number or refs.get(line.case_id, "-"), line.seq,
                       line.container_number or line.bl_awb or "-", gate, tps, due)
           for line, req, gate, tps, due in late]
    return tuple(sorted(out, key=lambda o: (o.due_at, o.reference, o.seq)))


def stored_past_limit(s: Session, day: dt.date, end: dt.datetime, *, zone: dt.tzinfo,
                      rulesets_dir: Path | str | None = None) -> tuple[StoredPastLimit, ...]:
    """Containers in a TPS at `end` (left_at NULL or later) whose storage limit (first storage day in `zone`
    + the pib rule set's TPS days) is before `day`. Two range scans of ix_plp_tps_containers_left
    (left_at, first_stored_at); the candidates are at most what the yards hold."""
    base = select(TpsContainer.number, TpsContainer.tps_code, TpsContainer.first_stored_at)
    cut = end - dt.timedelta(days=1)  # stored at least a day before the day's end: the limit is >= 1 day
    rows = [*s.execute(base.where(TpsContainer.left_at.is_(None), TpsContainer.first_stored_at < cut,
                                  TpsContainer.stored_at < end)),
            *s.execute(base.where(TpsContainer.left_at >= end, TpsContainer.left_at < LAST_TIME,
                                  TpsContainer.first_stored_at < cut, TpsContainer.stored_at < end))]
    out = []
    for number, tps, first in rows:
        first_day = first.astimezone(zone).date()
        try:
            limit = tps_storage_deadline(first_day, ruleset=_pib_ruleset(first_day, day, rulesets_dir))
        except (Refusal, InputError):  # no pib rule set at all: no limit to judge by
            continue
        if day > limit:
            out.append(StoredPastLimit(number, tps, first, limit))
    return tuple(sorted(out, key=lambda c: (c.limit_on, c.tps, c.number)))


def _pib_ruleset(day: dt.date, fallback: dt.date, rulesets_dir: Path | str | None) -> RuleSet:
    try:
        return ruleset_for("pib", day, rulesets_dir)
    except Refusal:
        return ruleset_for("pib", fallback, rulesets_dir)
