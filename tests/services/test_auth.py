from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import AuditEntry, User, UserSession
from tests.conftest import PASSWORD
from workstation.domain.codes import Role
from workstation.domain.errors import ErrorCode
from workstation.errors import AccountLocked, AuthenticationFailed, InputError, PermissionDenied, Refusal


def _actions(services) -> list[str]:
    with services.ctx.db.read() as s:
        return list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def test_first_admin_then_login_creates_session_and_audits(services):
    auth = services.auth
    assert auth.needs_first_admin()
    auth.create_first_admin("admin", "Admin Kantor", PASSWORD)
    assert not auth.needs_first_admin()
    with pytest.raises(Refusal) as refused:
        auth.create_first_admin("other", "Other", PASSWORD)
    assert refused.value.code is ErrorCode.ALREADY_SET_UP
    actor = auth.login("admin", PASSWORD)
    assert actor.has(Role.ADMIN) and actor.session_id is not None
    with services.ctx.db.read() as s:
        sess = s.get(UserSession, actor.session_id)
        assert sess.ended_at is None
    auth.logout(actor)
    with services.ctx.db.read() as s:
        assert s.get(UserSession, actor.session_id).end_reason == "logout"
    assert _actions(services) == ["user.first_admin", "auth.login", "auth.logout"]


def test_wrong_password_is_refused_and_audited(users, services):
    with pytest.raises(AuthenticationFailed) as known:
        services.auth.login("siti", "wrong-password")
    with pytest.raises(AuthenticationFailed) as unknown:
        services.auth.login("nobody", "wrong-password")
    # the same code and words for both: a refusal never tells which logins exist
    assert known.value.code is unknown.value.code is ErrorCode.BAD_CREDENTIALS
    assert str(known.value) == str(unknown.value)
    acts = _actions(services)
    assert acts[-2:] == ["auth.failure", "auth.failure"]


def test_lockout_after_five_failures_and_supervisor_unlock(users, services):
    auth = services.auth
    for _ in range(4):
        with pytest.raises(AuthenticationFailed) as e:
            auth.login("siti", "bad-password")
        assert not isinstance(e.value, AccountLocked)
    with pytest.raises(AccountLocked) as locked:
        auth.login("siti", "bad-password")
    assert locked.value.code is ErrorCode.LOCKED
    # even the right password is refused while locked
    with pytest.raises(AccountLocked):
        auth.login("siti", PASSWORD)
    assert "auth.locked" in _actions(services)
    # an officer cannot unlock; a supervisor can
    with pytest.raises(PermissionDenied) as denied:
        auth.unlock(users[Role.OFFICER], "siti")
    assert denied.value.code is ErrorCode.ROLE_REQUIRED and denied.value.params["roles"] == "supervisor"
    auth.unlock(users[Role.SUPERVISOR], "siti")
    assert auth.login("siti", PASSWORD).login == "siti"


def test_success_resets_failure_count(users, services):
    auth = services.auth
    for _ in range(4):
        with pytest.raises(AuthenticationFailed):
            auth.login("budi", "bad-password")
    auth.login("budi", PASSWORD)
    for _ in range(4):
        with pytest.raises(AuthenticationFailed):
            auth.login("budi", "bad-password")
    assert auth.login("budi", PASSWORD).login == "budi"


def test_role_refusal_in_service(users, services):
    with pytest.raises(PermissionDenied) as e:
        services.auth.create_user(users[Role.OFFICER], "eve", "Eve", ["admin"], PASSWORD)
    assert e.value.code == "ROLE_REQUIRED"
    with services.ctx.db.read() as s:
        assert s.scalar(select(User).where(User.login == "eve")) is None


def test_admin_cannot_change_own_roles(users, services):
    admin = users[Role.ADMIN]
    with pytest.raises(PermissionDenied):
        services.auth.set_roles(admin, "admin", ["admin", "supervisor"])
    info = services.auth.set_roles(admin, "siti", ["officer", "inspector"])
    assert info.roles == {Role.OFFICER, Role.INSPECTOR}


@pytest.mark.parametrize(("login", "field"), [("A", "login"), ("ab", "login"), ("bad login", "login"),
                                                ("x" * 40, "login")])
