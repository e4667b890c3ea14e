"""PLP eligibility (DOMAIN.md §3, seed 004): may these goods move from the origin TPS to the destination
TPS on the stated ground, asked by this applicant? Pure; the figures come from the `plp` rule set.

A ground is *met* when it is a known code, the applicant may use it, and (for YOR_OVER_THRESHOLD) the
origin's YOR is at or above the port's threshold. Other grounds are facts the officer verifies from
the attachments; the rule takes them as stated. A request is eligible when a ground is met and nothing
refuses it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_FLOOR, Decimal, localcontext
from typing import Annotated, get_args

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from workstation.domain.errors import ErrorCode
from workstation.domain.identifiers import container_number_valid
from workstation.domain.plp import (
    Applicant,
    ContainerLine,
    ContainerSize,
    PlpCheck,
    PlpReason,
    PlpRefusal,
    PlpRequest,
)
from workstation.errors import InputError
from workstation.rules.pib import RuleDecimal, RuleModel, parsed_figures
from workstation.rules.ruleset import RuleSet, ruleset_for

KIND = "plp"


# Codes are plain TOML strings: let them coerce to the enum (the rule models are otherwise strict).
ReasonCode = Annotated[PlpReason, Field(strict=False)]


class Applicants(RuleModel):
    origin: list[ReasonCode]
    destination: list[ReasonCode]


class YorRules(RuleModel):
    default_threshold_pct: RuleDecimal
    port_threshold_pct: dict[str, RuleDecimal]


class MovementRules(RuleModel):
    gate_out_within_hours: Annotated[int, Field(ge=1)]
    gate_in_within_hours: Annotated[int, Field(ge=1)]


class PlpRules(RuleModel):
    """The figures of a `plp` rule set (rulesets/plp/*.toml)."""

    applicants: Applicants
    yor: YorRules
    teu: dict[ContainerSize, Annotated[int, Field(ge=1)]]
    movement: MovementRules

    @model_validator(mode="after")
    def _all_sizes(self) -> PlpRules:
        missing = set(get_args(ContainerSize)) - set(self.teu)
        if missing:
            raise PydanticCustomError("teu", "no TEU for container size(s) {sizes}", {"sizes": sorted(missing)})
        return self

    def reasons_for(self, applicant: Applicant) -> frozenset[PlpReason]:
        return frozenset(self.applicants.origin if applicant is Applicant.ORIGIN else self.applicants.destination)

    def yor_threshold(self, port: str) -> Decimal:
        return self.yor.port_threshold_pct.get(port, self.yor.default_threshold_pct)


def plp_rules(ruleset: RuleSet) -> PlpRules:
    """Validated figures of a `plp` rule set."""
    return parsed_figures(ruleset, KIND, PlpRules)


def gate_out_due(approved_at: dt.datetime, *, ruleset: RuleSet) -> dt.datetime:
    """When an approved line must have left the origin TPS."""
    return approved_at + dt.timedelta(hours=plp_rules(ruleset).movement.gate_out_within_hours)


def gate_in_due(out_at: dt.datetime, *, ruleset: RuleSet) -> dt.datetime:
    """When a line that left the origin must be in at the destination."""
    return out_at + dt.timedelta(hours=plp_rules(ruleset).movement.gate_in_within_hours)


def yor_pct(teu_used: int | Decimal, capacity: int | Decimal) -> Decimal:
    """YOR in percent = TEU used / capacity x 100. Rounded toward zero (28 digits), so the result never
    exceeds the exact ratio: comparing it with a threshold never turns a refusal into a yes."""
    if capacity <= 0:
        raise InputError(code=ErrorCode.NOT_POSITIVE, field="capacity")
    if teu_used < 0:
        raise InputError(code=ErrorCode.NEGATIVE, field="teu_used")
    with localcontext(prec=28, rounding=ROUND_FLOOR):
        return Decimal(teu_used) * 100 / Decimal(capacity)


def teu(size: ContainerSize, *, ruleset: RuleSet) -> int:
    """Twenty-foot equivalent units of one container of `size` ("20", "40", "45")."""
    try:
        return plp_rules(ruleset).teu[size]
    except KeyError:
        raise InputError(code=ErrorCode.NOT_ONE_OF, field="size",
                         params={"options": ", ".join(get_args(ContainerSize))}) from None


def containers_teu(containers: Iterable[ContainerLine], *, ruleset: RuleSet) -> int:
    return sum(teu(c.size, ruleset=ruleset) for c in containers)


def check_plp(request: PlpRequest, *, ruleset: RuleSet | None = None, on: dt.date | None = None) -> PlpCheck:
    """Eligibility of a PLP request. The rule set is the one in force on `on` (default: the BC 1.1 date,
    as plp/1 carries no request date), unless given."""
    rs = ruleset if ruleset is not None else ruleset_for(KIND, on or request.bc11.date)
    rules = plp_rules(rs)
    threshold = rules.yor_threshold(request.port)

    reasons: set[PlpReason] = set()
    refusals: set[PlpRefusal] = set()
    try:
        reason = PlpReason(request.reason)
    except ValueError:
        refusals.add(PlpRefusal.UNKNOWN_REASON)
    else:
        if reason not in rules.reasons_for(request.applicant):
            refusals.add(PlpRefusal.APPLICANT_NOT_ALLOWED)
        elif reason is PlpReason.YOR_OVER_THRESHOLD and request.origin.yor_pct < threshold:
            refusals.add(PlpRefusal.YOR_BELOW_THRESHOLD)
        else:
            reasons.add(reason)
    if request.import_declared:  # no PLP once an import declaration is submitted (seed 004, Persyaratan 3)
        refusals.add(PlpRefusal.IMPORT_ALREADY_DECLARED)
    invalid = tuple(c.number for c in request.containers if not container_number_valid(c.number))
    if invalid:
        refusals.add(PlpRefusal.INVALID_CONTAINER_NUMBER)

    return PlpCheck(
        eligible=bool(reasons) and not refusals,
        reasons=tuple(sorted(reasons)),
        refusals=tuple(sorted(refusals)),
        ruleset=rs.id,
        yor_threshold_pct=threshold,
        invalid_containers=invalid,
    )
