"""Typed look-ups over the PIB tables that other workflows and the reports call: the gate's "is this container
released (SPPB)", and one business day's figures for the daily report (cases opened, duties billed and paid per
levy, breaches open at the end of the day, goods past the TPS storage limit).

Each function takes an open `Session` and plain values, reads the tables with one or two `select`s bounded by
an index (migration 0005; the plans are checked in tests/services/test_queries_pib.py) and returns frozen
dataclasses. None loads the cases of past days into Python: what is summed is summed in SQL, and what needs a
rule-set date (due dates) is computed on the few rows still open on the day.

States come from workstation.domain.pib (names equal the stored values); the module imports nothing of the service
package, so the service may call it."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, and_, cast, func, select
from sqlalchemy.orm import Session

from db.models import Case, Document, User
from db.models_pib import Bc11Line, PibBilling, PibCase
from workstation.domain.codes import CaseKind
from workstation.domain.pib import PibState
from workstation.errors import Refusal
from workstation.rules import pib as rules
from workstation.rules.ruleset import RuleSet, ruleset_for

KIND = CaseKind.PIB.value
BILLING_DECLARED, BILLING_SPTNP = "DECLARED", "SPTNP"  # pib_billings.kind

# The levies of a billing row's `levies` JSON, in report order, with the label the report prints (codes of the
# levies, never translated). `fine_idr` is a column of its own.
LEVY_KEYS = (("BM", "bm_idr"), ("PPN", "ppn_idr"), ("PPnBM", "ppnbm_idr"), ("PPh", "pph_idr"),
             ("Cukai", "excise_idr"))
FINE = "Denda"
# The upper bound of "later than the day" ranges. A one-sided range looks to SQLite's planner like a quarter of
# the table, and once the statistics of a long history are in, it reads the table whole instead; with both
# bounds it takes the index (tests/services/test_queries_growth.py checks the plans on an analysed store).
LAST_DATE = dt.date(9999, 12, 31)


# -- the gate ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SppbRelease:
    """A PIB whose SPPB lets this container out; `version` is the case version the gate's write re-checks."""

    case_id: uuid.UUID
    version: int
    aju: str
    sppb_number: str
    container: str


def release_for_container(s: Session, number: str) -> SppbRelease | None:
    """The PIB in state SPPB whose BC 1.1 line carries container `number` (ISO 6346, spaces ignored), or None.

    Bounded by ix_cases_state: only the cases awaiting gate-out (state SPPB) are read, with their manifest
    line by its unique key; released PIBs of past days are never touched. The SPPB number is read by case
    (ix_documents_case_id)."""
    number = "".join((number or "").split()).upper()
    if not number:
        return None
    rows = s.execute(
        select(Case.id, Case.version, PibCase.aju, Bc11Line.containers)
        .join(PibCase, PibCase.case_id == Case.id)
        .join(Bc11Line, and_(Bc11Line.number == PibCase.bc11_number, Bc11Line.date == PibCase.bc11_date,
                             Bc11Line.pos == PibCase.bc11_pos, Bc11Line.subpos == PibCase.bc11_subpos))
        .where(Case.kind == KIND, Case.state == PibState.SPPB.value)  # SPPB issued, not yet out of the gate
        .order_by(Case.created_at, Case.id)).all()
    for case_id, version, aju, containers in rows:
        if number in ("".join(str(c).split()).upper() for c in containers or ()):
            sppb = s.scalar(select(Document.number).where(Document.case_id == case_id, Document.doc_type == "SPPB")
                            .order_by(Document.issued_at.desc()).limit(1))
            return SppbRelease(case_id, version, aju, sppb or "", number)
    return None


# -- the daily report ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LevyAmount:
    """One levy of one billing kind (PIB = the declared billing, SPTNP = the shortfall and fine of a
    determination): rupiah billed on the day and paid on the day."""

    billing: str
    levy: str
    billed_idr: int
    paid_idr: int


