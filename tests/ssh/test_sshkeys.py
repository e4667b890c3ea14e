"""SSH keys of users (services/sshkeys.py, `workstation user key add|list|remove`) and the pieces of
serve-ssh and the TUI's SSH mode that need no client: listen addresses, the host key file, the pool defaults,
the session's client label, the login screen with a fixed login."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys

import pytest
from sqlalchemy import select

from db.models import AuditEntry
from tests.conftest import PASSWORD
from workstation.domain.codes import Role
from workstation.domain.errors import ErrorCode
from workstation.errors import InputError, NotFound, PermissionDenied, Refusal

ED25519 = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl laptop of siti")


def _keys(services):
    from workstation.services.sshkeys import SshKeyService

    return SshKeyService(services.ctx)


def _cli(services):
    from workstation.services.base import cli_actor

    return cli_actor(services.settings)


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen")
def test_fingerprint_is_what_ssh_keygen_prints(tmp_path):
    from workstation.services.sshkeys import parse_public_key

    for kind, bits in (("ed25519", []), ("ecdsa", ["-b", "384"]), ("rsa", ["-b", "2048"])):
        path = tmp_path / kind
        subprocess.run(["ssh-keygen", "-q", "-t", kind, *bits, "-N", "", "-C", "me@host", "-f", str(path)],
                       check=True)
        line = (tmp_path / f"{kind}.pub").read_text()
        expected = subprocess.run(["ssh-keygen", "-lf", str(tmp_path / f"{kind}.pub")], check=True,
                                  capture_output=True, text=True).stdout.split()[1]
        key = parse_public_key(line)
        assert key.fingerprint == expected and key.comment == "me@host"
        assert key.public_key == " ".join(line.split()[:2])


@pytest.mark.parametrize("text, reason", [
    ("", "empty"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n", "private key"),
    ("ssh-dss AAAAB3NzaC1kc3MAAACBAP", "DSA"),
    ('command="ls" ' + ED25519, "unsupported key type"),
    ("ssh-ed25519 not*base64", "not base64"),
    ("ssh-rsa " + ED25519.split()[1], "another type"),
    ("ssh-ed25519 " + base64.b64encode(b"\0\0\0\x0bssh-ed25519\0\0\0\x03abc").decode(), "32 bytes"),
    ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA", "truncated"),
])
def test_bad_key_lines_are_refused_with_a_reason(text, reason):
    from workstation.services.sshkeys import parse_public_key

    with pytest.raises(InputError) as exc:
        parse_public_key(text)
    assert exc.value.code == ErrorCode.SSH_KEY_FORMAT and reason in str(exc.value)


def test_a_short_rsa_key_is_refused():
    from workstation.services.sshkeys import parse_public_key

    def s(b: bytes) -> bytes:
        return len(b).to_bytes(4, "big") + b

    blob = s(b"ssh-rsa") + s(b"\x01\x00\x01") + s(b"\x00" + (1 << 1023).to_bytes(128, "big"))
    with pytest.raises(InputError, match="1024 bits"):
        parse_public_key("ssh-rsa " + base64.b64encode(blob).decode())


def test_add_list_remove_audited_and_checked(services, users):
    keys = _keys(services)
    admin, officer, supervisor = users[Role.ADMIN], users[Role.OFFICER], users[Role.SUPERVISOR]
    with pytest.raises(PermissionDenied):
        keys.add_key(officer, "siti", ED25519)
    with pytest.raises(PermissionDenied):
        keys.add_key(supervisor, "siti", ED25519)
    with pytest.raises(NotFound):
        keys.add_key(admin, "nobody", ED25519)
    info = keys.add_key(admin, "siti", ED25519)
    assert info.login == "siti" and info.algorithm == "ssh-ed25519" and info.comment == "laptop of siti"
    # one key opens one account: not twice, not for someone else
    for login in ("siti", "agus"):
        with pytest.raises(Refusal) as exc:
            keys.add_key(admin, login, ED25519)
        assert exc.value.code == ErrorCode.SSH_KEY_IN_USE
    assert [k.fingerprint for k in keys.list_keys(supervisor, "siti")] == [info.fingerprint]
    with pytest.raises(PermissionDenied):
        keys.list_keys(officer, "siti")

    owner = keys.key_owner("siti", ED25519)
    assert owner is not None and owner.login == "siti" and owner.active and not owner.locked
    assert keys.key_owner("agus", ED25519) is None  # the SSH user name must be the key's user
    assert keys.has_keys("siti") and not keys.has_keys("agus")

    with pytest.raises(PermissionDenied):
        keys.remove_key(officer, info.fingerprint)
    removed = keys.remove_key(admin, info.fingerprint.removeprefix("SHA256:"))  # the prefix may be left out
    assert removed.revoked_at is not None
    assert keys.key_owner("siti", ED25519) is None  # refused from now on
    with pytest.raises(Refusal) as exc:
        keys.remove_key(admin, info.fingerprint)
    assert exc.value.code == ErrorCode.SSH_KEY_REVOKED
    with pytest.raises(NotFound):
        keys.remove_key(admin, "SHA256:nothing")
    [row] = keys.list_keys(admin, "siti")
    assert row.revoked_at is not None  # kept, marked

    with services.ctx.db.read() as s:
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.action.like("user.ssh_key%"))
                                 .order_by(AuditEntry.seq)))
    assert [(e.action, e.actor_login) for e in entries] == [("user.ssh_key_add", "admin"),
                                                          ("user.ssh_key_remove", "admin")]
    assert info.fingerprint in entries[0].payload and info.fingerprint in entries[1].payload


def test_key_owner_marks_inactive_and_locked_users(services, users):
    keys = _keys(services)
    keys.add_key(users[Role.ADMIN], "siti", ED25519)
    services.auth.deactivate(users[Role.ADMIN], "siti")
    owner = keys.key_owner("siti", ED25519)
    assert owner is not None and not owner.active  # admitted by SSH: the app shows the refusal
    assert keys.account_state("siti") == "inactive" and keys.account_state("budi") == "active"
    assert keys.account_state("nobody") == "unknown"


def test_connection_closed_ends_the_rows_a_killed_child_left_open(services, users):
    keys = _keys(services)
    keys.add_key(users[Role.ADMIN], "siti", ED25519)
    owner = keys.key_owner("siti", ED25519)
    assert owner is not None
    keys.connection_opened(owner, "10.0.0.9:50000")
    actor = services.auth.login("siti", PASSWORD, client="ssh:10.0.0.9:50000")
    other = services.auth.login("siti", PASSWORD, client="ssh:10.0.0.9:50001")
    assert keys.connection_closed(owner, "10.0.0.9:50000", "ssh:10.0.0.9:50000", "disconnect") == 1
    sessions = {s.id: s for s in services.auth.list_sessions(users[Role.SUPERVISOR], active_only=False)}
    assert sessions[actor.session_id].end_reason == "ssh_disconnect"
    assert sessions[other.session_id].ended_at is None  # another connection's session is left alone
    with services.ctx.db.read() as s:
        actions = list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))
    assert actions[-2:] == ["auth.logout", "ssh.disconnect"] and "ssh.connect" in actions


# --- the command line ---------------------------------------------------------------------------------------
def _run(args, env, stdin=""):
    return subprocess.run([sys.executable, "-m", "workstation", *args], env=env, input=stdin, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def cli_env(settings, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKSTATION_")}
    env.update(WORKSTATION_CONFIG=str(config), WORKSTATION_DATABASE_URL=settings.effective_database_url,
               WORKSTATION_DATA_DIR=str(settings.data_dir), WORKSTATION_PASSWORD_HASHING="fast")
    return env


def test_user_key_commands(services, users, cli_env, tmp_path):
    pub = tmp_path / "siti.pub"
    pub.write_text(ED25519 + "\n")
    r = _run(["user", "key", "add", "siti", "--file", str(pub)], cli_env)
    assert r.returncode == 0, r.stderr
    fp = r.stdout.split()[2]
    assert r.stdout.startswith("added ssh-ed25519 SHA256:") and fp.startswith("SHA256:")
    r = _run(["user", "key", "add", "siti", "--file", str(pub)], cli_env)
    assert r.returncode == 1 and "already registered" in r.stderr
    r = _run(["user", "key", "add", "siti", "--file", "-"], cli_env, stdin="ssh-dss AAAA")
    assert r.returncode == 2 and "DSA keys are not accepted" in r.stderr
    r = _run(["user", "key", "list", "siti"], cli_env)
    assert r.returncode == 0 and fp in r.stdout and "active" in r.stdout and "laptop of siti" in r.stdout
    r = _run(["user", "key", "remove", fp], cli_env)
    assert r.returncode == 0 and r.stdout.strip() == f"removed {fp} of siti"
    r = _run(["user", "key", "list", "siti"], cli_env)
    assert "removed" in r.stdout
    with services.ctx.db.read() as s:
        logins = set(s.scalars(select(AuditEntry.actor_login).where(AuditEntry.action.like("user.ssh_key%"))))
    assert len(logins) == 1 and next(iter(logins)).startswith("cli:")


# --- serve-ssh and the TUI's SSH mode -----------------------------------------------------------------------
def test_listen_addresses():
    from workstation.sshserve import parse_listen

    assert parse_listen("0.0.0.0:2222") == ("0.0.0.0", 2222)
    assert parse_listen("[::1]:22") == ("::1", 22)
    for bad in ("2222", "host:", ":22", "host:99999", "host:x"):
        with pytest.raises(ValueError):
            parse_listen(bad)


def test_the_host_key_is_created_private_and_reused(tmp_path):
    from workstation.sshserve import load_or_create_host_key

    path = tmp_path / "keys" / "host_ed25519"
    key = load_or_create_host_key(path)
    assert path.stat().st_mode & 0o777 == 0o600 and (tmp_path / "keys" / "host_ed25519.pub").exists()
    assert load_or_create_host_key(path).get_fingerprint() == key.get_fingerprint()
    path.chmod(0o644)
    with pytest.raises(ValueError, match="chmod 600"):
        load_or_create_host_key(path)


def test_ssh_pool_defaults_unless_configured(tmp_path, monkeypatch):
    from workstation.commands.tui import ssh_pool_overrides

    for name in list(os.environ):
        if name.upper().startswith("WORKSTATION_"):
            monkeypatch.delenv(name)
    config = tmp_path / "c.toml"
    config.write_text("")
    assert ssh_pool_overrides(str(config)) == {"database_pool_size": 1, "database_max_overflow": 1}
    config.write_text("database_pool_size = 4\n")
    assert ssh_pool_overrides(str(config)) == {"database_max_overflow": 1}
    monkeypatch.setenv("WORKSTATION_DATABASE_MAX_OVERFLOW", "0")
    assert ssh_pool_overrides(str(config)) == {}


def test_ssh_client_label_and_login():
    from workstation.commands.tui import ssh_client_label, ssh_login

    assert ssh_client_label({"SSH_CONNECTION": "10.1.2.3 50022 10.0.0.1 22"}) == "ssh:10.1.2.3:50022"
    assert ssh_client_label({}) == "ssh:unknown"
    assert ssh_login("siti") == "siti"
    with pytest.raises(InputError):
        ssh_login("Siti; rm -rf /")


async def test_login_screen_with_a_fixed_login(services, users, clock):
    from textual.widgets import Input

    from screens.app import WorkstationApp
    from tests.e2e.conftest import settle

    app = WorkstationApp(services.settings, services=services, clock=clock)
    app.ssh_user = "siti"
    app.ssh_client = "ssh:10.1.2.3:50022"
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        login = app.screen.query_one("#login", Input)
        assert login.value == "siti" and login.disabled
        assert app.focused is app.screen.query_one("#password", Input)
        await pilot.press(*PASSWORD, "enter")
        await settle(app, pilot)
        assert app.actor is not None and app.actor.login == "siti"
        [row] = [s for s in services.auth.list_sessions(users[Role.SUPERVISOR]) if s.id == app.actor.session_id]
        assert row.client == "ssh:10.1.2.3:50022"
        await app.logout()
        await settle(app, pilot)
        assert app.screen.query_one("#login", Input).value == "siti"
        assert app.focused is app.screen.query_one("#password", Input)


def test_session_limits_in_all_and_per_user():
    from workstation.sshserve import SessionRegistry

    reg = SessionRegistry(max_sessions=3, max_per_user=2)
    assert reg.refusal("siti") is None
    reg.add("siti")
    reg.add("siti")
    assert "siti already has 2 sessions" in (reg.refusal("siti") or "")
    assert reg.refusal("agus") is None
    reg.add("agus")
    assert "already runs 3 sessions" in (reg.refusal("agus") or "") and reg.refusal("budi")
    reg.remove("siti")
    assert reg.refusal("budi") is None and reg.total == 2


async def test_a_locked_ssh_user_sees_the_refusal_before_the_password(services, users, clock):
    from textual.widgets import Input, Static

    from screens.app import WorkstationApp
    from tests.e2e.conftest import settle

    for _ in range(services.settings.max_failed_logins):
        with pytest.raises(Refusal):
            services.auth.login("siti", "wrong password")
    app = WorkstationApp(services.settings, services=services, clock=clock)
    app.ssh_user = "siti"
    app.ssh_client = "ssh:10.1.2.3:50022"
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        message = app.screen.query_one("#login-message", Static)
        assert "terkunci" in str(message.render())  # the refusal, before any password
        await pilot.press(*PASSWORD, "enter")
        await settle(app, pilot)
        assert app.actor is None
        assert app.focused is app.screen.query_one("#password", Input)


def test_serve_ssh_refuses_a_bad_address_and_a_readable_host_key(cli_env, tmp_path, users):
    r = _run(["serve-ssh", "--listen", "nope", "--host-key", str(tmp_path / "hk")], cli_env)
    assert r.returncode == 2 and "--listen: expected HOST:PORT" in r.stderr
    key = tmp_path / "hk"
    key.write_text("not a key")
    key.chmod(0o644)
    r = _run(["serve-ssh", "--listen", "127.0.0.1:0", "--host-key", str(key)], cli_env)
    assert r.returncode == 2 and "chmod 600" in r.stderr
