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
