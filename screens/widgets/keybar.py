"""The key bar: the active bindings of the screen with translated descriptions, compact enough for 80
columns. (Textual's Footer shows the raw description; ours goes through the app's translator.)"""

from __future__ import annotations

from textual.widgets import Static


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
