"""The command line of #12 point 7: no command creates a database as a side effect, the SQLite file and its WAL
are private (0600), the NIP is checked before the password is asked, the TUI refuses to start without a
terminal, the demo cleans up its temporary directory, and every --help says what its command does."""

from __future__ import annotations

import argparse
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BACKEND, PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, env: dict | None = None, stdin: str | None = None, **kw) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("WORKSTATION_")}
    full_env.update(env or {})
    if stdin is not None:
        kw["input"] = stdin
    return subprocess.run([sys.executable, "-m", "workstation", *args], capture_output=True, text=True,
                          env=full_env, timeout=180, **kw)


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.fixture
def bare_machine(tmp_path) -> tuple[Path, dict]:
    """A user with no configuration at all: the defaults point at a data directory that does not exist."""
    home = tmp_path / "home"
    home.mkdir()
    return home, {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
                  "XDG_DATA_HOME": str(home / ".local" / "share"), "WORKSTATION_PASSWORD_HASHING": "fast"}


READ_ONLY = [
    ("verify", "000001/SPPB/040300/2026"),
    ("db", "current"),
    ("user", "list"),
    ("audit", "verify"),
    ("print", "--failed"),
    ("sync", "status"),
    ("unit", "list"),
    ("risk", "report", "--from", "2026-11-01", "--to", "2026-11-02"),
    ("report", "daily", "--date", "2026-11-21", "--out", "/nonexistent-dir/r.pdf"),
]


@pytest.mark.parametrize("command", READ_ONLY, ids=lambda c: " ".join(c[:2]))
def test_a_command_on_an_unconfigured_machine_creates_nothing(bare_machine, command):
    home, env = bare_machine
    p = run(*command, env=env)
    assert p.returncode == 2, p.stdout + p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in p.stderr
    assert "no database at" in lines[0] and "workstation db upgrade" in lines[0]
    assert _files(home) == []  # no database, no data directory, not even a log directory


def test_a_missing_sqlite_file_is_reported_and_not_created(tmp_path):
    db = tmp_path / "nowhere" / "ws.sqlite"
    p = run("user", "unlock", "siti", env={"WORKSTATION_DATABASE_URL": f"sqlite:///{db}",
                                             "WORKSTATION_DATA_DIR": str(tmp_path / "data")})
    assert p.returncode == 2 and str(db) in p.stderr
    assert not db.exists() and not db.parent.exists()


def test_an_empty_database_file_is_not_migrated_by_a_read_only_command(tmp_path):
    import sqlite3

    db = tmp_path / "empty.sqlite"
    db.touch()
    p = run("verify", "000001/SPPB/040300/2026", env={"WORKSTATION_DATABASE_URL": f"sqlite:///{db}",
                                                      "WORKSTATION_DATA_DIR": str(tmp_path / "data")})
    assert p.returncode == 2 and "holds no workstation database" in p.stderr
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0  # no table was created


def test_db_upgrade_creates_the_database_and_then_commands_work(tmp_path):
    env = {"WORKSTATION_DATABASE_URL": f"sqlite:///{tmp_path / 'ws.sqlite'}",
           "WORKSTATION_DATA_DIR": str(tmp_path / "data")}
    assert run("verify", "000001/SPPB/040300/2026", env=env).returncode == 2
    assert run("db", "upgrade", env=env).returncode == 0
    p = run("verify", "000001/SPPB/040300/2026", env=env)
    assert p.returncode == 1 and p.stdout.startswith("UNKNOWN")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(BACKEND != "sqlite", reason="file permissions of a SQLite database")
def test_a_new_sqlite_database_and_its_wal_are_private(tmp_path):
    from db import migrate
    from db.engine import make_engine

    path = tmp_path / "new" / "ws.sqlite"
    old = os.umask(0o022)  # the usual umask would leave 0644
    try:
        engine = make_engine(f"sqlite:///{path}")
        migrate.upgrade(engine)
        with engine.connect() as conn:  # an open connection in WAL mode: -wal and -shm exist now
            conn.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar()
            wal, shm = path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")
            assert wal.exists() and shm.exists()
            assert (_mode(path), _mode(wal), _mode(shm)) == (0o600, 0o600, 0o600)
        assert _mode(path.parent) == 0o700
        engine.dispose()
    finally:
        os.umask(old)


@pytest.mark.skipif(BACKEND != "sqlite", reason="file permissions of a SQLite database")
def test_an_existing_database_keeps_the_permissions_its_owner_gave(tmp_path):
    from db.engine import make_engine

    path = tmp_path / "shared.sqlite"
    path.touch()
    path.chmod(0o640)
    make_engine(f"sqlite:///{path}").dispose()
    assert _mode(path) == 0o640


