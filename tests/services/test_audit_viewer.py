"""The audit viewer's search: each filter (user, case reference, document number, action, time range) returns
exactly the entries a direct SQL query finds; anchors are listed; locking the screen is audited like unlocking;
every action the code appends has a label."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.services.test_dashboard import demo  # noqa: F401  (the fixture)
from workstation.domain.errors import ErrorCode
from workstation.errors import InputError, NotFound, PermissionDenied
from workstation.services.audit import ACTION_LABELS, AuditFilter, action_label

ROOT = Path(__file__).resolve().parents[2]


def _sql(services, query: str, **params):
    with services.ctx.db.engine.connect() as c:
        return c.execute(text(query), params).all()


def _seqs(rows) -> list[int]:
    return [r.seq for r in rows]


def _id(services, value) -> str:
    """An id as audit_log.entity_id holds it (str(uuid)) from what a raw SELECT returns on either back end."""
    import uuid

    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))


def test_filter_by_user_and_action(services, demo):  # noqa: F811
    sup = demo["agus"]
    got = services.audit.search(sup, AuditFilter(user="dewi"), limit=1000)
    want = [r[0] for r in _sql(services, "SELECT seq FROM audit_log WHERE actor_login = 'dewi' ORDER BY seq DESC")]
    assert _seqs(got) == want and want
    got = services.audit.search(sup, AuditFilter(action="auth."), limit=1000)
    assert _seqs(got) == [r[0] for r in _sql(
        services, "SELECT seq FROM audit_log WHERE action LIKE 'auth.%' ORDER BY seq DESC")]
    # an action without a dot means that action and its sub-actions, never a longer word
    exact = services.audit.search(sup, AuditFilter(action="auth.login"), limit=1000)
    assert {r.action for r in exact} == {"auth.login"}
    both = services.audit.search(sup, AuditFilter(user="dewi", action="auth.login"), limit=1000)
    assert both and all(r.actor_login == "dewi" and r.action == "auth.login" for r in both)
    # paging: the next page starts below the last seq shown
    page1 = services.audit.search(sup, AuditFilter(), limit=5)
    page2 = services.audit.search(sup, AuditFilter(), limit=5, before_seq=page1[-1].seq)
    assert _seqs(page2) == [s for s in range(page1[-1].seq - 1, page1[-1].seq - 6, -1)]


def test_filter_by_case_reference_and_document_number(services, demo):  # noqa: F811
    sup = demo["agus"]
    case_id, _kind, ref = _sql(services, "SELECT c.id, c.kind, c.reference FROM cases c JOIN documents d "
                                        "ON d.case_id = c.id WHERE c.kind = 'PIB' ORDER BY c.reference LIMIT 1")[0]
    docs = [(_id(services, i), n) for i, n in _sql(services, "SELECT id, number FROM documents WHERE case_id = :c",
                                                    c=case_id)]
    wanted = {("case:pib", _id(services, case_id))} | {("document", i) for i, _ in docs}
    want = [seq for seq, et, eid in _sql(services, "SELECT seq, entity_type, entity_id FROM audit_log "
                                                   "ORDER BY seq DESC") if (et, eid) in wanted]
    got = services.audit.search(sup, AuditFilter(case=ref), limit=1000)
    assert _seqs(got) == want
    assert any(r.entity_type == "case:pib" for r in got) and any(r.entity_type == "document" for r in got)

    doc_id, number = docs[0]
    got = services.audit.search(sup, AuditFilter(document=number), limit=1000)
    assert got and {(r.entity_type, r.entity_id) for r in got} == {("document", doc_id)}
    assert _seqs(got) == [r[0] for r in _sql(services, "SELECT seq FROM audit_log WHERE entity_type = 'document' "
                                                       "AND entity_id = :i ORDER BY seq DESC", i=doc_id)]

    with pytest.raises(NotFound) as e:
        services.audit.search(sup, AuditFilter(case="NO-SUCH-REF"))
    assert e.value.code == ErrorCode.UNKNOWN_CASE
    with pytest.raises(NotFound) as e:
        services.audit.search(sup, AuditFilter(document="000000/XX/2026"))
    assert e.value.code == ErrorCode.UNKNOWN_DOCUMENT


def test_filter_by_time_range_in_office_days(services, demo, clock):  # noqa: F811
    sup = demo["agus"]
    first_day = services.ctx.today()
    clock.advance(days=2)
    services.auth.login("dewi", "demo12345")
    clock.advance(days=1)
    services.auth.login("siti", "demo12345")
    later = services.ctx.today()
    day2 = (first_day + dt.timedelta(days=2)).strftime("%d-%m-%Y")

    flt = services.audit.filter_from_text(from_day=day2, to_day=day2)
    got = services.audit.search(sup, flt, limit=1000)
    assert [(r.actor_login, r.action) for r in got] == [("dewi", "auth.login")]
    assert _seqs(got) == [r[0] for r in _sql(services, "SELECT seq FROM audit_log WHERE ts >= :a AND ts < :b "
                                                       "ORDER BY seq DESC", a=flt.since, b=flt.until)]
    # from a day on, open-ended; ISO dates are accepted too
    got = services.audit.search(sup, services.audit.filter_from_text(from_day=later.isoformat()), limit=1000)
    assert [r.actor_login for r in got] == ["siti"]
    # up to the first day: everything the demo wrote, none of the later logins
    got = services.audit.search(sup, services.audit.filter_from_text(to_day=first_day.strftime("%d-%m-%Y")),
                                limit=1000)
    assert got and all(r.ts < flt.since for r in got)
    (n,), = _sql(services, "SELECT COUNT(*) FROM audit_log WHERE ts < :b", b=flt.since)
    assert len(got) == n

    with pytest.raises(InputError) as e:
        services.audit.filter_from_text(from_day="2026-13-45")
    assert e.value.code == ErrorCode.DATE_FORMAT_DMY and e.value.field == "from"
    with pytest.raises(InputError) as e:
        services.audit.filter_from_text(from_day="05-01-2026", to_day="04-01-2026")
    assert e.value.code == ErrorCode.INVALID_VALUE


def test_detail_anchors_and_roles(services, demo):  # noqa: F811
    sup = demo["agus"]
    top = services.audit.search(sup, AuditFilter(), limit=1)[0]
    detail = services.audit.entry(sup, top.seq)
    assert detail.row == top and len(detail.row_hash) == 64
    with pytest.raises(NotFound):
        services.audit.entry(sup, 10**9)
    services.audit.anchor(sup, "manual")
    anchors = services.audit.anchors(sup)
    assert anchors[0].reason == "manual"
    assert [a.seq for a in anchors] == [r[0] for r in _sql(services, "SELECT seq FROM audit_anchors ORDER BY seq DESC")]
    with pytest.raises(PermissionDenied):
        services.audit.search(demo["dewi"], AuditFilter())


def test_locking_the_screen_is_audited_like_unlocking(services, demo):  # noqa: F811
    dewi = demo["dewi"]
    services.auth.lock_screen(dewi, "idle")
    assert services.auth.unlock_screen(dewi, "demo12345")
    rows = services.audit.search(demo["agus"], AuditFilter(user="dewi", action="auth."), limit=2)
    assert [r.action for r in rows] == ["auth.unlock_screen", "auth.lock_screen"]
    assert rows[0].entity_id == rows[1].entity_id == str(dewi.session_id)
    assert '"reason":"idle"' in rows[1].payload
    with pytest.raises(InputError):
        services.auth.lock_screen(dewi, "bored")
    # a session already ended records nothing
    services.auth.logout(dewi)
    services.auth.lock_screen(dewi)
    assert services.audit.search(demo["agus"], AuditFilter(user="dewi"), limit=1)[0].action == "auth.logout"


def test_every_action_the_code_appends_has_a_label():
    found = set()
    for path in (ROOT / "workstation").rglob("*.py"):
        found |= set(re.findall(r'audit\.append\(\s*s,\s*[^,]+,\s*"([a-z_.]+)"', path.read_text()))
    assert len(found) > 30
    missing = sorted(a for a in found if action_label(a) is None)
    assert missing == [], f"add to ACTION_LABELS: {missing}"
    assert action_label("pib.determine.SPTNP") is not None and action_label("nothing.here") is None
    assert "auth.lock_screen" in ACTION_LABELS


def test_case_document_action_and_time_filters_read_through_indexes(services, demo, clock):  # noqa: F811
    """The case, document, action and time filters never read audit_log whole. (The user filter alone walks
    the log newest first until a page is found: audit_log has no index on actor_login yet.)"""
    from tests.services.test_queries_pib import plans

    sup = demo["agus"]
    ref = _sql(services, "SELECT c.reference FROM cases c WHERE c.kind = 'PIB' ORDER BY c.reference LIMIT 1")[0][0]
    number = _sql(services, "SELECT number FROM documents ORDER BY number LIMIT 1")[0][0]
    day = services.ctx.today().strftime("%d-%m-%Y")
    for flt in (AuditFilter(case=ref), AuditFilter(document=number), AuditFilter(action="auth.login"),
                services.audit.filter_from_text(from_day=day, to_day=day)):
        # the service opens its own session: run it inside the capture, the session argument unused
        assert plans(services, lambda _s, flt=flt: services.audit.search(sup, flt)) == [], flt
