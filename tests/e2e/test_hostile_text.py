"""Stored text is shown as text, never as markup (#11 item 6): the demo data with hostile names — a passenger
`Budi [/] Santoso`, an importer with `[link=…]`, a TPS operator with `[/b]`, a user's name with both, a login
`[/]` typed at the login screen — renders on every screen without a crash, and the literal text appears."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static

from screens.documents import DocumentModal
from screens.widgets.text import assemble, cells, clean, esc, plain
from tests.e2e.conftest import login, settle

PASSENGER = "Budi [/] Santoso"
IMPORTER = "PT [link=http://x]Jahat[/link]"
OPERATOR = "PT [/b] Terminal [b]Koja"
FULL_NAME = "Agus [/] [link=http://x]W"
DEMO_PASSWORD = "demo12345"


@pytest.fixture
def hostile(services, monkeypatch):
    import workstation.demo as demo
    import workstation.demo.ecd as ecd_demo
    import workstation.demo.pib as pib_demo
    import workstation.demo.plp as plp_demo
    from tests.services.test_plp_demo import _demo_users

    monkeypatch.setattr(ecd_demo, "DEMO_NAMES", ((PASSENGER, "IDN"), *ecd_demo.DEMO_NAMES[1:]))
    monkeypatch.setattr(pib_demo, "_DEMO_IMPORTERS",
                        [(pib_demo._DEMO_IMPORTERS[0][0], IMPORTER), *pib_demo._DEMO_IMPORTERS[1:]])
    tps = plp_demo.sample_tps_csv().replace("PT Pelabuhan Indonesia II (TPK Koja)", OPERATOR)
    monkeypatch.setattr(plp_demo, "sample_tps_csv", lambda: tps)
    monkeypatch.setattr(demo, "DEMO_USERS", [
        (login, FULL_NAME if login == "agus" else name, role, nip) for login, name, role, nip in demo.DEMO_USERS])
    _demo_users(services)
    demo.seed_workflows(services)
    return services


def _shown(screen) -> str:
    """Every piece of text the screen shows in its tables and static texts, as plain text."""
    parts: list[str] = []
    for widget in screen.query("*"):
        if isinstance(widget, DataTable):
            for key in widget.rows:
                parts.extend(str(cell) for cell in widget.get_row(key))
        elif isinstance(widget, Static):
            parts.append(str(widget.render()))
    return "\n".join(parts)


async def test_every_screen_shows_hostile_names_as_text(hostile, make_app):
    from sqlalchemy import select

    from db.models import Document

    with hostile.ctx.db.read() as s:
        number = s.scalars(select(Document.number).order_by(Document.number)).first()
    assert number
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        # login: a login name that is markup, typed by anyone (its failure is audited and shown to supervisors)
        await login(app, pilot, "[/]", "wrong-password")
        await login(app, pilot, "[link=http://x]", "wrong-password")
        assert app.actor is None
        await login(app, pilot, "agus", DEMO_PASSWORD)
        assert app.actor is not None
        assert FULL_NAME in _shown(app.screen)  # home: "Welcome, Agus [/] …"
        expected = {"f3": PASSENGER, "f4": None, "f5": IMPORTER[:14], "f6": OPERATOR, "f7": None,
                    "f8": FULL_NAME[:24]}
        for key, literal in expected.items():
            await pilot.press(key)
            await settle(app, pilot)
            if key == "f3":
                app.screen.action_toggle_tab()  # the counter's arrivals queue
                await settle(app, pilot)
            await pilot.pause()
            text = _shown(app.screen)
            if literal is not None:
                assert literal in text, (key, literal)
        # the warehouse TPS list and the supervision audit list hold the hostile texts in tables
        await pilot.press("f8")
        await settle(app, pilot)
        app.push_screen(DocumentModal(number))
        await settle(app, pilot)
        await pilot.pause()
        assert number in _shown(app.screen)
        app.pop_screen()
        await pilot.press("f11")  # the lock screen shows the user's name
        await pilot.pause()
        assert FULL_NAME in _shown(app.screen)
        await pilot.press(*DEMO_PASSWORD, "enter")
        await settle(app, pilot)
        await pilot.press("f10")
        await settle(app, pilot)
        await login(app, pilot, "admin", DEMO_PASSWORD)
        await pilot.press("f9")
        await settle(app, pilot)
        await pilot.pause()
        assert FULL_NAME[:22] in _shown(app.screen)
        app.notify(f"{PASSENGER} {IMPORTER}")  # notifications are text too
        await pilot.pause()
    assert app.return_code in (None, 0)


def test_the_helper_never_parses_markup_and_escapes_controls():
    assert plain("[b]x[/b]") == "[b]x[/b]" and not plain("[b]x[/b]").spans
    assert plain(IMPORTER).plain == IMPORTER
    assert clean("a\x1b[2Jb\u202ec\x07") == "a\\x1b[2Jb\\u202ec\\x07"
    assert clean("a\nb") == "a\\nb" and clean("a\nb", lines=True) == "a\nb"
    line = assemble(("Locked", "bold"), f" — {FULL_NAME}")
    assert line.plain == f"Locked — {FULL_NAME}" and [str(s.style) for s in line.spans] == ["bold"]
    from rich.text import Text

    assert Text.from_markup(f"[b]{esc(PASSENGER)}[/b]").plain == PASSENGER
    out = cells("[/]", 3)
    assert out[0].plain == "[/]" and out[1] == 3 and not isinstance(out[0], str)


def test_the_cli_prints_stored_text_without_terminal_escapes(services, monkeypatch, capsys):
    """`print --failed` and `verify` print stored text (a printer target, an error, a document's fields)
    with its control characters shown escaped: a name can never clear the screen or retitle the terminal."""
    import argparse
    import datetime as dt
    import uuid

    import workstation.commands.common as common
    from printing.verify import VerifyResult, VerifyStatus
    from workstation.commands import documents as cmd
    from workstation.services.documents import JobView

    evil = "lp0\x1b[2J\x1b]0;pwned\x07"
    job = JobView(uuid.uuid4(), "SPPB-1\x1b[31m", "printer", evil, "FAILED", 2, "offline\x1b[2J", dt.datetime.now())
    monkeypatch.setattr(services.documents, "failed_jobs", lambda: [job])
    monkeypatch.setattr(services.documents, "verify_number",
                        lambda number: VerifyResult(VerifyStatus.VALID, "ok", "OK", number, None,
                                                    (("party", "Budi \x1b[2J\u202eSantoso"),)))
    monkeypatch.setattr(common, "services_from", lambda args, **kw: services)
    assert cmd.print_cmd(argparse.Namespace(failed=True, retry_failed=False, number=None)) == 0
    cmd.verify_cmd(argparse.Namespace(target="SPPB-000001"))
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "lp0\\x1b[2J\\x1b]0;pwned\\x07" in out and "Budi \\x1b[2J\\u202eSantoso" in out
