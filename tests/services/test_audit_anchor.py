"""Issue #11 item 2: the audit chain anchored (the head signed with the office key), every row MAC'd, INSERT
guarded; documents and counters guarded by the database; `audit verify` never crashes on a tampered row."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

from db import audit as chain
from db.models import AuditEntry
from tests.conftest import BACKEND, PASSWORD
from workstation.cli import main
from workstation.domain.codes import Role
from workstation.domain.errors import ErrorCode
from workstation.errors import PermissionDenied, Refusal


@pytest.fixture
def office_key(services):
    """The office key exists before anything is written (as `db upgrade` makes it)."""
    services.issuance.ensure_office_key()
    return services.ctx.office_key()


def _raw(services, table: str, *stmts: str, params: dict | None = None) -> None:
    """What an attacker with database access would do: switch the table's guards off and write."""
    with services.ctx.db.engine.begin() as c:
        if BACKEND == "sqlite":
            for (name,) in c.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
                                     {"t": table}).all():
                c.execute(text(f"DROP TRIGGER {name}"))
        else:
            c.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        for st in stmts:
            c.execute(text(st), params or {})
        if BACKEND != "sqlite":
            c.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))


def _head(services) -> tuple[int, str]:
    with services.ctx.db.read() as s:
        last = s.execute(select(AuditEntry.seq, AuditEntry.row_hash).order_by(AuditEntry.seq.desc()).limit(1)).one()
        return last.seq, last.row_hash


def _verify(services, users):
    return services.audit.verify(users[Role.SUPERVISOR])


def _forge_row(services, *, mac: str | None) -> int:
    """Append a row with a right seq, link and hash, as someone with the database but not the key file would."""
    seq, prev = _head(services)
    import datetime as dt

    from db.models import uuid7

    ts = dt.datetime(2026, 11, 21, 3, 0, tzinfo=dt.UTC)
    e = AuditEntry(seq=seq + 1, ts=ts, actor_id=None, actor_login="agus", session_id=None, office_code="040300",
                   unit_code=None, action="document.void", entity_type="document", entity_id=str(uuid7()),
                   payload="{}", prev_hash=prev, row_hash="")
    row_hash = chain.compute_hash(prev, seq + 1, ts, chain._body(e, {}))
    with services.ctx.db.engine.begin() as c:  # the INSERT guard lets a right seq and link through
        c.execute(AuditEntry.__table__.insert().values(
            seq=seq + 1, ts=ts, actor_login="agus", office_code="040300", action="document.void",
            entity_type="document", entity_id=e.entity_id, payload="{}", prev_hash=prev, row_hash=row_hash,
            row_mac=mac))
    return seq + 1


def test_every_row_is_maced_and_the_day_anchored(services, office_key, users):
    report = _verify(services, users)
    assert report.ok, report.problem
    seq, row_hash = _head(services)
    assert (report.head_seq, report.head_hash) == (seq, row_hash)
    assert report.macs == "checked"
    # the first write of the business day anchored the head it had just written
    assert report.anchors == 1 and report.last_anchor.reason == "daily" and report.last_anchor.head_seq == 1
    assert report.unanchored == seq - 1
    with services.ctx.db.read() as s:
        assert s.scalar(select(AuditEntry.row_mac).where(AuditEntry.seq == seq)) == office_key.mac(row_hash)


def test_next_business_day_anchors_again_and_manual_anchor(services, office_key, users, clock):
    clock.advance(days=1)
    services.auth.unlock_screen(users[Role.OFFICER], PASSWORD)
    report = _verify(services, users)
    assert report.ok and report.anchors == 2 and report.unanchored == 0
    a = services.audit.anchor(users[Role.ADMIN])
    assert a.reason == "manual" and a.head_seq == report.head_seq
    with pytest.raises(PermissionDenied):
        services.audit.anchor(users[Role.OFFICER])


def test_anchor_needs_the_key_file(services, users):
    with pytest.raises(Refusal) as refused:
        services.audit.anchor(users[Role.ADMIN])
    assert refused.value.code is ErrorCode.AUDIT_KEY_MISSING


def test_deleted_tail_is_detected_by_the_anchor(services, office_key, users):
    a = services.audit.anchor(users[Role.SUPERVISOR])
    _raw(services, "audit_log", f"DELETE FROM audit_log WHERE seq > {a.head_seq - 3}")
    report = _verify(services, users)
    assert not report.ok and report.broken_seq == a.head_seq - 2
    assert f"entries #{a.head_seq - 2} to #{a.head_seq} were deleted" in report.problem
    assert report.head_seq == a.head_seq - 3


