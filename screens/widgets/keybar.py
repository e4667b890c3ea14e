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
from textual.widgets import KeyPanel, Static
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


# Textual words that would read ambiguously translated word for word: ctrl+q "Quit" and our F10 "Logout" would
# both be "Keluar"; Textual's ctrl+p is described as just "palette".
RENAMED = {"Quit": N_("Close the application"), "palette": N_("Command palette")}


def translate_binding_text(tr, text: str) -> str:
    return tr(RENAMED.get(text, text))


class TranslatedBindingsTable(BindingsTable):
    """Textual's bindings table (textual 8.x BindingsTable.render_bindings_table, same layout) with every
    description, tooltip and group title in the UI language."""

    def render_bindings_table(self) -> Table:
        from collections import defaultdict
        from itertools import groupby
        from operator import itemgetter

        from rich import box

        tr = self.app.tr  # type: ignore[attr-defined]
        bindings = self.screen.active_bindings.values()
        key_style = self.get_component_rich_style("bindings-table--key")
        divider_transparent = self.get_component_styles("bindings-table--divider").color.a == 0
        table = Table(padding=(0, 0), show_header=False, box=box.SIMPLE if divider_transparent else box.HORIZONTALS,
                      border_style=self.get_component_rich_style("bindings-table--divider"))
        table.add_column("", justify="right")
        header_style = self.get_component_rich_style("bindings-table--header")
        description_style = self.get_component_rich_style("bindings-table--description")
        previous_namespace: object = None
        for namespace, group in groupby(bindings, key=itemgetter(0)):
            table_bindings = list(group)
            if not table_bindings:
                continue
            if namespace.BINDING_GROUP_TITLE:
                title = Text(tr(namespace.BINDING_GROUP_TITLE), end="")
                title.stylize(header_style)
                table.add_row("", title)
            by_action: defaultdict[str, list] = defaultdict(list)
            for _, binding, _enabled, _tooltip in table_bindings:
                if not binding.system:
                    by_action[binding.action].append(binding)
            for same in by_action.values():
                binding = same[0]
                keys = " ".join(dict.fromkeys(self.app.get_key_display(b) for b in same))
                text = Text(translate_binding_text(tr, binding.description), end="", style=description_style)
                if binding.tooltip:  # Textual's own tooltips are English sentences: translated or left out
                    tooltip = translate_binding_text(tr, binding.tooltip)
                    if tooltip != binding.tooltip or getattr(self.app.translator, "lang", "en") == "en":
                        text.append(" ")
                        text.append(tooltip, "dim")
                table.add_row(Text(keys, style=key_style), text)
            if namespace != previous_namespace:
                table.add_section()
            previous_namespace = namespace
        return table


class TranslatedKeyPanel(KeyPanel):
    def compose(self) -> ComposeResult:
        yield TranslatedBindingsTable(shrink=True, expand=False)


def _help_panel_class() -> type:
    # Textual's HelpPanel imports its Markdown widget, markdown-it and pygments (~3 MB a process): loaded on the
    # first F1, not in every session (issue #15)
    from textual.widgets import HelpPanel

    class TranslatedHelpPanel(HelpPanel):
        """F1: the keys of the focused widget and the screen, translated. Textual's per-widget help text
        (English Markdown) is left out: the keys say it."""

        def compose(self) -> ComposeResult:
            yield TranslatedKeyPanel(id="keys-help")

        def on_mount(self) -> None:
            pass  # HelpPanel watches the focus to show the widget's HELP markdown: not shown here

        def update_help(self, focused_widget) -> None:
            pass

        def refresh_language(self) -> None:
            for panel in self.query(KeyPanel):
                panel.call_later(panel.recompose)

    return TranslatedHelpPanel


def __getattr__(name: str):
    """`TranslatedHelpPanel` is built on first use (see _help_panel_class)."""
    if name == "TranslatedHelpPanel":
        cls = globals()[name] = _help_panel_class()
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
