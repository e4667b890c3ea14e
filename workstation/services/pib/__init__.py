"""PIB red lane (DOMAIN.md §2, seed 003): intake and SKP checks, lartas and billing, registration and SPJM,
Instruksi Pemeriksaan, the inspector's LHP / BAP fisik / BA contoh, the examiner's research, requests and
determination, SPTNP / SPPB / SPBL, payment and release; the queues with their SLA and BTD flags; and the
reference tables intake reads (tariff, lartas, BC 1.1 manifest, blocked importers).

The states and transitions are one table, `workstation.domain.pib.FLOW`; what a user may do on a case is
`PibService.allowed_actions(actor, case)`, derived from it alone. Every change of a case is one method = one
write transaction through `CaseOps.change(…, FLOW[action], …)` (role, version, state, case event, audit
entry), with its documents issued in the same transaction. The figures (levies, fine tiers, day counts,
inspection levels, tariff-post length) come from the `pib` rule set through workstation.rules.pib.

One module per use case, composed here:
  reference.py      tariff, lartas and BC 1.1 tables
  intake.py         receiving PIBs (SKP checks, resubmission), blocked importers, supporting documents
  payment.py        declared billing and SPTNP payments (NTPN)
  inspection.py     goods readiness, Instruksi Pemeriksaan, BAP fisik, BA contoh, LHP
  research.py       NPD / DNP, lab tests, answers, enforcement referral
  determination.py  the determination and its documents (SPPB / SPTNP / SPBL)
  release.py        gate-out
  sla.py            SLA and BTD clocks, queue flags, the work queues
  detail.py         one case for the screens, the research view
  views.py          the typed, frozen views screens get (and the form models they fill)
Demo data: workstation/demo/pib.py."""

from __future__ import annotations

from workstation.domain.pib import DETERMINE_ACTIONS, FLOW, PibState
from workstation.services.pib.detail import DetailMixin
from workstation.services.pib.determination import DeterminationMixin, determination_from_form
from workstation.services.pib.inspection import InspectionMixin
from workstation.services.pib.intake import SUPPORTING_KINDS, IntakeMixin
from workstation.services.pib.payment import PaymentMixin
from workstation.services.pib.reference import ReferenceMixin
from workstation.services.pib.release import ReleaseMixin
from workstation.services.pib.research import LAB_RESULTS, REQUEST_KINDS, ResearchMixin
from workstation.services.pib.sla import (
    FLAG_BTD,
    FLAG_ENFORCEMENT,
    FLAG_LARTAS,
    FLAG_OPEN_REQUEST,
    FLAG_SLA_BREACH,
    FLAG_SPTNP_OVERDUE,
)
from workstation.services.pib.views import (
    BapInput,
    BillingInfo,
    BlockInfo,
    ContainerRelease,
    DeterminationInfo,
    DeterminationResult,
    FormLimits,
    ImportCounts,
    InstructionInfo,
    IntakeResult,
    LhpContainer,
    LhpInput,
    LhpItem,
    PibDetail,
    QueueRow,
    ReportInfo,
    RequestInfo,
    SamplingInput,
    Sla,
    SubmissionInfo,
    SupportingDocInfo,
    UndeclaredGoods,
    parse_form,
)


class PibService(ReferenceMixin, IntakeMixin, PaymentMixin, InspectionMixin, ResearchMixin, DeterminationMixin,
                 ReleaseMixin, DetailMixin):
    """The PIB red lane's use cases (see the modules above); `services` is the application's Services."""


# The states by name, for callers that compare a case's state (names equal the stored values).
REJECTED = PibState.REJECTED
BILLED = PibState.BILLED
SPJM = PibState.SPJM
READY = PibState.READY
INSPECTION = PibState.INSPECTION
RESEARCH = PibState.RESEARCH
SPBL = PibState.SPBL
SPTNP = PibState.SPTNP
SPPB = PibState.SPPB
RELEASED = PibState.RELEASED

__all__ = [
    "BILLED",
    "DETERMINE_ACTIONS",
    "FLAG_BTD",
    "FLAG_ENFORCEMENT",
    "FLAG_LARTAS",
    "FLAG_OPEN_REQUEST",
    "FLAG_SLA_BREACH",
    "FLAG_SPTNP_OVERDUE",
    "FLOW",
    "INSPECTION",
    "LAB_RESULTS",
    "READY",
    "REJECTED",
    "RELEASED",
    "REQUEST_KINDS",
    "RESEARCH",
    "SPBL",
    "SPJM",
    "SPPB",
    "SPTNP",
    "SUPPORTING_KINDS",
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
    "LhpContainer",
    "LhpInput",
    "LhpItem",
    "PibDetail",
    "PibService",
    "PibState",
    "QueueRow",
    "ReportInfo",
    "RequestInfo",
    "SamplingInput",
    "Sla",
    "SubmissionInfo",
    "SupportingDocInfo",
    "UndeclaredGoods",
    "determination_from_form",
    "parse_form",
]
