"""How far the push of bench/sync.py could go (issue #14: push ≥ 0.25 of a raw COPY): the same changes applied at
central **by SQL alone**, no Python per change, as a redesign moving central's checks into PostgreSQL would:
each push batch's body text (as the unit sends it) staged by `json_to_recordset` into a temporary table; one
query checks every row's SHA-256 against its hash (PostgreSQL's `json` keeps the sent text, so the canonical
text is hashed as sent), the operations, the change ids central already has and the rows it already holds;
the data rows go in by `json_populate_recordset` per table and the feed rows by one `INSERT … SELECT` (their
column lists made in SQL). Printed beside it: the raw COPY of the same rows (as bench/sync.py makes it) and the
unit's own time to read its outbox into those bodies. Nothing of this is the application's code path; it is
the bound a SQL-side design would meet on this machine.

Run: python -m bench.sync_bound [--changes 10000] [--runs 3] [--pg URL]"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
from pathlib import Path

from bench.common import machine, median
from bench.sync import DEFAULT_PG, Central, enrol_unit, make_changes, outbox_rows, raw_copy, unit_template

STAGE = """CREATE TEMP TABLE bound_changes (ord bigint, seq bigint, change_id uuid, txn_id uuid, origin text,
    epoch int, "table" text, key text, op text, changed json, base_seq bigint, row json, row_hash text)
    ON COMMIT DROP"""
FILL = """INSERT INTO bound_changes SELECT x.ord, x.seq, x.change_id, x.txn_id, x.origin, x.epoch, x."table", x.key,
    x.op, x.changed, x.base_seq, x.row, x.row_hash
  FROM ROWS FROM (json_to_recordset(%(body)s::json -> 'changes') AS (seq bigint, change_id uuid, txn_id uuid,
    origin text, epoch int, "table" text, key text, op text, changed json, base_seq bigint, row json,
    row_hash text)) WITH ORDINALITY AS x(seq, change_id, txn_id, origin, epoch, "table", key, op, changed,
    base_seq, row, row_hash, ord)"""
CHECK = """SELECT count(*) FILTER (WHERE encode(sha256(convert_to(c.row::text, 'UTF8')), 'hex') <> c.row_hash),
    count(*) FILTER (WHERE c.op <> 'insert' OR c.origin <> %(origin)s),
    count(*) FILTER (WHERE EXISTS (SELECT 1 FROM sync_changes f WHERE f.change_id = c.change_id)),
    count(*) FILTER (WHERE c."table" = 'cases' AND EXISTS (SELECT 1 FROM cases t WHERE t.id = (c.row ->> 'id')::uuid)),
    count(*) FILTER (WHERE c."table" = 'case_events'
                     AND EXISTS (SELECT 1 FROM case_events t WHERE t.id = (c.row ->> 'id')::uuid)),
    count(*)
  FROM bound_changes c"""
FEED = """INSERT INTO sync_changes (seq, change_id, txn_id, origin, epoch, table_name, row_key, op, changed,
    base_seq, row, row_hash, created_at, acked_at)
  SELECT %(seq0)s + c.ord - 1, c.change_id, c.txn_id, c.origin, c.epoch, c."table", c.key, 'insert',
    (SELECT '[' || string_agg(to_json(k)::text, ',' ORDER BY k COLLATE "C") || ']' FROM json_object_keys(c.row) k),
    c.base_seq, c.row::text, c.row_hash, now(), now()
  FROM bound_changes c"""


def _data_sql(name: str) -> str:
    from db import changes

    c = changes.codec(name)
    cols = ", ".join(f'"{n}"' for n in c.names)
    sel = ", ".join(f"coalesce(r.\"{n}\", 'null'::json)" if n in c.jsons else f'r."{n}"' for n in c.names)
    return (f"INSERT INTO {name} ({cols}) SELECT {sel} FROM json_populate_recordset(NULL::{name}, "
            f"(SELECT json_agg(c.row ORDER BY c.ord) FROM bound_changes c WHERE c.\"table\" = '{name}')) AS r")


def bound_run(pg: str, n: int, template: Path, folder: Path) -> dict[str, float]:
    from workstation.sync.unit import UnitSync

    central = Central(pg, folder)
    try:
        unit = enrol_unit(central, template, folder / "A", "BENCHA")
        make_changes(unit, n)
        copy_s = raw_copy(pg, outbox_rows(unit))
        sync, me = UnitSync(unit.ctx), UnitSync(unit.ctx).node()
        state = {"acked_seq": 0, "audit_seq": None, "audit_hash": None}
        bodies: list[str] = []
        after = 0
        start = time.perf_counter()
        while True:
            _entries, rows, body = sync._batch(me, state, after)
            if not rows:
                break
            after = rows[-1].seq
            bodies.append(body)
        unit_s = time.perf_counter() - start
        data = [_data_sql(name) for name in ("cases", "case_events")]  # parents first (foreign keys)
        start = time.perf_counter()
        with central.services.ctx.db.write() as s:
            conn = s.connection()
            conn.exec_driver_sql(STAGE)
            seq0 = int(conn.exec_driver_sql("SELECT coalesce(max(seq), 0) + 1 FROM sync_changes").scalar_one())
            for body in bodies:
                conn.exec_driver_sql("TRUNCATE bound_changes")
                conn.exec_driver_sql(FILL, {"body": body})
                bad_hash, bad_op, dup, *held, count = conn.exec_driver_sql(CHECK, {"origin": "BENCHA"}).one()
                if bad_hash or bad_op or dup or any(held):
                    raise SystemExit(f"the SQL checks refused a batch: {bad_hash, bad_op, dup, held}")
                for sql in data:
                    conn.exec_driver_sql(sql)
                conn.exec_driver_sql(FEED, {"seq0": seq0})
                seq0 += count
        sql_s = time.perf_counter() - start
        with central.services.ctx.db.read() as s:
            fed = s.connection().exec_driver_sql("SELECT count(*) FROM sync_changes WHERE origin = 'BENCHA'").scalar()
        if fed != n:
            raise SystemExit(f"{fed} feed rows for {n} changes")
        unit.ctx.db.dispose()
        return {"copy": copy_s, "unit": unit_s, "sql": sql_s}
    finally:
        central.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pg", default=DEFAULT_PG)
    ap.add_argument("--changes", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    print(f"machine: {machine()}; {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; load average "
          f"{os.getloadavg()[0]:.1f}; {args.changes:,} changes, {args.runs} runs")
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-sync-bound-") as tmp:
        template = unit_template(Path(tmp))
        for r in range(args.runs):
            folder = Path(tmp) / f"run{r}"
            folder.mkdir()
            res = bound_run(args.pg, args.changes, template, folder)
            results.append(res)
            print(f"  run {r + 1}: COPY {res['copy']:.3f} s; central by SQL alone {res['sql']:.3f} s (ratio "
                  f"{res['copy'] / res['sql']:.3f}); the unit reading its outbox into bodies {res['unit']:.3f} s",
                  flush=True)
    print(f"  {'what':<52}{'median s':>10}{'ratio to COPY':>15}")
    copy_med = median([r["copy"] for r in results])
    print(f"  {'raw COPY (psycopg cursor.copy)':<52}{copy_med:>10.3f}{1:>15.3f}")
    for key, label in (("sql", "central's apply by SQL alone (PostgreSQL's time)"),
                       ("unit", "the unit: outbox read into push bodies")):
        print(f"  {label:<52}{median([r[key] for r in results]):>10.3f}"
              f"{median([r['copy'] / r[key] for r in results]):>15.3f}")
    print("  a push is at least the larger of the two (were they overlapped perfectly); goal ≥ 0.25 of raw COPY")


if __name__ == "__main__":
    main()
