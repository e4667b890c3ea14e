"""`parse_ecd`'s shortcut lets pydantic-core read the JSON text itself (`model_validate_json`) instead of `json`
then `model_validate` (issue #17 item 8). Whatever it accepts must be exactly what the full way
(`load_json` + `ecd_from_obj`) gives — the same value down to Decimal exponents, time zones and the fields
given — and whatever it refuses must fall back to the full way's one error (code, field, message,
parameters). Checked here on JSON syntax at every kind of value, raw characters anywhere, repeated keys in
every object, layouts, and generated documents; `test_ecd_parse_shortcut.py` has the text-policy cases."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.ecd_assess import make_docs
from tests.rules.test_ecd_parse_shortcut import _outcome, _walked, deep
from workstation.domain import jsondoc
from workstation.domain.ecd import EcdDocument, parse_ecd

DOCS = make_docs(40, seed=11)
BASE = json.loads(DOCS[0])
# A document with every kind of object and every optional field written.
BASE["family_members"] = [{"name": "Member", "passport": "X1", "birth_date": "2001-02-03"}]
BASE["goods"] = [{"description": "item", "hs_code": "847130", "quantity": 1, "unit": "PCE", "value": "12.50",
                  "currency": "USD", "personal_use": True}]
BASE["cash"] = [{"currency": "USD", "amount": "500", "bearer_instrument": False}]
BASE["declarant"]["npwp"] = "012345678901000"


class _Fallback(Exception):
    pass


def _by_shortcut(data):
    """The document when `parse_ecd` took the shortcut; None when it went the full way."""
    with mock.patch.object(jsondoc, "load_json", side_effect=_Fallback):
        try:
            return parse_ecd(data)
        except _Fallback:
            return None


def _same(data) -> tuple:
    got = _outcome(parse_ecd, data)
    assert got == _outcome(_walked, data)
    return got


def test_deep_tells_apart_what_equality_does_not():
    assert Decimal("1") == Decimal("1.0") and deep(Decimal("1")) != deep(Decimal("1.0"))
    moment = dt.datetime(2026, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    other = moment.replace(tzinfo=type("Zone", (dt.tzinfo,), {"utcoffset": lambda self, _: dt.timedelta(hours=7)})())
    assert moment == other and deep(moment) != deep(other)
    doc = EcdDocument.model_validate(BASE)
    obj = dict(BASE, family_members=[])
    assert deep(doc) != deep(EcdDocument.model_validate(obj))  # family_members given empty: another field set
    del obj["family_members"]
    assert deep(EcdDocument.model_validate(obj)) != deep(EcdDocument.model_validate(dict(BASE, family_members=[])))


@pytest.mark.parametrize("text", DOCS)
def test_clean_documents_take_the_shortcut_with_the_full_ways_value(text):
    doc = _by_shortcut(text)
    assert doc is not None
    assert deep(doc) == deep(_walked(text))
    assert deep(_by_shortcut(text.encode())) == deep(doc)


# Where a value goes: (path to the value in BASE, what the field is).
SLOTS = [
    (("excise", "cigarettes"), "count"),
    (("goods", 0, "quantity"), "quantity"),
    (("goods", 0, "value"), "amount"),
    (("cash", 0, "amount"), "amount"),
    (("excise", "alcohol_l"), "amount"),
    (("goods", 0, "personal_use"), "bool"),
    (("cash", 0, "bearer_instrument"), "bool"),
    (("arrival", "date"), "date"),
    (("family_members", 0, "birth_date"), "date"),
    (("submitted_at",), "datetime"),
    (("declarant", "npwp"), "npwp"),
    (("arrival", "carrier"), "optional text"),
    (("goods", 0, "hs_code"), "optional pattern"),
    (("declarant", "traveller_type"), "enum"),
    (("format",), "literal"),
    (("family_members",), "list"),
    (("arrival",), "object"),
]
TOKENS = [
    # numbers, valid and not
    "0", "-0", "-1", "1", "7", "1000000000", "1000000001", "01", "-01", "00", "+1", ".5", "1.", "1.0", "2.5",
    "-0.0", "1e2", "1E2", "1e-2", "1.5e", "0x10", "1_000", "1" + "0" * 45, "9" * 5000, "1" + "0" * 400 + ".0",
    "NaN", "-NaN", "Infinity", "-Infinity", "1e400",
    # literals
    "true", "false", "null", "True", "tru", "nul", "None",
    # strings
    '"1"', '"01"', '"0"', '"1.0"', '"2.50"', '"1.1234567"', '"1e2"', '"-1"', '" 1"', '"1 "', '"1_000"', '"0x10"',
    '"\u0661"', '"\uff11"', '"NaN"', '"Infinity"', '""', "'1'", '"true"', '"passenger"', '"Passenger"',
    '"ecd/1"', '"ecd/2"', '"2024-01-01"', '"2024-02-29"', '"2023-02-29"', '"2024-02-30"', '"0000-01-01"',
    '"2024-1-01"', '"20240101"', '"2024-01-01T00:00:00"', '"2024-01-01 "', '"2026-11-20T09:15:00+07:00"',
    '"2026-11-20T09:15:00Z"', '"2026-11-20T09:15:00"', '"2026-11-20 09:15:00+07:00"', '"2026-11-20T09:15+07:00"',
    '"2026-11-20T09:15:00.5+07:00"', '"2026-11-20T09:15:00+0700"', '"2026-11-20T24:00:00+07:00"',
    '"2026-11-20T09:15:00+07:00:30"', '"012345678901000"', '"01.234.567.8-901.000"', '"12345"', '"847130"',
    '"ABC"', '"A"',
    # structures
    "[]", "{}", "[1,]", "[null]", '{"a": 1}', "[{}]", '[{"name": "A", "passport": "P", "birth_date": "2000-01-01"}]',
    '{"date": "2024-01-01", "port": "CGK"}', '{"date": "2024-01-01", "port": "CGK",}',
]


def _with_token(path: tuple, token: str, *, indent=None, separators=None) -> str:
    obj = json.loads(json.dumps(BASE))
    target = obj
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = "@@SLOT@@"
    return json.dumps(obj, indent=indent, separators=separators).replace('"@@SLOT@@"', token)


@pytest.mark.parametrize(("path", "kind"), SLOTS, ids=[k + ":" + ".".join(map(str, p)) for p, k in SLOTS])
def test_every_token_at_every_kind_of_value_gives_what_the_walk_gives(path, kind):
    accepted = 0
    for token in TOKENS:
        for layout in ({}, {"separators": (",", ":")}, {"indent": 2}):
            text = _with_token(path, token, **layout)
            if _same(text)[0] == "ok":
                accepted += 1
                assert _by_shortcut(text) is not None, text  # an accepted clean text is not parsed twice
            _same(text.encode())
    assert accepted  # the slot has values that pass, so the comparison of values is not empty


CHARACTERS = [chr(c) for c in [*range(0x00, 0x21), 0x7F, 0x80, 0x85, 0x9F, 0xA0, 0xAD, 0x2028, 0x2029, 0x200B,
                               0x202E, 0xFEFF, 0xFFFD, 0x1F600]]


@pytest.mark.parametrize("ch", CHARACTERS, ids=[f"U+{ord(c):04X}" for c in CHARACTERS])
def test_a_raw_character_anywhere_gives_what_the_walk_gives(ch):
    text = json.dumps(BASE)
    places = [
        text.replace('"Member"', f'"Mem{ch}ber"'),  # inside a string
        text.replace('"name"', f'"na{ch}me"', 1),  # inside a key
        text.replace('"cigarettes": ', f'"cigarettes":{ch}', 1),  # between a colon and a number
        text.replace('"cigarettes"', f'"cigarettes"{ch}', 1),  # between a key and its colon
        text.replace(", ", f",{ch}", 1),  # after a comma
        ch + text,
        text + ch,
        text.replace('"ecd/1"', f'"ecd/1{ch}"'),
        text.replace('"format": "ecd/1"', f'"format": "ecd/1", "x{ch}": 1'),  # an unknown key holding it
    ]
    for place in places:
        _same(place)
        _same(place.encode("utf-8", "surrogatepass"))


OBJECTS = [(), ("arrival",), ("declarant",), ("family_members", 0), ("goods", 0), ("excise",), ("cash", 0),
           ("carrying",)]


@pytest.mark.parametrize("path", OBJECTS, ids=[".".join(map(str, p)) or "top" for p in OBJECTS])
def test_a_repeated_key_in_any_object_is_refused_as_by_the_walk(path):
    target = BASE
    for part in path:
        target = target[part]
    for key, value in target.items():
        for again in (value, "x", None, 0, {"a": ":b"}):
            for first in (True, False):
                obj = json.loads(json.dumps(BASE))
                holder = obj
                for part in path:
                    holder = holder[part]
                pairs = [(k, v) for k, v in holder.items() if k != key]
                twice = [(key, again), (key, value)] if first else [(key, value), (key, again)]
                marker = "@@OBJ@@"
                inner = "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in [*twice, *pairs]) + "}"
                if path:
                    parent = obj
                    for part in path[:-1]:
                        parent = parent[part]
                    parent[path[-1]] = marker
                    text = json.dumps(obj).replace(json.dumps(marker), inner)
                else:
                    text = inner
                got = _same(text)
                assert got[0] == "error" and got[1] == "INVALID_JSON", (text, got)


@pytest.mark.parametrize("layout", [
    {}, {"indent": 2}, {"indent": "\t"}, {"separators": (",", ":")}, {"separators": (" ,", ":\t")},
    {"separators": (",", " : ")}, {"separators": (",\n", "\n:\n")}, {"ensure_ascii": False},
])
def test_any_layout_gives_what_the_walk_gives(layout):
    obj = json.loads(json.dumps(BASE))
    obj["declarant"]["name"] = "Tr\u00e4veller \u4e2d"
    for text in (json.dumps(obj, **layout), json.dumps(BASE, **layout)):
        assert _same(text)[0] == "ok"
        _same(text.encode())
        _same("\r\n " + text + " \n")


# Generated documents: every field from a pool of values valid for some field and not for others.
POOL = st.one_of(
    st.sampled_from([0, 1, 7, -1, 10**9, 10**9 + 1, 10**41, 1.0, 2.5, True, False, None, "", "1", "2.50", "01",
                     "1e2", "0.1234567", "2024-02-29", "2023-02-29", "2026-11-20T09:15:00+07:00",
                     "2026-11-20T09:15:00", "ABC", "A1", "847130", "passenger", "crew", "ecd/1", ":x", "x:",
                     [], {}, "012345678901000"]),
    st.integers(min_value=-5, max_value=2 * 10**9),
    st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False).map(str),
    st.dates().map(dt.date.isoformat),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=6),
)


def _paths(obj, prefix=()):
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield (*prefix, i)
            yield from _paths(value, (*prefix, i))


PATHS = list(_paths(BASE))


@settings(max_examples=400)
@given(st.lists(st.tuples(st.sampled_from(PATHS), st.one_of(POOL, st.just("@@DELETE@@"))), max_size=3),
       st.sampled_from([{}, {"indent": 1}, {"separators": (",", ":")}, {"ensure_ascii": False}]),
       st.booleans())
def test_generated_documents_give_what_the_walk_gives(changes, layout, as_bytes):
    obj = json.loads(json.dumps(BASE))
    for path, value in changes:
        holder = obj
        try:
            for part in path[:-1]:
                holder = holder[part]
            if value == "@@DELETE@@":
                del holder[path[-1]]
            else:
                holder[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed or replaced the place
    text = json.dumps(obj, **layout)
    _same(text.encode() if as_bytes else text)


@pytest.mark.parametrize("text", ["", " ", "null", "[]", "{}", "1", '"ecd/1"', "{", "}", "[{}]", '{"format": "ecd/1"}',
                                  "true", "NaN", "\n", "{} {}", "{}" + json.dumps(BASE), json.dumps([BASE])])
def test_a_text_that_is_not_one_document_gives_what_the_walk_gives(text):
    got = _same(text)
    assert got[0] == "error"
    _same(text.encode())
