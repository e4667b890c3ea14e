"""`workstation risk ...` — targeting profiles, hit rates and pre-arrival data (issue #16; docs/risk.md)."""

from __future__ import annotations

import argparse

PROFILE_FORMAT = """\
FILE is JSON, format risk/1 (docs/risk.md):
  {"format": "risk/1",
   "profiles": [{"code": "CGK-ELEC", "workflow": "ecd", "name": "Electronics from Tokyo",
                 "reason": "undervalued laptops, Nov 2026 bulletin", "valid_from": "2026-11-01",
                 "valid_to": null, "active": true,
                 "conditions": {"arrival_port": ["CGK"], "origin_port": ["NRT"], "hs_chapters": ["84", "85"]}}],
   "random": [{"workflow": "ecd", "port": "CGK", "rate": "0.02"}, {"workflow": "pib", "port": "*", "rate": "0.01"}]}
e-CD conditions: arrival_port, flight, origin_port, nationality, hs_chapters, declared_value_min_usd,
previous_findings_min, trips_min (+ trips_days, default 365), value_outlier.
PIB conditions: importer (NPWP digits), hs, origin_country, value_outlier.
All conditions named must hold; a list holds when any value matches. A changed profile is stored as a new
version; an unchanged one adds nothing. A changed rate gets a fresh random seed (kept in the database)."""

PREARRIVAL_FORMAT = """\
FILE is one of (docs/risk.md):
  advance passenger list, CSV with header  arrival_date,port,flight,passport,nationality,name[,from_port]
  advance passenger list, JSON  {"format": "api/1", "passengers": [{"arrival_date": "2026-11-21",
      "port": "CGK", "flight": "GA881", "passport": "C1234567", "nationality": "IDN", "name": "..."}]}
  partner pre-declarations, JSON  {"format": "predeclaration/1", "declarations": [{"reference": "CN-EXP-1",
      "exporter": "...", "importer_npwp": "012345678901000", "bl_number": "MAEU260001101",
      "arrival_date": "2026-11-18", "items": [{"hs_code": "847130", "description": "laptops"}]}]}
Re-importing a record changes nothing. `risk prearrival check --from D --to D` lists what did not arrive
as announced: PASSENGER_WITHOUT_ECD, PREDECLARED_WITHOUT_PIB, GOODS_MISSING_FROM_PIB."""


def register(sub) -> None:
    p = sub.add_parser("risk", help="risk profiles, random selection, hit rates, pre-arrival data")
    s = p.add_subparsers(dest="risk_command", metavar="ACTION", required=True)
    raw = argparse.RawDescriptionHelpFormatter
    i = s.add_parser("import", help="store targeting profiles and random rates (risk/1 JSON)",
                     description="Store targeting profiles and random-selection rates.", epilog=PROFILE_FORMAT,
                     formatter_class=raw)
    i.add_argument("file")
    i.set_defaults(handler=import_profiles)
    e = s.add_parser("export", help="print (or write) the latest profiles and rates as risk/1 JSON",
                     epilog="Seeds are never exported.", formatter_class=raw)
    e.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    e.set_defaults(handler=export_profiles)
    r = s.add_parser("report", help="hit rates per profile, rule and random selection",
                     description="Selections, inspections, hits, hit rate with 95%% Wilson interval, duties "
                                 "recovered and lift over random selection, from --from to --to (inclusive).",
                     epilog="--json prints {\"from\", \"to\", \"rows\": [{\"group\": profile|rule|random|all, "
                            "\"key\", \"name\", \"selections\", \"inspected\", \"hits\", \"hit_rate\", \"ci_low\", "
                            "\"ci_high\", \"duties_idr\", \"lift\"}], \"weeks\": [...]}; rates are decimal strings.",
                     formatter_class=raw)
    r.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD")
    r.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD")
    r.add_argument("--json", action="store_true")
    r.set_defaults(handler=report)
    pa = s.add_parser("prearrival", help="advance passenger lists and partner pre-declarations")
    ps = pa.add_subparsers(dest="prearrival_command", metavar="ACTION", required=True)
    pi = ps.add_parser("import", help="store a passenger list (CSV / api/1) or pre-declarations",
                       description="Store an advance passenger list or partner pre-declarations (the format is "
                       "detected from the content).", epilog=PREARRIVAL_FORMAT, formatter_class=raw)
    pi.add_argument("file")
    pi.set_defaults(handler=prearrival_import)
    pc = ps.add_parser("check", help="pre-arrival records not matched on arrival", epilog=PREARRIVAL_FORMAT,
                       formatter_class=raw)
    pc.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD")
    pc.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD")
    pc.add_argument("--json", action="store_true")
    pc.set_defaults(handler=prearrival_check)


def _svc(args):
    from workstation.commands.common import services_from
    from workstation.services.base import cli_actor
    from workstation.services.risk import risk_service

    services = services_from(args)
    return risk_service(services), cli_actor(services.settings)


def import_profiles(args) -> int:
    from workstation import inputs
    from workstation.commands.common import read_document_text, source_label

    text = read_document_text(args.file)
    svc, actor = _svc(args)
    r = svc.import_profiles(actor, text, source=source_label(args.file))
    print(f"{inputs.one_line(inputs.short(args.file))}: {len(r.added)} profiles added, {len(r.changed)} new "
          f"versions, {len(r.unchanged)} unchanged, {len(r.rates_set)} random rates set")
    return 0


def export_profiles(args) -> int:
    svc, _ = _svc(args)
    text = svc.export_profiles()
    if args.out:
        from pathlib import Path

        Path(args.out).write_text(text, encoding="utf-8")
        print(f"risk profiles -> {args.out}")
    else:
        print(text, end="")
    return 0


def _pct(v) -> str:
    return "-" if v is None else f"{v * 100:.1f}%"


def report(args) -> int:
    import json

    svc, actor = _svc(args)
    rep = svc.report(actor, args.date_from, args.date_to)
    if args.json:
        print(json.dumps(rep.to_json(), indent=2))
        return 0
    print(f"risk hit rates {rep.date_from} .. {rep.date_to}")
    print(f"{'group':8} {'key':24} {'sel':>5} {'insp':>5} {'hits':>5} {'rate':>7} {'95% CI':>15} "
          f"{'duties (Rp)':>14} {'lift':>6}")
    for r in rep.rows:
        f = r.figures
        ci = "-" if f.ci_low is None else f"{_pct(f.ci_low)}-{_pct(f.ci_high)}"
        lift = "-" if r.lift is None else f"{r.lift}x"
        print(f"{r.group:8} {r.key[:24]:24} {f.selections:5d} {f.inspected:5d} {f.hits:5d} {_pct(f.rate):>7} "
              f"{ci:>15} {f.duties_idr:14,d} {lift:>6}")
    return 0


def prearrival_import(args) -> int:
    from workstation import inputs
    from workstation.commands.common import source_label

    text = inputs.read_text_file(args.file, kind="csv")
    svc, actor = _svc(args)
    r = svc.import_prearrival(actor, text, source=source_label(args.file))
    print(f"{inputs.one_line(inputs.short(args.file))}: {r.added} {r.kind.lower()} records added, "
          f"{r.unchanged} already stored")
    return 0


def prearrival_check(args) -> int:
    import json

    from workstation import inputs

    svc, actor = _svc(args)
    found = svc.mismatches(actor, args.date_from, args.date_to)
    if args.json:
        print(json.dumps([m.to_json() for m in found], indent=2))
    else:
        for m in found:
            print(f"{m.arrival_date} {m.kind:24} {m.key:16} {inputs.one_line(m.detail)}")
        print(f"{len(found)} mismatches")
    return 0
