"""Official numbering against a raw counter `UPDATE … RETURNING` in its own transaction on the same engine
(all commit durably: SQLite WAL with synchronous=FULL; PostgreSQL synchronous_commit on):
- "number": the numbering mechanism alone — Database.write() (BEGIN IMMEDIATE / advisory lock), reserve the
  next number, counter advanced by the before-commit hook;
- "document": a whole issuance — number, canonical content, SHA-256, Ed25519 signature, document row,
  audit entry — which writes several rows and indexes per commit.
Run: python -m bench.numbering [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test] [--n 200 --rounds 5]"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import text

from bench.common import machine, median


def _setup(url: str, data_dir: Path):
    from workstation.config import load_settings
    from workstation.services import open_services

    settings = load_settings(None, database_url=url, data_dir=data_dir, password_hashing="fast")
    services = open_services(settings)
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


def bench_backend(label: str, url: str, data_dir: Path, n: int, rounds: int) -> None:
    services, actor = _setup(url, data_dir)
    engine = services.ctx.db.engine
    with engine.begin() as c:
        c.execute(text("INSERT INTO counters (office_code, unit_code, doc_type, year, last_value) "
                       "VALUES ('999999', '', 'RAW', 2026, 0)"))
    raw_sql = text("UPDATE counters SET last_value = last_value + 1 WHERE office_code = '999999' "
                   "AND unit_code = '' AND doc_type = 'RAW' AND year = 2026 RETURNING last_value")
    from db import numbering

    build = _builder(services)
    key = numbering.CounterKey("040300", "", "NUM", 2026)

    def number_only() -> None:
        with services.ctx.db.write() as s:
            numbering.next_seq(s, key)

    def document() -> None:
        services.issuance.issue(actor, "BA", build)

    def raw() -> None:
        with engine.begin() as c:
            c.execute(raw_sql).scalar_one()

    def rate(fn) -> float:
        t = time.perf_counter()
        for _ in range(n):
            fn()
        return n / (time.perf_counter() - t)

    for what, fn in (("number", number_only), ("document", document)):
        ours_rates, raw_rates, ratios = [], [], []
        for _ in range(rounds):  # alternate, so drift of the machine hits both
            ours, base = rate(fn), rate(raw)
            ours_rates.append(ours)
            raw_rates.append(base)
            ratios.append(ours / base)
        print(f"{label:<12}{what:<10}{median(ours_rates):>10.0f}{median(raw_rates):>12.0f}{median(ratios):>8.2f}")
    services.ctx.db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg", help="PostgreSQL URL (a scratch schema is created and dropped)")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    print(f"machine: {machine()}; {args.rounds} rounds of {args.n}; medians")
    print(f"{'back end':<12}{'what':<10}{'per s':>10}{'raw upd/s':>12}{'ratio':>8}")
    with tempfile.TemporaryDirectory() as d:
        bench_backend("sqlite", f"sqlite:///{d}/bench.sqlite", Path(d), args.n, args.rounds)
        if args.pg:
            from sqlalchemy import create_engine

            schema = f"bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(text(f'CREATE SCHEMA "{schema}"'))
            sep = "&" if "?" in args.pg else "?"
            try:
                bench_backend("postgresql", f"{args.pg}{sep}options=-csearch_path%3D{schema}", Path(d) / "pg",
                              args.n, args.rounds)
            finally:
                with admin.connect() as c:
                    c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
