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
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

# shared JSON document helpers (also re-exported: the PIB rules import them from here)
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

# --------------------------------------------------------------------------------------------------
# pib/1
# --------------------------------------------------------------------------------------------------

HsCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{8}([0-9]{2})?$")]  # BTKI 8 digits, or 10
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


class PibDocument(StrictModel):
    format: Literal["pib/1"]
    aju: Annotated[str, StringConstraints(pattern=r"^[0-9]{26}$")]
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


__all__ = [
    "LEVY_FIELDS",
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
