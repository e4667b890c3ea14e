"""The e-CD's typed queries for the daily report run on indexes only (EXPLAIN, SQLite and PostgreSQL)."""

from __future__ import annotations

from tests.services.test_queries_pib import DAY, END, START, plans
from workstation.services.ecd import queries as Q


def test_every_ecd_query_is_bounded_by_an_index(services):
    assert plans(services, lambda s: Q.opened(s, DAY)) == []
    assert plans(services, lambda s: Q.duties(s, START, END)) == []


def test_an_empty_day_has_no_lanes_and_no_duties(services):
    with services.ctx.db.read() as s:
        assert Q.opened(s, DAY) == ()
        assert Q.duties(s, START, END) == ()
