"""PLP request (moving uncleared imports between TPS, DOMAIN.md §3), format plp/1 of CONTRACTS.md, and the
result of checking it. `reason` is kept as free text here: an unknown code is a domain refusal
(UNKNOWN_REASON, exit 1), not malformed input; so is an invalid container number."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from workstation.domain.codes import Role
from workstation.domain.jsondoc import (
    DecimalStr,
    Digits6,
    StrictModel,
    Text,
    at_path,
    check_unique,
    parse_json_document,
)
from workstation.domain.workflow import workflow


class PlpReason(StrEnum):
    """Grounds for a PLP (PER-6/BC/2015; seed 004). Which applicant may use which is rule-set data."""

    YOR_OVER_THRESHOLD = "YOR_OVER_THRESHOLD"
    NO_LCL_FACILITY = "NO_LCL_FACILITY"
    NO_SPECIAL_FACILITY = "NO_SPECIAL_FACILITY"
    EXCISE_RIBBON_AT_DESTINATION = "EXCISE_RIBBON_AT_DESTINATION"
    CONSOLIDATED_MASTER_BL = "CONSOLIDATED_MASTER_BL"
    STAGNATION_RISK = "STAGNATION_RISK"
    MASTER_AWB_FORWARDER = "MASTER_AWB_FORWARDER"
    RUSH_HANDLING = "RUSH_HANDLING"
    POSTAL_GOODS = "POSTAL_GOODS"


class PlpRefusal(StrEnum):
    YOR_BELOW_THRESHOLD = "YOR_BELOW_THRESHOLD"
    APPLICANT_NOT_ALLOWED = "APPLICANT_NOT_ALLOWED"
    IMPORT_ALREADY_DECLARED = "IMPORT_ALREADY_DECLARED"
    INVALID_CONTAINER_NUMBER = "INVALID_CONTAINER_NUMBER"
    UNKNOWN_REASON = "UNKNOWN_REASON"


class Applicant(StrEnum):
    ORIGIN = "origin"  # the origin TPS operator
    DESTINATION = "destination"  # the destination TPS operator


TpsCode = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{2,8}$")]
ContainerSize = Literal["20", "40", "45"]


class TpsSide(StrictModel):
    tps: TpsCode
    yor_pct: DecimalStr  # yard (or shed) occupancy ratio, percent


class PlpBc11(StrictModel):
    number: Digits6
    date: dt.date


class ContainerLine(StrictModel):
    number: Annotated[str, StringConstraints(min_length=1, max_length=32)]  # validity is checked by the rule
    size: ContainerSize


class PackageLine(StrictModel):
    """Break-bulk / LCL goods moved without their container: one line per B/L or AWB."""

    bl_awb: Text
    quantity: Annotated[int, Field(ge=1)]
    kind: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{2}$")]  # UN/ECE Rec. 21 package code, e.g. PK


class PlpRequest(StrictModel):
    format: Literal["plp/1"]
    office: Digits6
    applicant: Applicant
    reason: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    origin: TpsSide
    destination: TpsSide
    port: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}[A-Z0-9]{3}$")]  # UN/LOCODE, e.g. IDTPP
    bc11: PlpBc11
    import_declared: bool
    containers: list[ContainerLine]
    packages: list[PackageLine]

    @model_validator(mode="after")
    def _consistent(self) -> PlpRequest:
        if not self.containers and not self.packages:
            raise at_path("a request moves at least one container or package", "containers")
        if self.origin.tps == self.destination.tps:
            raise at_path("destination TPS is the origin TPS", "destination", "tps")
        check_unique([c.number.strip().upper() for c in self.containers], "containers", "number")
        return self


def parse_plp(text: str | bytes) -> PlpRequest:
    """Parse a plp/1 JSON document. Raises InputError naming the JSON path."""
    return parse_json_document(text, PlpRequest, fmt="plp/1")


class PlpCheck(BaseModel):
    """Result of `workstation.rules.plp.check_plp`. `contract_json()` is the CONTRACTS.md output."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    eligible: bool
    reasons: tuple[PlpReason, ...]  # grounds met, sorted
    refusals: tuple[PlpRefusal, ...]  # sorted
    ruleset: str
    yor_threshold_pct: Decimal  # the port's threshold used (shown to the officer)
    invalid_containers: tuple[str, ...]

    def contract_json(self) -> dict[str, Any]:
        return {
            "eligible": self.eligible,
            "reasons": [r.value for r in self.reasons],
            "refusals": [r.value for r in self.refusals],
        }


# ==========================================================================================================
# The state machine: one case per request, one line per container or package
# ==========================================================================================================


class PlpState(StrEnum):
    """States of a PLP case (names equal the stored values)."""

    SUBMITTED = "SUBMITTED"  # eligible at registration, awaiting the officer's decision
    APPROVED = "APPROVED"  # at least one line approved: PLP letter with its number and date; nothing out yet
    MOVING = "MOVING"  # at least one approved line has left the origin gate
    CLOSED = "CLOSED"  # every approved line is in at the destination                              [final]
    REJECTED = "REJECTED"  # not eligible at registration, or every line rejected: letter PLP-TOLAK [final]
    CANCELLED = "CANCELLED"  # cancelled with a reason before anything left the origin: PLP-BATAL  [final]


class LineState(StrEnum):
    """States of one line (a container or a B/L-AWB of packages). PENDING → APPROVED | REJECTED;
    APPROVED → OUT (gate-out) → IN (gate-in); PENDING | APPROVED → CANCELLED with the case."""

    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    OUT = "OUT"
    IN = "IN"
    CANCELLED = "CANCELLED"


LINE_OPEN = (LineState.APPROVED, LineState.OUT)  # approved lines not yet in at the destination
OFFICERS = (Role.OFFICER, Role.SUPERVISOR)  # who decides and records PLP movements
REGISTRY_KEEPERS = (Role.SUPERVISOR, Role.ADMIN)  # who maintains the TPS registry

_S = PlpState
# What a user may do on a PLP case: this table and nothing else (the warehouse screen greys out from it; the
# service checks the same row in CaseOps.change). Preconditions on the lines (a line approved before it leaves,
# out before it comes in, nothing out before a cancellation) are refusals of the service with their codes.
FLOW = workflow(
    "plp", [s.value for s in PlpState],
    ("plp.approve", {_S.SUBMITTED}, _S.APPROVED, OFFICERS),  # at least one line approved: PLP letter
    ("plp.reject", {_S.SUBMITTED}, _S.REJECTED, OFFICERS),  # every line rejected: refusal letter
    ("plp.cancel", {_S.SUBMITTED, _S.APPROVED}, _S.CANCELLED, OFFICERS),
    ("plp.gate_out", {_S.APPROVED, _S.MOVING}, _S.MOVING, OFFICERS),
    ("plp.gate_in", {_S.MOVING}, _S.MOVING, OFFICERS),  # a line in, others still to come
    ("plp.close", {_S.MOVING}, _S.CLOSED, OFFICERS),  # the gate-in of the last approved line
    final=(_S.REJECTED, _S.CLOSED, _S.CANCELLED),
)
