"""Helpers every strict JSON document format shares (ecd/1, pib/1, plp/1): decimal strings that refuse JSON
numbers (a float never reaches a levy), duplicate keys refused, and errors that name the JSON path
(`items[0].cif`).

Also the one policy for hostile characters in text (`hostile_character`, used by workstation/inputs.py for
forms, CSV cells, arguments and searches, and here for every string of a JSON document), and `load_json`,
the one way a JSON document from outside is read: UTF-8 (a BOM accepted), bounded in size, nesting and number
length, duplicate keys refused, every string checked."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from workstation.domain.errors import ErrorCode, InputError

# --- text policy ------------------------------------------------------------------------------------------
# Refused in any text: C0 controls but tab/CR/LF, DEL and C1 controls (terminal escapes, NUL that PostgreSQL
# cannot store); the invisible format characters that disguise text (zero-width spaces and joiners, LRM/RLM,
# bidi embeddings, overrides and isolates such as U+202E, word joiners, a BOM inside text); lone surrogates
# (not Unicode text at all: they can be neither encoded, stored nor printed). Tab, CR and LF are the caller's
# choice: one-line fields collapse them to a space.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAK_RE = re.compile(r"[\t\n\r]")
_FORMAT_RE = re.compile("[\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def char_label(ch: str) -> str:
    """'U+202E' for one character."""
    return f"U+{ord(ch):04X}"


def hostile_character(value: str, *, line_breaks: bool = True) -> tuple[ErrorCode, str] | None:
    """The code and `U+XXXX` label of the first character `value` may not hold, or None when it is clean.
    `line_breaks`: tab, CR and LF are allowed (the caller collapses or keeps them); else they are refused too.
    Codes: CONTROL_CHARACTERS (controls and lone surrogates), FORMAT_CHARACTERS (invisible formatting)."""
    for regex, code in ((_CONTROL_RE, ErrorCode.CONTROL_CHARACTERS), (_SURROGATE_RE, ErrorCode.CONTROL_CHARACTERS),
                        (_FORMAT_RE, ErrorCode.FORMAT_CHARACTERS)):
        m = regex.search(value)
        if m:
            return code, char_label(m.group())
    if not line_breaks:
        m = _LINE_BREAK_RE.search(value)
        if m:
            return ErrorCode.CONTROL_CHARACTERS, char_label(m.group())
    return None


def hostile_text_error(code: ErrorCode, label: str, field: str) -> InputError:
    """The InputError for a refused character: names the field and the character."""
    what = "control character" if code is ErrorCode.CONTROL_CHARACTERS else "invisible formatting character"
    if code is ErrorCode.CONTROL_CHARACTERS and "D800" <= label[2:] <= "DFFF" and len(label) == 6:
        what = "lone surrogate (not Unicode text)"
    return InputError(f"{what} {label} is not allowed", code=code, field=field, params={"char": label})


def check_text(value: str, field: str, *, line_breaks: bool = True) -> str:
    """`value` unchanged, or InputError CONTROL_CHARACTERS / FORMAT_CHARACTERS naming `field` and the
    character (see `hostile_character`)."""
    found = hostile_character(value, line_breaks=line_breaks)
    if found:
        raise hostile_text_error(found[0], found[1], field)
    return value


# --- reading a JSON document from outside -------------------------------------------------------------------
MAX_JSON_BYTES = 8 * 1024 * 1024  # a PIB of a thousand items is well under 1 MB
MAX_JSON_DEPTH = 32  # every document format is at most 5 levels deep
MAX_JSON_NUMBER_CHARS = 40  # counts and sequence numbers; amounts are decimal strings

_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
_JSON_STRING_RE = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET_RE = re.compile(r"[\[\]{}]")


def decode_utf8(data: str | bytes, *, source: str) -> str:
    """Text of `data`: UTF-8, a leading UTF-8 BOM dropped. UTF-16/32 (by their BOM, or NUL bytes) and any
    invalid byte → InputError NOT_UTF8 naming `source` and the offset."""
    if isinstance(data, str):
        return data[1:] if data.startswith("\ufeff") else data
    if data.startswith(_UTF16_32_BOMS) or (len(data) >= 2 and (data[0] == 0 or data[1] == 0)):
        raise InputError("UTF-16 or UTF-32 text: save it as UTF-8", code=ErrorCode.NOT_UTF8, field=source)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                         code=ErrorCode.NOT_UTF8, field=source) from None


def check_depth(text: str, *, source: str, limit: int = MAX_JSON_DEPTH) -> None:
    """InputError TOO_DEEP when arrays/objects nest deeper than `limit` (the parser would recurse that deep)."""
    if text.count("[") + text.count("{") <= limit:
        return
    depth = 0
    for m in _BRACKET_RE.finditer(_JSON_STRING_RE.sub('""', text)):
        if m.group() in "[{":
            depth += 1
            if depth > limit:
                raise InputError(code=ErrorCode.TOO_DEEP, field=source, params={"limit": limit})
        else:
            depth -= 1


def _parse_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_JSON_NUMBER_CHARS:
        raise ValueError(f"a number of {len(digits)} digits (at most {MAX_JSON_NUMBER_CHARS})")
    return int(digits)


def _parse_float(digits: str) -> float:
    if len(digits) > MAX_JSON_NUMBER_CHARS:
        raise ValueError(f"a number of {len(digits)} characters (at most {MAX_JSON_NUMBER_CHARS})")
    value = float(digits)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"the number {digits} is out of range")
    return value


def _parse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _clean(value: Any, path: str, source: str) -> Any:
    """Every string (keys too) through the text policy; tab/CR/LF collapse to a space (one-line fields).
    Errors name the JSON path, or `source` at the top."""
    if isinstance(value, str):
        found = hostile_character(value)
        if found:
            raise hostile_text_error(found[0], found[1], path or source)
        return _LINE_BREAK_RE.sub(" ", value) if _LINE_BREAK_RE.search(value) else value
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            found = hostile_character(key, line_breaks=False)
            if found:
                raise hostile_text_error(found[0], found[1], f"{path or source} (a key)")
            out[key] = _clean(item, f"{path}.{key}" if path else str(key), source)
        return out
    if isinstance(value, list):
        return [_clean(item, f"{path}[{i}]", source) for i, item in enumerate(value)]
    return value


def load_json(data: str | bytes, *, source: str = "$", limit: int = MAX_JSON_BYTES,
              parse_float: Callable[[str], Any] | None = None) -> Any:
    """Decode one JSON document from outside (file, stdin, scan). Raises InputError, naming `source` or the
    JSON path: FILE_TOO_LARGE (over `limit` bytes), NOT_UTF8, TOO_DEEP, INVALID_JSON (syntax, duplicate key,
    NaN/Infinity, a number over MAX_JSON_NUMBER_CHARS digits), CONTROL_CHARACTERS / FORMAT_CHARACTERS (in
    any string). Tabs and line breaks inside strings become spaces. `parse_float` replaces the float hook
    (a caller that refuses floats outright)."""
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise InputError(code=ErrorCode.FILE_TOO_LARGE, field=source, params={"limit": f"{limit // 1024} KB"})
    text = decode_utf8(data, source=source)
    check_depth(text, source=source)
    try:
        raw = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_int=_parse_int,
                         parse_float=parse_float or _parse_float, parse_constant=_parse_constant)
    except json.JSONDecodeError as exc:
        reason = f"{exc.msg} at line {exc.lineno} column {exc.colno}"
        raise InputError(f"not valid JSON: {reason}", code=ErrorCode.INVALID_JSON, field=source,
                         params={"reason": reason}) from None
    except (ValueError, RecursionError) as exc:  # a hook's refusal (duplicate key, long number, NaN)
        reason = str(exc) or type(exc).__name__
        raise InputError(f"not valid JSON: {reason}", code=ErrorCode.INVALID_JSON, field=source,
                         params={"reason": reason}) from None
    return _clean(raw, "", source)

# Plain digits only: no exponent, sign, NaN or Infinity. Bounds keep exact Decimal arithmetic small.
_DECIMAL_RE = re.compile(r"(0|[1-9][0-9]{0,17})(\.[0-9]{1,6})?")


def _decimal_string(value: Any) -> Decimal:
    if isinstance(value, Decimal):  # built in code (services, tests), not parsed from JSON
        if not value.is_finite() or value < 0:
            raise PydanticCustomError("decimal_string", "must be a non-negative decimal")
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise PydanticCustomError("decimal_string", 'must be a decimal string such as "12.50", not a JSON number')
    if not isinstance(value, str) or not _DECIMAL_RE.fullmatch(value):
        raise PydanticCustomError("decimal_string", 'must be a plain non-negative decimal string such as "12.50"')
    return Decimal(value)


def _positive(value: Decimal) -> Decimal:
    if value <= 0:
        raise PydanticCustomError("positive", "must be greater than zero")
    return value


DecimalStr = Annotated[
    Decimal,
    PlainValidator(_decimal_string),
    PlainSerializer(lambda d: format(d, "f"), return_type=str),
]
"""Non-negative decimal given as a JSON string; serialized back as a plain string."""

PositiveDecimalStr = Annotated[DecimalStr, AfterValidator(_positive)]
PercentStr = DecimalStr  # a percentage: "11" means 11 %

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=512)]
Digits6 = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]


class StrictModel(BaseModel):
    """Base of every document model: strict types, unknown fields refused, immutable."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


