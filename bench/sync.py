"""The field-unit sync (issue #14) against the driver alone, and over a slow field link.

a) Throughput: N changes (default 100,000) made on a unit's SQLite file — one case and nine case events per
   write transaction, captured in its outbox by the one write path — are pushed to central PostgreSQL through
   `UnitSync._push` → `CentralSync.push` in the engine's batches (PUSH_BATCH), in process (LocalTransport: the
   bodies go through JSON as over the wire, without HTTP), and then pulled from central's feed by a second
   enrolled unit (`UnitSync._pull`, pages of PULL_PAGE). Baseline: a raw `COPY` of the same rows (decoded from
   the outbox before the clock starts) into two tables of the same shape (`CREATE TABLE … (LIKE …)`), through
   psycopg's `cursor.copy`, committed. Each run builds a fresh central schema and fresh units; the ratio is
   taken run by run (COPY time / sync time: the share of raw throughput the sync reaches; goal ≥ 0.25).
b) The field link: 1,000 changes synced by `workstation sync --server URL --json` (a whole process: start,
   push, pull) from a network namespace joined to the host by a veth pair with `tc netem delay 300ms rate
   256kbit` on both ends (each direction: 300 ms one way, 256 kbit/s), against `workstation sync-server` in the
   host namespace in front of central PostgreSQL; baseline: the same over the same veth without netem. Needs
   root, `ip` and `tc`; when the namespace cannot be made the reason is printed and (b) is skipped.

Run: python -m bench.sync [--changes 100000] [--runs 3] [--pg URL] [--link-changes 1000] [--no-link]
     [--no-throughput] [--profile]
(--profile: cProfile of one push and one pull in CPU time, the top functions by own time.) Each run prints the
client's CPU time of the push and of the pull beside the wall times: on a loaded machine the wall time is mostly
waiting for a CPU."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.common import drop_pg_schema, machine, median, pg_schema_url

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PER_TXN = 10  # one case and nine events per write transaction
NS = "wsbench"
VETH_HOST, VETH_NS = "wsb0", "wsb1"
HOST_IP, NS_IP = "10.231.77.1", "10.231.77.2"
DELAY_S = 0.300
LINK: dict[str, Any] = {}  # how the slow link was made: {"relay": True, "netem_error": …} without sch_netem


# -- stores ----------------------------------------------------------------------------------------------------
def _settings(url: str, data_dir: Path, unit: str | None = None):
    from workstation.config import load_settings

    return load_settings(None, database_url=url, data_dir=data_dir, password_hashing="fast", unit_code=unit)


def _services(url: str, data_dir: Path, unit: str | None = None):
    from workstation.services import open_services

    return open_services(_settings(url, data_dir, unit))


class Central:
    def __init__(self, pg: str, folder: Path):
        from workstation.sync.central import CentralSync

        self.pg = pg
        self.schema = f"bench_sync_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.url = pg_schema_url(pg, self.schema)
        self.data_dir = folder / "central"
        self.services = _services(self.url, self.data_dir)
        self.services.issuance.ensure_office_key()
        auth = self.services.auth
        auth.create_first_admin("bench", "Bench Admin", "bench-password")
        self.admin = auth.login("bench", "bench-password")
        self.sync = CentralSync(self.services.ctx)

    def close(self) -> None:
        self.services.ctx.db.dispose()
        drop_pg_schema(self.pg, self.schema)


def unit_template(folder: Path) -> Path:
    from db import migrate
    from db.engine import make_engine

    path = folder / "unit-template.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


def enrol_unit(central: Central, template: Path, folder: Path, code: str, server_url: str | None = None):
    """A fresh unit database enrolled at central in process; returns its services."""
    from workstation.sync.client import LocalTransport
    from workstation.sync.unit import UnitSync

    token = central.sync.add_unit(central.admin, code, f"Bench {code}")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "unit.sqlite"
    shutil.copyfile(template, path)
    services = _services(f"sqlite:///{path}", folder / "data", code)
    UnitSync(services.ctx).enrol(LocalTransport(central.sync), token, server_url)
    return services


def make_changes(services, n: int) -> None:
    """n changes in the unit's outbox: write transactions of one case and nine events, through the write path
    (Core inserts noted with db.changes.record_insert, as the issuance path does)."""
    from sqlalchemy import insert

    from db import changes
    from db.models import uuid7

    cases, events = changes.table("cases"), changes.table("case_events")
    now = dt.datetime.now(dt.UTC)
    today = now.date()
    office = services.ctx.settings.office.code
    made = 0
    per_commit = 100  # transactions per commit would be one; 100 keeps generation quick (still 10 rows a txn)
    while made < n:
        with services.ctx.db.write() as s:
            for _ in range(per_commit):
                if made >= n:
                    break
                cid = uuid7()
                case = dict(id=cid, kind="ECD", reference=f"BENCH-{uuid.uuid4().hex[:12]}", office_code=office,
                            unit_code=services.ctx.settings.unit_code, state="GREEN", lane="green", reasons=[],
                            flags=[], opened_on=today, created_at=now, updated_at=now, created_by=None,
                            assigned_to=None, summary={"bench": True, "passenger": "Nama Penumpang"}, version=1)
                s.execute(insert(cases).values(**case))
                changes.record_insert(s, "cases", case)
                made += 1
                for k in range(min(PER_TXN - 1, n - made)):
                    ev = dict(id=uuid7(), case_id=cid, at=now, actor_id=None, action="ecd.bench", from_state="GREEN",
                              to_state="GREEN", data={"k": k, "note": "peristiwa uji"})
                    s.execute(insert(events).values(**ev))
                    changes.record_insert(s, "case_events", ev)
                    made += 1


def outbox_rows(services) -> dict[str, list[tuple]]:
    """The outbox's rows decoded to Python values, per table, in column order (what COPY sends)."""
    from sqlalchemy import select

    from db import changes
    from db.models_sync import SyncChange

    out: dict[str, list[tuple]] = {"cases": [], "case_events": []}
    with services.ctx.db.read() as s:
        for name, row in s.execute(select(SyncChange.table_name, SyncChange.row).order_by(SyncChange.seq)):
            tbl = changes.table(name)
            values = changes.decode_row(tbl, json.loads(row))
            out[name].append(tuple(values[c.name] for c in tbl.columns))
    return out


