"""Optimistic locking of the TPS registry (issue #15 item 7): two supervisors or officers changing the same TPS —
the second is told (VERSION_CONFLICT naming who changed it), never a lost update. The CSV import has no version:
the last writer wins, as an import does."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import select

from db.models_plp import Tps
from tests.e2e.conftest import make_app  # noqa: F401 — the e2e fixture, for the screen test at the end
from workstation.demo.plp import sample_tps_csv
from workstation.domain.codes import Role
from workstation.domain.errors import ErrorCode
from workstation.errors import ConflictError


def _stored(services, code: str) -> Tps:
    with services.ctx.db.read() as s:
        return s.scalar(select(Tps).where(Tps.code == code))


def test_the_second_of_two_sessions_editing_a_tps_gets_the_conflict(services, users):
    plp, admin, sup = services.plp, users[Role.ADMIN], users[Role.SUPERVISOR]
    created = plp.save_tps(sup, "KOJA", "TPK Koja", "PT Koja", "IDTPP", 1000, version=0)
    assert created.version == 1 == _stored(services, "KOJA").version
    # both screens show version 1; the administrator saves first
    shown_to_admin, shown_to_sup = plp.tps("KOJA"), plp.tps("KOJA")
    saved = plp.save_tps(admin, "KOJA", "TPK Koja", "PT Koja", "IDTPP", 1200, version=shown_to_admin.version)
    assert saved.version == 2 and saved.capacity_teu == 1200
    with pytest.raises(ConflictError) as conflict:
        plp.save_tps(sup, "KOJA", "TPK Koja Baru", "PT Koja", "IDTPP", 900, version=shown_to_sup.version)
    assert conflict.value.code is ErrorCode.VERSION_CONFLICT
    assert conflict.value.params == {"reference": "KOJA", "who": "admin"}
    row = _stored(services, "KOJA")
    assert (row.name, row.capacity_teu, row.version) == ("TPK Koja", 1200, 2)  # the admin's change stands
    # reloaded, the supervisor's change goes through
    again = plp.save_tps(sup, "KOJA", "TPK Koja Baru", "PT Koja", "IDTPP", 900, version=plp.tps("KOJA").version)
    assert (again.name, again.version) == ("TPK Koja Baru", 3)
    # saving what is stored changes nothing, not even the version
    assert plp.save_tps(sup, "KOJA", "TPK Koja Baru", "PT Koja", "IDTPP", 900, version=3).version == 3


def test_an_occupancy_report_and_a_registry_edit_do_not_overwrite_each_other(services, users):
    plp, officer, sup = services.plp, users[Role.OFFICER], users[Role.SUPERVISOR]
    plp.save_tps(sup, "MTI1", "MTI", "PT MTI", "IDTPP", 1000, capacity_m3=Decimal("5000"))
    shown = plp.tps("MTI1")
    reported = plp.record_occupancy(officer, "MTI1", teu="700", version=shown.version)
    assert reported.version == shown.version + 1 and reported.teu_used == 700
    # the supervisor's form still shows the old figures: saving them would erase the report
    with pytest.raises(ConflictError) as conflict:
        plp.save_tps(sup, "MTI1", "MTI", "PT MTI", "IDTPP", 1000, capacity_m3=Decimal("5000"),
                     version=shown.version)
    assert conflict.value.params["who"] == "siti"
    with pytest.raises(ConflictError):
        plp.record_occupancy(officer, "MTI1", teu="650", version=shown.version)
    assert plp.tps("MTI1").teu_used == 700
    # a new TPS (version 0) whose code exists is the same conflict: it would overwrite another's row
    with pytest.raises(ConflictError):
        plp.save_tps(sup, "MTI1", "Another", "PT Other", "IDTPP", 10, version=0)
    assert _stored(services, "MTI1").name == "MTI"


def test_without_a_version_the_last_writer_wins_as_the_csv_import_does(services, users):
    plp, sup = services.plp, users[Role.SUPERVISOR]
    plp.save_tps(sup, "KOJA", "Old name", "PT Koja", "IDTPP", 10)
    plp.save_tps(sup, "KOJA", "Newer name", "PT Koja", "IDTPP", 20)  # no version: no check
    assert _stored(services, "KOJA").version == 2
    result = plp.import_tps(sup, sample_tps_csv())
    assert result.changed == 1 and result.added >= 1
    row = _stored(services, "KOJA")
    assert (row.name, row.capacity_teu, row.version) == ("TPK Koja", 8000, 3)
    assert plp.import_tps(sup, sample_tps_csv()).changed == 0 and _stored(services, "KOJA").version == 3


def test_two_concurrent_saves_of_the_same_version_one_wins(services, users):
    """The same on the database under test (PostgreSQL in CI): two threads, each with its own session and the
    same version, started together — exactly one saves, the other is told, nothing is lost."""
    plp = services.plp
    plp.save_tps(users[Role.SUPERVISOR], "KOJA", "TPK Koja", "PT Koja", "IDTPP", 1000)
    start = threading.Barrier(2)
    outcome: dict[str, object] = {}

    def edit(role: Role, capacity: int) -> None:
        actor = users[role]
        start.wait()
        try:
            outcome[actor.login] = plp.save_tps(actor, "KOJA", "TPK Koja", "PT Koja", "IDTPP", capacity, version=1)
        except ConflictError as exc:
            outcome[actor.login] = exc

    threads = [threading.Thread(target=edit, args=(Role.SUPERVISOR, 1100)),
               threading.Thread(target=edit, args=(Role.ADMIN, 1200))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    refused = [login for login, r in outcome.items() if isinstance(r, ConflictError)]
    assert len(outcome) == 2 and len(refused) == 1
    (winner,) = set(outcome) - set(refused)
    assert outcome[refused[0]].params["who"] == winner  # type: ignore[union-attr]
    row = _stored(services, "KOJA")
    assert row.version == 2 and row.capacity_teu == {"agus": 1100, "admin": 1200}[winner]


# -- the screens pass the version they showed ---------------------------------------------------------------

async def test_the_admin_tps_form_says_the_conflict_and_keeps_the_other_change(services, users, make_app):  # noqa: F811
    from screens.widgets.form import FormModal
    from tests.e2e.conftest import login, settle

    plp = services.plp
    plp.save_tps(users[Role.SUPERVISOR], "KOJA", "TPK Koja", "PT Koja", "IDTPP", 1000)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "admin")
        await pilot.press("f9")
        await settle(app, pilot)
        await pilot.press("7")  # the TPS tab
        await settle(app, pilot)
        table = app.screen.query_one("#tps")
        table.move_cursor(row=table.get_row_index("KOJA"))
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, FormModal)
        # meanwhile a supervisor at another terminal changes the same TPS
        plp.save_tps(users[Role.SUPERVISOR], "KOJA", "TPK Koja", "PT Koja", "IDTPP", 1500, version=1)
        form.widget("capacity_teu").value = "2000"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is form  # refused, said in the form
        assert "KOJA" in str(form.query_one("#form-error").render())
        assert _stored(services, "KOJA").capacity_teu == 1500
