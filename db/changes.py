"""The change log of the field-unit sync (issue #14): capture every change of a synced table in the same write
transaction as the change, and apply a change received from the other side.

Capture. `Database.write()` is the one write path; its sessions carry an `after_flush` listener (`install`)
that notes every ORM insert, update and delete of a synced table with the columns it set, and one hook run
just before COMMIT writes them to `sync_changes` with the row as it stands at the end of the transaction. The
two Core inserts of the write path (issued documents, db.audit) call `record_insert`. Nothing is captured on a
database that takes no part in a sync (no `sync_node` row), so a standalone office pays one look-up per write
that touches a synced table and nothing else. tests/sync/test_capture.py replays the outbox of a demo into an
empty store and compares every synced table, so a write that bypassed capture fails it.

What flows where (`FLOWS`): case data both ways; reference data (users, roles, rule sets, rates, tariff, TPS)
central → units only; sessions, counters, print jobs, the audit chain and the sync tables stay local (a unit's
audit chain travels separately, as itself). A table missing from FLOWS fails tests/sync/test_capture.py.

Rows travel as canonical JSON: UUIDs, dates and times as ISO text (UTC), Decimals as their text, JSON columns
as they are — never a float.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Numeric,
    Table,
    Text,
    Uuid,
    and_,
    cast,
    event,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from db.models import uuid7
from db.models_sync import SyncChange, SyncNode
from db.schema import metadata
from workstation.domain.canonical import canonical_json

BOTH = "both"  # case data: captured on units and at central
DOWN = "down"  # reference data: captured at central only, applied on units
LOCAL = "local"  # never synced

FLOWS: dict[str, str] = {
    # organisation and reference data
    "offices": DOWN, "units": DOWN, "roles": DOWN, "users": DOWN, "user_roles": DOWN,
    # every rule-set file a decision used, by id and SHA-256 (content-addressed): a unit's decisions may rest on
    # a file central has not recorded yet, so these rows travel both ways, inserted if absent
    "rule_sets": BOTH,
    "exchange_rates": DOWN, "tariff_posts": DOWN, "lartas_rules": DOWN, "pib_importer_blocks": DOWN,
    "plp_tps": DOWN, "sync_units": LOCAL,
    # case data
    "cases": BOTH, "case_events": BOTH, "documents": BOTH, "document_prints": BOTH, "gate_events": BOTH,
    "scan_results": BOTH, "bc11_lines": BOTH,
    "ecd_declarations": BOTH, "ecd_decisions": BOTH, "ecd_findings": BOTH, "ecd_excise_counts": BOTH,
    "ecd_referrals": BOTH, "ecd_billings": BOTH, "ecd_payments": BOTH,
    "pib_cases": BOTH, "pib_submissions": BOTH, "pib_billings": BOTH, "pib_supporting_docs": BOTH,
    "pib_instructions": BOTH, "pib_reports": BOTH, "pib_requests": BOTH, "pib_determinations": BOTH,
    "plp_tps_containers": BOTH, "plp_requests": BOTH, "plp_lines": BOTH, "plp_movements": BOTH,
    # risk targeting (#16): profiles and rates are set centrally; selections and outcomes happen anywhere
    "risk_profiles": DOWN, "risk_random_rates": DOWN, "risk_prearrival": DOWN,
    "risk_selections": BOTH, "risk_outcomes": BOTH, "risk_value_history": BOTH,
    # the approvals inbox: a request waits at central for a supervisor there (a unit has its own supervisor)
    "approval_requests": LOCAL,
    # a unit's change that lost at central is kept there and synced back for the unit's supervisor to see
    "sync_conflicts": DOWN,
    # local to each database
    "sessions": LOCAL, "counters": LOCAL, "print_jobs": LOCAL, "audit_log": LOCAL, "audit_anchors": LOCAL,
    "sync_changes": LOCAL, "sync_node": LOCAL, "sync_unit_audit": LOCAL, "sync_bundles": LOCAL,
    "user_ssh_keys": LOCAL,
}
# Rows never changed once written: a second copy must be identical (hash check), a correction is a new row.
# (documents: the one change a trigger lets through is ISSUED -> VOID, which travels as an update.)
APPEND_ONLY = frozenset({"rule_sets", "case_events", "document_prints", "gate_events", "plp_movements", "ecd_findings",
                         "ecd_excise_counts", "ecd_payments", "pib_submissions", "pib_reports",
                         "pib_determinations"})
# Columns of an append-only row that differ between two honest copies (when each side recorded it): not compared.
COPY_LOCAL = {"rule_sets": frozenset({"recorded_at"})}
# Reference tables a field unit may still add rows to: the same rows central would record (by natural key).
UNIT_MAY_INSERT = frozenset({"offices"})
# Bookkeeping columns: they change with every update and never make two changes collide.
NOT_COMPARED = frozenset({"version", "updated_at"})

_PENDING = "ws_sync_pending"
_HOOKED = "ws_sync_hooked"


def flow(table_name: str) -> str:
    return FLOWS.get(table_name, LOCAL)


def captured_tables(role: str) -> frozenset[str]:
    """The tables whose changes a node of `role` ('unit' | 'central') writes to its change log."""
    wanted = {BOTH} if role == "unit" else {BOTH, DOWN}
    return frozenset(t for t, f in FLOWS.items() if f in wanted)


# -- the row codec ---------------------------------------------------------------------------------------------
def _kind(column) -> str:
    t = column.type
    if isinstance(t, TypeDecorator):
        t = t.impl  # an instance (TypeDecorator instantiates its impl)
    if isinstance(t, Uuid):
        return "uuid"
    if isinstance(t, DateTime):
        return "datetime"
    if isinstance(t, Date):
        return "date"
    if isinstance(t, Numeric) and t.asdecimal:
        return "decimal"
    if isinstance(t, JSON):
        return "json"
    return "plain"


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, bool, list, dict)):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot sync a value of type {type(value).__name__}")


def encode_value(value: Any) -> Any:
    """One Python value as it travels (JSON): UUIDs, dates and times as ISO text (UTC), Decimals as text."""
    return _encode(value)


def _decode(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "uuid":
        return uuid.UUID(value)
    if kind == "datetime":
        return dt.datetime.fromisoformat(value)
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "decimal":
        return Decimal(value)
    return value


def table(name: str) -> Table:
    return metadata.tables[name]


def _scale(column) -> int | None:
    t = column.type
    if isinstance(t, TypeDecorator):
        t = t.impl
    return t.scale if isinstance(t, Numeric) and t.asdecimal and t.scale is not None else None


def encode_row(tbl: Table, values: dict[str, Any]) -> dict[str, Any]:
    """{column: JSON value} for every column of `tbl` (missing ones as null). A Decimal is written with its
    column's scale ("1300.00" in a Numeric(20, 4) column is "1300.0000"), as the database gives it back: the
    same row encodes the same way whether it comes from an object or from a read."""
    out: dict[str, Any] = {}
    for c in tbl.columns:
        v = values.get(c.name)
        scale = _scale(c) if isinstance(v, Decimal) else None
        if scale is not None and isinstance(v, Decimal) and v.is_finite():
            v = v.quantize(Decimal(1).scaleb(-scale))
        out[c.name] = _encode(v)
    return out


def decode_row(tbl: Table, row: dict[str, Any]) -> dict[str, Any]:
    """The Python values of a row received as JSON. Raises KeyError/ValueError on a column or value that does
    not belong to the table (the caller turns it into a refusal)."""
    out: dict[str, Any] = {}
    for name, value in row.items():
        out[name] = _decode(_kind(tbl.columns[name]), value)
    return out


def key_of(tbl: Table, values: dict[str, Any]) -> str:
    return canonical_json([_encode(values[c.name]) for c in tbl.primary_key.columns])


def row_digest(row_json: str) -> str:
    return hashlib.sha256(row_json.encode("utf-8")).hexdigest()


def _key_clause(tbl: Table, row_key: str):
    parts = json.loads(row_key)
    cols = list(tbl.primary_key.columns)
    if not isinstance(parts, list) or len(parts) != len(cols):
        raise ValueError(f"bad key for {tbl.name}")
    return and_(*(c == _decode(_kind(c), v) for c, v in zip(cols, parts, strict=True)))


def current_row(session: Session, tbl: Table, row_key: str) -> dict[str, Any] | None:
    """The row as stored now, encoded, or None."""
    found = session.execute(select(tbl).where(_key_clause(tbl, row_key))).mappings().first()
    return encode_row(tbl, dict(found)) if found is not None else None


# -- capture ---------------------------------------------------------------------------------------------------
@dataclass
class _Pending:
    table: str
    op: str
    changed: set[str] = field(default_factory=set)
    obj: Any = None  # the ORM object (its state at commit is the row)
    row: dict[str, Any] | None = None  # a Core insert's values


def node(session: Session) -> SyncNode | None:
    """This database's sync identity, read in the current transaction (None: not part of a sync)."""
    return session.get(SyncNode, 1)