def test_every_row_deleted_is_detected(services, office_key, users):
    services.audit.anchor(users[Role.SUPERVISOR])
    _raw(services, "audit_log", "DELETE FROM audit_log")
    report = _verify(services, users)
    assert not report.ok and "every entry was deleted" in report.problem and report.entries == 0


def _rewrite_from(services, seq: int, *, keep_macs: bool) -> None:
    """Edit entry `seq` and re-hash it and every later one (a right chain, as verify checked before #11)."""
    with services.ctx.db.read() as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.seq >= seq).order_by(AuditEntry.seq)))
        prev = s.scalar(select(AuditEntry.row_hash).where(AuditEntry.seq == seq - 1)) or chain.GENESIS_HASH
    stmts = []
    for e in rows:
        data = json.loads(e.payload)
        if e.seq == seq:
            data["login"] = "mallory"
        payload = chain.canonical_json(data)
        row_hash = chain.compute_hash(prev, e.seq, e.ts, chain._body(e, data))
        mac = "row_mac" if keep_macs else "NULL"
        stmts.append(f"UPDATE audit_log SET payload = '{payload}', prev_hash = '{prev}', row_hash = '{row_hash}', "
                     f"row_mac = {mac} WHERE seq = {e.seq}")
        prev = row_hash
    _raw(services, "audit_log", *stmts)


def test_edited_and_rehashed_rows_fail_their_mac(services, office_key, users):
    _rewrite_from(services, 4, keep_macs=True)
    report = _verify(services, users)
    assert (report.ok, report.broken_seq) == (False, 4)
    assert "MAC" in report.problem


def test_edited_and_rehashed_without_macs_fails_the_anchor(services, office_key, users):
    a = services.audit.anchor(users[Role.SUPERVISOR])
    _rewrite_from(services, 1, keep_macs=False)
    report = _verify(services, users)
    assert not report.ok
    assert report.broken_seq == 1  # the daily anchor of entry #1 no longer matches
    assert "anchor #1" in report.problem and "rewritten" in report.problem
    assert a.head_seq > 1


def test_forged_row_with_a_right_hash_is_detected(services, office_key, users):
    seq = _forge_row(services, mac=None)
    report = _verify(services, users)
    assert (report.ok, report.broken_seq) == (False, seq)
    assert "no MAC" in report.problem and "forged" in report.problem


def test_forged_row_with_a_made_up_mac_is_detected(services, office_key, users):
    seq = _forge_row(services, mac="ab" * 32)
    report = _verify(services, users)
    assert (report.ok, report.broken_seq) == (False, seq) and "MAC does not match" in report.problem


def test_forged_anchor_is_detected(services, office_key, users):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    other = chain.ChainKey(Ed25519PrivateKey.generate(), "040300", office_key.zone)
    with services.ctx.db.write() as s:
        chain.anchor(s, other, "manual", services.ctx.now())  # signed, but not with the office key
    report = _verify(services, users)
    assert not report.ok and "anchor #2" in report.problem and "not signed by the office key" in report.problem


def test_insert_is_guarded(services, users):
    seq, row_hash = _head(services)
    bad = [(seq + 2, row_hash), (seq, row_hash), (seq + 1, "f" * 64)]
    for s_, prev in bad:
        with pytest.raises(Exception, match="seq must be the next number"), services.ctx.db.engine.begin() as c:
            c.execute(text("INSERT INTO audit_log (seq, ts, actor_login, action, entity_type, entity_id, payload, "
                           "prev_hash, row_hash) VALUES (:seq, :ts, 'x', 'x', 'x', 'x', '{}', :prev, :h)"),
                      {"seq": s_, "ts": services.ctx.now(), "prev": prev, "h": "0" * 64})


def test_anchors_are_append_only(services, office_key, users):
    for stmt in ("UPDATE audit_anchors SET head_seq = 0", "DELETE FROM audit_anchors"):
        with pytest.raises(Exception, match="append-only"), services.ctx.db.engine.begin() as c:
            c.execute(text(stmt))


def test_counters_only_advance_by_one(services, users):
    with services.ctx.db.engine.begin() as c:
        c.execute(text("INSERT INTO counters (office_code, unit_code, doc_type, year, last_value) "
                       "VALUES ('040300', '', 'T', 2026, 1)"))
        c.execute(text("UPDATE counters SET last_value = last_value + 1 WHERE doc_type = 'T'"))
    for stmt in ("UPDATE counters SET last_value = last_value + 2", "UPDATE counters SET last_value = 1",
                 "UPDATE counters SET year = 2027, last_value = last_value + 1", "DELETE FROM counters",
                 "INSERT INTO counters (office_code, unit_code, doc_type, year, last_value) "
                 "VALUES ('040300', '', 'U', 2026, 7)"):
        with pytest.raises(Exception, match="counters"), services.ctx.db.engine.begin() as c:
            c.execute(text(stmt))
    with services.ctx.db.read() as s:
        assert s.execute(text("SELECT last_value FROM counters WHERE doc_type = 'T'")).scalar() == 2


