"""Use cases. Screens and commands call these; they own the transactions."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # kept out of start-up: the TUI paints before the database layer is imported
    from workstation.config import Settings
    from workstation.services.admin import AdminService
    from workstation.services.approvals import ApprovalService
    from workstation.services.audit import AuditService
    from workstation.services.auth import AuthService
    from workstation.services.base import Clock, ServiceContext
    from workstation.services.cases import CaseOps
    from workstation.services.devices import DevicesService
    from workstation.services.documents import DocumentsService
    from workstation.services.ecd import PassengerService
    from workstation.services.gate import GateService
    from workstation.services.issuance import IssuanceService
    from workstation.services.office import OfficeService
    from workstation.services.pib import PibService
    from workstation.services.plp import PlpService
    from workstation.services.reference import ReferenceService
    from workstation.services.report import ReportService
    from workstation.services.risk import RiskService


class Services:
    """All services of one process, built from one context and injected into the App (no globals).
    Workflow services are created on first use so that start-up imports only what the login needs."""

    def __init__(self, ctx: ServiceContext):
        self.ctx = ctx

    @property
    def settings(self) -> Settings:
        return self.ctx.settings

    @cached_property
    def auth(self) -> AuthService:
        from workstation.services.auth import AuthService

        return AuthService(self.ctx)

    @cached_property
    def cases(self) -> CaseOps:
        from workstation.services.cases import CaseOps

        return CaseOps(self.ctx)

    # Workflow services: workstation/services/<name>.py defines <Name>Service(services).
    @cached_property
    def ecd(self) -> PassengerService:
        from workstation.services.ecd import PassengerService

        return PassengerService(self)

    @cached_property
    def pib(self) -> PibService:
        from workstation.services.pib import PibService

        return PibService(self)

    @cached_property
    def plp(self) -> PlpService:
        from workstation.services.plp import PlpService

        return PlpService(self)

    @cached_property
    def documents(self) -> DocumentsService:
        from workstation.services.documents import DocumentsService

        return DocumentsService(self)

    @cached_property
    def report(self) -> ReportService:
        from workstation.services.report import ReportService

        return ReportService(self)

    @cached_property
    def gate(self) -> GateService:
        from workstation.services.gate import GateService

        return GateService(self)

    @cached_property
    def devices(self) -> DevicesService:
        from workstation.services.devices import DevicesService

        return DevicesService(self)

    @cached_property
    def reference(self) -> ReferenceService:
        from workstation.services.reference import ReferenceService

        return ReferenceService(self)

    @cached_property
    def issuance(self) -> IssuanceService:
        from workstation.services.issuance import IssuanceService

        return IssuanceService(self.ctx)

    @cached_property
    def risk(self) -> RiskService:
        from workstation.services.risk import RiskService

        return RiskService(self)

    @cached_property
    def approvals(self) -> ApprovalService:
        from workstation.services.approvals import ApprovalService

        return ApprovalService(self)

    @cached_property
    def audit(self) -> AuditService:
        from workstation.services.audit import AuditService

        return AuditService(self.ctx)

    @cached_property
    def office(self) -> OfficeService:
        from workstation.services.office import OfficeService

        return OfficeService(self)

    @cached_property
    def admin(self) -> AdminService:
        from workstation.services.admin import AdminService

        return AdminService(self)


def open_services(settings: Settings, *, migrate: bool = True, clock: Clock | None = None) -> Services:
    """Connect (one clear error if unreachable) and bring the schema up to date on first run."""
    from db import migrate as migrations
    from db.engine import Database
    from workstation.services.base import ServiceContext, system_clock

    db = Database.from_settings(settings)
    db.check()
    if migrate and not migrations.is_current(db.engine):
        migrations.upgrade(db.engine)
    services = Services(ServiceContext(db=db, settings=settings, clock=clock or system_clock))
    services.office.apply()  # the office as entered on the first run / by an administrator (#12 item 7)
    return services