def raw_copy(pg: str, rows: dict[str, list[tuple]]) -> float:
    """Seconds to COPY `rows` into fresh tables shaped like cases / case_events and commit (psycopg alone)."""
    import psycopg
    from psycopg.types.json import Jsonb
    from sqlalchemy.engine import make_url

    from db import changes

    u = make_url(pg)
    conninfo = u.set(drivername="postgresql").render_as_string(hide_password=False)
    schema = f"bench_copy_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    json_cols = {name: [i for i, c in enumerate(changes.table(name).columns) if changes._kind(c) == "json"]
                 for name in rows}
    prepared = {name: [tuple(Jsonb(v) if i in json_cols[name] else v for i, v in enumerate(r)) for r in rs]
                for name, rs in rows.items()}
    with psycopg.connect(conninfo, options="-c synchronous_commit=on") as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        for name in rows:
            _create_like(conn, schema, name)
        conn.commit()
        try:
            start = time.perf_counter()
            with conn.cursor() as cur:
                for name, rs in prepared.items():
                    cols = ", ".join(c.name for c in changes.table(name).columns)
                    with cur.copy(f'COPY "{schema}".{name} ({cols}) FROM STDIN') as cp:
                        for r in rs:
                            cp.write_row(r)
            conn.commit()
            return time.perf_counter() - start
        finally:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
            conn.commit()


