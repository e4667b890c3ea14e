"""What the PIB service hands to screens and commands: typed, frozen views of a case, its queue rows and the
results of its use cases. Nothing here touches the database; the service builds them inside its reads.

The hangar's and the examiner's forms are pydantic models of the rules (`BapInput`, `LhpInput`, …); they are
re-exported here so screens import them from the service, never from `workstation.rules`."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from workstation.domain.pib import PibAssessment, PibDocument
from workstation.rules.pib_checks import (
    BapInput,
    ItemComparison,
    LartasFlag,
    LhpContainer,
    LhpInput,
    LhpItem,
    ManifestLine,
    Problem,
    SamplingInput,
    TariffRow,
    UndeclaredGoods,
    parse_form,
)
from workstation.services.cases import CaseView
from workstation.services.issuance import IssuedDocument

__all__ = [
    "BapInput",
    "BillingInfo",
    "BlockInfo",
    "ContainerRelease",
    "DeterminationInfo",
    "DeterminationResult",
    "FormLimits",
    "ImportCounts",
    "InstructionInfo",
    "IntakeResult",
    "ItemComparison",
    "LhpContainer",
    "LhpInput",
    "LhpItem",
    "PibDetail",
    "QueueRow",
    "ReportInfo",
    "RequestInfo",
    "SamplingInput",
    "Sla",
    "SubmissionInfo",
    "SupportingDocInfo",
    "TariffRow",
    "UndeclaredGoods",
    "parse_form",
]


@dataclass(frozen=True)
class IntakeResult:
    case_id: uuid.UUID
    aju: str
    version: int
    state: str
    accepted: bool
    submission: int
    problems: tuple[Problem, ...]
    billing_code: str | None = None
    billing_total_idr: int | None = None
    registration_number: str | None = None
    documents: tuple[str, ...] = ()
    unchanged: bool = False  # the same document again: nothing written


@dataclass(frozen=True)
class ImportCounts:
    added: int
    changed: int
    unchanged: int


@dataclass(frozen=True)
class BlockInfo:
    npwp: str
    name: str
    reason: str
    blocked_at: dt.datetime
    blocked_by: str


@dataclass(frozen=True)
class BillingInfo:
    kind: str
    code: str
    levies: dict[str, int]
    fine_idr: int
    total_idr: int
    issued_on: dt.date
    due_on: dt.date | None
    paid_on: dt.date | None
    ntpn: str | None


@dataclass(frozen=True)
class SubmissionInfo:
    version: int
    received_at: dt.datetime
    source: str
    accepted: bool
    problems: tuple[Problem, ...]
    response_number: str | None
    format: str = "pib/1"  # as it came in: pib/1 or ceisa/bc20 (workstation.formats.PIB_FORMATS)


@dataclass(frozen=True)
class SupportingDocInfo:
    kind: str
    number: str
    doc_date: dt.date | None
    item_seq: int | None


@dataclass(frozen=True)
class InstructionInfo:
    version: int
    inspector_id: uuid.UUID
    inspector_login: str
    inspector_name: str
    level_pct: int
    containers: tuple[str, ...]
    packages: str
    memo: str
    sample_requested: bool
    document_number: str
    issued_at: dt.datetime


@dataclass(frozen=True)
class ReportInfo:
    kind: str
    version: int
    author_id: uuid.UUID
    author_login: str
    content: dict[str, Any]
    submitted_at: dt.datetime
    document_number: str

    @property
    def lhp(self) -> LhpInput:
        # the stored content carries the conclusion (and an amendment its reason) beside the form's fields
        return LhpInput.model_validate({k: v for k, v in self.content.items() if k in LhpInput.model_fields})

    @property
    def amendment_reason(self) -> str:
        return str(self.content.get("amendment_reason") or "")


@dataclass(frozen=True)
class RequestInfo:
    id: uuid.UUID
    kind: str
    text: str
    item_seq: int | None
    requested_at: dt.datetime
    due_on: dt.date | None
    document_number: str | None
    answer: str | None
    result: str | None
    answered_at: dt.datetime | None

    @property
    def open(self) -> bool:
        return self.answered_at is None and self.kind != "ENFORCEMENT"


@dataclass(frozen=True)
class DeterminationInfo:
    version: int
    examiner_login: str
    decided_on: dt.date
    items: list[dict[str, Any]]
    assessment: dict[str, Any]
    ruleset_id: str
    outcome: str
    documents: list[str]
    note: str


@dataclass(frozen=True)
class Sla:
    days_since_registration: int | None
    determination_due: dt.date | None
    storage_days: int
    storage_limit: dt.date
    flags: tuple[str, ...]


@dataclass(frozen=True)
class PibDetail:
    case: CaseView
    aju: str
    importer_npwp: str
    importer_name: str
    doc: PibDocument  # the current submission
    submissions: tuple[SubmissionInfo, ...]
    registration_number: str | None
    registered_on: dt.date | None
    submitted_on: dt.date
    first_storage_on: dt.date
    goods_ready_on: dt.date | None
    goods_location: str | None
    goods_contact: str | None
    manifest_line: ManifestLine | None
    lartas: tuple[LartasFlag, ...]
    billings: tuple[BillingInfo, ...]
    supporting: tuple[SupportingDocInfo, ...]
    instruction: InstructionInfo | None
    lhp: ReportInfo | None
    bap: ReportInfo | None
    sampling: ReportInfo | None
    lhp_authors: frozenset[uuid.UUID]
    requests: tuple[RequestInfo, ...]
    determination: DeterminationInfo | None
    documents: tuple[IssuedDocument, ...]
    sla: Sla
    examiner_login: str | None
    released_at: dt.datetime | None

    @property
    def version(self) -> int:
        return self.case.version

    @property
    def state(self) -> str:
        return self.case.state

    def billing(self, kind: str) -> BillingInfo | None:
        found = [b for b in self.billings if b.kind == kind]
        return found[-1] if found else None


@dataclass(frozen=True)
class QueueRow:
    case_id: uuid.UUID
    version: int
    aju: str
    importer_name: str
    state: str
    registration_number: str | None
    registered_on: dt.date | None
    days: int | None  # since registration
    due_on: dt.date | None
    storage_days: int
    flags: tuple[str, ...]
    inspector_login: str | None
    level_pct: int | None
    containers: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeterminationResult:
    case: CaseView
    assessment: PibAssessment
    documents: tuple[str, ...]
    billing_code: str | None


@dataclass(frozen=True)
class ContainerRelease:
    """The gate's answer for a container: the PIB whose SPPB lets it out (`version` to record the gate-out)."""

    case_id: uuid.UUID
    sppb_number: str
    aju: str
    version: int


@dataclass(frozen=True)
class FormLimits:
    """Rule-set figures the forms offer or size their fields by: the inspection levels an IP may name (percent)
    and the digits of a tariff post (`[inspection] levels_pct`, `[tariff] post_lengths`)."""

    levels_pct: tuple[int, ...]
    post_lengths: tuple[int, ...]

    @property
    def hs_max_length(self) -> int:
        return max(self.post_lengths)
