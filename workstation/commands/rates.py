"""`workstation rates import FILE` — the NDPBM exchange rates: the workstation's CSV (CONTRACTS.md "Exchange
rates file") or the Ministry's own formats, the NLE kurs API JSON and the weekly decree table, detected from the
content (workstation/formats/kurs.py)."""

from __future__ import annotations

import argparse

FORMATS_HELP = """\
Store NDPBM rates (rupiah per unit of a currency; JPY per 100 yen) from one of three formats, detected
from the content:

  NDPBM CSV         header currency,rate_idr,valid_from,valid_to; ISO dates, inclusive; an empty
                    valid_to means until further notice.
  NLE kurs JSON     the answer of the NLE API GET /openapi/kurs/{kodeValuta}:
                    {"status": "true", "data": [{"kodeValuta": "USD", "nilaiKurs": "16416",
                    "tglAwalBerlaku": "2026-11-25", "tglAkhirBerlaku": "2026-12-01"}]}, or a JSON
                    array of such answers (one per currency). Numbers read from their text.
  Decree table      the weekly Keputusan Menteri Keuangan table as text: a line
                    'Berlaku 25-11-2026 s.d. 01-12-2026' (Wednesday to Tuesday), then one row per
                    currency, cells separated by ';', tabs or '|': [no;] [name;] code; value in
                    Indonesian writing, e.g. '1;Dolar Amerika Serikat;USD;16.416,00'. Several weeks
                    may follow one another in one file.

In the Ministry formats every currency's weeks must follow one another: overlapping and missing weeks
are named, and nothing is stored. Idempotent: rates already stored are counted, not stored again; a
rate that contradicts a stored one, or overlaps a stored period, is refused with nothing written."""


def register(sub) -> None:
    p = sub.add_parser("rates", help="NDPBM exchange rates")
    s = p.add_subparsers(dest="rates_command", metavar="ACTION", required=True)
    i = s.add_parser("import", help="store NDPBM rates: CSV, NLE kurs JSON or the weekly decree table (idempotent)",
                     description=FORMATS_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    i.add_argument("file", metavar="FILE", help="rates file ('-' reads standard input)")
    i.set_defaults(handler=import_rates)


def import_rates(args) -> int:
    from workstation import inputs
    from workstation.commands.common import read_csv_text, services_from, source_label
    from workstation.errors import InputError
    from workstation.formats import kurs
    from workstation.services.base import cli_actor

    text = read_csv_text(args.file)  # bounded, UTF-8, no control characters: before the database is opened
    label = source_label(args.file)
    fmt = kurs.detect(text)
    labels: list[str] = []
    if fmt != kurs.CSV:  # read and checked (weeks included) before the database is opened
        _fmt, rows, labels = kurs.parse_ministry(text, source=label)
        text = kurs.rates_csv(rows)
    services = services_from(args)
    try:
        added, unchanged = services.reference.import_rates(cli_actor(services.settings), text=text, source=label)
    except InputError as exc:
        if not labels:
            raise
        raise relabelled(exc, labels) from None
    print(f"{inputs.one_line(inputs.short(args.file))}: {added} rates added, {unchanged} already stored "
          f"({kurs.FORMAT_NAMES[fmt]})")
    return 0


def relabelled(exc, labels: list[str]):
    """`exc` (raised by the reference service about the CSV made from a Ministry file) with the CSV's 'line N'
    turned back into the row of the file the user gave ('line 12' of the decree table, '[0].data[1]' of the
    NLE JSON): the CSV has one line per row, after its header."""
    import re

    from workstation.errors import InputError

    def back(m: re.Match) -> str:
        i = int(m[1]) - 2
        return labels[i] if 0 <= i < len(labels) else m[0]

    message = re.sub(r"\bline ([0-9]+)\b", back, exc.message)
    field = re.sub(r"\bline ([0-9]+)\b", back, exc.field or "") or None
    params = {k: v for k, v in exc.params.items() if k != "field"}
    return InputError(message, code=exc.code, field=field, params=params)
