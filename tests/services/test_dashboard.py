"""The supervisor's dashboard: every figure equals a direct SQL count on a fixture written by the real workflows
(the demo's e-CDs, PIBs and PLPs), with print failures, field units and assignments added; the list behind a
figure has as many rows as the figure says; a change committed afterwards shows in the next snapshot."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import text

from workstation.domain.errors import ErrorCode
from workstation.errors import InputError, PermissionDenied
from workstation.services.dashboard import OPEN_STATES, DashboardService, text_bar


@pytest.fixture
def demo(services, monkeypatch):
    """Demo users and the demo's e-CDs, PIBs and PLPs, seeded through the services."""
    from workstation import demo as D

    auth = services.auth
    login, name, _, nip = D.DEMO_USERS[0]
    auth.create_first_admin(login, name, D.DEMO_PASSWORD, nip=nip)
    services.issuance.ensure_office_key()
    admin = auth.login(login, D.DEMO_PASSWORD)
    for login, name, role, nip in D.DEMO_USERS[1:]:
        auth.create_user(admin, login, name, [role], D.DEMO_PASSWORD, nip=nip)
    monkeypatch.setattr(D, "SEED_MODULES", ("reference", "ecd", "pib", "plp"))
    D.seed_workflows(services)
    return {who: auth.login(who, D.DEMO_PASSWORD) for who in ("agus", "dewi", "siti")}


def _sql(services, query: str, **params):
    with services.ctx.db.engine.connect() as c:
        return c.execute(text(query), params).all()


def _extras(services, demo, clock):
    """Two FAILED print jobs (and a DONE one), three field units (one fresh, one silent for two days, one
    revoked), and open cases assigned to dewi and siti."""
    now = clock()
    doc = _sql(services, "SELECT id FROM documents ORDER BY issued_at LIMIT 1")[0][0]
    with services.ctx.db.engine.begin() as c:
        for status in ("FAILED", "FAILED", "DONE"):
            c.execute(text("INSERT INTO print_jobs (id, document_id, number, target_kind, target, status, attempts, "
                           "last_error, created_at, updated_at) VALUES (:id, :doc, 'N-1', 'cups', 'q1', :st, 1, "
                           "'printer on fire', :now, :now)"),
                      {"id": uuid.uuid4().hex if services.ctx.db.engine.dialect.name == "sqlite" else uuid.uuid4(),
                       "doc": doc, "st": status, "now": now})
        for code, seen, revoked in (("U1", now - dt.timedelta(minutes=3), None),
                                    ("U2", now - dt.timedelta(days=2), None),
                                    ("U3", None, now - dt.timedelta(days=1))):
            c.execute(text("INSERT INTO sync_units (code, name, office_code, epoch, last_seen_at, revoked_at, "
                           "acked_seq, reported_cursor, created_at, created_by) VALUES (:code, :name, '040300', 1, "
                           ":seen, :rev, 0, 0, :now, 'test')"),
                      {"code": code, "name": f"Pos {code}", "seen": seen, "rev": revoked, "now": now})
    open_ids = [r[0] for r in _sql(services, "SELECT id FROM cases WHERE state NOT IN ('RELEASED', 'CLOSED', "
                                             "'REJECTED', 'CANCELLED') ORDER BY reference")]
    assert len(open_ids) >= 3, "the demo leaves open cases"
    with services.ctx.db.engine.begin() as c:
        for cid, who in zip(open_ids[:3], (demo["dewi"], demo["dewi"], demo["siti"]), strict=True):
            c.execute(text("UPDATE cases SET assigned_to = :u WHERE id = :id"),
                      {"u": who.user_id.hex if services.ctx.db.engine.dialect.name == "sqlite" else who.user_id,
                       "id": cid})


