"""The unit overlaps its work with central's (issue #14, throughput): the next push batch is read and put
together while central applies the one sent, the next feed page travels while the unit applies the one it has.
Order and durability stay as they were: batches go one at a time in outbox order, each page with its cursor in
one local transaction, and a failure part-way loses or doubles nothing."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from db.models import Case
from db.models_sync import SyncChange, SyncNode
from tests.services.passenger_support import green_doc, text
from workstation.domain.errors import ErrorCode
from workstation.errors import Refusal
from workstation.sync import unit as unit_module
from workstation.sync.client import LocalTransport

WAIT_S = 10.0  # how long a step waits for the overlapping one to start (it starts at once when it overlaps)


def _cases(unit, n: int, first: int = 1) -> None:
    for i in range(first, first + n):  # one write transaction (several changes) per declaration
        unit.services.ecd.import_ecd(unit.officer, text(green_doc(f"ECD-20261121-{i:06d}")))


def _count(db, model, *where) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _pending(unit) -> int:
    return _count(unit.db, SyncChange, SyncChange.acked_at.is_(None))


def _cursor(unit) -> int:
    with unit.db.read() as s:
        return int(s.get(SyncNode, 1).pull_cursor)


class Signals:
    """Numbered events: started(i) is set when the i-th call of something begins."""

    def __init__(self) -> None:
        self.events: dict[int, threading.Event] = {}
        self.calls = 0
        self.lock = threading.Lock()

    def event(self, i: int) -> threading.Event:
        with self.lock:
            return self.events.setdefault(i, threading.Event())

    def begin(self) -> int:
        with self.lock:
            self.calls += 1
            i = self.calls
        self.event(i).set()
        return i


def test_the_next_batch_is_put_together_while_central_applies_this_one(central, enrol, monkeypatch):
    unit = enrol("PLB01")
    _cases(unit, 4)
    monkeypatch.setattr(unit_module, "PUSH_BATCH", 1)  # one unit transaction per batch
    pending = _pending(unit)
    batches = Signals()
    made = unit_module.UnitSync._batch

    def batch(self, *args):
        batches.begin()
        return made(self, *args)

    monkeypatch.setattr(unit_module.UnitSync, "_batch", batch)
    overlapped: list[bool] = []

    class Watching(LocalTransport):
        def push(self, body):
            # batch k is at central: batch k + 1 is being read by then (or the empty one that ends the push)
            overlapped.append(batches.event(len(overlapped) + 2).wait(WAIT_S))
            return super().push(body)

    summary = unit.sync.sync(Watching(central.sync, "PLB01"))
    assert len(overlapped) == 4 and all(overlapped), overlapped
    assert summary.pushed == pending and summary.pending == 0
    assert _count(central.db, Case) == 4


def test_a_unit_takes_pages_as_large_as_central_gives(central, enrol, monkeypatch):
    """Each page is one local transaction with its look-ups and commit, so the unit asks for as many entries as
    central allows (fewer, larger pages: bench/README "sync"). Central's limit is made small here."""
    from workstation.sync import central as central_module

    a, b = enrol("PLB01"), enrol("PLB02")
    _cases(a, 3)
    a.sync.sync(a.transport)
    monkeypatch.setattr(central_module, "PULL_LIMIT", 4)
    sizes: list[int] = []

    class Counting(LocalTransport):
        def pull(self, epoch, after, limit):
            page = super().pull(epoch, after, limit)
            sizes.append(len(page["changes"]))
            return page

    b.sync.sync(Counting(central.sync, "PLB02"))
    assert len(sizes) >= 3 and all(n == 4 for n in sizes[:-1]) and sizes[-1] <= 4, sizes
    assert _count(b.db, Case) == 3


def test_the_next_feed_page_travels_while_this_one_is_applied(central, enrol, monkeypatch):
    a, b = enrol("PLB01"), enrol("PLB02")
    _cases(a, 3)
    a.sync.sync(a.transport)
    monkeypatch.setattr(unit_module, "PULL_PAGE", 2)
    pulls = Signals()
    more: list[bool] = []  # per page fetched: whether another follows
    overlapped: list[bool] = []
    applied = unit_module.apply_feed

    class Counting(LocalTransport):
        def pull(self, epoch, after, limit):
            page = super().pull(epoch, after, limit)
            more.append(bool(page.get("more")))
            pulls.begin()
            return page

    def apply(s, entries):
        k = len(overlapped) + 1  # page k is applied here: page k + 1 is asked for by then, unless k is the last
        overlapped.append(pulls.event(k + 1).wait(WAIT_S) if more[k - 1] else True)
        return applied(s, entries)

    monkeypatch.setattr(unit_module, "apply_feed", apply)
    b.sync.sync(Counting(central.sync, "PLB02"))
    assert len(overlapped) >= 3 and all(overlapped), overlapped
    assert _count(b.db, Case) == 3
    with central.db.read() as s:
        head = int(s.scalar(select(func.max(SyncChange.seq))))
    assert _cursor(b) == head


