"""One policy for hostile characters at the input layer (issue #11 item 7): controls, invisible formatting
characters and lone surrogates are refused naming the field and the character, tabs and line breaks collapse in
one-line fields; JSON documents are read one way (workstation.domain.jsondoc.load_json); LIKE searches match
literally; error lines are one line and never carry SQL parameters."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, func, insert, select

from workstation import inputs
from workstation.cli import internal_error_line, main
from workstation.domain.errors import ErrorCode, InputError
from workstation.domain.jsondoc import load_json, parse_json_document
from workstation.domain.pib import PibDocument
from workstation.domain.scan import decode_scan

REFUSED = {
    "\x00": ErrorCode.CONTROL_CHARACTERS, "\x07": ErrorCode.CONTROL_CHARACTERS, "\x1b": ErrorCode.CONTROL_CHARACTERS,
    "\x7f": ErrorCode.CONTROL_CHARACTERS, "\x85": ErrorCode.CONTROL_CHARACTERS, "\x9b": ErrorCode.CONTROL_CHARACTERS,
    "\ud800": ErrorCode.CONTROL_CHARACTERS, "\udfff": ErrorCode.CONTROL_CHARACTERS,  # noqa: F601 (ruff hashes lone surrogates alike)
    "\u200b": ErrorCode.FORMAT_CHARACTERS, "\u200f": ErrorCode.FORMAT_CHARACTERS,
    "\u202a": ErrorCode.FORMAT_CHARACTERS, "\u202e": ErrorCode.FORMAT_CHARACTERS,
    "\u2066": ErrorCode.FORMAT_CHARACTERS, "\u2069": ErrorCode.FORMAT_CHARACTERS,
    "\ufeff": ErrorCode.FORMAT_CHARACTERS,
}


@pytest.mark.parametrize(("ch", "code"), REFUSED.items(), ids=[f"U+{ord(c):04X}" for c in REFUSED])
def test_text_refuses_controls_and_format_characters_naming_field_and_character(ch, code):
    for parser in (inputs.text, inputs.search, inputs.argument):
        with pytest.raises(InputError) as e:
            parser(f"Budi{ch}Santoso", "name")
        assert e.value.code == code and e.value.field == "name"
        assert f"U+{ord(ch):04X}" in str(e.value) and e.value.params["char"] == f"U+{ord(ch):04X}"


def test_tabs_and_line_breaks_collapse_in_one_line_fields_but_not_in_arguments():
    assert inputs.text("Budi\t\r\n  Santoso", "name") == "Budi Santoso"
    assert inputs.search(" 50%\n", "search") == "50%"
    with pytest.raises(InputError) as e:
        inputs.argument("a\nb", "DOCNO")
    assert e.value.code == ErrorCode.CONTROL_CHARACTERS and "U+000A" in str(e.value)
    assert inputs.text("José 中文 [/]", "name") == "José 中文 [/]"  # letters of any script and markup stay


def test_like_pattern_matches_literally():
    engine = create_engine("sqlite://")
    meta = MetaData()
    people = Table("people", meta, Column("id", Integer, primary_key=True), Column("name", String(40)))
    meta.create_all(engine)
    names = ["BUDI 100% SANTOSO", "A_B", "AXB", "BACK\\SLASH", "BACKXSLASH", "SITI"]
    with engine.begin() as c:
        c.execute(insert(people), [{"name": n} for n in names])

        def find(text: str) -> list[str]:
            pattern, escape = inputs.like_pattern(text.upper())
            return sorted(c.scalars(select(people.c.name).where(func.upper(people.c.name).like(pattern, escape=escape))))

        assert find("%%") == []  # today's bug: '%%' listed everyone
        assert find("%") == ["BUDI 100% SANTOSO"]
        assert find("a_b") == ["A_B"]
        assert find("k\\s") == ["BACK\\SLASH"]
        assert find("si") == ["SITI"]
    assert inputs.like_pattern("a%", match="prefix") == ("a\\%%", "\\")
    assert inputs.like_pattern("a_", match="exact") == ("a\\_", "\\")


def test_one_line_escapes_everything_a_terminal_would_act_on():
    line = inputs.one_line("a\nb\r\tc\x1b[2J\u202e\ud800\x85 é")
    assert "\n" not in line and line == "a\\nb\\r\\tc\\x1b[2J\\u202e\\ud800\\x85 é"
    line.encode("utf-8")  # a lone surrogate is escaped: the line can always be written
    assert len(inputs.one_line("x" * 5000, limit=100)) == 100


def test_load_json_refusals_are_input_errors_naming_the_source():
    cases = {
        b"[" * 1000 + b"]" * 1000: ErrorCode.TOO_DEEP,
        b'{"a": ' + b"9" * 4301 + b"}": ErrorCode.INVALID_JSON,
        b'{"a": 1, "a": 2}': ErrorCode.INVALID_JSON,
        b'{"a": NaN}': ErrorCode.INVALID_JSON,
        b'{"a": 1e999}': ErrorCode.INVALID_JSON,
        '{"a": 1}'.encode("utf-16"): ErrorCode.NOT_UTF8,
        '{"a": 1}'.encode("utf-16-le"): ErrorCode.NOT_UTF8,
        b'{"a": "\xff"}': ErrorCode.NOT_UTF8,
        b'{"a": "x\\u0000y"}': ErrorCode.CONTROL_CHARACTERS,
        b'{"a": "x\\ud800"}': ErrorCode.CONTROL_CHARACTERS,
        b'{"a": "x\\u202ey"}': ErrorCode.FORMAT_CHARACTERS,
        b'{"a\\u001b": 1}': ErrorCode.CONTROL_CHARACTERS,
        b"x" * 100: ErrorCode.FILE_TOO_LARGE,
    }
    for data, code in cases.items():
        with pytest.raises(InputError) as e:
            load_json(data, source="doc.json", limit=64 if data == b"x" * 100 else 1 << 20)
        assert e.value.code == code, (data[:30], e.value)
        assert e.value.field.startswith(("doc.json", "a")), e.value.field
    assert load_json(b'\xef\xbb\xbf{"a": "x\\ny\\tz"}') == {"a": "x y z"}  # BOM dropped, breaks collapsed
    with pytest.raises(InputError) as e:
        load_json(b'{"items": [{"name": "ok"}, {"name": "PT \\u202eAMAJ"}]}')
    assert e.value.field == "items[1].name"


def test_pib_documents_refuse_hostile_importer_names_and_duplicate_keys():
    from pathlib import Path

    doc = json.loads((Path(__file__).parents[1] / "fixtures" / "pib" / "contract_example.json").read_text())
    doc["importer"]["name"] = "PT Maju \u202eAMAJ"
    with pytest.raises(InputError) as e:
        parse_json_document(json.dumps(doc), PibDocument, fmt="pib/1")
    assert e.value.code == ErrorCode.FORMAT_CHARACTERS and e.value.field == "importer.name"
    with pytest.raises(InputError, match="duplicate key 'format'"):
        parse_json_document('{"format": "pib/1", "format": "pib/1"}', PibDocument, fmt="pib/1")


def test_scan_refuses_format_characters_and_crafted_offline_ecds():
    assert decode_scan("CSQU3054383\u202e").detail["error"] == "invisible formatting character U+202E"
    import base64
    import zlib

    deep = "ECD1:" + base64.urlsafe_b64encode(zlib.compress(b"[" * 5000 + b"]" * 5000)).decode()
    result = decode_scan(deep)
    assert not result.valid and result.detail["stage"] == "json" and "deeper" in result.detail["error"]


def test_internal_error_line_never_prints_sql_parameters():
    from sqlalchemy.exc import DataError, IntegrityError

    orig = ValueError('duplicate key value violates unique constraint "ecd_pkey"\nDETAIL: Key (passport)=(A1234567)')
    exc = IntegrityError("INSERT INTO ecd (name, passport, birth_date) VALUES (?, ?, ?)",
                         ("Budi Santoso", "A1234567", "1980-05-01"), orig)
    line = internal_error_line(exc)
    assert "\n" not in line and "IntegrityError" in line and "unique constraint" in line
    assert "Budi" not in line and "A1234567" not in line and "INSERT" not in line and "1980" not in line
    exc = DataError("SELECT 1 WHERE name = %(name)s", {"name": "Budi\x00"}, ValueError("NUL (0x00) bytes"))
    assert "Budi" not in internal_error_line(exc)


def test_error_lines_are_one_line_even_for_a_value_with_a_newline(capsys, tmp_path):
    path = tmp_path / "plp.json"
    path.write_text(json.dumps({"format": "plp/1\n2"}))
    assert main(["plp", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "format" in err
    # argparse's own refusals too (an unknown option echoing the bad text)
    with pytest.raises(SystemExit) as e:
        main(["scan", "decode", "x", "--what\n\x1b[2J"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "\x1b" not in err and "\\x1b" in err
