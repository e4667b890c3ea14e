"""A section whose workflow is not part of this build yet: says so plainly instead of pretending."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from screens.base import SectionScreen


class PendingSectionScreen(SectionScreen):
    def __init__(self, section) -> None:
        super().__init__()
        self.section = section
        self.TITLE_TEXT = section.title

    def compose_body(self) -> ComposeResult:
        yield Static(id="pending-text", classes="body")

    def on_mount(self) -> None:
        self.refresh_language()

    def refresh_language(self) -> None:
        super().refresh_language()
        self.query_one("#pending-text", Static).update(
            self.tr("This section is not available in this version yet."))
