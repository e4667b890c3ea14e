"""The office service: what an unconfigured install knows, the first run, the administrator's change."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import AuditEntry, Office
from tests.conftest import PASSWORD
from workstation.domain.codes import Role
from workstation.errors import InputError, Refusal
from workstation.services.office import NOT_CONFIGURED


@pytest.fixture
def services(services):
    """The shared services as an install whose configuration file has no [office] table (whatever the test
    settings give): the office is known only by the defaults until entered."""
    services.ctx.settings.__pydantic_fields_set__.discard("office")
    return services


OFFICE = {"code": "050100", "name": "KPPBC TMP B Entikong", "address": "Jl. Lintas Malindo", "city": "Sanggau",
          "timezone": "Asia/Pontianak"}


def test_an_unconfigured_install_says_so_and_refuses_to_issue(services):
    view = services.office.get()
    assert view.configured is False and view.code == services.settings.office.code
    with pytest.raises(Refusal) as e:
        services.office.require_configured()
    assert e.value.code == NOT_CONFIGURED


def test_first_run_enters_the_office_before_any_user_and_audits_it(services):
    view = services.office.configure_first_run(**OFFICE, phone="(0564) 123")
    assert view.configured and view.code == "050100" and view.timezone == "Asia/Pontianak"
    assert services.settings.office.code == "050100"  # this process follows at once
    again = services.office.get()
    assert again == view
    services.auth.create_first_admin("admin", "Admin", PASSWORD)
    with services.ctx.db.read() as s:
        row = s.get(Office, "050100")
        assert row.city == "Sanggau"
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "office.update")).one()
        assert entry.entity_id == "050100" and "(0564) 123" in entry.payload
    with pytest.raises(Refusal):  # an administrator exists now: the first-run door is closed
        services.office.configure_first_run(**OFFICE)


@pytest.mark.parametrize(("field", "value", "code"), [
    ("code", "12345", "PATTERN"), ("code", "04030A", "PATTERN"), ("name", " ", "REQUIRED"),
    ("timezone", "Asia/Atlantis", "NOT_ONE_OF"), ("city", "x" * 101, "TOO_LONG"),
])
def test_bad_office_fields_are_refused_with_a_code_naming_the_field(services, field, value, code):
    with pytest.raises(InputError) as e:
        services.office.configure_first_run(**{**OFFICE, field: value})
    assert e.value.code == code and e.value.field == field
    assert services.office.get().configured is False  # nothing written


def test_only_an_administrator_updates_the_office(services, users):
    with pytest.raises(Exception) as e:
        services.office.update(users[Role.OFFICER], name="X")
    assert getattr(e.value, "code", None) == "ROLE_REQUIRED" or "role" in str(e.value).lower()
    view = services.office.update(users[Role.ADMIN], name="KPPBC Baru", phone="021-1")
    assert view.configured and view.name == "KPPBC Baru" and view.phone == "021-1"
    assert services.office.get().name == "KPPBC Baru"
    assert services.office.require_configured().name == "KPPBC Baru"
    with pytest.raises(Refusal):  # users belong to the office: its code stays
        services.office.update(users[Role.ADMIN], code="999999")


def test_the_issuing_check_refuses_until_the_office_is_entered_then_remembers(services, users):
    from workstation.services.office import require_configured_in

    with services.ctx.db.read() as s, pytest.raises(Refusal) as e:
        require_configured_in(s, services.ctx)
    assert e.value.code == NOT_CONFIGURED
    services.office.update(users[Role.ADMIN], name="KPPBC Baru")
    with services.ctx.db.read() as s:
        require_configured_in(s, services.ctx)
    assert services.ctx._office_configured is True


def test_a_restarted_process_takes_the_office_entered_on_the_first_run(services, settings, clock):
    from db.engine import Database
    from workstation.services import Services
    from workstation.services.base import ServiceContext

    services.office.configure_first_run(**OFFICE)
    db = Database(settings.effective_database_url)
    try:
        fresh = Services(ServiceContext(db=db, settings=settings, clock=clock))  # the configuration's defaults
        fresh.ctx.settings.__pydantic_fields_set__.discard("office")
        assert fresh.settings.office.code == "040300"
        view = fresh.office.apply()
        assert view.configured and fresh.settings.office.code == "050100"
        assert fresh.settings.office.timezone == "Asia/Pontianak"
        assert fresh.issuance.office_info().office_name == "KPPBC TMP B Entikong"  # the letterhead
    finally:
        db.dispose()