def install(factory: sessionmaker) -> None:
    """Attach the capture listener to the write sessions of a Database."""
    event.listen(factory, "after_flush", _after_flush)


def _note(session: Session, table_name: str, key: str, op: str, changed: Iterable[str], obj: Any = None,
          row: dict[str, Any] | None = None) -> None:
    if flow(table_name) == LOCAL:
        return
    pending: dict[tuple[str, str], _Pending] = session.info.setdefault(_PENDING, {})
    p = pending.get((table_name, key))
    if p is None:
        pending[(table_name, key)] = p = _Pending(table_name, op)
    elif op == "delete":
        p.op = "delete"
    p.changed.update(changed)
    if obj is not None:
        p.obj = obj
    if row is not None:
        p.row = row
    if not session.info.get(_HOOKED):
        from db.engine import before_commit

        session.info[_HOOKED] = True
        before_commit(session, write_pending)


def _after_flush(session: Session, _ctx) -> None:
    for obj, op in [*((o, "insert") for o in session.new), *((o, "update") for o in session.dirty),
                    *((o, "delete") for o in session.deleted)]:
        state = inspect(obj)
        mapper = state.mapper
        tbl = mapper.local_table
        if not isinstance(tbl, Table) or flow(tbl.name) == LOCAL:
            continue
        if op == "update":
            changed = [attr.columns[0].name for attr in mapper.column_attrs
                       if state.attrs[attr.key].history.has_changes()]
            if not changed:
                continue
        else:
            changed = [c.name for c in tbl.columns]
        # the key from the instance's dict: nothing may load inside a flush
        values = {c.name: state.dict.get(mapper.get_property_by_column(c).key) for c in tbl.primary_key.columns}
        _note(session, tbl.name, key_of(tbl, values), op, changed, obj=obj)


