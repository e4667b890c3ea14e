"""What a user may do on a PLP request comes from one table (workstation.domain.plp.FLOW): the service's
allowed actions are its rows, the service refuses what the table leaves out, and a refused precondition on
the lines carries its catalogued code."""

from __future__ import annotations

import uuid

import pytest

from workstation.demo.plp import demo_request
from workstation.domain.codes import Role
from workstation.domain.errors import ErrorCode
from workstation.domain.plp import FLOW, LineState, PlpState
from workstation.errors import InputError, NotFound, PermissionDenied, Refusal
from workstation.services.base import Actor

DECIDE = {"plp.approve", "plp.reject"}
# The table written out, state by state, for those who decide and move (officers and supervisors); every other
# role may do nothing. A change to FLOW must change this too.
EXPECTED = {
    PlpState.SUBMITTED: DECIDE | {"plp.cancel"},
    PlpState.APPROVED: {"plp.cancel", "plp.gate_out"},
    PlpState.MOVING: {"plp.gate_out", "plp.gate_in", "plp.close"},
    PlpState.CLOSED: set(),
    PlpState.REJECTED: set(),
    PlpState.CANCELLED: set(),
}


def _actor(role: Role) -> Actor:
    return Actor(uuid.uuid4(), role.value, role.value, frozenset({role}), None, "040300")


@pytest.fixture
def plp(services, users):
    services.issuance.ensure_office_key()
    sup = users[Role.SUPERVISOR]
    services.plp.save_tps(sup, "KOJA", "TPK Koja", "PT Koja", "IDTPP", 1000, occupancy_teu_entered=700)
    services.plp.save_tps(sup, "MTI1", "MTI 1", "PT MTI", "IDTPP", 1000)
    return services.plp


def test_state_names_equal_their_stored_values():
    assert all(s.name == s.value for s in PlpState) and all(s.name == s.value for s in LineState)
    assert set(FLOW.states) == {s.value for s in PlpState}
    assert FLOW.final == {PlpState.CLOSED, PlpState.REJECTED, PlpState.CANCELLED}


@pytest.mark.parametrize("state", list(PlpState))
@pytest.mark.parametrize("role", list(Role))
def test_allowed_actions_are_the_table_rows(services, state, role):
    # a request seen in `state`; allowed_actions reads nothing else of it
    detail = _detail_in(state)
    allowed = services.plp.allowed_actions(_actor(role), detail)
    rows = {t.action for t in FLOW if state in t.from_states and role in t.roles}
    assert allowed == rows
    assert allowed == (EXPECTED[state] if role in (Role.OFFICER, Role.SUPERVISOR) else set())


def _detail_in(state: PlpState):
    from workstation.services.cases import CaseView
    from workstation.services.plp import PlpDetail

    case = CaseView(uuid.uuid4(), "PLP", "PLP-20261120-0001", state, None, (), (), 1, None, None, None, {})
    return PlpDetail(case, "KOJA", "MTI1", "PT Koja", "origin", "YOR_OVER_THRESHOLD", "001234 / 2026-11-18",
                     (None, None), True, (), (), "plp-2024", None, (), ())


def test_a_real_request_offers_what_the_table_says_at_every_step(services, users, plp):
    officer, examiner = users[Role.OFFICER], users[Role.EXAMINER]
    d = plp.import_request(officer, demo_request("KOJA", "MTI1", "YOR_OVER_THRESHOLD", [("CSQU3054383", "40")]))
    seen = []
    for step in ("decide", "out", "in"):
        assert plp.allowed_actions(officer, d) == FLOW.allowed(d.case.state, officer.roles)
        assert plp.allowed_actions(examiner, d) == frozenset()
        seen.append((d.case.state, plp.allowed_actions(officer, d)))
        if step == "decide":  # by the supervisor: siti registered it and may not decide it
            d = plp.decide(users[Role.SUPERVISOR], d.case.id, d.case.version, {1: (True, "")})
        elif step == "out":
            d = plp.gate_out(officer, d.case.id, d.case.version, 1, truck_plate="B 1 AB")
        else:
            d = plp.gate_in(officer, d.case.id, d.case.version, 1, truck_plate="B 1 AB")
    assert [s for s, _ in seen] == ["SUBMITTED", "APPROVED", "MOVING"]
    assert d.case.state == "CLOSED" and plp.allowed_actions(officer, d) == frozenset()


