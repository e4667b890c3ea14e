"""The database engine at office scale (issue #17): round trips per number on PostgreSQL, a small pool per
process, recovery from a dead connection, and SQLite statistics that never depend on a benchmark."""

from __future__ import annotations

import sqlite3
import time

import pytest
from sqlalchemy import text

from db import numbering
from db.engine import OPTIMIZE_EVERY_S, Database, PgRoundTrips, make_engine
from tests.conftest import BACKEND, requires_pg
from workstation.errors import ConfigError, DatabaseUnavailable

requires_sqlite = pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite statistics")
PG_SAMPLE_URL = "postgresql+psycopg://ws@db.kantor.local/workstation"  # never connected to


# -- the pool ------------------------------------------------------------------------------------------------

def test_postgresql_pool_is_small_by_default_and_configurable():
    engine = make_engine(PG_SAMPLE_URL)  # creating an engine does not connect
    assert (engine.pool.size(), engine.pool._max_overflow) == (2, 3)
    assert engine.pool._pre_ping is False  # no round trip on each checkout
    assert engine.pool._recycle > 0
    db = Database(PG_SAMPLE_URL, pool_size=1, max_overflow=0)
    assert (db.engine.pool.size(), db.engine.pool._max_overflow) == (1, 0)


def test_the_database_takes_its_pool_from_the_settings(tmp_path):
    from workstation.config import load_settings

    cfg = tmp_path / "c.toml"
    cfg.write_text(f'database_url = "{PG_SAMPLE_URL}"\ndatabase_pool_size = 1\ndatabase_max_overflow = 2\n')
    db = Database.from_settings(load_settings(cfg, data_dir=tmp_path))
    assert (db.url, db.engine.pool.size(), db.engine.pool._max_overflow) == (PG_SAMPLE_URL, 1, 2)


def test_pool_settings_are_validated(tmp_path):
    from workstation.config import load_settings

    defaults = load_settings(None, data_dir=tmp_path)
    assert (defaults.database_pool_size, defaults.database_max_overflow) == (2, 3)
    cfg = tmp_path / "c.toml"
    cfg.write_text("database_pool_size = 1\ndatabase_max_overflow = 0\n")
    s = load_settings(cfg, data_dir=tmp_path)
    assert (s.database_pool_size, s.database_max_overflow) == (1, 0)
    cfg.write_text("database_pool_size = 0\n")
    with pytest.raises(ConfigError) as e:
        load_settings(cfg)
    assert e.value.field == "database_pool_size"


# -- PostgreSQL: round trips and disconnects ---------------------------------------------------------------------

def _single_connection(url: str) -> tuple[Database, object]:
    """A Database whose pool holds exactly one connection, and that connection's psycopg object."""
    db = Database(url, pool_size=1, max_overflow=0)
    fairy = db.engine.raw_connection()
    dbapi = fairy.driver_connection
    fairy.close()
    return db, dbapi


@requires_pg
def test_a_number_costs_two_round_trips_on_postgresql(settings, services):
    """Issue #17 asks for three or fewer: BEGIN, the lock and the counter's UPDATE … RETURNING travel in one
    query, COMMIT in the second; no pre-ping."""
    db, dbapi = _single_connection(settings.effective_database_url)
    key = numbering.CounterKey("040300", "", "RT", 2026)
    try:
        with db.write() as s:  # the year's first number (inserts the row)
            assert numbering.next_seq(s, key) == 1
        for expected in (2, 3):
            with PgRoundTrips(dbapi) as trips, db.write() as s:
                assert numbering.next_seq(s, key) == expected
            assert trips.count <= 2, trips.queries
            first = trips.queries[0]
            assert first.index("BEGIN") < first.index("pg_advisory_xact_lock") < first.index("UPDATE"), first
            assert trips.queries[-1] == '"COMMIT"'
            assert '";"' not in trips.queries  # SQLAlchemy's pre-ping on psycopg is an empty statement
    finally:
        db.dispose()