def record_insert(session: Session, table_name: str, row: dict[str, Any]) -> None:
    """A Core insert of the write path (issued documents): note it like an ORM insert."""
    tbl = table(table_name)
    _note(session, table_name, key_of(tbl, row), "insert", [c.name for c in tbl.columns], row=row)


def write_pending(session: Session) -> None:
    """Before COMMIT: write the transaction's changes of the tables this node captures to sync_changes."""
    session.flush()  # changes made since the last flush are noted by _after_flush
    pending: dict[tuple[str, str], _Pending] = session.info.pop(_PENDING, {})
    session.info.pop(_HOOKED, None)
    if not pending:
        return
    me = node(session)
    if me is None:
        return
    tables = captured_tables(me.role)
    if me.role == "unit":
        _refuse_new_reference_data(pending)
    txn = uuid7()
    seq = next_seq(session)
    now = dt.datetime.now(dt.UTC)
    rows = []
    for (table_name, key), p in pending.items():
        if table_name not in tables:
            continue
        tbl = table(table_name)
        if p.op == "delete":
            row: dict[str, Any] = dict(zip([c.name for c in tbl.primary_key.columns], json.loads(key), strict=True))
        elif p.obj is not None:
            st = inspect(p.obj)
            row = encode_row(tbl, {a.columns[0].name: st.attrs[a.key].value for a in st.mapper.column_attrs})
        else:
            row = encode_row(tbl, p.row or {})
        text = canonical_json(row)
        unit = me.role == "unit"
        rows.append(dict(seq=seq, change_id=uuid7(), txn_id=txn, origin=(me.unit_code or "") if unit else "",
                         epoch=me.epoch if unit else 0, table_name=table_name, row_key=key, op=p.op,
                         changed=canonical_json(sorted(p.changed)), base_seq=me.pull_cursor if unit else 0,
                         row=text, row_hash=row_digest(text), created_at=now, acked_at=None))
        seq += 1
    if rows:
        session.execute(insert(SyncChange), rows)


def _refuse_new_reference_data(pending: dict[tuple[str, str], _Pending]) -> None:
    """On a field unit, reference data is central's: a user, TPS or rate created here would never reach
    central, and the unit's cases that name it could then never be applied there. Local updates (a user's
    failed logins, a lock) stay local; a rule set the unit used is recorded as central records it."""
    from workstation.domain.errors import ErrorCode
    from workstation.errors import Refusal

    for (table_name, _key), p in pending.items():
        if p.op == "insert" and flow(table_name) == DOWN and table_name not in UNIT_MAY_INSERT:
            raise Refusal(code=ErrorCode.SYNC_REFERENCE_AT_CENTRAL, params={"table": table_name})


def next_seq(session: Session) -> int:
    """The next position in this database's change log. Gapless and in commit order: the caller holds the
    write lock (Database.write), so no other transaction can take a position before this one commits."""
    return (session.scalar(select(func.max(SyncChange.seq))) or 0) + 1


def numbering_unit(session: Session, configured: str | None) -> str | None:
    """The unit part of an official number. An enrolled field unit numbers under its code, and from its second
    epoch on under CODE.EPOCH: a unit restored from a backup re-enrols with a new epoch, so its counters start
    again under a new key and never reissue a number that reached central before the restore."""
    me = node(session)
    if me is None or me.role != "unit":
        return configured
    return me.unit_code if me.epoch <= 1 else f"{me.unit_code}.{me.epoch}"


