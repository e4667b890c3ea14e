"""Engine set-up for both back ends and the two kinds of transaction every service uses.

`Database.read()`  — a session in a plain (deferred) transaction; never writes.
`Database.write()` — the one write path: SQLite `BEGIN IMMEDIATE`, PostgreSQL a transaction-scoped advisory
lock. Either way writers are serialised, which the audit hash chain and gapless numbering need, and the
lock is held only for the length of one service call. Commits once at the end, rolls back on any error.

Round trips on PostgreSQL (issue #17): an official number costs two — `BEGIN; SELECT pg_advisory_xact_lock(…);
UPDATE counters … RETURNING` sent as one simple query, then `COMMIT`. The lock is taken lazily, by the
transaction's first statement: sent in the same query when that statement has no parameters (the simple query
protocol takes several statements but no parameters; db.numbering renders its counter statement so), in a
round trip of its own just before it otherwise. Nothing runs before the lock, so serialisation is unchanged.
The counter statement itself runs on the driver's cursor (`driver_first_row`): every writer runs it inside the
lock, so what the client does between its result and COMMIT bounds how many numbers per second the whole office
gets, and SQLAlchemy's execution and result layers took 150–200 µs there against the driver's 10 µs.
There is no pre-ping: a pooled connection is checked at checkout by looking whether its socket is readable (an
idle connection has nothing to say; a server that restarted has sent "terminating connection" and closed it),
which costs a system call, not a round trip, and replaces it transparently. A connection that dies while in use
raises DatabaseUnavailable with one clear line (SQLAlchemy has then invalidated it and every older pooled
connection: the "optimistic" handling its "Dealing with Disconnects" documents), and `pool_recycle` retires
connections before firewalls or PgBouncer drop them silently.

SQLite statistics: `PRAGMA optimize` when a connection is opened (mask 0x10002, SQLite's advice for long-lived
connections), when it is closed (`Database.dispose()` closes them all), and after the first write once a day;
a database with no statistics at all is analysed once when first opened. Query plans therefore never depend on
a benchmark having run `ANALYZE`.
"""

from __future__ import annotations

import logging
import select
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from workstation.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

# One key for the whole database: every audited change takes it (hash chain order = commit order).
WRITE_LOCK_KEY = 0x57534B31  # "WSK1"
SQLITE_BUSY_TIMEOUT_MS = 30_000
BEFORE_COMMIT = "ws_before_commit"
# session.info of a write session: (its Database, its Connection), for driver_first_row.
_WRITE_STATE = "ws_write_state"

# A small pool per interactive process (issue #17): one connection for the screen, one for a worker, a few
# more in a burst, closed again when returned. Settings: database_pool_size / database_max_overflow.
DEFAULT_POOL_SIZE = 2
DEFAULT_MAX_OVERFLOW = 3
# Retire a PostgreSQL connection after 30 minutes: firewalls and PgBouncer's server_idle_timeout drop idle
# connections silently, and a retired connection costs one reconnect instead of one failed statement.
POOL_RECYCLE_S = 1800
# SQLite: re-run PRAGMA optimize after a write once this long has passed since the last run (seconds).
OPTIMIZE_EVERY_S = 24 * 3600
# SQLite: rows ANALYZE samples per index; keeps the first analysis of a large store to milliseconds.
SQLITE_ANALYSIS_LIMIT = 1000
# SQLite: the page cache (KiB) of a connection that writes rows in bulk (a unit's pull). SQLite's default of
# 2 MiB no longer holds the index pages of a growing store: 100,000 pulled rows took 1.5x as long with it.
# Memory is taken only as pages are read; the interactive default stays as it is (issue #15: per-session RSS).
SQLITE_BULK_CACHE_KIB = 65536

# The start of the transaction and the lock, sent ahead of the transaction's first statement. Literals only:
# the simple query protocol takes no parameters. Keyed by schema as well, so two installations (or parallel test
# runs) in one database do not serialise each other.
_PG_BEGIN_LOCKED = f"BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY}, hashtext(current_schema()))"


