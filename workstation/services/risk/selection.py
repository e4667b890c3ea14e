"""Risk selection at assessment (issue #16 items 1, 2, 4): the profiles a declaration matches, the random draw,
and the value check — computed inside the caller's transaction, so the lane decision and its risk record are
written together.

The lead hooks it into intake: the e-CD intake calls `select_for_ecd(s, doc, decided_on, goods_usd=...)`
before deciding, passes `selection.shown_reasons` as `extra_reasons`, and after opening the case calls
`record_selection(s, case_id, selection, now)`; the PIB registration the same with `select_for_pib`."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from db.models_risk import RiskSelection as SelectionRow
from db.models_risk import RiskValueObservation
from workstation.domain.ecd import EcdDocument
from workstation.domain.pib import PibDocument
from workstation.domain.risk import RiskWorkflow
from workstation.rules import risk as R
from workstation.services.risk import queries as Q
from workstation.services.risk.views import Observation, RiskSelection, ValueFlag

_cache_lock = threading.Lock()
class _Rate(NamedTuple):
    workflow: str
    port: str
    rate: Decimal
    seed: bytes
    id: uuid.UUID


class _Compiled(NamedTuple):
    profiles: R.ProfileIndex
    rates: tuple[_Rate, ...]


# (database url, workflow) -> (stamp, compiled profiles and rates): rebuilt when any process imports profiles
# or rates.
_cache: dict[tuple[str, str], tuple[tuple[Any, ...], _Compiled]] = {}


def _compiled(s: Session, workflow: RiskWorkflow) -> _Compiled:
    stamp = Q.profiles_stamp(s)
    key = (str(s.get_bind().engine.url), workflow.value)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
    index = R.compile_profiles(Q.latest_profiles(s), None, workflow)
    rates = tuple(_Rate(r.workflow, r.port, Decimal(r.rate), bytes.fromhex(r.seed), r.id)
                  for r in Q.current_rates(s) if r.workflow == workflow.value)
    made = _Compiled(index, rates)
    with _cache_lock:
        if len(_cache) > 64:
            _cache.clear()
        _cache[key] = (stamp, made)
    return made


def profile_index(s: Session, workflow: RiskWorkflow) -> R.ProfileIndex:
    """The compiled profiles of `workflow` (latest versions; matching checks the day), cached until a
    profile or rate changes in the database (one small query per call)."""
    return _compiled(s, workflow).profiles


def _random(rates: tuple[_Rate, ...], workflow: str, port: str,
            case_key: str) -> tuple[bool, uuid.UUID | None, Decimal | None, str | None]:
    picked = R.pick_rate(((r.workflow, r.port, r.rate) for r in rates), workflow, port)
    if picked is None:
        return False, None, None, None
    row = next(r for r in rates if r.port == picked[0])
    value = R.draw(row.seed, workflow, case_key)
    return R.selected(value, picked[1]), row.id, picked[1], f"{value:016x}"


def _value_check(s: Session, kind: str, lines: list[tuple[int, str, str, str, Decimal]],
                 check: R.ValueCheck) -> tuple[list[ValueFlag], list[Observation]]:
    flags, obs = [], []
    for line, hs, origin, currency, unit in lines:
        below, equal, n = Q.value_counts(s, kind, hs, origin, currency, unit)
        pct = R.outlier_from_counts(below, equal, n, check)
        if pct is not None:
            flags.append(ValueFlag(line, hs, origin, currency, unit, pct, n))
        obs.append(Observation(hs, origin, currency, unit))
    return flags, obs


def select_for_ecd(s: Session, doc: EcdDocument, decided_on: dt.date, *, goods_usd: Decimal | None = None,
                   check: R.ValueCheck = R.DEFAULT_VALUE_CHECK) -> RiskSelection:
    """The risk decision on an e-CD: profiles (ports, flight, origin port, nationality, HS chapters, declared
    value in USD — `goods_usd`, the decision's `assessment.goods_usd`; without it the USD lines are summed —,
    the passport's earlier trips and findings), the random draw keyed by the e-CD id, and the value check of
    every goods line with an HS code (origin: the port of departure). Reads only; nothing is written."""
    d, a = doc.declarant, doc.arrival
    lines = []
    for i, g in enumerate(doc.goods, start=1):
        unit = R.unit_value(g.value, g.quantity)
        if g.hs_code and unit is not None:
            lines.append((i, g.hs_code[: check.hs_digits], a.from_port or "", g.currency, unit))
    flags, obs = _value_check(s, "ECD", lines, check)
    compiled = _compiled(s, RiskWorkflow.ECD)
    index = compiled.profiles
    matched: list[R.ProfileRef] = []
    if index.size:
        if goods_usd is None:
            goods_usd = sum((g.value for g in doc.goods if g.currency == "USD"), Decimal(0))
        facts = R.EcdFacts(a.port, a.flight or "", a.from_port or "", d.nationality,
                           tuple(g.hs_code for g in doc.goods if g.hs_code), goods_usd, a.date,
                           value_outlier=bool(flags))
        matched = index.match_ecd(facts, decided_on,
                                  history=lambda: Q.traveller_history(s, d.passport, a.date))
    rnd, rate_id, rate, draw = _random(compiled.rates, RiskWorkflow.ECD.value, a.port, doc.ecd_id)
    return RiskSelection(RiskWorkflow.ECD.value, doc.ecd_id, decided_on, a.port, tuple(matched), rnd, rate_id,
                         rate, draw, tuple(flags), tuple(obs))


def select_for_pib(s: Session, doc: PibDocument, decided_on: dt.date, *, port: str = "*",
                   origin_countries: tuple[str, ...] = (),
                   check: R.ValueCheck = R.DEFAULT_VALUE_CHECK) -> RiskSelection:
    """The risk decision on a PIB: importer (NPWP digits), HS prefixes of its items, origin countries (pib/1
    carries none: give them from the manifest or LHP when known), the value check of each item's CIF per unit
    (origin "" unless one origin is given), and the random draw keyed by the aju for `port`."""
    from workstation.services.pib.intake import npwp_digits

    npwp = npwp_digits(doc.importer.npwp, "importer.npwp")
    origin = origin_countries[0] if len(origin_countries) == 1 else ""
    lines = []
    for item in doc.items:
        unit = R.unit_value(item.cif, item.quantity)
        if unit is not None:
            lines.append((item.seq, item.hs_code[: check.hs_digits], origin, doc.currency, unit))
    flags, obs = _value_check(s, "PIB", lines, check)
    compiled = _compiled(s, RiskWorkflow.PIB)
    index = compiled.profiles
    matched: list[R.ProfileRef] = []
    if index.size:
        matched = index.match_pib(R.PibFacts(npwp, tuple(i.hs_code for i in doc.items), origin_countries,
                                             bool(flags)), decided_on)
    rnd, rate_id, rate, draw = _random(compiled.rates, RiskWorkflow.PIB.value, port, doc.aju)
    return RiskSelection(RiskWorkflow.PIB.value, doc.aju, decided_on, port, tuple(matched), rnd, rate_id, rate,
                         draw, tuple(flags), tuple(obs))


def record_selection(s: Session, case_id: uuid.UUID, selection: RiskSelection, now: dt.datetime) -> None:
    """Store the selection of case `case_id` and its declared unit values (for later value checks), inside the
    caller's write transaction. Once per case: a second call for the same case replaces nothing (ignored)."""
    if s.get(SelectionRow, case_id) is not None:
        return
    kind = selection.workflow.upper()
    s.add(SelectionRow(case_id=case_id, kind=kind, reference=selection.reference,
                       decided_on=selection.decided_on, port=selection.port[:5],
                       profiles=[{"code": p.code, "version": p.version} for p in selection.profiles],
                       random=selection.random, rate_id=selection.rate_id, draw=selection.draw,
                       reasons=list(selection.reasons), value_flags=[f.to_json() for f in selection.value_flags],
                       recorded_at=now))
    for o in selection.observations:
        s.add(RiskValueObservation(case_id=case_id, kind=kind, hs=o.hs, origin=o.origin[:5], currency=o.currency,
                                   unit_value=o.unit_value, observed_on=selection.decided_on, accepted=True))
    s.flush()


def verify_draw(seed_hex: str, workflow: str, case_key: str, rate: Decimal, draw_hex: str | None) -> bool:
    """Recompute a stored draw from its seed (audit): True when the stored draw and its outcome reproduce."""
    value = R.draw(bytes.fromhex(seed_hex), workflow, case_key)
    return draw_hex == f"{value:016x}"
