"""The field-unit sync as officers see it (issue #14): the status bar's sync panel, the unit's sync screen with
"Sync now" over real HTTP (uvicorn in a thread in front of central), a refusal said from its error code, and
central's conflict review — a conflict made by the engine, opened field by field, resolved with a reason,
gone from the list and audited. Central is the suite's database (SQLite, or PostgreSQL under .ci/run); units
are SQLite files. The service behind the screens (workstation.sync.service) is tested on its own below."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import func, select

from db.models import AuditEntry, Case
from db.models_sync import SyncConflict
from tests.conftest import PASSWORD
from tests.e2e.conftest import login, settle
from tests.services.passenger_support import RATES, green_doc, text
from tests.sync import conftest as sync_fixtures
from workstation.domain.codes import Role
from workstation.errors import NotFound, PermissionDenied, Refusal
from workstation.sync.client import HttpTransport, LocalTransport
from workstation.sync.service import SyncService
from workstation.sync.unit import UnitSync

# the sync suite's fixtures: central on the suite's database, units as SQLite files
central = sync_fixtures.central
make_unit = sync_fixtures.make_unit
unit_template = sync_fixtures.unit_template
url = sync_fixtures.url


def count(db, model, *where):
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def unit(central, url, make_unit):
    """Unit PLB01 enrolled over HTTP (the server URL stored, as `workstation sync --server URL --enrol T`)."""
    token = central.sync.add_unit(central.users[Role.ADMIN], "PLB01", "Pos Entikong")
    node = make_unit("PLB01")
    node.sync = UnitSync(node.ctx)
    node.sync.enrol(HttpTransport(url), token, url)
    node.officer = node.services.auth.login("siti", PASSWORD)
    return node


def unit_app(node, clock, lang: str = "en"):
    from screens.app import WorkstationApp

    app = WorkstationApp(node.settings, services=node.services, clock=clock)
    app.translator.set_language(lang)
    return app


async def open_sync(app, pilot):
    """The sync section (by its key once the lead has added it to screens/sections.py)."""
    from screens.sync import SyncScreen

    if "sync" in app._section_modes:
        await app.switch_mode("sync")
    else:
        app.add_mode("sync", SyncScreen)
        await app.switch_mode("sync")
    await settle(app, pilot)
    return app.screen


async def panel_text(app, pilot) -> str:
    from screens.widgets.statusbar import poll_sync_now

    poll_sync_now(app)
    await settle(app, pilot)
    return str(app.screen.query_one("StatusBar").render())


def _text(widget) -> str:
    return str(widget.render())


# -- the unit ------------------------------------------------------------------------------------------------
async def test_status_bar_shows_the_units_pending_changes_and_last_sync(unit, clock):
    unit.services.ecd.import_ecd(unit.officer, text(green_doc("ECD-20261121-000401")))
    pending = SyncService(unit.ctx).panel().pending
    assert pending > 0
    app = unit_app(unit, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "siti")
        line = await panel_text(app, pilot)
        # never synced since the enrolment; the panel fits 80 columns beside who and where
        assert f"Sync: {pending} pending · last never" in line, line
        assert "siti (" in line and "/PLB01" in line  # the role as the status bar words it


async def test_the_status_bar_says_it_in_indonesian(unit, clock):
    from workstation.i18n import Translator

    if Translator("id")("Sync: {pending} pending · last {time}") == "Sync: {pending} pending · last {time}":
        pytest.skip("the Indonesian catalogue is not compiled with the sync strings yet (pybabel compile)")
    unit.services.ecd.import_ecd(unit.officer, text(green_doc("ECD-20261121-000402")))
    pending = SyncService(unit.ctx).panel().pending
    app = unit_app(unit, clock, "id")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "siti")
        assert f"Sinkron: {pending} tertunda · terakhir belum pernah" in await panel_text(app, pilot)


async def test_sync_now_pushes_pulls_and_the_panel_shows_nothing_pending(central, unit, clock):
    unit.services.ecd.import_ecd(unit.officer, text(green_doc("ECD-20261121-000403")))
    app = unit_app(unit, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "siti")
        screen = await open_sync(app, pilot)
        info = _text(screen.query_one("#sync-info"))
        assert "Field unit PLB01" in info and "Last sync: never" in info
        assert "Pending changes: 0" not in info
        await pilot.press("s")
        await settle(app, pilot)
        result = _text(screen.query_one("#sync-result"))
        assert "Sync done: pushed" in result and "pending 0" in result, result
        assert "Pending changes: 0" in _text(screen.query_one("#sync-info"))
        assert "Sync: 0 pending · last 09:00" in await panel_text(app, pilot)  # 02:00 UTC in Jakarta
        assert not screen.query_one("#sync-run").display  # the progress bar is gone
    assert count(central.db, Case, Case.reference == "ECD-20261121-000403") == 1


async def test_a_refused_sync_is_said_from_its_error_code_and_nothing_is_lost(unit, clock):
    unit.services.ecd.import_ecd(unit.officer, text(green_doc("ECD-20261121-000404")))
    pending = SyncService(unit.ctx).panel().pending
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    SyncService(unit.ctx).set_server(dead)
    app = unit_app(unit, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "siti")
        screen = await open_sync(app, pilot)
        await pilot.press("s")
        await settle(app, pilot)
        result = _text(screen.query_one("#sync-result"))
        assert f"Sync failed: cannot reach the sync server {dead}" in result, result
        assert f"Sync: {pending} pending" in await panel_text(app, pilot)
    assert SyncService(unit.ctx).panel().pending == pending


# -- central: the conflict review ----------------------------------------------------------------------------
@pytest.fixture
def conflict(central, make_unit):
    """A conflict made by the engine: central releases a green e-CD while the unit (offline) diverts it."""
    central.services.reference.import_rates(central.users[Role.SUPERVISOR], RATES)
    token = central.sync.add_unit(central.users[Role.ADMIN], "PLB01", "Pos Entikong")
    node = make_unit("PLB01")
    transport = LocalTransport(central.sync)
    sync = UnitSync(node.ctx)
    sync.enrol(transport, token, None)
    officer_c = central.users[Role.OFFICER]
    v = central.services.ecd.import_ecd(officer_c, text(green_doc("ECD-20261121-000410"))).view
    assert v.state == "GREEN"
    sync.sync(transport)
    central.services.ecd.release(officer_c, v.case.id, v.version)
    officer_u = node.services.auth.login("siti", PASSWORD)
    node.services.ecd.divert(officer_u, v.case.id, v.version, "pemeriksaan acak")
    assert sync.sync(transport).conflicts == 1
    node.case_id = v.case.id
    return node


async def test_conflict_review_lists_opens_and_resolves_a_conflict(central, conflict, make_app):
    app = make_app()
    app.translator.set_language("en")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "agus")
        assert "Sync: 1 conflicts" in await panel_text(app, pilot)
        screen = await open_sync(app, pilot)
        table = screen.query_one("#sync-conflicts")
        assert table.row_count == 1
        row = [str(c) for c in table.get_row_at(0)]
        assert row[0] == "cases" and row[1] == "ECD-20261121-000410" and row[2] == "state" and row[3] == "PLB01"
        await pilot.press("enter")
        await settle(app, pilot)
        modal = app.screen
        assert type(modal).__name__ == "ConflictModal"
        diffs = modal.query_one("#conflict-diffs")
        first = [str(c) for c in diffs.get_row_at(0)]
        assert first == ["! state", "RED", "RELEASED"]  # the collided field first: the unit's vs central's
        assert "RED" in _text(modal.query_one("#conflict-full"))
        await pilot.press("r")
        await settle(app, pilot)
        form = app.screen
        assert type(form).__name__ == "FormModal"
        form.query_one("#form-resolution").value = "case released at central; unit informed"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is screen  # both dialogs closed
        assert screen.query_one("#sync-conflicts").row_count == 0
        assert "Sync: 0 conflicts" in await panel_text(app, pilot)
    with central.db.read() as s:
        c = s.scalars(select(SyncConflict)).one()
        assert c.resolved_by == "agus" and c.resolution == "case released at central; unit informed"
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "sync.conflict_resolve")).one()
        assert entry.actor_login == "agus" and entry.entity_id == str(c.id)


async def test_an_officer_at_central_sees_conflicts_but_cannot_resolve(central, conflict, make_app):
    app = make_app()
    app.translator.set_language("en")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "siti")
        screen = await open_sync(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "ConflictModal"
        await pilot.press("r")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "ConflictModal"  # no form
        await pilot.press("f3")
        await settle(app, pilot)
        assert app.screen is screen
    assert count(central.db, SyncConflict, SyncConflict.resolved_at.is_(None)) == 1


async def test_a_unit_shows_the_conflict_central_sent_back_read_only(conflict, clock):
    app = unit_app(conflict, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "agus")
        screen = await open_sync(app, pilot)
        assert screen.query_one("#sync-conflicts").row_count == 1
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("r")  # resolving is central's: nothing opens
        await settle(app, pilot)
        assert type(app.screen).__name__ == "ConflictModal"


# -- the service behind the screens (both back ends: central on the suite's database) ------------------------
def test_a_standalone_office_has_nothing_to_show(services):
    svc = SyncService(services.ctx)
    assert svc.panel().role is None and svc.status().role is None and svc.conflicts() == []
    with pytest.raises(Refusal) as exc:
        svc.sync_now()
    assert exc.value.code == "SYNC_NOT_ENROLLED"


def test_the_service_shows_a_conflict_field_by_field_and_only_central_resolves(central, conflict):
    svc = SyncService(central.ctx)
    assert svc.panel().role == "central" and svc.panel().conflicts == 1
    [row] = svc.conflicts()
    view = svc.conflict(str(row.id))
    assert view.diffs[0].field == "state" and view.diffs[0].collided
    assert (view.diffs[0].theirs, view.diffs[0].ours) == ("RED", "RELEASED")
    assert view.same_fields > 0 and all(d.theirs != d.ours for d in view.diffs)
    with pytest.raises(PermissionDenied):
        svc.resolve(central.users[Role.OFFICER], row.id, "seen")
    with pytest.raises(Refusal) as exc:  # on the unit: central's row would overwrite a resolution
        SyncService(conflict.ctx).resolve(conflict.services.auth.login("agus", PASSWORD), row.id, "seen")
    assert exc.value.code == "SYNC_NOT_CENTRAL"
    with pytest.raises(NotFound) as nf:
        svc.conflict("not-a-conflict")
    assert nf.value.code == "SYNC_UNKNOWN_CONFLICT"
    svc.resolve(central.users[Role.SUPERVISOR], row.id, "seen at central")
    assert svc.conflicts() == [] and svc.panel().conflicts == 0
    assert svc.conflict(row.id).resolved_by == "agus"


def test_the_panels_count_is_bounded(unit, monkeypatch):
    from workstation.sync import service

    unit.services.ecd.import_ecd(unit.officer, text(green_doc("ECD-20261121-000420")))
    exact = SyncService(unit.ctx).panel().pending
    assert exact > 2
    monkeypatch.setattr(service, "PANEL_CAP", 2)
    panel = SyncService(unit.ctx).panel()
    assert (panel.pending, panel.pending_more) == (2, True)


def test_sync_now_without_a_server_url_is_refused_with_its_code(central, make_unit):
    token = central.sync.add_unit(central.users[Role.ADMIN], "PLB02", "Pos Aruk")
    node = make_unit("PLB02")
    UnitSync(node.ctx).enrol(LocalTransport(central.sync), token, None)
    with pytest.raises(Refusal) as exc:
        SyncService(node.ctx).sync_now()
    assert exc.value.code == "SYNC_NO_SERVER"


async def test_stored_text_in_a_conflict_is_shown_as_text_never_markup(central, make_app):
    """A row's values are whatever a unit sent: markup and control characters show literally (#11 item 6)."""
    import json
    import uuid

    central.sync.add_unit(central.users[Role.ADMIN], "PLB01", "Pos Entikong")  # makes this database central
    hostile = "[/]X[link=http://evil]Y[/link]\x1b[2J"
    with central.db.write() as s:
        s.add(SyncConflict(change_id=uuid.uuid4(), origin="PLB01", table_name="cases", row_key='["k"]',
                           fields=json.dumps(["summary"]), theirs=json.dumps({"reference": hostile, "summary": hostile}),
                           ours=json.dumps({"reference": hostile, "summary": "[b]ok[/b]"}),
                           detected_at=central.ctx.now()))
    app = make_app()
    app.translator.set_language("en")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "agus")
        screen = await open_sync(app, pilot)
        assert str(screen.query_one("#sync-conflicts").get_row_at(0)[1]).startswith("[/]X[link=http://ev")
        await pilot.press("enter")
        await settle(app, pilot)
        modal = app.screen
        assert "[/]X[link=http://evil]Y[/link]\\x1b[2J" in _text(modal.query_one("#conflict-head"))
        full = _text(modal.query_one("#conflict-full"))
        assert "[/]X[link=http://evil]Y[/link]\\x1b[2J" in full and "[b]ok[/b]" in full


def test_the_last_result_is_said_in_the_users_language():
    from screens.sync import _result_text
    from workstation.i18n import Translator

    stored = "pushed 12, pulled 3, conflicts 1, pending 0"
    assert _result_text(stored, Translator("id")) == "dikirim 12, diterima 3, konflik 1, tertunda 0"
    assert _result_text(stored, Translator("en")) == stored
    assert _result_text("bundle: pulled 4, pending 0", Translator("id")) == "bundle: pulled 4, pending 0"
