"""The LHP (#12 item 5): previewed before it is submitted, locked once submitted, and amended only explicitly —
a new version with its reason, every earlier version kept exactly as it was recorded."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from db.models import Document
from db.models_pib import PibReport
from tests.services.test_pib_support import (
    bap_form,
    env_fixture,  # noqa: F401  (the `env` fixture)
    lhp_form,
)
from workstation.errors import InputError, PermissionDenied, Refusal
from workstation.services import pib as P


def stored_lhps(env, cid) -> list[tuple[int, dict]]:
    with env.services.ctx.db.read() as s:
        return [(r.version, dict(r.content)) for r in s.scalars(
            select(PibReport).where(PibReport.case_id == cid, PibReport.kind == "LHP").order_by(PibReport.version))]


def test_preview_shows_the_report_and_writes_nothing(env):
    cid = env.in_inspection()
    env.pib.record_bap(env.inspector, cid, env.detail(cid).version, bap_form())
    before = env.counts()
    text = env.pib.preview_lhp(env.inspector, cid, lhp_form(undeclared=True))
    assert "LAPORAN HASIL PEMERIKSAAN" in text and "DRAFT" in text
    assert "CSQU3054383" in text and "Spare rice-cooker lids" in text and "MISMATCH" in text
    assert "Perubahan ke" not in text  # a first LHP amends nothing
    assert env.counts() == before


def test_preview_refuses_what_the_submission_would_refuse(env):
    cid = env.in_inspection()
    with pytest.raises(Refusal) as e:  # no BAP fisik yet
        env.pib.preview_lhp(env.inspector, cid, lhp_form())
    assert e.value.code == "BAP_REQUIRED"
    env.pib.record_bap(env.inspector, cid, env.detail(cid).version, bap_form())
    one = lhp_form().model_copy(update={"containers": lhp_form().containers[:1]})
    with pytest.raises(InputError) as e:
        env.pib.preview_lhp(env.inspector, cid, one)
    assert e.value.code == "CONTAINER_NOT_REPORTED"
    with pytest.raises(PermissionDenied) as e:  # only the IP's inspector
        env.pib.preview_lhp(env.supervisor, cid, lhp_form())
    assert e.value.code in ("ROLE_REQUIRED", "NOT_ASSIGNED")


def test_a_submitted_lhp_is_not_submitted_again(env):
    cid = env.in_research()
    before = env.counts()
    with pytest.raises(Refusal) as e:
        env.pib.submit_lhp(env.inspector, cid, env.detail(cid).version, lhp_form(match=False))
    assert e.value.code == "INVALID_STATE"
    assert env.counts() == before and env.detail(cid).lhp.version == 1


def test_amendment_is_a_new_version_and_version_one_stays_as_it_was(env):
    cid = env.in_research()
    [(_, first)] = stored_lhps(env, cid)
    number = env.detail(cid).lhp.document_number
    first_doc = env.services.issuance.content(number)
    preview = env.pib.preview_lhp(env.inspector, cid, lhp_form(match=False, undeclared=True))
    assert "Perubahan ke" in preview  # the preview of an amendment says what it amends
    env.pib.amend_lhp(env.inspector, cid, env.detail(cid).version, lhp_form(match=False, undeclared=True),
                      reason="lids found behind the pallets")
    d = env.detail(cid)
    assert d.state == P.RESEARCH and d.lhp.version == 2 and d.lhp.content["conclusion"] == "MISMATCH"
    assert d.lhp.amendment_reason == "lids found behind the pallets"
    assert len(d.lhp.lhp.undeclared) == 1  # the stored reason does not disturb the report's own fields
    stored = stored_lhps(env, cid)
    assert [v for v, _ in stored] == [1, 2] and stored[0][1] == first  # version 1 untouched
    assert first["conclusion"] == "MATCH" and "amendment_reason" not in first
    with env.services.ctx.db.read() as s:
        versions = s.execute(select(Document.version, Document.content_json, Document.status)
                             .where(Document.number == number).order_by(Document.version)).all()
    assert [v for v, _, _ in versions] == [1, 2]
    assert versions[0][1:] == (first_doc, "ISSUED")  # the first document's text too, not voided
    history = env.pib.lhp_versions(env.examiner, cid)
    assert [(h.version, h.content["conclusion"]) for h in history] == [(1, "MATCH"), (2, "MISMATCH")]


def test_amendment_needs_a_reason_the_research_state_and_the_current_version(env):
    cid = env.in_research()
    before = env.counts()
    with pytest.raises(InputError) as e:
        env.pib.amend_lhp(env.inspector, cid, env.detail(cid).version, lhp_form(), reason="  ")
    assert (e.value.code, e.value.field) == ("REQUIRED", "reason")
    with pytest.raises(Exception) as e:  # a screen that showed an older case version
        env.pib.amend_lhp(env.inspector, cid, env.detail(cid).version - 1, lhp_form(), reason="recount")
    assert e.value.code == "VERSION_CONFLICT"
    assert env.counts() == before
    env.determine(cid)  # determined: the LHP can no longer change
    with pytest.raises(Refusal) as e:
        env.pib.amend_lhp(env.inspector, cid, env.detail(cid).version, lhp_form(), reason="recount")
    assert e.value.code == "INVALID_STATE"


def test_amendment_is_audited_with_its_reason(env):
    from db.models import AuditEntry

    cid = env.in_research()
    env.pib.amend_lhp(env.inspector, cid, env.detail(cid).version, lhp_form(match=False), reason="recount")
    with env.services.ctx.db.read() as s:
        entries = [e for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
    last = entries[-1]
    blob = json.dumps({c.name: getattr(last, c.name) for c in last.__table__.columns}, default=str)
    assert "pib.amend_lhp" in blob and "recount" in blob


def test_the_hangar_queue_lists_submitted_lhps_last_only_when_asked(env):
    from tests.services.test_pib_support import variant

    done = env.in_research()
    todo = env.in_inspection(variant("102"))
    assert [r.case_id for r in env.pib.queue(env.inspector, view_name="hangar")] == [todo]
    rows = env.pib.queue(env.inspector, view_name="hangar", submitted=True)
    assert [(r.case_id, r.state) for r in rows] == [(todo, P.INSPECTION), (done, P.RESEARCH)]
    env.determine(done)  # determined: no longer amendable, gone from the hangar
    assert [r.case_id for r in env.pib.queue(env.inspector, view_name="hangar", submitted=True)] == [todo]