def _create_like(conn, schema: str, name: str) -> None:
    """The model's table (its columns, primary key and indexes; no foreign key, no trigger) in `schema`."""
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateIndex, CreateTable

    from db import changes

    tbl = changes.table(name)
    ddl = str(CreateTable(tbl, include_foreign_key_constraints=[]).compile(dialect=postgresql.dialect()))
    ddl = ddl.replace(f"CREATE TABLE {name}", f'CREATE TABLE "{schema}".{name}', 1)
    conn.execute(ddl)
    for ix in tbl.indexes:
        text = str(CreateIndex(ix).compile(dialect=postgresql.dialect()))
        conn.execute(text.replace(f" ON {name} ", f' ON "{schema}".{name} ', 1).replace(
            f"INDEX {ix.name}", f"INDEX {ix.name}_raw", 1))


# -- a) throughput -------------------------------------------------------------------------------------------
def throughput_run(pg: str, n: int, template: Path, folder: Path, profile: bool = False) -> dict[str, float]:
    from workstation.sync.client import LocalTransport
    from workstation.sync.unit import UnitSync

    central = Central(pg, folder)
    try:
        a = enrol_unit(central, template, folder / "A", "BENCHA")
        b = enrol_unit(central, template, folder / "B", "BENCHB")
        t0 = time.perf_counter()
        make_changes(a, n)
        made = time.perf_counter() - t0
        copy_s = raw_copy(pg, outbox_rows(a))
        gc.collect()  # the baseline's decoded rows are gone before the clock starts (not scanned by the collector)
        sa, sb = UnitSync(a.ctx), UnitSync(b.ctx)
        ta, tb = LocalTransport(central.sync, "BENCHA"), LocalTransport(central.sync, "BENCHB")
        prof = _profiler() if profile else None
        start, cpu = time.perf_counter(), time.process_time()
        with prof or contextlib.nullcontext():
            pushed, _ = sa._push(ta, sa.node(), None)
        push_s, push_cpu = time.perf_counter() - start, time.process_time() - cpu
        if prof:
            _report(prof, "push")
        prof = _profiler() if profile else None
        start, cpu = time.perf_counter(), time.process_time()
        with prof or contextlib.nullcontext():
            pulled, _ = sb._pull(tb, sb.node(), None)
        pull_s, pull_cpu = time.perf_counter() - start, time.process_time() - cpu
        if prof:
            _report(prof, "pull")
        if pushed != n or pulled != n:
            raise SystemExit(f"pushed {pushed}, pulled {pulled}: expected {n} each")
        for svc in (a, b):
            svc.ctx.db.dispose()
        return {"made": made, "copy": copy_s, "push": push_s, "pull": pull_s, "push_cpu": push_cpu,
                "pull_cpu": pull_cpu}
    finally:
        central.close()


def _profiler():
    import cProfile

    return cProfile.Profile(time.process_time)  # CPU time: on a loaded machine wall time is mostly waiting


def _report(prof, what: str) -> None:
    import pstats

    # BENCH_SORT (a pstats key, default tottime) and BENCH_TOP (default 18) choose what is printed
    key, top = os.environ.get("BENCH_SORT", "tottime"), int(os.environ.get("BENCH_TOP", "18"))
    print(f"\n-- profile of the {what}, CPU time (top {top} by {key}) --")
    pstats.Stats(prof).sort_stats(key).print_stats(top)


