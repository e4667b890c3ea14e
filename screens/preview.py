"""Preview before issuing: the text of the document the action would issue; Enter issues it, Escape goes back."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from screens.base import Modal
from workstation.i18n import N_


class PreviewModal(Modal):
    DEFAULT_CSS = """
    PreviewModal { align: center middle; }
    PreviewModal > Vertical { width: 82; max-width: 100%; height: 100%; border: round $warning; background: $surface; }
    PreviewModal VerticalScroll { height: 1fr; }
    #preview-keys { height: 1; background: $boost; padding: 0 1; }
    """
    BINDINGS = [
        Binding("enter", "issue", N_("Issue"), id="preview.issue"),
        Binding("escape", "back", N_("Back"), id="preview.back"),
    ]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        from rich.text import Text

        with Vertical():
            with VerticalScroll():
                yield Static(Text(self.text), id="preview-text")
            yield Static(self.tr("Enter: issue this document · Esc: back"), id="preview-keys")

    def action_issue(self) -> None:
        self.dismiss(True)

    def action_back(self) -> None:
        self.dismiss(False)
