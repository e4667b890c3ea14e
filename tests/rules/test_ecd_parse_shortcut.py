"""`parse_ecd` checks a clean document's text once instead of string by string (issue #17 item 8). It must give
exactly what the string-by-string reader gives — the same document, or the same error (code, field, message) —
for clean texts, escapes, refused characters in values and keys, BOMs, UTF-16, duplicate keys, long numbers and
deep nesting."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from bench.ecd_assess import make_docs
from workstation.domain.ecd import ecd_from_obj, parse_ecd
from workstation.domain.jsondoc import load_json
from workstation.errors import InputError

DOCS = make_docs(40, seed=5)


def deep(value):
    """A value as nested tuples that tell apart what `==` does not: Decimal("1") from Decimal("1.0"), a
    `datetime.timezone` from another tzinfo class, the fields a model was given (`model_fields_set`)."""
    if isinstance(value, BaseModel):
        return (type(value).__name__, tuple(sorted(value.model_fields_set)),
                tuple((name, deep(item)) for name, item in value.__dict__.items()))
    if isinstance(value, list | tuple):
        return (type(value).__name__, tuple(deep(item) for item in value))
    if isinstance(value, dt.datetime):
        return ("datetime", repr(value), type(value.tzinfo).__name__)
    return (type(value).__name__, repr(value))


def _outcome(fn, data):
    try:
        return ("ok", deep(fn(data)))
    except InputError as exc:
        return ("error", exc.code, exc.field, str(exc), exc.params)


def _walked(data):
    return ecd_from_obj(load_json(data, source="ecd"))


def _same(data) -> None:
    assert _outcome(parse_ecd, data) == _outcome(_walked, data)


@pytest.mark.parametrize("text", DOCS[:10])
def test_clean_documents_parse_to_the_same_value(text):
    _same(text)
    _same(text.encode())
    assert _outcome(parse_ecd, text)[0] == "ok"


NAME = '"name": "Traveller"'


@pytest.mark.parametrize("mutate", [
    lambda t: t.replace(NAME, '"name": "Trav\\u202eeller"'),  # an override by escape: only the walk sees it
    lambda t: t.replace(NAME, '"name": "Trav\u202eeller"'),  # the same character raw
    lambda t: t.replace(NAME, '"name": "Trav\\u0000eller"'),  # NUL by escape
    lambda t: t.replace(NAME, '"name": "Trav\x7feller"'),  # DEL raw: JSON lets it through, the policy does not
    lambda t: t.replace(NAME, '"name": "Trav\\teller"'),  # a tab by escape: the walk makes it a space
    lambda t: t.replace(NAME, '"name": "Trav\u00e9ller"'),  # clean non-ASCII
    lambda t: t.replace(NAME, '"name": "Trav\\u00e9ller"'),  # the same by escape
    lambda t: t.replace(NAME, '"na\\u200bme": "Traveller"'),  # a zero-width space in a key
    lambda t: t.replace(NAME, '"name": "Traveller", "name": "Other"'),  # duplicate key
    lambda t: t.replace('"cigarettes": ', '"cigarettes": 1' + "0" * 45 + ' ,"x": ', 1),  # a 46-digit number
    lambda t: re.sub(r'"cigarettes": [0-9]+', '"cigarettes": 1' + "0" * 45, t),  # only a 46-digit count
    lambda t: re.sub(r'"cigarettes": [0-9]+', '"cigarettes": 200.0', t),  # only a float count
    lambda t: t.replace(NAME, '"name" : "Traveller"'),  # a space before a colon: the count is not trusted
    lambda t: t.replace(NAME, '"name"\n: "Traveller"'),  # a line break before a colon
    lambda t: t.replace(NAME, '"name": ":Traveller"'),  # a string that starts with a colon
    lambda t: t.replace(NAME, '"name": ":Traveller", "name": "X"'),  # ... and a duplicate key
    lambda t: t.replace('"pornography": false', '"pornography": false, "pornography": true'),  # duplicate bool
    lambda t: t.replace('"cigarettes": ', '"cigarettes": 1.5e3, "y": ', 1),  # a float
    lambda t: t.replace('"cigarettes": ', '"cigarettes": NaN, "y": ', 1),  # NaN
    lambda t: "\ufeff" + t,  # a BOM
    lambda t: t[:-1],  # truncated
    lambda t: t.replace('"family_members": ', '"family_members": ' + "[" * 40 + "]" * 40 + ', "z": ', 1),  # deep
    lambda t: t.replace(NAME, '"name": "Trav\ud800eller"'),  # a lone surrogate
])
def test_anything_unusual_gives_what_the_walk_gives(mutate):
    text = mutate(DOCS[0])
    assert text != DOCS[0]
    _same(text)
    for encoding in ("utf-8", "utf-16"):
        try:
            data = text.encode(encoding)
        except UnicodeEncodeError:
            continue  # a lone surrogate has no UTF form
        _same(data)


@pytest.mark.parametrize("mutate", [
    lambda t: t.replace(NAME, '"name": "Traveller", "name": "Other"'),
    lambda t: t.replace('"pornography": false', '"pornography": false, "pornography": true'),
    lambda t: re.sub(r'"cigarettes": [0-9]+', '"cigarettes": 1' + "0" * 45, t),
])
def test_what_the_plain_decoder_lets_through_is_still_refused(mutate):
    with pytest.raises(InputError) as err:
        parse_ecd(mutate(DOCS[0]))
    assert err.value.code == "INVALID_JSON"


def test_a_tab_by_escape_becomes_a_space_as_before():
    text = DOCS[0].replace(NAME, '"name": "Trav\\teller"')
    assert parse_ecd(text).declarant.name == "Trav eller"


@settings(max_examples=300)
@given(st.sampled_from(DOCS), st.integers(min_value=0, max_value=10_000),
       st.lists(st.sampled_from(['\\', '"', "\x00", "\x7f", "\u202e", "\u00e9", "\ufeff", "\\u202e", "\\n", "{",
                                 "[", "1", "a", " ", ":", ","]), max_size=4).map("".join))
def test_any_insertion_gives_what_the_walk_gives(text, at, insert):
    at %= len(text)
    _same(text[:at] + insert + text[at:])


def test_the_documents_round_trip():
    for text in DOCS[:5]:
        doc = parse_ecd(text)
        assert parse_ecd(json.dumps(doc.to_json())) == doc