def throughput(pg: str, n: int, runs: int, profile: bool) -> None:
    print(f"\na) {n:,} changes ({n // PER_TXN:,} cases + events, {PER_TXN} rows per unit transaction): unit SQLite "
          f"→ central PostgreSQL (push, in process), central → second unit (pull), against raw COPY; {runs} runs")
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        template = unit_template(Path(tmp))
        for r in range(runs):
            folder = Path(tmp) / f"run{r}"
            folder.mkdir()
            res = throughput_run(pg, n, template, folder, profile=profile and r == 0)
            results.append(res)
            print(f"  run {r + 1}: made {res['made']:.1f} s; COPY {res['copy']:.2f} s; push {res['push']:.1f} s; "
                  f"pull {res['pull']:.1f} s (client CPU {res['push_cpu']:.2f} / {res['pull_cpu']:.2f} s); push ratio {res['copy'] / res['push']:.3f}, "
                  f"pull ratio {res['copy'] / res['pull']:.3f}", flush=True)
    print(f"  {'what':<34}{'median s':>10}{'changes/s':>12}{'ratio to COPY':>15}")
    copy_med = median([r["copy"] for r in results])
    print(f"  {'raw COPY (psycopg cursor.copy)':<34}{copy_med:>10.2f}{n / copy_med:>12,.0f}{1:>15.3f}")
    for key, label in (("push", "push (unit → central)"), ("pull", "pull (central → second unit)")):
        med = median([r[key] for r in results])
        ratio = median([r["copy"] / r[key] for r in results])
        print(f"  {label:<34}{med:>10.2f}{n / med:>12,.0f}{ratio:>15.3f}")
    both = median([r["copy"] / (r["push"] + r["pull"]) for r in results])
    print(f"  {'push + pull':<34}{median([r['push'] + r['pull'] for r in results]):>10.2f}{'':>12}{both:>15.3f}")
    print("  goal: ≥ 0.25 of raw COPY")


# -- b) the field link ---------------------------------------------------------------------------------------
def _sh(*cmd: str, ns: bool = False) -> None:
    full = (["ip", "netns", "exec", NS] if ns else []) + list(cmd)
    subprocess.run(full, check=True, capture_output=True, text=True)


def make_link(netem: bool) -> str | None:
    """The namespace and veth pair (netem on both ends when `netem`); None when made, else the reason."""
    drop_link()
    if os.geteuid() != 0:
        return "not root"
    if not shutil.which("ip") or not shutil.which("tc"):
        return "ip or tc missing"
    try:
        _sh("ip", "netns", "add", NS)
        _sh("ip", "link", "add", VETH_HOST, "type", "veth", "peer", "name", VETH_NS)
        _sh("ip", "link", "set", VETH_NS, "netns", NS)
        _sh("ip", "addr", "add", f"{HOST_IP}/24", "dev", VETH_HOST)
        _sh("ip", "link", "set", VETH_HOST, "up")
        _sh("ip", "addr", "add", f"{NS_IP}/24", "dev", VETH_NS, ns=True)
        _sh("ip", "link", "set", VETH_NS, "up", ns=True)
        _sh("ip", "link", "set", "lo", "up", ns=True)
    except (subprocess.CalledProcessError, OSError) as exc:
        drop_link()
        err = getattr(exc, "stderr", "") or str(exc)
        return f"{' '.join(getattr(exc, 'cmd', []) or [])}: {err.strip()[:200]}"
    if netem:
        try:
            _sh("tc", "qdisc", "add", "dev", VETH_HOST, "root", "netem", "delay", "300ms", "rate", "256kbit")
            _sh("tc", "qdisc", "add", "dev", VETH_NS, "root", "netem", "delay", "300ms", "rate", "256kbit", ns=True)
            return None
        except subprocess.CalledProcessError as exc:
            LINK["netem_error"] = (exc.stderr or "").strip()[:200]
            subprocess.run(["tc", "qdisc", "del", "dev", VETH_HOST, "root"], capture_output=True)
        # no sch_netem in this kernel: the rate by tbf on both ends, the delay by RELAY (user space)
        try:
            for dev, ns in ((VETH_HOST, False), (VETH_NS, True)):
                _sh("tc", "qdisc", "add", "dev", dev, "root", "tbf", "rate", "256kbit", "burst", "4kb", "latency",
                    "2000ms", ns=ns)
        except subprocess.CalledProcessError as exc:
            drop_link()
            return f"neither netem nor tbf: {LINK['netem_error']}; {(exc.stderr or '').strip()[:200]}"
        LINK["relay"] = True
    return None


