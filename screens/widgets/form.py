"""The one form dialog of the app: one line per field, keyboard first.

Enter moves to the next field and submits on the last one; Ctrl+S (or F2) submits from anywhere; Escape (or F3,
for terminals where a lone Escape is slow) cancels — after a confirmation when a value was changed (nothing
typed is thrown away by one stray key). A `kind="date"` field is typed and shown as DD-MM-YYYY and handed to
`submit` as a `datetime.date` (None when empty); a wrong date is refused in the form, naming the format.
Placeholders are hints, never look like values: shown dim and italic, and an `example` is shown as
"e.g. …" / "contoh: …". Labels wrap to a second line instead of being cut. `submit(values)` runs off the UI thread through
`call_service`; its result closes the dialog (the dialog's result is what `submit` returned). An error is shown
under the form and, when it names a field of the form (`exc.field`), under that field too, which gets the focus;
the values stay, so the officer corrects and submits again. Fits 80×24: the fields scroll when there are many.

    FormModal(tr("Record payment"), [FormField("ntpn", N_("NTPN")), ...], lambda v: svc.pay(actor, **v))
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Checkbox, Input, Label, Select, SelectionList, Static

from screens.base import Modal, enter_to_next_field
from screens.dialogs import ConfirmModal
from workstation.domain.errors import ErrorCode
from workstation.errors import InputError
from workstation.i18n import N_

DATE_HINT = "DD-MM-YYYY"  # the one date format of every form and view (words.day shows it)
_DMY = re.compile(r"([0-9]{1,2})[-./]([0-9]{1,2})[-./]([0-9]{4})")

TRUE_TEXTS = ("1", "y", "yes", "true", "on")


@dataclass(frozen=True)
class FormField:
    """One line of a form. `label` is English (translated when shown; an already translated label passes
    through). `kind`: text | check | select | multi | date; a select's `options` are (label, value) pairs and
    its `value` one of them (the first when empty); a multi (a list of choices, several may be ticked: roles)
    has the same `options`, its `value` the ticked values comma separated, and hands a list to `submit`. A
    check's `value` is true for 1/y/yes/true/on. A date's `value` is a `datetime.date` or DD-MM-YYYY text.
    `placeholder` is a hint (shown dim: "as declared"); `example` a sample value, shown as "e.g. …", so it
    cannot be mistaken for a filled value. `restrict`: a regular expression the typed text must match
    (e.g. r"[0-9]*")."""

    name: str
    label: str
    value: Any = ""
    kind: str = "text"
    options: Sequence[tuple[str, str]] = ()
    max_length: int = 500
    placeholder: str = ""
    password: bool = False
    example: str = ""
    restrict: str | None = None


def parse_day(raw: str, field: str) -> dt.date | None:
    """A DD-MM-YYYY text (also D-M-YYYY, with . or /) as a date; None when empty. Raises InputError
    DATE_FORMAT_DMY or NOT_A_DATE, naming `field`."""
    raw = raw.strip()
    if not raw:
        return None
    m = _DMY.fullmatch(raw)
    if m is None:
        raise InputError("date must be DD-MM-YYYY", field=field, code=ErrorCode.DATE_FORMAT_DMY)
    try:
        return dt.date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError:
        raise InputError("not a calendar date", field=field, code=ErrorCode.NOT_A_DATE,
                         params={"value": raw}) from None


def _initial(f: FormField) -> str:
    if isinstance(f.value, dt.date):
        return f.value.strftime("%d-%m-%Y")
    return "" if f.value is None else str(f.value)


def field_candidates(field: str | None) -> list[str]:
    """The form fields an error's `field` may mean, most precise first: `goods[0].value` → goods[0].value,
    value, goods; `cash[0].amount` → cash[0].amount, amount, cash."""
    if not field:
        return []
    out = [field]
    if "." in field:
        out.append(field.rsplit(".", 1)[1])
    out.append(field.split("[")[0].split(".")[0])
    return list(dict.fromkeys(out))


class FormModal(Modal):
    """See the module docstring. `note` (alias `help_text`) is a line of explanation under the title."""

    DEFAULT_CSS = """
    FormModal { align: center middle; }
    FormModal > Vertical { width: 78; max-width: 100%; height: auto; max-height: 100%; border: round $accent;
                           background: $surface; padding: 0 1; }
    FormModal #form-help { color: $text-muted; height: auto; max-height: 3; }
    FormModal #form-fields { height: auto; max-height: 16; }
    FormModal .form-row { height: auto; }
    FormModal .form-row Label { width: 24; height: auto; max-height: 2; padding-right: 1; }
    FormModal .form-row.-invalid Label { color: $error; text-style: bold; }
    FormModal .form-row Input, FormModal .form-row Select, FormModal .form-row Checkbox { width: 1fr; }
    FormModal .form-row Input { background: $boost; }
    FormModal .form-row Input > .input--placeholder { color: $text-disabled; text-style: italic; }
    FormModal .form-row SelectionList { height: auto; max-height: 6; }
    FormModal .form-field-error { color: $error; height: auto; padding-left: 24; display: none; }
    FormModal .form-field-error.-shown { display: block; }
    FormModal #form-error { color: $error; height: auto; }
    FormModal #form-hint { color: $text-muted; height: 1; }
    """
    BINDINGS = [
        Binding("escape,f3", "cancel", N_("Cancel"), id="form.cancel"),
        Binding("ctrl+s,f2", "save", N_("Save"), id="form.save"),
        # priority: the focus moves while the key is handled, so what is typed after Enter (a scanner, a fast
        # typist, keys arriving in one read) lands in the next field, not in this one
        Binding("enter", "next_field", show=False, priority=True, id="form.next"),
    ]

    def __init__(self, title: str, fields: Sequence[FormField], submit: Callable[[dict[str, Any]], Any], *,
                 note: str = "", help_text: str = "", id_prefix: str = "form-") -> None:
        super().__init__()
        self.title_text, self.fields, self.submit_fn = title, list(fields), submit
        self.note = note or help_text
        self.id_prefix = id_prefix  # widget ids are f"{id_prefix}{name}"
        self.busy = False
        self._initial: dict[str, Any] | None = None  # the values as opened: a change asks before discarding

    # -- layout ----------------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.title_text, style="bold"), id="form-heading")
            if self.note:
                yield Static(Text(self.note), id="form-help")
            with VerticalScroll(id="form-fields"):
                for f in self.fields:
                    with Horizontal(classes="form-row", id=f"form-row-{f.name}"):
                        yield Label(self.tr(f.label), id=f"form-label-{f.name}")
                        yield self._widget(f)
                    yield Static(id=f"form-row-{f.name}-error", classes="form-field-error")
            yield Static(id="form-error")
            yield Static(self.hint_text(), id="form-hint")

    def refresh_language(self) -> None:
        """F12 while the form is open: labels and the hint in the new language; typed values stay."""
        for f in self.fields:
            self.query_one(f"#form-label-{f.name}", Label).update(self.tr(f.label))
        self.query_one("#form-hint", Static).update(self.hint_text())

    def hint_text(self) -> str:
        return self.tr("Ctrl+S save · Enter next field · Esc/F3 cancel")

    def _widget(self, f: FormField) -> Input | Select[str] | Checkbox | SelectionList[str]:
        wid = self.id_prefix + f.name
        value = _initial(f)
        if f.kind == "check":
            return Checkbox("", value.strip().lower() in TRUE_TEXTS, id=wid, compact=True)
        if f.kind == "select":
            options = [(self.tr(label), v) for label, v in f.options]
            return Select(options, value=value or options[0][1], allow_blank=False, id=wid, compact=True)
        if f.kind == "multi":
            ticked = {v.strip() for v in value.split(",") if v.strip()}
            return SelectionList[str](*[(self.tr(label), v, v in ticked) for label, v in f.options], id=wid,
                                      compact=True)
        placeholder = self.tr(f.placeholder) if f.placeholder else ""
        if f.kind == "date":
            placeholder, max_length, restrict = DATE_HINT, 10, r"[0-9./-]*"
        else:
            max_length, restrict = f.max_length, f.restrict
        if f.example:
            example = self.tr("e.g. {example}", example=f.example)
            placeholder = f"{placeholder} ({example})" if placeholder else example
        return Input(value, placeholder=placeholder, password=f.password, max_length=max_length,
                     restrict=restrict, id=wid, compact=True)

    def on_mount(self) -> None:
        editable = self.query("Input, Select, Checkbox, SelectionList")
        if editable:
            editable.first().focus()
        self._initial = self._raw_values()

    # -- values ----------------------------------------------------------------------------------------------
    def widget(self, name: str) -> Input | Select[str] | Checkbox:
        return self.query_one(f"#{self.id_prefix}{name}")  # type: ignore[return-value]

    def _raw_values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in self.fields:
            w = self.widget(f.name)
            out[f.name] = list(w.selected) if isinstance(w, SelectionList) else w.value
        return out

    def values(self) -> dict[str, Any]:
        """name → str for text and select fields, bool for checks, list[str] for multi, date | None for dates
        (raises InputError naming the field for a date not DD-MM-YYYY)."""
        raw = self._raw_values()
        for f in self.fields:
            if f.kind == "date":
                raw[f.name] = parse_day(raw[f.name], f.name)
        return raw

    @property
    def changed(self) -> bool:
        """True when a value differs from what the form opened with."""
        return self._initial is not None and self._raw_values() != self._initial

    # -- keys ------------------------------------------------------------------------------------------------
    def action_next_field(self) -> None:
        """Enter in a text field: the next field, or submit on the last one. Elsewhere Enter is the widget's own
        (a select opens, a check box toggles)."""
        enter_to_next_field(self, list(self.query("Input, Select, Checkbox, SelectionList")), self.action_save)

    def action_save(self) -> None:
        if self.busy:  # a second Ctrl+S while the first is saving would do the work twice
            return
        self._clear_errors()
        try:
            values = self.values()
        except InputError as exc:  # a date typed wrong: said in the form, nothing sent
            self._failed(exc)
            return
        self.busy = True
        self.query_one("#form-error", Static).update(self.tr("Saving…"))
        self.call_service(self.submit_fn, values, group="form-save", on_result=self._saved, on_error=self._failed)

    def _saved(self, result: Any) -> None:
        self.busy = False
        self.dismiss(result)

    def action_cancel(self) -> None:
        if not self.changed:
            self.dismiss(None)
            return
        self.app.push_screen(ConfirmModal(self.tr("Discard the changes?"),
                                          self.tr("The values typed in this form will be lost."),
                                          yes=self.tr("Discard"), no=self.tr("Keep editing")),
                             callback=self._discard_answer)

    def _discard_answer(self, discard: bool | None) -> None:
        if discard:
            self.dismiss(None)

    # -- errors ----------------------------------------------------------------------------------------------
    def _clear_errors(self) -> None:
        for row in self.query(".form-row.-invalid"):
            row.remove_class("-invalid")
        for line in self.query(".form-field-error.-shown"):
            line.remove_class("-shown")

    def _failed(self, exc: Exception) -> None:
        self.busy = False
        text = self.error_text(exc)
        self.query_one("#form-error", Static).update(Text(text))
        names = {f.name for f in self.fields}
        name = next((c for c in field_candidates(getattr(exc, "field", None)) if c in names), None)
        if name is None:
            return
        prefix = f"{exc.field}: "  # type: ignore[attr-defined]
        bare = text.removeprefix(prefix)
        label = next(self.tr(f.label) for f in self.fields if f.name == name)
        # the summary names the field as the officer reads it (its label), not the service's field name
        self.query_one("#form-error", Static).update(Text(f"{label}: {bare}"))
        line = self.query_one(f"#form-row-{name}-error", Static)
        line.update(Text(bare))
        line.add_class("-shown")
        self.query_one(f"#form-row-{name}").add_class("-invalid")
        self.widget(name).focus()
