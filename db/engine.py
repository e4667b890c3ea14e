"""Engine set-up for both back ends and the two kinds of transaction every service uses.

`Database.read()`  — a session in a plain (deferred) transaction; never writes.
`Database.write()` — the one write path: SQLite `BEGIN IMMEDIATE`, PostgreSQL a transaction-scoped advisory
lock. Either way writers are serialised, which the audit hash chain and gapless numbering need, and the
lock is held only for the length of one service call. Commits once at the end, rolls back on any error.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from workstation.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

# One key for the whole database: every audited change takes it (hash chain order = commit order).
WRITE_LOCK_KEY = 0x57534B31  # "WSK1"
SQLITE_BUSY_TIMEOUT_MS = 30_000
BEFORE_COMMIT = "ws_before_commit"


def before_commit(session: Session, hook) -> None:
    """Run `hook(session)` as the last step of the current write transaction."""
    session.info.setdefault(BEFORE_COMMIT, []).append(hook)


class DatabaseBusy(DatabaseUnavailable):
    exit_code = 1


def _sqlite_connect(dbapi_connection, _record) -> None:
    # Take BEGIN out of pysqlite's hands so we can choose DEFERRED or IMMEDIATE ourselves.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.close()


def _sqlite_begin(conn) -> None:
    if conn.get_execution_options().get("ws_write"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def make_engine(url: str, *, echo: bool = False, pool_size: int = 5) -> Engine:
    u = make_url(url)
    backend = u.get_backend_name()
    if backend == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(u, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    elif backend == "postgresql":
        # Keep options given in the URL (e.g. a search_path) and add ours.
        options = " ".join(filter(None, [u.query.get("options", ""), "-c synchronous_commit=on -c timezone=UTC"]))
        engine = create_engine(
            u.difference_update_query(["options"]),
            echo=echo,
            pool_pre_ping=True,
            pool_size=pool_size,
            connect_args={"connect_timeout": 5, "options": options},
        )
    else:
        raise DatabaseUnavailable(f"unsupported database back end {backend!r}", field="database_url")
    return engine


class Database:
    """Owns the engine and hands out sessions. One per process; no module-level state."""

    def __init__(self, url: str, *, echo: bool = False, engine: Engine | None = None):
        self.url = url
        self.engine = engine or make_engine(url, echo=echo)
        self.backend = self.engine.dialect.name  # "sqlite" | "postgresql"
        self._read = sessionmaker(bind=self.engine, expire_on_commit=False, autoflush=True)
        self._write = sessionmaker(
            bind=self.engine.execution_options(ws_write=True), expire_on_commit=False, autoflush=True
        )

    @property
    def display_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    def check(self) -> None:
        """Fail early with one clear line when the database cannot be reached."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise DatabaseUnavailable(f"cannot reach {self.display_url}: {reason}", field="database_url") from None

    @contextmanager
    def read(self) -> Iterator[Session]:
        session = self._read()
        try:
            yield session
        finally:
            session.close()  # ends the transaction; loaded objects stay readable (detached, not expired)

    @contextmanager
    def write(self) -> Iterator[Session]:
        session = self._write()
        try:
            session.begin()
            if self.backend == "postgresql":
                # keyed by schema as well: two installations (or parallel test runs) in one database do not
                # serialise each other
                session.execute(text("SELECT pg_advisory_xact_lock(:k, hashtext(current_schema()))"),
                                {"k": WRITE_LOCK_KEY})
            yield session
            # Statements that must be the very last before COMMIT (gapless counters) register here.
            for hook in session.info.pop(BEFORE_COMMIT, []):
                hook(session)
            session.commit()
        except OperationalError as exc:
            session.rollback()
            if "locked" in str(exc.orig).lower():
                raise DatabaseBusy("the database is busy; try again", field="database") from None
            raise
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()

