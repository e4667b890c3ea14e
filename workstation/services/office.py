"""(being built)"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workstation.services import Services


class OfficeService:
    def __init__(self, services: Services):
        self.services = services
        self.ctx = services.ctx