def test_malformed_login_rejected_nothing_written(users, services, login, field):
    before = len(_actions(services))
    with pytest.raises(InputError) as e:
        services.auth.create_user(users[Role.ADMIN], login, "Name", ["officer"], PASSWORD)
    assert e.value.field == field and e.value.code is ErrorCode.LOGIN_FORMAT
    assert len(_actions(services)) == before


def test_unknown_role_and_short_password(users, services):
    with pytest.raises(InputError) as e:
        services.auth.create_user(users[Role.ADMIN], "joko", "Joko", ["janitor"], PASSWORD)
    assert e.value.field == "role" and e.value.code is ErrorCode.UNKNOWN_ROLE
    assert e.value.params["value"] == "janitor" and "officer" in e.value.params["options"]
    with pytest.raises(InputError) as e:
        services.auth.create_user(users[Role.ADMIN], "joko", "Joko", ["officer"], "short")
    assert e.value.field == "password" and e.value.code is ErrorCode.WEAK_PASSWORD
    assert str(e.value) == "password: at least 8 characters"  # rendered from the template and its limit


def test_idle_lock_unlock_and_lockout_ends_session(users, services):
    auth = services.auth
    officer = users[Role.OFFICER]
    assert auth.unlock_screen(officer, PASSWORD) is True
    for _ in range(4):
        assert auth.unlock_screen(officer, "nope-nope") is False
    assert auth.unlock_screen(officer, "nope-nope") is False  # 5th failure locks the account
    with services.ctx.db.read() as s:
        sess = s.get(UserSession, officer.session_id)
        assert sess.end_reason == "locked"
        assert s.scalar(select(User.locked_at).where(User.login == officer.login)) is not None
    with pytest.raises(AuthenticationFailed) as ended:
        auth.unlock_screen(officer, PASSWORD)
    assert ended.value.code is ErrorCode.SESSION_ENDED


def test_supervisor_ends_session_and_heartbeat_reports_it(users, services):
    auth = services.auth
    officer = users[Role.OFFICER]
    assert auth.heartbeat(officer) is True
    sessions = auth.list_sessions(users[Role.SUPERVISOR])
    assert officer.session_id in {x.id for x in sessions}
    with pytest.raises(PermissionDenied):
        auth.end_session(users[Role.OFFICER], users[Role.EXAMINER].session_id, "test")
    auth.end_session(users[Role.SUPERVISOR], officer.session_id, "left the counter open")
    assert auth.heartbeat(officer) is False
    with pytest.raises(Refusal) as again:
        auth.end_session(users[Role.SUPERVISOR], officer.session_id, "twice")
    assert again.value.code is ErrorCode.ALREADY_ENDED
    assert "session.end" in _actions(services)


def test_dual_authorisation_needs_a_different_supervisor(users, services):
    auth = services.auth
    sup = users[Role.SUPERVISOR]
    with pytest.raises(PermissionDenied):
        auth.confirm_supervisor(sup, "agus", PASSWORD, "clear")
    with pytest.raises(PermissionDenied):
        auth.confirm_supervisor(users[Role.OFFICER], "dewi", PASSWORD, "clear")  # dewi is an examiner
    with pytest.raises(AuthenticationFailed):
        auth.confirm_supervisor(users[Role.OFFICER], "agus", "wrong-one", "clear")
    confirmer = auth.confirm_supervisor(users[Role.OFFICER], "agus", PASSWORD, "clear")
    assert confirmer.login == "agus"


# -- issue #11 item 3: every write checks the session, the account and the roles against the database ----------
def test_a_write_after_the_session_ended_is_refused(users, services):
    officer = users[Role.OFFICER]
    services.auth.end_session(users[Role.SUPERVISOR], officer.session_id, "left the counter open")
    before = len(_actions(services))
    with pytest.raises(AuthenticationFailed) as refused:
        services.auth.change_password(officer, PASSWORD, "another-secret-1")
    assert refused.value.code is ErrorCode.SESSION_ENDED
    assert len(_actions(services)) == before  # nothing written: the refusal rolled the change back
    assert services.auth.login("siti", PASSWORD)  # the password did not change


def test_a_revoked_role_is_refused_at_the_next_write(users, services):
    sup = users[Role.SUPERVISOR]
    services.auth.set_roles(users[Role.ADMIN], "agus", ["officer"])
    assert services.auth.heartbeat(sup) is False
    with pytest.raises(PermissionDenied) as refused:
        services.auth.end_session(sup, users[Role.OFFICER].session_id, "revoked but still acting")
    assert refused.value.code is ErrorCode.ROLE_REVOKED and refused.value.params["roles"] == "supervisor"
    assert services.auth.heartbeat(users[Role.OFFICER]) is True  # the officer's session was not ended


