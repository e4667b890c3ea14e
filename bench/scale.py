"""Office scale: what each screen and report costs against the size of the store (issue #17).

    python -m bench.scale [--sizes 10000,100000[,1000000]] [--pg URL] [--runs N] [--json] [--fresh] [--dir D]

Without --pg the stores are SQLite files under --dir (the temp dir); with --pg URL they are scratch schemas in
that PostgreSQL database. Timed per size, the sizes interleaved within each round so that a drift of the
machine's speed touches them all alike:

  daily report         services.report.daily_report_data(supervisor, day)  — every figure of one day
  gate release look-up pib.queries.release_for_container(session, number)  — what the gate runs per truck
  PIB desk queue       services.pib.queue(supervisor)                      — the examiners' open PIBs
  e-CD queue           services.ecd.queue(day, flight=…)                   — the counter's queue of one flight
                                                                              (a probe flight-day of 60 e-CDs)
  scan look-up         services.ecd.find(ecd_id)                           — a scanned e-CD and its decision

and, as a whole process, `workstation report daily --date DAY --out F.pdf` (what an office runs: wall time and
peak RSS of the process, 3 runs per size, median; goal ≤ 1 s and ≤ 150 MB at 1M).

p50 / p95 in ms per size, and the ratio of the largest size's p50 to the smallest's (goal ≤ 1.5: the history
costs nothing). `--json` prints {"backend": …, "sizes": […], "operations": {name: {"p50_ms": {size: ms},
"p95_ms": {size: ms}, "ratio": r}}}.

The stores (built once, reused by later runs unless --fresh):
  - the daily report's store (bench/daily_report.py loader, the same scratch files/schemas as
    `python -m bench.daily_report`): `size` cases, 90 % e-CD / 10 % PIB over 400 days, all closed, plus the same
    report day at every size (300 e-CDs, 30 PIBs opened, 40 PIBs open, 5 SPTNP overdue) — the daily report, the
    gate look-up and the PIB desk queue run on it (the desk queue holds ~75 rows at every size);
  - an e-CD store (bench/ecd.py loader) of `size` e-CDs with their declarations and decisions over 365 days and
    40 flights, plus one probe flight-day of 60 e-CDs (the same in every store) — the e-CD queue (of the probe
    flight) and the scan look-up run on it.
Nothing here touches a real database."""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import daily_report as dr
from bench import ecd as be
from bench.common import drop_pg_schema, machine, pg_schema_url

DAY = dr.DAY
GOAL_RATIO = 1.5


def _pct(values: list[float], p: float) -> float:
    xs = sorted(values)
    k = max(0, min(len(xs) - 1, round(p / 100 * (len(xs) - 1))))
    return xs[k]


def _sqlite(directory: str, name: str) -> tuple[str, list[Path]]:
    path = Path(directory) / name
    return f"sqlite:///{path}", [Path(str(path) + s) for s in ("", "-wal", "-shm")]


def stores(args, size: int) -> tuple[str, str, list[str]]:
    """(daily-report store URL, e-CD store URL, notes on what was built) for one size, built when missing."""
    notes = []
    if args.pg:
        daily_schema, ecd_schema = f"bench_daily_{size}", f"bench_scale_ecd_{size}"
        if args.fresh:
            drop_pg_schema(args.pg, daily_schema)
            drop_pg_schema(args.pg, ecd_schema)
        daily_url = pg_schema_url(args.pg, daily_schema)
        ecd_url = pg_schema_url(args.pg, ecd_schema)
    else:
        daily_url, daily_files = _sqlite(args.dir, f"ws-bench-daily-{size}.sqlite")
        ecd_url, ecd_files = _sqlite(args.dir, f"ws-bench-scale-ecd-{size}.sqlite")
        if args.fresh:
            for f in daily_files + ecd_files:
                f.unlink(missing_ok=True)
    label = f"{'PostgreSQL' if args.pg else 'SQLite'} {size:,}"
    built = dr.prepare(daily_url, size, args.fresh, label + " (daily)")
    if built:
        notes.append(f"{label}: daily-report store built in {built:.0f} s")
    engine, built = be.prepare(ecd_url, size, DAY, args.fresh, label + " (e-CD)")
    add_probe_flight(engine)
    engine.dispose()
    if built:
        notes.append(f"{label}: e-CD store built in {built:.0f} s")
    return daily_url, ecd_url, notes


PROBE_FLIGHT, PROBE_ECDS = "ID7001", 60  # one flight-day holding the same e-CDs in every store


