"""`workstation audit verify`: walk the hash chain; exit 1 naming the first broken entry."""

from __future__ import annotations

import sys


def register(sub) -> None:
    p = sub.add_parser("audit", help="the audit log")
    s = p.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    s.add_parser("verify", help="verify the audit hash chain").set_defaults(handler=verify)


def verify(args) -> int:
    from workstation.commands.common import services_from
    from workstation.services.base import cli_actor

    services = services_from(args)
    progress = None
    if sys.stderr.isatty():
        def progress(n: int) -> None:
            sys.stderr.write(f"\r{n} entries checked")

    report = services.audit.verify(cli_actor(services.settings), progress=progress)
    if progress:
        sys.stderr.write("\r")
    if report.ok:
        print(f"audit chain OK: {report.entries} entries")
        return 0
    print(f"audit chain BROKEN at entry #{report.broken_seq}: {report.problem}")
    print(f"  {report.entry_summary}")
    return 1
