"""The sync's fast paths (issue #14, bench/sync): new rows written together (db.changes.RowCache: COPY-free
json_populate_recordset on PostgreSQL, the driver's executemany on SQLite), push bodies and feed pages put
together from stored texts. Each must store and send exactly what the plain SQLAlchemy path did."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select, text

from db import changes
from db.models_sync import SyncChange
from db.schema import metadata
from tests.services.passenger_support import green_doc
from tests.services.passenger_support import text as doc_text
from workstation.domain.canonical import canonical_json
from workstation.errors import InputError
from workstation.sync.central import feed_entry
from workstation.sync.unit import _push_text

CASES, PLP = metadata.tables["cases"], metadata.tables["plp_requests"]


# text a column takes on both back ends (PostgreSQL refuses NUL)
def _text(n: int):
    return st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=n)


_json = st.recursive(st.none() | st.booleans() | st.integers(-2**53, 2**53) | _text(12),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text(6), inner, max_size=3),
                     max_leaves=8)
_zone = st.integers(-14 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
_moment = st.builds(lambda d, tz: d.replace(tzinfo=tz),
                    st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2090, 1, 1)), _zone)
_day = st.dates(dt.date(1990, 1, 1), dt.date(2090, 1, 1))
_pct = st.decimals(min_value=-99999, max_value=99999, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def _pair(draw):
    """A case and its PLP request (every kind of column: uuid, text, JSON, date, date-time, decimal, bool,
    nulls), as Python values; keys filled in by the test."""
    case = dict(kind=draw(_text(8)), reference=draw(_text(40)), office_code=draw(_text(6)),
                unit_code=draw(st.none() | _text(8)), state=draw(_text(30)), lane=draw(_text(8)),
                reasons=draw(_json), flags=draw(_json), opened_on=draw(_day), created_at=draw(_moment),
                updated_at=draw(_moment), created_by=draw(st.none() | st.uuids()), assigned_to=None,
                summary=draw(_json), version=draw(st.integers(0, 2**31 - 1)))
    plp = dict(origin_tps=draw(_text(8)), destination_tps=draw(_text(8)), operator=draw(_text(200)),
               applicant=draw(_text(12)), reason=draw(_text(64)), port=draw(_text(5)), bc11_number=draw(_text(6)),
               bc11_date=draw(_day), import_declared=draw(st.booleans()), origin_yor_pct=draw(_pct),
               destination_yor_pct=draw(_pct), origin_registry_yor_pct=draw(st.none() | _pct),
               destination_registry_yor_pct=None, request_json=draw(_text(50)), eligible=draw(st.booleans()),
               reasons_met=draw(_json), refusals=draw(_json), ruleset=draw(_text(40)),
               plp_number=draw(st.none() | _text(80)), plp_date=draw(st.none() | _day),
               decided_by=draw(st.none() | st.uuids()), decided_at=draw(st.none() | _moment),
               decision_note=None, cancel_reason=draw(st.none() | _text(20)))
    # a date-time as a unit might send it in another zone than UTC (the same instant)
    other_zone = draw(st.booleans())
    return case, plp, other_zone


def _stored(db, name: str, key_col: str, key: uuid.UUID) -> dict:
    """The row as the database holds it, column by column: SQLite's raw values; PostgreSQL's text of each
    (JSON compared as jsonb: the same value, whatever the spacing)."""
    tbl = metadata.tables[name]
    with db.read() as s:
        if db.backend == "sqlite":
            got = s.connection().exec_driver_sql(
                f'SELECT * FROM "{name}" WHERE "{key_col}" = ?', (key.hex,)).mappings().one()
            return {k: v for k, v in got.items() if k != key_col}
        cols = ", ".join(f'"{c.name}"::jsonb::text AS "{c.name}"' if changes._kind(c) == "json"
                         else f'"{c.name}"::text AS "{c.name}"' for c in tbl.columns if c.name != key_col)
        return dict(s.execute(text(f'SELECT {cols} FROM "{name}" WHERE "{key_col}" = :k'), {"k": key})
                    .mappings().one())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pair=_pair())
def test_rows_written_together_are_stored_as_sqlalchemy_stores_them(services, pair):
    case, plp, other_zone = pair
    db = services.ctx.db
    fast, plain = uuid.uuid4(), uuid.uuid4()
    # (kind, reference) is unique: each copy's reference starts with 13 characters of its own
    case = {**case, "reference": f"F{fast.hex[:12]}{case['reference']}"}
    enc_case = changes.encode_row(CASES, {**case, "id": fast})
    enc_plp = changes.encode_row(PLP, {**plp, "case_id": fast})
    if other_zone and case["created_at"].utcoffset():
        enc_case["created_at"] = case["created_at"].isoformat()  # the same instant, not in UTC
    with db.write() as s:
        cache = changes.RowCache(s)
        cache.insert("plp_requests", enc_plp, "child")  # queued before its parent: written after it
        cache.insert("cases", enc_case, "parent", changes.row_text(enc_case))
        cache.flush()
        s.execute(insert(CASES).values(**changes.decode_row(
            CASES, {**enc_case, "id": str(plain), "reference": f"P{plain.hex[:12]}{enc_case['reference'][13:]}"})))
        s.execute(insert(PLP).values(**changes.decode_row(PLP, {**enc_plp, "case_id": str(plain)})))
    got, want = _stored(db, "cases", "id", fast), _stored(db, "cases", "id", plain)
    assert got.pop("reference")[13:] == want.pop("reference")[13:]
    assert got == want
    assert _stored(db, "plp_requests", "case_id", fast) == _stored(db, "plp_requests", "case_id", plain)
    with db.read() as s:  # and read back through SQLAlchemy, the same row as was sent
        got = s.execute(select(CASES).where(CASES.c.id == fast)).mappings().one()
    assert changes.encode_row(CASES, dict(got)) == changes.encode_row(CASES, {**case, "id": fast})


def test_a_row_missing_columns_still_gets_its_defaults(services):
    """A row without every column is inserted alone by SQLAlchemy (its column defaults apply), in its turn."""
    db = services.ctx.db
    key = uuid.uuid4()
    row = changes.encode_row(CASES, dict(id=key, kind="ECD", reference="R-1", office_code="KPU01", state="NEW",
                                         lane="green", opened_on=dt.date(2026, 11, 30),
                                         created_at=dt.datetime(2026, 11, 30, tzinfo=dt.UTC),
                                         updated_at=dt.datetime(2026, 11, 30, tzinfo=dt.UTC), version=1))
    for col in ("reasons", "flags", "summary", "unit_code", "created_by", "assigned_to"):
        row.pop(col)
    with db.write() as s:
        cache = changes.RowCache(s)
        cache.insert("cases", row, "only")
        cache.flush()
    with db.read() as s:
        got = s.execute(select(CASES).where(CASES.c.id == key)).mappings().one()
    assert got["reasons"] == [] and got["flags"] == [] and got["summary"] == {}


@pytest.fixture
def pushed(central, make_unit):
    """Unit PLB01 enrolled in process, with one green e-CD captured in its outbox."""
    from tests.conftest import PASSWORD
    from tests.services.passenger_support import RATES
    from workstation.domain.codes import Role
    from workstation.sync.client import LocalTransport
    from workstation.sync.unit import UnitSync

    central.services.reference.import_rates(central.users[Role.SUPERVISOR], RATES)
    token = central.sync.add_unit(central.users[Role.ADMIN], "PLB01", "Pos Lintas Batas Entikong")
    unit = make_unit("PLB01")
    unit.transport = LocalTransport(central.sync)
    unit.sync = UnitSync(unit.ctx)
    unit.sync.enrol(unit.transport, token, None)
    officer = unit.services.auth.login("siti", PASSWORD)
    unit.services.ecd.import_ecd(officer, doc_text(green_doc("ECD-20261121-000301")))
    return unit


def test_the_push_text_is_the_push_body(pushed):
    me = pushed.sync.node()
    state = pushed.transport.state(me.epoch)
    body, last = pushed.sync.push_body(me, state)
    entries, rows = pushed.sync._outgoing(me, state, 500, 0)
    assert body["changes"] and json.loads(_push_text(me, entries, rows)) == body
    with pushed.db.read() as s:  # and each change is the stored entry, field by field
        first = s.scalars(select(SyncChange).order_by(SyncChange.seq)).first()
    assert body["changes"][0] == {
        "seq": first.seq, "change_id": str(first.change_id), "txn_id": str(first.txn_id), "origin": first.origin,
        "epoch": first.epoch, "table": first.table_name, "key": first.row_key, "op": first.op,
        "changed": json.loads(first.changed), "base_seq": first.base_seq, "row": json.loads(first.row),
        "row_hash": first.row_hash}
    assert last == rows[-1].seq


def test_the_feed_text_is_the_feed(central, pushed):
    pushed.sync.sync(pushed.transport)
    me = pushed.sync.node()
    page = json.loads(central.sync.pull_text("PLB01", me.epoch, 0, 1000))
    with central.db.read() as s:
        stored = s.scalars(select(SyncChange).order_by(SyncChange.seq)).all()
    assert page == {"changes": [feed_entry(r) for r in stored], "next": stored[-1].seq, "more": False}
    assert page["changes"][-1]["change_id"] == str(stored[-1].change_id)
    assert central.sync.pull("PLB01", me.epoch, 0, 1000) == page
    assert central.sync.pull_text("PLB01", me.epoch, stored[-1].seq, 10) == (
        f'{{"changes":[],"next":{stored[-1].seq},"more":false}}')


def _push_with(pushed, change_of_row):
    """Push the unit's outbox with one row altered (its hash recomputed: a buggy unit, not a tampered body)."""
    me = pushed.sync.node()
    body, _ = pushed.sync.push_body(me, pushed.transport.state(me.epoch))
    body = json.loads(json.dumps(body))
    ch = next(c for c in body["changes"] if c["table"] == "cases")
    change_of_row(ch["row"])
    ch["row_hash"] = changes.row_digest(canonical_json(ch["row"]))
    return body, ch["change_id"]


