"""#11 items 11 and 12: the examiner works from the LHP's findings; one storage-start date for a PIB."""

from __future__ import annotations

import datetime as dt

from tests.services.test_pib_support import (
    env_fixture,  # noqa: F401  (the `env` fixture)
)
from workstation.domain.codes import Role


def _store(env, number: str, at: dt.datetime) -> None:
    sup = env.users[Role.SUPERVISOR]
    env.services.plp.save_tps(sup, "KOJA", "TPK Koja", "PT Koja", "IDTPP", 1000)
    env.services.plp.store_container(env.officer, "KOJA", number, "40", first_stored_at=at)


def test_btd_clock_starts_at_the_first_storage_in_the_tps(env):
    # the manifest says arrival 18 Nov; the registry saw CSQU3054383 (on the PIB's BC 1.1 line) stored earlier,
    # late on 15 Nov UTC = 16 Nov in the office's zone
    at = dt.datetime(2026, 11, 15, 20, 0, tzinfo=dt.UTC)
    _store(env, "CSQU3054383", at)
    start = at.astimezone(env.services.settings.zone).date()
    cid = env.in_inspection()
    d = env.detail(cid)
    assert d.first_storage_on == start == dt.date(2026, 11, 16)
    assert d.sla.storage_days == (env.services.ctx.today() - start).days
    assert d.sla.storage_limit == start + dt.timedelta(days=30)
    rows = {r.case_id: r for r in env.pib.queue(env.supervisor, view_name="hangar")}
    assert rows[cid].storage_days == d.sla.storage_days  # the hangar's queue counts from the same day
    desk = {r.case_id: r for r in env.pib.queue(env.supervisor)}
    assert desk[cid].storage_days == d.sla.storage_days


def test_btd_clock_falls_back_to_the_manifest_arrival(env):
    cid = env.registered()
    assert env.detail(cid).first_storage_on == dt.date(2026, 11, 18)