def billing_slot(session: Session) -> int | None:
    """An enrolled field unit's block of e-CD billing codes (central gives each enrolment its own), else None."""
    me = node(session)
    return me.billing_slot if me is not None and me.role == "unit" else None


# -- apply -----------------------------------------------------------------------------------------------------
def write_row(session: Session, tbl: Table, row_key: str, current: dict[str, Any] | None,
              row: dict[str, Any]) -> str:
    """`upsert_row` when the caller already holds the stored row (`current`, encoded, or None)."""
    values = decode_row(tbl, row)
    if current is None:
        session.execute(insert(tbl).values(**values))
        return "inserted"
    differ = {k: values[k] for k in row if current.get(k) != row[k]}
    if not differ:
        return "same"
    # a column with an onupdate default (updated_at) keeps the value that travelled, not the time of applying
    differ.update({c.name: values[c.name] for c in tbl.columns if c.onupdate is not None and c.name in values})
    session.execute(update(tbl).where(_key_clause(tbl, row_key)).values(**differ))
    return "updated"


def upsert_row(session: Session, tbl: Table, row_key: str, row: dict[str, Any]) -> str:
    """Make the stored row equal `row` (encoded): insert it, update the columns that differ, or nothing.
    Core statements: an applied change is never captured again as a local one. Returns 'inserted' |
    'updated' | 'same'."""
    now = current_row(session, tbl, row_key)
    values = decode_row(tbl, row)
    if now is None:
        session.execute(insert(tbl).values(**values))
        return "inserted"
    differ = {k: values[k] for k in row if now.get(k) != row[k]}
    if not differ:
        return "same"
    # a column with an onupdate default (updated_at) keeps the value that travelled, not the time of applying
    differ.update({c.name: values[c.name] for c in tbl.columns if c.onupdate is not None and c.name in values})
    session.execute(update(tbl).where(_key_clause(tbl, row_key)).values(**differ))
    return "updated"


def delete_row(session: Session, tbl: Table, row_key: str) -> None:
    session.execute(tbl.delete().where(_key_clause(tbl, row_key)))


