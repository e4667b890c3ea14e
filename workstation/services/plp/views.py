"""What the PLP service hands to screens, commands and the smart gate: typed, frozen views (no ORM rows)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

from workstation.services.cases import CaseView


@dataclass(frozen=True)
class TpsView:
    """One TPS of the registry with its occupancy. Percentages are floored to 0.1 for display."""

    code: str
    name: str
    operator: str
    port: str
    capacity_teu: int | None
    teu_used: int | None  # None: no yard, or nothing known about it
    yor_pct: Decimal | None  # yard occupancy, %
    capacity_m3: Decimal | None
    m3_used: Decimal | None
    sor_pct: Decimal | None  # shed occupancy, %
    threshold_pct: Decimal  # the port's YOR standard from the rule set, %
    facilities: tuple[str, ...]
    source: str  # entered (the operator's report) | containers (computed) | none
    entered_at: dt.datetime | None
    containers: int  # stored here now
    version: int  # the row's version: what a change sends back (save_tps / record_occupancy `version`)

    @property
    def occupancy_pct(self) -> Decimal | None:
        """The higher of YOR and SOR: PLP is allowed when either reaches the standard (seed 004, 1.a)."""
        known = [p for p in (self.yor_pct, self.sor_pct) if p is not None]
        return max(known) if known else None

    @property
    def over_threshold(self) -> bool:
        return self.occupancy_pct is not None and self.occupancy_pct >= self.threshold_pct


@dataclass(frozen=True)
class TpsImportResult:
    added: int
    changed: int
    unchanged: int


@dataclass(frozen=True)
class PlpEvaluation:
    """Eligibility of a request as the office sees it: the pure rule check plus the office's own records
    (registry occupancy, unknown TPS, unreported movements, PIB on record)."""

    eligible: bool
    reasons: tuple[str, ...]
    refusals: tuple[str, ...]
    ruleset: str
    threshold_pct: Decimal
    operator: str
    origin: TpsView | None
    destination: TpsView | None
    invalid_containers: tuple[str, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class LineView:
    id: uuid.UUID
    seq: int
    kind: str  # container | package
    what: str
    state: str  # a LineState value
    reason: str | None
    out_at: dt.datetime | None
    in_at: dt.datetime | None
    overdue: bool
    container_number: str | None
    due_at: dt.datetime | None = None  # gate-out (approved) or gate-in (out) deadline
    first_stored_at: dt.datetime | None = None  # the 30-day TPS clock starts here, across the move
    storage_due: dt.date | None = None  # last day in a TPS before the goods become BTD


@dataclass(frozen=True)
class MovementView:
    seq: int
    direction: str  # OUT | IN
    tps: str
    at: dt.datetime
    truck_plate: str
    seals: tuple[str, ...]
    read_by: str


@dataclass(frozen=True)
class PlpDetail:
    case: CaseView
    origin: str
    destination: str
    operator: str
    applicant: str
    reason: str
    bc11: str
    stated_yor: tuple[Decimal, Decimal]  # origin, destination, % as the operator stated them
    eligible: bool
    reasons_met: tuple[str, ...]
    refusals: tuple[str, ...]
    ruleset: str
    plp_number: str | None
    lines: tuple[LineView, ...]
    documents: tuple[str, ...]
    registry_yor: tuple[Decimal | None, Decimal | None] = (None, None)
    plp_date: dt.date | None = None
    cancel_reason: str | None = None
    movements: tuple[MovementView, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class QueueRow:
    case_id: uuid.UUID
    reference: str
    state: str
    origin: str
    destination: str
    operator: str
    lines: int
    approved: int
    moved_in: int
    overdue: int
    plp_number: str | None
    version: int


@dataclass(frozen=True)
class GateRelease:
    """What the smart gate may let through for a container: out of its origin, or into its destination."""

    case_id: uuid.UUID
    line_id: uuid.UUID
    direction: str  # OUT | IN
    tps: str
    plp_number: str
