"""What the PLP use-case modules share: the service's base (context, rule sets), constants and small helpers.

Each use-case module (registry, requests, decision, movements, queue) is a mixin over `PlpBase`; the service
class in `__init__.py` composes them. The few methods one module calls on another are declared here for the
type checker only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any

from db.models_plp import PlpLine
from workstation.domain.identifiers import container_marking
from workstation.rules.plp import yor_pct
from workstation.rules.ruleset import RuleSet, ruleset_by_id, ruleset_for

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from db.models import Case
    from db.models_plp import PlpRequestRow, Tps
    from workstation.services import Services
    from workstation.services.base import Actor
    from workstation.services.issuance import IssuedDocument
    from workstation.services.plp.views import PlpDetail, TpsView

KIND = "PLP"

# Refusals the office adds to the pure rule check, from its own records (not part of `plp check`).
UNREPORTED_MOVEMENTS = "UNREPORTED_MOVEMENTS"  # the applying operator has overdue approved lines
UNKNOWN_TPS = "UNKNOWN_TPS"  # origin or destination not in the office's TPS registry
SEAL_MISMATCH = "SEAL_MISMATCH"  # case flag: seals at gate-in differ from those at gate-out

# Advice for the officer from the registry (not refusals: the officer weighs them when deciding per line).
ORIGIN_HAS_LCL = "ORIGIN_HAS_LCL"  # ground NO_LCL_FACILITY, but the registry lists LCL storage at the origin
DESTINATION_NO_LCL = "DESTINATION_NO_LCL"  # consolidated cargo to a TPS without LCL storage
DESTINATION_NO_SPECIAL = "DESTINATION_NO_SPECIAL"  # ground NO_SPECIAL_FACILITY, destination has none either
DESTINATION_OVER_THRESHOLD = "DESTINATION_OVER_THRESHOLD"  # the destination is itself at or above the standard

MAX_REASON = 500  # characters of a rejection or cancellation reason

# "No PLP once an import declaration for the goods is submitted" (seed 004, Persyaratan 3), asked of the PIB
# records: (BC 1.1 number, BC 1.1 date, container numbers) -> True when a declaration covers these goods.
ImportDeclaredHook = Callable[[str, dt.date, tuple[str, ...]], bool]


def what(line: PlpLine) -> str:
    """A line as the officer reads it: 'CSQU3054383 (40')' or 'MAEU123456789: 12 PK'."""
    if line.kind == "container":
        return f"{line.container_number} ({line.size}')"
    return f"{line.bl_awb}: {line.quantity} {line.package_kind}"


def container_key(value: str | None) -> str:
    """A container number as stored and looked up: the marking form made compact, upper case (not checked:
    lookups only)."""
    return container_marking(value)


def floored_pct(used: int | Decimal | None, capacity: int | Decimal | None) -> Decimal | None:
    """Occupancy in %, floored to 0.1: a figure shown at or above the threshold is at or above it."""
    if used is None or not capacity:
        return None
    return yor_pct(used, capacity).quantize(Decimal("0.1"), rounding=ROUND_FLOOR)


def fmt_pct(d: Decimal | None) -> str:
    return "-" if d is None else f"{d.normalize():f}"


class PlpBase:
    """The service's state: the process's services, their context, the case operations and the PIB hook."""

    def __init__(self, services: Services, import_declared: ImportDeclaredHook | None = None):
        from workstation.services.plp.requests import pib_declared_hook

        self.services = services
        self.ctx = services.ctx
        self.cases = services.cases
        self.import_declared = import_declared or pib_declared_hook(services)

    def ruleset(self, day: dt.date | None = None) -> RuleSet:
        """The `plp` rule set in force on `day` (today by default). Raises Refusal NO_RULESET."""
        return ruleset_for("plp", day or self.ctx.today(), self.ctx.settings.rulesets_dir)

    def _ruleset_by_id(self, ruleset_id: str) -> RuleSet:
        return ruleset_by_id(ruleset_id, self.ctx.settings.rulesets_dir)

    if TYPE_CHECKING:  # implemented by the use-case mixins and called across them; seen by the type checker only
        def _tps_view(self, s: Session, tps: Tps) -> TpsView:
            raise NotImplementedError  # registry.py

        def _registry_ratio(self, s: Session, tps: Tps | None) -> Decimal | None:
            raise NotImplementedError  # registry.py

        def _due(self, line: PlpLine, req: PlpRequestRow) -> dt.datetime | None:
            raise NotImplementedError  # movements.py

        def _overdue(self, line: PlpLine, req: PlpRequestRow, now: dt.datetime) -> bool:
            raise NotImplementedError  # movements.py

        def _detail(self, s: Session, case: Case) -> PlpDetail:
            raise NotImplementedError  # queue.py

        def _issue(self, s: Session, actor: Actor, case: Case, doc_type: str, **kw: Any) -> IssuedDocument:
            raise NotImplementedError  # decision.py
