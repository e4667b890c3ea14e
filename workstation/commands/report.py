"""`workstation report daily --date D --out FILE.pdf` — the supervisor's daily report."""

from __future__ import annotations

import datetime as dt


def register(sub) -> None:
    p = sub.add_parser("report", help="reports")
    s = p.add_subparsers(dest="report_command", metavar="REPORT", required=True)
    d = s.add_parser("daily", help="cases opened, lanes, documents, duties billed and paid per levy, SLA breaches, "
                                      "BTD, with charts")
    d.add_argument("--date", required=True, help="business day, YYYY-MM-DD")
    d.add_argument("--out", required=True, metavar="FILE.pdf")
    d.set_defaults(handler=daily)


def daily(args) -> int:
    from workstation import inputs
    from workstation.commands.common import services_from
    from workstation.services.base import cli_actor

    day: dt.date = inputs.date(args.date, "--date")  # InputError DATE_FORMAT / NOT_A_DATE names the option
    services = services_from(args)
    path = services.report.daily_report(cli_actor(services.settings), day, args.out)
    print(f"daily report {day.isoformat()} -> {path}")
    return 0
