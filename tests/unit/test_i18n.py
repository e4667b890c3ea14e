"""Every UI string has an Indonesian translation, and the compiled catalogue matches its source."""

from __future__ import annotations

import gettext
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "workstation/locale/id/LC_MESSAGES/workstation.po"
MO = ROOT / "workstation/locale/id/LC_MESSAGES/workstation.mo"


def _source_messages() -> set[str]:
    found = set()
    for pkg in ("screens", "workstation"):
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            ROOT / pkg, method_map=[("**.py", "python")], keywords={"tr": None, "N_": None}
        ):
            if isinstance(message, str) and message:
                found.add(message)
    return found


def test_every_ui_string_is_translated():
    with PO.open("rb") as f:
        catalog = read_po(f)
    translated = {m.id for m in catalog if m.id and m.string}
    missing = sorted(_source_messages() - translated)
    assert missing == [], f"add to {PO.name} (see README, Translations): {missing}"


def test_compiled_catalogue_matches_the_po_file():
    with PO.open("rb") as f:
        catalog = read_po(f)
    with MO.open("rb") as f:
        mo = gettext.GNUTranslations(f)
    stale = [m.id for m in catalog if m.id and m.string and mo.gettext(m.id) != m.string]
    assert stale == [], "run: pybabel compile -d workstation/locale -D workstation"


def test_translator_formats_and_switches():
    from workstation.i18n import Translator

    t = Translator("id")
    assert t("Welcome, {name}.", name="Siti") == "Selamat datang, Siti."
    t.set_language("en")
    assert t("Welcome, {name}.", name="Siti") == "Welcome, Siti."
