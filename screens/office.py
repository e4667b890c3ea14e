"""The office form (#12 item 7): the administrator enters or corrects the office this installation works for
— code, name, address, city, phone, time zone — what every letterhead prints. The one form of the app
(screens/widgets/form.py); the admin screen opens it with a key:

    self.app.push_screen(OfficeFormModal(office_view), callback=...)   # dismissed with the new OfficeView

`OfficeFormModal()` without a view reads nothing itself: the caller has the OfficeView (services.office.get()
in its worker) and passes it, so the form opens with the values the office has."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from screens.widgets.form import FormField, FormModal
from workstation.i18n import N_

if TYPE_CHECKING:
    from workstation.services.office import OfficeView

TIMEZONES = (("WIB (Asia/Jakarta)", "Asia/Jakarta"), ("WIB (Asia/Pontianak)", "Asia/Pontianak"),
             ("WITA (Asia/Makassar)", "Asia/Makassar"), ("WIT (Asia/Jayapura)", "Asia/Jayapura"))


def office_fields(view: OfficeView | None) -> list[FormField]:
    get = (lambda name: getattr(view, name)) if view is not None else (lambda name: "")
    zones = list(TIMEZONES)
    current = get("timezone") or "Asia/Jakarta"
    if current not in {v for _, v in zones}:  # a zone set in the configuration file stays choosable
        zones.append((current, current))
    return [
        FormField("code", N_("Office code (6 digits)"), get("code"), max_length=6, example="040300",
                  restrict=r"[0-9]*"),
        FormField("name", N_("Office name"), get("name"), max_length=200),
        FormField("address", N_("Address"), get("address"), max_length=300),
        FormField("city", N_("City"), get("city"), max_length=100),
        FormField("phone", N_("Phone"), get("phone"), max_length=40),
        FormField("timezone", N_("Time zone"), current, kind="select", options=zones),
    ]


class OfficeFormModal(FormModal):
    """Dismissed with the updated OfficeView, or None when cancelled."""

    def __init__(self, view: OfficeView | None = None) -> None:
        super().__init__("", office_fields(view), self._submit, id_prefix="office-")
        self.view = view

    def on_mount(self) -> None:
        from textual.widgets import Static

        self.title_text = self.tr("Office")
        self.query_one("#form-heading", Static).update(self.title_text)
        super().on_mount()

    def _submit(self, values: dict[str, Any]):
        services, actor = self.services, self.actor
        view = services.office.update(actor, **values)
        return view

    def _saved(self, result: Any) -> None:
        self.wapp.settings = self.services.settings  # the status bar and the clock follow at once
        super()._saved(result)
