"""e-CD parse + assess per second, in process (goal, issue #17 item 8: >= 20,000/s end to end, CPU time).

Run: python -m bench.ecd_assess [--docs N] [--runs R]

A seeded, varied set of ecd/1 declarations (families, crew, pilgrims, several currencies, excise goods,
cash, flags, both rule sets) is built once. Measured in the same run:
  parse      baseline: ecd/1 JSON text -> validated EcdDocument (pydantic), `parse_ecd`
  walked     the same through `jsondoc.load_json` (the text policy applied string by string, then validation
             of the decoded objects: the parse before issue #17 item 8; `parse_ecd` checks a clean document's
             text once, lets pydantic-core read the JSON itself, and gives the same value)
  assess     decision for an already-parsed document (what the counter and `ecd import` call)
  end-to-end parse + assess (the goal)
Each figure is the median of R runs over all N documents, in CPU time of this process (other load on a
shared machine matters less) and in wall-clock time; ratios are against the parse baseline.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import time
from decimal import Decimal

from workstation.domain.ecd import ecd_from_obj, parse_ecd
from workstation.domain.jsondoc import load_json
from workstation.rules.ecd import assess
from workstation.rules.rates import RateRow, RateTable

GOAL = 20_000
CURRENCIES = ["USD", "USD", "USD", "EUR", "JPY", "SGD", "IDR"]
HS = ["847130", "851713", "620342", "640399", "420222", "852589", "090111", "930700", None]


def make_docs(n: int, seed: int = 20261121) -> list[str]:
    rnd = random.Random(seed)
    docs = []
    for i in range(n):
        arrival = dt.date(2024, 1, 1) + dt.timedelta(days=rnd.randrange(0, 3 * 365))
        submitted = dt.datetime.combine(arrival - dt.timedelta(days=rnd.choice([0, 1, 2])), dt.time(9, 15))
        family = [
            {"name": f"Member {k}", "passport": f"X{i:06d}{k}",
             "birth_date": (arrival - dt.timedelta(days=rnd.randrange(200, 70 * 365))).isoformat()}
            for k in range(rnd.choice([0, 0, 0, 1, 2, 3]))
        ]
        goods = []
        for _ in range(rnd.choice([0, 1, 1, 2, 3, 5])):
            cur = rnd.choice(CURRENCIES)
            scale = {"JPY": 100, "IDR": 16000}.get(cur, 1)
            goods.append({
                "description": "item", "hs_code": rnd.choice(HS), "quantity": rnd.randint(1, 3), "unit": "PCE",
                "value": str(Decimal(rnd.randrange(100, 90000)).scaleb(-2) * scale),
                "currency": cur, "personal_use": rnd.random() > 0.05,
            })
        docs.append(json.dumps({
            "format": "ecd/1",
            "ecd_id": f"ECD-{arrival:%Y%m%d}-{i:06d}",
            "submitted_at": submitted.isoformat() + "+07:00",
            "arrival": {"date": arrival.isoformat(), "port": rnd.choice(["CGK", "DPS", "KNO", "SUB"]),
                        "carrier": "GA", "flight": "GA881", "from_port": "NRT"},
            "declarant": {"name": "Traveller", "passport": f"C{i:07d}", "nationality": "IDN",
                          "birth_date": (arrival - dt.timedelta(days=rnd.randrange(16 * 365, 80 * 365))).isoformat(),
                          "traveller_type": rnd.choice(["passenger"] * 6 + ["crew", "hajj_regular", "hajj_special"]),
                          "npwp": rnd.choice([None, "012345678901000"])},
            "family_members": family,
            "goods": goods,
            "excise": {"cigarettes": rnd.choice([0, 0, 0, 200, 400]), "cigars": rnd.choice([0, 0, 10, 30]),
                       "sliced_tobacco_g": rnd.choice([0, 0, 50]), "alcohol_l": rnd.choice(["0", "0", "1", "2.5"])},
            "cash": [{"currency": rnd.choice(["IDR", "USD", "JPY"]), "amount": str(rnd.choice([0, 500, 7000, 2_000_000])),
                      "bearer_instrument": False} for _ in range(rnd.choice([0, 1, 2]))],
            "carrying": {"animals_fish_plants": rnd.random() < 0.03, "narcotics_psychotropics": False,
                         "weapons_ammunition_explosives": rnd.random() < 0.01, "pornography": False},
        }))
    return docs


def make_rates() -> RateTable:
    start = dt.date(2023, 12, 27)  # a Wednesday: weekly NDPBM periods, Wednesday to Tuesday
    rnd = random.Random(7)
    rows = []
    for week in range(170):
        vf = start + dt.timedelta(weeks=week)
        vt = vf + dt.timedelta(days=6)
        for cur, base in (("USD", 15500), ("EUR", 17000), ("JPY", 10500), ("SGD", 11800)):
            rows.append(RateRow(cur, Decimal(base + rnd.randrange(-300, 300)), vf, vt))
    return RateTable.from_rows(rows)


def rate_per_second(fn, items, runs: int) -> tuple[float, float]:
    """Median (CPU, wall-clock) items per second over `runs` runs."""
    cpu, wall = [], []
    for _ in range(runs):
        c0, w0 = time.process_time(), time.perf_counter()
        fn(items)
        c1, w1 = time.process_time(), time.perf_counter()
        cpu.append(len(items) / max(c1 - c0, 1e-9))
        wall.append(len(items) / (w1 - w0))
    return statistics.median(cpu), statistics.median(wall)


def _load() -> str:
    """The 1-minute load average (other work on the machine shows in CPU time too: shared caches, SMT)."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "unknown"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()

    texts = make_docs(args.docs)
    rates = make_rates()
    parsed = [parse_ecd(t) for t in texts]
    walked = [ecd_from_obj(load_json(t, source="ecd")) for t in texts]
    # The shortcut changes nothing (to_json tells Decimal("1") from Decimal("1.0"), which == does not).
    assert parsed == walked and [d.to_json() for d in parsed] == [d.to_json() for d in walked]
    decisions = [assess(d, rates) for d in parsed]  # warm caches (rule sets, rates) outside the timing
    lanes = sum(d.lane == "red" for d in decisions)

    def parse_only(items):
        for t in items:
            parse_ecd(t)

    def parse_walked(items):
        for t in items:
            ecd_from_obj(load_json(t, source="ecd"))

    def assess_only(items):
        for d in items:
            assess(d, rates)

    def end_to_end(items):
        for t in items:
            assess(parse_ecd(t), rates)

    load_before = _load()
    parse_rate = rate_per_second(parse_only, texts, args.runs)
    walked_rate = rate_per_second(parse_walked, texts, args.runs)
    assess_rate = rate_per_second(assess_only, parsed, args.runs)
    e2e_rate = rate_per_second(end_to_end, texts, args.runs)

    print(f"e-CD assessment benchmark: {args.docs} declarations ({lanes} red), median of {args.runs} runs")
    print(f"machine: {platform.python_implementation()} {platform.python_version()} on {platform.machine()}, "
          f"{platform.platform(terse=True)}, {os.cpu_count()} CPUs; load average {load_before} before, "
          f"{_load()} after")
    print(f"{'what':<30}{'CPU /s':>10}{'us each':>9}{'vs parse':>10}{'wall /s':>10}{'vs parse':>10}")
    for label, (cpu, wall) in (
        ("parse ecd/1 JSON (baseline)", parse_rate),
        ("parse, policy per string", walked_rate),
        ("assess parsed document", assess_rate),
        ("parse + assess (end to end)", e2e_rate),
    ):
        print(
            f"{label:<30}{cpu:>10,.0f}{1e6 / cpu:>9.1f}{cpu / parse_rate[0]:>10.2f}"
            f"{wall:>10,.0f}{wall / parse_rate[1]:>10.2f}"
        )
    verdict = "meets" if e2e_rate[0] >= GOAL else "MISSES"
    print(f"parse + assess {verdict} the goal of {GOAL:,}/s in CPU time ({e2e_rate[0] / GOAL:.2f}x); "
          f"assess alone {assess_rate[0] / GOAL:.2f}x")


if __name__ == "__main__":
    main()
