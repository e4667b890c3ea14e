"""The work queues read only open cases (issue #17 item 3): every statement the PIB desk queue runs is answered
through an index — the cases through ix_cases_state (kind, state), the open requests through
ix_pib_requests_open, the unpaid SPTNP billings through ix_pib_billings_paid — checked with EXPLAIN QUERY PLAN on
SQLite and EXPLAIN on PostgreSQL (sequential scans priced out), as tests/services/test_queries_pib.py does."""

from __future__ import annotations

import json

from tests.services.test_queries_pib import BIG_TABLES, _pg_problems, captured
from workstation.domain.codes import Role

# The queue also reads these; they grow with the history too.
QUEUE_TABLES = BIG_TABLES | {"pib_requests", "pib_instructions"}


def _explain(services, statements) -> tuple[list[str], str]:
    """(problems, every plan as text) for the captured statements."""
    db = services.ctx.db
    problems: list[str] = []
    text: list[str] = []
    with db.engine.connect() as conn:
        if db.backend == "postgresql":
            for knob in ("enable_seqscan", "enable_mergejoin", "enable_hashjoin"):
                conn.exec_driver_sql(f"SET {knob} = off")
        for statement, params in statements:
            head = " ".join(statement.split()[:12])
            if db.backend == "sqlite":
                for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all():
                    detail = row[-1]
                    text.append(detail)
                    words = detail.split()
                    if words[:1] == ["SCAN"] and words[1] in QUEUE_TABLES:
                        problems.append(f"{detail}  <-  {head}")
            else:
                (plan,) = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, params).one()
                plan = json.loads(plan) if isinstance(plan, str) else plan
                text.append(json.dumps(plan))
                found: list[str] = []
                _pg_problems(plan[0]["Plan"], found)
                for rel in ("pib_requests", "pib_instructions"):  # not in the shared BIG_TABLES
                    if _seq_scan_on(plan[0]["Plan"], rel):
                        found.append(f"Seq Scan on {rel}")
                problems += [f"{p}  <-  {head}" for p in found]
        conn.rollback()
    return problems, "\n".join(text)


def _seq_scan_on(node: dict, rel: str) -> bool:
    if node.get("Relation Name") == rel and node.get("Node Type") == "Seq Scan":
        return True
    return any(_seq_scan_on(child, rel) for child in node.get("Plans", ()))


def test_the_pib_desk_queue_reads_open_cases_through_indexes(services, users):
    with captured(services.ctx.db.engine) as seen:
        services.pib.queue(users[Role.EXAMINER])
    assert seen, "the queue ran no SQL"
    problems, text = _explain(services, seen)
    assert problems == []
    # The intended indexes, by name: the open cases by (kind, state), the open requests, the unpaid billings.
    if services.ctx.db.backend == "sqlite":  # both columns as the search key, not the kind alone
        assert "ix_cases_state (kind=? AND state=?)" in text
    else:
        assert '"Index Name": "ix_cases_state"' in text and "state)::text = ANY" in text
    assert "ix_pib_requests_open" in text
    assert "ix_pib_billings_paid" in text


def test_the_plan_check_sees_a_full_scan_of_the_requests(services):
    """The checker itself: reading pib_requests by an unindexed column is reported."""
    from sqlalchemy import select

    from db.models_pib import PibRequest

    with captured(services.ctx.db.engine) as seen, services.ctx.db.read() as s:
        s.execute(select(PibRequest.id).where(PibRequest.text == "x")).all()
    problems, _ = _explain(services, seen)
    assert problems and "pib_requests" in problems[0]


def test_the_ecd_queue_of_a_flight_day_reads_through_the_arrival_index(services, users):
    """The counter's queue (bench.scale's "e-CD queue"): the day's declarations, their counts per flight and per
    lane, all through ix_ecd_declarations_flight (arrival_date, flight); no full scan of the declarations."""
    import datetime as dt

    day = dt.date(2026, 11, 20)
    with captured(services.ctx.db.engine) as seen:
        services.ecd.queue(day, flight="GA881")
    assert seen, "the queue ran no SQL"
    problems, text = _explain(services, seen)
    assert problems == []
    assert "ix_ecd_declarations_flight" in text
    if services.ctx.db.backend == "sqlite":
        assert "SCAN ecd_declarations" not in text
    else:
        assert '"Relation Name": "ecd_declarations"' in text and not _seq_scan_on_any(text, "ecd_declarations")


def _seq_scan_on_any(text: str, rel: str) -> bool:
    for line in text.splitlines():
        plan = json.loads(line)
        if _seq_scan_on(plan[0]["Plan"], rel):
            return True
    return False