def json_path(loc: tuple[Any, ...]) -> str:
    """Pydantic location tuple -> JSON path: ('items', 0, 'cif') -> 'items[0].cif'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "$"


_MESSAGES = {
    "missing": "missing required field",
    "extra_forbidden": "unknown field",
    "model_type": "must be a JSON object",
    "dict_type": "must be a JSON object",
    "list_type": "must be a JSON array",
}


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"duplicate key {key!r}")
        seen[key] = value
    return seen


M = TypeVar("M", bound=BaseModel)


def parse_json_document(text: str | bytes, model: type[M], *, fmt: str) -> M:
    """Parse one JSON document of format `fmt` into `model`; any problem is one InputError naming the path
    (see `load_json` for what is refused before the model sees it)."""
    raw = load_json(text)
    if not isinstance(raw, dict):
        raise InputError("must be a JSON object", code=ErrorCode.INVALID_DOCUMENT, field="$",
                         params={"reason": "must be a JSON object"})
    if raw.get("format") != fmt:
        reason = f"unsupported format {str(raw.get('format'))[:40]!r}, expected {fmt!r}"
        raise InputError(reason, code=ErrorCode.INVALID_DOCUMENT, field="format", params={"reason": reason})
    try:
        # Validate JSON text, not `raw`: pydantic's strict JSON mode reads ISO dates from strings. The text is
        # re-made from the cleaned object (line breaks collapsed, BOM gone), floats kept as JSON numbers.
        return model.model_validate_json(json.dumps(raw, ensure_ascii=False))
    except ValidationError as exc:
        raise validation_input_error(exc) from None


def validation_input_error(exc: ValidationError) -> InputError:
    err = exc.errors(include_url=False)[0]
    message = _MESSAGES.get(err["type"], err["msg"])
    # A cross-field check raised at model level says where, relative to that model, in ctx["rel"].
    rel = tuple((err.get("ctx") or {}).get("rel", ()))
    return InputError(message, code=ErrorCode.INVALID_DOCUMENT, field=json_path(tuple(err["loc"]) + rel),
                      params={"reason": message})


def at_path(message: str, *rel: str | int, **ctx: Any) -> PydanticCustomError:
    """An error raised by a model validator that still names the exact JSON path."""
    return PydanticCustomError("invalid", message, {**ctx, "rel": rel})


def check_unique(values: list[Any], array: str, key: str) -> None:
    seen: set[Any] = set()
    for i, v in enumerate(values):
        if v in seen:
            raise at_path("duplicate value {v}", array, i, key, v=v)
        seen.add(v)


