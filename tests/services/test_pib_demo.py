"""The PIB demo data: a few PIBs in different states for the demo users, with the SLA and BTD flags showing."""

from __future__ import annotations

from collections import Counter

from workstation.domain.codes import Role
from workstation.services import pib as P


def test_demo_seed_gives_each_user_something_to_do(services):
    from workstation.demo import DEMO_PASSWORD, DEMO_USERS
    from workstation.demo import pib as pib_demo
    from workstation.services import reference

    auth = services.auth
    login, name, _, nip = DEMO_USERS[0]
    auth.create_first_admin(login, name, DEMO_PASSWORD, nip=nip)
    services.issuance.ensure_office_key()
    admin = auth.login(login, DEMO_PASSWORD)
    for login, name, role, nip in DEMO_USERS[1:]:
        auth.create_user(admin, login, name, [role], DEMO_PASSWORD, nip=nip)
    reference.seed_demo(services)
    pib_demo.seed_demo(services)

    sup = auth.login("agus", DEMO_PASSWORD)
    desk = services.pib.queue(sup, include_closed=True)
    states = Counter(r.state for r in desk)
    assert states == {P.INSPECTION: 2, P.RESEARCH: 1, P.SPTNP: 1, P.RELEASED: 1, P.SPJM: 1, P.BILLED: 1,
                      P.REJECTED: 1}
    oldest = desk[0]
    assert oldest.days == 35 and {P.FLAG_SLA_BREACH, P.FLAG_BTD} <= set(oldest.flags)
    budi = auth.login("budi", DEMO_PASSWORD)
    assert len(services.pib.queue(budi, view_name="hangar")) == 2
    rejected = next(r for r in desk if r.state == P.REJECTED)
    assert services.pib.get(sup, rejected.case_id).submissions[0].problems[0].code.value == "IMPORTER_BLOCKED"
    assert services.audit.verify(users_actor(services)).ok


def users_actor(services):
    from workstation.services.base import cli_actor

    actor = cli_actor(services.settings)
    assert actor.has(Role.SUPERVISOR)
    return actor
