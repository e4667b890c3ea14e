"""The one form dialog (screens/widgets/form.py) in a tiny app: keys, values, errors under the field named."""

from __future__ import annotations

import threading

from textual.app import App
from textual.widgets import Input, Static

from screens.widgets.form import FormField, FormModal, field_candidates
from workstation import inputs
from workstation.domain.errors import ErrorCode
from workstation.errors import Refusal
from workstation.i18n import Translator


class FormApp(App):
    def __init__(self, lang: str = "en", extra: dict[str, str] | None = None) -> None:
        super().__init__()
        self.translator = Translator(lang)
        self.extra = extra or {}  # translations the catalogue may not have yet
        self.services = None
        self.actor = None
        self.results: list = []
        self.calls: list[dict] = []

    def tr(self, message: str, **kw) -> str:
        if message in self.extra:
            return self.extra[message].format(**kw) if kw else self.extra[message]
        return self.translator(message, **kw)

    def open(self, fields, submit, **kw) -> FormModal:
        modal = FormModal("Payment", fields, submit, **kw)
        self.push_screen(modal, self.results.append)
        return modal


FIELDS = [
    FormField("ntpn", "NTPN (16 characters)"),
    FormField("amount_idr", "Amount paid (Rp)", "1500000"),
    FormField("channel", "Channel", "BANK", kind="select", options=[("Cash", "CASH"), ("Bank", "BANK")]),
    FormField("late", "Late", "yes", kind="check"),
]


def pay(values: dict) -> str:
    ntpn = inputs.ntpn(values["ntpn"], field="ntpn")
    amount = inputs.rupiah(values["amount_idr"], field="amount_idr")
    return f"{ntpn}:{amount}:{values['channel']}:{values['late']}"


from tests.e2e.conftest import settle  # noqa: E402  (one settle: a worker cancelled with its screen is done)


async def test_enter_moves_on_and_ctrl_s_submits_with_typed_values():
    app = FormApp()
    async with app.run_test(size=(80, 24)) as pilot:
        app.open(FIELDS, pay)
        await pilot.pause()
        assert app.focused.id == "form-ntpn"
        await pilot.press(*"0123456789ABCDEF", "enter")
        assert app.focused.id == "form-amount_idr"  # Enter moved on, nothing submitted
        assert app.results == []
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.results == ["0123456789ABCDEF:1500000:BANK:True"]


async def test_keys_arriving_in_one_read_land_in_the_field_enter_moved_to():
    """A scanner or a fast typist: Enter and the next keys reach the app before any message is handled."""
    from textual import events

    app = FormApp()
    async with app.run_test(size=(80, 24)) as pilot:
        modal = app.open(FIELDS, pay)
        await pilot.pause()
        for key in [*"0123456789ABCDEF", "enter", *"77"]:
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await pilot.pause()
        await pilot.pause()
        assert modal.widget("ntpn").value == "0123456789ABCDEF"
        assert modal.widget("amount_idr").value == "77"  # a prefilled value is selected on focus: typing replaces it


async def test_input_error_is_shown_under_the_field_it_names_and_values_stay():
    app = FormApp()
    async with app.run_test(size=(80, 24)) as pilot:
        modal = app.open(FIELDS, pay)
        await pilot.pause()
        modal.query_one("#form-ntpn", Input).value = "0123456789ABCDEF"
        modal.query_one("#form-amount_idr", Input).value = "12.5"
        await pilot.press("f2")
        await settle(app, pilot)
        assert app.results == [] and app.screen is modal
        # the summary names the field by its label, not the service's field name
        assert "Amount paid (Rp): must be whole rupiah" in str(modal.query_one("#form-error", Static).render())
        line = modal.query_one("#form-row-amount_idr-error", Static)
        assert line.has_class("-shown") and str(line.render()) == "must be whole rupiah, digits only"
        assert line.region.y > modal.query_one("#form-row-amount_idr").region.y  # under the field
        assert modal.query_one("#form-row-amount_idr").has_class("-invalid")
        assert not modal.query_one("#form-row-ntpn-error", Static).has_class("-shown")
        assert app.focused.id == "form-amount_idr"
        assert modal.query_one("#form-ntpn", Input).value == "0123456789ABCDEF"
        # corrected: the marks go, the form closes with the result
        modal.query_one("#form-amount_idr", Input).value = "2000"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.results == ["0123456789ABCDEF:2000:BANK:True"]


