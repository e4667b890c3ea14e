"""Home: who is logged in and the sections this user may open, with their keys."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from screens.base import SectionScreen
from screens.sections import sections_for
from screens.widgets.text import assemble
from workstation.i18n import N_


class HomeScreen(SectionScreen):
    TITLE_TEXT = N_("Home")

    def __init__(self, section=None) -> None:
        super().__init__()

    def compose_body(self) -> ComposeResult:
        yield Static(id="home-text", classes="body")

    def on_mount(self) -> None:
        self.refresh_language()

    def refresh_language(self) -> None:
        super().refresh_language()
        actor = self.actor
        if actor is None:
            return
        # the user's name is stored text: plain, never markup (#11 item 6)
        parts: list = [self.tr("Welcome, {name}.", name=actor.full_name), "\n\n", self.tr("Your sections:")]
        for sec in sections_for(actor.roles):
            key = sec.key.upper() if sec.key.startswith("f") else sec.key.title()  # F3, Ctrl+O
            parts += ["\n  ", (f"{key:>6}", "bold"), f"  {self.tr(sec.title)}"]
        # two lines: one line of every key does not fit 80 columns in Indonesian
        parts += ["\n\n", self.tr("Ctrl+P: command palette   F1: all keys"), "\n",
                  self.tr("F11: lock   F10: log out   F12: language")]
        self.query_one("#home-text", Static).update(assemble(*parts))
