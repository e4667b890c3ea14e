"""Official numbering against a truly raw driver baseline, with several threads writing at once
(all commit durably: SQLite WAL with synchronous=FULL; PostgreSQL synchronous_commit on):
- "number": the numbering mechanism alone — Database.write() (BEGIN IMMEDIATE / advisory lock) and
  numbering.next_seq (the counter advanced and read by one UPDATE … RETURNING, run on the driver's cursor);
- "document": a whole issuance — number, canonical content, SHA-256, Ed25519 signature, document row,
  audit entry — which writes several rows and indexes per commit;
- "raw": the driver alone, no SQLAlchemy: one connection per thread (psycopg / sqlite3) running
  `UPDATE counters … RETURNING last_value` and COMMIT on a counter row of its own kind.
Each round runs ours and raw back to back, in alternating order (so a drift of the machine hits both alike),
with the same number of threads and the same durable commit, and the ratio is taken per round; medians are
printed. On PostgreSQL the round trips per operation are counted from libpq's trace.
Run: python -m bench.numbering [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test] [--threads 1,8]
     [--n 400 --rounds 5]"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sqlite3
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.common import machine, median

RAW_UPDATE = ("UPDATE counters SET last_value = last_value + 1 WHERE office_code = '999999' AND unit_code = '' "
              "AND doc_type = 'RAW' AND year = 2026 RETURNING last_value")


def _setup(url: str, data_dir: Path, pool: int):
    from db.engine import Database
    from workstation.config import load_settings
    from workstation.services import Services, open_services
    from workstation.services.base import ServiceContext

    settings = load_settings(None, office={"code": "040300"}, database_url=url, data_dir=data_dir, password_hashing="fast")
    first = open_services(settings)  # migrates
    first.ctx.db.dispose()
    # A pool as large as the number of threads, so that threads queue on the write lock, not on the pool.
    services = Services(ServiceContext(db=Database(url, pool_size=pool, max_overflow=0), settings=settings))
    services.issuance.ensure_office_key()
    services.auth.create_first_admin("bench", "Bench Admin", "bench-password")
    return services, services.auth.login("bench", "bench-password")


def _builder(services):
    from printing.content import DocumentContent, Paragraph

    office = services.issuance.office_info()

    def build(number, issue_date):
        return DocumentContent(doc_type="BA", number=number, issue_date=issue_date, issue_place="Jakarta",
                               title="Berita Acara", office=office, blocks=[Paragraph(text="Isi berita acara.")])

    return build


def _raw_factory(url: str) -> Callable[[], Callable[[], None]]:
    """Returns a function that opens one raw driver connection and returns its 'one number' operation."""
    u = make_url(url)
    if u.get_backend_name() == "postgresql":
        import psycopg

        # the same server options as the engine's: the URL's (search_path) and a durable commit
        options = " ".join(filter(None, [u.query.get("options", ""), "-c synchronous_commit=on"]))
        conninfo = u.set(drivername="postgresql").difference_update_query(["options"]).render_as_string(
            hide_password=False)

        def open_pg() -> Callable[[], None]:
            conn = psycopg.connect(conninfo, options=options)  # psycopg's default mode: it sends BEGIN first

            def op() -> None:
                conn.execute(RAW_UPDATE).fetchone()
                conn.commit()

            op.conn = conn  # type: ignore[attr-defined]
            return op

        return open_pg

    def open_sqlite() -> Callable[[], None]:
        conn = sqlite3.connect(u.database, isolation_level=None, timeout=30, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=30000")

        def op() -> None:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(RAW_UPDATE).fetchone()
            conn.execute("COMMIT")

        return op

    return open_sqlite


def rate(make_op: Callable[[], Callable[[], None]], n: int, threads: int) -> float:
    """Operations per second with `threads` threads doing n/threads each, all started together; each thread
    builds its operation (and connection) and runs it once before the clock starts."""
    per = max(1, n // threads)
    start = threading.Barrier(threads + 1)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            op = make_op()
            op()
        except BaseException as exc:  # surfaced below
            errors.append(exc)
            start.abort()
            return
        try:
            start.wait()
            for _ in range(per):
                op()
        except BaseException as exc:
            errors.append(exc)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    with contextlib.suppress(threading.BrokenBarrierError):
        start.wait()
    t0 = time.perf_counter()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return per * threads / elapsed


def _round_trips(url: str, services, actor, raw_make) -> dict[str, int]:
    """Round trips of one operation of each kind, on one traced connection each."""
    from db import numbering
    from db.engine import Database, PgRoundTrips
    from workstation.services import Services
    from workstation.services.base import ServiceContext

    db = Database(url, pool_size=1, max_overflow=0)
    fairy = db.engine.raw_connection()
    dbapi = fairy.driver_connection
    fairy.close()
    svc = Services(ServiceContext(db=db, settings=services.ctx.settings))
    build = _builder(svc)
    key = numbering.CounterKey("040300", "", "NUM", 2026)
    out = {}
    with db.write() as s:  # not the year's first number (that one also inserts the row)
        numbering.next_seq(s, key)
    with PgRoundTrips(dbapi) as trips, db.write() as s:
        numbering.next_seq(s, key)
    out["number"] = trips.count
    with PgRoundTrips(dbapi) as trips:
        svc.issuance.issue(actor, "BA", build)
    out["document"] = trips.count
    op = raw_make()
    with PgRoundTrips(op.conn) as trips:
        op()
    out["raw"] = trips.count
    op.conn.close()
    db.dispose()
    return out


def bench_backend(label: str, url: str, data_dir: Path, n: int, rounds: int, thread_counts: list[int]) -> None:
    from db import numbering

    services, actor = _setup(url, data_dir, max(thread_counts))
    with services.ctx.db.engine.begin() as c:
        c.execute(text("INSERT INTO counters (office_code, unit_code, doc_type, year, last_value) "
                       "VALUES ('999999', '', 'RAW', 2026, 1)"))
    build = _builder(services)
    key = numbering.CounterKey("040300", "", "NUM", 2026)
    raw_make = _raw_factory(url)
    trips = _round_trips(url, services, actor, raw_make) if label == "postgresql" else {}

    def number_only() -> None:
        with services.ctx.db.write() as s:
            numbering.next_seq(s, key)

    def document() -> None:
        services.issuance.issue(actor, "BA", build)

    for threads in thread_counts:
        for what, fn in (("number", number_only), ("document", document)):
            ours_rates, raw_rates, ratios = [], [], []
            for i in range(rounds):
                # which goes first alternates, so a drift of the machine within a round favours neither
                if i % 2:
                    base, ours = rate(raw_make, n, threads), rate(lambda fn=fn: fn, n, threads)
                else:
                    ours, base = rate(lambda fn=fn: fn, n, threads), rate(raw_make, n, threads)
                ours_rates.append(ours)
                raw_rates.append(base)
                ratios.append(ours / base)
            rt = f"{trips[what]} / {trips['raw']}" if trips else "-"
            print(f"{label:<12}{threads:>8}  {what:<10}{median(ours_rates):>10.0f}{median(raw_rates):>12.0f}"
                  f"{median(ratios):>8.2f}{rt:>12}", flush=True)
    services.ctx.db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg", help="PostgreSQL URL (a scratch schema is created and dropped)")
    ap.add_argument("--n", type=int, default=400, help="operations per measurement (split over the threads)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", default="1,8", help="comma-separated thread counts")
    ap.add_argument("--no-sqlite", action="store_true")
    args = ap.parse_args()
    thread_counts = [int(t) for t in args.threads.split(",")]
    print(f"machine: {machine()}; {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {args.rounds} rounds of "
          f"{args.n}; medians; raw = the driver alone (psycopg / sqlite3), UPDATE … RETURNING + COMMIT")
    print(f"{'back end':<12}{'threads':>8}  {'what':<10}{'per s':>10}{'raw per s':>12}{'ratio':>8}"
          f"{'trips/raw':>12}")
    with tempfile.TemporaryDirectory() as d:
        if not args.no_sqlite:
            bench_backend("sqlite", f"sqlite:///{d}/bench.sqlite", Path(d), args.n, args.rounds, thread_counts)
        if args.pg:
            from sqlalchemy import create_engine

            schema = f"bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(text(f'CREATE SCHEMA "{schema}"'))
            sep = "&" if "?" in args.pg else "?"
            try:
                bench_backend("postgresql", f"{args.pg}{sep}options=-csearch_path%3D{schema}", Path(d) / "pg",
                              args.n, args.rounds, thread_counts)
            finally:
                with admin.connect() as c:
                    c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()


if __name__ == "__main__":
    main()
