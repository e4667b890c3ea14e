"""`workstation tariff import FILE` (BTKI posts: `hs_code,description,bm_rate`), `tariff lartas FILE` (the
lartas table: `hs_prefix,permit,agency`) and `tariff import --sample` (the shipped sample tables). The PIB
intake checks every HS code against the tariff table and flags lines the lartas table restricts."""

from __future__ import annotations

import argparse


def register(sub) -> None:
    p = sub.add_parser("tariff", help="tariff (BTKI) and lartas tables")
    s = p.add_subparsers(dest="tariff_command", metavar="ACTION", required=True)
    i = s.add_parser("import", help="store tariff posts from a CSV (hs_code,description,bm_rate)",
                     description="Store BTKI tariff posts. FILE is CSV (UTF-8) with the header "
                     "hs_code,description,bm_rate: an HS code of the digits today's rule set uses (BTKI 2022: 10), "
                     "its description, the import duty (BM) rate in percent (e.g. 7.5). The whole file or nothing. --sample loads the shipped sample tariff and lartas tables "
                     "instead. Idempotent: prints how many posts were added, changed and unchanged.")
    i.add_argument("file", nargs="?", metavar="FILE")
    i.add_argument("--sample", action="store_true", help="load the shipped sample tariff and lartas tables")
    i.set_defaults(handler=import_tariff)
    lt = s.add_parser("lartas", help="store lartas rules from a CSV (hs_prefix,permit,agency)",
                      description="Store lartas (import restriction) rules. FILE is CSV (UTF-8) with the header "
                      "hs_prefix,permit,agency: an HS code prefix, the permit it needs and the issuing agency. "
                      "The PIB intake flags lines whose HS code starts with a prefix.")
    lt.add_argument("file", metavar="FILE")
    lt.set_defaults(handler=import_lartas)


def _report(label: str, counts) -> None:
    from workstation import inputs

    print(f"{inputs.one_line(inputs.short(label))}: {counts.added} added, {counts.changed} changed, "
          f"{counts.unchanged} unchanged")


def import_tariff(args: argparse.Namespace) -> int:
    from workstation.commands.common import read_csv_text, services_from, source_label
    from workstation.domain.errors import ErrorCode
    from workstation.errors import InputError
    from workstation.services.base import cli_actor

    if bool(args.file) == bool(args.sample):
        raise InputError("give a FILE or --sample (not both)", code=ErrorCode.REQUIRED, field="file")
    text = read_csv_text(args.file) if args.file else None  # bounded and checked before the database opens
    services = services_from(args)
    actor = cli_actor(services.settings)
    if args.sample:
        tariff, lartas = services.pib.import_sample_tables(actor)
        _report("sample tariff", tariff)
        _report("sample lartas", lartas)
        return 0
    _report(args.file, services.pib.import_tariff(actor, text=text, source=source_label(args.file)))
    return 0


def import_lartas(args: argparse.Namespace) -> int:
    from workstation.commands.common import read_csv_text, services_from, source_label
    from workstation.services.base import cli_actor

    text = read_csv_text(args.file)
    services = services_from(args)
    _report(args.file, services.pib.import_lartas(cli_actor(services.settings), text=text,
                                                  source=source_label(args.file)))
    return 0
