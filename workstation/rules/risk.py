"""Risk rules (issue #16), pure functions over workstation.domain.risk:

- profile matching: `compile_profiles` indexes the profiles in force on a day by their most selective
  condition, so assessing against 1,000 profiles looks at a handful (`ProfileIndex.match_ecd/match_pib`);
- random selection: `draw` = HMAC-SHA256(seed, "<workflow>:<case key>") read as a 64-bit fraction, selected
  iff below the rate — a pure function of the stored seed and the case, so every selection can be recomputed;
- the value check: the declared unit value's percentile within past accepted unit values of the same HS and
  origin (`value_percentile`, `is_outlier`), thresholds in `ValueCheck`;
- hit rates: hits / inspected with a Wilson score interval (Wilson 1927; Agresti & Coull 1998 recommend it
  over the normal interval for small n), and the lift over the random baseline.

Numbers are Decimal (rates, percentiles); never float."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import NamedTuple

from workstation.domain.risk import Conditions, Profile, RiskWorkflow

# --------------------------------------------------------------------------------------------------------
# Facts a profile is matched against (built by the service from the declaration and the stored history)
# --------------------------------------------------------------------------------------------------------


class EcdFacts(NamedTuple):
    """One e-CD as the profiles see it. `prior_arrivals`: arrival dates of earlier e-CDs of the passport;
    `previous_findings`: earlier inspections of the passport that found something (Outcome other than NOTHING);
    `value_outlier`: the value check flagged a goods line."""

    port: str
    flight: str
    from_port: str
    nationality: str
    hs_codes: tuple[str, ...]
    declared_value_usd: Decimal | None
    arrival_date: dt.date
    prior_arrivals: tuple[dt.date, ...] = ()
    previous_findings: int = 0
    value_outlier: bool = False


class PibFacts(NamedTuple):
    importer: str  # NPWP digits
    hs_codes: tuple[str, ...]
    origin_countries: tuple[str, ...] = ()
    value_outlier: bool = False


class ProfileRef(NamedTuple):
    """A profile as a decision records it."""

    code: str
    version: int
    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class _Compiled:
    ref: ProfileRef
    c: Conditions
    ports: frozenset[str] | None
    flights: frozenset[str] | None
    from_ports: frozenset[str] | None
    nationalities: frozenset[str] | None
    hs: tuple[str, ...] | None
    importers: frozenset[str] | None
    origins: frozenset[str] | None
    valid_from: dt.date
    valid_to: dt.date | None
    active: bool

    def in_force(self, day: dt.date) -> bool:
        return self.active and self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def _fs(values: list[str] | None) -> frozenset[str] | None:
    return frozenset(values) if values is not None else None


def _hs_any(prefixes: tuple[str, ...], codes: Iterable[str]) -> bool:
    return any(code.startswith(p) for code in codes for p in prefixes)


History = Callable[[], tuple[tuple[dt.date, ...], int]]


def _match_ecd(p: _Compiled, f: EcdFacts, history: History | None = None) -> bool:
    """All of the profile's conditions hold. History conditions last: `history` (when given) is called for
    (prior arrivals, previous findings) only if the other conditions hold."""
    c = p.c
    if p.ports is not None and f.port not in p.ports:
        return False
    if p.flights is not None and f.flight not in p.flights:
        return False
    if p.from_ports is not None and f.from_port not in p.from_ports:
        return False
    if p.nationalities is not None and f.nationality not in p.nationalities:
        return False
    if p.hs is not None and not _hs_any(p.hs, f.hs_codes):
        return False
    if c.declared_value_min_usd is not None and (f.declared_value_usd is None
                                                 or f.declared_value_usd < c.declared_value_min_usd):
        return False
    if c.value_outlier and not f.value_outlier:
        return False
    if c.needs_history:
        prior, findings = history() if history is not None else (f.prior_arrivals, f.previous_findings)
        if c.previous_findings_min is not None and findings < c.previous_findings_min:
            return False
        if c.trips_min is not None:
            since = f.arrival_date - dt.timedelta(days=c.trips_days)
            if sum(1 for d in prior if since <= d < f.arrival_date) < c.trips_min:
                return False
    return True


def _match_pib(p: _Compiled, f: PibFacts) -> bool:
    c = p.c
    if p.importers is not None and f.importer not in p.importers:
        return False
    if p.hs is not None and not _hs_any(p.hs, f.hs_codes):
        return False
    if p.origins is not None and not p.origins.intersection(f.origin_countries):
        return False
    return not (c.value_outlier and not f.value_outlier)


@dataclass
class ProfileIndex:
    """The profiles of one workflow (those in force on `day` only, when a day is given), filed by one discrete
    condition each and, when they name HS codes, by the HS chapters too: (condition, value, chapter), chapter
    "" for a profile without HS codes; condition "" for a profile with no discrete condition. Those with
    neither are in `scan` (checked for every case). Matching checks validity on the day it is given (default:
    `day`), so one index serves every day."""

    day: dt.date | None
    workflow: RiskWorkflow
    by_key: dict[tuple[str, str, str], list[_Compiled]] = field(default_factory=dict)
    scan: list[_Compiled] = field(default_factory=list)
    needs_history: bool = False
    size: int = 0

    def match_ecd(self, facts: EcdFacts, day: dt.date | None = None,
                  history: History | None = None) -> list[ProfileRef]:
        """The profiles in force on `day` (default: the index's day, else the arrival date) that `facts`
        match, by code. O(profiles filed under the case's own values). `history`, if given, loads the
        traveller's (prior arrivals, previous findings) — once, and only when a history condition is reached;
        else the facts' own are used."""
        on = day or self.day or facts.arrival_date
        once: History | None = None
        if history is not None:
            loaded: list[tuple[tuple[dt.date, ...], int]] = []
            load = history

            def once() -> tuple[tuple[dt.date, ...], int]:
                if not loaded:
                    loaded.append(load())
                return loaded[0]

        out: list[ProfileRef] = []
        seen: set[str] = set()
        chapters = ("", *sorted({code[:2] for code in facts.hs_codes}))
        for key, value in (("flight", facts.flight), ("from_port", facts.from_port),
                           ("nationality", facts.nationality), ("port", facts.port), ("", "")):
            for chapter in chapters:
                for p in self.by_key.get((key, value, chapter), ()):
                    if p.ref.code not in seen and p.in_force(on) and _match_ecd(p, facts, once):
                        seen.add(p.ref.code)
                        out.append(p.ref)
        for p in self.scan:
            if p.ref.code not in seen and p.in_force(on) and _match_ecd(p, facts, once):
                seen.add(p.ref.code)
                out.append(p.ref)
        return sorted(out)

    def match_pib(self, facts: PibFacts, day: dt.date | None = None) -> list[ProfileRef]:
        """The profiles in force on `day` (default: the index's day) that `facts` match, by code."""
        on = day or self.day
        if on is None:
            raise ValueError("match_pib needs a day")
        out: list[ProfileRef] = []
        seen: set[str] = set()
        chapters = ("", *sorted({code[:2] for code in facts.hs_codes}))
        for key, value in (("importer", facts.importer), ("", "")):
            for chapter in chapters:
                for p in self.by_key.get((key, value, chapter), ()):
                    if p.ref.code not in seen and p.in_force(on) and _match_pib(p, facts):
                        seen.add(p.ref.code)
                        out.append(p.ref)
        out.extend(p.ref for p in self.scan
                   if p.ref.code not in seen and p.in_force(on) and _match_pib(p, facts))
        return sorted(out)


def compile_profiles(profiles: Iterable[tuple[Profile, int]], day: dt.date | None,
                     workflow: RiskWorkflow) -> ProfileIndex:
    """Index the (profile, version) pairs of `workflow`: those in force on `day` (validity dates and `active`),
    or all of them when `day` is None (matching then checks validity on the case's day)."""
    index = ProfileIndex(day, workflow)
    for prof, version in profiles:
        if prof.workflow is not workflow or (day is not None and not prof.in_force(day)):
            continue
        c = prof.conditions
        hs = c.hs_chapters if workflow is RiskWorkflow.ECD else c.hs
        comp = _Compiled(ProfileRef(prof.code, version, prof.name, prof.reason), c, _fs(c.arrival_port),
                         _fs(c.flight), _fs(c.origin_port), _fs(c.nationality),
                         tuple(hs) if hs is not None else None, _fs(c.importer), _fs(c.origin_country),
                         prof.valid_from, prof.valid_to, prof.active)
        index.size += 1
        index.needs_history = index.needs_history or c.needs_history
        # the most selective discrete condition, else none ("")
        keyed: list[tuple[str, frozenset[str] | None]] = (
            [("flight", comp.flights), ("from_port", comp.from_ports), ("nationality", comp.nationalities),
             ("port", comp.ports)] if workflow is RiskWorkflow.ECD else [("importer", comp.importers)])
        key, values = next(((k, v) for k, v in keyed if v is not None), ("", None))
        chapters = sorted({prefix[:2] for prefix in comp.hs}) if comp.hs is not None else [""]
        if key == "" and comp.hs is None:
            index.scan.append(comp)
            continue
        for value in (values if values is not None else [""]):
            for chapter in chapters:
                index.by_key.setdefault((key, value, chapter), []).append(comp)
    return index


# --------------------------------------------------------------------------------------------------------
# Random selection
# --------------------------------------------------------------------------------------------------------
_TWO_64 = 1 << 64


def draw(seed: bytes, workflow: str, case_key: str) -> int:
    """The case's draw: the first 8 bytes of HMAC-SHA256(seed, "<workflow>:<case key>") as an integer in
    [0, 2**64). The same seed and case always give the same draw."""
    mac = hmac.new(seed, f"{workflow}:{case_key}".encode(), hashlib.sha256).digest()
    return int.from_bytes(mac[:8], "big")


def selected(draw_value: int, rate: Decimal) -> bool:
    """True iff draw / 2**64 < rate, computed exactly (the rate as a fraction)."""
    if rate <= 0:
        return False
    if rate >= 1:
        return True
    num, den = rate.as_integer_ratio()
    return draw_value * den < num * _TWO_64


def draw_fraction(draw_value: int) -> Decimal:
    """The draw as a fraction in [0, 1) to 6 places, for display."""
    return (Decimal(draw_value) / Decimal(_TWO_64)).quantize(Decimal("0.000001"))


def pick_rate(rates: Iterable[tuple[str, str, Decimal]], workflow: str, port: str) -> tuple[str, Decimal] | None:
    """From (workflow, port, rate) rows: the port's own rate, else the workflow's "*" rate; None if neither.
    Returns (port key, rate)."""
    best: tuple[str, Decimal] | None = None
    for wf, p, rate in rates:
        if wf != workflow:
            continue
        if p == port:
            return p, rate
        if p == "*":
            best = (p, rate)
    return best


# --------------------------------------------------------------------------------------------------------
# Value check
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValueCheck:
    """Thresholds of the value check: flag a unit value at or below `low_pct` or at or above `high_pct`
    percent of at least `min_history` past accepted values (same HS heading and origin, same currency)."""

    low_pct: Decimal = Decimal(1)
    high_pct: Decimal = Decimal(99)
    min_history: int = 20
    hs_digits: int = 6  # compare on the HS sub-heading (6 digits)


DEFAULT_VALUE_CHECK = ValueCheck()


def value_percentile(history: Sequence[Decimal], value: Decimal) -> Decimal:
    """Mid-rank percentile of `value` among `history`: 100 × (below + equal / 2) / n, to one place.
    Raises ValueError on an empty history."""
    n = len(history)
    if n == 0:
        raise ValueError("no history")
    below = sum(1 for h in history if h < value)
    equal = sum(1 for h in history if h == value)
    return percentile_from_counts(below, equal, n)


def percentile_from_counts(below: int, equal: int, n: int) -> Decimal:
    """The mid-rank percentile from counts: 100 × (below + equal / 2) / n, to one place (n > 0)."""
    if n <= 0:
        raise ValueError("no history")
    return (Decimal(200 * below + 100 * equal) / Decimal(2 * n)).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)


def outlier_from_counts(below: int, equal: int, n: int,
                        check: ValueCheck = DEFAULT_VALUE_CHECK) -> Decimal | None:
    """As `is_outlier`, from the counts of past values below and equal to the declared one (a database can
    count them without sending the values)."""
    if n < check.min_history:
        return None
    pct = percentile_from_counts(below, equal, n)
    if pct <= check.low_pct or pct >= check.high_pct:
        return pct
    return None


def is_outlier(history: Sequence[Decimal], value: Decimal,
               check: ValueCheck = DEFAULT_VALUE_CHECK) -> Decimal | None:
    """The percentile when the value is an outlier, else None (also None with too little history)."""
    if len(history) < check.min_history:
        return None
    pct = value_percentile(history, value)
    if pct <= check.low_pct or pct >= check.high_pct:
        return pct
    return None


def unit_value(value: Decimal, quantity: Decimal) -> Decimal | None:
    """Value per unit to 6 places; None for a zero quantity."""
    if quantity <= 0:
        return None
    return (value / quantity).quantize(Decimal("0.000001"))


# --------------------------------------------------------------------------------------------------------
# Hit rates
# --------------------------------------------------------------------------------------------------------
Z95 = Decimal("1.959963984540054")


def wilson_interval(hits: int, n: int, z: Decimal = Z95) -> tuple[Decimal, Decimal]:
    """Wilson score interval for a proportion hits/n (95 % by default), each bound to 4 places. n = 0: (0, 1)."""
    if n <= 0:
        return Decimal(0), Decimal(1)
    if not 0 <= hits <= n:
        raise ValueError("hits must be within 0..n")
    with localcontext() as ctx:
        ctx.prec = 28
        p = Decimal(hits) / n
        z2 = z * z
        denom = 1 + z2 / n
        centre = (p + z2 / (2 * n)) / denom
        half = z * (p * (1 - p) / n + z2 / (4 * n * n)).sqrt() / denom
        q = Decimal("0.0001")
        low, high = max(Decimal(0), centre - half), min(Decimal(1), centre + half)
        return low.quantize(q), high.quantize(q)


class HitRate(NamedTuple):
    """Selections (red-lane cases selected), inspected (with an outcome), hits (something found), the hit rate
    hits / inspected and its 95 % Wilson interval (None without inspections), duties recovered in rupiah."""

    selections: int
    inspected: int
    hits: int
    rate: Decimal | None
    ci_low: Decimal | None
    ci_high: Decimal | None
    duties_idr: int


def hit_rate(selections: int, inspected: int, hits: int, duties_idr: int) -> HitRate:
    if inspected == 0:
        return HitRate(selections, 0, 0, None, None, None, duties_idr)
    low, high = wilson_interval(hits, inspected)
    rate = (Decimal(hits) / inspected).quantize(Decimal("0.0001"))
    return HitRate(selections, inspected, hits, rate, low, high, duties_idr)


def lift(rate: Decimal | None, baseline: Decimal | None) -> Decimal | None:
    """How many times the random baseline's hit rate a group's is (2 places); None when either is unknown
    or the baseline is zero."""
    if rate is None or baseline is None or baseline == 0:
        return None
    return (rate / baseline).quantize(Decimal("0.01"))