def any_of(session: Session, col, values: list[Any]):
    """`col IN (values)` for values as they travel (JSON: a UUID or a date as text, a number): on PostgreSQL
    `col = ANY(CAST(:texts AS type[]))`, one parameter in a statement of constant text, which psycopg parses
    once and prepares (an IN list of hundreds of placeholders is parsed again every time) and the server
    converts; on SQLite the values decoded for the column's type."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import any_, bindparam
        from sqlalchemy.dialects.postgresql import ARRAY

        # The array as ONE literal ('{"a","b"}'), not a list: psycopg dumps a list element by element in
        # Python (a third of a push's look-ups). The parameter is untyped, so the server takes it as the
        # column's array type itself and parses it once when binding; cast from a text parameter instead, the
        # array is not a constant and is parsed again for every row scanned.
        from sqlalchemy.types import NullType

        literal = array_literal(values)
        return col == any_(cast(bindparam(None, literal, type_=NullType()), ARRAY(col.type)))
    from sqlalchemy import String, bindparam, type_coerce

    kind = _kind(col)
    if kind == "uuid":  # compared as stored (32 hex digits), without a UUID object each
        # the keys as ONE JSON array parameter read by SQLite's json_each: the statement's text is the same
        # whatever the number of keys (compiled once; no list coerced element by element or expanded)
        from sqlalchemy import func, literal_column
        from sqlalchemy import select as select_

        keys = json.dumps([v.replace("-", "") if _UUID_TEXT.match(v) else uuid.UUID(v).hex for v in values])
        return type_coerce(col, String).in_(
            select_(literal_column("value")).select_from(func.json_each(bindparam(None, keys, type_=String()))))
    dec = _DECODERS.get(kind)
    return col.in_(bindparam(None, [dec(v) for v in values] if dec is not None else list(values), type_=col.type,
                             expanding=True))


def array_literal(values: list[Any]) -> str:
    """A PostgreSQL array literal of `values` as text, each element double-quoted (so NULL, commas and braces
    are data), backslashes and quotes escaped. Joined once and escaped in one pass (C string methods, not
    Python per element): NUL, which no PostgreSQL text holds, stands between the elements meanwhile; a value
    holding one is refused (ValueError), as the server would refuse it."""
    texts = [v if type(v) is str else str(v) for v in values]
    joined = "\x00".join(texts)
    if texts and joined.count("\x00") != len(texts) - 1:
        raise ValueError("a NUL character in an array element")
    if "\\" in joined or '"' in joined:
        joined = joined.replace("\\", "\\\\").replace('"', '\\"')
    return '{"' + joined.replace("\x00", '","') + '"}' if texts else "{}"


def uuid_norm(text: str) -> str:
    """A UUID given as text, in its usual form (lower case, dashed). Raises ValueError if it is none."""
    return text if _UUID_TEXT.match(text) else str(uuid.UUID(text))


# a change log entry read as a plain row (no ORM objects), the ids as text (uuid_text); what entry_text takes
ENTRY_COLUMNS = (SyncChange.seq, cast(SyncChange.change_id, Text).label("change_id"),
                 cast(SyncChange.txn_id, Text).label("txn_id"), SyncChange.origin, SyncChange.epoch,
                 SyncChange.table_name, SyncChange.row_key, SyncChange.op, SyncChange.changed, SyncChange.base_seq,
                 SyncChange.row, SyncChange.row_hash)
# a str as JSON text: what JSONEncoder(ensure_ascii=False).encode gives for a str, without its Python wrapper
_STR = json.encoder.encode_basestring


def entry_text(r: Any) -> str:
    """A change log entry as it travels (a unit's push, central's feed), as JSON text: `changed` and `row`
    are stored as canonical JSON and go in as they are, never parsed and written again."""
    return (f'{{"seq":{int(r.seq)},"change_id":"{uuid_text(r.change_id)}","txn_id":"{uuid_text(r.txn_id)}",'
            f'"origin":{_STR(r.origin)},"epoch":{int(r.epoch)},"table":{_STR(r.table_name)},'
            f'"key":{_STR(r.row_key)},"op":{_STR(r.op)},"changed":{r.changed},"base_seq":{int(r.base_seq)},'
            f'"row":{r.row},"row_hash":{_STR(r.row_hash)}}}')


def uuid_text(value: Any) -> str | None:
    """A Uuid column's value selected as text (`cast(col, Text)`) in its usual form: SQLite stores 32 hex
    digits, PostgreSQL gives the dashed form (a UUID object is taken too)."""
    if value is None:
        return None
    if isinstance(value, str):
        if len(value) == 36:  # PostgreSQL's text of a uuid: already the usual form
            return value
        if len(value) == 32:
            return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
        return str(uuid.UUID(value))
    return str(value)


def _uuid_sql(dialect: str, col: str) -> str:
    if dialect == "postgresql":
        return f"sync_changes.{col}::text"
    # SQLite stores a Uuid as 32 hex digits: dashed as uuid_text does (another form is given as it is)
    c = f"sync_changes.{col}"
    return (f"CASE WHEN length({c}) = 32 THEN substr({c}, 1, 8) || '-' || substr({c}, 9, 4) || '-' || "
            f"substr({c}, 13, 4) || '-' || substr({c}, 17, 4) || '-' || substr({c}, 21) ELSE {c} END")


def _entry_sql(dialect: str) -> str:
    """entry_text as an SQL expression over sync_changes: the database puts the text together (C, no row
    object in Python). Strings are quoted by json_quote (SQLite) / to_json (PostgreSQL), which escape exactly
    as Python's JSON encoder with ensure_ascii=False does (tests/sync/test_perf_bulk.py compares them)."""
    if dialect == "postgresql":
        def q(c: str) -> str:
            return f"to_json(sync_changes.{c})::text"
    else:
        def q(c: str) -> str:
            return f"json_quote(sync_changes.{c})"
    return ("""'{"seq":' || sync_changes.seq || ',"change_id":"' || """ + _uuid_sql(dialect, "change_id")
            + """ || '","txn_id":"' || """ + _uuid_sql(dialect, "txn_id") + """ || '","origin":' || """
            + q("origin") + """ || ',"epoch":' || sync_changes.epoch || ',"table":' || """ + q("table_name")
            + """ || ',"key":' || """ + q("row_key") + """ || ',"op":' || """ + q("op")
            + """ || ',"changed":' || sync_changes.changed || ',"base_seq":' || sync_changes.base_seq"""
            + """ || ',"row":' || sync_changes."row" || ',"row_hash":' || """ + q("row_hash") + " || '}'")


def entry_text_column(session: Session) -> Any:
    """A column giving each sync_changes row's entry_text, computed by the database (labelled `text`)."""
    from sqlalchemy import literal_column

    dialect = session.get_bind().dialect.name
    return literal_column(_entry_sql("postgresql" if dialect == "postgresql" else "sqlite"), Text).label("text")


class BadRow(ValueError):
    """A queued row the database refused as data (a value that does not fit its column); `tag` is what the
    caller queued it with (central: the change id)."""

    def __init__(self, tag: Any, reason: str):
        super().__init__(reason)
        self.tag = tag
        self.reason = reason