@requires_pg
def test_the_lock_precedes_a_first_statement_with_parameters(settings, services):
    """A statement with parameters cannot share the simple query: the lock goes just before it."""
    db, dbapi = _single_connection(settings.effective_database_url)
    try:
        with PgRoundTrips(dbapi) as trips, db.write() as s:
            assert s.scalar(text("SELECT :x + 1"), {"x": 1}) == 2
            # the advisory lock is held by this very transaction now
            assert s.scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                 "AND pid = pg_backend_pid()")) == 1
        assert "pg_advisory_xact_lock" in trips.queries[0] and "SELECT" in trips.queries[1]
        with PgRoundTrips(dbapi) as trips, db.write():  # nothing executed: no transaction, no round trip
            pass
        assert trips.count == 0
    finally:
        db.dispose()


@requires_pg
def test_reads_after_a_write_are_in_a_transaction_again(settings, services):
    """The write path runs the driver in autocommit mode; the pooled connection must come back without it."""
    db, _ = _single_connection(settings.effective_database_url)
    try:
        with db.write() as s:
            s.execute(text("SELECT 1"))
        with db.read() as s:
            first = s.scalar(text("SELECT clock_timestamp()"))
            time.sleep(0.01)
            s.scalar(text("SELECT 1"))
            # now() is the start of the transaction: the same for both statements only inside one
            assert s.scalar(text("SELECT now()")) <= first
    finally:
        db.dispose()


@requires_pg
def test_a_failed_commit_raises_sqlalchemys_error_and_keeps_no_number(settings, services):
    """When COMMIT fails (here a deferred foreign key), the caller gets SQLAlchemy's IntegrityError, nothing
    is committed and the number is handed out again."""
    from sqlalchemy.exc import IntegrityError

    db, _ = _single_connection(settings.effective_database_url)
    key = numbering.CounterKey("040300", "", "CF", 2026)
    try:
        with db.write() as s:
            assert numbering.next_seq(s, key) == 1
        with pytest.raises(IntegrityError), db.write() as s:
            assert numbering.next_seq(s, key) == 2
            s.execute(text("CREATE TEMP TABLE t_deferred (id int PRIMARY KEY, ref int REFERENCES t_deferred (id) "
                           "DEFERRABLE INITIALLY DEFERRED) ON COMMIT DROP"))
            s.execute(text("INSERT INTO t_deferred VALUES (1, 99)"))  # refused only at COMMIT
        with db.write() as s:
            assert numbering.next_seq(s, key) == 2
    finally:
        db.dispose()


def _terminate(pid: int) -> None:
    from tests.conftest import terminate_pg_backend

    terminate_pg_backend(pid)


@requires_pg
def test_an_idle_connection_closed_by_the_server_is_replaced_transparently(settings, services):
    """What a server restart does to the pooled connections: found at checkout (no round trip), replaced."""
    db, _ = _single_connection(settings.effective_database_url)
    try:
        with db.read() as s:
            pid = s.scalar(text("SELECT pg_backend_pid()"))
        _terminate(pid)
        with db.write() as s:
            new_pid = s.scalar(text("SELECT pg_backend_pid()"))
            assert numbering.next_seq(s, numbering.CounterKey("040300", "", "DC", 2026)) == 1
        assert new_pid != pid
        _terminate(new_pid)
        with db.read() as s:
            assert s.scalar(text("SELECT pg_backend_pid()")) not in (pid, new_pid)
    finally:
        db.dispose()


