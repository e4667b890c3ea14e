"""#11 items 11 and 12: the examiner works from the LHP's findings; one storage-start date for a PIB."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.services.test_pib_support import (
    env_fixture,  # noqa: F401  (the `env` fixture)
    lhp_form,
)
from workstation.domain.codes import Role
from workstation.domain.errors import ErrorCode
from workstation.errors import InputError, Refusal


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


# -- item 11: the determination starts from the LHP's findings --------------------------------------------------

def _mismatch_lhp():
    lhp = lhp_form()
    first = lhp.items[0].model_copy(update={"hs_code": "8471500000", "quantity": Decimal(12), "match": False})
    return lhp.model_copy(update={"items": [first, lhp.items[1]]})


def test_sppb_on_a_mismatch_lhp_needs_the_examiners_reason(env):
    cid = env.in_research(lhp=_mismatch_lhp())
    before = env.counts()
    with pytest.raises(Refusal) as e:
        env.pib.determine(env.examiner, cid, env.detail(cid).version, [])
    assert (e.value.code, e.value.field) == (ErrorCode.LHP_REASON_REQUIRED, "note")
    assert env.counts() == before  # nothing written
    r = env.pib.determine(env.examiner, cid, env.detail(cid).version, [], note="HS 847150 same BM rate; no shortfall")
    assert r.assessment.outcome.value == "SPPB"
    d = env.detail(cid)
    # the determination started from the LHP: the inspector's HS code and quantity for the mismatched item
    assert d.determination.items[0]["seq"] == 1 and d.determination.items[0]["hs_code"] == "8471500000"
    assert d.determination.items[0]["quantity"] == "12"
    assert d.determination.note == "HS 847150 same BM rate; no shortfall"
    trail = env.services.audit.for_entity(env.supervisor, "case:pib", str(cid))
    assert any('"HS 847150 same BM rate; no shortfall"' in e.payload and '"MISMATCH"' in e.payload for e in trail)


def test_examiner_keeps_their_own_hs_over_the_lhps(env):
    cid = env.in_research(lhp=_mismatch_lhp())
    r = env.pib.determine(env.examiner, cid, env.detail(cid).version,
                          env.pib.determination_from_form([{"seq": 1, "hs_code": "8471300000"}]), note="as declared")
    assert r.assessment.outcome.value == "SPPB"
    assert env.detail(cid).determination.items[0]["hs_code"] == "8471300000"


def test_undeclared_goods_are_items_of_the_determination_and_make_the_sptnp(env):
    cid = env.in_research(lhp=lhp_form(undeclared=True))
    d = env.detail(cid)
    added = env.pib.undeclared_items(d.doc, d.lhp.lhp)
    assert [(i.seq, i.description, i.quantity, i.unit) for i in added] == [
        (3, "Spare rice-cooker lids", Decimal(20), "PCE")]
    # left out without a reason: refused; half-determined: refused naming the item
    with pytest.raises(Refusal) as e:
        env.pib.determine(env.examiner, cid, d.version, [])
    assert e.value.code == ErrorCode.LHP_REASON_REQUIRED
    with pytest.raises(InputError) as e:
        env.pib.determine(env.examiner, cid, d.version, env.pib.determination_from_form([{"seq": 3, "cif": "100"}]))
    assert (e.value.code, e.value.field) == (ErrorCode.UNDECLARED_INCOMPLETE, "items[seq=3]")
    rows = [{"seq": 3, "hs_code": "8516600000", "cif": "200.00", "bm_rate": "7.5", "ppn_rate": "11",
             "pph_rate": "2.5"}]
    preview = env.pib.preview_determination(env.examiner, cid, env.pib.determination_from_form(rows))
    assert preview.bm_shortfall_idr > 0 and preview.outcome.value == "SPTNP"
    r = env.pib.determine(env.examiner, cid, d.version, env.pib.determination_from_form(rows))
    assert r.assessment.outcome.value == "SPTNP" and r.assessment.bm_shortfall_idr == preview.bm_shortfall_idr
    assert r.assessment.bm_shortfall_idr == 240_000  # USD 200 x NDPBM 16,000 x 7.5 %, rounded up to the thousand
    assert env.detail(cid).billing("SPTNP") is not None
