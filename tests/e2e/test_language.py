"""Bahasa Indonesia everywhere in the Indonesian UI (#12 item 1): every section of every role, the F1 key panel and
the command palette are rendered at 80×24 on the demo's data, and no English word may appear.

"English" is what the app itself says in English: the words of the catalogue's source strings (msgids) and of
Textual's own bindings, less every word the Indonesian translations use too ("Login", "Status", "Dokumen" …) and
codes (a word in capitals is a code: SPPB, RELEASED, NTPN — shown as DOMAIN.md spells them, never translated).
Stored data (names, goods descriptions) is not the app's language and is not checked."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from screens.sections import sections_for
from tests.e2e.conftest import settle
from tests.services.test_dashboard import demo  # noqa: F401  (the fixture)
from workstation.domain.codes import Role
from workstation.i18n import LOCALE_DIR

WORD = re.compile(r"[A-Za-z][a-z]{2,}")
# Textual's own words (the key panel and the palette): English unless the app translates them.
TEXTUAL_WORDS = {"scroll", "focus", "search", "commands", "command", "quit", "theme", "keys", "copy", "selected",
                 "previous", "next", "maximize", "minimize", "screenshot", "palette", "left", "right", "page",
                 "home", "end", "down"}
# Words both languages write the same way, or that the demo's data carries (not the app's language).
ALLOWED = {"demo", "login", "admin", "status", "total", "online", "offline", "server", "data", "email", "file",
           "format", "kode", "normal", "manual", "unit", "port", "token", "serial", "barcode", "scanner", "printer",
           "hash", "sha", "ctrl", "shift", "tab", "enter", "esc", "escape", "alt", "del", "backspace", "pgup",
           "pgdn", "souvenirs", "euro", "dollar", "tps", "usd", "idr", "kgm", "pce", "via", "web", "monitor",
           "pos", "cukai", "home", "end", "up", "down", "left", "right"}


def _words(text: str) -> set[str]:
    return {w.lower() for w in WORD.findall(text) if not w.isupper()}


@pytest.fixture(scope="module")
def english_words() -> set[str]:
    with open(LOCALE_DIR / "id" / "LC_MESSAGES" / "workstation.po", "rb") as f:
        catalogue = read_po(f)
    source: set[str] = set(TEXTUAL_WORDS)
    indonesian: set[str] = set()
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strs = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in ids:
            source |= _words(re.sub(r"\{[^}]*\}", " ", text))
        for text in strs:
            indonesian |= _words(re.sub(r"\{[^}]*\}", " ", text or ""))
    return source - indonesian - ALLOWED


def screen_text(app) -> str:
    """What the terminal shows now, as lines of text (the top screen over the ones below it)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def english_in(text: str, english: set[str]) -> list[str]:
    return sorted(_words(text) & english)


async def _login(app, pilot, login: str) -> None:
    await settle(app, pilot)
    app.screen.query_one("#login").value = login
    app.screen.query_one("#password").value = "demo12345"
    app.screen.query_one("#password").focus()
    await pilot.press("enter")
    await settle(app, pilot)


ROLE_LOGINS = {"agus": Role.SUPERVISOR, "admin": Role.ADMIN, "siti": Role.OFFICER, "budi": Role.INSPECTOR,
               "dewi": Role.EXAMINER}


@pytest.mark.parametrize("who", list(ROLE_LOGINS))
async def test_every_section_speaks_indonesian(who, demo, make_app, english_words):  # noqa: F811
    found: dict[str, list[str]] = {}
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _login(app, pilot, who)
        assert app.actor is not None
        views = [(s.name, s.key) for s in sections_for(frozenset({ROLE_LOGINS[who]}))]
        for name, key in views:
            await pilot.press(key)
            await settle(app, pilot)
            words = english_in(screen_text(app), english_words)
            if words:
                found[name] = words
            await pilot.press("f1")  # the key panel of this section
            await settle(app, pilot)
            words = english_in(screen_text(app), english_words)
            if words:
                found[f"{name}+F1"] = words
            await pilot.press("f1")
            await settle(app, pilot)
        await pilot.press("ctrl+p")
        await settle(app, pilot)
        words = english_in(screen_text(app), english_words)
        if words:
            found["palette"] = words
    assert not found, f"English on the Indonesian screens of {who}: {found}"


def test_the_check_sees_english(english_words):
    """The word list is not empty and catches what the issue found on screen."""
    assert {"scroll", "focus", "passenger", "queue"} <= english_words
    assert english_in("Budi · passenger · Scroll Up", english_words) == ["passenger", "scroll"]
    assert english_in("Antrean · SPPB · RELEASED", english_words) == []
