from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import select, text

from db.models import Counter, Document
from printing.content import DocumentContent, Paragraph
from tests.conftest import BACKEND, requires_pg, terminate_pg_backend
from tests.db.numbering_worker import issue_many
from workstation.config import load_settings
from workstation.domain.codes import Role
from workstation.errors import PermissionDenied


def simple_content(services):
    office = services.issuance.office_info()

    def build(number, issue_date):
        return DocumentContent(doc_type="BA", number=number, issue_date=issue_date, issue_place="Jakarta",
                               title="Berita Acara", office=office, blocks=[Paragraph(text="Isi.")])

    return build


def _seqs(services) -> list[int]:
    with services.ctx.db.read() as s:
        return list(s.scalars(select(Document.seq).where(Document.doc_type == "BA").order_by(Document.seq)))


@pytest.fixture
def admin(services, users):
    services.issuance.ensure_office_key()
    return users[Role.ADMIN]


def test_numbers_follow_the_configured_format(services, admin):
    d1 = services.issuance.issue(admin, "BA", simple_content(services))
    d2 = services.issuance.issue(admin, "BA", simple_content(services))
    assert d1.number == "000001/BA/040300/2026"
    assert d2.number == "000002/BA/040300/2026"


def test_field_unit_numbers_carry_the_unit_code(services, admin, tmp_path):
    from workstation.config import with_overrides

    services.ctx.settings = with_overrides(services.ctx.settings, unit_code="PLB01")
    doc = services.issuance.issue(admin, "BA", simple_content(services))
    assert doc.number == "000001/BA/040300-PLB01/2026"
    # the unit's counter is its own: the office's next number is still 1
    services.ctx.settings = with_overrides(services.ctx.settings, unit_code=None)
    assert services.issuance.issue(admin, "BA", simple_content(services)).number == "000001/BA/040300/2026"


def test_rolled_back_issuance_leaves_no_gap(services, admin):
    services.issuance.issue(admin, "BA", simple_content(services))
    with pytest.raises(RuntimeError), services.ctx.db.write() as s:
        services.issuance.issue_in(s, admin, "BA", simple_content(services))
        raise RuntimeError("printer caught fire")
    services.issuance.issue(admin, "BA", simple_content(services))
    assert _seqs(services) == [1, 2]


@contextmanager
def driver_statements(db) -> Iterator[list[str]]:
    """Every statement the driver itself sends while the block runs, in order, quotes dropped: SQLite's trace
    callback, PostgreSQL libpq's protocol trace (a simple query split at ';'). The counter statement runs on the
    driver's cursor, past SQLAlchemy's events, so they would not see it."""
    from sqlalchemy import event

    from db.engine import PgRoundTrips

    statements: list[str] = []
    traces: dict[int, PgRoundTrips] = {}

    def norm(sql: str) -> str:
        return " ".join(sql.replace('\\"', "").replace('"', "").split())

    def add(query: str) -> None:
        statements.extend(norm(part) for part in query.split(";") if part.strip())

    def add_sqlite(sql: str) -> None:
        # CPython reports a trigger's program (counters has one) as its statement once more
        if not statements or statements[-1] != norm(sql):
            statements.append(norm(sql))

    def checkout(dbapi_connection, _record, _proxy) -> None:
        if db.backend == "sqlite":
            dbapi_connection.set_trace_callback(add_sqlite)
        else:
            traces[id(dbapi_connection)] = PgRoundTrips(dbapi_connection).__enter__()

    def checkin(dbapi_connection, _record) -> None:
        if db.backend == "sqlite":
            dbapi_connection.set_trace_callback(None)
        elif (trace := traces.pop(id(dbapi_connection), None)) is not None:
            trace.__exit__(None, None, None)
            for query in trace.queries:
                add(query)

    event.listen(db.engine, "checkout", checkout)
    event.listen(db.engine, "checkin", checkin)
    try:
        yield statements
    finally:
        event.remove(db.engine, "checkout", checkout)
        event.remove(db.engine, "checkin", checkin)


