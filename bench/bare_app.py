"""Baseline for bench.startup: a bare Textual app with the same widgets as the login screen, exiting after
its first paint. No database, no services, no translations."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import Center, Vertical
from textual.widgets import Button, Input, Label, Static


class BareApp(App):
    CSS = """
    Screen { align: center middle; }
    #box { width: 60; height: auto; border: round $primary; padding: 0 2; }
    .bar { dock: bottom; height: 1; }
    """

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="box"):
            yield Static("Workstation Petugas Bea dan Cukai")
            yield Static("DEMO — accounts")
            yield Label("Login")
            yield Input(compact=True)
            yield Label("Password")
            yield Input(password=True, compact=True)
            yield Button("Masuk", compact=True)
            yield Static("")
        with Vertical(classes="bar"):
            yield Static("status")
            yield Static("keys")

    def on_mount(self) -> None:
        self.call_after_refresh(self.exit)


if __name__ == "__main__":
    BareApp().run(headless=True)
