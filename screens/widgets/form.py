"""The one form dialog of the app: one line per field, keyboard first.

Enter moves to the next field and submits on the last one; Ctrl+S (or F2) submits from anywhere; Escape (or F3,
for terminals where a lone Escape is slow) cancels. `submit(values)` runs off the UI thread through
`call_service`; its result closes the dialog (the dialog's result is what `submit` returned). An error is shown
under the form and, when it names a field of the form (`exc.field`), under that field too, which gets the focus;
the values stay, so the officer corrects and submits again. Fits 80×24: the fields scroll when there are many.

    FormModal(tr("Record payment"), [FormField("ntpn", N_("NTPN")), ...], lambda v: svc.pay(actor, **v))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Checkbox, Input, Label, Select, Static

from screens.base import Modal
from workstation.i18n import N_

TRUE_TEXTS = ("1", "y", "yes", "true", "on")


@dataclass(frozen=True)
class FormField:
    """One line of a form. `label` is English (translated when shown; an already translated label passes
    through). `kind`: text | check | select; a select's `options` are (label, value) pairs and its `value` one
    of them (the first when empty). A check's `value` is true for 1/y/yes/true/on."""

    name: str
    label: str
    value: str = ""
    kind: str = "text"
    options: Sequence[tuple[str, str]] = ()
    max_length: int = 500
    placeholder: str = ""
    password: bool = False


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
    FormModal .form-row { height: 1; }
    FormModal .form-row Label { width: 24; }
    FormModal .form-row.-invalid Label { color: $error; text-style: bold; }
    FormModal .form-row Input, FormModal .form-row Select, FormModal .form-row Checkbox { width: 1fr; }
    FormModal .form-row Input { background: $boost; }
    FormModal .form-field-error { color: $error; height: auto; padding-left: 24; display: none; }
    FormModal .form-field-error.-shown { display: block; }
    FormModal #form-error { color: $error; height: auto; }
    FormModal #form-hint { color: $text-muted; height: 1; }
    """
    BINDINGS = [
        Binding("escape,f3", "cancel", N_("Cancel"), id="form.cancel"),
        Binding("ctrl+s,f2", "save", N_("Save"), id="form.save"),
    ]

    def __init__(self, title: str, fields: Sequence[FormField], submit: Callable[[dict[str, Any]], Any], *,
                 note: str = "", help_text: str = "", id_prefix: str = "form-") -> None:
        super().__init__()
        self.title_text, self.fields, self.submit_fn = title, list(fields), submit
        self.note = note or help_text
        self.id_prefix = id_prefix  # widget ids are f"{id_prefix}{name}"
        self.busy = False

    # -- layout ----------------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.title_text, style="bold"), id="form-heading")
            if self.note:
                yield Static(Text(self.note), id="form-help")
            with VerticalScroll(id="form-fields"):
                for f in self.fields:
                    with Horizontal(classes="form-row", id=f"form-row-{f.name}"):
                        yield Label(self.tr(f.label))
                        yield self._widget(f)
                    yield Static(id=f"form-row-{f.name}-error", classes="form-field-error")
            yield Static(id="form-error")
            yield Static(self.tr("Ctrl+S save · Esc cancel"), id="form-hint")

    def _widget(self, f: FormField) -> Input | Select[str] | Checkbox:
        wid = self.id_prefix + f.name
        if f.kind == "check":
            return Checkbox("", f.value.strip().lower() in TRUE_TEXTS, id=wid, compact=True)
        if f.kind == "select":
            options = [(self.tr(label), value) for label, value in f.options]
            return Select(options, value=f.value or options[0][1], allow_blank=False, id=wid, compact=True)
        return Input(f.value, placeholder=f.placeholder, password=f.password, max_length=f.max_length, id=wid,
                     compact=True)

    def on_mount(self) -> None:
        editable = self.query("Input, Select, Checkbox")
        if editable:
            editable.first().focus()

    # -- values ----------------------------------------------------------------------------------------------
    def widget(self, name: str) -> Input | Select[str] | Checkbox:
        return self.query_one(f"#{self.id_prefix}{name}")  # type: ignore[return-value]

    def values(self) -> dict[str, Any]:
        """name → str for text and select fields, bool for checks."""
        return {f.name: self.widget(f.name).value for f in self.fields}

    # -- keys ------------------------------------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter: next field, or submit on the last one."""
        event.stop()
        editable = list(self.query("Input, Select, Checkbox"))
        if editable and event.input is editable[-1]:
            self.action_save()
        else:
            self.focus_next()

    def action_save(self) -> None:
        if self.busy:  # a second Ctrl+S while the first is saving would do the work twice
            return
        self.busy = True
        values = self.values()
        self._clear_errors()
        self.query_one("#form-error", Static).update(self.tr("Saving…"))
        self.call_service(self.submit_fn, values, group="form-save", on_result=self._saved, on_error=self._failed)

    def _saved(self, result: Any) -> None:
        self.busy = False
        self.dismiss(result)

    def action_cancel(self) -> None:
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
        line = self.query_one(f"#form-row-{name}-error", Static)
        line.update(Text(text.removeprefix(prefix)))
        line.add_class("-shown")
        self.query_one(f"#form-row-{name}").add_class("-invalid")
        self.widget(name).focus()
