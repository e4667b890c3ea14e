"""PIB (BC 2.0 import declaration), format pib/1 of CONTRACTS.md, and the result of assessing it.

Parsing is strict: unknown fields are errors, money and rates are decimal strings (a JSON number there is
refused, so a float never reaches a levy), and every error names its JSON path (`items[0].cif`).

The JSON document helpers live in workstation/domain/jsondoc.py (shared with ecd/1 and plp/1)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

# shared JSON document helpers (also re-exported: the PIB rules import them from here)
from pydantic_core import PydanticCustomError

from workstation.domain.codes import Role
from workstation.domain.jsondoc import (
    DecimalStr,
    Digits6,
    PercentStr,
    PositiveDecimalStr,
    StrictModel,
    Text,
    at_path,
    check_unique,
    json_path,
    parse_json_document,
    validation_input_error,
)
from workstation.domain.scan import pib_aju_error
from workstation.domain.workflow import workflow

# --------------------------------------------------------------------------------------------------
# pib/1
# --------------------------------------------------------------------------------------------------

# A tariff post: digits only. How many is not the format's business but the tariff book's: rule-set data
# ([tariff] post_lengths of the rule set in force on the arrival date, CONTRACTS.md), checked at intake
# (HS_NOT_10_DIGITS) and by the determination. BTKI 2022 posts have 8 digits, the older books' sub-posts 10.
HsCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6,12}$")]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Seq = Annotated[int, Field(ge=1)]
Rupiah = Annotated[int, Field(ge=0)]


class Importer(StrictModel):
    npwp: Text
    name: Text
    api: bool


class Bc11Ref(StrictModel):
    """BC 1.1 manifest reference: number, date, pos and sub-pos."""

    number: Digits6
    date: dt.date
    pos: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")]
    subpos: Annotated[str, StringConstraints(pattern=r"^[0-9]{8}$")]


class BillOfLading(StrictModel):
    number: Text
    date: dt.date


class PibItem(StrictModel):
    seq: Seq
    hs_code: HsCode
    description: Text
    quantity: PositiveDecimalStr
    unit: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{1,4}$")]
    cif: DecimalStr
    bm_rate: PercentStr
    # Specific import duty, rupiah per `unit` (DOMAIN.md §2: "quantity × specific rate"); added to the
    # ad-valorem part, so a purely specific post declares bm_rate "0".
    bm_specific_idr: DecimalStr | None = None
    ppn_rate: PercentStr
    ppnbm_rate: PercentStr
    pph_rate: PercentStr
    excise_idr: Rupiah
    lartas_required: bool
    lartas_permit: Text | None = None

    @property
    def lartas_missing(self) -> bool:
        return self.lartas_required and not self.lartas_permit


class DeterminedItem(StrictModel):
    """The examiner's determination for one item: every field but `seq` overrides the declared one."""

    seq: Seq
    hs_code: HsCode | None = None
    quantity: PositiveDecimalStr | None = None
    cif: DecimalStr | None = None
    bm_rate: PercentStr | None = None
    bm_specific_idr: DecimalStr | None = None
    ppn_rate: PercentStr | None = None
    ppnbm_rate: PercentStr | None = None
    pph_rate: PercentStr | None = None
    excise_idr: Rupiah | None = None
    lartas_required: bool | None = None
    lartas_permit: Text | None = None

    def overrides(self) -> dict[str, Any]:
        """Fields the examiner actually set (JSON null and absent both mean "keep declared")."""
        return {k: v for k, v in self if k != "seq" and v is not None}


class Determination(StrictModel):
    items: list[DeterminedItem]

    @model_validator(mode="after")
    def _unique_seq(self) -> Determination:
        check_unique([i.seq for i in self.items], "items", "seq")
        return self


def _pib_aju(value: str) -> str:
    """The aju of a PIB: CEISA 4.0 ``nomorAju`` with document code 20 (workstation/domain/scan.py
    `aju_parts`: 4 office + 2 document code + 6 company, letters allowed + 8 date + 6 sequence)."""
    error = pib_aju_error(value)
    if error:
        raise PydanticCustomError("aju", "{reason}", {"reason": error})
    return value


class PibDocument(StrictModel):
    format: Literal["pib/1"]
    aju: Annotated[str, AfterValidator(_pib_aju)]
    office: Digits6
    importer: Importer
    bc11: Bc11Ref
    bl: BillOfLading
    arrival_date: dt.date
    currency: Currency
    ndpbm: PositiveDecimalStr
    items: Annotated[list[PibItem], Field(min_length=1)]
    determination: Determination | None = None

    @model_validator(mode="after")
    def _consistent(self) -> PibDocument:
        check_unique([i.seq for i in self.items], "items", "seq")
        if self.determination is not None:
            declared = {i.seq for i in self.items}
            for n, d in enumerate(self.determination.items):
                if d.seq not in declared:
                    raise at_path("no declared item has seq {seq}", "determination", "items", n, "seq", seq=d.seq)
        return self