@pytest.mark.parametrize("column,value", [("created_by", "not-a-uuid"), ("created_at", "2026-11-30T10:00:00"),
                                          ("opened_on", "2026-13-45")])
def test_a_row_that_does_not_fit_refuses_the_push_naming_its_change(central, pushed, column, value):
    body, bad = _push_with(pushed, lambda row: row.__setitem__(column, value))
    with central.db.read() as s:
        before = s.scalar(select(SyncChange.seq).order_by(SyncChange.seq.desc()).limit(1))
    with pytest.raises(InputError) as exc:
        pushed.transport.push(body)
    assert exc.value.code == "SYNC_BAD_CHANGE" and exc.value.params["change"] == bad
    with central.db.read() as s:  # nothing of the push was applied
        assert s.scalar(select(SyncChange.seq).order_by(SyncChange.seq.desc()).limit(1)) == before


def test_an_insert_of_a_row_central_has_is_merged_not_written_twice(central, pushed):
    """The fast path is for rows central does not have; a second copy of a case (another change id) goes
    through the merge rules and enters the feed once more, without a second row."""
    pushed.sync.sync(pushed.transport)
    me = pushed.sync.node()
    with pushed.db.read() as s:
        first = s.scalars(select(SyncChange).where(SyncChange.table_name == "cases")).first()
    again = feed_entry(first)
    again.update(change_id=str(uuid.uuid4()), seq=first.seq + 10_000)
    again["row"] = {**again["row"], "lane": "red"}
    again["row_hash"] = changes.row_digest(canonical_json(again["row"]))
    reply = pushed.transport.push({"epoch": me.epoch, "cursor": me.pull_cursor, "audit": [], "changes": [again]})
    assert reply["applied"] == 1
    with central.db.read() as s:
        rows = s.execute(select(CASES.c.lane).where(CASES.c.id == uuid.UUID(json.loads(first.row_key)[0]))).all()
    assert [r.lane for r in rows] == ["red"]