def relay(listen_port: int, host: str, port: int, delay: float) -> None:
    """A TCP relay that holds every chunk `delay` seconds in each direction, in order (the latency netem
    would add); runs in the namespace, in front of the server reached through the rate-limited veth."""
    import asyncio

    async def pipe(reader, writer):
        queue: asyncio.Queue = asyncio.Queue()

        async def read():
            while data := await reader.read(65536):
                queue.put_nowait((time.monotonic() + delay, data))
            queue.put_nowait((time.monotonic() + delay, b""))

        async def write():
            while True:
                due, data = await queue.get()
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                if not data:
                    with contextlib.suppress(OSError):
                        writer.write_eof()
                    return
                writer.write(data)
                await writer.drain()

        await asyncio.gather(read(), write())

    async def handle(r1, w1):
        r2, w2 = await asyncio.open_connection(host, port)
        with contextlib.suppress(OSError):
            await asyncio.gather(pipe(r1, w2), pipe(r2, w1))
        w1.close()
        w2.close()

    async def serve():
        srv = await asyncio.start_server(handle, "127.0.0.1", listen_port)
        async with srv:
            await srv.serve_forever()

    asyncio.run(serve())


def drop_link() -> None:
    LINK.clear()
    subprocess.run(["ip", "link", "del", VETH_HOST], capture_output=True)
    subprocess.run(["ip", "netns", "del", NS], capture_output=True)


def _env(settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKSTATION_")}
    env.update(WORKSTATION_DATABASE_URL=settings.effective_database_url, WORKSTATION_DATA_DIR=str(settings.data_dir),
               WORKSTATION_PASSWORD_HASHING="fast")
    if settings.unit_code:
        env["WORKSTATION_UNIT_CODE"] = settings.unit_code
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def link_run(pg: str, n: int, template: Path, folder: Path, netem: bool) -> dict[str, Any]:
    """One unit syncing n changes through `workstation sync` in the namespace; seconds and the summary."""
    import httpx

    reason = make_link(netem)
    if reason:
        return {"skipped": reason}
    mode = ("no shaping" if not netem else
            f"tbf 256kbit + relay 300 ms each way (no sch_netem: {LINK.get('netem_error')})" if LINK.get("relay")
            else "netem 300ms 256kbit")
    central = Central(pg, folder)
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "workstation.cli", "sync-server", "--listen", f"{HOST_IP}:{port}"],
                              env=_env(central.services.ctx.settings), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    try:
        url = f"http://{HOST_IP}:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise SystemExit("sync-server did not start") from None
                time.sleep(0.1)
        relay_proc = None
        if LINK.get("relay"):
            rport = _free_port()
            relay_proc = subprocess.Popen(["ip", "netns", "exec", NS, sys.executable, "-m", "bench.sync", "--relay",
                                           f"{rport}:{HOST_IP}:{port}"], stdout=subprocess.DEVNULL)
            url = f"http://127.0.0.1:{rport}"  # inside the namespace
            time.sleep(1.0)
        unit = enrol_unit(central, template, folder / "U", "BENCHL", server_url=url)
        make_changes(unit, n)
        settings = unit.ctx.settings
        unit.ctx.db.dispose()
        start = time.perf_counter()
        done = subprocess.run(["ip", "netns", "exec", NS, sys.executable, "-m", "workstation.cli", "sync", "--json"],
                              env=_env(settings), capture_output=True, text=True, timeout=3600)
        wall = time.perf_counter() - start
        if relay_proc is not None:
            relay_proc.terminate()
            relay_proc.wait(10)
        if done.returncode != 0:
            raise SystemExit(f"workstation sync failed: {done.stderr[-800:]}")
        return {"wall": wall, "summary": json.loads(done.stdout), "mode": mode, **payload_bytes(central, settings)}
    finally:
        server.terminate()
        server.wait(10)
        central.close()
        drop_link()


