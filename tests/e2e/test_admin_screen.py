"""Administration (F9) driven from the keyboard at 80×24: tabs by digit, each tab's keys, the one form."""

from __future__ import annotations

from sqlalchemy import select

from db.models import User
from screens.widgets.form import FormModal
from tests.conftest import PASSWORD
from tests.e2e.conftest import login, settle
from workstation.domain.codes import Role

ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl siti@laptop"


async def open_admin(app, pilot) -> None:
    await login(app, pilot, "admin")
    await pilot.press("f9")
    await settle(app, pilot)


async def fill(app, pilot, **values) -> None:
    modal = app.screen
    assert isinstance(modal, FormModal)
    for name, value in values.items():
        modal.widget(name).value = value
    await pilot.press("ctrl+s")
    await settle(app, pilot)


def user(services, login):
    with services.ctx.db.read() as s:
        return s.scalar(select(User).where(User.login == login))


def select_row(table, key: str) -> None:
    table.move_cursor(row=table.get_row_index(key))


async def test_users_tab_creates_a_user_and_refuses_a_bad_nip(users, make_app, services):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_admin(app, pilot)
        table = app.screen.query_one("#users")
        assert table.row_count == 5 and app.screen.focused is table
        await pilot.press("n")
        await pilot.pause()
        await fill(app, pilot, login="rina", full_name="Rina Marlina", nip="1990", password=PASSWORD,
                   role_inspector=True)
        assert isinstance(app.screen, FormModal)  # refused: the form stays with the NIP marked
        assert "NIP" in str(app.screen.query_one("#form-error").render())
        assert user(services, "rina") is None
        app.screen.widget("nip").value = "199001012015011009"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert not isinstance(app.screen, FormModal)
        assert user(services, "rina").role_codes == {"inspector"}
        assert app.screen.query_one("#users").row_count == 6


async def test_users_tab_deactivates_resets_and_changes_roles(users, make_app, services):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_admin(app, pilot)
        select_row(app.screen.query_one("#users"), "siti")
        await pilot.press("d")
        await pilot.pause()
        await fill(app, pilot, reason="moved")
        assert not user(services, "siti").active
        await pilot.press("a")
        await pilot.pause()
        await fill(app, pilot, reason="back")
        assert user(services, "siti").active
        await pilot.press("o")
        await pilot.pause()
        assert app.screen.widget("role_officer").value is True  # prefilled from the row
        await fill(app, pilot, role_officer=True, role_examiner=True)
        assert user(services, "siti").role_codes == {"officer", "examiner"}
        await pilot.press("p")
        await pilot.pause()
        await fill(app, pilot, password="new-password-9", again="other-password")
        assert isinstance(app.screen, FormModal)  # the two differ: nothing changed
        await fill(app, pilot, password="new-password-9", again="new-password-9")
        assert not isinstance(app.screen, FormModal)
    services.auth.login("siti", "new-password-9")


async def test_ssh_keys_of_a_user(users, make_app, services):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_admin(app, pilot)
        select_row(app.screen.query_one("#users"), "siti")
        await pilot.press("k")
        await settle(app, pilot)
        keys = app.screen.query_one("#keys")
        assert keys.row_count == 0
        await pilot.press("a")
        await pilot.pause()
        await fill(app, pilot, key=ED25519)
        await settle(app, pilot)
        assert app.screen.query_one("#keys").row_count == 1
        await pilot.press("x")
        await settle(app, pilot)
        from workstation.services.sshkeys import SshKeyService

        listed = SshKeyService(services.ctx).list_keys(users[Role.ADMIN], "siti")
        assert len(listed) == 1 and listed[0].revoked_at is not None
        await pilot.press("f3")
        await settle(app, pilot)
        assert app.screen.query_one("#users").get_row("siti")[-1].plain == "0"


