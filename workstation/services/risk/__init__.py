"""Risk management (issue #16): targeting profiles, random selection, inspection outcomes and hit rates, the
value check, pre-arrival data. This class only composes the use cases:
  profiles.py    import / export / withdraw profiles and random rates (versioned)
  selection.py   the risk decision at assessment (functions over the caller's session: select_for_ecd,
                 select_for_pib, record_selection) — the one hook the e-CD and PIB intakes call
  outcomes.py    what a red-lane inspection found, recorded or read from the workflow's findings
  report.py      hit rates per profile / rule / random with Wilson intervals and lift; weekly series
  prearrival.py  advance passenger lists and partner pre-declarations, matched with what arrived
  views.py       the typed, frozen views
  queries.py     typed look-ups for other workflows (functions over a session)
The domain (profile file, outcomes, roles) is workstation/domain/risk.py; the rules workstation/rules/risk.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workstation.services.risk.outcomes import OutcomesMixin
from workstation.services.risk.prearrival import PrearrivalMixin
from workstation.services.risk.profiles import ProfilesMixin
from workstation.services.risk.report import ReportMixin

if TYPE_CHECKING:
    from workstation.services import Services


class RiskService(ProfilesMixin, OutcomesMixin, ReportMixin, PrearrivalMixin):
    """Built from the process's Services (like every workflow service)."""


def risk_service(services: Services) -> RiskService:
    """The process's risk service: `services.risk` once the lead adds that property, else one made here."""
    existing = getattr(services, "risk", None)
    if isinstance(existing, RiskService):
        return existing
    made = services.__dict__.get("_risk_service")
    if made is None:
        made = RiskService(services)
        services.__dict__["_risk_service"] = made
    return made


__all__ = ["RiskService", "risk_service"]
