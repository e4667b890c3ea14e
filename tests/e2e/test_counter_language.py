"""The counter in Bahasa Indonesia (#12 item 1): no English word on the counter, its queue and its forms; state,
traveller and lane words from the one table; reason codes in full as DOMAIN.md spells them (the queue used to cut
them to CASH, VALUE, DIVERSION…); dates DD-MM-YYYY; F12 switches the whole screen."""

from __future__ import annotations

import re

from screens.widgets.form import FormModal
from tests.e2e.conftest import settle
from tests.e2e.counter_support import (
    GREEN_ID,
    RED_ID,
    billed,
    open_counter,
    red_and_green,
    scan,
    screen_lines,
)
from workstation.domain.codes import LaneReason

# English the counter used to show, or could show again if a word bypassed the translator.
ENGLISH = {"passenger", "crew", "pilgrim", "lane", "billed", "inspecting", "inspect", "found", "undeclared",
           "queue", "antrian", "waiting", "payment", "released", "release", "scan", "oral", "declared", "card",
           "red", "green", "flight", "open", "reasons", "state", "taxable", "allowance", "goods", "paid",
           "diverted", "cleared", "documents", "search", "name", "passport", "counter", "divert", "finding",
           "excise", "refer", "reassess", "over", "years", "disability", "unit", "note", "value",
           "the", "and", "not", "to"}
WORD = re.compile(r"[A-Za-z][a-z]+")
ISO_DAY = re.compile(r"\b[0-9]{4}-[0-9]{2}-[0-9]{2}\b")


def english(app) -> list[str]:
    text = "\n".join(screen_lines(app))
    return sorted({w.lower() for w in WORD.findall(text)} & ENGLISH)


async def test_the_counter_its_cases_queue_and_forms_speak_indonesian(services, users, make_app):
    red_and_green(services, users)
    v = billed(services, users)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_counter(app, pilot, "id")
        assert english(app) == []
        await scan(app, pilot, GREEN_ID)
        body = "\n".join(screen_lines(app))
        assert english(app) == [] and "penumpang" in body and "JALUR HIJAU" in body
        assert not ISO_DAY.search(body) and "21-11-2026" in body  # the arrival day, DD-MM-YYYY
        await scan(app, pilot, RED_ID)  # billed: finding, reassessment, billing on the panel
        body = "\n".join(screen_lines(app))
        assert english(app) == [], body
        assert "[BILLED]" in body and "ditemukan [FOUND]" in body and not ISO_DAY.search(body)
        assert "VALUE_OVER_ALLOWANCE — barang pribadi melebihi pembebasan" in str(
            screen.query_one("#ecd-decision").render())
        # the case's forms
        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, FormModal) and english(app) == []
        await pilot.press("f3")
        await settle(app, pilot)
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert isinstance(app.screen, FormModal) and english(app) == [], "\n".join(screen_lines(app))
        await pilot.press("f3")
        await settle(app, pilot)
        # the queue: full reason codes, the highlighted row's reasons with their words, no English
        await pilot.press("ctrl+t")
        await settle(app, pilot)
        queue = screen.query_one("#ecd-queue")
        codes = {r.value for r in LaneReason}
        cells = [str(queue.get_row_at(i)[-1]) for i in range(queue.row_count)]
        assert "VALUE_OVER_ALLOWANCE" in cells
        for cell in cells:
            assert cell == "-" or cell.split(" +")[0] in codes, cell
        row = cells.index("VALUE_OVER_ALLOWANCE")
        queue.move_cursor(row=row)
        await pilot.pause()
        detail = str(screen.query_one("#ecd-qdetail").render())
        assert "VALUE_OVER_ALLOWANCE — barang pribadi melebihi pembebasan" in detail and v.ecd_id in detail
        assert english(app) == [], "\n".join(screen_lines(app))
        assert "21-11-2026" in str(screen.query_one("#ecd-qcounts").render())


async def test_f12_switches_the_whole_counter(services, users, make_app):
    red_and_green(services, users)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_counter(app, pilot, "id")
        await scan(app, pilot, RED_ID)
        field = screen.query_one("#ecd-scan")
        field.value = "half typed"
        await pilot.press("f12")
        await settle(app, pilot)
        text = "\n".join(screen_lines(app))
        assert "RED LANE" in text and "passenger" in text and "Queue" in text
        assert str(screen.query_one("#ecd-queue").ordered_columns[0].label) == "Flight"
        assert field.value == "half typed" and screen.view.ecd_id == RED_ID  # what was there stays
        await pilot.press("f12")
        await settle(app, pilot)
        text = "\n".join(screen_lines(app))
        assert "JALUR MERAH" in text and "penumpang" in text and "Antrean" in text
        assert str(screen.query_one("#ecd-queue").ordered_columns[0].label) == "Penerbangan"
