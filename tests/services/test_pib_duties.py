"""Separation of duties, roles, optimistic locking (concurrent edits of one case) and bad form input on the
PIB workflow: each refusal is clear and writes nothing."""

from __future__ import annotations

import threading
import uuid
from types import SimpleNamespace

import pytest

from tests.services.test_pib_support import (
    NTPN,
    bap_form,
    env_fixture,  # noqa: F401  (the `env` fixture)
    lhp_form,
    make_dual_role_user,
    variant,
)
from workstation.domain.codes import Role
from workstation.domain.pib import FLOW, PibState
from workstation.errors import ConflictError, InputError, PermissionDenied, Refusal
from workstation.services import pib as P
from workstation.services.base import Actor
from workstation.services.pib import BapInput, LhpInput, parse_form

# -- separation of duties -------------------------------------------------------------------------------------


def test_the_lhp_inspector_cannot_determine_the_case(env):
    rudi = make_dual_role_user(env)  # inspector and examiner
    cid = env.ready()
    env.pib.issue_instruction(env.examiner, cid, env.detail(cid).version, inspector_login="rudi", level_pct=10,
                              containers=["CSQU3054383", "MSKU9070323"])
    env.pib.record_bap(rudi, cid, env.detail(cid).version, bap_form())
    env.pib.submit_lhp(rudi, cid, env.detail(cid).version, lhp_form())
    before = env.counts()
    with pytest.raises(PermissionDenied) as e:
        env.determine(cid, actor=rudi)
    assert e.value.code == "SEPARATION_OF_DUTIES" and "another examiner" in str(e.value)
    assert env.counts() == before and env.detail(cid).state == P.RESEARCH
    assert env.determine(cid).assessment.outcome.value == "SPPB"  # dewi may


def test_the_case_examiner_cannot_be_appointed_inspector(env):
    rudi = make_dual_role_user(env)
    cid = env.ready()
    # rudi, as the examiner, sends the case to the hangar: he owns it and cannot inspect it
    with pytest.raises(PermissionDenied) as e:
        env.pib.issue_instruction(rudi, cid, env.detail(cid).version, inspector_login="rudi", level_pct=10,
                                  containers=["CSQU3054383"])
    assert e.value.code == "SEPARATION_OF_DUTIES"
    env.pib.issue_instruction(rudi, cid, env.detail(cid).version, inspector_login="budi", level_pct=10,
                              containers=["CSQU3054383", "MSKU9070323"])
    assert env.detail(cid).examiner_login == "rudi"
    # a supervisor re-issuing it cannot hand it to the case's examiner either
    before = env.counts()
    with pytest.raises(PermissionDenied):
        env.pib.issue_instruction(env.supervisor, cid, env.detail(cid).version, inspector_login="rudi",
                                  level_pct=10, containers=["CSQU3054383"])
    assert env.counts() == before


def test_only_the_ip_inspector_reports(env):
    from tests.services.test_pib_support import make_dual_role_user as mk

    joko = mk(env, "joko", roles=["inspector"])
    cid = env.in_inspection()
    with pytest.raises(PermissionDenied) as e:
        env.pib.record_bap(joko, cid, env.detail(cid).version, bap_form())
    assert e.value.code == "NOT_ASSIGNED"
    with pytest.raises(PermissionDenied) as e:  # an examiner has no inspector role at all
        env.pib.submit_lhp(env.examiner, cid, env.detail(cid).version, lhp_form())
    assert e.value.code == "ROLE_REQUIRED"


def test_roles_are_checked_per_transition(env):
    r = env.intake()
    with pytest.raises(PermissionDenied):
        env.pib.pay_billing(env.inspector, r.case_id, r.version, billing_code=r.billing_code, ntpn=NTPN,
                            amount_idr=r.billing_total_idr)
    cid = env.in_research(variant("102"))
    with pytest.raises(PermissionDenied):
        env.determine(cid, actor=env.supervisor)  # determination is the examiner's (PFPD)
    with pytest.raises(PermissionDenied):
        env.pib.block_importer(env.examiner, "012345678901000", "x", "y")


# -- state machine ---------------------------------------------------------------------------------------------


