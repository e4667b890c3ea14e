"""A field unit enrols, works offline, pushes then pulls; central applies each change once, merges by field,
keeps the loser of a collision, and follows stage order for a case's state."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from db.models import Case, Document
from db.models_sync import SyncChange, SyncConflict, UnitAuditEntry
from tests.conftest import PASSWORD
from tests.services.passenger_support import base_doc, green_doc, text
from workstation.domain.codes import Role
from workstation.errors import Refusal
from workstation.sync.client import LocalTransport
from workstation.sync.unit import UnitSync


def count(db, model, *where):
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def enrolled(enrol):
    """Unit PLB01 enrolled at central, with rates imported at central before (reference data)."""
    return enrol("PLB01")


def test_enrolment_brings_the_reference_data_and_a_token_works_once(central, enrolled, make_unit):
    assert count(enrolled.db, Case) == 0
    # the officers of central log in at the unit (users and roles came with the enrolment)
    assert enrolled.officer.login == "siti" and Role.OFFICER in enrolled.officer.roles
    other = make_unit("PLB01", "again")
    with pytest.raises(Refusal) as exc:
        UnitSync(other.ctx).enrol(LocalTransport(central.sync), "PLB01.wrong-token", None)
    assert exc.value.code == "SYNC_BAD_TOKEN"


def test_offline_cases_reach_central_once_with_numbers_carrying_the_unit_code(central, enrolled):
    ecd = enrolled.services.ecd
    v = ecd.import_ecd(enrolled.officer, text(base_doc("ECD-20261121-000001"))).view
    ecd.import_ecd(enrolled.officer, text(green_doc("ECD-20261121-000002")))
    v = ecd.record_finding(enrolled.officer, v.case.id, v.version, item_no=1, status="FOUND", value="1500.00",
                           hs_code="8471.30.00.00", note="invoice shows 1,500")
    v = ecd.reassess(enrolled.officer, v.case.id, v.version)  # a billing slip: an official number, offline
    pending = count(enrolled.db, SyncChange, SyncChange.acked_at.is_(None))
    assert pending > 0
    summary = enrolled.sync.sync(enrolled.transport)
    assert summary.pushed == pending and summary.pending == 0 and summary.conflicts == 0
    assert count(central.db, Case, Case.kind == "ECD") == 2
    with central.db.read() as s:
        numbers = s.scalars(select(Document.number)).all()
    assert numbers and all("-PLB01/" in n for n in numbers), numbers
    # a second sync sends nothing again; central's copy of the unit's audit chain grew and verifies
    again = enrolled.sync.sync(enrolled.transport)
    assert again.pushed == 0 and again.pending == 0
    chains = central.sync.verify_unit_chains()
    assert [(c[0], c[3]) for c in chains] == [("PLB01", None)] and chains[0][2] > 0
    assert v is not None


def test_a_push_whose_reply_was_lost_is_answered_already_applied(central, enrolled):
    enrolled.services.ecd.import_ecd(enrolled.officer, text(green_doc("ECD-20261121-000003")))
    me = enrolled.sync.node()
    body, _ = enrolled.sync.push_body(me, enrolled.transport.state(me.epoch))
    first = enrolled.transport.push(body)  # central commits; the unit never hears the answer
    again = enrolled.transport.push(body)
    assert first["applied"] == len(body["changes"]) and again["applied"] == 0
    assert again["duplicates"] == len(body["changes"])
    assert enrolled.sync.sync(enrolled.transport).pending == 0
    assert count(central.db, Case, Case.reference == "ECD-20261121-000003") == 1


def test_same_field_changed_on_both_sides_keeps_the_first_at_central_and_the_other_whole(central, enrolled):
    officer_c = central.users[Role.OFFICER]
    v = central.services.ecd.import_ecd(officer_c, text(base_doc("ECD-20261121-000010"))).view
    enrolled.sync.sync(enrolled.transport)  # the unit has the case now
    with enrolled.db.read() as s:
        assert s.get(Case, v.case.id) is not None
    # both sides assign the case to someone else, offline
    with central.db.write() as s:
        s.get(Case, v.case.id).assigned_to = central.users[Role.SUPERVISOR].user_id
        s.get(Case, v.case.id).summary = {**s.get(Case, v.case.id).summary, "note": "central"}
    with enrolled.db.write() as s:
        s.get(Case, v.case.id).assigned_to = enrolled.officer.user_id
        s.get(Case, v.case.id).lane = "red"
    summary = enrolled.sync.sync(enrolled.transport)
    assert summary.conflicts == 1
    with central.db.read() as s:
        c = s.get(Case, v.case.id)
        assert c.assigned_to == central.users[Role.SUPERVISOR].user_id  # first committed at central wins
        conflict = s.scalars(select(SyncConflict)).one()
        assert json.loads(conflict.fields) == ["assigned_to"]
        assert json.loads(conflict.theirs)["assigned_to"] == str(enrolled.officer.user_id)
    with enrolled.db.read() as s:  # the unit converged on central's row and sees the conflict
        c = s.get(Case, v.case.id)
        assert c.assigned_to == central.users[Role.SUPERVISOR].user_id and c.summary.get("note") == "central"
        assert s.scalar(select(func.count()).select_from(SyncConflict)) == 1


def test_a_later_stage_wins_the_state(central, enrolled):
    officer_c = central.users[Role.OFFICER]
    v = central.services.ecd.import_ecd(officer_c, text(base_doc("ECD-20261121-000011"))).view
    enrolled.sync.sync(enrolled.transport)
    with central.db.write() as s:
        s.get(Case, v.case.id).state = "INSPECTING"
    with enrolled.db.write() as s:
        s.get(Case, v.case.id).state = "BILLED"
    assert enrolled.sync.sync(enrolled.transport).conflicts == 0
    for node in (central, enrolled):
        with node.db.read() as s:
            assert s.get(Case, v.case.id).state == "BILLED"


def test_a_unit_cannot_push_another_units_changes_or_reference_data(central, enrolled):
    enrolled.services.ecd.import_ecd(enrolled.officer, text(green_doc("ECD-20261121-000020")))
    me = enrolled.sync.node()
    body, _ = enrolled.sync.push_body(me, enrolled.transport.state(me.epoch))
    forged = json.loads(json.dumps(body))
    forged["changes"][0]["origin"] = "PLB02"
    before = count(central.db, SyncChange)
    with pytest.raises(Refusal) as exc:
        enrolled.transport.push(forged)
    assert exc.value.code == "SYNC_WRONG_ORIGIN"
    assert count(central.db, SyncChange) == before and count(central.db, UnitAuditEntry) == 0


def test_a_unit_restored_from_a_backup_is_refused_until_it_re_enrols_with_a_new_epoch(central, enrolled):
    import shutil

    from db.engine import Database
    from workstation.services import Services
    from workstation.services.base import ServiceContext

    ecd = enrolled.services.ecd
    enrolled.sync.sync(enrolled.transport)
    enrolled.db.dispose()
    backup = enrolled.path.with_name("backup.sqlite")
    shutil.copyfile(enrolled.path, backup)  # the nightly backup
    v = ecd.import_ecd(enrolled.officer, text(base_doc("ECD-20261121-000040"))).view
    v = ecd.record_finding(enrolled.officer, v.case.id, v.version, item_no=1, status="FOUND", value="1500.00")
    ecd.reassess(enrolled.officer, v.case.id, v.version)  # number 1 of the unit's billing slips
    enrolled.sync.sync(enrolled.transport)
    enrolled.db.dispose()
    shutil.copyfile(backup, enrolled.path)  # the disk died; the backup comes back
    for suffix in ("-wal", "-shm"):
        enrolled.path.with_name(enrolled.path.name + suffix).unlink(missing_ok=True)
    db = Database(enrolled.settings.effective_database_url)
    restored = Services(ServiceContext(db=db, settings=enrolled.settings, clock=enrolled.ctx.clock))
    try:
        officer = restored.auth.login("siti", PASSWORD)
        sync = UnitSync(restored.ctx)
        with pytest.raises(Refusal) as exc:
            sync.sync(enrolled.transport)
        assert exc.value.code == "SYNC_CHAIN_BROKEN" and "re-enrol" in exc.value.message
        token = central.sync.reenrol_unit(central.users[Role.ADMIN], "PLB01")
        assert sync.enrol(enrolled.transport, token, None)["epoch"] == 2
        w = restored.ecd.import_ecd(officer, text(base_doc("ECD-20261121-000041"))).view
        w = restored.ecd.record_finding(officer, w.case.id, w.version, item_no=1, status="FOUND", value="1500.00")
        w = restored.ecd.reassess(officer, w.case.id, w.version)  # the same counter position as before the restore
        assert sync.sync(enrolled.transport).pending == 0
        with central.db.read() as s:
            numbers = s.scalars(select(Document.number)).all()
        assert len(numbers) == len(set(numbers)), "no official number was issued twice"
        assert any("-PLB01.2/" in n for n in numbers) and any("-PLB01/" in n for n in numbers)
        assert [(c[0], c[1], c[3]) for c in central.sync.verify_unit_chains()] == [("PLB01", 1, None),
                                                                                   ("PLB01", 2, None)]
    finally:
        db.dispose()


def test_audit_verify_at_central_finds_a_tampered_unit_chain(central, enrolled):
    from sqlalchemy import text as sql

    enrolled.services.ecd.import_ecd(enrolled.officer, text(green_doc("ECD-20261121-000050")))
    enrolled.sync.sync(enrolled.transport)
    assert [c[3] for c in central.sync.verify_unit_chains()] == [None]
    with central.db.engine.begin() as c:
        if central.db.backend == "sqlite":
            c.execute(sql("DROP TRIGGER sync_unit_audit_no_update"))
        else:
            c.execute(sql("ALTER TABLE sync_unit_audit DISABLE TRIGGER USER"))
        c.execute(sql("UPDATE sync_unit_audit SET entry = replace(entry, 'ecd.open', 'ecd.opem')"))
    problems = [c[3] for c in central.sync.verify_unit_chains()]
    assert problems[0] is not None and "does not match its hash" in problems[0]


def test_a_unit_cannot_create_reference_data_that_central_would_never_see(central, enrolled):
    admin = enrolled.services.auth.login("admin", PASSWORD)
    with pytest.raises(Refusal) as exc:
        enrolled.services.auth.create_user(admin, "lokal", "Petugas Lokal", [Role.OFFICER], PASSWORD)
    assert exc.value.code == "SYNC_REFERENCE_AT_CENTRAL" and "users" in exc.value.message
    with enrolled.db.read() as s:
        from db.models import User

        assert s.scalar(select(func.count()).select_from(User).where(User.login == "lokal")) == 0


def test_a_slow_transaction_at_central_is_never_skipped_by_a_pull(central, enrolled):
    """Feed positions are taken under the write lock at commit: a pull that runs while a transaction is still
    open sees none of it, and a later pull sees it with no gap, before anything committed after it."""
    import threading

    officer_c = central.users[Role.OFFICER]
    me = enrolled.sync.node()
    start = enrolled.transport.pull(me.epoch, 0, 1000)["next"]
    inside, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def slow() -> None:
        try:
            with central.db.write() as s:
                s.add(Case(kind="ECD", reference="SLOW-1", office_code="040300", state="GREEN", lane="green",
                           opened_on=central.ctx.today()))
                s.flush()
                inside.set()
                release.wait(20)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    t = threading.Thread(target=slow)
    t.start()
    assert inside.wait(20)
    during = enrolled.transport.pull(me.epoch, start, 1000)
    assert during["changes"] == []
    later = threading.Thread(target=lambda: central.services.ecd.import_ecd(
        officer_c, text(green_doc("ECD-20261121-000060"))))
    later.start()  # waits for the write lock behind the slow transaction
    release.set()
    t.join(30)
    later.join(30)
    assert not errors
    after = enrolled.transport.pull(me.epoch, start, 1000)["changes"]
    seqs = [c["seq"] for c in after]
    assert seqs == list(range(start + 1, start + 1 + len(seqs)))
    refs = [c["row"].get("reference") for c in after if c["table"] == "cases"]
    assert refs == ["SLOW-1", "ECD-20261121-000060"]
