"""The PLP demo data: the TPS registry of Tanjung Priok and requests in every state, for siti and agus."""

from __future__ import annotations

from collections import Counter

from workstation.demo import plp as P
from workstation.services.base import cli_actor


def _demo_users(services):
    from workstation.demo import DEMO_PASSWORD, DEMO_USERS

    auth = services.auth
    login, name, _, nip = DEMO_USERS[0]
    auth.create_first_admin(login, name, DEMO_PASSWORD, nip=nip)
    services.issuance.ensure_office_key()
    admin = auth.login(login, DEMO_PASSWORD)
    for login, name, role, nip in DEMO_USERS[1:]:
        auth.create_user(admin, login, name, [role], DEMO_PASSWORD, nip=nip)


def test_demo_has_a_request_in_every_state_and_a_release_at_the_demo_gate(services):
    _demo_users(services)
    P.seed_demo(services)
    plp = services.plp
    rows = plp.queue("all")
    assert Counter(r.state for r in rows) == {"SUBMITTED": 2, "APPROVED": 1, "CLOSED": 1, "REJECTED": 1,
                                              "CANCELLED": 1}
    tps = {v.code: v for v in plp.tps_overview()}
    assert set(tps) == {"KOJA", "MTI1", "JICT", "GRAHA", "NPCT1"} and tps["KOJA"].over_threshold
    # the demo gate works TPS KOJA (services.demo): the approved container may leave there
    release = plp.release_for_container("CSQU3054383", tps="KOJA")
    assert release is not None and release.direction == "OUT" and "/PLP/" in release.plp_number
    closed = plp.get(next(r.case_id for r in rows if r.state == "CLOSED"))
    assert [m.direction for m in closed.movements] == ["OUT", "IN"]
    assert tps["JICT"].containers == 1 and plp.first_storage("MSKU9070323") is not None
    assert services.audit.verify(cli_actor(services.settings)).ok
