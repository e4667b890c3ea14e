"""A password set by an administrator (a reset, a new account from Administration) must be changed at the next
login (issue #15 item 3): the login's session may only change it or end; the services refuse everything else
with PASSWORD_CHANGE_REQUIRED, not only the screen."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from db.models import AuditEntry, User, UserSession
from tests.conftest import PASSWORD
from workstation.domain.codes import Role
from workstation.domain.errors import ErrorCode
from workstation.errors import AuthenticationFailed, InputError, PermissionDenied
from workstation.services.auth import PasswordChangeActor

TEMP = "dari-admin-1"  # what the administrator typed
MINE = "pilihan-saya-2"  # what the user then chooses


def _user(services, login: str) -> User:
    with services.ctx.db.read() as s:
        return s.scalar(select(User).where(User.login == login))


def _entries(services, action: str) -> list[AuditEntry]:
    with services.ctx.db.read() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)))


def _data(entry: AuditEntry) -> dict:
    return json.loads(entry.payload)  # canonical JSON text


def _refused(call) -> None:
    with pytest.raises(PermissionDenied) as refused:
        call()
    assert refused.value.code is ErrorCode.PASSWORD_CHANGE_REQUIRED


def test_reset_login_everything_refused_then_change_then_work(services, users):
    admin, agus = users[Role.ADMIN], users[Role.SUPERVISOR]
    assert _user(services, "agus").must_change_password is False  # created by the service, own password
    services.admin.reset_password(admin, "agus", TEMP)
    assert _user(services, "agus").must_change_password is True

    # the session open at the reset ended: whoever held it logs in again
    assert services.auth.heartbeat(agus) is False
    with services.ctx.db.read() as s:
        assert s.get(UserSession, agus.session_id).end_reason == "password_reset"
    reset = _entries(services, "user.password_reset")[-1]
    assert _data(reset)["sessions_ended"] == 1 and TEMP not in reset.payload

    pending = services.auth.login("agus", TEMP)
    assert isinstance(pending, PasswordChangeActor)
    assert _data(_entries(services, "auth.login")[-1])["must_change_password"] is True
    seq_before = _entries(services, "auth.login")[-1].seq

    # reads and writes, with and without a role check of their own: all refused
    _refused(lambda: services.auth.list_sessions(pending))
    _refused(lambda: services.admin.list_users(pending))
    _refused(lambda: services.auth.end_session(pending, users[Role.OFFICER].session_id, "no"))
    _refused(lambda: services.admin.unlock(pending, "siti"))
    _refused(lambda: services.plp.save_tps(pending, "KOJA", "Koja", "PT Koja", "IDTPP", 100))
    _refused(lambda: services.approvals.inbox(pending))
    _refused(lambda: services.approvals.mine(pending))
    _refused(lambda: services.approvals.request_void(pending, "SPPBK-0001", "typo"))
    _refused(lambda: pending.audit)  # what every audited write passes through (db.audit.append)
    _refused(lambda: pending.has(Role.SUPERVISOR))  # what every role check passes through (require_role)
    # a password set by an administrator confirms nothing at another's counter either
    _refused(lambda: services.auth.confirm_supervisor(users[Role.OFFICER], "agus", TEMP, "clear"))
    with services.ctx.db.read() as s:  # nothing was written by the refused calls
        assert s.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1)) == seq_before
    # still pending: the session is kept alive by the heartbeat, which the refusals did not end
    assert services.auth.heartbeat(pending) is True

    # the change: the repeated old password and a wrong old one are refused, the flag stays
    with pytest.raises(InputError) as same:
        services.auth.change_password(pending, TEMP, TEMP)
    assert same.value.code is ErrorCode.PASSWORD_UNCHANGED and same.value.field == "password"
    with pytest.raises(InputError) as weak:
        services.auth.change_password(pending, TEMP, "short")
    assert weak.value.code is ErrorCode.WEAK_PASSWORD
    with pytest.raises(AuthenticationFailed) as wrong:
        services.auth.change_password(pending, "not-the-old-one", MINE)
    assert wrong.value.code is ErrorCode.BAD_CREDENTIALS
    assert _user(services, "agus").must_change_password is True

    actor = services.auth.change_password(pending, TEMP, MINE)
    assert type(actor) is not PasswordChangeActor and actor.session_id == pending.session_id
    assert actor.roles == frozenset({Role.SUPERVISOR})
    assert _user(services, "agus").must_change_password is False
    changed = _entries(services, "user.password")[-1]
    assert _data(changed) == {"forced": True} and changed.actor_login == "agus"
    assert changed.session_id == pending.session_id and MINE not in changed.payload
    # the same session now works; the next login is an ordinary one with the chosen password
    assert services.auth.list_sessions(actor)
    services.auth.end_session(actor, users[Role.OFFICER].session_id, "end of shift")
    with pytest.raises(AuthenticationFailed):
        services.auth.login("agus", TEMP)
    again = services.auth.login("agus", MINE)
    assert type(again) is not PasswordChangeActor and services.auth.list_sessions(again)


def test_a_pending_session_may_lock_and_log_out(services, users):
    services.admin.reset_password(users[Role.ADMIN], "siti", TEMP)
    pending = services.auth.login("siti", TEMP)
    services.auth.lock_screen(pending, "idle")
    assert services.auth.unlock_screen(pending, TEMP) is True
    services.auth.logout(pending, "password_not_changed")
    with services.ctx.db.read() as s:
        sess = s.get(UserSession, pending.session_id)
        assert sess.ended_at is not None and sess.end_reason == "password_not_changed"
    assert _data(_entries(services, "auth.logout")[-1])["reason"] == "password_not_changed"
    # the flag outlives the session: the next login asks again
    assert isinstance(services.auth.login("siti", TEMP), PasswordChangeActor)


def test_an_ordinary_change_is_audited_unforced_and_keeps_the_role_check(services, users):
    officer = users[Role.OFFICER]
    actor = services.auth.change_password(officer, PASSWORD, MINE)
    assert type(actor) is not PasswordChangeActor
    assert _data(_entries(services, "user.password")[-1]) == {"forced": False}
    assert _user(services, "siti").must_change_password is False


def test_a_new_account_from_administration_must_change_its_password(services, users):
    admin = users[Role.ADMIN]
    services.admin.create_user(admin, "rina", "Rina Marlina", ["inspector"], TEMP)
    assert _user(services, "rina").must_change_password is True
    assert _data(_entries(services, "user.create")[-1])["must_change_password"] is True
    pending = services.auth.login("rina", TEMP)
    assert isinstance(pending, PasswordChangeActor)
    services.auth.change_password(pending, TEMP, MINE)
    assert type(services.auth.login("rina", MINE)) is not PasswordChangeActor


def _cli_env(monkeypatch, settings) -> None:
    monkeypatch.setenv("WORKSTATION_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("WORKSTATION_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("WORKSTATION_PASSWORD_HASHING", "fast")
    monkeypatch.delenv("WORKSTATION_CONFIG", raising=False)


def test_cli_reset_password_and_add_with_a_password_to_change(services, users, settings, monkeypatch, capsys):
    from workstation.cli import main

    _cli_env(monkeypatch, settings)
    monkeypatch.setattr("sys.stdin", io.StringIO(TEMP + "\n"))
    assert main(["user", "reset-password", "budi", "--password-stdin"]) == 0
    assert "budi" in capsys.readouterr().out
    assert services.auth.heartbeat(users[Role.INSPECTOR]) is False  # its session ended
    assert isinstance(services.auth.login("budi", TEMP), PasswordChangeActor)
    assert _entries(services, "user.password_reset")[-1].actor_login.startswith("cli:")

    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["user", "reset-password", "budi", "--password-stdin"]) == 2  # weak: bad input
    monkeypatch.setattr("sys.stdin", io.StringIO(TEMP + "\n"))
    assert main(["user", "reset-password", "nobody", "--password-stdin"]) == 1

    monkeypatch.setattr("sys.stdin", io.StringIO(TEMP + "\n"))
    assert main(["user", "add", "rina", "--role", "officer", "--password-stdin", "--must-change-password"]) == 0
    assert isinstance(services.auth.login("rina", TEMP), PasswordChangeActor)
    monkeypatch.setattr("sys.stdin", io.StringIO(TEMP + "\n"))
    assert main(["user", "add", "tono", "--role", "officer", "--password-stdin"]) == 0  # the operator's own
    assert type(services.auth.login("tono", TEMP)) is not PasswordChangeActor
