"""The main screen's sections (Textual MODES), which roles see them, and their F-keys."""

from __future__ import annotations

from dataclasses import dataclass

from workstation.domain.codes import Role
from workstation.i18n import N_

ALL_ROLES = frozenset(Role)


@dataclass(frozen=True)
class Section:
    name: str
    title: str  # English source string; translated when shown
    key: str
    roles: frozenset[Role]
    screen: str  # "module:Class", imported on first use so start-up stays light


SECTIONS: tuple[Section, ...] = (
    Section("home", N_("Home"), "f2", ALL_ROLES, "screens.home:HomeScreen"),
    Section("counter", N_("Passenger counter"), "f3", frozenset({Role.OFFICER, Role.SUPERVISOR}),
            "screens.passenger:CounterScreen"),
    Section("hangar", N_("Hangar inspection"), "f4", frozenset({Role.INSPECTOR, Role.SUPERVISOR}),
            "screens.hangar:HangarScreen"),
    Section("examiner", N_("Examination"), "f5", frozenset({Role.EXAMINER, Role.SUPERVISOR}),
            "screens.examiner:ExaminerScreen"),
    Section("warehouse", N_("Warehouse moves"), "f6", frozenset({Role.OFFICER, Role.SUPERVISOR}),
            "screens.warehouse:WarehouseScreen"),
    Section("gate", N_("Smart gate"), "f7", frozenset({Role.OFFICER, Role.SUPERVISOR}),
            "screens.gate:GateScreen"),
    Section("supervisor", N_("Supervision"), "f8", frozenset({Role.SUPERVISOR}), "screens.supervisor:SupervisorScreen"),
    Section("admin", N_("Administration"), "f9", frozenset({Role.ADMIN}), "screens.admin:AdminScreen"),
    # beyond the F-keys: Ctrl combinations no form field uses
    Section("approvals", N_("Approvals"), "ctrl+o", ALL_ROLES, "screens.approvals:ApprovalsScreen"),
    Section("risk", N_("Risk management"), "ctrl+g", frozenset({Role.SUPERVISOR}), "screens.risk:RiskScreen"),
    Section("sync", N_("Sync"), "ctrl+y", ALL_ROLES, "screens.sync:SyncScreen"),
)

BY_NAME = {s.name: s for s in SECTIONS}


def sections_for(roles: frozenset[Role]) -> list[Section]:
    return [s for s in SECTIONS if s.roles & roles]


def load_screen_class(section: Section):
    """The section's screen; a workflow not built yet shows the pending screen, saying so."""
    import importlib
    import importlib.util

    module, _, cls = section.screen.partition(":")
    if importlib.util.find_spec(module) is None:
        module, cls = "screens.pending", "PendingSectionScreen"
    return getattr(importlib.import_module(module), cls)
