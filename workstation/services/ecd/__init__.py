"""Passenger e-CD at the counter (DOMAIN.md §1, seed 002, PER-09/BC/2018): intake (pre-arrival import, offline
`ECD1:` scan, oral declaration), the lane decision, diversion green → red, clearance red → green with a
supervisor's confirmation, the red-lane inspection (findings per item, excise count, referrals, the cash
procedure, destruction of excise goods above the allowance), reassessment with the same rule engine, billing,
payment and release, and the queue of the day.

Every state change is ONE service call: role check, optimistic lock on the case version, the state machine
(`workstation.domain.ecd.FLOW`), detail rows (append-only), documents through issuance (gapless numbers), a case
event and an audit entry, one commit. Every such call may raise PermissionDenied ROLE_REQUIRED (a role outside
the row), ConflictError VERSION_CONFLICT (the case changed since the screen read it), Refusal INVALID_STATE (the
row does not start from the case's state) and InputError (a field, with its code and the field's key); other
refusals are named where they are raised.

The package: `views.py` (what the screens get), `base.py` (shared reads), one module per use case —
`intake.py`, `inspection.py`, `settlement.py`, `queue.py` — composed here into `PassengerService`. Demo data
lives in `workstation/demo/ecd.py`."""

from __future__ import annotations

from workstation.domain.ecd import (
    ASSESSED,
    BILLED,
    FLOW,
    GREEN,
    INSPECTING,
    PAID,
    RED,
    RELEASED,
    STATES,
    EcdState,
)
from workstation.services.base import Actor
from workstation.services.ecd.base import (
    FINDING_STATUSES,
    FOUND,
    IMPORTERS,
    KIND,
    NOT_FOUND,
    OFFICERS,
    PAYMENT_CHANNELS,
    UNDECLARED,
)
from workstation.services.ecd.inspection import InspectionMixin
from workstation.services.ecd.intake import IntakeMixin
from workstation.services.ecd.queue import QueueMixin
from workstation.services.ecd.settlement import SettlementMixin, billing_code, seq_of_number
from workstation.services.ecd.views import (
    BillingView,
    DecisionView,
    DocRef,
    EcdView,
    FindingView,
    ImportResult,
    OralForm,
    PaymentView,
    QueueData,
    QueueRow,
    ReferralView,
)

__all__ = [
    "ASSESSED", "BILLED", "FINDING_STATUSES", "FLOW", "FOUND", "GREEN", "IMPORTERS", "INSPECTING", "KIND",
    "NOT_FOUND", "OFFICERS", "PAID", "PAYMENT_CHANNELS", "RED", "RELEASED", "STATES", "UNDECLARED", "BillingView",
    "DecisionView", "DocRef", "EcdState", "EcdView", "FindingView", "ImportResult", "OralForm", "PassengerService",
    "PaymentView", "QueueData", "QueueRow", "ReferralView", "billing_code", "seq_of_number",
]


class PassengerService(IntakeMixin, InspectionMixin, SettlementMixin, QueueMixin):
    """The passenger counter's use cases (`services.ecd`)."""

    def allowed_actions(self, actor: Actor, view: EcdView) -> frozenset[str]:
        """The action ids of `FLOW` (e.g. `ecd.divert`) that `actor`'s roles allow on the case in its current
        state: what the screens offer. Preconditions that are not about the state (an unpaid billing, a referral
        not yet handed over) are not here: the service refuses those with their code."""
        return FLOW.allowed(view.state, actor.roles)