@dataclass(frozen=True)
class DeterminationBreach:
    """A registered PIB not determined by the end of the day, past its determination due date (the SLA)."""

    case_id: uuid.UUID
    aju: str
    state: str
    registered_on: dt.date
    due_on: dt.date  # the last day allowed; the breach starts the day after
    assignee: str | None


@dataclass(frozen=True)
class UnclearedGoods:
    """BTD: a PIB without SPPB at the end of the day whose goods are past the TPS storage limit."""

    case_id: uuid.UUID
    aju: str
    state: str
    first_storage_on: dt.date
    limit_on: dt.date  # the last day the goods may lie in the TPS
    assignee: str | None


@dataclass(frozen=True)
class OverdueBilling:
    """An SPTNP billing unpaid at the end of the day, past its due date."""

    case_id: uuid.UUID
    aju: str
    code: str
    total_idr: int
    due_on: dt.date
    assignee: str | None


def opened(s: Session, day: dt.date) -> int:
    """PIB cases opened on `day` (business date, office zone). ix_cases_opened."""
    return int(s.scalar(select(func.count()).select_from(Case).where(Case.opened_on == day, Case.kind == KIND)) or 0)


def _levy_sums() -> list[Any]:
    return [func.sum(cast(PibBilling.levies[key].as_string(), BigInteger)) for _, key in LEVY_KEYS] + [
        func.sum(PibBilling.fine_idr)]


def duties(s: Session, day: dt.date) -> tuple[LevyAmount, ...]:
    """Rupiah per billing kind and levy: billed on `day` (issued_on) and paid on `day` (paid_on). Summed in SQL
    over ix_pib_billings_issued / ix_pib_billings_paid. A paid billing counts its levies (payments settle the
    whole billing: the service refuses any other amount). Levies that are zero both ways are left out."""
    billed = {row[0]: row[1:] for row in s.execute(
        select(PibBilling.kind, *_levy_sums()).where(PibBilling.issued_on == day).group_by(PibBilling.kind))}
    paid = {row[0]: row[1:] for row in s.execute(
        select(PibBilling.kind, *_levy_sums()).where(PibBilling.paid_on == day).group_by(PibBilling.kind))}
    out = []
    none = (0,) * (len(LEVY_KEYS) + 1)  # a kind billed but not paid on the day (or the reverse)
    for kind in sorted(set(billed) | set(paid)):
        label = KIND if kind == BILLING_DECLARED else kind
        for i, levy in enumerate([name for name, _ in LEVY_KEYS] + [FINE]):
            b = int(billed.get(kind, none)[i] or 0)
            p = int(paid.get(kind, none)[i] or 0)
            if b or p:
                out.append(LevyAmount(label, levy, b, p))
    return tuple(out)


