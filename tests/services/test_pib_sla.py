"""Queues with days since registration; the determination SLA breach (30 days, rule set) and uncleared goods
(BTD, 30 days in the TPS without SPPB) at their boundaries; who sees which queue."""

from __future__ import annotations

import pytest

from tests.services.test_pib_support import (
    NTPN,
    env_fixture,  # noqa: F401  (the `env` fixture)
    make_dual_role_user,
    variant,
)
from workstation.errors import InputError, PermissionDenied
from workstation.services import pib as P


def row(env, cid, actor=None, view="desk"):
    rows = {r.case_id: r for r in env.pib.queue(actor or env.supervisor, view_name=view)}
    return rows.get(cid)


def test_sla_breach_only_after_the_determination_due_date(env, clock):
    cid = env.in_research()
    r = row(env, cid)
    assert (r.days, r.due_on.isoformat(), r.flags) == (0, "2026-12-21", ())
    clock.advance(days=30)  # the 30th day after registration: still in time
    r = row(env, cid)
    assert r.days == 30 and P.FLAG_SLA_BREACH not in r.flags
    clock.advance(days=1)
    r = row(env, cid)
    assert r.days == 31 and P.FLAG_SLA_BREACH in r.flags
    assert P.FLAG_SLA_BREACH in env.detail(cid).sla.flags
    env.determine(cid)  # determined late: no longer awaiting determination
    assert P.FLAG_SLA_BREACH not in row(env, cid).flags


def test_breaches_sort_first(env, clock):
    old = env.registered()
    clock.advance(days=31)
    new = env.registered(variant("102"))
    assert [r.case_id for r in env.pib.queue(env.supervisor)][:2] == [old, new]


def test_btd_after_thirty_days_in_the_tps_without_sppb(env, clock):
    # arrival (first storage) 18 Nov 2026; today 21 Nov
    cid = env.registered()
    d = env.detail(cid)
    assert d.sla.storage_days == 3 and d.sla.storage_limit.isoformat() == "2026-12-18"
    clock.advance(days=27)  # 18 Dec: the last day
    assert P.FLAG_BTD not in row(env, cid).flags
    clock.advance(days=1)
    assert P.FLAG_BTD in row(env, cid).flags and row(env, cid).storage_days == 31


def test_no_btd_once_the_sppb_is_issued(env, clock):
    cid = env.in_research()
    env.determine(cid)
    clock.advance(days=40)
    assert P.FLAG_BTD not in row(env, cid).flags


def test_rejected_pibs_count_for_btd_too(env, clock):
    r = env.intake(variant("204", "skp_bc11_unknown.json"))
    clock.advance(days=28)
    assert P.FLAG_BTD in row(env, r.case_id).flags and row(env, r.case_id).days is None


def test_sptnp_unpaid_after_its_due_date_is_flagged(env, clock):
    cid = env.in_research()
    env.determine(cid, [{"seq": 1, "hs_code": "8471500000", "cif": "6500.00", "bm_rate": "5"}])
    clock.advance(days=60)
    assert P.FLAG_SPTNP_OVERDUE not in row(env, cid).flags
    clock.advance(days=1)
    assert P.FLAG_SPTNP_OVERDUE in row(env, cid).flags
    # paid late: recorded, SPPB issued, and the audit keeps the late-payment fine
    d = env.detail(cid)
    bill = d.billing("SPTNP")
    env.pib.pay_sptnp(env.examiner, cid, d.version, billing_code=bill.code, ntpn=NTPN, amount_idr=bill.total_idr)
    last = env.services.cases.history(cid)[-1]
    assert last.data["late"] is True and last.data["late_fine_idr"] == (bill.total_idr - bill.fine_idr) // 10


def test_released_cases_leave_the_desk_queue(env):
    cid = env.in_research()
    env.determine(cid)
    env.pib.release(env.officer, cid, env.detail(cid).version)
    assert row(env, cid) is None
    assert any(r.case_id == cid for r in env.pib.queue(env.supervisor, include_closed=True))


def test_hangar_queue_shows_an_inspector_only_their_instructions(env):
    joko = make_dual_role_user(env, "joko", roles=["inspector"])
    mine = env.in_inspection()
    theirs = env.ready(variant("102"))
    env.pib.issue_instruction(env.examiner, theirs, env.detail(theirs).version, inspector_login="joko",
                              level_pct=30, packages="all 40 CT")
    budi = {r.case_id: r for r in env.pib.queue(env.inspector, view_name="hangar")}
    assert list(budi) == [mine] and budi[mine].level_pct == 10
    assert budi[mine].containers == ("CSQU3054383", "MSKU9070323") and budi[mine].inspector_login == "budi"
    assert [r.case_id for r in env.pib.queue(joko, view_name="hangar")] == [theirs]
    assert {r.case_id for r in env.pib.queue(env.supervisor, view_name="hangar")} == {mine, theirs}


def test_queue_access(env):
    with pytest.raises(PermissionDenied):
        env.pib.queue(env.inspector, view_name="desk")
    with pytest.raises(PermissionDenied):
        env.pib.queue(env.examiner, view_name="hangar")
    with pytest.raises(PermissionDenied):
        env.pib.queue(env.officer)
    with pytest.raises(InputError):
        env.pib.queue(env.supervisor, view_name="all")
