"""`workstation audit verify`: walk the hash chain and its signed anchors; exit 1 naming the first broken entry.
`workstation audit anchor`: sign the chain's current head with the office key now."""

from __future__ import annotations

import sys


def register(sub) -> None:
    p = sub.add_parser("audit", help="the audit log")
    s = p.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    s.add_parser("verify", help="verify the audit hash chain and its signed anchors").set_defaults(handler=verify)
    s.add_parser("anchor", help="sign the audit chain's current head with the office key").set_defaults(
        handler=anchor)


def _safe(text: object) -> str:
    """Stored text is printed as text: no terminal escapes from a tampered row (shown escaped, one line)."""
    from workstation.inputs import one_line

    return one_line(text, limit=2000)


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
        print(f"audit chain OK: {report.entries} entries; head #{report.head_seq} {report.head_hash[:16]}")
        a = report.last_anchor
        if a is None:
            print("  no signed anchor yet (run `workstation audit anchor` on the office machine)")
        else:
            print(f"  {report.anchors} signed anchors; last #{a.seq} of {a.anchored_at} ({_safe(a.reason)}) "
                  f"signs head #{a.head_seq}; {report.unanchored} entries since")
        print(f"  entry MACs: {report.macs}")
        return _verify_unit_chains(services)
    where = f"entry #{report.broken_seq}" if report.broken_seq is not None else "an anchor"
    print(f"audit chain BROKEN at {where}: {_safe(report.problem)}")
    if report.entry_summary:
        print(f"  {_safe(report.entry_summary)}")
    print(f"  last good head #{report.head_seq} {report.head_hash[:16]}; {report.anchors} anchors")
    return 1


def _verify_unit_chains(services) -> int:
    """Central keeps each field unit's own chain (issue #14): each is walked too; exit 1 if one is broken."""
    from workstation.sync.central import CentralSync

    worst = 0
    for code, epoch, entries, problem in CentralSync(services.ctx).verify_unit_chains():
        if problem is None:
            print(f"unit {_safe(code)} epoch {epoch}: chain OK, {entries} entries")
        else:
            print(f"unit {_safe(code)} epoch {epoch}: chain BROKEN after {entries} entries: {_safe(problem)}")
            worst = 1
    return worst


def anchor(args) -> int:
    from workstation.commands.common import services_from
    from workstation.services.base import cli_actor

    services = services_from(args)
    a = services.audit.anchor(cli_actor(services.settings), reason="manual")
    print(f"anchor #{a.seq} of {a.anchored_at}: head #{a.head_seq} {a.head_hash[:16]} signed")
    return 0