def test_a_batch_refused_part_way_loses_and_doubles_nothing(central, enrol, monkeypatch):
    unit = enrol("PLB01")
    _cases(unit, 3)
    monkeypatch.setattr(unit_module, "PUSH_BATCH", 1)
    pending = _pending(unit)
    sent: list[int] = []

    class Failing(LocalTransport):
        def push(self, body):
            sent.append(1)
            if len(sent) == 2:  # central refuses the second batch (the third is put together already)
                raise Refusal(code=ErrorCode.SYNC_UNREACHABLE, params={"url": "-", "reason": "test"})
            return super().push(body)

    with pytest.raises(Refusal):
        unit.sync.sync(Failing(central.sync, "PLB01"))
    assert len(sent) == 2
    assert _count(central.db, Case) == 1  # the first batch only
    first = pending - _pending(unit)
    assert 0 < first < pending  # the first batch's changes marked, the rest still pending
    again = unit.sync.sync(unit.transport)
    assert again.pushed == pending - first and again.pending == 0
    assert _count(central.db, Case) == 3
    with central.db.read() as s:
        assert s.scalar(select(func.count()).select_from(SyncChange).where(SyncChange.origin == "PLB01")) == pending


def test_a_page_lost_on_the_way_keeps_the_pages_before_it(central, enrol, monkeypatch):
    a, b = enrol("PLB01"), enrol("PLB02")
    _cases(a, 3)
    a.sync.sync(a.transport)
    monkeypatch.setattr(unit_module, "PULL_PAGE", 2)
    start = _cursor(b)
    calls: list[int] = []

    class Dropping(LocalTransport):
        def pull(self, epoch, after, limit):
            calls.append(after)
            if len(calls) == 2:
                raise Refusal(code=ErrorCode.SYNC_UNREACHABLE, params={"url": "-", "reason": "test"})
            return super().pull(epoch, after, limit)

    with pytest.raises(Refusal):
        b.sync._pull(Dropping(central.sync, "PLB02"), b.sync.node(), None)
    first = _cursor(b)
    assert calls[0] == start and start < first == calls[1]  # page 1 applied with its cursor, nothing after
    b.sync.sync(b.transport)
    assert _count(b.db, Case) == 3


def test_a_unit_applies_the_feed_with_the_bulk_page_cache(central, enrol, monkeypatch):
    """SQLite's 2 MiB default page cache no longer holds a growing store's index pages (bench/sync: 100,000
    pulled rows took 1.5x as long): each page of the feed is applied on a connection allowed more."""
    from db.engine import SQLITE_BULK_CACHE_KIB

    a, b = enrol("PLB01"), enrol("PLB02")
    _cases(a, 2)
    a.sync.sync(a.transport)
    with b.db.read() as s:
        interactive = s.connection().exec_driver_sql("PRAGMA cache_size").scalar()
    seen: list[int] = []
    applied = unit_module.apply_feed

    def apply(s, entries):
        seen.append(s.connection().exec_driver_sql("PRAGMA cache_size").scalar())
        return applied(s, entries)

    monkeypatch.setattr(unit_module, "apply_feed", apply)
    b.sync.sync(b.transport)
    assert interactive != -SQLITE_BULK_CACHE_KIB
    assert seen and set(seen) == {-SQLITE_BULK_CACHE_KIB}
    assert _count(b.db, Case) == 2


def test_the_collector_skips_what_existed_before_while_a_sync_runs_and_only_then(central, enrol, monkeypatch):
    """gc.freeze while pages of rows come and go (bench/sync: 15-20 % of a 100,000-row pull), undone when the
    sync ends, whether it ends well or not."""
    import gc

    a, b = enrol("PLB01"), enrol("PLB02")
    _cases(a, 2)
    a.sync.sync(a.transport)
    frozen: list[int] = []
    applied = unit_module.apply_feed

    def apply(s, entries):
        frozen.append(gc.get_freeze_count())
        return applied(s, entries)

    monkeypatch.setattr(unit_module, "apply_feed", apply)
    b.sync.sync(b.transport)
    assert frozen and min(frozen) > 0
    assert gc.get_freeze_count() == 0

    class Refusing(LocalTransport):
        def pull(self, epoch, after, limit):
            raise Refusal(code=ErrorCode.SYNC_UNREACHABLE, params={"url": "-", "reason": "test"})

    _cases(b, 1, first=50)
    with pytest.raises(Refusal):
        b.sync.sync(Refusing(central.sync, "PLB02"))
    assert gc.get_freeze_count() == 0
