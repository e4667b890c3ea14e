"""What every risk use case shares: the service context. The use cases (profiles.py, outcomes.py, report.py,
prearrival.py) are mixins on `RiskBase`; `RiskService` composes them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workstation.services.base import ServiceContext

if TYPE_CHECKING:
    from workstation.services import Services


class RiskBase:
    def __init__(self, services: Services):
        self.services = services
        self.ctx: ServiceContext = services.ctx
