"""The command line as another program sees it: exit codes, one-line errors, no tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import PASSWORD


def run(*args: str, env: dict | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("WORKSTATION_")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "workstation", *args], capture_output=True, text=True,
                          env=full_env, input=stdin, timeout=120)


@pytest.fixture
def env(settings) -> dict:
    return {"WORKSTATION_DATABASE_URL": settings.effective_database_url,
            "WORKSTATION_DATA_DIR": str(settings.data_dir), "WORKSTATION_PASSWORD_HASHING": "fast"}


def _one_line_error(p: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    return lines[0]


def test_help_lists_every_contract_command():
    p = run("--help")
    assert p.returncode == 0
    for cmd in ("demo", "db", "user", "ecd", "pib", "plp", "scan", "audit"):
        assert cmd in p.stdout


def _commands(parser) -> set[str]:
    import argparse

    return {name for a in parser._actions if isinstance(a, argparse._SubParsersAction) for name in a.choices}


def test_each_command_loads_only_its_own_module():
    from workstation import cli

    assert _commands(cli.build_parser()) == set(cli.COMMAND_NAMES)
    for module in set(cli.COMMAND_NAMES.values()):
        assert _commands(cli.build_parser(module)) == {n for n, m in cli.COMMAND_NAMES.items() if m == module}
    assert cli._module_for([]) == "tui"
    assert cli._module_for(["--config", "ws.toml", "db", "upgrade"]) == "db"
    assert cli._module_for(["--config=ws.toml", "verify", "x.pdf"]) == "documents"
    assert cli._module_for(["--help"]) is None and cli._module_for(["dmeo"]) is None


def test_a_mistyped_command_gets_the_whole_list():
    p = run("dmeo")
    assert p.returncode == 2 and "invalid choice: 'dmeo'" in _one_line_error(p) and "demo" in p.stderr


def test_db_upgrade_current_user_add_and_audit_verify(env):
    p = run("db", "upgrade", env=env)
    assert p.returncode == 0, p.stderr
    assert "(head)" in p.stdout
    p = run("db", "current", env=env)
    assert p.returncode == 0 and "(head)" in p.stdout
    p = run("user", "add", "kepala", "--role", "admin,supervisor", "--name", "Kepala Kantor", "--password-stdin",
            env=env, stdin=PASSWORD + "\n")
    assert p.returncode == 0, p.stderr
    assert "created kepala (admin, supervisor)" in p.stdout
    p = run("user", "list", env=env)
    assert "kepala" in p.stdout
    p = run("audit", "verify", env=env)
    assert p.returncode == 0 and "audit chain OK" in p.stdout


def test_audit_verify_exit_1_names_the_entry(env, services, users):
    from sqlalchemy import text

    from tests.conftest import BACKEND

    with services.ctx.db.engine.begin() as c:
        if BACKEND == "sqlite":
            c.execute(text("DROP TRIGGER audit_log_no_update"))
        else:
            c.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        c.execute(text("UPDATE audit_log SET actor_login = 'mallory' WHERE seq = 2"))
    p = run("audit", "verify", env=env)
    assert p.returncode == 1
    assert "BROKEN at entry #2" in p.stdout


@pytest.mark.parametrize("login", ["Bad Name", "x", "1abc"])
def test_malformed_user_name_exit_2_one_line(env, login):
    p = run("user", "add", login, "--role", "officer", "--password-stdin", env=env, stdin=PASSWORD + "\n")
    assert p.returncode == 2
    assert "login" in _one_line_error(p)


def test_unknown_role_exit_2(env):
    p = run("user", "add", "joko", "--role", "janitor", "--password-stdin", env=env, stdin=PASSWORD + "\n")
    assert p.returncode == 2
    assert "role" in _one_line_error(p)


def test_wrong_config_value_exit_2_one_line(tmp_path):
    p = run("db", "current", env={"WORKSTATION_IDLE_LOCK_MINUTES": "never"})
    assert p.returncode == 2
    assert "idle_lock_minutes" in _one_line_error(p)


def test_unreachable_database_exit_2_one_line():
    p = run("db", "current", env={"WORKSTATION_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    assert p.returncode == 2
    line = _one_line_error(p)
    assert "database_url" in line and "cannot reach" in line


def test_demo_starts_headless(tmp_path):
    p = run("demo", "--dir", str(tmp_path), "--headless", "--exit-on", "ready",
            env={"WORKSTATION_PASSWORD_HASHING": "fast"})
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "demo.sqlite").exists()
