"""The counter's forms (#12 items 3 and 4): placeholders that cannot be mistaken for values, the payment form
prefilled with what the case knows (as the examiner's SPTNP payment form), and every form and dialog of the
counter inside 80×24 with whole labels that do not overlap their fields."""

from __future__ import annotations

import re

from textual.containers import Vertical
from textual.widgets import Input, Label

from screens.passenger import CounterScreen, DocumentsListModal
from screens.widgets.form import FormModal
from tests.e2e.conftest import settle
from tests.e2e.counter_support import RED_ID, billed, open_counter, red_and_green, region_text, scan

FORMS = ("finding", "excise", "cash", "refer", "pibk", "destroy", "pay")  # the case's forms (`_do_<name>`)


def placeholder_problems(form: FormModal) -> list[str]:
    """Placeholders that look like a filled value: a number, or a code in capitals (PCE, USD, CASH…). A sample
    value is shown as "contoh: …" ("e.g. …"); the date field's hint is the format itself."""
    out = []
    for field in form.query(Input):
        hint = field.placeholder
        if not hint or hint == "DD-MM-YYYY" or hint.startswith(("contoh: ", "e.g. ")):
            continue
        if re.search(r"[0-9]", hint) or hint.isupper():
            out.append(f"{field.id}: {hint!r}")
    return out


def fit_problems(app, form) -> list[str]:
    """What does not fit 80×24: the dialog outside the screen, a label cut or overlapping its field."""
    out = []
    screen_region = app.screen.region
    dialog = form.query_one(Vertical)
    if not screen_region.contains_region(dialog.region):
        out.append(f"dialog {dialog.region} outside {screen_region}")
    for row in form.query(".form-row"):
        label = row.query_one(Label)
        widget = row.children[1]
        if label.region.overlaps(widget.region):
            out.append(f"{row.id}: label over its field")
        shown = region_text(app, label.region)
        wanted = " ".join(str(label.render()).split())
        if shown != wanted:
            out.append(f"{row.id}: label shows {shown!r}, not {wanted!r}")
        if not screen_region.contains_region(widget.region):
            out.append(f"{row.id}: field outside the screen")
    return out


async def test_every_counter_form_fits_80x24_with_hints_not_values(services, users, make_app):
    red_and_green(services, users)
    billed(services, users)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_counter(app, pilot, "id")
        await scan(app, pilot, RED_ID)
        assert isinstance(screen, CounterScreen) and screen.view.state == "BILLED"
        opened = []
        for name in (*FORMS, "oral"):
            if name == "oral":
                screen.action_oral()
            else:
                getattr(screen, f"_do_{name}")(screen.view)
            await settle(app, pilot)
            form = app.screen
            assert isinstance(form, FormModal), name
            assert placeholder_problems(form) == [], name
            assert fit_problems(app, form) == [], name
            opened.append(name)
            await pilot.press("f3")
            await settle(app, pilot)
            assert app.screen is screen, name
        assert len(opened) == len(FORMS) + 1
        # the oral declaration's birth date is typed DD-MM-YYYY, the hint says so
        screen.action_oral()
        await settle(app, pilot)
        assert app.screen.query_one("#form-birth_date").placeholder == "DD-MM-YYYY"
        await pilot.press("f3")
        await settle(app, pilot)
        # the documents list: inside the screen, closed with F3 as well as Escape
        await pilot.press("v")
        await settle(app, pilot)
        assert isinstance(app.screen, DocumentsListModal)
        docs = app.screen
        assert docs.region.contains_region(docs.query_one(Vertical).region)
        # as tall as its rows (it used to fill the screen), with its keys under it
        assert docs.query_one("#ecd-doclist").region.height == docs.query_one("#ecd-doclist").row_count + 1
        assert "Esc/F3" in region_text(app, docs.query_one("#ecd-dochint").region)
        await pilot.press("f3")
        await settle(app, pilot)
        assert app.screen is screen


async def test_the_payment_form_is_prefilled_with_the_billing(services, users, make_app):
    red_and_green(services, users)
    v = billed(services, users)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_counter(app, pilot, "id")
        await scan(app, pilot, RED_ID)
        await pilot.press("y")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, FormModal)
        # values, not placeholders: the officer checks them and types only the receipt number
        assert form.query_one("#form-billing_code").value == v.billing.code
        assert form.query_one("#form-amount_idr").value == str(v.billing.amount_idr)
        assert form.query_one("#form-receipt_number").value == ""
        assert form.query_one("#form-channel").value == "CASH"
        assert form.focused.id == "form-billing_code"
        form.query_one("#form-receipt_number").value = "NTPN1234567890AB"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is screen and screen.view.state == "PAID"
        assert screen.view.payment.amount_idr == v.billing.amount_idr
