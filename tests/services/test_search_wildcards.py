"""Searches find what was typed, literally: '%' and '_' are not wildcards (issue #11 item 7: '%%' listed
everyone), and hostile characters are refused before they reach the database (a NUL crashed PostgreSQL)."""

from __future__ import annotations

import pytest

from tests.services.test_plp_demo import _demo_users
from workstation.errors import InputError


@pytest.fixture
def demo(services):
    from workstation.demo import seed_workflows

    _demo_users(services)
    seed_workflows(services)
    return services


def test_percent_and_underscore_match_nothing_but_themselves(demo):
    day = demo.ctx.today()
    everyone = demo.ecd.queue(day).rows
    assert everyone  # the demo has arrivals today
    assert demo.ecd.queue(day, search="%%").rows == ()
    assert demo.ecd.queue(day, search="_").rows == ()
    assert demo.ecd.search("%%") == [] and demo.ecd.search("__") == []
    assert demo.plp.queue("all")  # the demo has PLP requests
    assert demo.plp.queue("all", search="%") == [] and demo.plp.queue("all", search="_") == []
    # an ordinary search still finds its row
    name = everyone[0].name.split()[0]
    assert any(r.name == everyone[0].name for r in demo.ecd.queue(day, search=name).rows)


@pytest.mark.parametrize("bad", ["a\x00b", "x\u202ey", "\x1b[2J"])
def test_hostile_characters_in_a_search_are_refused_with_a_code(demo, bad):
    for search in (lambda: demo.ecd.queue(demo.ctx.today(), search=bad), lambda: demo.ecd.search(bad),
                   lambda: demo.plp.queue("all", search=bad)):
        with pytest.raises(InputError) as exc:
            search()
        assert exc.value.code in ("CONTROL_CHARACTERS", "FORMAT_CHARACTERS") and exc.value.field == "search"

