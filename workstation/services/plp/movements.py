"""Movements of an approved PLP: gate-out at the origin and gate-in at the destination, recorded by hand on the
request screen (case, version, line) or from the smart gate's container read; the last gate-in closes the case.
Also when a line is next due at a gate, and so whether it is overdue (rule set of the request)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from db.models import Case
from db.models_plp import PlpLine, PlpMovement, PlpRequestRow, TpsContainer
from workstation import inputs
from workstation.domain.errors import ErrorCode
from workstation.domain.plp import FLOW, LINE_OPEN, OFFICERS, LineState
from workstation.errors import NotFound, Refusal
from workstation.rules.plp import gate_in_due, gate_out_due
from workstation.services.base import Actor, require_role
from workstation.services.plp.common import SEAL_MISMATCH, PlpBase, container_key
from workstation.services.plp.views import GateRelease, PlpDetail


def _plate(value: str | None, *, required: bool) -> str:
    """The truck plate; '-' when an automatic gate without a plate reader gave none."""
    if not required and not " ".join((value or "").split()):
        return "-"
    return inputs.truck_plate(value, "truck_plate")


class MovementsMixin(PlpBase):
    def gate_out(self, actor: Actor, case_id: uuid.UUID, version: int, seq: int, *, truck_plate: str,
                 seals: Iterable[str] | str = (), read_by: str = "manual") -> PlpDetail:
        """An approved line leaves the origin TPS (recorded by hand on the request screen).
        Raises InputError TRUCK_PLATE / SEAL_NUMBER; NotFound UNKNOWN_LINE; Refusal LINE_NOT_APPROVED and the
        case's own refusals (ROLE_REQUIRED, VERSION_CONFLICT, INVALID_STATE)."""
        return self._move(actor, "OUT", truck_plate, seals, read_by, case_id=case_id, version=version, seq=seq)

    def gate_in(self, actor: Actor, case_id: uuid.UUID, version: int, seq: int, *, truck_plate: str,
                seals: Iterable[str] | str = (), read_by: str = "manual") -> PlpDetail:
        """A line that left the origin arrives at the destination TPS; the last one closes the case.
        Raises as `gate_out`, with Refusal LINE_NOT_OUT for a line that has not left."""
        return self._move(actor, "IN", truck_plate, seals, read_by, case_id=case_id, version=version, seq=seq)

    def release_for_container(self, number: str, tps: str | None = None) -> GateRelease | None:
        """An approved PLP line for this container that may pass a gate now: OUT at its origin (approved,
        not yet out) or IN at its destination (out, not yet in). `tps` narrows to one gate's warehouse.
        The gate opens the barrier on it."""
        number = container_key(number)
        with self.ctx.db.read() as s:
            for line, req in self._gate_rows(s, number):
                direction, at = ("OUT", req.origin_tps) if line.state == LineState.APPROVED \
                    else ("IN", req.destination_tps)
                if tps is None or tps == at:
                    return GateRelease(line.case_id, line.id, direction, at, req.plp_number or "")
        return None

    def record_gate_out(self, actor: Actor, container_number: str, *, tps: str | None = None,
                        truck_plate: str | None = None, seals: Iterable[str] | str = (),
                        read_by: str = "gate") -> PlpDetail:
        """The gate at the origin read `container_number` and let it out: the approved line goes OUT.
        Refusal NO_RELEASE when no approved PLP line releases it (at `tps`, when given)."""
        return self._move(actor, "OUT", truck_plate, seals, read_by, container=container_number, tps=tps)

    def record_gate_in(self, actor: Actor, container_number: str, *, tps: str | None = None,
                       truck_plate: str | None = None, seals: Iterable[str] | str = (),
                       read_by: str = "gate") -> PlpDetail:
        """The gate at the destination read `container_number` coming in: the line goes IN (the last one
        closes the case). Refusal NO_RELEASE as for `record_gate_out`."""
        return self._move(actor, "IN", truck_plate, seals, read_by, container=container_number, tps=tps)

    def record_gate_move(self, actor: Actor, number: str, *, tps: str | None, truck_plate: str | None,
                         seals: Iterable[str] | str = (), read_by: str = "gate") -> GateRelease:
        """The gate read `number` and let it through, whichever way its PLP line is due: record it.
        Refusal NO_RELEASE when nothing releases it."""
        release = self.release_for_container(number, tps)
        if release is None:
            raise Refusal(f"{number}: no approved PLP movement at this gate", code=ErrorCode.NO_RELEASE,
                          field="container", params={"value": number})
        self._move(actor, release.direction, truck_plate, seals, read_by, container=number, tps=release.tps)
        return release

    def _move(self, actor: Actor, direction: str, truck_plate: str | None, seals: Iterable[str] | str,
              read_by: str, *, case_id: uuid.UUID | None = None, version: int | None = None, seq: int | None = None,
              container: str | None = None, tps: str | None = None) -> PlpDetail:
        """Record one gate event. By (case, version, seq) from a screen, or by container number from the smart
        gate (then the line is looked up under the write lock and the case's current version is used: the gate
        saw no version)."""
        require_role(actor, *OFFICERS, action="record PLP movements")
        read_by = " ".join((read_by or "manual").split())[:64] or "manual"
        plate = _plate(truck_plate, required=read_by == "manual")
        seal_list = inputs.seals(seals, "seals")
        with self.ctx.db.write() as s:
            if container is not None:
                found = self._line_for_gate(s, container, direction, tps)
                if found is None:
                    where = f" at {tps}" if tps else ""
                    kind = "gate-out" if direction == "OUT" else "gate-in"
                    raise Refusal(f"{container}: no approved PLP {kind}{where}", code=ErrorCode.NO_RELEASE,
                                  field="container", params={"value": container})
                line = found
                case_id = line.case_id
                current = s.get(Case, case_id)
                assert current is not None
                version = current.version
            else:
                maybe = s.scalar(select(PlpLine).where(PlpLine.case_id == case_id, PlpLine.seq == seq))
                if maybe is None:
                    raise NotFound(f"no line {seq} on this request", code=ErrorCode.UNKNOWN_LINE, field="line",
                                   params={"value": seq})
                line = maybe
            assert case_id is not None and version is not None
            open_before = s.scalar(select(func.count()).select_from(PlpLine).where(
                PlpLine.case_id == case_id, PlpLine.state.in_(LINE_OPEN)))
            last = direction == "IN" and line.state == LineState.OUT and open_before == 1
            transition = FLOW["plp.gate_out" if direction == "OUT" else ("plp.close" if last else "plp.gate_in")]

            def apply(case: Case) -> dict[str, Any]:
                req = s.get(PlpRequestRow, case.id)
                assert req is not None
                now = self.ctx.now()
                extra: dict[str, Any] = {}
                if direction == "OUT":
                    if line.state != LineState.APPROVED:
                        raise Refusal(f"line {line.seq} is {line.state}, not approved to leave",
                                      code=ErrorCode.LINE_NOT_APPROVED, field="line",
                                      params={"value": line.seq, "state": line.state})
                    line.state, line.out_at, at = LineState.OUT, now, req.origin_tps
                    self._container_leaves(s, line, now)
                else:
                    if line.state != LineState.OUT:
                        raise Refusal(f"line {line.seq} has not left the origin TPS", code=ErrorCode.LINE_NOT_OUT,
                                      field="line", params={"value": line.seq, "state": line.state})
                    line.state, line.in_at, at = LineState.IN, now, req.destination_tps
                    self._container_arrives(s, line, req.destination_tps, now)
                    out_seals = s.scalar(select(PlpMovement.seals).where(PlpMovement.line_id == line.id,
                                                                         PlpMovement.direction == "OUT")) or []
                    if out_seals and seal_list and sorted(out_seals) != sorted(seal_list):
                        extra = {"seal_mismatch": True, "seals_out": out_seals}
                        case.flags = sorted({*(case.flags or []), SEAL_MISMATCH})
                s.add(PlpMovement(line_id=line.id, direction=direction, tps_code=at, at=now, truck_plate=plate,
                                  seals=seal_list, read_by=read_by, recorded_by=actor.user_id, extra=extra))
                s.flush()
                return {"line": line.seq, "direction": direction, "tps": at, "truck_plate": plate,
                        "seals": seal_list, "read_by": read_by, "container": line.container_number, **extra}

            case = self.cases.change(s, actor, case_id, version, transition, apply)
            return self._detail(s, case)

    def _container_leaves(self, s: Session, line: PlpLine, now: dt.datetime) -> None:
        if line.container_number:
            for row in s.scalars(select(TpsContainer).where(TpsContainer.number == line.container_number,
                                                            TpsContainer.left_at.is_(None))):
                row.left_at = now

    def _container_arrives(self, s: Session, line: PlpLine, tps: str, now: dt.datetime) -> None:
        if not line.container_number:
            return
        first = s.scalar(select(func.min(TpsContainer.first_stored_at)).where(
            TpsContainer.number == line.container_number))
        s.add(TpsContainer(tps_code=tps, number=line.container_number, size=line.size or "20",
                           first_stored_at=first or now, stored_at=now))

    # -- the smart gate ------------------------------------------------------------------------------------
    def _gate_rows(self, s: Session, number: str) -> Sequence[Row[PlpLine, PlpRequestRow]]:
        return s.execute(select(PlpLine, PlpRequestRow).join(PlpRequestRow, PlpRequestRow.case_id == PlpLine.case_id)
                         .where(PlpLine.container_number == number, PlpLine.state.in_(LINE_OPEN))
                         .order_by(PlpRequestRow.decided_at)).all()

    def _line_for_gate(self, s: Session, number: str, direction: str | None, tps: str | None) -> PlpLine | None:
        for line, req in self._gate_rows(s, container_key(number)):
            d, at = ("OUT", req.origin_tps) if line.state == LineState.APPROVED else ("IN", req.destination_tps)
            if (direction is None or d == direction) and (tps is None or tps == at):
                return line
        return None

    # -- deadlines -------------------------------------------------------------------------------------------
    def _due(self, line: PlpLine, req: PlpRequestRow) -> dt.datetime | None:
        """When this line must next be at a gate (rule set of the request, [U] figures)."""
        rs = self._ruleset_by_id(req.ruleset)
        if line.state == LineState.APPROVED and req.decided_at is not None:
            return gate_out_due(req.decided_at, ruleset=rs)
        if line.state == LineState.OUT and line.out_at is not None:
            return gate_in_due(line.out_at, ruleset=rs)
        return None

    def _overdue(self, line: PlpLine, req: PlpRequestRow, now: dt.datetime) -> bool:
        due = self._due(line, req)
        return due is not None and now > due
