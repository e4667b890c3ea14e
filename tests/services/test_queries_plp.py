"""The PLP's typed queries for the daily report run on indexes only (EXPLAIN, SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

from tests.services.test_queries_pib import DAY, END, plans
from workstation.services.plp import queries as Q

WIB = dt.timezone(dt.timedelta(hours=7))


def test_every_plp_query_is_bounded_by_an_index(services):
    assert plans(services, lambda s: Q.opened(s, DAY)) == []
    assert plans(services, lambda s: Q.overdue_lines(s, END)) == []
    assert plans(services, lambda s: Q.stored_past_limit(s, DAY, END, zone=WIB)) == []
