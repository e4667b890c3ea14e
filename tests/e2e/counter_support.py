"""Helpers for the counter (e-CD) screen tests of #12: cases in each state, opening the counter in a language,
and reading what the terminal shows."""

from __future__ import annotations

from textual.geometry import Region

from screens.passenger import CounterScreen
from tests.e2e.conftest import login, settle
from tests.services.passenger_support import base_doc, green_doc, setup, text
from workstation.domain.codes import Role

RED_ID = "ECD-20261121-000123"
GREEN_ID = "ECD-20261121-000200"


def red_and_green(services, users) -> None:
    """A red e-CD (laptop above the allowance) and a green one, as imported before the flight lands."""
    setup(services, users)
    services.ecd.import_ecd(users[Role.OFFICER], text(base_doc()))
    services.ecd.import_ecd(users[Role.OFFICER], text(green_doc()))


def billed(services, users):
    """The red e-CD inspected (the laptop found at USD 1,500) and reassessed: BILLED, waiting for payment."""
    officer = users[Role.OFFICER]
    v = services.ecd.scan(officer, f"ECD:{RED_ID}")
    v = services.ecd.record_finding(officer, v.case.id, v.version, item_no=1, status="FOUND", description=None,
                                    quantity=None, unit=None, hs_code="8471300000", value="1500.00",
                                    currency="USD", personal_use=None, note="")
    v = services.ecd.reassess(officer, v.case.id, v.version)
    assert v.state == "BILLED"
    return v


async def open_counter(app, pilot, language: str = "id", who: str = "siti") -> CounterScreen:
    app.translator.set_language(language)
    await login(app, pilot, who)
    await pilot.press("f3")
    await settle(app, pilot)
    assert isinstance(app.screen, CounterScreen)
    return app.screen


async def scan(app, pilot, ecd_id: str) -> None:
    """A keyboard-wedge reader: the payload typed into the scan field, then Enter."""
    field = app.screen.query_one("#ecd-scan")
    field.focus()
    await pilot.pause()
    await pilot.press(*f"ECD:{ecd_id}", "enter")
    await settle(app, pilot)


def screen_lines(app) -> list[str]:
    """What the terminal shows now, line by line (the top screen over the ones below it)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def region_text(app, region: Region) -> str:
    """The text the terminal shows inside `region`, its lines joined by spaces, runs of spaces collapsed."""
    lines = screen_lines(app)[region.y:region.bottom]
    return " ".join(" ".join(line[region.x:region.right].split()) for line in lines).strip()
