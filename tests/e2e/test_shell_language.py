"""#12 item 1: the F1 key panel, the command palette and a switch with F12 speak the UI language."""

from __future__ import annotations

from textual.command import CommandPalette

from screens.widgets.form import FormField, FormModal
from screens.widgets.keybar import TranslatedBindingsTable
from tests.e2e.conftest import login, settle


async def test_f1_key_panel_is_in_indonesian(users, make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await login(app, pilot, "siti")
        await pilot.press("f1")
        await pilot.pause()
        table = app.screen.query_one(TranslatedBindingsTable)
        text = "".join(seg.text for seg in app.console.render(table.render_bindings_table()))
        # our N_() descriptions and Textual's own, translated; Textual's English tooltips left out
        for indonesian in ("Bahasa", "Kunci", "Fokus berikutnya", "Tutup aplikasi", "Palet perintah"):
            assert indonesian in text
        for english in ("Scroll Up", "Focus Next", "Logout", "Language", "Quit", "palette", "the app"):
            assert english not in text
        await pilot.press("f1")  # toggles off
        await pilot.pause()
        assert not app.screen.query(TranslatedBindingsTable)


async def test_command_palette_placeholder_and_system_commands_are_translated(users, make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await login(app, pilot, "siti")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Tutup aplikasi" in titles and "Tema" in titles and "Quit" not in titles
        assert "Keluar" not in titles  # F10's log out is "Keluar": closing the app must not read the same
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        assert app.screen.query_one("CommandInput").placeholder == "Cari perintah…"


async def test_f12_switches_an_open_form_and_the_status_bar(users, make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await login(app, pilot, "siti")
        modal = FormModal("T", [FormField("city", "City")], lambda v: v)
        app.push_screen(modal)
        await pilot.pause()
        assert str(modal.query_one("#form-label-city").render()) == "Kota"
        app._set_language("en")
        await pilot.pause()
        assert str(modal.query_one("#form-label-city").render()) == "City"
        assert "Esc/F3 cancel" in str(modal.query_one("#form-hint").render())
        await pilot.press("f3")  # nothing typed: closes at once
        await pilot.pause()
        assert "siti (counter officer)" in str(app.screen.query_one("StatusBar").render())


async def test_a_screen_that_asks_for_it_is_recomposed_in_the_new_language(users, make_app):
    from textual.widgets import Static

    from screens.base import SectionScreen

    class Probe(SectionScreen):
        TITLE_TEXT = "Office"
        RECOMPOSE_ON_LANGUAGE = True
        reloads = 0

        def compose_body(self):
            yield Static(self.tr("City"), id="probe")

        def language_recomposed(self) -> None:
            self.reloads += 1

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await login(app, pilot, "siti")
        probe = Probe()
        app.push_screen(probe)
        await pilot.pause()
        assert str(probe.query_one("#probe", Static).render()) == "Kota"
        await pilot.press("f12")
        await settle(app, pilot)
        assert str(probe.query_one("#probe", Static).render()) == "City"
        assert str(probe.query_one("#section-title", Static).render()) == "Office"
        assert probe.reloads == 1