# -- bulk apply (the common case of a sync: runs of new rows) ----------------------------------------------------
_ORDER = {t.name: i for i, t in enumerate(metadata.sorted_tables)}  # parents before children (no cycles)
_DECODERS = {"uuid": uuid.UUID, "datetime": dt.datetime.fromisoformat, "date": dt.date.fromisoformat,
             "decimal": Decimal}


_ROW_TEXT = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def _c_encoder(*, item_sep: str, key_sep: str, sort_keys: bool, ascii_only: bool) -> Any:
    """A JSONEncoder's C encoder made once (JSONEncoder.encode makes it again on every call) as a function of a
    value → its text; None where the C accelerator is missing. No circular check: a value parsed from JSON
    cannot refer to itself."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return None
    quote = json.encoder.encode_basestring_ascii if ascii_only else json.encoder.encode_basestring
    enc = make(None, json.JSONEncoder().default, quote, None, key_sep, item_sep, sort_keys, False, True)
    return lambda value: "".join(enc(value, 0))


# what SQLAlchemy's JSON type sends (json.dumps: default separators, ASCII escapes; None as JSON null): the same
# stored text
_JSON_TEXT = (_c_encoder(item_sep=", ", key_sep=": ", sort_keys=False, ascii_only=True)
              or json.JSONEncoder().encode)


_ROW_C = _c_encoder(item_sep=",", key_sep=":", sort_keys=True, ascii_only=False)


@dataclass(frozen=True)
class _Codec:
    names: tuple[str, ...]  # the table's columns, in order
    nameset: frozenset[str]
    datetimes: tuple[str, ...]  # its date-time columns
    jsons: frozenset[str]  # its JSON columns
    insert_sql: dict[str, str] = field(default_factory=dict)  # by dialect name


_CODECS: dict[str, _Codec] = {}


def codec(name: str) -> _Codec:
    c = _CODECS.get(name)
    if c is None:
        cols = list(table(name).columns)
        names = tuple(col.name for col in cols)
        c = _CODECS[name] = _Codec(names, frozenset(names), tuple(col.name for col in cols if _kind(col) == "datetime"),
                                   frozenset(col.name for col in cols if _kind(col) == "json"))
    return c


def row_text(row: dict[str, Any]) -> str:
    """canonical_json of a row as it travels (JSON values only), without canonical_json's generic walk: the
    same text, the same refusal of a float (TypeError)."""
    for v in row.values():
        t = type(v)
        if t is float:
            raise TypeError("float in a row")
        if t is dict or t is list:
            _no_float(v)
    return _ROW_C(row) if _ROW_C is not None else _ROW_TEXT(row)


def _no_float(value: Any) -> None:
    stack = [value]
    while stack:
        v = stack.pop()
        t = type(v)
        if t is float:
            raise TypeError("float in a row")
        if t is dict:
            stack.extend(v.values())
        elif t is list:
            stack.extend(v)


_UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


def _utc_text(v: Any) -> bool:
    """Whether a travelling date-time is in the form encode_row writes (UTC, microseconds): checked, not
    assumed (fromisoformat refuses a bad date or time)."""
    return (type(v) is str and len(v) == 32 and v[10] == "T" and v.endswith("+00:00")
            and dt.datetime.fromisoformat(v) is not None)


def _aware(v: Any) -> dt.datetime:
    value = dt.datetime.fromisoformat(v)
    if value.tzinfo is None:
        raise ValueError("naive date-time")  # as db.models.UTC refuses it
    return value


def _converters(dialect, name: str) -> tuple[tuple[int, ...], tuple[tuple[int, Any], ...]]:
    """How a travelling row becomes the values sqlite3 writes: (positions of JSON columns, [(position,
    function of a value that is not None)]) — exactly what SQLAlchemy's bind processors store for the decoded
    value, the common forms done directly (UUID text → 32 hex digits, a UTC date-time → SQLite's text), the
    rest through the processors."""
    jsons: list[int] = []
    out: list[tuple[int, Any]] = []
    for i, col in enumerate(table(name).columns):
        kind = _kind(col)
        proc = col.type.dialect_impl(dialect).bind_processor(dialect)
        if kind == "json":
            jsons.append(i)
        elif kind == "uuid":
            out.append((i, lambda v, p=proc: v.replace("-", "") if type(v) is str and _UUID_TEXT.match(v)
                        else p(uuid.UUID(v))))
        elif kind == "datetime":
            out.append((i, lambda v, p=proc: f"{v[:10]} {v[11:26]}" if _utc_text(v)
                        else p(dt.datetime.fromisoformat(v))))
        elif kind == "date":
            out.append((i, lambda v, p=proc: p(dt.date.fromisoformat(v))))
        elif kind == "decimal":
            out.append((i, lambda v, p=proc: p(Decimal(v)) if p else Decimal(v)))
        elif proc is not None:
            out.append((i, proc))
    return tuple(jsons), tuple(out)


_CONVERTERS: dict[tuple[str, str], tuple[tuple[int, ...], tuple[tuple[int, Any], ...]]] = {}


def driver_values(session: Session, name: str, row: dict[str, Any]) -> list[Any]:
    """A whole row as it travels (every column, encoded) → the values SQLite's executemany writes, in column
    order. Raises ValueError/TypeError/KeyError/AttributeError for a value that cannot be one of its column."""
    dialect = session.get_bind().dialect
    convs = _CONVERTERS.get((dialect.name, name))
    if convs is None:
        convs = _CONVERTERS[(dialect.name, name)] = _converters(dialect, name)
    jsons, others = convs
    vals = [row[n] for n in codec(name).names]
    for i in jsons:
        vals[i] = _JSON_TEXT(vals[i])  # None too: SQLAlchemy's JSON type stores JSON null for it
    for i, fn in others:
        v = vals[i]
        if v is not None:
            vals[i] = fn(v)
    return vals


def _quote(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


def copy_field(text: str) -> str:
    """A text value in COPY's text format: backslash, tab, newline and carriage return escaped."""
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def copy_rows(session: Session, name: str, columns: Iterable[str], rows: list[Any],
              tags: list[Any] | None = None) -> None:
    """PostgreSQL: COPY `rows` (sequences in `columns` order, values psycopg can write as text; or lines of
    COPY's text format already, each ending in a newline: see copy_field) into `name` in the session's
    transaction. A value the server refuses as data raises BadRow with the row's tag (or its index); any other
    error of the driver raises SQLAlchemy's DBAPIError for it."""
    import psycopg
    from sqlalchemy.exc import DBAPIError

    conn = session.connection()
    driver = conn.connection.driver_connection
    if driver.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
        session.execute(select(1))  # the write's BEGIN and lock go out with its first statement (db.engine)
    sql = f"COPY {_quote(name)} ({', '.join(_quote(c) for c in columns)}) FROM STDIN"
    tag_of = (lambda i: tags[i]) if tags is not None else (lambda i: i)
    written = 0  # rows handed to the driver
    try:
        with driver.cursor() as cur, cur.copy(sql) as cp:
            if rows and isinstance(rows[0], str):  # one buffer: no Python per value
                cp.write("".join(rows))
                written = len(rows)
            else:
                for r in rows:
                    cp.write_row(r)
                    written += 1
    except psycopg.DataError as exc:  # SQLSTATE class 22: a value that does not fit its column
        found = re.search(r"line (\d+)", exc.diag.context or "")
        line = int(found.group(1)) - 1 if found else written
        raise BadRow(tag_of(min(max(line, 0), len(rows) - 1)), (str(exc).splitlines() or [""])[0]) from None
    except (psycopg.ProgrammingError, TypeError, ValueError) as exc:
        if isinstance(exc, psycopg.Error) and exc.sqlstate:  # the server's, not a value psycopg cannot adapt
            raise DBAPIError.instance(sql, None, exc, psycopg.Error) from exc
        raise BadRow(tag_of(min(written, len(rows) - 1)), (str(exc).splitlines() or [""])[0]) from None
    except psycopg.Error as exc:
        raise DBAPIError.instance(sql, None, exc, psycopg.Error) from exc


class RowCache:
    """The stored rows a batch of changes touches, read with one `IN (…)` query per table (single-column keys;
    others one by one) and kept up to date as the batch applies. New rows are queued and written together
    when `flush()` is called — before any other statement that needs them, and at the end — table by table
    in the metadata's dependency order (parents before children), each table's rows in the order queued: on
    PostgreSQL by one statement per table that expands their canonical JSON texts (`_write_pg`), on SQLite by
    one executemany of the driver."""

    CHUNK = 500  # keys per IN (…) list

    def __init__(self, session: Session):
        self.s = session
        self.rows: dict[tuple[str, str], dict[str, Any] | None] = {}
        # per table, in order: (canonical text (PostgreSQL) or values for sqlite3, tag), or (decoded dict, tag)
        # for a row that lacks columns (inserted alone by SQLAlchemy, whose column defaults then apply)
        self._queued: dict[str, list[tuple[Any, Any]]] = {}
        self._pg = session.get_bind().dialect.name == "postgresql"

    def preload(self, pairs: Iterable[tuple[str, str]]) -> None:
        by_table: dict[str, set[str]] = {}
        for name, key in pairs:
            by_table.setdefault(name, set()).add(key)
        for name, keys in by_table.items():
            self._load(name, sorted(k for k in keys if (name, k) not in self.rows))

    def _load(self, name: str, keys: list[str]) -> None:
        tbl = table(name)
        pk = list(tbl.primary_key.columns)
        for key in keys:
            self.rows[(name, key)] = None
        if len(pk) != 1:
            for key in keys:
                self.rows[(name, key)] = current_row(self.s, tbl, key)
            return
        col = pk[0]
        loads = json.loads
        for i in range(0, len(keys), self.CHUNK):
            # a key is canonical JSON of a one-element list: `["text"]` without escapes is read by slicing
            values = [k[2:-2] if k[:2] == '["' and k[-2:] == '"]' and "\\" not in k and '","' not in k
                      else loads(k)[0] for k in keys[i:i + self.CHUNK]]
            for found in self.s.execute(select(tbl).where(any_of(self.s, col, values))).mappings():
                row = dict(found)
                self.rows[(name, key_of(tbl, row))] = encode_row(tbl, row)

    def row(self, name: str, key: str) -> dict[str, Any] | None:
        if (name, key) not in self.rows:
            self.flush()
            self.rows[(name, key)] = current_row(self.s, table(name), key)
        return self.rows[(name, key)]

    def insert(self, name: str, row: dict[str, Any], tag: Any = None, text: str | None = None) -> None:
        """Queue a new row (encoded; `text`: its canonical JSON when the caller has it). Raises
        KeyError/ValueError/TypeError for a row that does not fit the table (on PostgreSQL the server checks
        most values: BadRow at flush)."""
        c = codec(name)
        queue = self._queued.setdefault(name, [])
        if len(row) == len(c.names) and c.nameset.issuperset(row):
            if self._pg:
                for n in c.datetimes:  # the server would take a date-time without its zone as UTC: refused here
                    v = row[n]
                    if v is not None and not _utc_text(v):
                        _aware(v)
                queue.append((text if text is not None else row_text(row), tag))
            else:
                queue.append((driver_values(self.s, name, row), tag))
        else:
            queue.append((decode_row(table(name), row), tag))

    def flush(self) -> None:
        if not self._queued:
            return
        queued, self._queued = self._queued, {}
        for name in sorted(queued, key=lambda n: _ORDER.get(n, 0)):
            items = queued[name]
            start = 0
            for end in range(len(items) + 1):  # runs of whole rows in one statement; a partial one alone
                if end < len(items) and not isinstance(items[end][0], dict):
                    continue
                if end > start:
                    self._write(name, items[start:end])
                if end < len(items):
                    self.s.execute(insert(table(name)).values(**items[end][0]))
                start = end + 1

    def _write(self, name: str, items: list[tuple[Any, Any]]) -> None:
        c = codec(name)
        if self._pg:
            self._write_pg(name, c, items)
            return
        sql = c.insert_sql.get("sqlite")
        if sql is None:
            q = self.s.get_bind().dialect.identifier_preparer.quote
            sql = c.insert_sql["sqlite"] = (f"INSERT INTO {q(name)} ({', '.join(q(n) for n in c.names)}) "
                                            f"VALUES ({', '.join('?' for _ in c.names)})")
        self.s.connection().exec_driver_sql(sql, [tuple(v) for v, _ in items])

    def _write_pg(self, name: str, c: _Codec, items: list[tuple[Any, Any]]) -> None:
        """PostgreSQL: the rows' canonical texts as one JSON array, expanded by the server into the table's
        row type (json_populate_recordset: each column parsed from its JSON value by its type) — one statement
        per table and batch, no value converted in Python. A JSON column's null is stored as JSON null, as
        SQLAlchemy's JSON type stores None."""
        from sqlalchemy.exc import DataError

        sql = c.insert_sql.get("postgresql")
        if sql is None:
            sel = ", ".join(f"coalesce(r.{_quote(n)}, 'null'::json)" if n in c.jsons else f"r.{_quote(n)}"
                            for n in c.names)
            sql = c.insert_sql["postgresql"] = (
                f"INSERT INTO {_quote(name)} ({', '.join(_quote(n) for n in c.names)}) SELECT {sel} "
                f"FROM json_populate_recordset(NULL::{_quote(name)}, %s::json) AS r")
        try:
            self.s.connection().exec_driver_sql(sql, ("[" + ",".join(t for t, _ in items) + "]",))
        except DataError as exc:  # a value that does not fit its column: name the row if Python can tell
            reason = (str(exc.orig).splitlines() or [""])[0] if exc.orig else str(exc)
            tbl = table(name)
            for text, tag in items:
                try:
                    decode_row(tbl, json.loads(text))
                except (KeyError, ValueError, TypeError, AttributeError) as bad:
                    raise BadRow(tag, f"{reason} ({bad})") from None
            raise BadRow(items[0][1], reason) from None
