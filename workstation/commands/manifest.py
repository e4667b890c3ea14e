"""`workstation manifest import FILE...`: BC 1.1 inward-manifest lines (CSV, header
`bc11_number,bc11_date,pos,subpos,bl_number,bl_date,consignee,packages,package_unit,containers`, containers
separated by spaces). The PIB intake checks each PIB's BC 1.1 reference and B/L against these lines.
Idempotent; a line stored with other content is refused and nothing of that file is written."""

from __future__ import annotations

import argparse


def register(sub) -> None:
    p = sub.add_parser("manifest", help="BC 1.1 inward manifests")
    s = p.add_subparsers(dest="manifest_command", metavar="ACTION", required=True)
    i = s.add_parser("import", help="store BC 1.1 manifest lines from CSV file(s)",
                     description="Store BC 1.1 inward-manifest lines. Each FILE is CSV (UTF-8) with the header "
                     "bc11_number,bc11_date,pos,subpos,bl_number,bl_date,consignee,packages,package_unit,"
                     "containers (containers separated by spaces). The PIB intake checks each PIB's BC 1.1 "
                     "reference and B/L against these lines. Idempotent; a line stored with other content is "
                     "refused and nothing of that file is written.")
    i.add_argument("files", nargs="+", metavar="FILE")
    i.set_defaults(handler=import_manifest)


def import_manifest(args: argparse.Namespace) -> int:
    from workstation import inputs
    from workstation.commands.common import read_csv_text, services_from, source_label
    from workstation.services.base import cli_actor

    texts = [read_csv_text(path) for path in args.files]  # every file bounded and checked before any is stored
    services = services_from(args)
    actor = cli_actor(services.settings)
    for path, text in zip(args.files, texts, strict=True):
        counts = services.pib.import_manifest(actor, text=text, source=source_label(path))
        print(f"{inputs.one_line(inputs.short(path))}: {counts.added} lines added, {counts.unchanged} already stored")
    return 0
