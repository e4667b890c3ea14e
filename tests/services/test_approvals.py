"""The approvals inbox: a request waits for a different supervisor; approving runs the action as the
requester's, confirmed by the approver; refusing gives the reason back; nobody approves their own."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import AuditEntry
from tests.services.passenger_support import base_doc, setup, text
from workstation.domain.codes import Role
from workstation.errors import ConflictError, InputError, PermissionDenied, Refusal


@pytest.fixture
def red_case(services, users):
    setup(services, users)
    return services.ecd.import_ecd(users[Role.OFFICER], text(base_doc())).view


def test_a_clearance_waits_in_the_inbox_and_runs_when_another_supervisor_approves(services, users, red_case):
    officer, supervisor = users[Role.OFFICER], users[Role.SUPERVISOR]
    appr = services.approvals
    req = appr.request_clearance(officer, red_case.case.id, red_case.version, "diplomatic bag, confirmed by phone")
    assert req.state == "PENDING" and req.subject == red_case.ecd_id
    assert [r.id for r in appr.inbox(supervisor)] == [req.id]
    assert services.ecd.get(red_case.case.id).lane == "red"  # nothing happens before the approval
    done = appr.approve(supervisor, req.id, req.version)
    assert done.state == "APPROVED" and done.decided_by == supervisor.login
    v = services.ecd.get(red_case.case.id)
    assert v.lane == "green" and v.decision.kind == "CLEARANCE" and v.decision.confirmed_by == supervisor.login
    assert v.decision.decided_by == officer.login  # the requester's action, confirmed by the approver
    assert appr.inbox(supervisor) == [] and appr.mine(officer)[0].state == "APPROVED"
    with services.ctx.db.read() as s:
        actions = s.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
    assert actions[-3:] == ["approval.request", "ecd.clear", "approval.approve"]


def test_nobody_approves_their_own_request_and_other_roles_cannot_decide(services, users, red_case):
    supervisor = users[Role.SUPERVISOR]
    req = services.approvals.request_clearance(supervisor, red_case.case.id, red_case.version, "reason")
    assert services.approvals.inbox(supervisor) == []  # one's own request is not in one's inbox
    with pytest.raises(PermissionDenied) as exc:
        services.approvals.approve(supervisor, req.id, req.version)
    assert exc.value.code == "SELF_APPROVAL"
    with pytest.raises(PermissionDenied) as exc:
        services.approvals.approve(users[Role.OFFICER], req.id, req.version)
    assert exc.value.code == "ROLE_REQUIRED"
    assert services.approvals.get(req.id).state == "PENDING"


def test_a_refusal_carries_its_reason_back_and_cannot_be_answered_twice(services, users, red_case):
    officer, supervisor = users[Role.OFFICER], users[Role.SUPERVISOR]
    req = services.approvals.request_clearance(officer, red_case.case.id, red_case.version, "reason")
    with pytest.raises(ConflictError):
        services.approvals.refuse(supervisor, req.id, req.version + 1, "a screen older than the request")
    with pytest.raises(InputError) as exc:
        services.approvals.refuse(supervisor, req.id, req.version, "  ")
    assert exc.value.field == "reason"
    done = services.approvals.refuse(supervisor, req.id, req.version, "inspect it: the value is high")
    assert done.state == "REFUSED" and services.approvals.mine(officer)[0].answer == "inspect it: the value is high"
    with pytest.raises(Refusal) as exc:
        services.approvals.approve(supervisor, req.id, done.version)
    assert exc.value.code == "ALREADY_ANSWERED"
    with pytest.raises(Refusal) as exc:
        services.approvals.refuse(supervisor, req.id, req.version, "a second supervisor, too late")
    assert exc.value.code == "ALREADY_ANSWERED"
    assert services.ecd.get(red_case.case.id).lane == "red"


def test_an_approval_of_a_case_that_moved_on_fails_with_the_reason_and_changes_nothing(services, users, red_case):
    officer, supervisor = users[Role.OFFICER], users[Role.SUPERVISOR]
    req = services.approvals.request_clearance(officer, red_case.case.id, red_case.version, "reason")
    services.ecd.record_finding(officer, red_case.case.id, red_case.version, item_no=1, status="FOUND",
                                value="1200.00")  # the case changed after the request
    done = services.approvals.approve(supervisor, req.id, req.version)
    assert done.state == "FAILED" and done.answer
    assert services.ecd.get(red_case.case.id).lane == "red"


def test_a_void_through_the_inbox(services, users, red_case):
    officer, supervisor = users[Role.OFFICER], users[Role.SUPERVISOR]
    v = services.ecd.record_finding(officer, red_case.case.id, red_case.version, item_no=1, status="FOUND",
                                    value="1500.00")
    v = services.ecd.reassess(officer, v.case.id, v.version)
    number = v.billing.document_number
    req = services.approvals.request_void(officer, number, "typed the wrong value")
    assert services.approvals.approve(supervisor, req.id, req.version).state == "APPROVED"
    from db.models import Document

    with services.ctx.db.read() as s:
        doc = s.scalar(select(Document).where(Document.number == number))
    assert doc.status == "VOID" and doc.voided_by == officer.user_id and doc.void_confirmed_by == supervisor.user_id
