"""Gapless official numbers.

A number is reserved by reading the counter inside the write transaction (writers are serialised by
Database.write()), and the counter row is advanced by a hook that runs as the LAST statement before COMMIT.
A transaction that rolls back therefore never advances the counter: no gap. The UPDATE is guarded by the
value read, so a lost serialisation (which should not happen) fails loudly instead of duplicating."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.engine import before_commit
from db.models import Counter

_PENDING = "ws_counters_pending"


class CounterConflict(RuntimeError):
    pass


@dataclass(frozen=True)
class CounterKey:
    office_code: str
    unit_code: str  # "" for the office itself
    doc_type: str
    year: int


def _ensure_row(session: Session, key: CounterKey) -> None:
    values = dict(office_code=key.office_code, unit_code=key.unit_code, doc_type=key.doc_type, year=key.year,
                  last_value=0)
    ins = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(ins(Counter).values(**values).on_conflict_do_nothing())


_KEY_WHERE = (
    Counter.office_code == bindparam("o"),
    Counter.unit_code == bindparam("u"),
    Counter.doc_type == bindparam("d"),
    Counter.year == bindparam("y"),
)
# Built once, executed with parameters (construction would otherwise dominate the cost).
_READ = select(Counter.last_value).where(*_KEY_WHERE)
_ADVANCE = (
    update(Counter).where(*_KEY_WHERE, Counter.last_value == bindparam("start")).values(last_value=bindparam("last"))
)


def _params(key: CounterKey) -> dict:
    return {"o": key.office_code, "u": key.unit_code, "d": key.doc_type, "y": key.year}


def _flush_counters(session: Session) -> None:
    pending: dict[CounterKey, tuple[int, int]] = session.info.pop(_PENDING, {})
    for key, (start, last) in pending.items():
        result = session.connection().execute(_ADVANCE, {**_params(key), "start": start, "last": last})
        if result.rowcount != 1:
            raise CounterConflict(f"counter {key} moved under us; transaction rolled back")


def next_seq(session: Session, key: CounterKey) -> int:
    """Reserve the next number for `key` in this transaction."""
    pending: dict[CounterKey, tuple[int, int]] = session.info.setdefault(_PENDING, {})
    if key in pending:
        start, last = pending[key]
        pending[key] = (start, last + 1)
        return last + 1
    if not pending:
        before_commit(session, _flush_counters)
    start = session.connection().execute(_READ, _params(key)).scalar()
    if start is None:  # first number of this kind this year
        _ensure_row(session, key)
        start = 0
    pending[key] = (start, start + 1)
    return start + 1


def format_number(fmt: str, *, seq: int, doc_type: str, office: str, unit: str | None, year: int) -> str:
    return fmt.format(seq=seq, doc_type=doc_type, office=office, unit=unit or "", year=year)
