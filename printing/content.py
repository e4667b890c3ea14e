"""The content of an issued document: what the database stores as canonical JSON, what is hashed and signed,
and the only input of every renderer (PDF, plain text, ESC/POS). Re-printing re-renders from this model, so it
must round-trip exactly: `model_validate(model_dump(mode="json"))` gives an equal model with the same hash.

No floats anywhere (money is int rupiah, quantities are text), no control characters in any text (they would
reach the ESC/POS printer as commands), and `|` is banned from the number because the QR payload uses it."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    model_validator,
)

from workstation.domain.canonical import canonical_json, content_hash
from workstation.errors import InputError

CONTENT_FORMAT = "document/1"

_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NIP_RE = re.compile(r"^[0-9 ]+$")


def _no_controls(value: str, *, multiline: bool) -> str:
    for ch in value:
        if ch == "\n" and multiline:
            continue
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            raise ValueError(f"control character U+{ord(ch):04X} not allowed")
    return value


def _single_line(value: str) -> str:
    return _no_controls(value, multiline=False)


def _multi_line(value: str) -> str:
    return _no_controls(value, multiline=True)


def _iso_date(value: Any) -> Any:
    # Lax pydantic would take a Unix timestamp for a date; the store only ever holds ISO text.
    if isinstance(value, dt.datetime):
        raise ValueError("a date, not a date-time, is expected")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE_RE.match(value):
        return value
    raise ValueError("date must be YYYY-MM-DD")


Text = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_single_line)]
OptText = Annotated[str, Field(max_length=500), AfterValidator(_single_line)]
LongText = Annotated[str, Field(min_length=1, max_length=10_000), AfterValidator(_multi_line)]
CellText = Annotated[str, Field(max_length=2_000), AfterValidator(_multi_line)]
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
Rupiah = Annotated[StrictInt, Field(ge=0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OfficeInfo(_Model):
    """Letterhead lines, from the workstation's configuration."""

    ministry: Text = "KEMENTERIAN KEUANGAN REPUBLIK INDONESIA"
    directorate: Text = "DIREKTORAT JENDERAL BEA DAN CUKAI"
    office_name: Text
    address: Text
    phone: OptText | None = None
    email: OptText | None = None
    website: OptText | None = None
    code: OptText | None = None


class Heading(_Model):
    kind: Literal["heading"] = "heading"
    text: Text
    text_en: OptText | None = None


class Paragraph(_Model):
    kind: Literal["paragraph"] = "paragraph"
    text: LongText


class FieldRow(_Model):
    label: Text
    value: CellText
    label_en: OptText | None = None


class Fields(_Model):
    kind: Literal["fields"] = "fields"
    rows: list[FieldRow] = Field(min_length=1, max_length=200)


class Table(_Model):
    kind: Literal["table"] = "table"
    columns: list[Text] = Field(min_length=1, max_length=12)
    rows: list[list[CellText]] = Field(max_length=5_000)
    # Relative column weights (not points): the renderer scales them to the frame width.
    widths: list[Annotated[StrictInt, Field(ge=1, le=1000)]] | None = None
    align: list[Literal["left", "center", "right"]] | None = None

    @model_validator(mode="after")
    def _shape(self) -> Table:
        n = len(self.columns)
        for i, row in enumerate(self.rows):
            if len(row) != n:
                raise ValueError(f"row {i} has {len(row)} cells, expected {n}")
        if self.widths is not None and len(self.widths) != n:
            raise ValueError(f"widths has {len(self.widths)} entries, expected {n}")
        if self.align is not None and len(self.align) != n:
            raise ValueError(f"align has {len(self.align)} entries, expected {n}")
        return self


Block = Annotated[Heading | Paragraph | Fields | Table, Field(discriminator="kind")]


def _nip(value: str | None) -> str | None:
    # NIP (civil-servant id) is 18 digits, printed grouped 8-6-1-3; spaces are allowed in the input.
    if value is None:
        return None
    if not _NIP_RE.match(value) or len(value.replace(" ", "")) != 18:
        raise ValueError("NIP must be 18 digits")
    return value


class Signatory(_Model):
    name: Text
    nip: Annotated[str | None, AfterValidator(_nip)] = None  # None for non-officials (importer, PPJK)
    role: Text
    role_en: OptText | None = None
    place: Text
    date: IsoDate


class ReceiptLine(_Model):
    label: Text
    value: Text


class ReceiptAmount(_Model):
    label: Text
    amount_idr: Rupiah


class Receipt(_Model):
    """What a counter receipt prints: the payment receipt (levies and total) or the e-CD slip (lane and reasons)."""

    kind: Literal["payment", "ecd_slip"]
    lines: list[ReceiptLine] = Field(default_factory=list, max_length=60)
    amounts: list[ReceiptAmount] = Field(default_factory=list, max_length=30)
    total_idr: Rupiah | None = None
    note: OptText | None = None

    @model_validator(mode="after")
    def _totals(self) -> Receipt:
        if self.kind == "payment" and self.total_idr is None:
            raise ValueError("a payment receipt needs total_idr")
        if self.amounts and self.total_idr is not None:
            total = sum(a.amount_idr for a in self.amounts)
            if total != self.total_idr:
                raise ValueError(f"total_idr {self.total_idr} is not the sum of amounts ({total})")
        return self


class DocumentContent(_Model):
    format: Literal["document/1"] = CONTENT_FORMAT
    doc_type: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_-]{1,15}$")]
    number: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^|\s][^|]*$"), AfterValidator(_single_line)]
    issue_date: IsoDate
    issue_place: Text
    title: Text
    title_en: OptText | None = None
    office: OfficeInfo
    blocks: list[Block] = Field(default_factory=list, max_length=500)
    signatories: list[Signatory] = Field(default_factory=list, max_length=6)
    receipt: Receipt | None = None


def to_json_data(content: DocumentContent) -> dict[str, Any]:
    """The JSON-ready dict that is stored (and hashed)."""
    return content.model_dump(mode="json")


def canonical_content(content: DocumentContent) -> str:
    """The canonical JSON text the database stores."""
    return canonical_json(to_json_data(content))


def document_hash(content: DocumentContent) -> str:
    """SHA-256 (hex) of the canonical JSON: what the QR payload carries and the office key signs."""
    return content_hash(to_json_data(content))


def _no_float(text: str) -> Decimal:
    raise ValueError(f"float {text} in document content")


def load_content(data: str | bytes | dict[str, Any]) -> DocumentContent:
    """Parse stored content (canonical JSON text or an already-decoded dict). Bad data → InputError naming the path."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data, parse_float=_no_float)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"not valid JSON: {exc}", field="content") from None
    try:
        return DocumentContent.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise InputError(err["msg"], field=f"content.{loc}" if loc else "content") from None


__all__ = [
    "CONTENT_FORMAT",
    "Block",
    "DocumentContent",
    "FieldRow",
    "Fields",
    "Heading",
    "OfficeInfo",
    "Paragraph",
    "Receipt",
    "ReceiptAmount",
    "ReceiptLine",
    "Signatory",
    "Table",
    "canonical_content",
    "document_hash",
    "load_content",
    "to_json_data",
]
