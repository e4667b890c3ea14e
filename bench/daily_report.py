"""The supervisor's daily report against the size of the store: 10,000 / 100,000 (/ 1,000,000) cases, on SQLite
and on PostgreSQL.

    python -m bench.daily_report [--sizes 10000,100000] [--runs 7] [--pg URL | --no-pg] [--fresh] [--drop]

What is timed: `services.report.daily_report_data(supervisor, DAY)` — every figure of the report for one business
day (cases opened, lanes, documents per type, duties billed and paid per levy, SLA breaches open at the end of
the day, BTD), from the typed workflow queries. Medians over the runs; the sizes are measured in turn within
each run, so a drift of the machine's speed touches them all alike.

Every store holds exactly the same day: 300 e-CDs (60 red, billed; 40 paid), 30 PIBs opened (declared billings
issued, 25 paid), 5 SPTNP billings (3 paid), 40 PIBs still open (15 past the 30-day determination SLA, several
past the TPS limit) and 5 SPTNP billings unpaid past due. The rest of each store is history: the 400 days before,
90 % e-CD (one in five red, billed and paid, with its documents) and 10 % PIB (determined, SPPB, released,
billings paid, documents) — all closed. The ratio of each size to 10k shows what the history costs the report
(≈1 when the indexes do their work: the report reads the day and the open cases only).

Scratch data: bulk inserts (SQLAlchemy Core executemany) into scratch SQLite files under the temp dir and
scratch PostgreSQL schemas; reused by later runs unless --fresh; --drop removes them at the end. Nothing here
touches a real database."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.common import drop_pg_schema, machine, median, pg_schema_url

OFFICE = "040300"
DAY = dt.date(2026, 11, 20)  # the report's business day (office zone, WIB)
WIB = dt.timezone(dt.timedelta(hours=7))
HISTORY_DAYS = 400
DEFAULT_SIZES = (10_000, 100_000)
DEFAULT_PG = os.environ.get("WORKSTATION_BENCH_PG_URL") or os.environ.get(
    "WORKSTATION_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

ECD_TODAY, ECD_RED_TODAY, ECD_PAID_TODAY = 300, 60, 40
PIB_TODAY, PIB_PAID_TODAY, SPTNP_TODAY, SPTNP_PAID_TODAY = 30, 25, 5, 3
PIB_OPEN, PIB_OPEN_LATE, SPTNP_OVERDUE = 40, 15, 5
FIXED = ECD_TODAY + PIB_TODAY + PIB_OPEN + SPTNP_OVERDUE  # cases of the day's content, at every size

ECD_LEVIES = {"import_duty_idr": 1_120_000, "vat_idr": 1_356_000, "luxury_tax_idr": 0, "income_tax_idr": 0}
PIB_LEVIES = {"customs_value_idr": 195_156_000, "bm_idr": 19_516_000, "ppn_idr": 23_613_876, "ppnbm_idr": 0,
              "pph_idr": 5_366_790, "excise_idr": 0, "total_idr": 48_496_666}
SPTNP_LEVIES = {"customs_value_idr": 55_294_200, "bm_idr": 2_000_000, "ppn_idr": 6_082_362, "ppnbm_idr": 0,
                "pph_idr": 1_382_355, "excise_idr": 0, "total_idr": 9_464_717}


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), WIB).astimezone(dt.UTC)


class Rows:
    """Rows for the bulk insert, per table, in foreign-key order."""

    TABLES = ("cases", "pib_cases", "ecd_decisions", "ecd_billings", "ecd_payments", "pib_billings", "documents")

    def __init__(self, ruleset: tuple[str, str]):
        self.ruleset = ruleset
        self.by_table: dict[str, list[dict]] = {t: [] for t in self.TABLES}
        self.doc_seq = 0

    def __len__(self) -> int:
        return len(self.by_table["cases"])

    def case(self, n: int, kind: str, day: dt.date, state: str, lane: str | None):
        from uuid_utils.compat import uuid7

        cid = uuid7()
        at = _at(day)
        self.by_table["cases"].append(dict(
            id=cid, kind=kind, reference=f"{kind}-B{n:08d}", office_code=OFFICE, unit_code=None, state=state,
            lane=lane, reasons=[], flags=[], opened_on=day, created_at=at, updated_at=at, created_by=None,
            assigned_to=None, summary={}, version=1))
        return cid

    def document(self, doc_type: str, case_id, day: dt.date, hour: int = 11) -> str:
        from uuid_utils.compat import uuid7

        self.doc_seq += 1
        number = f"{self.doc_seq:07d}/{doc_type}/{OFFICE}/{day.year}"
        self.by_table["documents"].append(dict(
            id=uuid7(), doc_type=doc_type, number=number, version=1, seq=self.doc_seq, year=day.year,
            office_code=OFFICE, unit_code=None, case_id=case_id, supersedes_id=None, issue_date=day,
            issued_at=_at(day, hour), issued_by=None, issued_by_login="bench", content_json="{}",
            content_hash="0" * 64, signature="bench", status="ISSUED", voided_at=None, voided_by=None,
            void_confirmed_by=None, void_reason=None))
        return number

    def ecd(self, n: int, day: dt.date, *, red: bool, billed: bool, paid_on: dt.date | None) -> None:
        from uuid_utils.compat import uuid7

        state = "RELEASED" if paid_on or not red else "BILLED" if billed else "RED"
        cid = self.case(n, "ECD", day, state, "red" if red else "green")
        if not billed:
            return
        total = sum(ECD_LEVIES.values())
        decision = uuid7()
        rs_id, rs_sha = self.ruleset
        self.by_table["ecd_decisions"].append(dict(
            id=decision, case_id=cid, seq=1, kind="REASSESSMENT", lane="red", reasons=["VALUE_OVER_ALLOWANCE"],
            referrals=[], ruleset=rs_id, ruleset_sha256=rs_sha, total_idr=total, record={}, note=None,
            decided_at=_at(day), decided_by=None, confirmed_by=None))
        billing = uuid7()
        self.by_table["ecd_billings"].append(dict(
            id=billing, case_id=cid, decision_id=decision, code=f"7{n:014d}", amount_idr=total,
            levies=ECD_LEVIES, document_number=self.document("ECD-BILL", cid, day), issued_at=_at(day, 11),
            issued_by=None))
        if paid_on is not None:
            self.by_table["ecd_payments"].append(dict(
                id=uuid7(), case_id=cid, billing_id=billing, receipt_number=f"RCPT{n:010d}", amount_idr=total,
                channel="CASH", document_number=self.document("RECEIPT", cid, paid_on, 12),
                paid_at=_at(paid_on, 12), recorded_by=None))

    def pib(self, n: int, day: dt.date, *, registered_on: dt.date | None, determined_on: dt.date | None,
            state: str, paid_on: dt.date | None, sptnp: tuple[dt.date, dt.date, dt.date | None] | None = None):
        """One PIB opened on `day`: its declared billing (issued on `day`, paid on `paid_on`), registration,
        determination; `sptnp` = (issued, due, paid) of a shortfall billing."""
        from uuid_utils.compat import uuid7

        cid = self.case(n, "PIB", day, state, None)
        sppb_on = determined_on if state in ("SPPB", "RELEASED") else None
        self.by_table["pib_cases"].append(dict(
            case_id=cid, aju=f"{OFFICE}00000{n:015d}", importer_npwp="012345678901000", importer_name="PT Bench",
            bc11_number="000301", bc11_date=day - dt.timedelta(days=2), bc11_pos=f"{n % 10000:04d}",
            bc11_subpos="00000000", arrival_date=day - dt.timedelta(days=2), submission_version=1, submitted_on=day,
            registration_number=f"{n:06d}" if registered_on else None, registered_on=registered_on,
            first_storage_on=day - dt.timedelta(days=2), goods_ready_on=None, goods_location=None,
            goods_contact=None, inspector_id=None, lartas=[], enforcement=False,
            outcome="SPPB" if sppb_on else None, determined_on=determined_on, sppb_on=sppb_on,
            released_at=_at(sppb_on, 15) if state == "RELEASED" and sppb_on else None))
        self.by_table["pib_billings"].append(dict(
            id=uuid7(), case_id=cid, kind="DECLARED", code=f"8{n:014d}", levies=PIB_LEVIES, fine_idr=0,
            total_idr=PIB_LEVIES["total_idr"], issued_on=day, due_on=None, paid_on=paid_on,
            ntpn=f"NTPN{n:012d}" if paid_on else None, paid_amount_idr=PIB_LEVIES["total_idr"] if paid_on else None,
            recorded_by=None, recorded_at=_at(paid_on) if paid_on else None))
        if registered_on:
            self.document("SPJM", cid, registered_on)
        if sppb_on:
            self.document("SPPB", cid, sppb_on, 14)
        if sptnp is not None:
            issued, due, paid = sptnp
            fine = 1_000_000
            self.by_table["pib_billings"].append(dict(
                id=uuid7(), case_id=cid, kind="SPTNP", code=f"9{n:014d}", levies=SPTNP_LEVIES, fine_idr=fine,
                total_idr=SPTNP_LEVIES["total_idr"] + fine, issued_on=issued, due_on=due, paid_on=paid,
                ntpn=f"NTPS{n:012d}" if paid else None, paid_amount_idr=SPTNP_LEVIES["total_idr"] + fine if paid else None,
                recorded_by=None, recorded_at=_at(paid) if paid else None))
            self.document("SPTNP", cid, issued, 13)


def day_content(rows: Rows, n0: int) -> int:
    """The report day's own content, the same in every store. Returns the next case number."""
    n = n0
    for i in range(ECD_TODAY):
        red = i < ECD_RED_TODAY
        rows.ecd(n, DAY, red=red, billed=red, paid_on=DAY if red and i < ECD_PAID_TODAY else None)
        n += 1
    for i in range(PIB_TODAY):
        paid = i < PIB_PAID_TODAY
        sptnp = (DAY, DAY + dt.timedelta(days=60), DAY if i < SPTNP_PAID_TODAY else None) if i < SPTNP_TODAY else None
        rows.pib(n, DAY, registered_on=DAY if paid else None, determined_on=DAY if sptnp else None,
                 state="SPTNP" if sptnp and not sptnp[2] else "SPPB" if sptnp else "SPJM" if paid else "BILLED",
                 paid_on=DAY if paid else None, sptnp=sptnp)
        n += 1
    for i in range(PIB_OPEN):  # open: registered 1..45 days before the day, undetermined
        ago = 31 + i if i < PIB_OPEN_LATE else 1 + i % 29
        opened = DAY - dt.timedelta(days=ago)
        rows.pib(n, opened, registered_on=opened, determined_on=None, state="RESEARCH", paid_on=opened)
        n += 1
    for _ in range(SPTNP_OVERDUE):  # determined 70 days ago, the SPTNP still unpaid
        opened = DAY - dt.timedelta(days=75)
        det = opened + dt.timedelta(days=5)
        rows.pib(n, opened, registered_on=opened, determined_on=det, state="SPTNP", paid_on=opened,
                 sptnp=(det, det + dt.timedelta(days=60), None))
        n += 1
    return n