def parse_pib(text: str | bytes) -> PibDocument:
    """Parse a pib/1 JSON document. Raises InputError naming the JSON path."""
    return parse_json_document(text, PibDocument, fmt="pib/1")


# --------------------------------------------------------------------------------------------------
# Assessment result
# --------------------------------------------------------------------------------------------------


class Outcome(StrEnum):
    SPPB = "SPPB"  # release approval
    SPTNP = "SPTNP"  # tariff/value determination, underpaid
    SPTNP_SPPB = "SPTNP+SPPB"  # determination with overpayment, and release
    SPBL = "SPBL"  # lartas permit missing


LEVY_FIELDS = ("customs_value_idr", "bm_idr", "ppn_idr", "ppnbm_idr", "pph_idr", "excise_idr", "total_idr")


class Levies(BaseModel):
    """Levies of one PIB in whole rupiah, rounded per the rule set. `total_idr` sums the levies (not the
    customs value). A difference of two Levies may be negative."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    customs_value_idr: int
    bm_idr: int
    ppn_idr: int
    ppnbm_idr: int
    pph_idr: int
    excise_idr: int
    total_idr: int

    @classmethod
    def zero(cls) -> Levies:
        return cls(**dict.fromkeys(LEVY_FIELDS, 0))

    def minus(self, other: Levies) -> Levies:
        return Levies(**{f: getattr(self, f) - getattr(other, f) for f in LEVY_FIELDS})

    def as_json(self) -> dict[str, int]:
        return {f: getattr(self, f) for f in LEVY_FIELDS}


class ItemLevies(BaseModel):
    """One item's levies before rounding (rounding applies to the per-levy sums only). For an examiner's
    per-item breakdown."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seq: int
    hs_code: str
    customs_value: Decimal
    bm: Decimal
    excise: Decimal
    import_value: Decimal
    ppn: Decimal
    ppnbm: Decimal
    pph: Decimal


