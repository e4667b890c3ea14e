"""Shared fixtures. The same suite runs on SQLite (default) and on PostgreSQL when
WORKSTATION_TEST_DATABASE_URL is set (.ci/run does both). Tests that need PostgreSQL itself skip with a
stated reason when it is not configured; under CI=true .ci/run makes sure it is."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text

# Property tests are judged on their examples, never on time: a busy CI machine must not turn a slow example
# into a failure (no deadline, no too-slow health check). Example counts stay as each test sets them.
hypothesis_settings.register_profile("workstation", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("workstation")

PG_URL = os.environ.get("WORKSTATION_TEST_DATABASE_URL", "")
BACKEND = "postgresql" if PG_URL.startswith("postgresql") else "sqlite"
# Tables whose rows are part of the schema (seeded by migrations), kept between tests.
SEED_TABLES = {"alembic_version", "roles"}


def pg_url_with_schema(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


def pg_admin_engine():
    from sqlalchemy import create_engine

    return create_engine(PG_URL, isolation_level="AUTOCOMMIT")


def terminate_pg_backend(pid: int) -> None:
    """Kill a PostgreSQL backend (a lost connection) and wait until the server has let it go."""
    import time

    admin = pg_admin_engine()
    try:
        with admin.connect() as c:
            c.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
            for _ in range(100):
                if not c.execute(text("SELECT 1 FROM pg_stat_activity WHERE pid = :p"), {"p": pid}).first():
                    return
                time.sleep(0.05)
    finally:
        admin.dispose()


requires_pg = pytest.mark.skipif(BACKEND != "postgresql",
                                 reason="needs PostgreSQL: set WORKSTATION_TEST_DATABASE_URL (.ci/run does)")


class FakeClock:
    """A clock tests can move; services take it through ServiceContext."""

    def __init__(self, start: dt.datetime | None = None):
        self.now = start or dt.datetime(2026, 11, 21, 2, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw) -> None:
        self.now += dt.timedelta(**kw)


@pytest.fixture(scope="session")
def _template(tmp_path_factory):
    """Migrate once per test process: a SQLite template file, or a PostgreSQL schema of our own."""
    from db import migrate
    from db.engine import make_engine

    if BACKEND == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.sqlite"
        engine = make_engine(f"sqlite:///{path}")
        migrate.upgrade(engine)
        engine.dispose()  # closes the last connection: WAL checkpointed into the main file
        yield {"path": path}
    else:
        schema = f"wst_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = pg_admin_engine()
        with admin.connect() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = pg_url_with_schema(schema)
        engine = make_engine(url)
        migrate.upgrade(engine)
        tables = [r[0] for r in engine.connect().execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).fetchall()]
        yield {"url": url, "engine": engine, "tables": [t for t in tables if t not in SEED_TABLES]}
        engine.dispose()
        with admin.connect() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def db_url(_template, tmp_path) -> str:
    if BACKEND == "sqlite":
        dst = tmp_path / "ws.sqlite"
        shutil.copyfile(_template["path"], dst)
        return f"sqlite:///{dst}"
    with _template["engine"].begin() as c:
        # replica role: the append-only triggers (which also refuse TRUNCATE) do not fire for test clean-up
        c.execute(text("SET LOCAL session_replication_role = replica"))
        c.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in _template["tables"]) + " CASCADE"))
        # a tampering test may have switched a guard off; every test starts with all guards on
        for table in _template["tables"]:
            c.execute(text(f'ALTER TABLE "{table}" ENABLE TRIGGER USER'))
    return _template["url"]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(tmp_path, db_url):
    from workstation.config import load_settings

    return load_settings(
        None,
        database_url=db_url,
        data_dir=tmp_path / "data",
        password_hashing="fast",
        # the office as a configuration file gives it: configured, so documents may be issued (#12 item 7)
        office={"code": "040300"},
    )


@pytest.fixture
def services(settings, clock):
    from db.engine import Database
    from workstation.services import Services
    from workstation.services.base import ServiceContext

    db = Database(settings.effective_database_url)
    svc = Services(ServiceContext(db=db, settings=settings, clock=clock))
    yield svc
    db.dispose()


PASSWORD = "rahasia-123"


@pytest.fixture
def users(services):
    """An admin (first run) and one user per role, logged in. Returns {role: Actor}."""
    from workstation.domain.codes import Role

    auth = services.auth
    auth.create_first_admin("admin", "Admin Kantor", PASSWORD)
    admin = auth.login("admin", PASSWORD)
    actors = {Role.ADMIN: admin}
    names = {
        Role.OFFICER: ("siti", "Siti Rahma"),
        Role.INSPECTOR: ("budi", "Budi Santoso"),
        Role.EXAMINER: ("dewi", "Dewi Lestari"),
        Role.SUPERVISOR: ("agus", "Agus Wijaya"),
    }
    for role, (login, name) in names.items():
        auth.create_user(admin, login, name, [role], PASSWORD)
        actors[role] = auth.login(login, PASSWORD)
    return actors


def _cli_call(monkeypatch, capsys):
    import io
    import sys
    from types import SimpleNamespace

    from workstation.cli import main

    def call(*argv: str, stdin: str | None = None) -> SimpleNamespace:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8"))))
        code = main(list(argv))
        out, err = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out, stderr=err)

    return call


@pytest.fixture
def run(settings, monkeypatch, capsys):
    """The command line in this process on the test database (as `workstation …` runs it: one line on errors,
    an exit status): run("plp", "import", FILE) -> .returncode, .stdout, .stderr."""
    monkeypatch.setenv("WORKSTATION_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("WORKSTATION_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("WORKSTATION_PASSWORD_HASHING", "fast")
    monkeypatch.setenv("WORKSTATION_OFFICE__CODE", "040300")  # a configured office, as `settings` has (#12 item 7)
    monkeypatch.delenv("WORKSTATION_CONFIG", raising=False)
    return _cli_call(monkeypatch, capsys)


@pytest.fixture
def run_offline(monkeypatch, capsys):
    """`run` for the commands that need no database (assess, check, decode)."""
    return _cli_call(monkeypatch, capsys)


def pytest_report_header(config):
    return f"workstation test database: {BACKEND}" + (f" ({PG_URL})" if PG_URL else "")


@pytest.fixture
def fixtures_dir() -> Path:
    return Path(__file__).parent / "fixtures"
