"""Risk selection cost (issue #16): assessing an e-CD with 1,000 active targeting profiles against assessing it
without profiles (goal: within 2x).

Run: python -m bench.risk [--docs N] [--runs R] [--profiles P]

A scratch SQLite store (temp dir) holds the value-check history (20,000 past unit values) and a random rate.
Measured in the same run, per e-CD, all in one read transaction as the intake does it:
  assess        baseline 0: parse + rule assessment (no risk at all)
  no profiles   baseline: parse + assess + select_for_ecd with no profile stored (value check, random draw)
  P profiles    parse + assess + select_for_ecd with P active profiles (flights, ports, nationalities, HS
                chapters, values; 5 % with traveller history conditions, so some e-CDs read their history)
Medians of R runs of CPU and wall time; the ratio that counts is "P profiles" / "no profiles".
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from bench.ecd_assess import make_docs, make_rates
from workstation.domain.ecd import parse_ecd
from workstation.rules.ecd import assess

FLIGHTS = [f"{c}{n}" for c in ("GA", "SQ", "QR", "JL", "MH", "EK") for n in range(100, 140)]
PORTS = ["NRT", "SIN", "DOH", "KUL", "DXB", "HKG", "ICN", "SYD", "AMS", "JED"]
NATIONS = ["IDN", "SGP", "MYS", "JPN", "AUS", "CHN", "KOR", "NLD", "SAU", "USA", "GBR", "DEU"]


def make_profiles(n: int, seed: int = 16) -> str:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        kind = i % 20
        if kind < 8:
            cond: dict = {"flight": [rnd.choice(FLIGHTS)], "hs_chapters": [str(rnd.randrange(10, 97))]}
        elif kind < 12:
            cond = {"origin_port": [rnd.choice(PORTS)], "declared_value_min_usd": str(rnd.randrange(300, 3000))}
        elif kind < 16:
            cond = {"nationality": [rnd.choice(NATIONS)], "hs_chapters": [str(rnd.randrange(10, 97))]}
        elif kind < 19:
            cond = {"arrival_port": [rnd.choice(["CGK", "DPS", "KNO", "SUB"])],
                    "hs_chapters": [f"{rnd.randrange(10, 97)}{rnd.randrange(10, 99)}"],
                    "declared_value_min_usd": str(rnd.randrange(100, 5000))}
        else:
            cond = {"trips_min": rnd.randrange(3, 8), "trips_days": 90, "origin_port": [rnd.choice(PORTS)]}
        out.append({"code": f"B{i:05d}", "workflow": "ecd", "name": f"bench {i}", "reason": "bench",
                    "valid_from": "2020-01-01", "conditions": cond})
    return json.dumps({"format": "risk/1", "profiles": out})


def open_store(path: Path):
    from db.models_risk import RiskValueObservation
    from workstation.config import load_settings
    from workstation.services import open_services
    from workstation.services.base import cli_actor
    from workstation.services.risk import risk_service

    settings = load_settings(None, office={"code": "040300"}, database_url=f"sqlite:///{path / 'risk.sqlite'}", data_dir=path / "data")
    services = open_services(settings)
    actor = cli_actor(settings)
    risk = risk_service(services)
    risk.import_profiles(actor, json.dumps({"format": "risk/1", "random": [{"workflow": "ecd", "rate": "0.02"}]}))
    # value-check history: 20,000 unit values across the benchmark's HS codes and currencies (one fake case)
    import datetime as dt
    import uuid

    from db.models import Case

    rnd = random.Random(3)
    with services.ctx.db.write() as s:
        case = Case(id=uuid.uuid4(), kind="ECD", reference="BENCH-HISTORY", office_code="040300", state="RELEASED",
                    lane="green", reasons=[], flags=[], opened_on=dt.date(2024, 1, 1), summary={})
        s.add(case)
        s.flush()
        for _ in range(20_000):
            s.add(RiskValueObservation(case_id=case.id, kind="ECD", hs=rnd.choice(
                ["847130", "851713", "620342", "640399", "420222", "852589", "090111", "930700"]), origin="NRT",
                currency=rnd.choice(["USD", "EUR", "JPY", "SGD", "IDR"]),
                unit_value=Decimal(rnd.randrange(100, 90000)).scaleb(-2), observed_on=dt.date(2024, 6, 1)))
    return services, actor, risk


def timed(fn, items, runs: int) -> tuple[float, float]:
    """Median (CPU, wall) microseconds per item over `runs` runs."""
    cpu, wall = [], []
    for _ in range(runs):
        c0, w0 = time.process_time(), time.perf_counter()
        fn(items)
        cpu.append((time.process_time() - c0) * 1e6 / len(items))
        wall.append((time.perf_counter() - w0) * 1e6 / len(items))
    return statistics.median(cpu), statistics.median(wall)


def main() -> None:
    from workstation.services.risk.selection import select_for_ecd

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=500)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--profiles", type=int, default=1000)
    args = ap.parse_args()
    texts = make_docs(args.docs)
    rates = make_rates()
    with tempfile.TemporaryDirectory() as tmp:
        services, actor, risk = open_store(Path(tmp))

        def assess_only(items):
            for t in items:
                assess(parse_ecd(t), rates)

        def with_risk(items):
            with services.ctx.db.read() as s:
                for t in items:
                    doc = parse_ecd(t)
                    d = assess(doc, rates)
                    select_for_ecd(s, doc, doc.arrival.date, goods_usd=d.assessment.goods_usd)

        assess_only(texts[:50])
        with_risk(texts[:50])
        bare = timed(assess_only, texts, args.runs)
        none = timed(with_risk, texts, args.runs)
        risk.import_profiles(actor, make_profiles(args.profiles))
        with services.ctx.db.read() as s:
            hits = 0
            for t in texts:
                doc = parse_ecd(t)
                hits += bool(select_for_ecd(s, doc, doc.arrival.date).profiles)
        many = timed(with_risk, texts, args.runs)
        services.ctx.db.dispose()

    print(f"risk selection benchmark: {args.docs} e-CDs, {args.profiles} profiles ({hits} e-CDs matched one), "
          f"median of {args.runs} runs")
    print(f"machine: {platform.python_implementation()} {platform.python_version()} on {platform.machine()}, "
          f"{platform.platform(terse=True)}")
    print(f"{'what':<34}{'CPU us':>9}{'wall us':>9}{'CPU ratio':>11}{'wall ratio':>11}")
    for label, (c, w) in (("assess (no risk)", bare), ("assess + risk, no profiles", none),
                          (f"assess + risk, {args.profiles} profiles", many)):
        print(f"{label:<34}{c:9.0f}{w:9.0f}{c / none[0]:11.2f}{w / none[1]:11.2f}")
    ratio = many[0] / none[0]
    print(f"{args.profiles} profiles / no profiles: {ratio:.2f}x CPU, {many[1] / none[1]:.2f}x wall "
          f"(goal <= 2x: {'met' if ratio <= 2 else 'NOT met'})")


if __name__ == "__main__":
    main()
