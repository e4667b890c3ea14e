"""Helpers every strict JSON document format shares (ecd/1, pib/1, plp/1): decimal strings that refuse JSON
numbers (a float never reaches a levy), duplicate keys refused, and errors that name the JSON path
(`items[0].cif`)."""

from __future__ import annotations

import json
import re
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

from workstation.domain.errors import InputError

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
    """Parse one JSON document of format `fmt` into `model`; any problem is one InputError naming the path."""
    try:
        raw = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except ValueError as exc:  # JSONDecodeError is a ValueError; so is a duplicate key
        raise InputError(f"not valid JSON: {exc}", field="$") from None
    if not isinstance(raw, dict):
        raise InputError("must be a JSON object", field="$")
    if raw.get("format") != fmt:
        raise InputError(f"unsupported format {raw.get('format')!r}, expected {fmt!r}", field="format")
    try:
        # Validate from the text, not from `raw`: pydantic's strict JSON mode reads ISO dates from strings.
        return model.model_validate_json(text)
    except ValidationError as exc:
        raise validation_input_error(exc) from None


def validation_input_error(exc: ValidationError) -> InputError:
    err = exc.errors(include_url=False)[0]
    message = _MESSAGES.get(err["type"], err["msg"])
    # A cross-field check raised at model level says where, relative to that model, in ctx["rel"].
    rel = tuple((err.get("ctx") or {}).get("rel", ()))
    return InputError(message, field=json_path(tuple(err["loc"]) + rel))


def at_path(message: str, *rel: str | int, **ctx: Any) -> PydanticCustomError:
    """An error raised by a model validator that still names the exact JSON path."""
    return PydanticCustomError("invalid", message, {**ctx, "rel": rel})


def check_unique(values: list[Any], array: str, key: str) -> None:
    seen: set[Any] = set()
    for i, v in enumerate(values):
        if v in seen:
            raise at_path("duplicate value {v}", array, i, key, v=v)
        seen.add(v)


