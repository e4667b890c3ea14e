"""Risk management (issue #16): targeting profiles, random selection, inspection outcomes, value checks and
pre-arrival records — the shapes only; matching and figures are in workstation/rules/risk.py.

The profile file, format `risk/1` (docs/risk.md), is a JSON object:

    {"format": "risk/1",
     "profiles": [{"code": "P-NRT-ELEC", "workflow": "ecd", "name": "...", "reason": "...",
                   "valid_from": "2026-01-01", "valid_to": null, "active": true,
                   "conditions": {"arrival_port": ["CGK"], "hs_chapters": ["84", "85"], ...}}],
     "random": [{"workflow": "ecd", "port": "CGK", "rate": "0.02"}]}

Every condition a profile names must hold (AND); a list condition holds when any of its values matches (OR).
A profile with no condition never matches (a typo must not send every passenger red). Profiles are versioned
like rule sets: importing a changed profile stores version n + 1 and a decision records (code, version).

Random selection (DOMAIN.md §1 `RANDOM_SELECTION`): a rate in [0, 1] per workflow and port ("*" = any port);
each stored rate carries a random seed so that any draw can be recomputed for audit.

Officers do not see whether a case was selected by a profile or at random before inspecting: the reasons shown
(`shown_reasons`) name both as `RISK_PROFILE`; the true reasons stay in the selection record (supervisors)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from workstation.domain.codes import LaneReason, Role
from workstation.domain.jsondoc import (
    DecimalStr,
    StrictModel,
    Text,
    at_path,
    check_unique,
    parse_json_document,
)
from workstation.domain.workflow import workflow

FORMAT = "risk/1"
ANY_PORT = "*"


class RiskWorkflow(StrEnum):
    ECD = "ecd"
    PIB = "pib"


class Outcome(StrEnum):
    """What a red-lane inspection found (issue #16 item 3). NOTHING is the only miss; a case may have several."""

    NOTHING = "NOTHING"
    UNDECLARED = "UNDECLARED"
    MISDECLARED_VALUE = "MISDECLARED_VALUE"
    MISDECLARED_HS = "MISDECLARED_HS"
    PROHIBITED = "PROHIBITED"
    EXCISE_OVER = "EXCISE_OVER"


HITS = frozenset(Outcome) - {Outcome.NOTHING}


class MismatchKind(StrEnum):
    """Pre-arrival data against what arrived (issue #16 item 5)."""

    PASSENGER_WITHOUT_ECD = "PASSENGER_WITHOUT_ECD"  # on the advance passenger list, no e-CD for that arrival
    PREDECLARED_WITHOUT_PIB = "PREDECLARED_WITHOUT_PIB"  # partner pre-declaration, no PIB for its B/L
    GOODS_MISSING_FROM_PIB = "GOODS_MISSING_FROM_PIB"  # pre-declared HS heading absent from the PIB


VALUE_OUTLIER = "VALUE_OUTLIER"  # a flag the examiner sees, not a lane reason (unless a profile says so)

Code = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9_.-]{0,39}$")]
PortCode = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{3,5}$")]
Country3 = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,3}$")]
Flight = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{2,10}$")]
HsPrefix = Annotated[str, StringConstraints(pattern=r"^[0-9]{2,10}$")]
NpwpDigits = Annotated[str, StringConstraints(pattern=r"^[0-9]{15,16}$")]
Count = Annotated[int, Field(ge=0, le=100_000)]
Days = Annotated[int, Field(ge=1, le=3660)]


class Conditions(StrictModel):
    """e-CD conditions: arrival_port, flight, origin_port (arrival.from_port), nationality, hs_chapters (2-digit
    chapters or longer HS prefixes of any goods line), declared_value_min (sum of goods values in their own
    currencies' USD equivalent as the caller computes it, USD), previous_findings_min (earlier inspections of
    the passport that found something), trips_min within trips_days (earlier arrivals of the passport).
    PIB conditions: importer (NPWP digits), hs (prefixes of any item), origin_country (ISO codes the caller
    supplies: pib/1 carries none), unit_value_outlier (any line flagged by the value check).
    `value_outlier` (both): a value-check flag turns into a profile hit."""

    arrival_port: list[PortCode] | None = None
    flight: list[Flight] | None = None
    origin_port: list[PortCode] | None = None
    nationality: list[Country3] | None = None
    hs_chapters: list[HsPrefix] | None = None
    declared_value_min_usd: DecimalStr | None = None
    previous_findings_min: Count | None = None
    trips_min: Count | None = None
    trips_days: Days = 365
    importer: list[NpwpDigits] | None = None
    hs: list[HsPrefix] | None = None
    origin_country: list[Country3] | None = None
    value_outlier: bool | None = None

    def named(self) -> list[str]:
        """The condition names this profile sets (trips_days is a parameter of trips_min)."""
        return [k for k, v in self if v is not None and k != "trips_days"]

    @property
    def needs_history(self) -> bool:
        return self.previous_findings_min is not None or self.trips_min is not None


ECD_CONDITIONS = frozenset({"arrival_port", "flight", "origin_port", "nationality", "hs_chapters",
                            "declared_value_min_usd", "previous_findings_min", "trips_min", "value_outlier"})
PIB_CONDITIONS = frozenset({"importer", "hs", "origin_country", "value_outlier"})