def test_the_nip_is_checked_before_the_password_is_asked(tmp_path):
    db = tmp_path / "ws.sqlite"
    env = {"WORKSTATION_DATABASE_URL": f"sqlite:///{db}", "WORKSTATION_DATA_DIR": str(tmp_path / "data")}
    # no terminal and no --password-stdin: asking for the password would fail with "no terminal"; the NIP comes first
    for bad in ("123", "19800501200501100X", "1980050120050110011"):
        p = run("user", "add", "joko", "--role", "officer", "--nip", bad, env=env, stdin="")
        assert p.returncode == 2
        line = p.stderr.strip()
        assert line.startswith("workstation: --nip:") and "18 digits" in line and "password" not in line
    assert not db.exists()


def test_a_good_nip_is_stored_as_digits(env_with_db):
    p = run("user", "add", "joko", "--role", "officer", "--nip", "19800501 200501 1 001", "--password-stdin",
            env=env_with_db, stdin=PASSWORD + "\n")
    assert p.returncode == 0, p.stderr


@pytest.fixture
def env_with_db(settings) -> dict:
    return {"WORKSTATION_DATABASE_URL": settings.effective_database_url,
            "WORKSTATION_DATA_DIR": str(settings.data_dir), "WORKSTATION_PASSWORD_HASHING": "fast"}


@pytest.mark.parametrize("args", [(), ("tui",), ("demo",)], ids=["bare", "tui", "demo"])
def test_the_tui_without_a_terminal_says_so_and_exits_2(tmp_path, args):
    env = {"WORKSTATION_DATABASE_URL": f"sqlite:///{tmp_path / 'ws.sqlite'}",
           "WORKSTATION_DATA_DIR": str(tmp_path / "data"), "TMPDIR": str(tmp_path)}
    p = run(*args, env=env, stdin="")
    assert p.returncode == 2
    assert "needs a terminal" in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "ws.sqlite").exists()
    assert not list(tmp_path.glob("workstation-demo-*"))


def test_the_terminal_check():
    from workstation.commands.tui import has_terminal

    class Stream:
        def __init__(self, tty: bool):
            self.tty = tty

        def isatty(self) -> bool:
            return self.tty

    assert has_terminal(Stream(True), Stream(True))
    assert not has_terminal(Stream(True), Stream(False)) and not has_terminal(Stream(False), Stream(True))


def test_the_demo_removes_its_temporary_directory_unless_dir_is_given(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {"WORKSTATION_PASSWORD_HASHING": "fast", "TMPDIR": str(tmp), "HOME": str(tmp_path / "home")}
    p = run("demo", "--headless", "--exit-on", "ready", env=env)
    assert p.returncode == 0, p.stderr
    assert list(tmp.iterdir()) == []  # the demo's database, keys and simulated devices are gone
    kept = tmp_path / "kept"
    p = run("demo", "--dir", str(kept), "--headless", "--exit-on", "ready", env=env)
    assert p.returncode == 0, p.stderr
    assert (kept / "demo.sqlite").exists() and (kept / "keys").is_dir()


def _subparsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield (*path, name), child
                yield from _subparsers(child, (*path, name))


def test_every_help_says_what_its_command_does():
    from workstation.cli import build_parser

    parser = build_parser()
    assert parser.description and "Exit status" in parser.epilog
    missing = [" ".join(path) for path, child in _subparsers(parser) if not (child.description or "").strip()]
    assert missing == []


def test_verify_help_names_its_states_and_exit_codes():
    p = run("verify", "--help")
    assert p.returncode == 0
    for word in ("VALID", "TAMPERED", "UNKNOWN", "VOID", "Exit status", "0 VALID only", "signature", "byte range"):
        assert word in p.stdout


@pytest.mark.parametrize("command, formats", [
    (("rates", "import"), ("CSV", "currency,rate_idr,valid_from,valid_to", "NLE kurs JSON", "Decree table")),
    (("tariff", "import"), ("CSV", "hs_code,description,bm_rate")),
    (("tariff", "lartas"), ("CSV", "hs_prefix,permit,agency")),
    (("manifest", "import"), ("CSV", "bc11_number,bc11_date")),
    (("ecd", "import"), ("ecd/1",)),
    (("pib", "import"), ("pib/1", "CEISA")),
    (("plp", "import"), ("plp/1", "TPS Online")),
    (("risk", "import"), ("risk/1",)),
    (("risk", "prearrival", "import"), ("CSV", "api/1", "predeclaration/1")),
])
def test_every_import_help_names_its_file_formats(command, formats):
    from workstation.cli import build_parser

    parser = build_parser()
    child = dict(_subparsers(parser))[command]
    text = child.format_help()
    for f in formats:
        assert "".join(f.split()) in "".join(text.split()), (command, f)


def test_the_readme_needs_nothing_outside_the_repository():
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "../" not in readme
    for ref in re.findall(r"`((?:docs|workstation|screens|db|printing|devices|bench|tests)/[^`\s]*)`", readme):
        path = ref.split("#")[0].rstrip("/")
        if "*" in path or "<" in path:
            continue
        assert (ROOT / path).exists(), ref
