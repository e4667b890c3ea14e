"""Migrations from an empty database, on the back end under test, and the schema they leave matches the
models (no drift between models and migrations)."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from db import migrate
from db.engine import make_engine
from db.schema import metadata
from tests.conftest import BACKEND, pg_admin_engine, pg_url_with_schema


@pytest.fixture
def empty_engine(tmp_path):
    if BACKEND == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}")
        yield engine
        engine.dispose()
    else:
        schema = f"wsm_{uuid.uuid4().hex[:8]}"
        admin = pg_admin_engine()
        with admin.connect() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(pg_url_with_schema(schema))
        yield engine
        engine.dispose()
        with admin.connect() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_upgrade_from_empty_reaches_head_and_matches_models(empty_engine):
    assert migrate.current_revision(empty_engine) is None
    migrate.upgrade(empty_engine)
    assert migrate.current_revision(empty_engine) == migrate.head_revision()
    with empty_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), metadata)
    assert diff == []
    names = set(inspect(empty_engine).get_table_names())
    assert {"offices", "units", "users", "roles", "user_roles", "sessions", "audit_log", "counters", "documents",
            "exchange_rates", "rule_sets", "cases"} <= names
    with empty_engine.connect() as conn:
        roles = {r[0] for r in conn.execute(text("SELECT code FROM roles"))}
    assert roles == {"officer", "inspector", "examiner", "supervisor", "admin"}


def test_downgrade_to_base_and_up_again(empty_engine):
    migrate.upgrade(empty_engine)
    migrate.downgrade(empty_engine, "base")
    assert "users" not in inspect(empty_engine).get_table_names()
    migrate.upgrade(empty_engine)
    assert migrate.is_current(empty_engine)


def test_sqlite_pragmas_are_set(services):
    if services.ctx.db.backend != "sqlite":
        pytest.skip("SQLite only")
    with services.ctx.db.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_sqlite_write_transactions_begin_immediate(services):
    if services.ctx.db.backend != "sqlite":
        pytest.skip("SQLite only")
    seen = []
    from sqlalchemy import event

    def rec(conn, cursor, statement, *a):
        seen.append(statement)

    event.listen(services.ctx.db.engine, "before_cursor_execute", rec)
    try:
        with services.ctx.db.write() as s:
            s.execute(text("SELECT 1"))
        with services.ctx.db.read() as s:
            s.execute(text("SELECT 1"))
    finally:
        event.remove(services.ctx.db.engine, "before_cursor_execute", rec)
    assert seen[0] == "BEGIN IMMEDIATE"
    assert "BEGIN" in seen[2:] and seen[seen.index("BEGIN")] == "BEGIN"


def test_written_heads_match_the_migration_graph():
    # the start-up fast path trusts db.migrate.HEADS; a new migration must be added there
    assert migrate.head_revisions() == migrate.HEADS


def test_a_database_behind_the_heads_is_not_current(empty_engine):
    assert not migrate.is_current(empty_engine)  # no alembic_version table yet
    migrate.upgrade(empty_engine, "0002")
    assert not migrate.is_current(empty_engine)
    migrate.upgrade(empty_engine)
    assert migrate.is_current(empty_engine)
