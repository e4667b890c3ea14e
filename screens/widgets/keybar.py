"""The key bar: the active bindings of the screen with translated descriptions, compact enough for 80
columns. (Textual's Footer shows the raw description; ours goes through the app's translator.)

Also the F1 key panel in the UI language: Textual's KeyPanel renders each binding's description as written
(English: "Scroll Up", "Focus Next", and our N_() strings untranslated); `TranslatedHelpPanel` is Textual's
HelpPanel whose table passes every description and group title through the app's translator
(`TEXTUAL_DESCRIPTIONS` lists Textual's own, for the catalogue)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import HelpPanel, KeyPanel, Static
from textual.widgets._key_panel import BindingsTable

from workstation.i18n import N_

# Textual's own binding descriptions and command palette texts (textual 8.x), marked for the catalogue.
TEXTUAL_DESCRIPTIONS = (
    N_("Copy selected text"), N_("Cursor Down"), N_("Cursor Up"), N_("Cursor to next ancestor"),
    N_("Cursor to next sibling"), N_("Cursor to parent"), N_("Cursor to previous sibling"),
    N_("Cut selected text"), N_("Delete all to the left"), N_("Delete all to the right"),
    N_("Delete character left"), N_("Delete character right"), N_("Delete left to start of word"),
    N_("Delete right to start of word"), N_("Dismiss menu"), N_("Down"), N_("Exit the command palette"),
    N_("Expand or collapse all"), N_("First"), N_("Focus Next"), N_("Focus Previous"), N_("Go to bottom"),
    N_("Go to end"), N_("Go to start"), N_("Go to top"), N_("Last"), N_("Move cursor left"),
    N_("Move cursor left a word"), N_("Move cursor left a word and select"), N_("Move cursor left and select"),
    N_("Move cursor right a word"), N_("Move cursor right a word and select"), N_("Move cursor right and select"),
    N_("Move cursor right or accept the completion suggestion"), N_("Next command"), N_("Next page"),
    N_("Page Down"), N_("Page Left"), N_("Page Right"), N_("Page Up"), N_("Paste text from the clipboard"),
    N_("Press button"), N_("Previous command"), N_("Previous page"), N_("Quit"), N_("Scroll Down"),
    N_("Scroll End"), N_("Scroll Home"), N_("Scroll Left"), N_("Scroll Right"), N_("Scroll Up"), N_("Select"),
    N_("Select all"), N_("Select line end"), N_("Select line start"), N_("Show menu"), N_("Submit"),
    N_("Toggle"), N_("Up"), N_("Toggle option"), N_("Next tab"), N_("Previous tab"), N_("Move cursor right"),
    N_("Cursor left"), N_("Cursor right"), N_("Cursor up"), N_("Cursor down"), N_("Top"), N_("Bottom"),
    N_("Home"), N_("End"), N_("Page up"), N_("Page down"),
)


class KeyBar(Static):
    DEFAULT_CSS = """
    KeyBar { height: 1; background: $boost; color: $text-muted; padding: 0 1; }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, lambda _screen: self.refresh_keys())
        self.refresh_keys()

    def refresh_keys(self) -> None:
        tr = self.app.tr  # type: ignore[attr-defined]
        parts: list[str] = []
        seen: set[str] = set()
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.show or not binding.description or binding.action in seen:
                continue
            if not active.enabled:
                continue
            seen.add(binding.action)
            display = self.app.get_key_display(binding)
            parts.append(f"[b]{display}[/b] {tr(binding.description)}")
        self.update("  ".join(parts))


class TranslatedBindingsTable(BindingsTable):
    """Textual's bindings table with every description (and group title) in the UI language."""

    def render_bindings_table(self) -> Table:
        table = super().render_bindings_table()
        tr = self.app.tr  # type: ignore[attr-defined]
        for column in table.columns[1:]:
            cells = column._cells
            for i, cell in enumerate(cells):
                if isinstance(cell, Text) and cell.plain:
                    cells[i] = Text(tr(cell.plain), style=cell.style, end="")
        return table


class TranslatedKeyPanel(KeyPanel):
    def compose(self) -> ComposeResult:
        yield TranslatedBindingsTable(shrink=True, expand=False)


class TranslatedHelpPanel(HelpPanel):
    """F1: the keys of the focused widget and the screen, translated. Textual's per-widget help text
    (English Markdown) is left out: the keys say it."""

    def compose(self) -> ComposeResult:
        yield TranslatedKeyPanel(id="keys-help")

    def on_mount(self) -> None:
        pass  # HelpPanel watches the focus to show the widget's HELP markdown: not shown here

    def update_help(self, focused_widget) -> None:  # noqa: ANN001
        pass

    def refresh_language(self) -> None:
        for panel in self.query(KeyPanel):
            panel.call_later(panel.recompose)
