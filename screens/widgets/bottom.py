"""Status bar above the key bar, docked together (two widgets docked to one edge would overlap)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical

from screens.widgets.keybar import KeyBar
from screens.widgets.statusbar import StatusBar


class BottomBars(Vertical):
    DEFAULT_CSS = """
    BottomBars { dock: bottom; height: auto; }
    """

    def __init__(self, keys: bool = True) -> None:
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        yield StatusBar()
        if self.keys:
            yield KeyBar()