def test_a_locked_out_user_cannot_act_in_an_open_session(users, services):
    officer = users[Role.OFFICER]
    for _ in range(services.settings.max_failed_logins):
        with pytest.raises(AuthenticationFailed):
            services.auth.login("siti", "bad-password")
    assert services.auth.heartbeat(officer) is False
    with pytest.raises(AccountLocked) as refused:
        services.auth.change_password(officer, PASSWORD, "another-secret-1")
    assert refused.value.code is ErrorCode.LOCKED


def test_a_deactivated_user_cannot_act_nor_log_in(users, services):
    admin, officer = users[Role.ADMIN], users[Role.OFFICER]
    with pytest.raises(PermissionDenied):
        services.auth.deactivate(users[Role.SUPERVISOR], "siti")
    with pytest.raises(PermissionDenied) as own:
        services.auth.deactivate(admin, "admin")
    assert own.value.code is ErrorCode.SELF_DEACTIVATE
    info = services.auth.deactivate(admin, "siti", "left the service")
    assert not info.active
    assert services.auth.heartbeat(officer) is False
    with services.ctx.db.read() as s:
        assert s.get(UserSession, officer.session_id).end_reason == "deactivated"
    with pytest.raises(AuthenticationFailed) as refused:
        services.auth.change_password(officer, PASSWORD, "another-secret-1")
    assert refused.value.code is ErrorCode.SESSION_ENDED
    with pytest.raises(AuthenticationFailed) as login:
        services.auth.login("siti", PASSWORD)
    assert login.value.code is ErrorCode.INACTIVE
    with pytest.raises(Refusal) as again:
        services.auth.deactivate(admin, "siti")
    assert again.value.code is ErrorCode.ALREADY_INACTIVE
    services.auth.logout(officer)  # leaving is never refused
    assert "user.deactivate" in _actions(services)


def test_an_inactive_user_with_an_open_session_is_refused(users, services):
    """Deactivated behind the service's back (a session left open): the write still checks `active`."""
    from sqlalchemy import update

    with services.ctx.db.write() as s:
        s.execute(update(User).where(User.login == "budi").values(active=False))
    with pytest.raises(AuthenticationFailed) as refused:
        services.auth.change_password(users[Role.INSPECTOR], PASSWORD, "another-secret-1")
    assert refused.value.code is ErrorCode.INACTIVE


def test_cli_user_deactivate(users, services, settings, monkeypatch, capsys):
    from workstation.cli import main

    monkeypatch.setenv("WORKSTATION_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("WORKSTATION_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("WORKSTATION_PASSWORD_HASHING", "fast")
    monkeypatch.delenv("WORKSTATION_CONFIG", raising=False)
    assert main(["user", "deactivate", "budi", "--reason", "moved office"]) == 0
    assert capsys.readouterr().out.strip() == "deactivated budi"
    assert services.auth.heartbeat(users[Role.INSPECTOR]) is False
    assert main(["user", "deactivate", "nobody"]) == 1


# -- issue #11 item 5: a login name that matches no user is kept as a keyed hash, never as typed -------------------
def test_unknown_login_is_audited_as_a_keyed_hash(users, services):
    import hashlib

    typed = "Rahasia-Sekali-99"  # a password typed into the login field
    for _ in range(2):
        with pytest.raises(AuthenticationFailed):
            services.auth.login(typed, "whatever")
    with pytest.raises(AuthenticationFailed):
        services.auth.confirm_supervisor(users[Role.OFFICER], typed, "whatever", "void")
    with services.ctx.db.read() as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.action.in_(["auth.failure",
                                                                              "auth.confirm_failure"]))))
    stored = " ".join(f"{e.actor_login} {e.entity_id} {e.payload}" for e in rows)
    assert typed not in stored and typed.lower() not in stored
    digest = services.auth.login_digest(typed)
    assert digest != hashlib.sha256(typed.encode()).hexdigest()[:20]  # keyed: not a plain hash anyone can try
    assert stored.count(digest) >= 6  # the same digest each time: repeated attempts can be counted
    assert services.audit.verify(users[Role.SUPERVISOR]).ok
