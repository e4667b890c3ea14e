"""Command palette provider: go to any section the user may use, lock, log out, switch language."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from screens.sections import BY_NAME


class SectionCommands(Provider):
    def _commands(self):
        app = self.app
        tr = app.tr  # type: ignore[attr-defined]
        cmds = []
        for name in getattr(app, "_section_modes", []):
            cmds.append((tr("Go to: {section}", section=tr(BY_NAME[name].title)),
                         partial(app.run_action, f"section('{name}')")))
        if getattr(app, "actor", None) is not None:
            cmds.append((tr("Lock the screen"), partial(app.run_action, "lock")))
            cmds.append((tr("Log out"), partial(app.run_action, "logout")))
        cmds.append((tr("Switch language (Bahasa Indonesia / English)"), partial(app.run_action, "toggle_language")))
        return cmds

    async def discover(self) -> Hits:
        for text, cb in self._commands():
            yield DiscoveryHit(text, cb)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, cb in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), cb)
