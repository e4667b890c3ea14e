"""Movements of an approved PLP: gate-out at the origin and gate-in at the destination, by hand (case, version,
line) or from the smart gate by container number; the case closes when every approved line is in; overdue
lines are flagged and refuse the operator's next request; the 30-day TPS clock runs on across the move."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from db.models import CaseEvent
from db.models_plp import PlpMovement
from workstation.demo.plp import demo_request
from workstation.domain.codes import Role
from workstation.domain.plp import FLOW
from workstation.errors import ConflictError, InputError, PermissionDenied, Refusal


def _count(services, model) -> int:
    with services.ctx.db.read() as s:
        return s.scalar(select(func.count()).select_from(model))


@pytest.fixture
def plp(services, users):
    services.issuance.ensure_office_key()
    sup = users[Role.SUPERVISOR]
    services.plp.save_tps(sup, "KOJA", "TPK Koja", "PT Koja", "IDTPP", 1000, occupancy_teu_entered=700)
    services.plp.save_tps(sup, "MTI1", "MTI 1", "PT MTI", "IDTPP", 1000)
    services.plp.save_tps(sup, "JICT", "JICT", "PT JICT", "IDTPP", 1000)
    return services.plp


def _approved_two(plp, users, containers=(("CSQU3054383", "40"), ("MSCU6639870", "20"))):
    """Registered by siti (officer), approved by agus: who registers a request may not decide it."""
    d = plp.import_request(users[Role.OFFICER], demo_request("KOJA", "MTI1", "YOR_OVER_THRESHOLD", list(containers)))
    return plp.decide(users[Role.SUPERVISOR], d.case.id, d.case.version, {ln.seq: (True, "") for ln in d.lines})


def test_the_state_machine_is_data():
    assert FLOW["plp.close"].from_states == {"MOVING"} and FLOW["plp.close"].to_state == "CLOSED"
    assert FLOW["plp.cancel"].from_states == {"SUBMITTED", "APPROVED"}
    assert all(Role.OFFICER in t.roles for t in FLOW)


def test_case_closes_only_when_every_approved_line_is_in(services, users, plp, clock):
    officer = users[Role.OFFICER]
    d = _approved_two(plp, users)
    d = plp.gate_out(officer, d.case.id, d.case.version, 1, truck_plate="B 1 AB")
    d = plp.gate_out(officer, d.case.id, d.case.version, 2, truck_plate="B 2 AB")
    clock.advance(hours=1)
    d = plp.gate_in(officer, d.case.id, d.case.version, 1, truck_plate="B 1 AB")
    assert d.case.state == "MOVING" and [ln.state for ln in d.lines] == ["IN", "OUT"]
    d = plp.gate_in(officer, d.case.id, d.case.version, 2, truck_plate="B 2 AB")
    assert d.case.state == "CLOSED"
    assert [(m.seq, m.direction, m.tps) for m in d.movements] == [(1, "OUT", "KOJA"), (2, "OUT", "KOJA"),
                                                                  (1, "IN", "MTI1"), (2, "IN", "MTI1")]
    with services.ctx.db.read() as s:
        actions = [e.action for e in s.scalars(select(CaseEvent).where(CaseEvent.case_id == d.case.id)
                                               .order_by(CaseEvent.at, CaseEvent.id))]
    assert actions == ["plp.open", "plp.approve", "plp.gate_out", "plp.gate_out", "plp.gate_in", "plp.close"]
    assert plp.queue("moving") == [] and [r.state for r in plp.queue("all")] == ["CLOSED"]


def test_movements_out_of_order_are_refused_and_write_nothing(services, users, plp):
    officer = users[Role.OFFICER]
    d = _approved_two(plp, users)
    with pytest.raises(Refusal):  # nothing is out yet
        plp.gate_in(officer, d.case.id, d.case.version, 1, truck_plate="B 1 AB")
    d = plp.gate_out(officer, d.case.id, d.case.version, 1, truck_plate="B 1 AB")
    with pytest.raises(Refusal) as e:
        plp.gate_out(officer, d.case.id, d.case.version, 1, truck_plate="B 1 AB")
    assert e.value.code == "LINE_NOT_APPROVED"
    with pytest.raises(Refusal) as e:
        plp.gate_in(officer, d.case.id, d.case.version, 2, truck_plate="B 1 AB")
    assert e.value.code == "LINE_NOT_OUT"
    with pytest.raises(Refusal):
        plp.gate_out(officer, d.case.id, d.case.version, 9, truck_plate="B 1 AB")
    with pytest.raises(PermissionDenied):
        plp.gate_out(users[Role.EXAMINER], d.case.id, d.case.version, 2, truck_plate="B 1 AB")
    assert _count(services, PlpMovement) == 1 and plp.get(d.case.id).case.version == d.case.version


def test_smart_gate_records_by_container_number(services, users, plp):
    officer = users[Role.OFFICER]
    d = _approved_two(plp, users)
    assert plp.release_for_container("csqu 305438 3", tps="KOJA").direction == "OUT"
    assert plp.release_for_container("CSQU3054383", tps="MTI1") is None  # not out yet: nothing to let in
    with pytest.raises(Refusal) as e:
        plp.record_gate_out(officer, "CSQU3054383", tps="MTI1", read_by="gate-ocr")  # wrong gate
    assert e.value.code == "NO_RELEASE"
    with pytest.raises(Refusal):
        plp.record_gate_in(officer, "CSQU3054383", tps="MTI1", read_by="gate-ocr")  # not out yet
    out = plp.record_gate_out(officer, "CSQU 305438 3", tps="KOJA", seals="SL-1, SL-2", read_by="gate-ocr")
    assert out.case.state == "MOVING" and out.movements[0].truck_plate == "-"  # no plate reader at this gate
    assert out.movements[0].read_by == "gate-ocr" and out.movements[0].seals == ("SL-1", "SL-2")
    assert plp.release_for_container("CSQU3054383", tps="KOJA") is None
    assert plp.release_for_container("CSQU3054383", tps="MTI1").direction == "IN"
    plp.record_gate_in(officer, "CSQU3054383", tps="MTI1", truck_plate="B 7 XY", seals=["SL-1", "SL-2"])
    plp.record_gate_move(officer, "MSCU6639870", tps="KOJA", truck_plate=None)
    closed = plp.record_gate_in(officer, "MSCU6639870", read_by="gate-2")
    assert closed.case.state == "CLOSED" and closed.case.flags == ()
    assert plp.release_for_container("CSQU3054383") is None and plp.release_for_container("MSCU6639870") is None
    assert d.case.id == closed.case.id


def test_a_manual_record_needs_the_plate(services, users, plp):
    officer = users[Role.OFFICER]
    d = _approved_two(plp, users)
    with pytest.raises(InputError) as e:
        plp.gate_out(officer, d.case.id, d.case.version, 1, truck_plate="")
    assert e.value.field == "truck_plate"
    with pytest.raises(InputError) as e:
        plp.record_gate_out(officer, "CSQU3054383", truck_plate="12345678", read_by="gate")
    assert e.value.field == "truck_plate"
    assert _count(services, PlpMovement) == 0


def test_different_seals_at_the_destination_flag_the_case(services, users, plp):
    officer = users[Role.OFFICER]
    d = _approved_two(plp, users, containers=(("CSQU3054383", "40"),))
    d = plp.gate_out(officer, d.case.id, d.case.version, 1, truck_plate="B 1 AB", seals=["SL-1"])
    d = plp.gate_in(officer, d.case.id, d.case.version, 1, truck_plate="B 1 AB", seals=["SL-9"])
    assert d.case.state == "CLOSED" and d.case.flags == ("SEAL_MISMATCH",)


def test_overdue_gate_in_is_flagged_with_its_due_time(services, users, plp, clock):
    officer = users[Role.OFFICER]
    d = _approved_two(plp, users, containers=(("CSQU3054383", "40"),))
    assert d.lines[0].due_at == clock.now + dt.timedelta(hours=72)  # [U] gate-out within 72 h of approval
    d = plp.gate_out(officer, d.case.id, d.case.version, 1, truck_plate="B 1 AB")
    assert d.lines[0].due_at == clock.now + dt.timedelta(hours=12) and not d.lines[0].overdue
    clock.advance(hours=12)
    assert not plp.get(d.case.id).lines[0].overdue  # at the limit is still in time
    clock.advance(minutes=1)
    assert plp.get(d.case.id).lines[0].overdue
    assert [r.overdue for r in plp.queue("overdue")] == [1]
    refused = plp.import_request(officer, demo_request("KOJA", "JICT", "NO_LCL_FACILITY", [("TGHU8839415", "40")]))
    assert refused.refusals == ("UNREPORTED_MOVEMENTS",)
    # another operator is not held up by it
    other = plp.import_request(officer, demo_request("JICT", "MTI1", "NO_LCL_FACILITY", [("TGHU8839415", "40")]))
    assert other.case.state == "SUBMITTED"
    d = plp.gate_in(officer, d.case.id, d.case.version, 1, truck_plate="B 1 AB")
    assert d.case.state == "CLOSED" and plp.queue("overdue") == []
    again = plp.import_request(officer, demo_request("KOJA", "JICT", "NO_LCL_FACILITY", [("TGHU8839415", "40")]))
    assert again.case.state == "SUBMITTED"


def test_the_30_day_clock_runs_on_from_the_first_storage(services, users, plp, clock):
    officer = users[Role.OFFICER]
    first = clock.now - dt.timedelta(days=12)
    plp.store_container(officer, "KOJA", "CSQU3054383", "40", first_stored_at=first)
    d = _approved_two(plp, users, containers=(("CSQU3054383", "40"),))
    due = (first.astimezone(services.settings.zone).date() + dt.timedelta(days=30))
    assert (d.lines[0].first_stored_at, d.lines[0].storage_due) == (first, due)
    d = plp.gate_out(officer, d.case.id, d.case.version, 1, truck_plate="B 1 AB")
    assert plp.tps("KOJA").containers == 0
    clock.advance(hours=3)
    d = plp.gate_in(officer, d.case.id, d.case.version, 1, truck_plate="B 1 AB")
    assert plp.tps("MTI1").containers == 1 and plp.tps("MTI1").teu_used == 2
    assert plp.first_storage("CSQU3054383") == first
    assert (d.lines[0].first_stored_at, d.lines[0].storage_due) == (first, due)


def test_cancellation_with_reason_and_letter(services, users, plp):
    officer = users[Role.OFFICER]
    d = plp.import_request(officer, demo_request("KOJA", "MTI1", "YOR_OVER_THRESHOLD", [("CSQU3054383", "40")]))
    with pytest.raises(InputError) as e:
        plp.cancel(officer, d.case.id, d.case.version, " ")
    assert e.value.field == "reason"
    with pytest.raises(InputError):
        plp.cancel(officer, d.case.id, d.case.version, "x" * 501)
    c = plp.cancel(officer, d.case.id, d.case.version, "permohonan ditarik  oleh pemohon")
    assert (c.case.state, c.cancel_reason, [ln.state for ln in c.lines]) == (
        "CANCELLED", "permohonan ditarik oleh pemohon", ["CANCELLED"])
    assert "/PLP-BATAL/" in c.documents[-1]
    with pytest.raises(Refusal):  # final
        plp.cancel(officer, c.case.id, c.case.version, "lagi")
    with pytest.raises(Refusal):
        plp.decide(users[Role.SUPERVISOR], c.case.id, c.case.version, {1: (True, "")})


def test_a_stale_screen_gets_a_conflict(services, users, plp):
    officer = users[Role.OFFICER]
    d = _approved_two(plp, users)
    plp.gate_out(officer, d.case.id, d.case.version, 1, truck_plate="B 1 AB")
    with pytest.raises(ConflictError):
        plp.gate_out(users[Role.SUPERVISOR], d.case.id, d.case.version, 2, truck_plate="B 1 AB")
    assert _count(services, PlpMovement) == 1


def test_the_gate_and_a_screen_meet_on_the_same_line(services, users, plp):
    """The gate records without a version; the officer's screen, opened before, then gets a conflict."""
    officer = users[Role.OFFICER]
    d = _approved_two(plp, users)
    plp.record_gate_out(officer, "CSQU3054383", tps="KOJA", read_by="gate-ocr")
    with pytest.raises(ConflictError):
        plp.gate_out(officer, d.case.id, d.case.version, 1, truck_plate="B 1 AB")
    assert _count(services, PlpMovement) == 1