def bulk_page_cache(session: Session) -> None:
    """SQLite: let the connection of this transaction keep up to SQLITE_BULK_CACHE_KIB of pages (for the rest of
    its life in the pool: the next bulk transaction finds them cached). Nothing on PostgreSQL."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_BULK_CACHE_KIB}")


def before_commit(session: Session, hook) -> None:
    """Run `hook(session)` as the last step of the current write transaction."""
    session.info.setdefault(BEFORE_COMMIT, []).append(hook)


def driver_first_row(session: Session, statement: str,
                     parameters: tuple[Any, ...] | None = None) -> tuple[Any, ...] | None:
    """The first row of `statement` (a query, or DML with RETURNING: it must return rows) run in the session's
    transaction on the driver's own cursor, past SQLAlchemy's execution and result layers; None when it
    returns no row. For the one statement every writer runs inside the write lock (db.numbering's counter):
    there those layers cost several times the driver's work and delay everyone queued on the lock (issue #17).

    `statement` is driver SQL: on PostgreSQL text with its values inlined and no parameters (so that, as the
    first statement of a Database.write() transaction, BEGIN and the lock travel in the same simple query, as
    they do for any first statement); on SQLite `?` placeholders and `parameters`. A session not made by
    Database.write() runs it on its connection as it is.
    Errors are SQLAlchemy's, as from Session.execute (DBAPIError subclasses; a lost connection is invalidated
    and flagged `connection_invalidated`, so write() reports DatabaseUnavailable). SQLAlchemy's cursor events
    and echo do not see the statement."""
    db, conn = session.info.get(_WRITE_STATE) or (None, session.connection())
    dbapi_connection: Any = conn.connection.driver_connection
    cursor = dbapi_connection.cursor()
    try:
        if db is not None and conn in db._lock_pending:
            db._lock_pending.discard(conn)
            cursor.execute(f"{_PG_BEGIN_LOCKED}; {statement}")  # one simple query, one round trip
            cursor.nextset()  # past BEGIN
            cursor.nextset()  # past the lock
        elif parameters is None:
            cursor.execute(statement)
        else:
            cursor.execute(statement, parameters)
        row: tuple[Any, ...] | None = cursor.fetchone()
        return row
    except conn.dialect.loaded_dbapi.Error as exc:
        # What SQLAlchemy does for its own statements: a lost connection is not returned to the pool.
        lost = conn.dialect.is_disconnect(exc, dbapi_connection, cursor)
        if lost:
            conn.invalidate(exc)
        raise DBAPIError.instance(statement, parameters, exc, conn.dialect.loaded_dbapi.Error, hide_parameters=True,
                                  connection_invalidated=lost, dialect=conn.dialect) from exc
    finally:
        cursor.close()


class DatabaseBusy(DatabaseUnavailable):
    exit_code = 1


def _sqlite_optimize(dbapi_connection, pragma: str = "PRAGMA optimize") -> None:
    """Best effort: statistics are an optimisation, never a reason to fail (busy, read-only file)."""
    try:
        dbapi_connection.execute(pragma)
    except Exception as exc:
        log.info("SQLite %s skipped: %s", pragma, exc)


def _sqlite_never_analysed(dbapi_connection) -> bool:
    """True when ANALYZE has never run on this file (no sqlite_stat1 table: a new store, or one from before
    the project ran it). An empty table once analysed stays analysed: PRAGMA optimize takes over from there."""
    row = dbapi_connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone()
    return row is None


def _sqlite_listeners(engine: Engine) -> None:
    first = {"done": False}

    def connect(dbapi_connection, _record) -> None:
        # Take BEGIN out of pysqlite's hands so we can choose DEFERRED or IMMEDIATE ourselves.
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
        cur.close()
        if not first["done"]:
            first["done"] = True
            # A store that has never been analysed (new, or from before this code) gets its statistics now,
            # once; from then on PRAGMA optimize keeps them current.
            if _sqlite_never_analysed(dbapi_connection):
                _sqlite_optimize(dbapi_connection, "ANALYZE")
        _sqlite_optimize(dbapi_connection, "PRAGMA optimize=0x10002")

    def close(dbapi_connection, _record) -> None:
        # SQLite's advice: PRAGMA optimize just before closing a connection (it knows which tables this
        # connection's queries used, and analyses those whose statistics are missing or stale).
        _sqlite_optimize(dbapi_connection)

    event.listen(engine, "connect", connect)
    event.listen(engine, "close", close)  # a pool event; follows dispose()'s new pool
    event.listen(engine, "begin", _sqlite_begin)


def _sqlite_begin(conn) -> None:
    if conn.get_execution_options().get("ws_write"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def _pg_alive(dbapi_connection, _record, _proxy) -> None:
    """Checkout: an idle connection's socket has nothing to read unless the server closed it (a restart sends
    FATAL "terminating connection" and hangs up). Replace such a connection now — a select(), no round trip;
    the pool retries with a new one (SQLAlchemy's DisconnectionError protocol)."""
    try:
        readable = bool(select.select([dbapi_connection.fileno()], [], [], 0)[0])
    except Exception:
        readable = True
    if readable:
        log.info("pooled database connection closed by the server; reconnecting")
        raise DisconnectionError("the server closed this idle connection")


def _create_private(path: Path) -> None:
    """Create a missing SQLite file readable by its owner only (0600; its directory 0700 when new), before
    SQLite opens it: the -wal and -shm files SQLite adds take the main file's permissions. An existing file is
    left as its owner set it."""
    import os

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError:
        return  # a read-only directory and the like: SQLite's own open reports it in one line
    os.close(fd)
    os.chmod(path, 0o600)  # whatever the umask left


def make_engine(url: str, *, echo: bool = False, pool_size: int = DEFAULT_POOL_SIZE,
                max_overflow: int = DEFAULT_MAX_OVERFLOW) -> Engine:
    """An engine for `url` (sqlite:///PATH or postgresql+psycopg://…).

    PostgreSQL: at most `pool_size` idle connections kept and `pool_size + max_overflow` open at once per
    process; no pre-ping (a dead idle connection is found at checkout without a round trip). SQLite keeps
    SQLAlchemy's own pooling (a file has no connection limit to respect). Raises DatabaseUnavailable for any
    other back end."""
    u = make_url(url)
    backend = u.get_backend_name()
    if backend == "sqlite":
        if u.database and u.database != ":memory:" and not u.database.startswith("file:"):
            _create_private(Path(u.database).expanduser())
        engine = create_engine(u, echo=echo, hide_parameters=True,  # never a name or passport in a log line
                               connect_args={"check_same_thread": False, "timeout": 30})
        _sqlite_listeners(engine)
    elif backend == "postgresql":
        # Keep options given in the URL (e.g. a search_path) and add ours.
        options = " ".join(filter(None, [u.query.get("options", ""), "-c synchronous_commit=on -c timezone=UTC"]))
        engine = create_engine(
            u.difference_update_query(["options"]),
            echo=echo,
            hide_parameters=True,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_recycle=POOL_RECYCLE_S,
            connect_args={"connect_timeout": 5, "options": options},
        )
        event.listen(engine, "checkout", _pg_alive)
    else:
        raise DatabaseUnavailable(f"unsupported database back end {backend!r}", field="database_url")
    return engine


def _reason(exc: DBAPIError) -> str:
    return (str(exc.orig).strip().splitlines() or [""])[0] if exc.orig else str(exc)


class Database:
    """Owns the engine and hands out sessions. One per process; no module-level state."""

    def __init__(self, url: str, *, echo: bool = False, engine: Engine | None = None,
                 pool_size: int = DEFAULT_POOL_SIZE, max_overflow: int = DEFAULT_MAX_OVERFLOW):
        self.url = url
        self.engine = engine or make_engine(url, echo=echo, pool_size=pool_size, max_overflow=max_overflow)
        self.backend = self.engine.dialect.name  # "sqlite" | "postgresql"
        self._read = sessionmaker(bind=self.engine, expire_on_commit=False, autoflush=True)
        write_options: dict = {"ws_write": True}
        # PostgreSQL: write connections whose transaction has not started yet (no BEGIN, no lock sent). A plain
        # set: write() always removes its connection when it ends.
        self._lock_pending: set[Connection] = set()
        if self.backend == "postgresql":
            # psycopg would send its own BEGIN in a round trip of its own; in autocommit mode it sends none and
            # the first statement opens the transaction, together with the lock. commit()/rollback() still end
            # it (psycopg looks at the server's transaction status), and SQLAlchemy restores the default mode
            # when the connection goes back to the pool.
            write_options["isolation_level"] = "AUTOCOMMIT"
            event.listen(self.engine, "do_execute", self._pg_execute)
            event.listen(self.engine, "do_execute_no_params", self._pg_execute_no_params)
            event.listen(self.engine, "do_executemany", self._pg_execute)
        self._write = sessionmaker(bind=self.engine.execution_options(**write_options), expire_on_commit=False,
                                   autoflush=True)
        # Field-unit sync: every change of a synced table goes to the change log in the same transaction.
        from db import changes

        changes.install(self._write)
        self._optimized_at = time.monotonic()  # SQLite: the connect hook optimises each new connection

    @classmethod
    def from_settings(cls, settings) -> Database:
        """The process's database as configured: `effective_database_url`, and on PostgreSQL a pool of
        `database_pool_size` connections plus `database_max_overflow` in a burst (workstation.config)."""
        return cls(settings.effective_database_url, pool_size=settings.database_pool_size,
                   max_overflow=settings.database_max_overflow)

    # -- PostgreSQL: the lock goes out with the transaction's first statement ----------------------------------
    def _pg_execute(self, cursor, statement, parameters, context) -> bool | None:
        """do_execute / do_executemany: send BEGIN and the lock first if this write has not yet. A statement
        without parameters (and without a '%', which psycopg would read as a placeholder escape) shares their
        query; any other one follows in a round trip of its own."""
        if context.root_connection not in self._lock_pending:
            return None  # SQLAlchemy executes the statement itself
        self._lock_pending.discard(context.root_connection)
        if getattr(cursor, "name", None):  # a server-side cursor declares; the lock needs a plain one
            cursor.connection.execute(_PG_BEGIN_LOCKED)
            return None
        if parameters or context.executemany or "%" in statement:
            cursor.execute(_PG_BEGIN_LOCKED)
            return None
        return self._pg_execute_no_params(cursor, statement, context, pending=False)

    def _pg_execute_no_params(self, cursor, statement, context, *, pending: bool = True) -> bool | None:
        if pending:
            if context.root_connection not in self._lock_pending:
                return None
            self._lock_pending.discard(context.root_connection)
        if getattr(cursor, "name", None):
            cursor.connection.execute(_PG_BEGIN_LOCKED)
            return None
        cursor.execute(f"{_PG_BEGIN_LOCKED}; {statement}")  # one simple query, one round trip
        cursor.nextset()  # past BEGIN
        cursor.nextset()  # past the lock: the cursor now holds the statement's own result
        return True  # executed

    @property
    def display_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    def check(self) -> None:
        """Fail early with one clear line when the database cannot be reached."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except OperationalError as exc:
            raise DatabaseUnavailable(f"cannot reach {self.display_url}: {_reason(exc)}",
                                      field="database_url") from None

    def _lost(self, exc: DBAPIError) -> DatabaseUnavailable:
        return DatabaseUnavailable(f"lost the connection to {self.display_url} ({_reason(exc)}); try again",
                                   field="database_url")

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session. Raises DatabaseUnavailable when the connection turns out to be dead (the
        server restarted); the pool has then been renewed and the next call connects afresh."""
        session = self._read()
        try:
            yield session
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise self._lost(exc) from exc
            raise
        finally:
            session.close()  # ends the transaction; loaded objects stay readable (detached, not expired)

    def _begin_write(self) -> tuple[Session, Connection]:
        """A session in a write transaction: SQLite has taken BEGIN IMMEDIATE; PostgreSQL has checked out a
        connection and sends BEGIN and the lock with the first statement."""
        session = self._write()
        try:
            session.begin()
            conn = session.connection()  # SQLite: BEGIN IMMEDIATE (the "begin" listener)
            if self.backend == "postgresql":
                self._lock_pending.add(conn)
            session.info[_WRITE_STATE] = (self, conn)
            return session, conn
        except OperationalError as exc:
            session.close()
            if "locked" in str(exc.orig).lower():
                raise DatabaseBusy("the database is busy; try again", field="database") from None
            raise DatabaseUnavailable(f"cannot reach {self.display_url}: {_reason(exc)}",
                                      field="database_url") from None
        except BaseException:
            session.close()
            raise

    @contextmanager
    def write(self) -> Iterator[Session]:
        """The one write transaction: serialised with every other writer (see the module's docstring),
        committed once at the end, rolled back on any error. Never commit inside it. Raises DatabaseBusy
        (SQLite still locked after 30 s) and DatabaseUnavailable (server unreachable, or the connection lost
        while in use: nothing was committed)."""
        session, conn = self._begin_write()
        try:
            yield session
            # Statements that must be the very last before COMMIT register here; flushing first lets a flush
            # listener (the sync change log, db.changes) register for what it sees.
            session.flush()
            for hook in session.info.pop(BEFORE_COMMIT, []):
                hook(session)
            session.commit()
        except OperationalError as exc:
            session.rollback()
            if "locked" in str(exc.orig).lower():
                raise DatabaseBusy("the database is busy; try again", field="database") from None
            if exc.connection_invalidated:
                raise self._lost(exc) from exc
            raise
        except BaseException:
            session.rollback()
            raise
        finally:
            self._lock_pending.discard(conn)  # a transaction that executed nothing never sent BEGIN
            session.close()
        if self.backend == "sqlite" and time.monotonic() - self._optimized_at > OPTIMIZE_EVERY_S:
            self.optimize()

    def optimize(self) -> None:
        """SQLite: `PRAGMA optimize` now (re-analyses what the planner used and has gone stale); no-op on
        PostgreSQL, whose autovacuum keeps statistics. Never raises for a busy or read-only store."""
        self._optimized_at = time.monotonic()
        if self.backend != "sqlite":
            return
        try:
            with self.engine.connect() as conn:
                _sqlite_optimize(conn.connection.dbapi_connection)
        except DBAPIError as exc:
            log.info("SQLite PRAGMA optimize skipped: %s", _reason(exc))

    def dispose(self) -> None:
        """Close every pooled connection (SQLite: each runs PRAGMA optimize as it closes)."""
        self.engine.dispose()


class PgRoundTrips:
    """Diagnostics (tests, bench): counts the round trips one psycopg connection makes, from libpq's own
    protocol trace — one per ReadyForQuery the server sends, so BEGINs the driver adds are counted too.

        with PgRoundTrips(dbapi_connection) as trips: ...
        trips.count, trips.queries  # after the block
    """

    def __init__(self, dbapi_connection):
        self._pgconn = dbapi_connection.pgconn
        self.count = 0
        self.queries: list[str] = []

    def __enter__(self) -> PgRoundTrips:
        import tempfile

        from psycopg import pq

        self._file = tempfile.TemporaryFile()
        self._pgconn.trace(self._file.fileno())
        self._pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        return self

    def __exit__(self, *exc) -> None:
        self._pgconn.untrace()
        self._file.seek(0)
        for raw in self._file.read().decode(errors="replace").splitlines():
            direction, _, kind, *rest = [*raw.split("\t"), "", "", ""]  # a long query may wrap lines
            if direction == "B" and kind == "ReadyForQuery":
                self.count += 1
            elif direction == "F" and kind in ("Query", "Parse"):
                self.queries.append(rest[0].strip())
        self._file.close()