@requires_pg
def test_a_connection_lost_in_use_gives_one_clear_error_then_recovers(settings, services):
    db, _ = _single_connection(settings.effective_database_url)
    key = numbering.CounterKey("040300", "", "DL", 2026)
    try:
        with pytest.raises(DatabaseUnavailable, match="lost the connection") as e, db.read() as s:
            _terminate(s.scalar(text("SELECT pg_backend_pid()")))
            s.execute(text("SELECT 1"))
        assert e.value.field == "database_url"
        with pytest.raises(DatabaseUnavailable, match="lost the connection"), db.write() as s:
            assert numbering.next_seq(s, key) == 1
            _terminate(s.scalar(text("SELECT pg_backend_pid()")))
            s.execute(text("SELECT 1"))
        with db.write() as s:  # the lost transaction took its number with it
            assert numbering.next_seq(s, key) == 1
    finally:
        db.dispose()


# -- SQLite statistics ------------------------------------------------------------------------------------------

def _populated_store(path) -> None:
    """A store as it was before the project ran ANALYZE: rows, an index, no sqlite_stat1."""
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, kind TEXT, n INTEGER)")
    con.execute("CREATE INDEX ix_items_kind ON items (kind)")
    con.executemany("INSERT INTO items (kind, n) VALUES (?, ?)", [(f"k{i % 20}", i) for i in range(2000)])
    con.commit()
    con.close()


def _stat_rows(path) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        if not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
            return []
        return con.execute("SELECT tbl, idx FROM sqlite_stat1").fetchall()
    finally:
        con.close()


@requires_sqlite
def test_a_store_never_analysed_gets_statistics_when_first_opened(tmp_path):
    path = tmp_path / "old.sqlite"
    _populated_store(path)
    assert _stat_rows(path) == []
    db = Database(f"sqlite:///{path}")
    with db.read() as s:
        assert s.scalar(text("SELECT count(*) FROM items WHERE kind = 'k3'")) == 100
    db.dispose()
    assert ("items", "ix_items_kind") in _stat_rows(path)


@requires_sqlite
def test_statistics_of_a_store_that_grew_are_taken_at_close(tmp_path):
    """A new store is analysed while empty; the tables it queried are analysed when its connections close."""
    path = tmp_path / "new.sqlite"
    db = Database(f"sqlite:///{path}")
    with db.write() as s:
        s.execute(text("CREATE TABLE items (id INTEGER PRIMARY KEY, kind TEXT, n INTEGER)"))
        s.execute(text("CREATE INDEX ix_items_kind ON items (kind)"))
        s.execute(text("INSERT INTO items (kind, n) VALUES (:k, :n)"),
                  [{"k": f"k{i % 20}", "n": i} for i in range(2000)])
    with db.read() as s:
        s.execute(text("SELECT n FROM items WHERE kind = 'k3'")).all()
    assert _stat_rows(path) == []  # opened empty: no rows to describe yet
    db.dispose()
    assert ("items", "ix_items_kind") in _stat_rows(path)


@requires_sqlite
def test_a_long_running_process_optimizes_once_a_day(tmp_path):
    path = tmp_path / "daily.sqlite"
    db = Database(f"sqlite:///{path}")
    try:
        with db.write() as s:
            s.execute(text("CREATE TABLE items (id INTEGER PRIMARY KEY, kind TEXT, n INTEGER)"))
            s.execute(text("CREATE INDEX ix_items_kind ON items (kind)"))
            s.execute(text("INSERT INTO items (kind, n) VALUES (:k, :n)"),
                      [{"k": f"k{i % 20}", "n": i} for i in range(2000)])
        with db.read() as s:
            s.execute(text("SELECT n FROM items WHERE kind = 'k3'")).all()
        with db.write() as s:  # less than a day since the database was opened: nothing
            s.execute(text("UPDATE items SET n = n WHERE id = 1"))
        assert _stat_rows(path) == []
        db._optimized_at = time.monotonic() - OPTIMIZE_EVERY_S - 1  # a day later
        with db.write() as s:
            s.execute(text("UPDATE items SET n = n WHERE id = 1"))
        assert ("items", "ix_items_kind") in _stat_rows(path)
        assert time.monotonic() - db._optimized_at < 60
    finally:
        db.dispose()
