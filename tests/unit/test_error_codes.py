"""Every refusal and input error raised by the core carries a code from the catalogue, so screens can say it in
the user's language (workstation/domain/errors.py). Checked on the source: a new `raise Refusal("…")` without
`code=ErrorCode.X` fails here, naming the file and line."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from workstation.domain.errors import TEMPLATES, ErrorCode, render
from workstation.errors import InputError, Refusal

ROOT = Path(__file__).resolve().parents[2]
ERRORS = {"WorkstationError", "InputError", "ConfigError", "Refusal", "PermissionDenied", "NotFound",
          "ConflictError", "AuthenticationFailed", "AccountLocked", "DatabaseUnavailable"}
CHECKED = sorted([*(ROOT / "workstation" / "services").rglob("*.py"), ROOT / "workstation" / "inputs.py"])


def _forwarders(tree: ast.AST) -> set[int]:
    """Lines inside helpers that take `code: ErrorCode` and pass it on (`_fail(ErrorCode.X, …)` builds it)."""
    lines: set[int] = set()
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) and any(
                a.arg == "code" and isinstance(a.annotation, ast.Name) and a.annotation.id == "ErrorCode"
                for a in fn.args.args + fn.args.kwonlyargs):
            lines.update(range(fn.lineno, (fn.end_lineno or fn.lineno) + 1))
    return lines


def _problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    forwarders = _forwarders(tree)
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if name not in ERRORS:
            continue
        code = next((k.value for k in node.keywords if k.arg == "code"), None)
        if isinstance(code, ast.Name) and code.id == "code" and node.lineno in forwarders:
            continue
        where = f"{path.relative_to(ROOT)}:{node.lineno}"
        if not (isinstance(code, ast.Attribute) and isinstance(code.value, ast.Name)
                and code.value.id == "ErrorCode"):
            out.append(f"{where}: {name}(…) without code=ErrorCode.X")
        elif code.attr not in ErrorCode.__members__:
            out.append(f"{where}: ErrorCode.{code.attr} is not in the catalogue")
    return out


@pytest.mark.parametrize("path", CHECKED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_raised_error_has_a_catalogued_code(path):
    assert _problems(path) == []


def test_the_check_catches_a_missing_and_an_unknown_code(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    raise Refusal('no')\n\ndef g():\n    raise InputError(code=ErrorCode.NOPE)\n")
    probe = ROOT / "workstation" / "services" / "_probe_test_error_codes.py"
    probe.write_text(bad.read_text())
    try:
        problems = _problems(probe)
    finally:
        probe.unlink()
    assert len(problems) == 2 and "without code" in problems[0] and "NOPE" in problems[1]


def test_templates_render_with_their_parameters():
    e = InputError(code=ErrorCode.TOO_LONG, field="name", params={"limit": 40})
    assert str(e) == "name: at most 40 characters" and e.params == {"limit": 40, "field": "name"}
    # A raiser's own message wins; the code and parameters still travel for the screens.
    r = Refusal("cannot pay twice", code=ErrorCode.ALREADY_DONE)
    assert str(r) == "cannot pay twice" and r.code is ErrorCode.ALREADY_DONE
    # A template whose parameter is missing falls back to the message, never a KeyError.
    assert render(ErrorCode.TOO_LONG, {}, "fallback") == "fallback"


def test_every_template_names_only_known_codes_and_codes_equal_their_values():
    assert all(isinstance(k, ErrorCode) for k in TEMPLATES)
    assert all(c.name == c.value for c in ErrorCode)


PO = ROOT / "workstation/locale/id/LC_MESSAGES/workstation.po"


def _fields(template: str) -> set[str]:
    import string

    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_code_has_a_template_or_is_said_in_its_raiser_s_words():
    from workstation.domain.errors import RAISERS_WORDS

    assert sorted(c.name for c in ErrorCode if c not in TEMPLATES and c not in RAISERS_WORDS) == []
    assert sorted(c.name for c in RAISERS_WORDS if c in TEMPLATES) == []


def test_every_template_is_said_in_indonesian_with_the_same_parameters():
    """The catalogue translates each template (gettext would otherwise hand back the English) and keeps its
    parameters: a translation naming another one could not be filled, and the screen would show English."""
    from babel.messages.pofile import read_po

    with PO.open("rb") as f:
        catalog = read_po(f)
    missing, other_fields = [], []
    for code, template in TEMPLATES.items():
        entry = catalog.get(template)
        if entry is None or not entry.string:
            missing.append(code.name)
        elif _fields(entry.string) != _fields(template):
            other_fields.append(code.name)
    assert missing == [] and other_fields == []


def test_a_refusal_reaches_an_indonesian_screen_in_indonesian_and_an_english_one_in_its_raiser_s_words():
    from screens.base import error_text
    from workstation.i18n import Translator
    from workstation.services.issuance import OfficeKeyMissing

    refusal = OfficeKeyMissing("no PAdES key at /srv/keys/office.pades.pem; restore it from backup",
                               code=ErrorCode.KEY_MISSING)
    assert error_text(refusal, Translator("id")).startswith("kunci atau sertifikat tanda tangan kantor tidak ada")
    assert error_text(refusal, Translator("en")) == str(refusal)  # the path the raiser named
    field = InputError("must not be negative", code=ErrorCode.NEGATIVE, field="amount_idr")
    assert error_text(field, Translator("id")) == "amount_idr: tidak boleh negatif"
    stale = Refusal("x changed", code=ErrorCode.VERSION_CONFLICT, params={"reference": "PIB 1", "who": "siti"})
    assert error_text(stale, Translator("id")) == ("PIB 1 telah diubah oleh siti sejak Anda membukanya; muat ulang "
                                                   "dan ulangi")


# --- the raisers' own words (RAISERS_WORDS): said in Indonesian too -----------------------------------------
RAISING = sorted(p for d in ("workstation", "screens", "devices", "printing") for p in (ROOT / d).rglob("*.py"))
# an error class whose code defaults to one of RAISERS_WORDS when the raiser names none
DEFAULT_CODES = {"PrinterError": "PRINT_FAILED"}


def _raisers_words(path: Path) -> tuple[list[tuple[str, str]], list[str]]:
    """(where, msgid) of each constant message or `template=` raised with a RAISERS_WORDS code in `path`, and
    the places that build such a message as an f-string (not translatable: they give `template=` instead)."""
    from workstation.domain.errors import RAISERS_WORDS

    words = {c.name for c in RAISERS_WORDS}
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    msgids, fstrings = [], []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if name not in ERRORS and name not in DEFAULT_CODES:
            continue
        kw = {k.arg: k.value for k in node.keywords}
        code = kw.get("code")
        if isinstance(code, ast.Attribute) and isinstance(code.value, ast.Name) and code.value.id == "ErrorCode":
            code_name = code.attr
        else:
            code_name = DEFAULT_CODES.get(name or "") if code is None else None
        if code_name not in words:
            continue
        where = f"{path.relative_to(ROOT)}:{node.lineno}"
        message = node.args[0] if node.args else kw.get("message")
        template = kw.get("template")
        for value in (message, template):
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                msgids.append((where, value.value))
        if isinstance(message, ast.JoinedStr) and template is None:
            fstrings.append(f"{where}: an f-string message with {code_name}; give template= and params=")
    return msgids, fstrings


def _indonesian():
    import gettext

    return gettext.translation("workstation", localedir=ROOT / "workstation/locale", languages=["id"])


def test_every_raiser_s_own_words_are_said_in_indonesian():
    """A code without a catalogue template is said in its raiser's words: each constant message and template
    is a msgid the Indonesian catalogue translates (keeping its parameters), and no message of such a code is
    an f-string (gettext cannot look those up)."""
    id_ = _indonesian()
    untranslated, other_fields, fstrings = [], [], []
    for path in RAISING:
        msgids, bad = _raisers_words(path)
        fstrings += bad
        for where, msgid in msgids:
            said = id_.gettext(msgid)
            if said == msgid:
                untranslated.append(f"{where}: {msgid!r}")
            elif _fields(said) != _fields(msgid):
                other_fields.append(f"{where}: {msgid!r}")
    assert fstrings == [] and untranslated == [] and other_fields == []


def test_the_check_catches_an_f_string_and_an_untranslated_message(tmp_path):
    probe = ROOT / "workstation" / "services" / "_probe_raisers_words.py"
    probe.write_text("def f(x):\n    raise InputError(f'{x} is odd', code=ErrorCode.INVALID_VALUE)\n\n"
                     "def g(x):\n    raise InputError(template='{x} is odd', code=ErrorCode.INVALID_VALUE, params={'x': x})\n\n"
                     "def h():\n    raise PrinterError('no paper in the probe')\n\n"
                     "def i(x):\n    raise Refusal(f'{x}', code=ErrorCode.UNKNOWN_CASE)\n")
    try:
        msgids, fstrings = _raisers_words(probe)
    finally:
        probe.unlink()
    assert [m for _, m in msgids] == ["{x} is odd", "no paper in the probe"]
    assert len(fstrings) == 1 and "_probe_raisers_words.py:2" in fstrings[0]
    assert _indonesian().gettext("no paper in the probe") == "no paper in the probe"


def test_a_raiser_s_own_words_reach_an_indonesian_screen_in_indonesian():
    from screens.base import error_text
    from workstation.i18n import Translator

    idn, en = Translator("id"), Translator("en")
    constant = InputError("directory does not exist", field="x", code=ErrorCode.INVALID_VALUE)
    assert error_text(constant, idn) == "x: " + idn("directory does not exist")
    assert idn("directory does not exist") != "directory does not exist"
    assert error_text(constant, en) == "x: directory does not exist" == str(constant)

    # a template: the English as an f-string gave it; Indonesian fills the translated template
    filled = InputError(template="cannot write here: {reason}", field="/srv/out.pdf", code=ErrorCode.INVALID_VALUE,
                        params={"reason": "Permission denied"})
    assert str(filled) == "/srv/out.pdf: cannot write here: Permission denied"
    assert filled.message == "cannot write here: Permission denied" and filled.template == "cannot write here: {reason}"
    assert filled.params == {"reason": "Permission denied", "field": "/srv/out.pdf"}
    assert error_text(filled, idn) == "/srv/out.pdf: " + idn("cannot write here: {reason}",
                                                             reason=idn("Permission denied"))
    assert "Permission denied" not in error_text(filled, idn)  # the system's reason is said in Indonesian too
    assert error_text(filled, en) == str(filled)

    # a reason in the params is said in the user's language too, where it has the words
    unread = InputError(code=ErrorCode.FILE_UNREADABLE, field="kurs.csv", params={"reason": "file not found"})
    assert error_text(unread, idn) == "kurs.csv: " + idn("cannot read: {reason}", reason=idn("file not found"))
    assert idn("file not found") != "file not found" and "file not found" not in error_text(unread, idn)
    assert error_text(unread, en) == str(unread)
    odd = InputError(code=ErrorCode.FILE_UNREADABLE, field="kurs.csv", params={"reason": "a reason nobody wrote"})
    assert error_text(odd, idn).endswith("a reason nobody wrote")

    # words Indonesian lacks stay the raiser's English; an empty message never fetches the catalogue header
    other = Refusal("a message nobody translated", code=ErrorCode.UNKNOWN)
    assert error_text(other, idn) == "a message nobody translated"
    assert error_text(Refusal("", code=ErrorCode.UNKNOWN), idn) == ""