def test_the_counter_is_read_and_advanced_by_one_statement(services, admin):
    """One counter statement per number, which both advances and reads it (no SELECT, no second UPDATE);
    in a transaction that only reserves a number it is the last statement before COMMIT."""
    from db import numbering

    db = services.ctx.db
    with driver_statements(db) as first:
        services.issuance.issue(admin, "BA", simple_content(services))  # the year's first: inserts the row
    with driver_statements(db) as doc:
        services.issuance.issue(admin, "BA", simple_content(services))
    with driver_statements(db) as alone, db.write() as s:
        assert numbering.next_seq(s, numbering.CounterKey("040300", "", "BA", 2026)) == 3
    counter = [s for s in doc if "counters" in s]
    assert len(counter) == 1 and counter[0].startswith("UPDATE counters") and "RETURNING" in counter[0], doc
    assert [s for s in first if "counters" in s][-1].startswith("INSERT INTO counters"), first
    assert any("INSERT INTO documents" in s for s in doc) and any("INSERT INTO audit_log" in s for s in doc), doc
    assert alone[-1] == "COMMIT" and alone[-2].startswith("UPDATE counters") and "RETURNING" in alone[-2], alone
    assert alone[0].startswith("BEGIN"), alone  # one transaction: the counter is all it holds
    with services.ctx.db.read() as s:
        assert s.scalar(select(Counter.last_value).where(Counter.doc_type == "BA")) == 3


def test_an_error_at_the_counter_statement_is_sqlalchemys_and_the_next_write_works(services):
    """The counter statement runs on the driver's cursor; its errors still reach callers as SQLAlchemy's
    (write() and the services catch those), the transaction is rolled back and the connection stays usable."""
    from sqlalchemy.exc import DBAPIError

    from db import numbering
    from db.engine import driver_first_row

    key = numbering.CounterKey("040300", "", "ERR", 2026)
    with services.ctx.db.write() as s:
        assert numbering.next_seq(s, key) == 1
    with pytest.raises(DBAPIError) as e, services.ctx.db.write() as s:
        assert numbering.next_seq(s, key) == 2
        driver_first_row(s, "SELECT last_value FROM no_such_table")
    assert not e.value.connection_invalidated and "no_such_table" in str(e.value.orig)
    with services.ctx.db.write() as s:  # the failed transaction took its number with it
        assert numbering.next_seq(s, key) == 2


@requires_pg
def test_a_connection_lost_at_the_counter_gives_one_clear_error_then_recovers(services):
    """The server goes away just before the counter statement (the transaction's first: BEGIN and the lock go
    with it): DatabaseUnavailable with one line, as for any other statement; the next write reconnects."""

    from db import numbering
    from workstation.errors import DatabaseUnavailable

    db = services.ctx.db
    key = numbering.CounterKey("040300", "", "LOST", 2026)
    with db.write() as s:
        assert numbering.next_seq(s, key) == 1
    with pytest.raises(DatabaseUnavailable, match="lost the connection") as e, db.write() as s:
        pid = s.connection().connection.driver_connection.info.backend_pid  # no round trip: nothing sent yet
        terminate_pg_backend(pid)
        numbering.next_seq(s, key)
    assert e.value.field == "database_url"
    with db.write() as s:
        assert numbering.next_seq(s, key) == 2
        assert s.connection().connection.driver_connection.info.backend_pid != pid


def test_numbers_reserved_in_one_transaction_follow_each_other(services, admin):
    from db import numbering

    key = numbering.CounterKey("040300", "", "ST", 2026)
    with services.ctx.db.write() as s:
        assert [numbering.next_seq(s, key) for _ in range(3)] == [1, 2, 3]
    with pytest.raises(KeyError), services.ctx.db.write() as s:
        assert numbering.next_seq(s, key) == 4
        raise KeyError("rolled back")
    with services.ctx.db.write() as s:
        assert numbering.next_seq(s, key) == 4  # the rolled-back 4 is handed out again: no gap


