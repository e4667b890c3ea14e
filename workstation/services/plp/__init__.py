"""PLP — moving uncleared imports between TPS (DOMAIN.md §3, seed 004): the TPS registry with its occupancy
(YOR of the yard in TEU, SOR of the shed in m³), requests with their eligibility, the officer's decision per
line with a numbered letter, cancellation, gate-out and gate-in (by hand or from the smart gate's container
read), overdue lines, and the refusal of further requests from an operator with unreported movements.

TPS operators are not users of this app: officers import (`plp import`) or enter their requests.

The states and what a user may do in each are one table, `workstation.domain.plp.FLOW`. This class only
composes the use cases:
  registry.py   the TPS registry, occupancy, stored containers
  requests.py   check and register a request (file, command or form)
  decision.py   approve / reject lines, letters, cancel
  movements.py  gate-out / gate-in (by hand or from the smart gate), deadlines
  queue.py      the office's queue and one request in full
  views.py      the typed, frozen views the screens get
  queries.py    typed look-ups for other workflows and the daily report (functions over a session)"""

from __future__ import annotations

from workstation.domain.plp import FLOW, LINE_OPEN, OFFICERS, REGISTRY_KEEPERS, LineState, PlpState
from workstation.services.base import Actor
from workstation.services.plp.common import (
    DESTINATION_NO_LCL,
    DESTINATION_NO_SPECIAL,
    DESTINATION_OVER_THRESHOLD,
    KIND,
    ORIGIN_HAS_LCL,
    SEAL_MISMATCH,
    UNKNOWN_TPS,
    UNREPORTED_MOVEMENTS,
    ImportDeclaredHook,
)
from workstation.services.plp.decision import DecisionMixin
from workstation.services.plp.movements import MovementsMixin
from workstation.services.plp.queue import QueueMixin
from workstation.services.plp.registry import FACILITIES, TPS_CSV_HEADER, RegistryMixin, registry_warnings
from workstation.services.plp.requests import RequestsMixin, pib_declared_hook, request_from_form
from workstation.services.plp.views import (
    GateRelease,
    LineView,
    MovementView,
    PlpDetail,
    PlpEvaluation,
    QueueRow,
    TpsImportResult,
    TpsView,
)

__all__ = [
    "DESTINATION_NO_LCL", "DESTINATION_NO_SPECIAL", "DESTINATION_OVER_THRESHOLD", "FACILITIES", "FLOW", "KIND",
    "LINE_OPEN", "OFFICERS", "ORIGIN_HAS_LCL", "REGISTRY_KEEPERS", "SEAL_MISMATCH", "TPS_CSV_HEADER", "UNKNOWN_TPS",
    "UNREPORTED_MOVEMENTS", "GateRelease", "ImportDeclaredHook", "LineState", "LineView", "MovementView",
    "PlpDetail", "PlpEvaluation", "PlpService", "PlpState", "QueueRow", "TpsImportResult", "TpsView",
    "pib_declared_hook", "registry_warnings", "request_from_form",
]


class PlpService(RegistryMixin, RequestsMixin, DecisionMixin, MovementsMixin, QueueMixin):
    """The PLP workflow's use cases, one module each (see the package docstring)."""

    def allowed_actions(self, actor: Actor, detail: PlpDetail) -> frozenset[str]:
        """The actions of `FLOW` this user may take on this request in its state (the screen greys out the
        rest). Preconditions on its lines are checked when the action is taken (refusals with their codes)."""
        return FLOW.allowed(detail.case.state, actor.roles)
