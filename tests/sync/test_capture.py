"""Capture: every change of a synced table reaches the change log in its own transaction, from the one write
path; replaying the log into an empty store rebuilds every synced table exactly."""

from __future__ import annotations

import shutil

from sqlalchemy import func, select

from db import changes
from db.engine import Database
from db.models_sync import SyncChange
from db.schema import metadata
from workstation.domain.canonical import canonical_json
from workstation.services.base import cli_actor
from workstation.sync.central import CentralSync


def _table_rows(db, name):
    tbl = metadata.tables[name]
    with db.read() as s:
        return sorted(canonical_json(changes.encode_row(tbl, dict(r))) for r in s.execute(select(tbl)).mappings())


def test_every_table_is_classified():
    unknown = sorted(set(metadata.tables) - set(changes.FLOWS) - {"alembic_version"})
    assert unknown == [], f"say in db.changes.FLOWS how these tables sync: {unknown}"


def test_nothing_is_captured_on_a_database_outside_any_sync(services, users):
    services.issuance.ensure_office_key()
    with services.ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(SyncChange)) == 0


def test_replaying_the_change_log_of_a_whole_demo_rebuilds_every_synced_table(services, tmp_path, unit_template):
    from workstation.demo import DEMO_PASSWORD, DEMO_USERS, seed_workflows

    central = CentralSync(services.ctx)
    central.add_unit(cli_actor(services.settings), "PLB01", "Pos Lintas Batas Entikong")  # from now on: captured
    auth = services.auth
    login, name, _, nip = DEMO_USERS[0]
    auth.create_first_admin(login, name, DEMO_PASSWORD, nip=nip)
    services.issuance.ensure_office_key()
    admin = auth.login(login, DEMO_PASSWORD)
    for login, name, role, nip in DEMO_USERS[1:]:
        auth.create_user(admin, login, name, [role], DEMO_PASSWORD, nip=nip)
    seed_workflows(services)  # every workflow's demo data, through the services

    replica_path = tmp_path / "replica.sqlite"
    shutil.copyfile(unit_template, replica_path)
    replica = Database(f"sqlite:///{replica_path}")
    try:
        with services.ctx.db.read() as s:
            log = s.scalars(select(SyncChange).order_by(SyncChange.seq)).all()
        seqs = [c.seq for c in log]
        assert seqs == list(range(1, len(seqs) + 1)), "the change log is gapless, in commit order"
        with replica.write() as s:
            for c in log:
                tbl = metadata.tables[c.table_name]
                if c.op == "delete":
                    changes.delete_row(s, tbl, c.row_key)
                else:
                    import json

                    changes.upsert_row(s, tbl, c.row_key, json.loads(c.row))
        synced = sorted(t for t, f in changes.FLOWS.items() if f != changes.LOCAL and t in metadata.tables)
        busy = 0
        for name in synced:
            rows = _table_rows(services.ctx.db, name)
            busy += bool(rows)
            got = _table_rows(replica, name)
            missing, extra = sorted(set(rows) - set(got)), sorted(set(got) - set(rows))
            if missing or extra:
                import json as _j

                a = {_j.dumps(_j.loads(r).get("id")): _j.loads(r) for r in missing}
                b = {_j.dumps(_j.loads(r).get("id")): _j.loads(r) for r in extra}
                diffs = {k: {c: (a[k][c], b.get(k, {}).get(c)) for c in a[k] if a[k][c] != b.get(k, {}).get(c)}
                         for k in list(a)[:3]}
                raise AssertionError(f"{name} differs after replaying the change log: {diffs}")
        assert busy >= 20, "the demo writes most synced tables"
    finally:
        replica.dispose()


def test_services_write_through_the_orm_or_say_so():
    """A bulk insert/update/delete in a service would never reach the change log (the replay test above only
    covers what the demo does). Services import none of them, except issuance, whose Core insert of a document
    calls db.changes.record_insert."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    allowed = {"workstation/services/issuance.py"}
    offenders = []
    for path in sorted((root / "workstation" / "services").rglob("*.py")) + sorted((root / "workstation" / "demo").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
                bulk = {a.name for a in node.names} & {"insert", "update", "delete"}
                if bulk and rel not in allowed:
                    offenders.append(f"{rel}: {sorted(bulk)}")
    assert offenders == []
    issuance = (root / "workstation/services/issuance.py").read_text(encoding="utf-8")
    assert 'changes.record_insert(s, "documents", row)' in issuance
