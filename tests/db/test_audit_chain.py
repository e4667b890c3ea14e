from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.conftest import BACKEND
from workstation.domain.codes import Role


def _tamper(services, sql: str) -> None:
    """What an attacker with database access would do: switch the guard off, edit, switch it on."""
    with services.ctx.db.engine.begin() as c:
        if BACKEND == "sqlite":
            c.execute(text("DROP TRIGGER audit_log_no_update"))
            c.execute(text(sql))
            c.execute(text("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                           "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"))
        else:
            c.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
            c.execute(text(sql))
            c.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))


def test_chain_verifies_after_real_activity(services, users):
    report = services.audit.verify(users[Role.SUPERVISOR])
    assert report.ok
    # first admin, 4 user creations, 5 logins
    assert report.entries == 10


def test_verify_names_the_first_edited_entry(services, users):
    _tamper(services, "UPDATE audit_log SET payload = '{\"login\":\"mallory\"}' WHERE seq = 4")
    _tamper(services, "UPDATE audit_log SET actor_login = 'x' WHERE seq = 7")
    report = services.audit.verify(users[Role.ADMIN])
    assert not report.ok
    assert report.broken_seq == 4
    assert "edited" in report.problem


def test_verify_detects_a_rehashed_entry_by_the_next_link(services, users):
    # Recomputing the edited row's own hash is not enough: the next entry's prev_hash no longer matches.
    from db.audit import _body, compute_hash
    from db.models import AuditEntry

    with services.ctx.db.read() as s:
        e = s.get(AuditEntry, 3)
        import json

        data = json.loads(e.payload)
        data["login"] = "mallory"
        e.payload = json.dumps(data, sort_keys=True, separators=(",", ":"))
        new_hash = compute_hash(e.prev_hash, e.seq, e.ts, _body(e, data))
        s.expunge(e)
    _tamper(services, f"UPDATE audit_log SET payload = '{e.payload}', row_hash = '{new_hash}' WHERE seq = 3")
    report = services.audit.verify(users[Role.ADMIN])
    assert (report.ok, report.broken_seq) == (False, 4)
    assert "link" in report.problem


def test_deleted_entry_is_reported_missing(services, users):
    with services.ctx.db.engine.begin() as c:
        if BACKEND == "sqlite":
            c.execute(text("DROP TRIGGER audit_log_no_delete"))
        else:
            c.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        c.execute(text("DELETE FROM audit_log WHERE seq = 5"))
        if BACKEND != "sqlite":
            c.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
    report = services.audit.verify(users[Role.ADMIN])
    assert (report.ok, report.broken_seq) == (False, 5)
    assert "missing" in report.problem


@pytest.mark.parametrize("stmt", ["UPDATE audit_log SET actor_login = 'x'", "DELETE FROM audit_log"])
def test_update_and_delete_are_refused_by_the_database(services, users, stmt):
    with pytest.raises(Exception, match="append-only"), services.ctx.db.engine.begin() as c:
        c.execute(text(stmt))


def test_audit_entry_rolls_back_with_its_change(services, users):
    from db import audit

    before = services.audit.verify(users[Role.ADMIN]).entries
    with pytest.raises(ZeroDivisionError), services.ctx.db.write() as s:
        audit.append(s, users[Role.ADMIN].audit, "test.change", "thing", "1", {})
        1 / 0  # noqa: B018
    assert services.audit.verify(users[Role.ADMIN]).entries == before


def test_officer_may_not_verify(services, users):
    from workstation.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.audit.verify(users[Role.OFFICER])