def history(rows: Rows, n: int) -> None:
    """One closed case of the 400 days before the report day: 9 in 10 e-CD (1 in 5 red, billed and paid the same
    day), 1 in 10 PIB (registered, determined 5 days later with SPPB, released, paid)."""
    day = DAY - dt.timedelta(days=1 + n % HISTORY_DAYS)
    if n % 10:
        red = n % 5 == 1
        rows.ecd(n, day, red=red, billed=red, paid_on=day if red else None)
    else:
        det = min(day + dt.timedelta(days=5), DAY - dt.timedelta(days=1))
        rows.pib(n, day, registered_on=day, determined_on=det, state="RELEASED", paid_on=day)


def populate(engine, size: int, label: str, *, start: int = 0) -> float:
    """Bulk-insert a store of `size` cases: the day's content, then history. With `start` > 0, add history to a
    store that holds `start` cases (tests/services/test_queries_growth.py grows one). Returns seconds."""
    from sqlalchemy import insert

    from db.models import Base
    from workstation.rules.ruleset import ruleset_for

    rs = ruleset_for("ecd", DAY)
    tables = Base.metadata.tables
    t0 = time.perf_counter()

    def flush(rows: Rows) -> None:
        with engine.begin() as c:
            for name in Rows.TABLES:
                if rows.by_table[name]:
                    c.execute(insert(tables[name]), rows.by_table[name])

    if start == 0:
        rows = Rows((rs.id, rs.sha256))
        start = day_content(rows, 0)
        flush(rows)
    batch = 20_000
    done = start
    while done < size:
        rows = Rows((rs.id, rs.sha256))
        rows.doc_seq = done * 3  # document numbers stay unique across batches
        stop = min(size, done + batch)
        for k in range(done, stop):
            history(rows, k)
        flush(rows)
        if stop // 100_000 > done // 100_000 or stop == size:  # each 100,000 crossed, and the end
            print(f"  {label}: {stop:,} cases stored ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
        done = stop
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        if engine.dialect.name == "postgresql":
            for name in Rows.TABLES:  # as autovacuum would on a long-lived database (visibility map, statistics)
                c.exec_driver_sql(f"VACUUM ANALYZE {name}")
        else:
            c.exec_driver_sql("ANALYZE")
    return time.perf_counter() - t0


def _stored(engine) -> int:
    from sqlalchemy import text

    try:
        with engine.connect() as c:
            return c.execute(text("SELECT count(*) FROM cases")).scalar() or 0
    except Exception:
        return -1


def prepare(url: str, size: int, fresh: bool, label: str) -> float | None:
    """A migrated scratch store of `size` cases. Returns the seconds it took to build, None when reused."""
    from db import migrate
    from db.engine import make_engine

    engine = make_engine(url)
    try:
        if not migrate.is_current(engine):
            migrate.upgrade(engine)
        have = _stored(engine)
        if have == size and not fresh:
            return None
        if have > 0:
            raise SystemExit(f"{label}: the scratch store holds {have:,} cases, not {size:,}; use --fresh")
        return populate(engine, size, label)
    finally:
        engine.dispose()


def _services(url: str, data_dir: Path):
    from db.engine import Database
    from workstation.config import load_settings
    from workstation.services import Services
    from workstation.services.base import ServiceContext

    settings = load_settings(None, office={"code": "040300"}, database_url=url, data_dir=data_dir, password_hashing="fast", language="en")
    end_of_day = dt.datetime.combine(DAY, dt.time(23, 30), WIB).astimezone(dt.UTC)
    return Services(ServiceContext(db=Database(url), settings=settings, clock=lambda: end_of_day))


def check(data) -> None:
    """The same day at every size: the figures must not depend on the history."""
    opened = {r.label: r.count for r in data.opened}
    assert opened == {"ECD": ECD_TODAY, "PIB": PIB_TODAY, "PLP": 0}, opened
    late = [b for b in data.sla_breaches if b.kind == "PIB" and not b.stage.startswith("SPTNP")]
    overdue = [b for b in data.sla_breaches if b.stage.startswith("SPTNP")]
    assert len(late) == PIB_OPEN_LATE and len(overdue) == SPTNP_OVERDUE, (len(late), len(overdue))


def measure(urls: dict[int, str], runs: int, tmp: Path) -> dict[int, list[float]]:
    from workstation.services.base import cli_actor

    services = {size: _services(url, tmp / "data") for size, url in urls.items()}
    times: dict[int, list[float]] = {size: [] for size in urls}
    first = {}
    for size, svc in services.items():  # warm-up: imports, rule sets, connection pools
        first[size] = svc.report.daily_report_data(cli_actor(svc.settings), DAY)
        check(first[size])
    for _ in range(runs):
        for size, svc in services.items():
            actor = cli_actor(svc.settings)
            t0 = time.perf_counter()
            svc.report.daily_report_data(actor, DAY)
            times[size].append((time.perf_counter() - t0) * 1000)
    for svc in services.values():
        svc.ctx.db.dispose()
    return times


def report(label: str, times: dict[int, list[float]], built: dict[int, float | None]) -> list[tuple]:
    base = median(times[min(times)])
    print(f"\n{label}: daily_report_data for {DAY.isoformat()}, {len(next(iter(times.values())))} runs")
    out = []
    for size in sorted(times):
        m = median(times[size])
        b = f"  (store built in {built[size]:.0f} s)" if built.get(size) else ""
        print(f"  {size:>9,} cases   median {m:7.1f} ms   ratio to {min(times):,}: {m / base:4.2f}{b}")
        print("            runs: " + ", ".join(f"{t:.1f}" for t in times[size]))
        out.append((size, m, m / base))
    return out


def _sqlite_files(directory: str, size: int) -> list[Path]:
    p = Path(directory) / f"ws-bench-daily-{size}.sqlite"
    return [Path(str(p) + suffix) for suffix in ("", "-wal", "-shm")]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.daily_report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                        help="store sizes in cases, comma-separated; the smallest is the baseline "
                             "(add 1000000 for the million)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL URL (a scratch schema per size is made in it)")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--dir", default=tempfile.gettempdir(), help="where the scratch SQLite files live")
    parser.add_argument("--fresh", action="store_true", help="rebuild the scratch stores")
    parser.add_argument("--drop", action="store_true", help="remove the scratch stores at the end")
    args = parser.parse_args(argv)
    sizes = sorted({int(x) for x in args.sizes.split(",") if x.strip()})
    if not sizes or sizes[0] <= FIXED:
        raise SystemExit(f"sizes must exceed the day's own {FIXED} cases")
    import logging

    logging.disable(logging.WARNING)
    print(f"bench.daily_report — {machine()}")
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        if not args.no_sqlite:
            urls, built = {}, {}
            for size in sizes:
                files = _sqlite_files(args.dir, size)
                if args.fresh:
                    for f in files:
                        f.unlink(missing_ok=True)
                urls[size] = f"sqlite:///{files[0]}"
                built[size] = prepare(urls[size], size, args.fresh, f"SQLite {size:,}")
            report("SQLite", measure(urls, args.runs, tmp), built)
            if args.drop:
                for size in sizes:
                    for f in _sqlite_files(args.dir, size):
                        f.unlink(missing_ok=True)
        if not args.no_pg:
            urls, built = {}, {}
            for size in sizes:
                schema = f"bench_daily_{size}"
                if args.fresh:
                    drop_pg_schema(args.pg, schema)
                urls[size] = pg_schema_url(args.pg, schema)
                built[size] = prepare(urls[size], size, args.fresh, f"PostgreSQL {size:,}")
            report("PostgreSQL", measure(urls, args.runs, tmp), built)
            if args.drop:
                for size in sizes:
                    drop_pg_schema(args.pg, f"bench_daily_{size}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
