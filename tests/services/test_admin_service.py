"""Administration service (issue #15 item 3): for each change the role is checked, the audit entry is written in
the same transaction, bad input is refused with its code and then nothing is written, a stale row is refused."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from db.models import AuditEntry, User, UserSession
from tests.conftest import PASSWORD
from workstation.domain.codes import Role
from workstation.domain.errors import ErrorCode
from workstation.errors import (
    AccountLocked,
    AuthenticationFailed,
    InputError,
    NotFound,
    PermissionDenied,
    Refusal,
)

NPWP = "012345678901234"


def audit_count(services, action: str) -> int:
    with services.ctx.db.read() as s:
        return s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))


def user_row(services, login: str) -> User:
    with services.ctx.db.read() as s:
        return s.scalar(select(User).where(User.login == login))


def row(services, actor, login):
    return next(u for u in services.admin.list_users(actor) if u.login == login)


# -- users -------------------------------------------------------------------------------------------------------
def test_create_user_checks_nip_before_anything(services, users):
    admin = users[Role.ADMIN]
    for bad in ("12345", "1234567890123456789", "12345678901234567a", "１２３４５６７８９０１２３４５６７８"):
        with pytest.raises(InputError) as e:
            services.admin.create_user(admin, "rina", "Rina", ["officer"], PASSWORD, nip=bad)
        assert e.value.code == ErrorCode.NIP and e.value.field == "nip"
    assert user_row(services, "rina") is None
    assert audit_count(services, "user.create") == 4  # the fixture's four users only
    info = services.admin.create_user(users[Role.ADMIN], "rina", "Rina", ["officer"], PASSWORD,
                                      nip="199001012015011009")
    assert info.nip == "199001012015011009"
    assert audit_count(services, "user.create") == 5


def test_create_user_needs_admin(services, users):
    with pytest.raises(PermissionDenied) as e:
        services.admin.create_user(users[Role.SUPERVISOR], "rina", "Rina", ["officer"], PASSWORD)
    assert e.value.code == ErrorCode.ROLE_REQUIRED
    assert user_row(services, "rina") is None


def test_list_users_search_and_ssh_key_count(services, users):
    admin = users[Role.ADMIN]
    assert [u.login for u in services.admin.list_users(admin, "wija")] == ["agus"]
    assert services.admin.list_users(admin, "%") == []  # a wildcard is searched literally
    with pytest.raises(PermissionDenied):
        services.admin.list_users(users[Role.OFFICER])


def test_set_roles_refuses_a_stale_version(services, users):
    admin = users[Role.ADMIN]
    seen = row(services, admin, "siti")
    services.admin.set_roles(admin, "siti", ["officer", "inspector"], seen.version)
    with pytest.raises(Refusal) as e:  # another admin's screen still shows the old row
        services.admin.set_roles(admin, "siti", ["examiner"], seen.version)
    assert e.value.code == ErrorCode.VERSION_CONFLICT
    assert user_row(services, "siti").role_codes == {"officer", "inspector"}


def test_deactivate_then_reactivate(services, users):
    admin = users[Role.ADMIN]
    with pytest.raises(InputError) as e:
        services.admin.deactivate(admin, "siti", "  ")
    assert e.value.code == ErrorCode.REQUIRED and e.value.field == "reason"
    assert user_row(services, "siti").active
    services.admin.deactivate(admin, "siti", "moved to another office", row(services, admin, "siti").version)
    assert not user_row(services, "siti").active
    assert audit_count(services, "user.deactivate") == 1

    with pytest.raises(PermissionDenied) as e:
        services.admin.reactivate(users[Role.SUPERVISOR], "siti", "back")
    assert e.value.code == ErrorCode.ROLE_REQUIRED
    stale = row(services, admin, "siti").version - 1
    with pytest.raises(Refusal) as e:
        services.admin.reactivate(admin, "siti", "back", stale)
    assert e.value.code == ErrorCode.VERSION_CONFLICT
    assert audit_count(services, "user.reactivate") == 0 and not user_row(services, "siti").active

    back = services.admin.reactivate(admin, "siti", "back", row(services, admin, "siti").version)
    assert back.active and user_row(services, "siti").active
    assert audit_count(services, "user.reactivate") == 1
    services.auth.login("siti", PASSWORD)  # can log in again
    with pytest.raises(Refusal) as e:
        services.admin.reactivate(admin, "siti", "again")
    assert e.value.code == ErrorCode.ALREADY_DONE
    assert audit_count(services, "user.reactivate") == 1


def test_unlock_by_admin(services, users, settings):
    admin = users[Role.ADMIN]
    with pytest.raises(Refusal) as e:
        services.admin.unlock(admin, "siti")
    assert e.value.code == ErrorCode.ALREADY_DONE
    for _ in range(settings.max_failed_logins):
        with pytest.raises((AuthenticationFailed, AccountLocked)):
            services.auth.login("siti", "wrong password")
    assert user_row(services, "siti").locked_at is not None
    with pytest.raises(PermissionDenied):
        services.admin.unlock(users[Role.OFFICER], "siti")
    assert user_row(services, "siti").locked_at is not None
    services.admin.unlock(admin, "siti", row(services, admin, "siti").version)
    assert user_row(services, "siti").locked_at is None
    assert audit_count(services, "user.unlock") == 1
    services.auth.login("siti", PASSWORD)
    with pytest.raises(NotFound) as e:
        services.admin.unlock(admin, "nobody")
    assert e.value.code == ErrorCode.UNKNOWN_USER


def test_reset_password(services, users):
    admin = users[Role.ADMIN]
    before = user_row(services, "siti").password_hash
    with pytest.raises(InputError) as e:
        services.admin.reset_password(admin, "siti", "short")
    assert e.value.code == ErrorCode.WEAK_PASSWORD
    with pytest.raises(PermissionDenied) as e:
        services.admin.reset_password(users[Role.SUPERVISOR], "siti", "new-password-1")
    assert e.value.code == ErrorCode.ROLE_REQUIRED
    with pytest.raises(PermissionDenied) as e:
        services.admin.reset_password(admin, "admin", "new-password-1")
    assert e.value.code == ErrorCode.SAME_USER
    assert user_row(services, "siti").password_hash == before
    assert audit_count(services, "user.password_reset") == 0

    services.admin.reset_password(admin, "siti", "new-password-1")
    assert audit_count(services, "user.password_reset") == 1
    with services.ctx.db.read() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "user.password_reset"))
        assert "new-password-1" not in entry.payload and "siti" in entry.payload
    services.auth.login("siti", "new-password-1")
    with pytest.raises(AuthenticationFailed):
        services.auth.login("siti", PASSWORD)


# -- sessions ----------------------------------------------------------------------------------------------------
def test_admin_ends_another_users_session(services, users):
    admin, siti = users[Role.ADMIN], users[Role.OFFICER]
    with pytest.raises(InputError) as e:
        services.admin.end_session(admin, siti.session_id, "")
    assert e.value.code == ErrorCode.REQUIRED
    with pytest.raises(PermissionDenied):
        services.admin.end_session(users[Role.EXAMINER], siti.session_id, "done")
    with pytest.raises(PermissionDenied) as e:
        services.admin.end_session(admin, admin.session_id, "mine")
    assert e.value.code == ErrorCode.SAME_USER
    assert services.auth.heartbeat(siti)
    assert audit_count(services, "session.end") == 0

    services.admin.end_session(admin, siti.session_id, "left the counter open")
    assert not services.auth.heartbeat(siti)
    assert audit_count(services, "session.end") == 1
    with services.ctx.db.read() as s:
        assert s.get(UserSession, siti.session_id).ended_by == admin.user_id
    with pytest.raises(Refusal) as e:
        services.admin.end_session(admin, siti.session_id, "again")
    assert e.value.code == ErrorCode.ALREADY_ENDED
    with pytest.raises(NotFound) as e:
        services.admin.end_session(admin, uuid.uuid4(), "none")
    assert e.value.code == ErrorCode.UNKNOWN_SESSION


# -- rule sets and rates -----------------------------------------------------------------------------------------
def test_rule_sets_and_rates(services, users):
    admin = users[Role.ADMIN]
    sets = services.admin.rule_sets(admin)
    assert sets and {r.kind for r in sets} >= {"ecd", "pib"}
    assert all(len(r.sha256) == 64 and r.shipped and r.decisions == 0 for r in sets)
    with pytest.raises(PermissionDenied):
        services.admin.rule_sets(users[Role.OFFICER])

    csv = "currency,rate_idr,valid_from,valid_to\nUSD,16250.00,2026-11-18,2026-11-24\nEUR,17600,2026-11-18,2026-11-24\n"
    assert services.reference.import_rates(admin, text=csv, source="kmk.csv") == (2, 0)
    rates = services.admin.rates(admin)
    assert [(r.currency, r.rate_idr) for r in rates] == [("EUR", Decimal("17600")), ("USD", Decimal("16250"))]
    from screens.admin import rate_text

    assert rate_text(Decimal("16250.5")) == "16.250,50"
    assert [r.currency for r in services.admin.rates(admin, "usd")] == ["USD"]


# -- blocked importers -------------------------------------------------------------------------------------------
def test_block_and_lift_an_importer(services, users):
    admin = users[Role.ADMIN]
    with pytest.raises(InputError) as e:
        services.admin.block_importer(admin, "12-34", "PT Contoh", "fraud")
    assert e.value.code == ErrorCode.NPWP
    with pytest.raises(InputError) as e:
        services.admin.block_importer(admin, NPWP, "PT Contoh", " ")
    assert e.value.code == ErrorCode.REQUIRED and e.value.field == "reason"
    with pytest.raises(PermissionDenied):
        services.admin.block_importer(users[Role.OFFICER], NPWP, "PT Contoh", "fraud")
    assert services.admin.importer_blocks(admin) == []
    assert audit_count(services, "importer.block") == 0

    services.admin.block_importer(admin, "01.234.567.8-901.234", "PT Contoh", "undervaluation")
    blocks = services.admin.importer_blocks(admin)
    assert [(b.npwp, b.blocked_by) for b in blocks] == [(NPWP, "admin")]
    assert services.admin.importer_blocks(admin, "contoh") and not services.admin.importer_blocks(admin, "lain")
    # the PIB service sees the same block
    assert [b.npwp for b in services.pib.blocked_importers(admin)] == [NPWP]
    with pytest.raises(Refusal) as e:
        services.admin.block_importer(users[Role.SUPERVISOR], NPWP, "PT Contoh", "again")
    assert e.value.code == ErrorCode.ALREADY_BLOCKED
    assert audit_count(services, "importer.block") == 1

    with pytest.raises(InputError):
        services.admin.unblock_importer(admin, NPWP, "")
    services.admin.unblock_importer(admin, NPWP, "cleared by audit")
    assert services.admin.importer_blocks(admin) == []
    assert services.admin.importer_blocks(admin, include_lifted=True)[0].lift_reason == "cleared by audit"
    assert audit_count(services, "importer.unblock") == 1
    with pytest.raises(Refusal) as e:
        services.admin.unblock_importer(admin, NPWP, "again")
    assert e.value.code == ErrorCode.NOT_BLOCKED


# -- tariff and lartas -------------------------------------------------------------------------------------------
def test_tariff_and_lartas_search(services, users):
    import datetime as dt
    from decimal import Decimal

    from db.models_pib import LartasRule, TariffPost

    with services.ctx.db.write() as s:
        s.add(TariffPost(hs_code="8517130000", description="Smartphones", bm_rate=Decimal("0"), source="t",
                         imported_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)))
        s.add(TariffPost(hs_code="0901110000", description="Coffee, not roasted", bm_rate=Decimal("5"), source="t",
                         imported_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)))
        s.add(LartasRule(hs_prefix="8517", permit="Sertifikat Postel", agency="Kominfo", source="t",
                         imported_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)))
    admin = users[Role.ADMIN]
    assert [t.hs_code for t in services.admin.tariff_posts(admin)] == ["0901110000", "8517130000"]
    assert [t.hs_code for t in services.admin.tariff_posts(admin, "8517")] == ["8517130000"]
    assert [(t.hs_code, t.bm_rate) for t in services.admin.tariff_posts(admin, "coffee")] == [("0901110000", "5")]
    assert [r.agency for r in services.admin.lartas_rules(admin, "postel")] == ["Kominfo"]
    with pytest.raises(PermissionDenied):
        services.admin.tariff_posts(users[Role.OFFICER])


# -- TPS registry and field units --------------------------------------------------------------------------------
def test_tps_list_and_edit_through_the_plp_service(services, users):
    admin = users[Role.ADMIN]
    assert services.admin.tps_list(admin) == []
    with pytest.raises(PermissionDenied):
        services.admin.tps_list(users[Role.OFFICER])
    services.plp.save_tps(admin, "KOJA", "TPK Koja", "PT Koja", "IDTPP", "8000", facilities="LCL")
    (koja,) = services.admin.tps_list(admin)
    assert (koja.code, koja.capacity_teu, koja.facilities) == ("KOJA", 8000, ("LCL",))
    assert audit_count(services, "plp.tps_save") == 1


def test_field_units_add_reenrol_revoke(services, users):
    from db.models_sync import SyncUnit
    from workstation.sync.central import CentralSync

    central = CentralSync(services.ctx)  # what the screen calls to add a unit and issue tokens
    admin = users[Role.ADMIN]
    with pytest.raises(InputError) as e:
        services.admin.unit_code("PTK-01")
    assert e.value.code == ErrorCode.PATTERN and e.value.field == "code" and e.value.params["example"]
    assert services.admin.unit_code(" ptk1 ") == "PTK1"
    with pytest.raises(PermissionDenied):
        central.add_unit(users[Role.SUPERVISOR], "PTK1", "Mobile unit")
    assert services.admin.units(admin) == []
    assert audit_count(services, "sync.unit_add") == 0

    token = central.add_unit(admin, "PTK1", "Mobile unit")
    assert token.startswith("PTK1.") and len(token) > 20
    (unit,) = services.admin.units(admin)
    assert (unit.code, unit.enrolled, unit.revoked, unit.pending_token) == ("PTK1", False, False, True)
    with services.ctx.db.read() as s:
        assert token not in str(s.get(SyncUnit, "PTK1").token_hash)  # kept hashed only

    with pytest.raises(InputError) as e:
        services.admin.revoke_unit(admin, "PTK1", "")
    assert e.value.code == ErrorCode.REQUIRED
    with pytest.raises(PermissionDenied):
        services.admin.revoke_unit(users[Role.SUPERVISOR], "PTK1", "lost")
    assert audit_count(services, "sync.unit_revoke") == 0
    services.admin.revoke_unit(admin, "PTK1", "machine stolen")
    assert services.admin.units(admin)[0].revoked
    assert audit_count(services, "sync.unit_revoke") == 1
    with pytest.raises(Refusal) as e:
        services.admin.revoke_unit(admin, "PTK1", "again")
    assert e.value.code == ErrorCode.ALREADY_DONE
    with pytest.raises(Refusal) as e:
        services.admin.revoke_unit(admin, "NONE", "x")
    assert e.value.code == ErrorCode.SYNC_UNKNOWN_UNIT

    again = central.reenrol_unit(admin, "PTK1")
    assert again != token and not services.admin.units(admin)[0].revoked
    assert audit_count(services, "sync.unit_reenrol") == 1