# text that JSON and COPY both escape: quotes, backslashes, tab, newline, other control characters, non-ASCII
_AWKWARD = _text(12).map(lambda t: 'q"b\\s\tn\nr\r\x01\x7f\u2028é' + t)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(origin=_AWKWARD.map(lambda t: t[:8]), key=_AWKWARD, row=_json)
def test_the_database_puts_an_entry_together_as_entry_text_does(services, origin, key, row):
    """db.changes.entry_text_column (json_quote on SQLite, to_json on PostgreSQL) gives entry_text's text."""
    text_ = canonical_json({"v": row, "k": key})
    entry = dict(seq=10**12 + 7, change_id=uuid.uuid4(), txn_id=uuid.uuid4(), origin=origin, epoch=3,
                 table_name=key[:40], row_key=key, op=key[:6], changed=canonical_json([key]), base_seq=5, row=text_,
                 row_hash=changes.row_digest(text_), created_at=dt.datetime.now(dt.UTC), acked_at=None)
    db = services.ctx.db
    with db.write() as s:
        s.execute(insert(SyncChange), [entry])
    try:
        with db.read() as s:
            got = s.execute(select(changes.entry_text_column(s)).where(SyncChange.seq == entry["seq"])).scalar_one()
            plain = s.execute(select(*changes.ENTRY_COLUMNS).where(SyncChange.seq == entry["seq"])).one()
        assert got == changes.entry_text(plain)
        assert json.loads(got)["key"] == key and json.loads(got)["origin"] == origin
    finally:
        with db.write() as s:
            s.execute(SyncChange.__table__.delete().where(SyncChange.seq == entry["seq"]))