class Profile(StrictModel):
    """One targeting profile as a supervisor writes it. `reason` is the text the decision shows."""

    code: Code
    workflow: RiskWorkflow
    name: Text
    reason: Text
    valid_from: dt.date
    valid_to: dt.date | None = None
    active: bool = True
    conditions: Conditions

    @model_validator(mode="after")
    def _consistent(self) -> Profile:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise at_path("valid_to is before valid_from", "valid_to")
        named = set(self.conditions.named())
        if not named:
            raise at_path("a profile needs at least one condition", "conditions")
        allowed = ECD_CONDITIONS if self.workflow is RiskWorkflow.ECD else PIB_CONDITIONS
        wrong = sorted(named - allowed)
        if wrong:
            raise at_path("condition {c} does not apply to {w} profiles", "conditions", wrong[0],
                          c=wrong[0], w=self.workflow.value)
        return self

    def in_force(self, day: dt.date) -> bool:
        return self.active and self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def content(self) -> dict[str, Any]:
        """The profile as JSON (what is hashed to tell a new version from the same one)."""
        out = self.model_dump(mode="json")
        cond = {k: v for k, v in out["conditions"].items() if v is not None}
        if "trips_min" not in cond:
            cond.pop("trips_days", None)
        out["conditions"] = cond
        return out


class RandomRate(StrictModel):
    workflow: RiskWorkflow
    port: Annotated[str, StringConstraints(pattern=r"^(\*|[A-Z0-9]{3,5})$")] = ANY_PORT
    rate: DecimalStr

    @model_validator(mode="after")
    def _rate(self) -> RandomRate:
        if self.rate > 1:
            raise at_path("rate must be between 0 and 1 (0.02 = 2 %)", "rate")
        return self


class ProfileFile(StrictModel):
    format: Literal["risk/1"]
    profiles: list[Profile] = []
    random: list[RandomRate] = []

    @model_validator(mode="after")
    def _unique(self) -> ProfileFile:
        check_unique([p.code for p in self.profiles], "profiles", "code")
        check_unique([(r.workflow, r.port) for r in self.random], "random", "port")
        return self


def parse_profile_file(text: str | bytes) -> ProfileFile:
    """Parse a risk/1 file. Raises InputError INVALID_DOCUMENT naming the JSON path (`profiles[2].valid_to`)."""
    return parse_json_document(text, ProfileFile, fmt=FORMAT)


def profile_from_content(content: dict[str, Any]) -> Profile:
    """A stored profile (its JSON content) back as a Profile."""
    import json

    return Profile.model_validate_json(json.dumps(content))


def shown_reasons(reasons: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The reasons an officer sees before inspecting: RANDOM_SELECTION shown as RISK_PROFILE, so that a random
    selection cannot be told from a profile hit (issue #16 item 2)."""
    rp, rs = LaneReason.RISK_PROFILE.value, LaneReason.RANDOM_SELECTION.value
    return tuple(sorted({rp if r == rs else r for r in reasons}))


def money(value: Decimal) -> str:
    return format(value, "f")


# Who does what (supervisors manage profiles and see the figures; whoever inspects records an outcome).
SUPERVISORS = (Role.SUPERVISOR,)
INSPECTORS = (Role.OFFICER, Role.INSPECTOR, Role.EXAMINER, Role.SUPERVISOR)
ACTIVE, WITHDRAWN = "ACTIVE", "WITHDRAWN"
FLOW = workflow(
    "risk", (ACTIVE, WITHDRAWN),
    ("risk.profile.import", {ACTIVE, WITHDRAWN}, None, SUPERVISORS),  # a new version, its state from `active`
    ("risk.profile.withdraw", {ACTIVE}, WITHDRAWN, SUPERVISORS),
    final=(),
)


# --------------------------------------------------------------------------------------------------------
# Pre-arrival data (issue #16 item 5; formats in docs/risk.md)
# --------------------------------------------------------------------------------------------------------
API_FORMAT = "api/1"
PREDECLARATION_FORMAT = "predeclaration/1"
API_CSV_COLUMNS = ("arrival_date", "port", "flight", "passport", "nationality", "name")


class ApiPassenger(StrictModel):
    """One passenger of an advance passenger list (API/PNR-like)."""

    arrival_date: dt.date
    port: PortCode
    flight: Flight
    passport: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{3,20}$")]
    nationality: Country3
    name: Text
    from_port: PortCode | None = None


class ApiList(StrictModel):
    format: Literal["api/1"]
    passengers: list[ApiPassenger]


class PredeclaredItem(StrictModel):
    hs_code: HsPrefix
    description: Text
    quantity: DecimalStr | None = None
    unit: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{1,4}$")] | None = None
    value: DecimalStr | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None


class PreDeclaration(StrictModel):
    """A partner customs' export pre-declaration of goods bound for Indonesia."""

    reference: Code
    exporter: Text
    importer_npwp: NpwpDigits
    bl_number: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9-]{1,35}$")]
    arrival_date: dt.date
    items: Annotated[list[PredeclaredItem], Field(min_length=1)]


class PreDeclarationFile(StrictModel):
    format: Literal["predeclaration/1"]
    declarations: list[PreDeclaration]

    @model_validator(mode="after")
    def _unique(self) -> PreDeclarationFile:
        check_unique([d.reference for d in self.declarations], "declarations", "reference")
        return self


def parse_api_list(text: str | bytes) -> ApiList:
    return parse_json_document(text, ApiList, fmt=API_FORMAT)


def parse_predeclarations(text: str | bytes) -> PreDeclarationFile:
    return parse_json_document(text, PreDeclarationFile, fmt=PREDECLARATION_FORMAT)