def test_every_figure_equals_a_direct_sql_count(services, demo, clock):
    _extras(services, demo, clock)
    dash = DashboardService(services.ctx)
    snap = dash.snapshot(demo["agus"])

    # open queues: per kind and open state
    expected = {}
    for kind, states in OPEN_STATES.items():
        for state, n in _sql(services, "SELECT state, COUNT(*) FROM cases WHERE kind = :k GROUP BY state", k=kind):
            if state in states:
                expected[f"{kind}:{state}"] = n
    assert {f.key: f.count for f in snap.group("queue")} == expected
    assert sum(expected.values()) > 0

    # lanes of the day
    lanes = dict(_sql(services, "SELECT COALESCE(lane, '-'), COUNT(*) FROM cases WHERE kind = 'ECD' "
                                "AND opened_on = :d GROUP BY lane", d=services.ctx.today()))
    assert {f.key: f.count for f in snap.group("lane")} == lanes and lanes

    # workload: open cases per assigned user
    loads = {login: n for login, n in _sql(
        services, "SELECT u.login, COUNT(*) FROM cases c JOIN users u ON u.id = c.assigned_to WHERE "
                  "(c.kind IN ('ECD', 'PIB') AND c.state <> 'RELEASED') OR "
                  "(c.kind = 'PLP' AND c.state NOT IN ('CLOSED', 'REJECTED', 'CANCELLED')) GROUP BY u.login")}
    assert {f.label: f.count for f in snap.group("workload")} == loads
    assert loads["dewi"] >= 2 and loads["siti"] == 1

    # print failures
    (failed,), = _sql(services, "SELECT COUNT(*) FROM print_jobs WHERE status = 'FAILED'")
    assert snap.count("print", "FAILED") == failed == 2

    # field units: registered, silent for over a day (not revoked), revoked; last contact
    assert (snap.units.total, snap.units.stale, snap.units.revoked, snap.units.never_seen) == (3, 1, 1, 0)
    assert snap.count("unit", "all") == 3 and snap.count("unit", "stale") == 1
    assert snap.units.last_contact == clock() - dt.timedelta(minutes=3)

    # breaches: the demo's PIB registered 35 days ago is past the 30-day determination SLA
    (late,), = _sql(services, "SELECT COUNT(*) FROM pib_cases p JOIN cases c ON c.id = p.case_id WHERE "
                              "p.registered_on IS NOT NULL AND p.determined_on IS NULL AND p.registered_on < :d "
                              "AND c.state IN ('SPJM', 'READY', 'INSPECTION', 'RESEARCH')",
                    d=services.ctx.today() - dt.timedelta(days=30))
    assert snap.count("breach", "PIB_SLA") == late >= 1


def test_the_list_behind_each_figure_has_its_count(services, demo, clock):
    _extras(services, demo, clock)
    dash = DashboardService(services.ctx)
    sup = demo["agus"]
    snap = dash.snapshot(sup)
    for f in snap.figures:
        if f.group == "device":
            continue
        detail = dash.detail(sup, f.group, f.key)
        if f.group == "unit":
            assert len(detail.rows) == snap.units.total
        else:
            assert len(detail.rows) == f.count, f
    (refs,) = [dash.detail(sup, "workload", f.key) for f in snap.group("workload") if f.label == "siti"]
    assert refs.rows[0][3] == "siti"


def test_a_change_committed_elsewhere_shows_in_the_next_snapshot(services, demo, clock):
    dash = DashboardService(services.ctx)
    sup = demo["agus"]
    before = dash.snapshot(sup)
    queued = sum(f.count for f in before.group("queue"))
    # another session releases nothing but opens a new e-CD: a new open case
    (cid,) = _sql(services, "SELECT id FROM cases WHERE kind = 'ECD' AND state = 'GREEN' LIMIT 1")[0]
    with services.ctx.db.engine.begin() as c:
        c.execute(text("UPDATE cases SET state = 'RELEASED' WHERE id = :id"), {"id": cid})
    after = dash.snapshot(sup)
    assert sum(f.count for f in after.group("queue")) == queued - 1


def test_only_a_supervisor_sees_it_and_bad_keys_are_refused(services, demo):
    dash = DashboardService(services.ctx)
    with pytest.raises(PermissionDenied):
        dash.snapshot(demo["dewi"])
    with pytest.raises(InputError) as e:
        dash.detail(demo["agus"], "queue", "PIB:RELEASED")
    assert e.value.code == ErrorCode.NOT_ONE_OF
    with pytest.raises(InputError):
        dash.detail(demo["agus"], "nonsense", "x")


def test_text_bar_is_proportional():
    assert text_bar(0, 10) == "" and text_bar(10, 10, 20) == "█" * 20
    assert text_bar(1, 1000, 20) == "█"


def test_the_dashboard_reads_through_indexes(services, demo, clock):
    """No statement of a snapshot reads a big table whole (SQLite SCAN, PostgreSQL Seq Scan): the figures cost
    what is open now, not the history (tests/services/test_queries_pib.py `plans`)."""
    from tests.services.test_queries_pib import plans
    from workstation.services import dashboard as D

    _extras(services, demo, clock)
    day = services.ctx.today()
    assert plans(services, D.open_queues) == []
    assert plans(services, D.workload) == []
    assert plans(services, lambda s: D.late_requests(s, day)) == []
    assert plans(services, lambda s: D.failed_prints(s)) == []
    assert plans(services, D.sync_units) == []


def test_device_states_from_the_manager_or_the_configuration():
    import types

    from workstation.services.dashboard import device_states

    at = dt.datetime(2026, 11, 21, 2, 0, tzinfo=dt.UTC)
    health = {"gate-1": types.SimpleNamespace(kind="barrier", state="connected", since=at, last_error=None,
                                              detail="closed"),
              "scan-1": types.SimpleNamespace(kind="scanner", state="error", since=at, last_error="no such port",
                                              detail=None)}
    got = device_states(health, [])
    assert [(d.name, d.state, d.detail) for d in got] == [("gate-1", "connected", "closed"),
                                                          ("scan-1", "error", "no such port")]
    spec = types.SimpleNamespace(name="gate-2", kind="barrier")
    assert [(d.name, d.state) for d in device_states(None, [spec])] == [("gate-2", "not started")]