def test_rows_are_found_by_keys_a_list_literal_must_quote(services):
    """any_of on PostgreSQL sends the keys as one array literal: quotes, backslashes, commas, braces, spaces
    and the word NULL are data in it."""
    from db.models import Office

    codes = ['A"B', "C\\D", "E,F", "{G}", "NULL", " H "]
    db = services.ctx.db
    with db.write() as s:
        for c in codes:
            s.add(Office(code=c, name=f"Kantor {c}", address="-", city="-", timezone="Asia/Jakarta"))
    with db.read() as s:
        cache = changes.RowCache(s)
        cache.preload(("offices", canonical_json([c])) for c in [*codes, "NOPE"])
        assert {k: (v or {}).get("code") for (t, k), v in cache.rows.items()} == {
            canonical_json([c]): c for c in codes} | {canonical_json(["NOPE"]): None}


def test_feed_text_with_escapes_travels_through_copy_unchanged(central, pushed):
    """The feed's lines are written in COPY's text format by hand: backslashes, tabs and newlines in a row
    come out of the feed exactly as the unit sent them."""
    body, _cid = _push_with(pushed, lambda row: row.__setitem__("summary", {"note": "a\\b\tc\nd\re \\n \"q\""}))
    pushed.transport.push(body)
    sent = next(c for c in body["changes"] if c["table"] == "cases")
    with central.db.read() as s:
        stored = s.execute(select(SyncChange.row, SyncChange.row_key, SyncChange.changed, SyncChange.row_hash)
                           .where(SyncChange.change_id == uuid.UUID(sent["change_id"]))).one()
    assert stored.row == canonical_json(sent["row"]) and stored.row_hash == sent["row_hash"]
    assert stored.row_key == sent["key"] and json.loads(stored.changed) == sorted(sent["row"])
    assert json.loads(stored.row)["summary"]["note"] == "a\\b\tc\nd\re \\n \"q\""


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(_text(12), max_size=8))
def test_an_array_literal_reads_back_as_the_values_it_was_made_of(services, values):
    """db.changes.array_literal escapes the joined text in one pass: PostgreSQL must read back exactly the
    elements (quotes, backslashes, commas, braces, spaces, the word NULL, empty strings)."""
    if services.ctx.db.backend != "postgresql":
        pytest.skip("PostgreSQL's array syntax")
    with services.ctx.db.read() as s:
        got = s.execute(text("SELECT CAST(:lit AS text[])"), {"lit": changes.array_literal(values)}).scalar()
    assert got == values


def test_an_array_literal_refuses_nul_and_a_push_key_holding_one_is_a_bad_change(central, pushed):
    with pytest.raises(ValueError):
        changes.array_literal(["a", "b\x00c"])
    assert changes.array_literal([]) == "{}"
    me = pushed.sync.node()
    body, _ = pushed.sync.push_body(me, pushed.transport.state(me.epoch))
    body = json.loads(json.dumps(body))
    body["changes"][0]["key"] = '["x\x00y"]'
    with pytest.raises(InputError) as exc:
        pushed.transport.push(body)
    assert exc.value.code == "SYNC_BAD_CHANGE" and exc.value.params["change"] == body["changes"][0]["change_id"]