def test_voided_document_keeps_its_number_and_needs_a_supervisor(services, users, admin):
    doc = services.issuance.issue(admin, "BA", simple_content(services))
    with pytest.raises(PermissionDenied):
        services.issuance.void(users[Role.OFFICER], doc.number, "typo", users[Role.OFFICER])
    with pytest.raises(PermissionDenied):
        services.issuance.void(users[Role.SUPERVISOR], doc.number, "typo", users[Role.SUPERVISOR])
    voided = services.issuance.void(users[Role.OFFICER], doc.number, "typo", users[Role.SUPERVISOR])
    assert voided.status == "VOID" and voided.number == doc.number
    nxt = services.issuance.issue(admin, "BA", simple_content(services))
    assert nxt.seq == 2


def test_documents_cannot_be_edited_or_deleted_in_sql(services, admin):
    services.issuance.issue(admin, "BA", simple_content(services))
    for stmt in ("UPDATE documents SET content_json = '{}'", "DELETE FROM documents",
                 "UPDATE documents SET status = 'VOID', number = 'X'"):
        with pytest.raises(Exception, match=r"(?i)immutable|append-only|never deleted"), \
                services.ctx.db.engine.begin() as c:
            c.execute(text(stmt))


@requires_pg
def test_eight_concurrent_workers_on_postgresql_no_gap_no_duplicate(services, admin):
    """8 threads with their own connections; ~1% of transactions roll back."""
    per_worker, workers = 50, 8
    results: list[list[str]] = [[] for _ in range(workers)]
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for k in range(per_worker):
                try:
                    with services.ctx.db.write() as s:
                        doc = services.issuance.issue_in(s, admin, "BA", simple_content(services))
                        if (i * per_worker + k) % 100 == 50:  # 1% of all transactions roll back
                            raise KeyError("rollback")
                    results[i].append(doc.number)
                except KeyError:
                    pass
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    committed = sum(len(r) for r in results)
    assert committed == per_worker * workers - 4
    assert _seqs(services) == list(range(1, committed + 1))
    assert len({n for r in results for n in r}) == committed
    with services.ctx.db.read() as s:
        assert s.scalar(select(Counter.last_value).where(Counter.doc_type == "BA")) == committed


@pytest.mark.slow
@pytest.mark.skipif(BACKEND != "sqlite", reason="the multi-process case is the SQLite one (file locking)")
def test_four_processes_on_sqlite_no_gap_no_duplicate(services, admin, settings):
    ctx = multiprocessing.get_context("spawn")
    per_proc = 50
    with ctx.Pool(4) as pool:
        out = pool.starmap(
            issue_many, [(settings.effective_database_url, str(settings.data_dir), per_proc, seed) for seed in range(4)]
        )
    numbers = [n for nums, _ in out for n in nums]
    assert sum(rb for _, rb in out) == 2
    assert len(numbers) == 4 * per_proc - 2
    assert len(numbers) == len(set(numbers))
    assert _seqs(services) == list(range(1, len(numbers) + 1))


def test_a_worker_killed_before_commit_leaves_no_gap(services, admin, settings):
    """SIGKILL after the counter was advanced, before COMMIT: the transaction dies with the process (SQLite:
    the WAL frames are never committed; PostgreSQL: the server aborts it and frees the lock), so the number
    is handed out again."""
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from db import numbering

    key = numbering.CounterKey("040300", "", "KILL", 2026)
    with services.ctx.db.write() as s:
        assert numbering.next_seq(s, key) == 1
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from tests.db.numbering_worker import reserve_and_hang; "
                               "reserve_and_hang(sys.argv[1], 'KILL')", settings.effective_database_url],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])})
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "2"  # reserved, not committed
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    with services.ctx.db.write() as s:
        assert numbering.next_seq(s, key) == 2
    with services.ctx.db.read() as s:
        assert s.scalar(select(Counter.last_value).where(Counter.doc_type == "KILL")) == 2


def test_settings_reject_a_number_format_without_seq(tmp_path):
    from workstation.errors import ConfigError

    cfg = tmp_path / "c.toml"
    cfg.write_text('[numbering]\nformat = "{doc_type}/{year}"\n')
    with pytest.raises(ConfigError) as e:
        load_settings(cfg)
    assert e.value.field == "numbering.format"
