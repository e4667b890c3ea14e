"""Scan-to-decision latency at the passenger counter with 1,000,000 e-CDs stored, on SQLite and on PostgreSQL.

    python -m bench.ecd [--rows 1000000] [--samples 200] [--runs 3] [--pg URL | --no-pg] [--fresh] [--drop]

What is timed: a barcode reader simulator writes `]Q1ECD:<id>` + CR LF on a pseudo-terminal; the device
manager's reader thread frames it and posts it to the running Textual app (headless, 80×24, the officer logged
in at the counter screen); the screen looks the e-CD up through the service (a thread worker: the stored e-CD,
its decision) and puts the decision on the panel; the clock stops after the screen refresh that shows it
(`call_after_refresh`). p50 and p95 per run; medians over the runs. Goal: p95 ≤ 50 ms.

Beside it: the wire time of the same frame on a real serial line (10 bits a byte, 8N1) at 9600 and 115200
baud — a pty moves bytes at memory speed, a real reader does not; the service lookups alone (by ecd_id, by
passport, flight + arrival date), and the query plans naming the indexes they use.

Baseline measured in the same run: the same pipeline on a store of 1,000 e-CDs; the ratio 1M / 1k shows what
the size of the store costs (≈1 when the indexes do their work).

Scratch data: bulk inserts (SQLAlchemy Core executemany on SQLite, COPY on PostgreSQL) into a scratch SQLite
file under the temp dir and a scratch PostgreSQL schema; both are reused by later runs (same row count) unless
--fresh; --drop removes them at the end. Nothing here touches a real database.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench.common import drop_pg_schema, machine, median, pg_schema_url

OFFICE = "040300"
FLIGHTS = tuple(f"{c}{n}" for c in ("GA", "SQ", "QR", "JL", "CX", "MH", "EK", "TR") for n in (881, 956, 870, 725, 409))
DAYS = 365
PASSWORD = "bench-password-1"
BAUDS = (9600, 115200)
DEFAULT_PG = os.environ.get("WORKSTATION_BENCH_PG_URL") or os.environ.get(
    "WORKSTATION_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _wire_ms(n_bytes: int, baud: int) -> float:
    return n_bytes * 10 / baud * 1000


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


# ---------------------------------------------------------------------------------------------------------
# Scratch data
# ---------------------------------------------------------------------------------------------------------
def ecd_id(n: int) -> str:
    return f"ECD-B{n:07d}"


def _rows(today: dt.date, start: int, stop: int, ruleset: tuple[str, str], *, flight_day: tuple[str, dt.date] | None = None,
          prefix: str = "B"):
    """Rows of cases, ecd_declarations and ecd_decisions for e-CDs start..stop-1, spread over a year of
    arrivals (the last day is today) and 40 flights; one in five red. With `flight_day` (flight, day) every row
    arrives on that flight and day, and the e-CD ids take `prefix` (ECD-<prefix>nnnnnnn)."""
    from uuid_utils.compat import uuid7

    rs_id, rs_sha = ruleset
    now = dt.datetime.now(dt.UTC)
    cases, decls, decisions = [], [], []
    zero = {"allowance_usd": "500.00", "goods_usd": "120.00", "taxable_usd": "0.00", "customs_value_idr": 0,
            "import_duty_idr": 0, "vat_idr": 0, "luxury_tax_idr": 0, "income_tax_idr": 0, "total_idr": 0}
    red_a = {"allowance_usd": "500.00", "goods_usd": "1200.00", "taxable_usd": "700.00",
             "customs_value_idr": 11200000, "import_duty_idr": 1120000, "vat_idr": 1356000, "luxury_tax_idr": 0,
             "income_tax_idr": 0, "total_idr": 2476000}
    no_ex = {"cigarettes": 0, "cigars": 0, "sliced_tobacco_g": 0, "alcohol_l": "0"}
    for n in range(start, stop):
        cid = uuid7()
        eid = f"ECD-{prefix}{n:07d}"
        day = today - dt.timedelta(days=n % DAYS)
        flight = FLIGHTS[(n // DAYS) % len(FLIGHTS)]
        if flight_day is not None:
            flight, day = flight_day
        red = n % 5 == 0
        name = f"Penumpang {n:07d}" if prefix == "B" else f"Penumpang {prefix}{n:07d}"
        passport = f"{'X' if prefix == 'B' else prefix}{n:08d}"
        value = "1200.00" if red else "120.00"
        doc = json.dumps({
            "arrival": {"carrier": flight[:2], "date": day.isoformat(), "flight": flight, "from_port": "SIN",
                        "port": "CGK"},
            "carrying": {"animals_fish_plants": False, "narcotics_psychotropics": False, "pornography": False,
                         "weapons_ammunition_explosives": False},
            "cash": [], "declarant": {"birth_date": "1980-05-01", "name": name, "nationality": "IDN", "npwp": None,
                                      "passport": passport, "traveller_type": "passenger"},
            "ecd_id": eid, "excise": {"alcohol_l": "0", "cigarettes": 0, "cigars": 0, "sliced_tobacco_g": 0},
            "family_members": [], "format": "ecd/1",
            "goods": [{"currency": "USD", "description": "Barang", "hs_code": "847130", "personal_use": True,
                       "quantity": 1, "unit": "PCE", "value": value}],
            "submitted_at": f"{(day - dt.timedelta(days=1)).isoformat()}T20:00:00+07:00",
        }, sort_keys=True, separators=(",", ":"), ensure_ascii=False)  # the canonical form the service stores
        reasons = ["VALUE_OVER_ALLOWANCE"] if red else []
        lane = "red" if red else "green"
        total = 2476000 if red else 0
        summary = {"ecd_id": eid, "flight": flight, "arrival_date": day.isoformat(), "name": name,
                   "passport": passport, "persons": 1, "ruleset": rs_id, "source": "import",
                   "duty_assessed_idr": total, "duty_paid_idr": 0, "lane": lane}
        record = {"ecd_id": eid, "ruleset": rs_id, "lane": lane, "reasons": reasons, "referrals": [],
                  "assessment": red_a if red else zero, "excise_excess": no_ex, "ruleset_sha256": rs_sha,
                  "cash_idr": "0"}
        cases.append(dict(id=cid, kind="ECD", reference=eid, office_code=OFFICE, unit_code=None,
                          state="RED" if red else "GREEN", lane=lane, reasons=reasons, flags=[], opened_on=day,
                          created_at=now, updated_at=now, created_by=None, assigned_to=None, summary=summary,
                          version=1))
        decls.append(dict(case_id=cid, ecd_id=eid, source="import",
                          submitted_at=dt.datetime.combine(day, dt.time(13), dt.UTC), arrival_date=day, port="CGK",
                          flight=flight, name=name, passport=passport, nationality="IDN", traveller_type="passenger",
                          persons=1, oral_group=None, document_json=doc,
                          document_sha256=hashlib.sha256(doc.encode()).hexdigest(), received_at=now,
                          received_by=None))
        decisions.append(dict(id=uuid7(), case_id=cid, seq=1, kind="INITIAL", lane=lane, reasons=reasons,
                              referrals=[], ruleset=rs_id, ruleset_sha256=rs_sha, total_idr=total, record=record,
                              note=None, decided_at=now, decided_by=None, confirmed_by=None))
    return cases, decls, decisions


def _stored(engine) -> int:
    from sqlalchemy import text

    try:
        with engine.connect() as c:
            return c.execute(text("SELECT count(*) FROM ecd_declarations")).scalar() or 0
    except Exception:
        return -1


def populate(engine, rows: int, today: dt.date, ruleset: tuple[str, str], label: str) -> float:
    """Bulk-insert `rows` e-CDs. Returns seconds."""
    from sqlalchemy import insert

    from db.models import Case
    from db.models_passenger import EcdDecisionRow, EcdDeclaration

    t0 = time.perf_counter()
    batch = 20_000
    pg = engine.dialect.name == "postgresql"
    for start in range(0, rows, batch):
        cases, decls, decisions = _rows(today, start, min(rows, start + batch), ruleset)
        if pg:
            _copy(engine, cases, decls, decisions)
        else:
            with engine.begin() as c:
                c.execute(insert(Case.__table__), cases)
                c.execute(insert(EcdDeclaration.__table__), decls)
                c.execute(insert(EcdDecisionRow.__table__), decisions)
        done = min(rows, start + batch)
        if done % 200_000 == 0 or done == rows:
            print(f"  {label}: {done:,} e-CDs stored ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    if pg:
        # VACUUM as autovacuum would on a long-lived database: it sets the visibility map, without which the
        # per-day counts read every heap page of the day (2,740 of them) instead of the index alone.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            for table in ("cases", "ecd_declarations", "ecd_decisions"):
                c.exec_driver_sql(f"VACUUM ANALYZE {table}")
    else:
        with engine.begin() as c:
            c.exec_driver_sql("ANALYZE")
    return time.perf_counter() - t0


def _copy(engine, cases, decls, decisions) -> None:
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        with conn.cursor() as cur:
            for table, rows, json_cols in (("cases", cases, ("reasons", "flags", "summary")),
                                           ("ecd_declarations", decls, ()),
                                           ("ecd_decisions", decisions, ("reasons", "referrals", "record"))):
                cols = list(rows[0])
                with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as cp:
                    for r in rows:
                        cp.write_row([json.dumps(r[k]) if k in json_cols else r[k] for k in cols])
        conn.commit()
    finally:
        raw.close()


def prepare(url: str, rows: int, today: dt.date, fresh: bool, label: str):
    """A migrated scratch database with `rows` e-CDs and a bench officer. Returns (engine, build seconds|None)."""
    from db import migrate
    from db.engine import make_engine
    from workstation.rules.ruleset import ruleset_for

    engine = make_engine(url)
    if not migrate.is_current(engine):
        migrate.upgrade(engine)
    have = _stored(engine)
    built = None
    if have != rows or fresh:
        if have > 0:
            raise SystemExit(f"{label}: the scratch store holds {have:,} e-CDs, not {rows:,}; use --fresh")
        rs = ruleset_for("ecd", today)
        built = populate(engine, rows, today, (rs.id, rs.sha256), label)
    return engine, built


# ---------------------------------------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------------------------------------
def _services(url: str, data_dir: Path, devices: list[dict]):
    from db.engine import Database
    from workstation.config import load_settings
    from workstation.services import Services
    from workstation.services.base import ServiceContext

    settings = load_settings(None, office={"code": "040300"}, database_url=url, data_dir=data_dir, password_hashing="fast", devices=devices,
                             language="en")
    services = Services(ServiceContext(db=Database(url), settings=settings))
    auth = services.auth
    if auth.needs_first_admin():
        auth.create_first_admin("benchadm", "Bench Admin", PASSWORD)
        admin = auth.login("benchadm", PASSWORD)
        auth.create_user(admin, "benchoff", "Bench Officer", ["officer"], PASSWORD)
    return services


def lookups(services, today: dt.date, rows: int, n: int = 300) -> dict[str, tuple[float, float]]:
    """Service lookups alone (no TUI): p50/p95 ms by ecd_id, passport, flight + arrival date."""
    rng = random.Random(7)
    ecd = services.ecd
    out = {}
    probes = {
        "find(ecd_id)": lambda k: ecd.find(ecd_id(k)),
        "search(passport)": lambda k: ecd.search(f"X{k:08d}", day=today),
        "queue(day, flight)": lambda k: ecd.queue(today - dt.timedelta(days=k % DAYS),
                                                  flight=FLIGHTS[(k // DAYS) % len(FLIGHTS)]),
    }
    for name, fn in probes.items():
        times = []
        for _ in range(n):
            k = rng.randrange(rows)
            t0 = time.perf_counter()
            fn(k)
            times.append((time.perf_counter() - t0) * 1000)
        out[name] = (_pct(times, 50), _pct(times, 95))
    return out


def plans(engine, today: dt.date) -> dict[str, str]:
    """Which index each counter lookup uses (the database's own plan)."""

    queries = {
        "ecd_id": "SELECT * FROM ecd_declarations WHERE ecd_id = 'ECD-B0000042'",
        "passport": "SELECT * FROM ecd_declarations WHERE passport = 'X00000042'",
        "flight+date": f"SELECT * FROM ecd_declarations WHERE arrival_date = '{today.isoformat()}' AND flight = 'GA881'",
        "decision": "SELECT * FROM ecd_decisions WHERE case_id = '00000000000000000000000000000000' ORDER BY seq",
    }
    out = {}
    with engine.connect() as c:
        for name, q in queries.items():
            if engine.dialect.name == "sqlite":
                rows = c.exec_driver_sql("EXPLAIN QUERY PLAN " + q).fetchall()
                out[name] = "; ".join(str(r[-1]) for r in rows)
            else:
                rows = c.exec_driver_sql("EXPLAIN " + q.replace("'00000000000000000000000000000000'",
                                                                   "'00000000-0000-0000-0000-000000000000'")).fetchall()
                out[name] = next((r[0].strip() for r in rows if "Index" in r[0] or "Scan" in r[0]), rows[0][0])
    return out


async def _scan_run(services, rows: int, today: dt.date, samples: int, sim, seed: int) -> list[float]:
    from screens.app import WorkstationApp
    from screens.passenger import CounterScreen

    app = WorkstationApp(services.settings, services=services)
    latencies: list[float] = []
    rng = random.Random(seed)
    async with app.run_test(size=(80, 24)) as pilot:
        deadline = time.monotonic() + 15
        while (app.devices is None or "●" not in app.device_summary) and time.monotonic() < deadline:
            await pilot.pause(0.05)
        if "●" not in app.device_summary:
            raise SystemExit("the simulated reader did not connect")
        app.logged_in(services.auth.login("benchoff", PASSWORD))
        await pilot.pause()
        await pilot.press("f3")
        for _ in range(20):
            if isinstance(app.screen, CounterScreen):
                break
            await pilot.pause(0.05)
        screen = app.screen
        assert isinstance(screen, CounterScreen)
        shown = asyncio.Event()
        stamp: dict[str, object] = {}

        def on_shown(view) -> None:
            stamp["t"] = time.perf_counter()
            stamp["id"] = view.ecd_id
            shown.set()

        screen.shown_callbacks.append(on_shown)
        for i in range(samples + 10):  # the first ten warm the caches and are not counted
            want = ecd_id(rng.randrange(rows))
            shown.clear()
            t0 = time.perf_counter()
            sim.scan(f"ECD:{want}")
            await asyncio.wait_for(shown.wait(), 10)
            if stamp["id"] != want:
                raise SystemExit(f"screen showed {stamp['id']}, expected {want}")
            if i >= 10:
                latencies.append((float(stamp["t"]) - t0) * 1000)
            await pilot.pause(0.005)
    return latencies


def scan_latency(url: str, rows: int, today: dt.date, samples: int, runs: int, tmp: Path) -> list[tuple[float, float]]:
    from devices.sim.simulators import make_simulator

    link = tmp / f"qr-{uuid.uuid4().hex[:6]}"
    sim = make_simulator("barcode", link=str(link))
    try:
        services = _services(url, tmp / "data", [{"name": "counter-qr", "kind": "barcode", "port": str(link),
                                                   "baud": 115200}])
        results = []
        for r in range(runs):
            lat = asyncio.run(_scan_run(services, rows, today, samples, sim, seed=r))
            results.append((_pct(lat, 50), _pct(lat, 95)))
        services.ctx.db.dispose()
        return results
    finally:
        sim.close()


def bench_backend(label: str, url_big: str, url_small: str, rows: int, args, tmp: Path, today: dt.date) -> dict:
    print(f"{label}: preparing {rows:,} e-CDs …", file=sys.stderr)
    engine, built = prepare(url_big, rows, today, args.fresh, label)
    small_engine, _ = prepare(url_small, 1000, today, args.fresh, f"{label} baseline")
    plan = plans(engine, today)
    engine.dispose()
    small_engine.dispose()
    big = scan_latency(url_big, rows, today, args.samples, args.runs, tmp)
    small = scan_latency(url_small, 1000, today, args.samples, args.runs, tmp)
    svc = _services(url_big, tmp / "data", [])
    look = lookups(svc, today, rows)
    svc.ctx.db.dispose()
    return {"built": built, "big": big, "small": small, "lookups": look, "plans": plan}


def report(label: str, rows: int, res: dict, frame_bytes: int) -> None:
    p50 = median([p for p, _ in res["big"]])
    p95 = median([p for _, p in res["big"]])
    b50 = median([p for p, _ in res["small"]])
    b95 = median([p for _, p in res["small"]])
    built = f" (store built in {res['built']:.0f} s)" if res["built"] else ""
    goal = "meets" if p95 <= 50 else "MISSES"
    print(f"\n{label}, {rows:,} e-CDs stored{built}")
    print(f"  scan → decision on screen: p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   ({goal} the p95 ≤ 50 ms goal)")
    print(f"  baseline, 1,000 stored:    p50 {b50:6.1f} ms   p95 {b95:6.1f} ms   ratio p95 {p95 / b95:4.2f}×")
    print("  per run p50/p95: " + ", ".join(f"{a:.1f}/{b:.1f}" for a, b in res["big"]))
    wire = "   ".join(f"{baud} baud {_wire_ms(frame_bytes, baud):5.1f} ms" for baud in BAUDS)
    print(f"  wire time of the {frame_bytes}-byte frame: {wire}")
    for name, (a, b) in res["lookups"].items():
        print(f"  service {name:<20} p50 {a:6.2f} ms   p95 {b:6.2f} ms")
    for name, plan in res["plans"].items():
        print(f"  plan {name:<12} {plan}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ecd", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200, help="scans per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL URL (a scratch schema is made in it)")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--dir", default=tempfile.gettempdir(), help="where the scratch SQLite files live")
    parser.add_argument("--fresh", action="store_true", help="rebuild the scratch stores")
    parser.add_argument("--drop", action="store_true", help="remove the scratch stores at the end")
    args = parser.parse_args(argv)
    if sys.platform != "linux":
        raise SystemExit("needs pseudo-terminals (Linux)")
    import logging

    logging.disable(logging.WARNING)
    from workstation.domain.canonical import sha256_hex  # noqa: F401  (import cost outside the timings)

    today = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=7))).date()
    frame_bytes = len(f"]Q1ECD:{ecd_id(0)}\r\n".encode())
    print(f"bench.ecd — {machine()}")
    results = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        if not args.no_sqlite:
            big = Path(args.dir) / f"ws-bench-ecd-{args.rows}.sqlite"
            small = Path(args.dir) / "ws-bench-ecd-1000.sqlite"
            if args.fresh:
                for p in (big, small):
                    for suffix in ("", "-wal", "-shm"):
                        Path(str(p) + suffix).unlink(missing_ok=True)
            res = bench_backend("SQLite", f"sqlite:///{big}", f"sqlite:///{small}", args.rows, args, tmp, today)
            results.append(("SQLite", res))
            report("SQLite", args.rows, res, frame_bytes)
            if args.drop:
                for p in (big, small):
                    for suffix in ("", "-wal", "-shm"):
                        Path(str(p) + suffix).unlink(missing_ok=True)
        if not args.no_pg:
            big_schema, small_schema = f"bench_ecd_{args.rows}", "bench_ecd_1000"
            if args.fresh:
                drop_pg_schema(args.pg, big_schema)
                drop_pg_schema(args.pg, small_schema)
            res = bench_backend("PostgreSQL", pg_schema_url(args.pg, big_schema),
                                pg_schema_url(args.pg, small_schema), args.rows, args, tmp, today)
            results.append(("PostgreSQL", res))
            report("PostgreSQL", args.rows, res, frame_bytes)
            if args.drop:
                drop_pg_schema(args.pg, big_schema)
                drop_pg_schema(args.pg, small_schema)
    ok = all(median([p for _, p in r["big"]]) <= 50 for _, r in results)
    print("\ngoal p95 ≤ 50 ms: " + ("met" if ok else "NOT met"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
