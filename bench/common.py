"""Shared helpers for the benchmarks: run a command several times, alternating with its baseline, and report
medians and the ratio pair by pair (so a drift of the machine's speed cancels out)."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import time
from collections.abc import Sequence


def run_measured(cmd: Sequence[str], env: dict | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one run of `cmd`, from the kernel's accounting of that child."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        raise SystemExit(f"benchmark command failed: {' '.join(cmd)}\n{err}")
    return wall, usage.ru_maxrss


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def machine() -> str:
    return f"{platform.machine()} {os.cpu_count()} cpu, Python {platform.python_version()}, {platform.system()}"


def pairs(a_cmd, b_cmd, runs: int, env=None, warmup: int = 1):
    """Run A and B alternately; return lists of (wall, rss) for each."""
    for _ in range(warmup):
        run_measured(a_cmd, env)
        run_measured(b_cmd, env)
    a, b = [], []
    for _ in range(runs):
        a.append(run_measured(a_cmd, env))
        b.append(run_measured(b_cmd, env))
    return a, b


def pg_schema_url(base: str, schema: str) -> str:
    """`base` (a PostgreSQL URL) with its search_path set to `schema`, created if missing: a scratch store that
    leaves the database's other schemas alone."""
    from sqlalchemy import create_engine, text

    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    admin.dispose()
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def drop_pg_schema(base: str, schema: str) -> None:
    """Drop a scratch schema made by `pg_schema_url`, with everything in it."""
    from sqlalchemy import create_engine, text

    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()
