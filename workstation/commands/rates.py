"""`workstation rates import RATES.csv` — the NDPBM table (CONTRACTS.md "Exchange rates file")."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("rates", help="NDPBM exchange rates")
    s = p.add_subparsers(dest="rates_command", metavar="ACTION", required=True)
    i = s.add_parser("import", help="store the rates of an NDPBM CSV (idempotent)")
    i.add_argument("file")
    i.set_defaults(handler=import_rates)


def import_rates(args) -> int:
    from workstation import inputs
    from workstation.commands.common import read_csv_text, services_from, source_label
    from workstation.services.base import cli_actor

    text = read_csv_text(args.file)  # bounded, UTF-8, no control characters: before the database is opened
    services = services_from(args)
    added, unchanged = services.reference.import_rates(cli_actor(services.settings), text=text,
                                                       source=source_label(args.file))
    print(f"{inputs.one_line(inputs.short(args.file))}: {added} rates added, {unchanged} already stored")
    return 0
