"""#15 item 7: the dashboard shows others' changes within seconds without a full scan. Every statement one
refresh (`DashboardService.snapshot`) runs is answered through an index: checked with EXPLAIN QUERY PLAN on
SQLite and EXPLAIN on PostgreSQL (sequential scans priced out), as tests/services/test_queue_plans.py does.
The audit viewer's page names its cases, documents and users with one IN query per table, not one per row."""

from __future__ import annotations

from tests.services.test_dashboard import _extras, demo  # noqa: F401  (the fixture)
from tests.services.test_queries_pib import captured
from tests.services.test_queue_plans import _explain as _queue_explain
from workstation.services.audit import AuditFilter
from workstation.services.dashboard import DashboardService


def _whole_index(node: dict, out: list[str]) -> None:
    """PostgreSQL: a bitmap index scan with no index condition walks a whole index (the shared check in
    tests/services/test_queries_pib.py looks at plain index scans only)."""
    if node.get("Node Type") == "Bitmap Index Scan" and "Index Cond" not in node:
        out.append(f"Bitmap Index Scan on {node.get('Index Name')} without an index condition")
    for child in node.get("Plans", ()):
        _whole_index(child, out)


def _explain(services, statements) -> tuple[list[str], str]:
    import json

    problems, text = _queue_explain(services, statements)
    if services.ctx.db.backend == "postgresql":
        for plan in text.splitlines():
            _whole_index(json.loads(plan)[0]["Plan"], problems)
    return problems, text


def test_every_statement_of_a_refresh_reads_through_an_index(services, demo, clock):  # noqa: F811
    _extras(services, demo, clock)
    dash = DashboardService(services.ctx)
    with captured(services.ctx.db.engine) as seen:
        snap = dash.snapshot(demo["agus"])
    assert snap.figures and seen
    problems, _ = _explain(services, seen)
    assert problems == [], "\n".join(problems)


def test_the_plan_check_catches_a_full_scan(services, demo):  # noqa: F811
    """The check above can fail: a count of every case reads the whole table."""
    with captured(services.ctx.db.engine) as seen, services.ctx.db.read() as s:
        from sqlalchemy import func, select

        from db.models import Case

        s.execute(select(func.count()).select_from(Case).where(Case.reference.like("%1%")))
    problems, _ = _explain(services, seen)
    assert problems


def test_an_audit_page_names_its_subjects_in_one_query_per_table(services, demo):  # noqa: F811
    sup = demo["agus"]
    with captured(services.ctx.db.engine) as seen:
        rows = services.audit.search(sup, AuditFilter(), limit=200)
    kinds = {r.entity_type for r in rows}
    assert {"document", "case:ecd", "case:pib", "case:plp"} <= kinds
    # the page, then at most one look-up each for cases, documents and users, however many rows
    assert len(seen) <= 4, [s for s, _ in seen]
    by_case = [r for r in rows if r.entity_type.startswith("case")]
    assert by_case and all(r.subject for r in by_case)
    refs = {str(cid): (kind, ref) for cid, kind, ref in _cases(services)}
    for r in by_case:
        kind, ref = refs[r.entity_id]
        assert r.subject in (ref, f"{kind} {ref}")
    docs = [r for r in rows if r.entity_type == "document"]
    numbers = dict(_docs(services))
    assert docs and all(r.subject == numbers[r.entity_id] for r in docs)
    problems, _ = _explain(services, seen[1:])  # the look-ups go by primary key
    assert problems == [], "\n".join(problems)


def _cases(services):
    import uuid

    from sqlalchemy import text

    with services.ctx.db.engine.connect() as c:
        return [(uuid.UUID(str(i)) if not isinstance(i, uuid.UUID) else i, k, r)
                for i, k, r in c.execute(text("SELECT id, kind, reference FROM cases")).all()]


def _docs(services):
    import uuid

    from sqlalchemy import text

    with services.ctx.db.engine.connect() as c:
        return [(str(uuid.UUID(str(i)) if not isinstance(i, uuid.UUID) else i), n)
                for i, n in c.execute(text("SELECT id, number FROM documents")).all()]
