"""The risk demo data: profiles with eight weeks of history, so the hit-rate screen shows real numbers."""

from __future__ import annotations

import datetime as dt
import types

from workstation.demo import risk as D
from workstation.services.base import cli_actor
from workstation.services.reference import demo_rates_csv
from workstation.services.risk import risk_service


def test_demo_gives_hit_rates_per_profile_and_a_random_baseline(services, monkeypatch):
    from workstation.demo import DEMO_PASSWORD, DEMO_USERS
    from workstation.services.risk import profiles

    # which past e-CDs the random draw picks follows the rate's seed, fresh from `secrets` on each import: with
    # some seeds no profile's lift over the random baseline came out above 1 (a CI run failed so). The figures
    # are checked on one fixed seed, given to the profiles module alone; the draw has its own tests.
    monkeypatch.setattr(profiles, "secrets", types.SimpleNamespace(token_hex=lambda n: "5a" * n))

    auth = services.auth
    login, name, _, nip = DEMO_USERS[0]
    auth.create_first_admin(login, name, DEMO_PASSWORD, nip=nip)
    services.issuance.ensure_office_key()
    admin = auth.login(login, DEMO_PASSWORD)
    for login, name, role, nip in DEMO_USERS[1:]:
        auth.create_user(admin, login, name, [role], DEMO_PASSWORD, nip=nip)
    services.reference.import_rates(admin, text=demo_rates_csv(services.ctx.today()), source="demo")
    D.seed_demo(services)
    actor = cli_actor(services.settings)
    today = services.ctx.today()
    rep = risk_service(services).report(actor, today - dt.timedelta(weeks=9), today)
    rows = {(r.group, r.key): r for r in rep.rows}
    profiles = [r for r in rep.rows if r.group == "profile"]
    assert {r.key for r in profiles} >= {"NRT-ELEC", "SIN-JASTIP", "FREQ-TRAVELLER", "DOH-FLIGHT"}
    assert all(r.figures.inspected >= 5 and r.figures.rate is not None for r in profiles)
    assert rows[("random", "RANDOM")].figures.inspected > 0
    assert any(r.lift is not None and r.lift > 1 for r in profiles)
    assert len([w for w in rep.weeks if w.targeted.inspected]) >= 6  # a chart over time
    assert services.audit.verify(actor).ok
