"""`workstation demo --unit` (workstation/demo/sync.py): a field unit beside the demo's central database,
enrolled and synced through an in-process central, with real figures for the sync screen — pending changes,
a last sync, a conflict the engine kept — and central's sync API served over HTTP so that "Sync now" works.
Both databases are SQLite files in the demo directory, whatever the suite's back end."""

from __future__ import annotations

from sqlalchemy import func, select

from db.models import Case
from db.models_sync import SyncConflict
from workstation.config import load_settings
from workstation.demo.sync import UNIT_CODE, prepare_unit_demo
from workstation.services import open_services
from workstation.sync.service import SyncService


def _settings(demo):
    return load_settings(None, **demo.overrides, password_hashing="fast")


def test_the_unit_demo_enrols_syncs_and_leaves_real_figures(tmp_path):
    demo = prepare_unit_demo(tmp_path)
    assert str(demo.unit_db) in demo.banner and str(demo.central_db) in demo.banner
    try:
        unit = demo.build(_settings(demo))
        assert unit.settings.effective_database_url == f"sqlite:///{demo.unit_db}"
        st = SyncService(unit.ctx).status()
        assert (st.role, st.unit, st.epoch) == ("unit", UNIT_CODE, 1)
        assert st.pending > 0 and st.last_sync_at is not None and st.conflicts == 1
        assert st.server == demo.server_url and st.server.startswith("http://127.0.0.1:")
        # central holds the unit's synced work and the conflict, and is the usual demo besides
        central = open_services(demo.central_settings(unit.settings))
        try:
            with central.ctx.db.read() as s:
                assert s.scalar(select(func.count()).select_from(SyncConflict)) == 1
                refs = set(s.scalars(select(Case.reference)).all())
            assert any(r.endswith("-000503") for r in refs)  # taken at the unit, pushed
            assert not any(r.endswith("-000504") for r in refs)  # taken after the last sync: pending
            [row] = SyncService(central.ctx).conflicts()
            assert row.unit == UNIT_CODE and "state" in row.fields
            # "Sync now" over HTTP to the demo's server
            result = SyncService(unit.ctx).sync_now()
            assert result.pushed == st.pending and result.pending == 0
            with central.ctx.db.read() as s:
                assert s.scalar(select(func.count()).select_from(Case)
                                .where(Case.reference.like("%-000504"))) == 1
        finally:
            central.ctx.db.dispose()
        unit.ctx.db.dispose()
    finally:
        demo.close()


def test_a_second_start_on_the_same_directory_reuses_the_unit(tmp_path):
    first = prepare_unit_demo(tmp_path)
    try:
        unit = first.build(_settings(first))
        before = SyncService(unit.ctx).status()
        unit.ctx.db.dispose()
    finally:
        first.close()
    again = prepare_unit_demo(tmp_path)
    try:
        unit = again.build(_settings(again))
        after = SyncService(unit.ctx).status()
        # not enrolled again (same epoch), same figures; the server URL is this run's
        assert (after.epoch, after.pending, after.conflicts) == (before.epoch, before.pending, before.conflicts)
        assert after.server == again.server_url
        assert SyncService(unit.ctx).sync_now().pending == 0
        unit.ctx.db.dispose()
    finally:
        again.close()
