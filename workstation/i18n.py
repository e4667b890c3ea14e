"""UI language: gettext catalogues under workstation/locale/<lang>/LC_MESSAGES/workstation.mo.
Source strings are English; `id` (Bahasa Indonesia) is the default. A Translator is per App (no process-wide
language state); codes and numbers are never translated."""

from __future__ import annotations

import gettext
from functools import lru_cache
from pathlib import Path

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "workstation"
LANGUAGES = {"id": "Bahasa Indonesia", "en": "English"}


def N_(message: str) -> str:
    """Mark a string for extraction without translating it here (translated when shown)."""
    return message


@lru_cache(maxsize=4)
def _catalogue(lang: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[lang], fallback=False)


class Translator:
    def __init__(self, lang: str = "id"):
        self.set_language(lang)

    def set_language(self, lang: str) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}")
        self.lang = lang
        self._t = _catalogue(lang)

    def __call__(self, message: str, **kw) -> str:
        text = self._t.gettext(message)
        return text.format(**kw) if kw else text