async def test_error_translated_from_its_code_and_params():
    app = FormApp("id", {"at most {limit} characters": "paling banyak {limit} karakter"})
    fields = [FormField("note", "Note")]

    def save(values):
        return inputs.text(values["note"], field="note", max_len=5)

    async with app.run_test(size=(80, 24)) as pilot:
        modal = app.open(fields, save)
        await pilot.pause()
        modal.query_one("#form-note", Input).value = "too long a note"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert str(modal.query_one("#form-error", Static).render()) == "Catatan: paling banyak 5 karakter"  # label
        assert str(modal.query_one("#form-row-note-error", Static).render()) == "paling banyak 5 karakter"


async def test_untranslated_template_keeps_the_raisers_words():
    app = FormApp("id")

    def refuse(values):
        raise Refusal("PIB 000123 was changed by budi since you opened it; reload and redo",
                      code=ErrorCode.VERSION_CONFLICT, params={"reference": "PIB 000123", "who": "budi"})

    async with app.run_test(size=(80, 24)) as pilot:
        modal = app.open([FormField("a", "A")], refuse)
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        text = str(modal.query_one("#form-error", Static).render())
        assert "PIB 000123" in text and "VERSION_CONFLICT" not in text


async def test_refusal_without_field_shows_under_the_form_only():
    def refuse(values):
        raise Refusal("already paid", code=ErrorCode.ALREADY_DONE)

    app = FormApp()
    async with app.run_test(size=(80, 24)) as pilot:
        modal = app.open(FIELDS, refuse)
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert str(modal.query_one("#form-error", Static).render()) == "already paid"
        assert not modal.query(".form-field-error.-shown")


async def test_escape_and_f3_cancel():
    app = FormApp()
    async with app.run_test(size=(80, 24)) as pilot:
        for key in ("escape", "f3"):
            app.open(FIELDS, pay)
            await pilot.pause()
            await pilot.press(key)
            await pilot.pause()
        assert app.results == [None, None]
        assert not isinstance(app.screen, FormModal)


async def test_enter_on_the_last_text_field_submits_once_even_when_pressed_twice():
    started, release = threading.Event(), threading.Event()
    calls = []

    def slow(values):
        calls.append(values)
        started.set()
        release.wait(5)
        return "done"

    app = FormApp()
    async with app.run_test(size=(80, 24)) as pilot:
        app.open([FormField("a", "A"), FormField("b", "B", "x")], slow)
        await pilot.pause()
        await pilot.press("enter", "enter")  # a → b, b is last: submit
        for _ in range(200):
            if started.is_set():
                break
            await pilot.pause(0.02)
        assert started.is_set()
        await pilot.press("ctrl+s")  # while saving: ignored
        release.set()
        await settle(app, pilot)
        assert len(calls) == 1 and app.results == ["done"]


async def test_many_fields_fit_80x24_and_scroll():
    fields = [FormField(f"f{i}", f"Field {i}") for i in range(20)]
    app = FormApp()
    async with app.run_test(size=(80, 24)) as pilot:
        modal = app.open(fields, lambda v: v, note="Twenty fields")
        await pilot.pause()
        box = modal.query_one("FormModal > Vertical").region
        assert box.height <= 24 and box.width <= 80
        assert modal.query_one("#form-hint").region.bottom <= 24  # the keys stay visible
        for _ in range(19):
            await pilot.press("enter")
        assert app.focused.id == "form-f19" and app.focused.region.bottom <= 24  # scrolled into view