def test_steps_out_of_order_are_refused(env):
    cid = env.registered()
    d = env.detail(cid)
    with pytest.raises(Refusal) as e:  # no goods-readiness notice yet
        env.pib.issue_instruction(env.examiner, cid, d.version, inspector_login="budi", level_pct=10,
                                  containers=["CSQU3054383"])
    assert e.value.code == "INVALID_STATE"
    with pytest.raises(Refusal):
        env.determine(cid)
    with pytest.raises(Refusal):
        env.pib.release(env.officer, cid, d.version)


def test_bap_is_required_before_the_lhp(env):
    cid = env.in_inspection()
    before = env.counts()
    with pytest.raises(Refusal) as e:
        env.pib.submit_lhp(env.inspector, cid, env.detail(cid).version, lhp_form())
    assert e.value.code == "BAP_REQUIRED" and env.counts() == before


def _at(state):
    """Anything the screens hold for a case in `state` (allowed_actions reads only its state)."""
    return SimpleNamespace(state=state)


def test_available_actions_follow_state_and_role(env):
    allowed = env.pib.allowed_actions
    assert allowed(env.examiner, _at(P.RESEARCH)) >= {"pib.determine.SPPB", "pib.request"}
    assert "pib.determine.SPPB" not in allowed(env.supervisor, _at(P.RESEARCH))
    assert allowed(env.inspector, _at(P.INSPECTION)) == {"pib.record_bap", "pib.record_sampling", "pib.submit_lhp"}
    assert allowed(env.officer, _at(P.RESEARCH)) == frozenset()


def _one_role_actor(role: Role) -> Actor:
    return Actor(uuid.uuid4(), role.value, role.value, frozenset({role}), None, "040300")


@pytest.mark.parametrize("state", list(PibState))
@pytest.mark.parametrize("role", list(Role))
def test_allowed_actions_are_the_table_rows_for_every_state_and_role(state, role):
    """The one table says what may happen next: the service derives nothing else (no hand-coded list)."""
    expected = {row.action for row in FLOW if state.value in row.from_states and role in row.roles}
    assert P.PibService.allowed_actions(_one_role_actor(role), _at(state.value)) == expected
    # and the table's own rows name only known states and give the final state no way out
    assert not any(row.from_states & FLOW.final for row in FLOW)


def test_a_case_shows_the_actions_the_service_would_accept(env):
    """What the screens grey out is what the service refuses: a key left on is accepted, one greyed out is
    refused with INVALID_STATE (or ROLE_REQUIRED)."""
    cid = env.registered()
    d = env.detail(cid)
    assert env.pib.allowed_actions(env.examiner, d) == {"pib.goods_ready", "pib.supporting_documents"}
    assert "pib.issue_ip" not in env.pib.allowed_actions(env.examiner, d)
    with pytest.raises(Refusal) as e:
        env.pib.issue_instruction(env.examiner, cid, d.version, inspector_login="budi", level_pct=10,
                                  containers=["CSQU3054383"])
    assert e.value.code == "INVALID_STATE"


def test_a_refused_precondition_carries_its_code(env):
    """Not about state: the table allows the payment, the missing billing refuses it (NO_BILLING); a wrong
    amount is bad input with its code and field."""
    cid = env.in_research(lhp=lhp_form(match=False))
    r = env.determine(cid, [{"seq": 1, "hs_code": "8471500000", "cif": "6500.00", "bm_rate": "5"}])
    d = env.detail(cid)
    assert "pib.pay_sptnp" in env.pib.allowed_actions(env.examiner, d)
    with pytest.raises(InputError) as e:
        env.pib.pay_sptnp(env.examiner, cid, d.version, billing_code=r.billing_code, ntpn=NTPN, amount_idr=1)
    assert (e.value.code, e.value.field) == ("PAYMENT_MISMATCH", "amount_idr")
    with pytest.raises(InputError) as e:
        env.pib.pay_sptnp(env.examiner, cid, d.version, billing_code=r.billing_code, ntpn=NTPN,
                          amount_idr=d.billing("SPTNP").total_idr, paid_on="2099-01-01")
    assert (e.value.code, e.value.field) == ("PAID_IN_FUTURE", "paid_on")


# -- optimistic locking ----------------------------------------------------------------------------------------


