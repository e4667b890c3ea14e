"""The e-CD counter's state machine is one table (workstation/domain/ecd.py FLOW): what a user may do on a case
is derived from it, the service checks the same rows, and preconditions that are not about the state are
refusals with their own codes."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.conftest import PASSWORD
from tests.services.passenger_support import green_doc, setup, text
from workstation.domain.codes import Role
from workstation.domain.ecd import FLOW, STATES, EcdState
from workstation.domain.errors import ErrorCode
from workstation.errors import PermissionDenied, Refusal

COUNTER = {"ecd.refer", "ecd.pibk", "ecd.destroy", "ecd.slip"}  # any open case
# What an officer (or supervisor) may do in each state: the counter's rules written out by hand, so that a
# changed row of FLOW shows here.
EXPECTED = {
    "GREEN": COUNTER | {"ecd.divert", "ecd.reassess", "ecd.release"},
    "RED": COUNTER | {"ecd.clear", "ecd.finding", "ecd.excise_count", "ecd.reassess", "ecd.cash_procedure"},
    "INSPECTING": COUNTER | {"ecd.finding", "ecd.excise_count", "ecd.reassess", "ecd.cash_procedure"},
    "ASSESSED": COUNTER | {"ecd.finding", "ecd.excise_count", "ecd.reassess", "ecd.cash_procedure",
                           "ecd.release"},
    "BILLED": COUNTER | {"ecd.cash_procedure", "ecd.pay"},
    "PAID": COUNTER | {"ecd.cash_procedure", "ecd.release"},
    "RELEASED": {"ecd.slip"},
}


def test_state_names_equal_their_stored_values():
    assert all(s.name == s.value for s in EcdState) and tuple(EXPECTED) == STATES
    assert FLOW.final == {"RELEASED"} and all(isinstance(s, str) for t in FLOW for s in t.from_states)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("state", STATES)
def test_allowed_actions_are_the_tables_rows(services, state, role):
    actor = SimpleNamespace(roles=frozenset({role}))
    allowed = services.ecd.allowed_actions(actor, SimpleNamespace(state=state))
    rows = {t.action for t in FLOW if state in t.from_states and role in t.roles}
    assert allowed == rows
    assert allowed == (EXPECTED[state] if role in (Role.OFFICER, Role.SUPERVISOR) else frozenset())


@pytest.fixture
def ecd(services, users):
    setup(services, users)
    return services.ecd


def _calls(ecd, actor, supervisor):
    """One call per action of the table, with input good enough to reach the state check."""
    return {
        "ecd.divert": lambda v: ecd.divert(actor, v.case.id, v.version, "suspicious"),
        "ecd.clear": lambda v: ecd.clear_to_green(actor, v.case.id, v.version, "checked", supervisor),
        "ecd.finding": lambda v: ecd.record_finding(actor, v.case.id, v.version, item_no=1, status="FOUND"),
        "ecd.excise_count": lambda v: ecd.record_excise_count(actor, v.case.id, v.version, cigarettes="10"),
        "ecd.refer": lambda v: ecd.refer(actor, v.case.id, v.version, "QUARANTINE", receiver="Karantina",
                                         receiver_name="Dr. Wati", items=[("orchids", "10")]),
        "ecd.cash_procedure": lambda v: ecd.cash_procedure(actor, v.case.id, v.version, [("USD", "10000")],
                                                           receiver="PPATK", receiver_name="Rudi"),
        "ecd.reassess": lambda v: ecd.reassess(actor, v.case.id, v.version),
        "ecd.pay": lambda v: ecd.record_payment(actor, v.case.id, v.version, billing_code="704030026000001",
                                                receipt_number="NTPN1234567890AB", amount_idr=1, channel="CASH"),
        "ecd.release": lambda v: ecd.release(actor, v.case.id, v.version),
        "ecd.slip": lambda v: ecd.issue_slip(actor, v.case.id, v.version),
    }


def test_the_service_refuses_what_the_table_does_not_allow(services, users, ecd):
    officer = users[Role.OFFICER]
    supervisor = services.auth.confirm_supervisor(officer, "agus", PASSWORD, "ecd.clear")
    calls = _calls(ecd, officer, supervisor)
    v = ecd.import_ecd(officer, text(green_doc())).view
    green = ecd.allowed_actions(officer, v)
    released = ecd.release(officer, v.case.id, v.version)
    assert ecd.allowed_actions(officer, released) == {"ecd.slip"}
    for case, allowed in ((v, green), (released, frozenset({"ecd.slip"}))):
        current = ecd.get(case.case.id)
        for action, call in calls.items():
            if action in allowed:
                continue
            with pytest.raises(Refusal) as exc:
                call(current)
            assert exc.value.code == ErrorCode.INVALID_STATE, (current.state, action, exc.value)
    # What the table allows goes through (the slip is allowed in every state).
    assert ecd.issue_slip(officer, released.case.id, ecd.get(released.case.id).version).state == "RELEASED"


@pytest.mark.parametrize("role", [Role.INSPECTOR, Role.EXAMINER, Role.ADMIN])
def test_roles_outside_the_table_get_no_action_and_are_refused(services, users, ecd, role):
    v = ecd.import_ecd(users[Role.OFFICER], text(green_doc())).view
    assert ecd.allowed_actions(users[role], v) == frozenset()
    with pytest.raises(PermissionDenied) as exc:
        ecd.divert(users[role], v.case.id, v.version, "suspicious")
    assert exc.value.code == ErrorCode.ROLE_REQUIRED


def test_a_precondition_outside_the_table_is_a_refusal_with_its_code(services, users, ecd):
    officer = users[Role.OFFICER]
    v = ecd.import_ecd(officer, text(green_doc())).view
    assert {"ecd.destroy", "ecd.pibk"} <= ecd.allowed_actions(officer, v)  # the state allows both
    with pytest.raises(Refusal) as exc:
        ecd.destroy_excise(officer, v.case.id, v.version, witnesses="Budi, Ani")
    assert exc.value.code == ErrorCode.NO_EXCISE_EXCESS
    with pytest.raises(Refusal) as exc:
        ecd.hand_off_pibk(officer, v.case.id, v.version, receiver="Seksi PIBK", receiver_name="Rina")
    assert exc.value.code == ErrorCode.NO_NON_PERSONAL_GOODS
    assert ecd.get(v.case.id).version == v.version  # nothing written


def test_the_states_command_prints_the_table(capsys):
    from workstation.cli import main

    assert main(["ecd", "states"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ACTION", "FROM", "TO", "ROLES"] and len(lines) == 1 + len(FLOW.rows)
    assert lines[1].split() == ["ecd.divert", "GREEN", "RED", "officer", "supervisor"]
    assert lines[-1].split()[:2] == ["ecd.slip", "ASSESSED"] and "RELEASED" in lines[-1]
