"""Clocks and queues: the determination SLA (N days from registration, rule set), the TPS storage limit (BTD),
the flags a queue row carries, and the examiners' and the hangar's work queues sorted breaches first."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from db.models import Case, User
from db.models_pib import PibBilling, PibCase, PibInstruction, PibRequest
from workstation import inputs
from workstation.domain.codes import CaseKind, Role
from workstation.domain.pib import AWAITING_DETERMINATION, LHP_OPEN, WITHOUT_SPPB, PibState
from workstation.rules import pib as rules
from workstation.services.base import Actor, require_role
from workstation.services.pib.base import PibBase
from workstation.services.pib.views import QueueRow, Sla

# Queue flags (never translated)
FLAG_SLA_BREACH = "SLA_BREACH"  # registered, not determined, the determination deadline has passed
FLAG_BTD = "BTD"  # in the TPS past the storage limit without SPPB: uncleared goods
FLAG_LARTAS = "LARTAS"  # a line needs a permit it does not have
FLAG_ENFORCEMENT = "ENFORCEMENT"  # referred to the enforcement unit
FLAG_OPEN_REQUEST = "OPEN_REQUEST"  # an NPD/DNP/lab request awaits its answer
FLAG_SPTNP_OVERDUE = "SPTNP_OVERDUE"  # SPTNP shortfall unpaid after its due date

QUEUES = ("desk", "hangar")
OPEN_STATES = sorted(x.value for x in PibState if x is not PibState.RELEASED)  # the desk queue's states


class SlaMixin(PibBase):
    def _sla(self, pc: PibCase, state: str, today: dt.date, *, open_requests: bool = False,
             sptnp_overdue: bool = False) -> Sla:
        """Days since registration, the determination due date, days in the TPS and its limit, and the flags."""
        days = due = None
        flags: list[str] = []
        if pc.registered_on is not None:
            days = (today - pc.registered_on).days
            due = rules.determination_due(pc.registered_on, ruleset=self.ruleset(pc.registered_on))
            if state in AWAITING_DETERMINATION and today > due:
                flags.append(FLAG_SLA_BREACH)
        storage_rs = self._ruleset_near(pc.first_storage_on, today)
        limit = rules.tps_storage_deadline(pc.first_storage_on, ruleset=storage_rs)
        if state in WITHOUT_SPPB and rules.is_uncleared_goods(pc.first_storage_on, today, ruleset=storage_rs):
            flags.append(FLAG_BTD)
        if any(f.get("missing") for f in (pc.lartas or [])) and state not in (PibState.SPPB, PibState.RELEASED):
            flags.append(FLAG_LARTAS)
        if pc.enforcement:
            flags.append(FLAG_ENFORCEMENT)
        if open_requests:
            flags.append(FLAG_OPEN_REQUEST)
        if sptnp_overdue:
            flags.append(FLAG_SPTNP_OVERDUE)
        return Sla(days, due, (today - pc.first_storage_on).days, limit, tuple(flags))

    def queue(self, actor: Actor, *, view_name: str = "desk", include_closed: bool = False,
              submitted: bool = False) -> list[QueueRow]:
        """Work queues. `desk`: the examiners' (every open PIB; supervisors the same, with the flags).
        `hangar`: PIBs in inspection — an inspector sees those the IP assigns to them, a supervisor all; with
        `submitted` also those whose LHP is submitted and still amendable (in research), after the others.
        Rows carry the days since registration, the determination due date and the flags; breaches first,
        then the oldest registration. Raises InputError NOT_ONE_OF (queue)."""
        view_name = inputs.choice(view_name, "queue", QUEUES, upper=False)
        if view_name == "hangar":
            require_role(actor, Role.INSPECTOR, Role.SUPERVISOR, action="see the inspection queue")
        else:
            require_role(actor, Role.EXAMINER, Role.SUPERVISOR, Role.ADMIN, action="see the PIB queue")
        today = self.ctx.today()
        with self.ctx.db.read() as s:
            q = select(Case, PibCase).join(PibCase, PibCase.case_id == Case.id).where(Case.kind == CaseKind.PIB.value)
            if view_name == "hangar":
                q = q.where(Case.state.in_(sorted(x.value for x in LHP_OPEN)))
                if not actor.has(Role.SUPERVISOR):
                    q = q.where(PibCase.inspector_id == actor.user_id)
            elif not include_closed:
                # The open states by name, not "!= RELEASED": an IN list walks ix_cases_state (kind, state)
                # and never reads the released cases, which are nearly all of them in a long history.
                q = q.where(Case.state.in_(OPEN_STATES))
            rows = s.execute(q).all()
            logins = dict(s.execute(select(User.id, User.login)).all())
            open_ids = set(s.scalars(  # ix_pib_requests_open: only the unanswered requests are read
                select(PibRequest.case_id).where(PibRequest.answered_at.is_(None), PibRequest.kind != "ENFORCEMENT")))
            overdue = set(s.scalars(select(PibBilling.case_id).where(
                PibBilling.kind == "SPTNP", PibBilling.paid_on.is_(None), PibBilling.due_on < today)))
            ips = {}
            ids = [c.id for c, _ in rows]
            for ip in s.scalars(select(PibInstruction).where(PibInstruction.case_id.in_(ids))
                                .order_by(PibInstruction.version)):
                ips[ip.case_id] = ip  # the latest version wins
        out = []
        for case, pc in rows:
            if view_name == "hangar" and case.state == PibState.RESEARCH and not submitted:
                continue  # done in the hangar unless amended; amendments start from the case itself
            sla = self._sla(pc, case.state, today, open_requests=case.id in open_ids,
                            sptnp_overdue=case.id in overdue and case.state == PibState.SPTNP)
            ip = ips.get(case.id)
            out.append(QueueRow(case.id, case.version, pc.aju, pc.importer_name, case.state, pc.registration_number,
                                pc.registered_on, sla.days_since_registration, sla.determination_due,
                                sla.storage_days, sla.flags, logins.get(ip.inspector_id) if ip else None,
                                ip.level_pct if ip else None, tuple(ip.containers or ()) if ip else ()))
        done = view_name == "hangar"  # the hangar's submitted LHPs come after the instructions still to do
        out.sort(key=lambda r: (done and r.state == PibState.RESEARCH, FLAG_SLA_BREACH not in r.flags,
                                FLAG_BTD not in r.flags, r.registered_on or dt.date.max, r.aju))
        return out
