"""The counter's queue of the day (declarations by flight and lane, with counters) and its search (e-CD id,
passport, flight, name). Every query is bounded by the arrival-date, e-CD id or passport index."""

from __future__ import annotations

import datetime as dt
import re
import uuid

from sqlalchemy import func, or_, select

from db.models import Case
from db.models_passenger import EcdDecisionRow, EcdDeclaration
from workstation import inputs
from workstation.services.ecd.base import EcdBase
from workstation.services.ecd.views import QueueData, QueueRow

# The current decision's total (rupiah): its row of the (case_id, seq) index, one look-up per listed case.
_TOTAL_IDR = (select(EcdDecisionRow.total_idr).where(EcdDecisionRow.case_id == Case.id)
              .order_by(EcdDecisionRow.seq.desc()).limit(1).correlate(Case).scalar_subquery())


class QueueMixin(EcdBase):
    def queue(self, day: dt.date | None = None, *, lane: str | None = None, flight: str | None = None,
              state: str | None = None, search: str = "", limit: int = 500) -> QueueData:
        """Declarations arriving on `day` (default today) by flight and lane, with counters per lane."""
        day = day or self.ctx.today()
        flight = (flight or "").strip().upper() or None
        base = (select(EcdDeclaration, Case, _TOTAL_IDR).join(Case, Case.id == EcdDeclaration.case_id)
                .where(EcdDeclaration.arrival_date == day))
        with self.ctx.db.read() as s:
            flights = tuple((f or "-", n) for f, n in s.execute(
                select(EcdDeclaration.flight, func.count()).where(EcdDeclaration.arrival_date == day)
                .group_by(EcdDeclaration.flight).order_by(EcdDeclaration.flight)).all())
            counted = (select(Case.lane, Case.state, func.count()).join(EcdDeclaration, EcdDeclaration.case_id == Case.id)
                       .where(EcdDeclaration.arrival_date == day))
            if flight:
                base = base.where(EcdDeclaration.flight == flight)
                counted = counted.where(EcdDeclaration.flight == flight)
            lanes: dict[str, int] = {"green": 0, "red": 0}
            states: dict[str, int] = {}
            for ln, st, n in s.execute(counted.group_by(Case.lane, Case.state)).all():
                lanes[ln or "-"] = lanes.get(ln or "-", 0) + n
                states[st] = states.get(st, 0) + n
            if lane:
                base = base.where(Case.lane == lane)
            if state:
                base = base.where(Case.state == state)
            text = inputs.search(search, "search")
            if text:
                like, esc = inputs.like_pattern(text.upper())
                base = base.where(or_(func.upper(EcdDeclaration.name).like(like, escape=esc),
                                      EcdDeclaration.passport == text.upper(),
                                      EcdDeclaration.ecd_id == text, EcdDeclaration.flight == text.upper()))
            rows = s.execute(base.order_by(EcdDeclaration.flight, Case.lane.desc(), EcdDeclaration.name)
                             .limit(limit)).all()
            return QueueData(day, tuple(queue_row(d, c, t) for d, c, t in rows), lanes, states, flights)

    def search(self, query: str, *, day: dt.date | None = None, limit: int = 50) -> list[QueueRow]:
        """Counter search: e-CD id or passport (any day), flight or name (arrivals of the day ±1)."""
        text = inputs.text(query, "search", max_len=100)  # the counter search needs something to look for
        upper = text.upper()
        day = day or self.ctx.today()
        near = (day - dt.timedelta(days=1), day + dt.timedelta(days=1))
        q = select(EcdDeclaration, Case, _TOTAL_IDR).join(Case, Case.id == EcdDeclaration.case_id)
        with self.ctx.db.read() as s:
            found: dict[uuid.UUID, tuple[EcdDeclaration, Case, int | None]] = {}
            for cond in (EcdDeclaration.ecd_id == text, EcdDeclaration.passport == upper):
                for d, c, t in s.execute(q.where(cond).order_by(EcdDeclaration.arrival_date.desc())
                                         .limit(limit)).all():
                    found.setdefault(c.id, (d, c, t))
            days = EcdDeclaration.arrival_date.between(*near)
            if re.fullmatch(r"[A-Z0-9]{2}[0-9]{1,4}[A-Z]?", upper):  # looks like a flight number
                for d, c, t in s.execute(q.where(days, EcdDeclaration.flight == upper).limit(limit)).all():
                    found.setdefault(c.id, (d, c, t))
            if len(upper) >= 2 and not any(ch.isdigit() for ch in upper):  # names have no digits
                pattern, esc = inputs.like_pattern(upper)
                for d, c, t in s.execute(q.where(days, func.upper(EcdDeclaration.name).like(pattern, escape=esc))
                                         .limit(limit)).all():
                    found.setdefault(c.id, (d, c, t))
        rows = [queue_row(d, c, t) for d, c, t in found.values()]
        rows.sort(key=lambda r: (abs((r.arrival_date - day).days), r.flight, r.name))
        return rows[:limit]

    def demo_scan_codes(self, limit: int = 12) -> list[str]:
        """`ECD:` codes of stored e-CDs (today's arrivals first), for the demo's F5 key."""
        day = self.ctx.today()
        with self.ctx.db.read() as s:
            ids = list(s.scalars(select(EcdDeclaration.ecd_id).where(EcdDeclaration.source == "import")
                                 .order_by((EcdDeclaration.arrival_date == day).desc(),
                                           EcdDeclaration.arrival_date.desc(), EcdDeclaration.ecd_id)
                                 .limit(limit)))
        return [f"ECD:{i}" for i in ids]


def queue_row(d: EcdDeclaration, c: Case, total_idr: int | None) -> QueueRow:
    """One line of the queue or of a search's results."""
    return QueueRow(c.id, d.ecd_id, d.name, d.passport, d.flight, d.arrival_date, c.lane or "-", c.state,
                    tuple(c.reasons or ()), d.persons, int(total_idr or 0), c.version)

