"""The passenger e-CD, format 1 (CONTRACTS.md "e-CD document, format 1"), and the decision it gets.

Parsing is strict: unknown fields, missing required fields, and JSON numbers where an amount belongs
(money and litres are decimal STRINGS; only counts are integers) are errors naming the JSON path,
e.g. `goods[0].value`. The decision types are immutable named tuples: the engine builds thousands a
second and they need no validation; `Decision.to_json()` is exactly the contract JSON.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal, NamedTuple, Protocol

from pydantic import (
    BaseModel,
    ConfigDict,
    PlainSerializer,
    PlainValidator,
    Strict,
    StringConstraints,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from workstation.domain import jsondoc as J
from workstation.domain.codes import Lane, Referral, Role
from workstation.domain.errors import ErrorCode, InputError
from workstation.domain.jsondoc import json_path
from workstation.domain.workflow import workflow

FORMAT = "ecd/1"


class TravellerType(StrEnum):
    PASSENGER = "passenger"
    CREW = "crew"
    HAJJ_REGULAR = "hajj_regular"
    HAJJ_SPECIAL = "hajj_special"


# ---------------------------------------------------------------------------------------------------------
# Field types
# ---------------------------------------------------------------------------------------------------------
_DECIMAL_RE = re.compile(r"(?:0|[1-9][0-9]{0,17})(?:\.[0-9]{1,6})?")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MAX_COUNT = 10**9


def _decimal_string(value: Any) -> Decimal:
    if isinstance(value, str):
        if _DECIMAL_RE.fullmatch(value):
            return Decimal(value)
        raise PydanticCustomError(
            "decimal_string", 'must be a non-negative decimal string like "12.50", got "{value}"', {"value": value[:40]}
        )
    if isinstance(value, Decimal) and value.is_finite() and value >= 0:  # Python callers (DB, services)
        return value
    if isinstance(value, float):
        raise PydanticCustomError(
            "float_amount", 'must be a decimal string like "12.50", not a JSON number (floats are refused)'
        )
    if isinstance(value, int) and not isinstance(value, bool):
        raise PydanticCustomError("number_amount", 'must be a decimal string like "{value}", not a JSON number', {"value": value})
    raise PydanticCustomError("decimal_string", 'must be a non-negative decimal string like "12.50"')


def _count(value: Any) -> int:
    if type(value) is int and 0 <= value <= _MAX_COUNT:  # the usual case first (issue #17 item 8)
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value <= _MAX_COUNT:
            return value
        raise PydanticCustomError("count_range", "must be a whole number from 0 to {max}", {"max": _MAX_COUNT})
    raise PydanticCustomError("count_type", "must be a whole number (a JSON integer)")


def _quantity(value: Any) -> Decimal:
    # A quantity may be a count (1) or a measure ("2.5" kg): integers or decimal strings, never floats.
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(_count(value))
    return _decimal_string(value)


def _date(value: Any) -> dt.date:
    if isinstance(value, str):  # from JSON: the usual case first
        if _DATE_RE.fullmatch(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
    elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    raise PydanticCustomError("iso_date", "must be a date YYYY-MM-DD")


def _aware_datetime(value: Any) -> dt.datetime:
    parsed: dt.datetime | None = None
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str) and len(value) >= 19 and value[10] == "T":
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            parsed = None
    if parsed is None:
        raise PydanticCustomError("iso_datetime", "must be an ISO date-time like 2026-11-20T09:15:00+07:00")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise PydanticCustomError("naive_datetime", "must carry a UTC offset (e.g. +07:00 or Z)")
    return parsed


_NPWP_SEPARATORS = re.compile(r"[.\-\s]")


def _npwp(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        digits = _NPWP_SEPARATORS.sub("", value)
        if digits.isascii() and digits.isdigit() and len(digits) in (15, 16):
            return digits
    raise PydanticCustomError("npwp", "must be null or an NPWP of 15 or 16 digits")


# Explicit JSON serializers: amounts back as decimal strings, dates ISO (the ecd/1 shapes).
_AS_TEXT = PlainSerializer(lambda v: format(v, "f"), return_type=str, when_used="json")
_AS_ISO = PlainSerializer(lambda v: v.isoformat(), return_type=str, when_used="json")
Amount = Annotated[Decimal, PlainValidator(_decimal_string), _AS_TEXT]
Count = Annotated[int, PlainValidator(_count)]
_QTY = PlainSerializer(
    lambda v: int(v) if v == v.to_integral_value() and v.as_tuple().exponent >= 0 else format(v, "f"),
    return_type=int | str,
    when_used="json",
)
Quantity = Annotated[Decimal, PlainValidator(_quantity), _QTY]  # a count stays a JSON integer
IsoDate = Annotated[dt.date, PlainValidator(_date), _AS_ISO]
AwareDateTime = Annotated[dt.datetime, PlainValidator(_aware_datetime), _AS_ISO]
Npwp = Annotated[str | None, PlainValidator(_npwp)]
Text = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=500)]
ShortText = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=100)]
Currency = Annotated[str, StringConstraints(strict=True, pattern=r"^[A-Z]{3}$")]
Country = Annotated[str, StringConstraints(strict=True, pattern=r"^[A-Z]{3}$")]
Port = Annotated[str, StringConstraints(strict=True, pattern=r"^[A-Z0-9]{3,5}$")]
HS_LENGTHS = tuple(range(4, 11))  # an e-CD's HS code: heading (4) to national sub-heading (10) digits
HsCode = Annotated[str, StringConstraints(strict=True, pattern=r"^[0-9]{4,10}$")]
# Strict in pydantic-core itself (JSON true/false only; 1, "yes" refused as `bool_type`, worded below): a
# Python validator here cost a fifth of the document's validation (issue #17 item 8).
StrictBoolean = Annotated[bool, Strict()]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------------------------------------------------
# The document
# ---------------------------------------------------------------------------------------------------------
class Arrival(_Model):
    date: IsoDate
    port: Port
    carrier: ShortText | None = None
    flight: ShortText | None = None
    from_port: Port | None = None


class Declarant(_Model):
    name: Text
    passport: ShortText
    nationality: Country
    birth_date: IsoDate
    traveller_type: TravellerType
    npwp: Npwp = None


class FamilyMember(_Model):
    name: Text
    passport: ShortText
    birth_date: IsoDate


class GoodsLine(_Model):
    description: Text
    hs_code: HsCode | None = None
    quantity: Quantity
    unit: ShortText
    value: Amount
    currency: Currency
    personal_use: StrictBoolean


class Excise(_Model):
    cigarettes: Count
    cigars: Count
    sliced_tobacco_g: Count
    alcohol_l: Amount


class CashLine(_Model):
    currency: Currency
    amount: Amount
    bearer_instrument: StrictBoolean = False


class Carrying(_Model):
    animals_fish_plants: StrictBoolean
    narcotics_psychotropics: StrictBoolean
    weapons_ammunition_explosives: StrictBoolean
    pornography: StrictBoolean


CARRYING_FLAGS: tuple[str, ...] = tuple(Carrying.model_fields)
EXCISE_FIELDS: tuple[str, ...] = tuple(Excise.model_fields)


class EcdDocument(_Model):
    format: Literal["ecd/1"]
    ecd_id: Annotated[str, StringConstraints(strict=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")]
    submitted_at: AwareDateTime
    arrival: Arrival
    declarant: Declarant
    family_members: list[FamilyMember] = []
    goods: list[GoodsLine]
    excise: Excise
    cash: list[CashLine]
    carrying: Carrying

    @property
    def persons(self) -> int:
        return 1 + len(self.family_members)

    def traveller(self) -> Traveller:
        return Traveller.from_document(self)

    def to_json(self) -> dict[str, Any]:
        """The document back as ecd/1 JSON (amounts as strings), e.g. for storage or a QR payload."""
        return self.model_dump(mode="json")


_MESSAGES = {
    "missing": "missing required field",
    "extra_forbidden": "unknown field",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "dict_type": "must be a JSON object",
    "list_type": "must be a JSON array",
    "string_type": "must be a string",
    "string_pattern_mismatch": "has an invalid format",
    "string_too_short": "must not be empty",
    "literal_error": 'must be "ecd/1" (the only format this version reads)',
    "bool_type": "must be true or false",
}


_PATTERN_MESSAGES = {
    "currency": "must be three capital letters (ISO 4217)",
    "nationality": "must be three capital letters (ISO 3166 alpha-3)",
    "port": "must be 3-5 capital letters or digits",
    "from_port": "must be 3-5 capital letters or digits",
    "hs_code": "must be 4 to 10 digits",
    "ecd_id": "must be 1-64 letters, digits, '.', '_', '/' or '-'",
}


def _input_error(exc: ValidationError) -> InputError:
    err = exc.errors(include_url=False)[0]
    kind = err["type"]
    if kind == "enum":
        msg = f"must be one of {err['ctx']['expected']}"
    else:
        msg = _MESSAGES.get(kind, err["msg"])
        if kind == "string_pattern_mismatch":
            msg = _PATTERN_MESSAGES.get(str(err["loc"][-1]) if err["loc"] else "", msg)
    more = exc.error_count() - 1
    if more:
        msg += f" (and {more} more problem{'s' if more > 1 else ''})"
    return InputError(msg, field=json_path(err["loc"]), code=ErrorCode.INVALID_DOCUMENT, params={"reason": msg})


def ecd_from_obj(obj: Any) -> EcdDocument:
    """Validate already-decoded JSON (dicts, lists, str, int...); errors name the JSON path."""
    try:
        return EcdDocument.model_validate(obj)
    except ValidationError as exc:
        raise _input_error(exc) from None


def parse_ecd(data: str | bytes, *, source: str = "ecd") -> EcdDocument:
    """Parse ecd/1 JSON text through the one bounded JSON reader (size, depth, duplicate keys, hostile
    characters: workstation/domain/jsondoc.py). Bad JSON names `source` and line:column; bad content the JSON
    path.

    A clean document takes a shortcut with the same outcome (issue #17 item 8): the reader's per-string walk was
    ~115 of the ~150 us a parse took, then `json` building the objects that validation read ~7-11 of ~30. See
    `_clean_text` and `_keys`. Whatever the shortcut does not accept — JSON or content errors included — is
    parsed again the full way, which raises the one error it always raised."""
    text = _clean_text(data)
    if text is not None:
        try:
            # pydantic-core reads the JSON text itself (no dicts and lists built to be thrown away). Its reader
            # accepts and refuses the same syntax as `json` (tests/rules/test_ecd_parse_fast.py), and the
            # values it hands the field validators are the same Python types. The validator is called without
            # `model_validate_json`'s Python wrapper (its keyword handling was ~0.5 us of ~17).
            doc: EcdDocument = EcdDocument.__pydantic_validator__.validate_json(text)
        except (ValueError, RecursionError):  # ValidationError is a ValueError
            pass
        else:
            # Numbers: the document validated, so the only numbers it holds are counts <= 10**9 (floats, NaN
            # and huge integers are refused by every field), never the 41+ digits load_json refuses. A new
            # field must keep that true (bounded counts only). Repeated keys, which load_json refuses: `_keys`.
            if text.count('":') == _keys(doc) and _no_space_before_colon(text):
                return doc
    return ecd_from_obj(J.load_json(data, source=source))


def _clean_text(data: str | bytes) -> str | None:
    """The text of `data` when one check of it stands for load_json's checks of every key and string, else
    None. Why that is exact: without a backslash no decoded string can hold a character the text does not
    (JSON refuses raw controls, so tab/CR/LF too, inside strings), so when the whole text is clean under the
    text policy every string is, and load_json's clean-up would change nothing. Refused here (the full way
    then decides): a backslash, any refused character anywhere, a BOM, bytes that are not UTF-8, more brackets
    than the depth limit, a text that could exceed the size limit."""
    if isinstance(data, bytes):
        if len(data) > J.MAX_JSON_BYTES:
            return None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return None
    elif len(data) * 4 <= J.MAX_JSON_BYTES:  # 4 bytes per character at most
        text = data
    else:
        return None
    if "\\" in text or text.count("[") + text.count("{") > J.MAX_JSON_DEPTH:
        return None
    # Plain ASCII can hold no format character nor surrogate, and a control other than DEL that the JSON
    # decoder lets through is only tab/CR/LF between tokens: DEL is the one to look for.
    if "\x7f" in text if text.isascii() else J.hostile_character(text) is not None:
        return None
    return text


def _no_space_before_colon(text: str) -> bool:
    # One-character searches first: they are ~10x faster than two-character ones, and a compact text has none.
    if ("\t" in text or "\n" in text or "\r" in text) and ("\t:" in text or "\n:" in text or "\r:" in text):
        return False
    return " :" not in text


def _keys(doc: EcdDocument) -> int:
    """How many distinct keys the objects of a document that validated held: every object is a model that
    refuses unknown keys, so its keys are its fields set.

    pydantic-core's reader keeps one value of a repeated key; load_json refuses them. In a text without a
    backslash every `"` delimits a string, and when no whitespace precedes a colon every key is followed at once
    by `:`, so the text's count of `":` is the number of keys written plus any string that starts with a colon.
    It equals the distinct keys only when no key was repeated. A new field holding objects must be added here
    (until then such documents only miss the shortcut: fewer keys counted never match)."""
    n = (
        len(doc.__pydantic_fields_set__)
        + len(doc.arrival.__pydantic_fields_set__)
        + len(doc.declarant.__pydantic_fields_set__)
        + len(doc.excise.__pydantic_fields_set__)
        + len(doc.carrying.__pydantic_fields_set__)
    )
    for item in doc.family_members:
        n += len(item.__pydantic_fields_set__)
    for line in doc.goods:
        n += len(line.__pydantic_fields_set__)
    for cash in doc.cash:
        n += len(cash.__pydantic_fields_set__)
    return n


# ---------------------------------------------------------------------------------------------------------
# Engine inputs that do not come straight from a document (officer findings on reassessment)
# ---------------------------------------------------------------------------------------------------------
class GoodsLike(Protocol):
    """Read-only, so frozen models and named tuples fit."""

    @property
    def description(self) -> str: ...
    @property
    def hs_code(self) -> str | None: ...
    @property
    def value(self) -> Decimal: ...
    @property
    def currency(self) -> str: ...
    @property
    def personal_use(self) -> bool: ...


class ExciseLike(Protocol):
    @property
    def cigarettes(self) -> int: ...
    @property
    def cigars(self) -> int: ...
    @property
    def sliced_tobacco_g(self) -> int: ...
    @property
    def alcohol_l(self) -> Decimal: ...


@dataclass(frozen=True, slots=True)
class GoodsItem:
    """A goods line as found by the officer (same attribute names as `GoodsLine`)."""

    description: str
    value: Decimal
    currency: str
    personal_use: bool = True
    hs_code: str | None = None


class Traveller(NamedTuple):
    """Who the declaration covers: the declarant's type, everybody's birth date (declarant first), NPWP."""

    traveller_type: TravellerType
    birth_dates: tuple[dt.date, ...]
    npwp: str | None = None

    @property
    def persons(self) -> int:
        return len(self.birth_dates)

    @classmethod
    def from_document(cls, doc: EcdDocument) -> Traveller:
        d = doc.declarant
        births = (d.birth_date, *(m.birth_date for m in doc.family_members))
        return cls(d.traveller_type, births, d.npwp)


# ---------------------------------------------------------------------------------------------------------
# The decision. Immutable named tuples rather than frozen dataclasses: the engine builds tens of
# thousands a second and a frozen dataclass costs several times more to construct.
# ---------------------------------------------------------------------------------------------------------
def decimal_text(value: Decimal) -> str:
    """Plain decimal text without exponent or trailing zeros ("0", "1.5"), for litres."""
    if value == 0:
        return "0"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


class ExciseQuantities(NamedTuple):
    cigarettes: int = 0
    cigars: int = 0
    sliced_tobacco_g: int = 0
    alcohol_l: Decimal = Decimal(0)

    @property
    def any(self) -> bool:
        return bool(self.cigarettes or self.cigars or self.sliced_tobacco_g or self.alcohol_l)

    def to_json(self) -> dict[str, Any]:
        return {
            "cigarettes": self.cigarettes,
            "cigars": self.cigars,
            "sliced_tobacco_g": self.sliced_tobacco_g,
            "alcohol_l": decimal_text(self.alcohol_l),
        }


class Assessment(NamedTuple):
    """USD amounts already quantized by the rule set (their exponent fixes the printed places)."""

    allowance_usd: Decimal
    goods_usd: Decimal
    taxable_usd: Decimal
    customs_value_idr: int = 0
    import_duty_idr: int = 0
    vat_idr: int = 0
    luxury_tax_idr: int = 0
    income_tax_idr: int = 0

    @property
    def total_idr(self) -> int:
        return self.import_duty_idr + self.vat_idr + self.luxury_tax_idr + self.income_tax_idr

    @property
    def levies(self) -> dict[str, int]:
        return {
            "import_duty_idr": self.import_duty_idr,
            "vat_idr": self.vat_idr,
            "luxury_tax_idr": self.luxury_tax_idr,
            "income_tax_idr": self.income_tax_idr,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "allowance_usd": format(self.allowance_usd, "f"),
            "goods_usd": format(self.goods_usd, "f"),
            "taxable_usd": format(self.taxable_usd, "f"),
            "customs_value_idr": self.customs_value_idr,
            "import_duty_idr": self.import_duty_idr,
            "vat_idr": self.vat_idr,
            "luxury_tax_idr": self.luxury_tax_idr,
            "income_tax_idr": self.income_tax_idr,
            "total_idr": self.total_idr,
        }


NO_EXCESS = ExciseQuantities()


class Decision(NamedTuple):
    """The lane is red iff there is any reason. The engine gives `reasons` and `referrals` sorted and
    unique; `to_json()` and `with_reasons()` keep them so whatever built the decision."""

    ecd_id: str
    ruleset: str
    ruleset_sha256: str
    reasons: tuple[str, ...]
    referrals: tuple[str, ...]
    assessment: Assessment
    excise_excess: ExciseQuantities = NO_EXCESS
    cash_idr: Decimal = Decimal(0)  # cash and bearer instruments at NDPBM, for the cash procedure

    @property
    def lane(self) -> Lane:
        return Lane.RED if self.reasons else Lane.GREEN

    def with_reasons(self, *reasons: str) -> Decision:
        """E.g. OFFICER_DIVERSION at the counter; the assessment is unchanged."""
        return self._replace(reasons=tuple(sorted({*self.reasons, *reasons})))

    def to_json(self) -> dict[str, Any]:
        """Exactly the CONTRACTS.md decision object."""
        return {
            "ecd_id": self.ecd_id,
            "ruleset": self.ruleset,
            "lane": self.lane.value,
            "reasons": sorted({str(r) for r in self.reasons}),
            "referrals": sorted({str(r) for r in self.referrals}),
            "assessment": self.assessment.to_json(),
            "excise_excess": self.excise_excess.to_json(),
        }

    def to_record(self) -> dict[str, Any]:
        """The contract JSON plus what storage and audit also need (rule-set file hash, cash total)."""
        out = self.to_json()
        out["ruleset_sha256"] = self.ruleset_sha256
        out["cash_idr"] = format(self.cash_idr, "f")
        return out


# ---------------------------------------------------------------------------------------------------------
# The counter's states and transitions (DOMAIN.md §1): what an officer may do on an e-CD in a state is derived
# from FLOW and from nothing else. Preconditions that are not about the state (unpaid billing, a referral not
# handed over, no excise excess) are refusals of the service, with their codes.
# ---------------------------------------------------------------------------------------------------------
class EcdState(StrEnum):
    """States of an e-CD case; names equal the stored values."""

    GREEN = "GREEN"  # green lane: release on approval
    RED = "RED"  # red lane: awaiting inspection
    INSPECTING = "INSPECTING"  # findings or an excise count recorded
    ASSESSED = "ASSESSED"  # reassessed, nothing to pay
    BILLED = "BILLED"  # reassessed, a billing to pay
    PAID = "PAID"
    RELEASED = "RELEASED"


_OFFICERS = (Role.OFFICER, Role.SUPERVISOR)
# Referrals to another authority: a dual-authorised clearance to green does not waive them (the goods still go
# to that authority); release waits for their hand-over like any other referral.
KEPT_ON_CLEARANCE = frozenset({Referral.QUARANTINE.value})
# Plain strings in the table: they are written to the case row and the audit log as they are.
GREEN, RED, INSPECTING, ASSESSED, BILLED, PAID, RELEASED = (s.value for s in EcdState)
STATES: tuple[str, ...] = tuple(s.value for s in EcdState)
INSPECTION_STATES = frozenset({RED, INSPECTING, ASSESSED})
OPEN_STATES = frozenset(STATES) - {RELEASED}

# (action id, from states, to state, roles). The action ids are stored in case events and the audit log.
# `ecd.reassess` leaves the state to the outcome (ASSESSED, or BILLED when something is to pay).
FLOW = workflow(
    "ecd", STATES,
    ("ecd.divert", {GREEN}, RED, _OFFICERS),
    ("ecd.clear", {RED}, GREEN, _OFFICERS),
    ("ecd.finding", INSPECTION_STATES, INSPECTING, _OFFICERS),
    ("ecd.excise_count", INSPECTION_STATES, INSPECTING, _OFFICERS),
    ("ecd.refer", OPEN_STATES, None, _OFFICERS),
    ("ecd.pibk", OPEN_STATES, None, _OFFICERS),
    ("ecd.cash_procedure", OPEN_STATES - {GREEN}, None, _OFFICERS),
    ("ecd.destroy", OPEN_STATES, None, _OFFICERS),
    ("ecd.reassess", INSPECTION_STATES | {GREEN}, None, _OFFICERS),  # → ASSESSED | BILLED
    ("ecd.pay", {BILLED}, PAID, _OFFICERS),
    ("ecd.release", {GREEN, ASSESSED, PAID}, RELEASED, _OFFICERS),
    ("ecd.slip", STATES, None, _OFFICERS),
    final=(RELEASED,),
)