def test_field_candidates():
    assert field_candidates("goods[0].value") == ["goods[0].value", "value", "goods"]
    assert field_candidates("cash[0].amount") == ["cash[0].amount", "amount", "cash"]
    assert field_candidates("ntpn") == ["ntpn"]
    assert field_candidates(None) == []


def test_superset_of_the_two_old_forms():
    # examiner: kind/options/max_length; passenger: placeholder/password; both: (name, label, value)
    FormField("kind", "Kind", "INVOICE", kind="select", options=[("Invoice", "INVOICE")], max_length=20)
    FormField("pw", "Password", placeholder="secret", password=True)
    FormModal("t", [], lambda v: v, note="n")
    assert FormModal("t", [], lambda v: v, help_text="h").note == "h"


# -- #12 item 3: dates, placeholders, the discard confirmation ------------------------------------------------
async def test_a_date_field_is_typed_dd_mm_yyyy_and_handed_over_as_a_date():
    import datetime as dt

    app = FormApp()
    async with app.run_test(size=(80, 24)) as pilot:
        modal = app.open([FormField("day", "Arrival date", kind="date")], lambda v: v["day"])
        await pilot.pause()
        field = modal.query_one("#form-day", Input)
        assert field.placeholder == "DD-MM-YYYY"
        await pilot.press(*"2026-11-30", "ctrl+s")
        await settle(app, pilot)
        assert app.results == [] and "DD-MM-YYYY" in str(modal.query_one("#form-error", Static).render())
        assert modal.query_one("#form-row-day").has_class("-invalid") and app.focused is field
        field.value = "31-02-2026"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.results == [] and "calendar" in str(modal.query_one("#form-error", Static).render())
        field.value = "30-11-2026"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.results == [dt.date(2026, 11, 30)]


async def test_an_example_placeholder_reads_as_a_hint_not_a_value():
    app = FormApp(lang="id")
    async with app.run_test(size=(80, 24)) as pilot:
        modal = app.open([FormField("code", "Office code", example="040300")], lambda v: v)
        await pilot.pause()
        assert modal.query_one("#form-code", Input).placeholder == "contoh: 040300"


async def test_escape_on_a_changed_form_asks_before_throwing_it_away():
    from screens.dialogs import ConfirmModal

    app = FormApp()
    async with app.run_test(size=(80, 24)) as pilot:
        modal = app.open(FIELDS, pay)
        await pilot.pause()
        await pilot.press("escape")  # nothing changed: closes at once
        await pilot.pause()
        assert app.results == [None]
        modal = app.open(FIELDS, pay)
        await pilot.pause()
        await pilot.press(*"12")
        await pilot.press("f3")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")  # keep editing: the typed value stays
        await pilot.pause()
        assert app.screen is modal and modal.query_one("#form-ntpn", Input).value == "12"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("enter")  # discard
        await pilot.pause()
        assert app.results == [None, None] and app.screen is not modal


async def test_a_long_label_wraps_to_two_lines_instead_of_being_cut():
    app = FormApp()
    async with app.run_test(size=(80, 24)) as pilot:
        modal = app.open([FormField("id", "Identity (KTP / ID card / passport number)")], lambda v: v)
        await pilot.pause()
        label = modal.query_one("#form-label-id")
        assert label.size.height == 2


async def test_a_multi_choice_field_hands_over_the_ticked_values():
    app = FormApp()
    async with app.run_test(size=(80, 24)) as pilot:
        app.open([FormField("roles", "Roles", "officer", kind="multi",
                                    options=[(r, r) for r in ("officer", "inspector", "examiner", "supervisor",
                                                             "admin")])], lambda v: v["roles"])
        await pilot.pause()
        await pilot.press("end", "space", "ctrl+s")
        await settle(app, pilot)
        assert app.results == [["officer", "admin"]]