def test_a_stale_version_gets_a_clear_conflict_and_nothing_is_lost(env):
    cid = env.in_research()
    seen = env.detail(cid).version  # two examiners open the same case
    env.pib.request_information(env.examiner, cid, seen, kind="NPD", text="first examiner's request")
    before = env.counts()
    with pytest.raises(ConflictError) as e:
        env.pib.request_information(env.examiner, cid, seen, kind="DNP", text="second examiner's request")
    assert e.value.code == "VERSION_CONFLICT" and "reload" in str(e.value) and "dewi" in str(e.value)
    assert env.counts() == before
    d = env.detail(cid)
    assert [r.text for r in d.requests] == ["first examiner's request"]


def test_concurrent_edits_of_one_case_one_wins_the_other_conflicts(env):
    cid = env.in_research()
    seen = env.detail(cid).version
    barrier = threading.Barrier(2)
    results: list[object] = []

    def edit(text: str) -> None:
        barrier.wait()
        try:
            env.pib.request_information(env.examiner, cid, seen, kind="NPD", text=text)
            results.append("ok")
        except ConflictError as exc:
            results.append(exc)

    threads = [threading.Thread(target=edit, args=(f"request {n}",)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(map(str, results)).count("ok") == 1
    assert len([r for r in results if isinstance(r, ConflictError)]) == 1
    assert len(env.detail(cid).requests) == 1


# -- bad form input --------------------------------------------------------------------------------------------


IP_ERRORS = [
    ({"level_pct": 20}, "level_pct"),
    ({"level_pct": "ten"}, "level_pct"),
    ({"containers": ["CSQU3054384"]}, "containers[0]"),  # check digit
    ({"containers": ["TGHU1234567"]}, "containers[0]"),  # valid, but not on this BC 1.1 line
    ({"containers": [], "packages": ""}, "containers"),
    ({"inspector_login": "nobody"}, "inspector"),
]


def test_ip_form_errors_name_the_field_and_write_nothing(env):
    cid = env.ready()
    before = env.counts()
    for kw, field in IP_ERRORS:
        args = {"inspector_login": "budi", "level_pct": 10, "containers": ["CSQU3054383"], **kw}
        with pytest.raises(InputError) as e:
            env.pib.issue_instruction(env.examiner, cid, env.detail(cid).version, **args)
        assert e.value.field == field, kw
    assert env.counts() == before


def test_ip_to_a_user_without_the_inspector_role_is_refused(env):
    cid = env.ready()
    with pytest.raises(Refusal) as e:
        env.pib.issue_instruction(env.examiner, cid, env.detail(cid).version, inspector_login="siti", level_pct=10,
                                  containers=["CSQU3054383"])
    assert e.value.code == "ROLE_REQUIRED"


@pytest.mark.parametrize(("change", "field"), [
    ({"items": [{"seq": 9}]}, "items[0].seq"),
    ({"containers": []}, "containers"),
])
def test_lhp_errors_name_the_field_and_write_nothing(env, change, field):
    cid = env.in_inspection()
    env.pib.record_bap(env.inspector, cid, env.detail(cid).version, bap_form())
    form = lhp_form()
    if "items" in change:
        form = form.model_copy(update={"items": [form.items[0].model_copy(update=change["items"][0])]})
    else:
        form = form.model_copy(update=change)
    before = env.counts()
    with pytest.raises(InputError) as e:
        env.pib.submit_lhp(env.inspector, cid, env.detail(cid).version, form)
    assert e.value.field == field and env.counts() == before


@pytest.mark.parametrize(("data", "field"), [
    ({"quantity": "-3"}, "items[0].quantity"),
    ({"hs_code": "84713"}, "items[0].hs_code"),
    ({"hs_code": "8471x000"}, "items[0].hs_code"),
    ({"origin": "CHN"}, "items[0].origin"),
    ({"quantity": 3.5}, "items[0].quantity"),  # never a float
])
def test_lhp_item_form_errors(data, field):
    base = {"seq": 1, "packages_examined": "1 CT", "description": "x", "quantity": "1", "unit": "PCE",
            "origin": "CN", "hs_code": "8471300000", "match": True}
    with pytest.raises(InputError) as e:
        parse_form(LhpInput, {"items": [{**base, **data}]})
    assert e.value.field == field


def test_the_lhp_hs_code_has_the_rule_sets_post_length(env):
    """A 6-digit code is a well-formed form value, but not a post of this rule set's tariff (8 or 10 digits): the
    hangar's row check and the submission both refuse it, naming the field; nothing is written."""
    row = {"seq": "1", "packages_examined": "1 CT", "description": "x", "quantity": "1", "unit": "PCE",
           "origin": "CN", "hs_code": "847130", "match": True}
    with pytest.raises(InputError) as e:
        env.pib.lhp_item(row)
    assert (e.value.code, e.value.field) == ("HS_CODE", "hs_code") and "8 or 10 digits" in str(e.value)
    assert env.pib.lhp_item({**row, "hs_code": "8471300000"})["hs_code"] == "8471300000"
    cid = env.in_inspection()
    env.pib.record_bap(env.inspector, cid, env.detail(cid).version, bap_form())
    form = lhp_form()
    form = form.model_copy(update={"items": [form.items[0].model_copy(update={"hs_code": "847130"})]})
    before = env.counts()
    with pytest.raises(InputError) as e:
        env.pib.submit_lhp(env.inspector, cid, env.detail(cid).version, form)
    assert (e.value.code, e.value.field) == ("HS_CODE", "items[0].hs_code") and env.counts() == before


def test_unsigned_minutes_are_refused(env):
    cid = env.in_inspection()
    before = env.counts()
    with pytest.raises(InputError) as e:
        env.pib.record_bap(env.inspector, cid, env.detail(cid).version, bap_form(representative_signed=False))
    assert e.value.field == "representative_signed" and env.counts() == before
    with pytest.raises(InputError) as e:
        parse_form(BapInput, {"place": "x"})
    assert e.value.field == "inspected_on"


DETERMINATION_ERRORS = [
    ({"seq": 1, "hs_code": "8471999999"}, "items[seq=1].hs_code"),  # not in the tariff
    ({"seq": 1, "hs_code": "84715000"}, "items[seq=1].hs_code"),  # 8 digits
    ({"seq": 1, "cif": "-100"}, "items[seq=1].cif"),
    ({"seq": 1, "bm_rate": "5%"}, "items[seq=1].bm_rate"),
    ({"seq": 7, "cif": "1"}, "items[seq=7].seq"),
    ({"seq": "x"}, "items.seq"),
]


def test_determination_bad_input_names_the_field_and_writes_nothing(env):
    cid = env.in_research()
    before = env.counts()
    for row, field in DETERMINATION_ERRORS:
        with pytest.raises(InputError) as e:
            env.determine(cid, [row])
        assert e.value.field == field, row
    assert env.counts() == before
    assert env.detail(cid).state == P.RESEARCH


def test_supporting_documents_form(env):
    cid = env.registered()
    with pytest.raises(InputError) as e:
        env.pib.record_supporting_documents(env.examiner, cid, env.detail(cid).version,
                                            [{"kind": "PERMIT", "number": "X"}])
    assert e.value.field == "documents[0].item_seq"
    with pytest.raises(InputError) as e:
        env.pib.record_supporting_documents(env.examiner, cid, env.detail(cid).version,
                                            [{"kind": "NOTE", "number": "X"}])
    assert e.value.field == "documents[0].kind"
    with pytest.raises(InputError) as e:
        env.pib.record_goods_ready(env.examiner, cid, env.detail(cid).version, location="TPS", ready_on="21-11-2026",
                                   contact="x")
    assert e.value.field == "ready_on"


def test_every_change_bumps_the_version_even_when_the_clock_stands_still(env):
    cid = env.registered()
    versions = [env.detail(cid).version]
    env.pib.record_supporting_documents(env.examiner, cid, versions[-1], [{"kind": "INVOICE", "number": "INV-1"}])
    versions.append(env.detail(cid).version)
    env.pib.record_supporting_documents(env.examiner, cid, versions[-1], [{"kind": "BL", "number": "BL-1"}])
    versions.append(env.detail(cid).version)
    assert versions == [versions[0], versions[0] + 1, versions[0] + 2]
    with pytest.raises(ConflictError):
        env.pib.record_supporting_documents(env.examiner, cid, versions[0], [{"kind": "OTHER", "number": "X"}])