class LevyBreakdown(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    items: tuple[ItemLevies, ...]
    totals: Levies


class PibAssessment(BaseModel):
    """Result of `workstation.rules.pib.assess_pib`. `contract_json()` is the CONTRACTS.md output; the
    other fields (rule set, breakdowns, items lacking a permit) are for screens and the audit trail."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    aju: str
    ruleset: str
    declared: LevyBreakdown
    determined: LevyBreakdown | None
    difference: Levies
    bm_shortfall_idr: int
    fine_idr: int
    fine_rate_pct: Decimal
    outcome: Outcome
    lartas_missing: tuple[int, ...]  # seqs of items needing a permit that has none

    def contract_json(self) -> dict[str, Any]:
        return {
            "declared": self.declared.totals.as_json(),
            "determined": None if self.determined is None else self.determined.totals.as_json(),
            "difference": self.difference.as_json(),
            "bm_shortfall_idr": self.bm_shortfall_idr,
            "fine_idr": self.fine_idr,
            "fine_rate_pct": format(self.fine_rate_pct, "f"),
            "outcome": self.outcome.value,
        }

# --------------------------------------------------------------------------------------------------
# The red lane's states and transitions (DOMAIN.md §2): one table, read by the service and the screens
# --------------------------------------------------------------------------------------------------


class PibState(StrEnum):
    """A PIB case's state; each name equals its stored value (cases.state)."""

    REJECTED = "REJECTED"  # failed the SKP checks; a rejection response was issued; may be resubmitted (same aju)
    BILLED = "BILLED"  # accepted; billing code issued for the declared levies; waiting for payment
    SPJM = "SPJM"  # registered (number + date; the 30-day clock runs); SPJM issued; waiting for goods readiness
    READY = "READY"  # goods-readiness notice recorded; waiting for the Instruksi Pemeriksaan
    INSPECTION = "INSPECTION"  # IP issued to an inspector; waiting for the LHP
    RESEARCH = "RESEARCH"  # LHP recorded; the examiner researches (NPD/DNP, lab, enforcement) and determines
    SPBL = "SPBL"  # lartas not met; waiting for the importer's permit, then a new determination
    SPTNP = "SPTNP"  # SPTNP issued with a shortfall; waiting for payment (then SPPB)
    SPPB = "SPPB"  # SPPB issued; the goods may leave
    RELEASED = "RELEASED"  # gate-out recorded


S = PibState
# Registered and not yet determined: the determination SLA runs.
AWAITING_DETERMINATION = frozenset({S.SPJM, S.READY, S.INSPECTION, S.RESEARCH})
# No SPPB yet: the TPS storage clock (BTD) matters.
WITHOUT_SPPB = frozenset({S.REJECTED, S.BILLED, S.SPJM, S.READY, S.INSPECTION, S.RESEARCH, S.SPBL, S.SPTNP})
LHP_OPEN = frozenset({S.INSPECTION, S.RESEARCH})  # an LHP / minutes can be recorded or amended

_DESK = (Role.EXAMINER, Role.SUPERVISOR)
_INTAKE = (Role.EXAMINER, Role.SUPERVISOR, Role.ADMIN)
_INSPECTOR = (Role.INSPECTOR,)
_EXAMINER = (Role.EXAMINER,)
_GATE = (Role.OFFICER, Role.INSPECTOR, Role.EXAMINER, Role.SUPERVISOR)
INTAKE_ROLES = frozenset(_INTAKE)  # who may receive a new PIB (opening a case is not a transition)

# (action, from states, to state (None: unchanged), roles). A new aju opens the case in REJECTED, BILLED or
# SPJM (intake); everything after that is a row here.
_ROWS: tuple[tuple[str, frozenset[PibState] | list[PibState], PibState | None, tuple[Role, ...]], ...] = (
    # intake: a rejected PIB resubmitted under the same aju
    ("pib.resubmit.rejected", [S.REJECTED], S.REJECTED, _INTAKE),
    ("pib.resubmit.billed", [S.REJECTED], S.BILLED, _INTAKE),
    ("pib.resubmit.registered", [S.REJECTED], S.SPJM, _INTAKE),
    # payment of the declared billing: SKP registers the PIB and issues the SPJM
    ("pib.pay_billing", [S.BILLED], S.SPJM, _DESK),
    ("pib.supporting_documents", [S.SPJM, S.READY, S.INSPECTION, S.RESEARCH, S.SPBL, S.SPTNP], None, _DESK),
    ("pib.goods_ready", [S.SPJM], S.READY, _DESK),
    ("pib.issue_ip", [S.READY], S.INSPECTION, _DESK),
    ("pib.reissue_ip", [S.INSPECTION], None, _DESK),
    # hangar
    ("pib.record_bap", LHP_OPEN, None, _INSPECTOR),
    ("pib.record_sampling", LHP_OPEN, None, _INSPECTOR),
    ("pib.submit_lhp", [S.INSPECTION], S.RESEARCH, _INSPECTOR),
    ("pib.amend_lhp", [S.RESEARCH], None, _INSPECTOR),
    # research
    ("pib.request", [S.RESEARCH, S.SPBL], None, _EXAMINER),
    ("pib.answer", [S.RESEARCH, S.SPBL], None, _DESK),
    ("pib.refer_enforcement", [S.RESEARCH, S.SPBL], None, _DESK),
    # determination, one row per outcome (Outcome values)
    ("pib.determine.SPPB", [S.RESEARCH, S.SPBL], S.SPPB, _EXAMINER),
    ("pib.determine.SPTNP", [S.RESEARCH, S.SPBL], S.SPTNP, _EXAMINER),
    ("pib.determine.SPTNP+SPPB", [S.RESEARCH, S.SPBL], S.SPPB, _EXAMINER),
    ("pib.determine.SPBL", [S.RESEARCH, S.SPBL], S.SPBL, _EXAMINER),
    ("pib.pay_sptnp", [S.SPTNP], S.SPPB, _DESK),
    ("pib.release", [S.SPPB], S.RELEASED, _GATE),
)
# The table holds the stored values as plain strings (what cases.state and the audit trail carry).
FLOW = workflow("pib", [x.value for x in PibState],
                *((a, [x.value for x in f], t.value if t else None, r) for a, f, t, r in _ROWS),
                final=[S.RELEASED.value])
DETERMINE_ACTIONS = frozenset(f"pib.determine.{o.value}" for o in Outcome)


__all__ = [
    "AWAITING_DETERMINATION",
    "DETERMINE_ACTIONS",
    "FLOW",
    "INTAKE_ROLES",
    "LEVY_FIELDS",
    "LHP_OPEN",
    "WITHOUT_SPPB",
    "Bc11Ref",
    "BillOfLading",
    "DecimalStr",
    "Determination",
    "DeterminedItem",
    "Digits6",
    "ItemLevies",
    "Levies",
    "LevyBreakdown",
    "Outcome",
    "PercentStr",
    "PibAssessment",
    "PibDocument",
    "PibItem",
    "PibState",
    "PositiveDecimalStr",
    "StrictModel",
    "Text",
    "at_path",
    "check_unique",
    "json_path",
    "parse_json_document",
    "parse_pib",
    "validation_input_error",
]