def _issue(services, actor):
    from tests.services.test_documents import _sppb

    return services.issuance.issue(actor, "SPPB", _sppb(services))


def test_documents_only_void_with_a_second_user(services, office_key, users):
    doc = _issue(services, users[Role.EXAMINER])
    sup, exam = users[Role.SUPERVISOR].user_id, users[Role.EXAMINER].user_id
    now = "'2026-11-21 03:00:00'"
    refused = [
        f"UPDATE documents SET status = 'VOID', voided_at = {now}, void_reason = 'x'",  # nobody confirmed
        f"UPDATE documents SET status = 'VOID', voided_at = {now}, void_reason = 'x', "
        f"voided_by = :u, void_confirmed_by = :u",  # the same user twice
        f"UPDATE documents SET status = 'VOID', voided_at = {now}, void_reason = '', voided_by = :u, "
        f"void_confirmed_by = :v",  # no reason
        f"UPDATE documents SET status = 'VOID', voided_at = {now}, void_reason = 'x', voided_by = :u, "
        f"void_confirmed_by = :v, unit_code = 'X'",  # something else changes with it
        "DELETE FROM documents",
    ]
    uid = exam.hex if BACKEND == "sqlite" else str(exam)
    vid = sup.hex if BACKEND == "sqlite" else str(sup)
    for stmt in refused:
        with pytest.raises(Exception, match="documents"), services.ctx.db.engine.begin() as c:
            c.execute(text(stmt), {"u": uid, "v": vid})
    confirmer = services.auth.confirm_supervisor(users[Role.EXAMINER], "agus", PASSWORD, "void")
    voided = services.issuance.void(users[Role.EXAMINER], doc.number, "wrong importer", confirmer)
    assert voided.status == "VOID"


@pytest.mark.parametrize(("column", "value"), [
    ("payload", '{"amount":1.5}'),
    ("payload", '{"amount":NaN}'),
    ("payload", "[" * 50_000 + "]" * 50_000),
    ("payload", '{"b":1,"a":2}'),
    ("payload", "not json"),
    ("actor_id", "not-a-uuid"),
    ("ts", "yesterday at noon"),
])
def test_tampered_rows_are_named_never_crash(services, users, column, value):
    if column in ("ts", "actor_id") and BACKEND != "sqlite":
        pytest.skip("PostgreSQL's types refuse these values themselves")
    _raw(services, "audit_log", f"UPDATE audit_log SET {column} = :v WHERE seq = 3", params={"v": value})
    report = _verify(services, users)
    assert (report.ok, report.broken_seq) == (False, 3)
    assert "tampered" in report.problem or "edited" in report.problem


@pytest.fixture
def cli(services, settings, monkeypatch, capsys):
    monkeypatch.setenv("WORKSTATION_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("WORKSTATION_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("WORKSTATION_PASSWORD_HASHING", "fast")
    monkeypatch.delenv("WORKSTATION_CONFIG", raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_cli_anchor_and_verify_report_the_head(cli, services, office_key, users):
    code, out, err = cli("audit", "anchor")
    assert code == 0 and out.startswith("anchor #2 ") and "signed" in out
    code, out, err = cli("audit", "verify")
    seq, row_hash = _head(services)
    assert code == 0, out + err
    assert f"head #{seq} {row_hash[:16]}" in out and "2 signed anchors" in out and "MACs: checked" in out


def test_cli_verify_names_a_tampered_row_exit_1(cli, services, users):
    _raw(services, "audit_log", "UPDATE audit_log SET payload = :v WHERE seq = 2", params={"v": '{"a":NaN}'})
    code, out, err = cli("audit", "verify")
    assert code == 1 and "Traceback" not in err
    assert out.splitlines()[0].startswith("audit chain BROKEN at entry #2") and "NaN" in out



def test_a_tampered_anchor_row_is_named_never_crashes(services, office_key, users):
    if BACKEND != "sqlite":
        pytest.skip("PostgreSQL's types refuse the value themselves")
    _raw(services, "audit_anchors", "UPDATE audit_anchors SET anchored_at = 'soon'")
    report = _verify(services, users)
    assert not report.ok and "anchors cannot be read" in report.problem