async def test_digits_switch_tabs_and_only_that_tabs_keys_work(users, make_app, services):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_admin(app, pilot)
        tabs = app.screen.query_one("#admin-tabs")
        await pilot.press("2")
        await settle(app, pilot)
        assert tabs.active == "tab-sessions"
        await pilot.press("n")  # a Users key: nothing opens here
        await pilot.pause()
        assert not isinstance(app.screen, FormModal)
        sessions = app.screen.query_one("#sessions")
        siti = users[Role.OFFICER]
        select_row(sessions, str(siti.session_id))
        await pilot.press("e")
        await pilot.pause()
        await fill(app, pilot, reason="left open")
        assert not services.auth.heartbeat(siti)
        await pilot.press("5")
        await settle(app, pilot)
        assert tabs.active == "tab-blocks"
        await pilot.press("b")
        await pilot.pause()
        await fill(app, pilot, npwp="01.234.567.8-901.234", name="PT Contoh", reason="undervaluation")
        blocks = app.screen.query_one("#blocks")
        assert blocks.row_count == 1
        await pilot.press("x")
        await pilot.pause()
        await fill(app, pilot, reason="cleared")
        assert not isinstance(app.screen, FormModal), str(app.screen.query_one("#form-error").render())
        assert app.screen.query_one("#blocks").row_count == 0
        await pilot.press("4")
        await settle(app, pilot)
        assert app.screen.query_one("#rulesets").row_count >= 2
        await pilot.press("1", "slash")
        await pilot.pause()
        await fill(app, pilot, term="wija")
        assert list(app.screen.query_one("#users").rows) and app.screen.query_one("#users").row_count == 1
        assert "wija" in str(app.screen.query_one("#tab-users-keys").render())  # the filter is said


async def test_import_rates_from_the_screen(users, make_app, services, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("currency,rate_idr,valid_from,valid_to\nUSD,abc,2026-11-18,2026-11-24\n")
    good = tmp_path / "kmk.csv"
    good.write_text("currency,rate_idr,valid_from,valid_to\nUSD,16250,2026-11-18,2026-11-24\n")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_admin(app, pilot)
        await pilot.press("4")
        await settle(app, pilot)
        await pilot.press("i")
        await pilot.pause()
        await fill(app, pilot, path=str(bad))
        assert isinstance(app.screen, FormModal)  # refused with its line; nothing stored
        assert services.admin.rates(users[Role.ADMIN]) == []
        await fill(app, pilot, path=str(good))
        assert not isinstance(app.screen, FormModal)
        assert app.screen.query_one("#rates").row_count == 1


async def test_tps_edit_and_field_unit_token_shown_once(users, make_app, services):
    from screens.admin_units import TokenModal

    admin = users[Role.ADMIN]
    services.plp.save_tps(admin, "KOJA", "TPK Koja", "PT Koja", "IDTPP", "8000", facilities="LCL")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_admin(app, pilot)
        await pilot.press("7")
        await settle(app, pilot)
        assert app.screen.query_one("#admin-tabs").active == "tab-tps"
        await pilot.press("e")
        await pilot.pause()
        assert app.screen.widget("capacity_teu").value == "8000"  # prefilled from the row
        await fill(app, pilot, capacity_teu="9000")
        assert services.admin.tps_list(admin)[0].capacity_teu == 9000
        await pilot.press("9")
        await settle(app, pilot)
        await pilot.press("n")  # on this tab: a new unit, not a new user
        await pilot.pause()
        await fill(app, pilot, code="ptk1", name="Mobile unit")
        await settle(app, pilot)
        assert isinstance(app.screen, TokenModal)
        token = str(app.screen.query_one("#unit-token").render())
        assert token.startswith("PTK1.")
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen.query_one("#units").row_count == 1
        # a table drawn empty first still widens to its new rows (it kept its heading widths once)
        for _ in range(300):  # a busy machine paints late (CI on PostgreSQL once took more than 5 s)
            await pilot.pause(0.1)
            shown = app.export_screenshot().replace("&#160;", " ")
            if "Mobile unit" in shown and "token diterbitkan" in shown:
                break
        table = app.screen.query_one("#units")
        assert "Mobile unit" in shown and "token diterbitkan" in shown, (  # what to look at if it fails again
            app.screen.query_one("#admin-tabs").active, [str(c) for c in table.get_row_at(0)],
            [f"{c.label}={c.content_width}" for c in table.columns.values()], table.size, table.display,
            [type(s).__name__ for s in app.screen_stack])
        await pilot.press("x")
        await pilot.pause()
        await fill(app, pilot, reason="stolen")
        assert services.admin.units(admin)[0].revoked