def _logins(s: Session, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return dict(s.execute(select(User.id, User.login).where(User.id.in_(wanted))).all())


def _ruleset(day: dt.date, fallback: dt.date, rulesets_dir: Path | str | None) -> RuleSet:
    """The rule set of `day`, or the report day's when none was in force then (as the PIB queue does)."""
    try:
        return ruleset_for(rules.KIND, day, rulesets_dir)
    except Refusal:
        return ruleset_for(rules.KIND, fallback, rulesets_dir)


def determination_breaches(s: Session, day: dt.date, *, rulesets_dir: Path | str | None = None
                           ) -> tuple[DeterminationBreach, ...]:
    """PIBs registered before `day`, not determined by its end (determined_on NULL or later), whose due date
    (registration + the rule set's determination days) is before `day` — the SLA_BREACH flag of the PIB queue,
    as it stood at the end of `day`. Two range scans of ix_pib_cases_determination (never determined; determined
    after the day): bounded by the cases still open on the day, not by the history. A case re-determined after an
    SPBL counts from its latest determination (the earlier one is not kept on pib_cases)."""
    base = (select(PibCase.case_id, PibCase.aju, PibCase.registered_on, Case.state, Case.assigned_to)
            .join(Case, Case.id == PibCase.case_id))
    rows = [*s.execute(base.where(PibCase.determined_on.is_(None), PibCase.registered_on < day)),
            *s.execute(base.where(PibCase.determined_on > day, PibCase.determined_on <= LAST_DATE,
                                  PibCase.registered_on < day))]
    logins = _logins(s, (r.assigned_to for r in rows))
    out = []
    for r in rows:
        due = rules.determination_due(r.registered_on, ruleset=_ruleset(r.registered_on, day, rulesets_dir))
        if day > due:
            out.append(DeterminationBreach(r.case_id, r.aju, r.state, r.registered_on, due, logins.get(r.assigned_to)))
    return tuple(sorted(out, key=lambda b: (b.due_on, b.aju)))


def uncleared_goods(s: Session, day: dt.date, *, rulesets_dir: Path | str | None = None
                    ) -> tuple[UnclearedGoods, ...]:
    """BTD at the end of `day`: PIBs opened by then without an SPPB by then (sppb_on NULL or later) whose goods
    were first stored more than the rule set's TPS days before — the BTD flag of the PIB queue. Two range
    scans of ix_pib_cases_sppb."""
    # opened_on is checked here, not in SQL: a range on it would tempt the planner into ix_cases_opened, which
    # reads every case opened before the day
    base = (select(PibCase.case_id, PibCase.aju, PibCase.first_storage_on, Case.state, Case.assigned_to,
                   Case.opened_on).join(Case, Case.id == PibCase.case_id))
    rows = [r for r in (*s.execute(base.where(PibCase.sppb_on.is_(None), PibCase.first_storage_on < day)),
                        *s.execute(base.where(PibCase.sppb_on > day, PibCase.sppb_on <= LAST_DATE,
                                              PibCase.first_storage_on < day)))
            if r.opened_on <= day]
    logins = _logins(s, (r.assigned_to for r in rows))
    out = []
    for r in rows:
        limit = rules.tps_storage_deadline(r.first_storage_on,
                                           ruleset=_ruleset(r.first_storage_on, day, rulesets_dir))
        if day > limit:
            out.append(UnclearedGoods(r.case_id, r.aju, r.state, r.first_storage_on, limit,
                                      logins.get(r.assigned_to)))
    return tuple(sorted(out, key=lambda b: (b.limit_on, b.aju)))


def overdue_billings(s: Session, day: dt.date) -> tuple[OverdueBilling, ...]:
    """SPTNP billings unpaid at the end of `day` (paid_on NULL or later) whose due date is before `day` — the
    SPTNP_OVERDUE flag of the PIB queue. Two range scans of ix_pib_billings_paid (paid_on, due_on)."""
    # issued_on is checked here, not in SQL: a range on it would tempt the planner into ix_pib_billings_issued,
    # which reads every billing issued before the day
    base = (select(PibBilling.case_id, PibCase.aju, PibBilling.code, PibBilling.total_idr, PibBilling.due_on,
                   Case.assigned_to, PibBilling.issued_on)
            .join(PibCase, PibCase.case_id == PibBilling.case_id).join(Case, Case.id == PibBilling.case_id)
            .where(PibBilling.kind == BILLING_SPTNP))
    rows = [r for r in (*s.execute(base.where(PibBilling.paid_on.is_(None), PibBilling.due_on < day)),
                        *s.execute(base.where(PibBilling.paid_on > day, PibBilling.paid_on <= LAST_DATE,
                                              PibBilling.due_on < day)))
            if r.issued_on <= day]
    logins = _logins(s, (r.assigned_to for r in rows))
    return tuple(sorted((OverdueBilling(r.case_id, r.aju, r.code, int(r.total_idr), r.due_on,
                                        logins.get(r.assigned_to)) for r in rows),
                        key=lambda b: (b.due_on, b.aju)))
