"""Gapless official numbers.

A number is reserved by advancing the counter row and reading the new value in ONE statement
(`UPDATE … SET last_value = last_value + 1 … RETURNING last_value`; the year's first number inserts the row,
`INSERT … ON CONFLICT DO UPDATE … RETURNING`), inside the caller's write transaction:
- gapless: the advance is part of the transaction; a transaction that rolls back, or whose process is killed
  before COMMIT, undoes it, so the number is handed out again;
- unique: writers are serialised by Database.write() (BEGIN IMMEDIATE / the advisory lock), and the UPDATE
  would in any case wait for the row lock and read the last committed value (PostgreSQL re-checks the row
  after the wait), never a stale one;
- two round trips per number on PostgreSQL when the number is the transaction's first statement: the counter
  statement travels with BEGIN and the lock (db/engine.py), then COMMIT. For that it is sent as text with its
  values inlined (quoted by psycopg): the simple query protocol that carries several statements takes no
  parameters. When the number is all a transaction writes, it is the last statement before COMMIT.

The row stays locked until COMMIT (PostgreSQL); writers are serialised anyway, so that costs no concurrency."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.engine import driver_first_row
from db.models import Counter


class CounterConflict(RuntimeError):
    """The counter could not be advanced (kept for callers that catch it; not raised since issue #17)."""


@dataclass(frozen=True)
class CounterKey:
    office_code: str
    unit_code: str  # "" for the office itself
    doc_type: str
    year: int


def _first(dialect: str):
    """The year's first number: insert the row at 1, or advance it if it appeared meanwhile."""
    ins = (pg_insert if dialect == "postgresql" else sqlite_insert)(Counter).values(
        office_code=bindparam("o"), unit_code=bindparam("u"), doc_type=bindparam("d"), year=bindparam("y"),
        last_value=1)
    return ins.on_conflict_do_update(
        index_elements=[Counter.office_code, Counter.unit_code, Counter.doc_type, Counter.year],
        set_={"last_value": Counter.last_value + 1},
    ).returning(Counter.last_value)


_FIRST = {name: _first(name) for name in ("postgresql", "sqlite")}


def _params(key: CounterKey) -> dict:
    return {"o": key.office_code, "u": key.unit_code, "d": key.doc_type, "y": key.year}


# The counter statement, run on the driver (db.engine.driver_first_row). SQLite: with parameters.
_SQLITE_ADVANCE = (f"UPDATE {Counter.__tablename__} SET last_value = last_value + 1 WHERE office_code = ? "
                   "AND unit_code = ? AND doc_type = ? AND year = ? RETURNING last_value")


@lru_cache(maxsize=1024)
def _pg_advance_sql(key: CounterKey) -> str:
    """The counter statement for PostgreSQL with the key's values inlined, quoted by psycopg (E'' when
    needed): it may share a simple query with BEGIN and the lock, which takes no parameters."""
    from psycopg import sql

    stmt = sql.SQL("UPDATE {t} SET last_value = last_value + 1 WHERE office_code = {o} AND unit_code = {u} "
                   "AND doc_type = {d} AND year = {y} RETURNING last_value").format(
        t=sql.Identifier(Counter.__tablename__), o=sql.Literal(key.office_code), u=sql.Literal(key.unit_code),
        d=sql.Literal(key.doc_type), y=sql.Literal(int(key.year)))
    return stmt.as_string(None)


def next_seq(session: Session, key: CounterKey) -> int:
    """Reserve the next number (1, 2, …) for `key` in this write transaction; it is only taken if the
    transaction commits. Call it inside Database.write(). Errors: SQLAlchemy's DBAPIError subclasses.

    The counter statement runs on the driver's cursor (db.engine.driver_first_row): every writer runs it
    inside the write lock, where SQLAlchemy's own execution path would cost more than the statement."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        row = driver_first_row(session, _pg_advance_sql(key))
    else:
        row = driver_first_row(session, _SQLITE_ADVANCE, (key.office_code, key.unit_code, key.doc_type, key.year))
    if row is None:  # first number of this kind this year
        return int(session.connection().execute(_FIRST[dialect], _params(key)).scalar_one())
    return int(row[0])


def format_number(fmt: str, *, seq: int, doc_type: str, office: str, unit: str | None, year: int) -> str:
    return fmt.format(seq=seq, doc_type=doc_type, office=office, unit=unit or "", year=year)
