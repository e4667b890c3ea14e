"""Preview before issuing: the text of the document the action would issue and the mark its print will carry
(none: the first print of a new document is the original); Enter or Ctrl+S issues it, Escape or F3 goes back."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from screens.base import Modal
from screens.widgets.text import assemble, plain
from workstation.i18n import N_


class PreviewModal(Modal):
    DEFAULT_CSS = """
    PreviewModal { align: center middle; }
    PreviewModal > Vertical { width: 82; max-width: 100%; height: 100%; border: round $warning; background: $surface; }
    PreviewModal VerticalScroll { height: 1fr; }
    #preview-mark { height: auto; padding: 0 1; }
    #preview-keys { height: auto; background: $boost; padding: 0 1; }
    """
    BINDINGS = [
        Binding("enter", "issue", N_("Issue"), id="preview.issue"),
        Binding("ctrl+s", "issue", N_("Issue"), id="preview.issue_ctrl_s", show=False),
        Binding("escape", "back", N_("Back"), id="preview.back"),
        Binding("f3", "back", N_("Back"), id="preview.back_f3", show=False),
    ]

    def __init__(self, text: str, mark: str = "") -> None:
        """`mark`: the mark the print will carry as the printing module stamps it (printing.fmt), if any."""
        super().__init__()
        self.text = text
        self.mark = mark

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self._mark_line(), id="preview-mark")
            with VerticalScroll():
                yield Static(plain(self.text, lines=True), id="preview-text")  # document text is never markup
            yield Static(self.tr("Enter/Ctrl+S: issue this document · Esc/F3: back"), id="preview-keys")

    def _mark_line(self):
        tr = self.tr
        if self.mark:
            return assemble((tr("Preview, not issued yet") + " · " + tr("The print carries") + ": ", "dim"),
                            (self.mark, "bold reverse"))
        return assemble((tr("Preview, not issued yet") + " · ", "dim"),
                        (tr("its first print is the original (no copy mark)"), "bold"))

    def refresh_language(self) -> None:
        marks = self.query("#preview-mark")
        if not marks:  # a subclass with a layout of its own (the LHP's) words its lines itself
            return
        marks.first(Static).update(self._mark_line())
        self.query_one("#preview-keys", Static).update(self.tr("Enter/Ctrl+S: issue this document · Esc/F3: back"))

    def action_issue(self) -> None:
        self.dismiss(True)

    def action_back(self) -> None:
        self.dismiss(False)
