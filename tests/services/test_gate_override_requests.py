"""Gate overrides through the approvals inbox (#15 point 2): only a supervisor files one; only its requester
reads the answer; an approval (by another supervisor) gives the decision that opens the barrier and logs the
OVERRIDE, confirmed by the approver; a refusal gives none."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from workstation.domain.codes import Role
from workstation.errors import InputError, NotFound, PermissionDenied


@pytest.fixture
def rina(services, users):
    services.auth.create_user(users[Role.ADMIN], "rina", "Rina Kartika", [Role.SUPERVISOR], PASSWORD)
    return services.auth.login("rina", PASSWORD)


def test_an_approved_request_answers_with_an_open_decision(services, users, rina):
    gate, agus = services.gate, users[Role.SUPERVISOR]
    req = gate.request_override(agus, "mscu 663987-1", "sopir menunggu", plate="B 1 X", gate="gate-1")
    assert (req.kind, req.subject, req.state) == ("GATE_OVERRIDE", "MSCU6639871", "PENDING")
    waiting = gate.override_answer(agus, req.id)
    assert waiting.request.state == "PENDING" and waiting.decision is None
    with pytest.raises(PermissionDenied) as own:
        services.approvals.approve(agus, req.id, req.version)
    assert own.value.code == "SELF_APPROVAL"
    services.approvals.approve(rina, req.id, req.version)
    answer = gate.override_answer(agus, req.id)
    assert answer.request.state == "APPROVED" and answer.request.decided_by == "rina"
    d = answer.decision
    assert d is not None and d.open and d.container == "MSCU6639871" and d.release is None
    [event] = [e for e in gate.recent(5) if e.decision == "OVERRIDE"]
    assert event.gate == "gate-1" and event.plate == "B 1 X" and "CONFIRMED_BY:rina" in event.reasons


def test_a_refused_request_answers_without_a_decision(services, users, rina):
    gate, agus = services.gate, users[Role.SUPERVISOR]
    req = gate.request_override(agus, "MSCU6639871", "sopir menunggu")
    services.approvals.refuse(rina, req.id, req.version, "tidak ada dokumen")
    answer = gate.override_answer(agus, req.id)
    assert answer.request.state == "REFUSED" and answer.request.answer == "tidak ada dokumen"
    assert answer.decision is None
    assert not [e for e in gate.recent(5) if e.decision == "OVERRIDE"]


def test_only_a_supervisor_files_one_and_only_its_requester_reads_it(services, users, rina):
    gate = services.gate
    with pytest.raises(PermissionDenied):
        gate.request_override(users[Role.OFFICER], "MSCU6639871", "sopir menunggu")
    with pytest.raises(InputError):
        gate.request_override(users[Role.SUPERVISOR], "MSCU6639871", "  ")
    req = gate.request_override(users[Role.SUPERVISOR], "MSCU6639871", "sopir menunggu")
    with pytest.raises(NotFound):
        gate.override_answer(rina, req.id)
    void = services.approvals.request_void(users[Role.SUPERVISOR], "000001/SPPB/040300/2026", "salah ketik")
    with pytest.raises(NotFound):  # not a gate override
        gate.override_answer(users[Role.SUPERVISOR], void.id)