def test_what_the_table_leaves_out_is_refused_with_its_code(services, users, plp):
    officer = users[Role.OFFICER]
    d = plp.import_request(officer, demo_request("KOJA", "MTI1", "YOR_OVER_THRESHOLD", [("CSQU3054383", "40")]))
    assert "plp.gate_out" not in plp.allowed_actions(officer, d)
    with pytest.raises(Refusal) as e:  # SUBMITTED: nothing may leave yet
        plp.gate_out(officer, d.case.id, d.case.version, 1, truck_plate="B 1 AB")
    assert e.value.code is ErrorCode.INVALID_STATE and e.value.params["state"] == "SUBMITTED"
    with pytest.raises(PermissionDenied) as e:
        plp.cancel(users[Role.EXAMINER], d.case.id, d.case.version, "x")
    assert e.value.code is ErrorCode.ROLE_REQUIRED
    d = plp.decide(users[Role.SUPERVISOR], d.case.id, d.case.version, {1: (True, "")})  # not who registered it
    d = plp.gate_out(officer, d.case.id, d.case.version, 1, truck_plate="B 1 AB")
    assert "plp.cancel" not in plp.allowed_actions(officer, d)
    with pytest.raises(Refusal) as e:  # MOVING: too late to cancel
        plp.cancel(officer, d.case.id, d.case.version, "importir mengajukan PIB")
    assert e.value.code is ErrorCode.INVALID_STATE
    assert plp.get(d.case.id).case.version == d.case.version


def test_preconditions_on_the_lines_are_refusals_with_their_codes(services, users, plp):
    officer = users[Role.OFFICER]
    d = plp.import_request(officer, demo_request("KOJA", "MTI1", "YOR_OVER_THRESHOLD",
                                                 [("CSQU3054383", "40"), ("MSCU6639870", "20")]))
    d = plp.decide(users[Role.SUPERVISOR], d.case.id, d.case.version, {1: (True, ""), 2: (False, "BL tidak sesuai")})
    # the table allows a gate-out on an APPROVED case, but line 2 was rejected
    assert "plp.gate_out" in plp.allowed_actions(officer, d)
    with pytest.raises(Refusal) as e:
        plp.gate_out(officer, d.case.id, d.case.version, 2, truck_plate="B 1 AB")
    assert e.value.code is ErrorCode.LINE_NOT_APPROVED and e.value.field == "line"
    with pytest.raises(NotFound) as e:
        plp.gate_out(officer, d.case.id, d.case.version, 9, truck_plate="B 1 AB")
    assert e.value.code is ErrorCode.UNKNOWN_LINE
    with pytest.raises(Refusal) as e:  # the smart gate: nothing releases a container with no PLP
        plp.record_gate_move(officer, "TGHU8839415", tps="KOJA", truck_plate=None)
    assert e.value.code is ErrorCode.NO_RELEASE
    assert plp.get(d.case.id).case.version == d.case.version


def test_input_refusals_carry_a_code_and_name_the_field(services, users, plp):
    officer, sup = users[Role.OFFICER], users[Role.SUPERVISOR]
    with pytest.raises(InputError) as e:
        plp.import_request(officer, demo_request("KOJA", "MTI1", "YOR_OVER_THRESHOLD", [("CSQU3054383", "40")],
                                                 office="050100"))
    assert (e.value.code, e.value.field) == (ErrorCode.OTHER_OFFICE, "office")
    with pytest.raises(InputError) as e:
        plp.record_occupancy(officer, "KOJA", m3="10")  # KOJA has a yard only
    assert (e.value.code, e.value.field) == (ErrorCode.NO_CAPACITY, "occupancy_m3")
    with pytest.raises(InputError) as e:
        plp.save_tps(sup, "KOJA", "K", "PT K", "IDTPP", 1000, facilities="LCL POOL")
    assert (e.value.code, e.value.params["options"]) == (ErrorCode.NOT_ONE_OF, "LCL, DG, COLD")
    with pytest.raises(InputError) as e:
        plp.save_tps(sup, "KOJA", "K", "PT K", "IDTPP", "1.000")  # a thousands separator is ambiguous
    assert (e.value.code, e.value.field) == (ErrorCode.NOT_WHOLE_NUMBER, "capacity_teu")
    with pytest.raises(InputError) as e:
        plp.queue("later")
    assert e.value.code is ErrorCode.NOT_ONE_OF


def test_the_case_summary_holds_nothing_the_queue_reads_from_the_request(services, users, plp):
    officer = users[Role.OFFICER]
    d = plp.import_request(officer, demo_request("KOJA", "MTI1", "YOR_OVER_THRESHOLD", [("CSQU3054383", "40")]))
    d = plp.decide(users[Role.SUPERVISOR], d.case.id, d.case.version, {1: (True, "")})
    assert d.case.summary == {}
    [row] = plp.queue("moving")
    assert (row.origin, row.destination, row.plp_number) == ("KOJA", "MTI1", d.plp_number)


def test_plp_states_prints_the_table(capsys):
    import json

    from workstation.cli import main

    assert main(["plp", "states", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [(t["action"], set(t["from"]), t["to"]) for t in out["transitions"]] == \
        [(t.action, set(t.from_states), t.to_state) for t in FLOW]
    assert out["final"] == ["CANCELLED", "CLOSED", "REJECTED"]
    assert main(["plp", "states"]) == 0
    text = capsys.readouterr().out
    assert "plp.close     MOVING" in text and "officer supervisor" in text
