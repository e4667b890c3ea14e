"""The PIB's typed queries (workstation/services/pib/queries.py): every statement they run is answered through an
index on the big tables — checked with EXPLAIN on SQLite and on PostgreSQL (with sequential scans priced out, so
a missing index shows as a Seq Scan) — and the gate's release look-up reads only cases awaiting gate-out.

`plans` is shared with tests/services/test_queries_{ecd,plp}.py and test_report.py."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from contextlib import contextmanager

from sqlalchemy import event

from workstation.services.pib import queries as Q

# Tables that grow with the office's history: a query must never read them whole.
BIG_TABLES = frozenset({"cases", "pib_cases", "pib_billings", "bc11_lines", "documents", "ecd_billings",
                        "ecd_payments", "ecd_declarations", "plp_lines", "plp_requests", "plp_tps_containers",
                        "case_events", "audit_log"})
DAY = dt.date(2026, 11, 21)
START = dt.datetime(2026, 11, 20, 17, 0, tzinfo=dt.UTC)  # 21 Nov 00:00 WIB
END = START + dt.timedelta(days=1)


@contextmanager
def captured(engine):
    """The SQL statements (with their parameters) run on `engine` inside the block."""
    seen: list[tuple[str, object]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        head = statement.lstrip().upper()
        if head.startswith(("SELECT", "WITH")) and not head.startswith("SELECT PG_ADVISORY"):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _pg_problems(node: dict, out: list[str]) -> None:
    rel = node.get("Relation Name")
    kind = node.get("Node Type", "")
    if rel in BIG_TABLES:
        if kind == "Seq Scan":
            out.append(f"Seq Scan on {rel}")
        elif kind in ("Index Scan", "Index Only Scan") and "Index Cond" not in node:
            out.append(f"{kind} on {rel} without an index condition (a full index scan)")
    if kind == "Bitmap Index Scan" and "Index Cond" not in node:
        out.append(f"Bitmap Index Scan on {node.get('Index Name')} without an index condition")
    for child in node.get("Plans", ()):
        _pg_problems(child, out)


def plans(services, run: Callable[[object], object]) -> list[str]:
    """Run `run(session)` and EXPLAIN every statement it issued. Returns the problems: a big table read whole
    (SQLite `SCAN t`, PostgreSQL Seq Scan or an index scan without a condition). Asserts something ran."""
    db = services.ctx.db
    with captured(db.engine) as seen, db.read() as s:
        run(s)
    assert seen, "the query ran no SQL"
    problems: list[str] = []
    with db.engine.connect() as conn:
        if db.backend == "postgresql":
            # On near-empty tables the planner prefers any plan; price out the ones that read a table whole
            # (sequential scans; merge and hash joins that walk a whole index), so that what remains shows
            # whether an index answers each table.
            for knob in ("enable_seqscan", "enable_mergejoin", "enable_hashjoin"):
                conn.exec_driver_sql(f"SET {knob} = off")
        for statement, params in seen:
            if db.backend == "sqlite":
                rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
                for row in rows:
                    detail = row[-1]
                    words = detail.split()
                    if words[:1] == ["SCAN"] and words[1] in BIG_TABLES:
                        problems.append(f"{detail}  <-  {statement.split()[0:12]}")
            else:
                (plan,) = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, params).one()
                plan = json.loads(plan) if isinstance(plan, str) else plan
                found: list[str] = []
                _pg_problems(plan[0]["Plan"], found)
                problems += [f"{p}  <-  {' '.join(statement.split()[:12])}" for p in found]
        conn.rollback()
    return problems


def test_every_pib_query_is_bounded_by_an_index(services):
    assert plans(services, lambda s: Q.release_for_container(s, "CSQU3054383")) == []
    assert plans(services, lambda s: Q.opened(s, DAY)) == []
    assert plans(services, lambda s: Q.duties(s, DAY)) == []
    assert plans(services, lambda s: Q.determination_breaches(s, DAY)) == []
    assert plans(services, lambda s: Q.uncleared_goods(s, DAY)) == []
    assert plans(services, lambda s: Q.overdue_billings(s, DAY)) == []


def test_the_plan_check_catches_a_full_scan(services):
    """The checker itself: a query on an unindexed column of a big table is reported."""
    from sqlalchemy import select

    from db.models_pib import PibCase

    problems = plans(services, lambda s: s.execute(select(PibCase.aju).where(PibCase.importer_name == "x")).all())
    assert problems and "pib_cases" in problems[0]


def test_release_of_an_unknown_or_empty_number_is_none(services):
    with services.ctx.db.read() as s:
        assert Q.release_for_container(s, "") is None
        assert Q.release_for_container(s, "CSQU3054383") is None