def add_probe_flight(engine) -> None:
    """The e-CD queue's probe: PROBE_ECDS e-CDs on PROBE_FLIGHT on DAY, added once to the e-CD store (the
    store's own flights hold ~size/14,600 e-CDs a day, a result that grows with the store)."""
    from sqlalchemy import insert, text

    from db.models import Case
    from db.models_passenger import EcdDecisionRow, EcdDeclaration
    from workstation.rules.ruleset import ruleset_for

    with engine.connect() as c:
        have = c.execute(text("SELECT count(*) FROM ecd_declarations WHERE flight = :f"), {"f": PROBE_FLIGHT}).scalar()
    if have == PROBE_ECDS:
        return
    if have:
        raise SystemExit(f"the e-CD store holds {have} e-CDs of {PROBE_FLIGHT}, not {PROBE_ECDS}; use --fresh")
    rs = ruleset_for("ecd", DAY)
    cases, decls, decisions = be._rows(DAY, 0, PROBE_ECDS, (rs.id, rs.sha256), flight_day=(PROBE_FLIGHT, DAY),
                                       prefix="P")
    with engine.begin() as c:
        c.execute(insert(Case.__table__), cases)
        c.execute(insert(EcdDeclaration.__table__), decls)
        c.execute(insert(EcdDecisionRow.__table__), decisions)


def operations(daily, ecd, size: int) -> dict[str, Callable[[random.Random], object]]:
    """The timed calls for one size; each takes a seeded Random for its probe."""
    from workstation.services.base import cli_actor
    from workstation.services.pib import queries as Q

    actor = cli_actor(daily.settings)

    def report(_rng):
        data = daily.report.daily_report_data(actor, DAY)
        dr.check(data)  # the same day at every size
        return data

    def gate(rng):
        with daily.ctx.db.read() as s:
            return Q.release_for_container(s, f"BNCU{rng.randrange(10**7):07d}")

    def desk(_rng):
        return daily.pib.queue(actor)

    def ecd_queue(_rng):
        rows = ecd.ecd.queue(DAY, flight=PROBE_FLIGHT).rows
        assert len(rows) == PROBE_ECDS, len(rows)  # the same result at every size
        return rows

    def scan(rng):
        found = ecd.ecd.find(be.ecd_id(rng.randrange(size)))
        assert found is not None
        return found

    return {"daily report": report, "gate release look-up": gate, "PIB desk queue": desk,
            "e-CD queue": ecd_queue, "scan look-up": scan}


RUNS = {"daily report": 15, "gate release look-up": 200, "PIB desk queue": 60, "e-CD queue": 200,
        "scan look-up": 200}


def measure(args, sizes: list[int], tmp: Path) -> tuple[dict[str, dict[int, list[float]]], list[str]]:
    notes: list[str] = []
    ops: dict[int, dict] = {}
    opened = []
    for size in sizes:
        daily_url, ecd_url, built = stores(args, size)
        notes += built
        daily = dr._services(daily_url, tmp / f"d{size}")
        ecd = dr._services(ecd_url, tmp / f"e{size}")
        opened += [daily, ecd]
        ops[size] = operations(daily, ecd, size)
    names = list(next(iter(ops.values())))
    times: dict[str, dict[int, list[float]]] = {n: {s: [] for s in sizes} for n in names}
    for name in names:
        rngs = {s: random.Random(17) for s in sizes}
        for size in sizes:  # warm-up: imports, rule sets, statement caches, pools
            for _ in range(3):
                ops[size][name](rngs[size])
        runs = max(3, round(RUNS[name] * args.runs_scale))
        for _ in range(runs):
            for size in sizes:
                t0 = time.perf_counter()
                ops[size][name](rngs[size])
                times[name][size].append((time.perf_counter() - t0) * 1000)
    for svc in opened:
        svc.ctx.db.dispose()
    return times, notes


LAUNCHER = """
import json, os, subprocess, sys, time
t0 = time.perf_counter()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(p.pid, 0)
wall = time.perf_counter() - t0
code = os.waitstatus_to_exitcode(status)
print(json.dumps([wall, usage.ru_maxrss]))
sys.exit(code)
"""


