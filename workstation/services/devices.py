"""Devices seen from the services: every barrier command is audited (who, which gate, what happened), and the
device manager is built from the workstation's configuration."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from db import audit
from db.audit import AuditActor
from workstation.domain.codes import Role
from workstation.domain.errors import ErrorCode
from workstation.errors import InputError
from workstation.services.base import Actor, require_any_role, require_role

if TYPE_CHECKING:
    from workstation.services import Services


class DevicesService:
    def __init__(self, services: Services):
        self.services = services
        self.ctx = services.ctx

    def specs(self) -> list[Any]:
        from devices.config import parse_device_configs

        return parse_device_configs(self.ctx.settings.devices)

    def record_barrier_command(self, actor: Actor | None, device: str, command: str, result: Any) -> None:
        """Called for every barrier command whatever its fate (the manager guarantees once per command).
        `result` is a devices.events.CommandResult: the entry keeps its outcome, the state the device reported
        and the reason (the release or refusal it was sent for; "passage"/"timeout" when the barrier closed by
        itself — then the actor is the system, not the officer at the screen)."""
        from devices.manager import AUTO_CLOSE_REASONS

        reason = getattr(result, "reason", None)
        if reason in AUTO_CLOSE_REASONS:
            actor = None
        if actor is not None:
            require_any_role(actor, action="operate the barrier")
        who = actor.audit if actor is not None else AuditActor(None, "system", None, self.ctx.settings.office.code,
                                                               self.ctx.settings.unit_code)
        data = {"command": command, "ok": bool(getattr(result, "ok", False)),
                "state": getattr(result, "state", None), "error": getattr(result, "error", None),
                "reason": reason}
        with self.ctx.db.write() as s:
            audit.append(s, who, "device.barrier_command", "device", device, data, now=self.ctx.now())

    def manual_barrier(self, actor: Actor, manager: Any, device: str, command: str, confirmed_by: Actor,
                       reason: str) -> Any:
        """Open/close a barrier by hand: only with a supervisor's confirmation (dual authorisation)."""
        require_role(actor, Role.OFFICER, Role.SUPERVISOR, action="operate a barrier")
        if Role.SUPERVISOR not in confirmed_by.roles or confirmed_by.user_id == actor.user_id:
            from workstation.errors import PermissionDenied

            raise PermissionDenied("a manual barrier command needs another user, a supervisor, to confirm",
                                   code=ErrorCode.DUAL_AUTHORIZATION)
        if not reason.strip():
            raise InputError("a reason is required", field="reason", code=ErrorCode.REQUIRED)
        with self.ctx.db.write() as s:
            audit.append(s, actor.audit, "device.barrier_override", "device", device,
                         {"command": command, "reason": reason.strip(), "confirmed_by": confirmed_by.login},
                         now=self.ctx.now())
        return manager.barrier_command(device, command)