def payload_bytes(central: Central, settings) -> dict[str, int]:
    """What the sync carried, as the JSON bodies travel (uncompressed) and as gzip would make them: the
    changes pushed (the unit's outbox) and central's feed pulled back from the unit's enrolment cursor."""
    import gzip

    from sqlalchemy import select

    from db.engine import Database
    from db.models_sync import SyncChange
    from workstation.sync.unit import _outbox_entry

    db = Database(settings.effective_database_url)
    try:
        with db.read() as s:
            up = json.dumps([_outbox_entry(r) for r in s.scalars(select(SyncChange).order_by(SyncChange.seq))],
                            separators=(",", ":")).encode()
    finally:
        db.dispose()
    code = settings.unit_code
    epoch = central.sync.state(code, 1)["epoch"]
    down, after = b"", 0
    with central.services.ctx.db.read() as s:
        after = min(int(x) for x in s.scalars(select(SyncChange.seq).where(SyncChange.origin == code))) - 1
    while True:
        page = central.sync.pull(code, epoch, after, 1000)
        down += json.dumps(page, separators=(",", ":")).encode()
        after = page["next"]
        if not page["more"]:
            break
    return {"up": len(up), "up_gz": len(gzip.compress(up)), "down": len(down), "down_gz": len(gzip.compress(down))}


def link(pg: str, n: int, runs: int) -> None:
    print(f"\nb) the unit syncs {n:,} changes over a link of 256 kbit/s with 300 ms latency (tc netem on both ends of "
          f"a veth pair into network namespace {NS}, or tbf + a relay delaying 300 ms each way where the kernel has "
          f"no sch_netem); `workstation sync` in the namespace, `sync-server` outside; "
          f"{runs} runs each")
    walls: dict[bool, list[float]] = {True: [], False: []}
    with tempfile.TemporaryDirectory(prefix="bench-sync-link-") as tmp:
        template = unit_template(Path(tmp))
        for r in range(runs):
            for netem in (False, True):
                folder = Path(tmp) / f"{'slow' if netem else 'fast'}{r}"
                folder.mkdir()
                res = link_run(pg, n, template, folder, netem)
                if "skipped" in res:
                    print(f"  SKIPPED: the network namespace could not be made ({res['skipped']}); (b) needs root, "
                          "ip and tc (iproute2) and a kernel with veth and sch_netem")
                    return
                walls[netem].append(res["wall"])
                sizes = (f"; pushed {res['up'] / 1024:.0f} KiB (gzip {res['up_gz'] / 1024:.0f}), pulled "
                         f"{res['down'] / 1024:.0f} KiB (gzip {res['down_gz'] / 1024:.0f})")
                print(f"  run {r + 1} {res['mode']}: {res['wall']:.1f} s {res['summary']}{sizes}",
                      flush=True)
    fast, slow = median(walls[False]), median(walls[True])
    print(f"  {'what':<44}{'median s':>10}")
    print(f"  {'same veth, no shaping (process start included)':<44}{fast:>10.1f}")
    print(f"  {'256 kbit/s, 300 ms each way':<44}{slow:>10.1f}   ({slow / fast:.1f}× the fast link)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL URL for central (scratch schemas, dropped after)")
    ap.add_argument("--changes", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--link-changes", type=int, default=1000)
    ap.add_argument("--link-runs", type=int, default=3)
    ap.add_argument("--no-link", action="store_true", help="skip (b)")
    ap.add_argument("--no-throughput", action="store_true", help="skip (a)")
    ap.add_argument("--profile", action="store_true", help="cProfile the first run's push and pull")
    ap.add_argument("--relay", metavar="PORT:HOST:PORT", help=argparse.SUPPRESS)  # (b) without sch_netem
    args = ap.parse_args()
    if args.relay:
        listen, host, port = args.relay.split(":")
        relay(int(listen), host, int(port), DELAY_S)
        return
    print(f"machine: {machine()}; {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; load average "
          f"{os.getloadavg()[0]:.1f}")
    if not args.no_throughput:
        throughput(args.pg, args.changes, args.runs, args.profile)
    if not args.no_link:
        link(args.pg, args.link_changes, args.link_runs)


if __name__ == "__main__":
    main()
