"""Release (DOMAIN.md §2 step 8): the goods leave the customs area under the SPPB — recorded at the desk, or
by the smart gate when it reads a container that an SPPB releases."""

from __future__ import annotations

import uuid
from typing import Any

from db.models import Case
from workstation import inputs
from workstation.domain.errors import ErrorCode
from workstation.domain.pib import FLOW
from workstation.errors import Refusal
from workstation.services.base import Actor
from workstation.services.cases import CaseView, view
from workstation.services.pib.base import PibBase
from workstation.services.pib.views import ContainerRelease


class ReleaseMixin(PibBase):
    def release(self, actor: Actor, case_id: uuid.UUID, version: int, *, note: str = "") -> CaseView:
        """Gate-out: the goods left the customs area under the SPPB. Raises InputError TOO_LONG (note)."""
        note = inputs.text(note, "note", max_len=500, required=False)
        with self.ctx.db.write() as s:
            _, pc = self._load(s, case_id)

            def apply(case: Case) -> dict[str, Any]:
                pc.released_at = self.ctx.now()
                return {"note": note}

            case = self.cases.change(s, actor, case_id, version, FLOW["pib.release"], apply)
            return view(case)

    def release_for_container(self, number: str) -> ContainerRelease | None:
        """A PIB with an SPPB whose BC 1.1 line carries this container: the gate may let it out. One look-up
        bounded by the cases awaiting gate-out (workstation/services/pib/queries.py)."""
        from workstation.services.pib import queries

        with self.ctx.db.read() as s:
            r = queries.release_for_container(s, number)
        return ContainerRelease(r.case_id, r.sppb_number, r.aju, r.version) if r else None

    def record_gate_out(self, actor: Actor, number: str, *, truck_plate: str | None = None,
                        read_by: str = "gate") -> CaseView:
        """The gate let the container out under its SPPB: the PIB is released (gate-out recorded).
        Raises Refusal NO_RELEASE when no SPPB releases the container."""
        rel = self.release_for_container(number)
        if rel is None:
            raise Refusal(f"{number}: no SPPB releases this container", code=ErrorCode.NO_RELEASE,
                          params={"value": number})
        note = f"gate-out {number} ({read_by})" + (f", truck {truck_plate}" if truck_plate else "")
        return self.release(actor, rel.case_id, rel.version, note=note[:500])
