"""The generic case write path: every change moves the version, a stale version is refused with who changed it."""

from __future__ import annotations

import pytest

from workstation.domain.codes import Role
from workstation.errors import ConflictError, PermissionDenied, Refusal
from workstation.services.cases import transitions

T = transitions(("note", {"OPEN"}, None, (Role.OFFICER,)), ("close", {"OPEN"}, "CLOSED", (Role.OFFICER,)))


def test_a_change_without_a_state_change_still_moves_the_version(services, users):
    officer = users[Role.OFFICER]
    with services.ctx.db.write() as s:
        case = services.cases.open(s, officer, kind="X", reference="X-1", state="OPEN")
        case_id, v1 = case.id, case.version
    with services.ctx.db.write() as s:  # the clock does not move between the two calls
        v2 = services.cases.change(s, officer, case_id, v1, T["note"], data={"text": "a"}).version
    assert v2 == v1 + 1
    with pytest.raises(ConflictError, match="siti"), services.ctx.db.write() as s:
        services.cases.change(s, officer, case_id, v1, T["close"])
    with pytest.raises(PermissionDenied), services.ctx.db.write() as s:
        services.cases.change(s, users[Role.EXAMINER], case_id, v2, T["close"])
    with services.ctx.db.write() as s:
        services.cases.change(s, officer, case_id, v2, T["close"])
    with pytest.raises(Refusal, match="state CLOSED"), services.ctx.db.write() as s:
        services.cases.change(s, officer, case_id, v2 + 1, T["note"])
    actions = [e.action for e in services.cases.history(case_id)]
    assert actions == ["x.open", "note", "close"]


@pytest.mark.parametrize("how", ["revoke", "end", "deactivate"])
def test_a_case_change_checks_the_actor_against_the_database(services, users, how):
    """The Actor captured at login is not trusted: the change is refused and nothing of it is written."""
    from workstation.errors import AuthenticationFailed

    officer = users[Role.OFFICER]
    with services.ctx.db.write() as s:
        case = services.cases.open(s, officer, kind="X", reference="X-2", state="OPEN")
        case_id, version = case.id, case.version
    if how == "revoke":
        services.auth.set_roles(users[Role.ADMIN], "siti", ["inspector"])
    elif how == "end":
        services.auth.end_session(users[Role.SUPERVISOR], officer.session_id, "counter closed")
    else:
        services.auth.deactivate(users[Role.ADMIN], "siti")
    with pytest.raises((PermissionDenied, AuthenticationFailed)), services.ctx.db.write() as s:
        services.cases.change(s, officer, case_id, version, T["close"])
    assert [e.action for e in services.cases.history(case_id)] == ["x.open"]
    with services.ctx.db.read() as s:
        assert services.cases.get(s, case_id).state == "OPEN"