def report_process(daily_url: str, size: int, tmp: Path, data_dir: Path, runs: int = 3) -> dict[str, float]:
    """`workstation report daily` on the size's store as its own process: median wall time (s) and the median of
    each run's peak RSS (MB, the kernel's ru_maxrss of that child: the PDF with its charts included)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKSTATION_")}
    env.update(WORKSTATION_DATABASE_URL=daily_url, WORKSTATION_DATA_DIR=str(data_dir),
               WORKSTATION_OFFICE__CODE="040300", WORKSTATION_PASSWORD_HASHING="fast")
    if not data_dir.exists():
        # a store reused without the data directory it was signed with (an older run's temp dir): forget the
        # office's keys in this scratch store so that `db upgrade` makes new ones, as on a new installation
        from sqlalchemy import create_engine, text

        engine = create_engine(daily_url)
        with engine.begin() as c:
            c.execute(text("UPDATE offices SET signing_public_key = NULL, signing_certificate = NULL"))
        engine.dispose()
    # the office's signing certificate (the PDF is signed), as an installation has it after `db upgrade`
    subprocess.run([sys.executable, "-m", "workstation", "db", "upgrade"], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    walls, rss = [], []
    for i in range(runs):
        out = tmp / f"daily-{size}-{i}.pdf"
        cmd = [sys.executable, "-m", "workstation", "report", "daily", "--date", DAY.isoformat(), "--out", str(out)]
        # started from a small launcher: a child forked from this (large) process would inherit its RSS as the
        # high-water mark the kernel reports (ru_maxrss survives exec)
        proc = subprocess.run([sys.executable, "-c", LAUNCHER, *cmd], env=env, capture_output=True, text=True)
        if proc.returncode != 0 or not out.exists():
            raise SystemExit(f"report daily failed on the {size:,} store (exit {proc.returncode}): "
                             f"{proc.stderr.strip()}")
        wall, maxrss_kib = json.loads(proc.stdout.strip().splitlines()[-1])
        walls.append(wall)
        rss.append(maxrss_kib / 1024)  # KiB on Linux
    return {"wall_s": round(statistics.median(walls), 3), "peak_rss_mb": round(statistics.median(rss), 1)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="store sizes in cases, comma-separated")
    parser.add_argument("--pg", default="", help="PostgreSQL URL: measure there (scratch schemas) instead of SQLite")
    parser.add_argument("--runs", type=float, default=1.0, dest="runs_scale",
                        help="scale the number of timed calls per operation (1 = 15 reports, 200 look-ups)")
    parser.add_argument("--dir", default=tempfile.gettempdir(), help="where the scratch SQLite files live")
    parser.add_argument("--fresh", action="store_true", help="rebuild the scratch stores")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args(argv)
    sizes = sorted({int(x) for x in args.sizes.split(",") if x.strip()})
    if not sizes or sizes[0] <= dr.FIXED:
        raise SystemExit(f"sizes must exceed the report day's own {dr.FIXED} cases")
    logging.disable(logging.WARNING)
    backend = "postgresql" if args.pg else "sqlite"
    with tempfile.TemporaryDirectory() as tmpdir:
        times, notes = measure(args, sizes, Path(tmpdir))
        processes = {}
        for size in sizes:  # the stores exist now (measure built them)
            daily_url = (pg_schema_url(args.pg, f"bench_daily_{size}") if args.pg
                         else _sqlite(args.dir, f"ws-bench-daily-{size}.sqlite")[0])
            # the data directory (the office's signing key) lives beside the store: a reused store keeps its key
            processes[size] = report_process(daily_url, size, Path(tmpdir),
                                             Path(args.dir) / f"ws-bench-daily-{size}-{backend}-data")
    small, large = sizes[0], sizes[-1]
    out = {"backend": backend, "sizes": sizes, "operations": {}, "report_daily_process": processes}
    for name, per_size in times.items():
        p50 = {s: round(_pct(v, 50), 3) for s, v in per_size.items()}
        p95 = {s: round(_pct(v, 95), 3) for s, v in per_size.items()}
        out["operations"][name] = {"p50_ms": p50, "p95_ms": p95,
                                   "ratio": round(p50[large] / p50[small], 2) if p50[small] else None}
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    for n in notes:
        print(n, file=sys.stderr)
    print(f"bench.scale — {backend} — {machine()}")
    head = "".join(f"{s:>14,} p50 / p95" for s in sizes)
    print(f"{'operation':<22}{head}{f'ratio {large:,}/{small:,}':>22}")
    for name, o in out["operations"].items():
        cells = "".join(f"{o['p50_ms'][s]:>13.2f} / {o['p95_ms'][s]:>6.2f} ms" for s in sizes)
        flag = "" if o["ratio"] is not None and o["ratio"] <= GOAL_RATIO else "  > goal"
        print(f"{name:<22}{cells}{o['ratio']:>22.2f}{flag}")
    cells = "".join(f"{processes[s]['wall_s']:>9.2f} s {processes[s]['peak_rss_mb']:>6.0f} MB" for s in sizes)
    print(f"{'report daily (process)':<22}{cells}   (wall, peak RSS; goal ≤ 1 s, ≤ 150 MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
