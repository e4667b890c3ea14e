"""`workstation unit …`, `workstation sync …` and `workstation sync-server`: field units working offline and
their sync with central (issue #14, CONTRACTS.md). Exit 0 done, 1 refused or unreachable (nothing lost),
2 bad input."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    u = sub.add_parser("unit", help="central: register and manage field units",
                       description="Field units (remote posts working offline) registered at central.")
    us = u.add_subparsers(dest="unit_command", metavar="ACTION", required=True)
    p = us.add_parser("add", help="register a field unit; prints its one-time enrolment token",
                      description="Register a field unit at central and print a one-time enrolment token (valid "
                      "14 days) on one line; give it to the unit's operator: `workstation sync --server URL "
                      "--enrol TOKEN`. Makes this database the central one of a sync.")
    p.add_argument("code", metavar="CODE", help="unit code, 1-6 letters or digits (official numbers carry it)")
    p.add_argument("--name", required=True, help="the post's name")
    p.set_defaults(handler=unit_add)
    p = us.add_parser("list", help="registered units, their epoch and last contact")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=unit_list)
    p = us.add_parser("reenrol", help="a new one-time token: the unit enrols again with a new epoch "
                      "(restored from a backup, replaced machine)")
    p.add_argument("code", metavar="CODE")
    p.set_defaults(handler=unit_reenrol)
    p = us.add_parser("revoke", help="refuse every further request of the unit (lost or stolen machine)")
    p.add_argument("code", metavar="CODE")
    p.set_defaults(handler=unit_revoke)

    s = sub.add_parser("sync", help="field unit: push then pull with central",
                       description="Push this unit's pending changes to central, then pull central's. Resumable: "
                       "a run that is cut off loses nothing; the next one continues. Exit 1 when the server "
                       "refuses or cannot be reached (nothing lost).")
    s.add_argument("--server", metavar="URL", help="the sync server, e.g. https://central.kantor.local:8443 "
                   "(remembered after enrolment)")
    s.add_argument("--enrol", metavar="TOKEN", help="enrol this database first with the token `unit add` printed")
    s.add_argument("--json", action="store_true", help='print {"pushed", "pulled", "conflicts", "pending"}')
    s.add_argument("--ca", metavar="FILE", help="CA certificate to trust for the server's TLS certificate")
    s.set_defaults(handler=sync_run)
    ss = s.add_subparsers(dest="sync_command", metavar="ACTION")
    p = ss.add_parser("status", help="pending changes, last sync, open conflicts")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=sync_status)
    p = ss.add_parser("export", help="write a signed bundle file (unit: its pending changes; central: --unit)",
                      description="Write a signed bundle for transfer without a network. On a unit: every "
                      "pending change and audit entry. On central (--unit CODE): the unit's acknowledgements and "
                      "central's changes since the unit's last report.")
    p.add_argument("--out", required=True, metavar="FILE")
    p.add_argument("--unit", metavar="CODE", help="central: the unit the bundle is for")
    p.set_defaults(handler=sync_export)
    p = ss.add_parser("import", help="apply a signed bundle file (refused if tampered or already imported)")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=sync_import)

    p = sub.add_parser("sync-server", help="central: serve the sync API",
                       description="Serve the sync API to field units (HTTP; TLS with --tls-cert/--tls-key). "
                       "Units authenticate each request with the Ed25519 key registered at enrolment.")
    p.add_argument("--listen", required=True, metavar="HOST:PORT")
    p.add_argument("--tls-cert", metavar="FILE")
    p.add_argument("--tls-key", metavar="FILE")
    p.set_defaults(handler=serve)


def _services(args):
    from workstation.commands.common import services_from

    # a field unit's enrolment is its first run: it may create the unit's database; nothing else does
    return services_from(args, create=bool(getattr(args, "enrol", None)))


def _say_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, sort_keys=True) + "\n")


# -- central --------------------------------------------------------------------------------------------------
def unit_add(args) -> int:
    from workstation.services.base import cli_actor
    from workstation.sync.central import CentralSync

    services = _services(args)
    token = CentralSync(services.ctx).add_unit(cli_actor(services.settings), args.code, args.name)
    print(token)
    return 0


def unit_list(args) -> int:
    from workstation.inputs import one_line
    from workstation.sync.central import CentralSync

    services = _services(args)
    units = CentralSync(services.ctx).units()
    if args.json:
        _say_json([{"code": u.code, "name": u.name, "epoch": u.epoch, "enrolled": u.enrolled, "revoked": u.revoked,
                    "last_seen_at": u.last_seen_at.isoformat() if u.last_seen_at else None,
                    "acked_seq": u.acked_seq} for u in units])
        return 0
    for u in units:
        state = "revoked" if u.revoked else "enrolled" if u.enrolled else "token issued"
        seen = u.last_seen_at.isoformat(timespec="seconds") if u.last_seen_at else "never"
        print(f"{u.code:<6} epoch {u.epoch}  {state:<12} last seen {seen}  {one_line(u.name, limit=60)}")
    return 0


def unit_reenrol(args) -> int:
    from workstation.services.base import cli_actor
    from workstation.sync.central import CentralSync

    services = _services(args)
    print(CentralSync(services.ctx).reenrol_unit(cli_actor(services.settings), args.code))
    return 0


def unit_revoke(args) -> int:
    from workstation.services.base import cli_actor
    from workstation.sync.central import CentralSync

    services = _services(args)
    CentralSync(services.ctx).revoke_unit(cli_actor(services.settings), args.code)
    print(f"unit {args.code.upper()} revoked")
    return 0


def serve(args) -> int:
    from workstation.domain.errors import ErrorCode
    from workstation.errors import InputError
    from workstation.sync import server
    from workstation.sync.central import CentralSync

    host, _, port = args.listen.rpartition(":")
    if not host or not port.isdigit():
        raise InputError(field="listen", code=ErrorCode.PATTERN, params={"pattern": "HOST:PORT",
                                                                         "value": args.listen[:60]})
    if bool(args.tls_cert) != bool(args.tls_key):
        raise InputError(field="tls-key", code=ErrorCode.REQUIRED)
    services = _services(args)
    sys.stderr.write(f"sync server on {'https' if args.tls_cert else 'http'}://{args.listen}\n")
    server.serve(CentralSync(services.ctx), host, int(port), tls_cert=args.tls_cert, tls_key=args.tls_key)
    return 0


# -- the unit ---------------------------------------------------------------------------------------------------
def _transport(services, url: str, ca: str | None):
    import ssl

    from workstation.sync.client import HttpTransport
    from workstation.sync.unit import UnitSync

    sync = UnitSync(services.ctx)
    try:
        me = sync.node()
        key = sync.key(me.unit_code or "")
        unit = me.unit_code
    except Exception:
        key = unit = None
    verify: bool | ssl.SSLContext = ssl.create_default_context(cafile=ca) if ca else True
    return HttpTransport(url, unit=unit, key=key, verify=verify)


def sync_run(args) -> int:
    from workstation.domain.errors import ErrorCode
    from workstation.errors import InputError
    from workstation.sync.unit import UnitSync

    services = _services(args)
    sync = UnitSync(services.ctx)
    url = args.server
    if args.enrol:
        if not url:
            raise InputError(field="server", code=ErrorCode.REQUIRED)
        transport = _transport(services, url, args.ca)
        info = sync.enrol(transport, args.enrol, url)
        if not args.json:
            sys.stderr.write(f"enrolled as unit {info['unit']} (epoch {info['epoch']}, "
                             f"{info['reference_rows']} reference rows)\n")
    me = sync.node()
    url = url or me.server_url
    if not url:
        raise InputError(field="server", code=ErrorCode.REQUIRED)
    transport = _transport(services, url, args.ca)
    def bar(phase: str, done: int, total: int) -> None:
        width = 30
        filled = width if total <= 0 else min(width, width * done // max(total, 1))
        sys.stderr.write(f"\r{phase:<5} [{'#' * filled}{'.' * (width - filled)}] {done}/{max(total, done)}")
        sys.stderr.flush()

    progress = bar if sys.stderr.isatty() and not args.json else None
    summary = sync.sync(transport, progress)
    if progress is not None:
        sys.stderr.write("\n")
    if args.json:
        _say_json(summary.as_json())
    else:
        print(f"pushed {summary.pushed}, pulled {summary.pulled}, conflicts {summary.conflicts}, "
              f"pending {summary.pending}")
    return 0


def sync_status(args) -> int:
    from workstation.sync.unit import status

    services = _services(args)
    st = status(services.ctx)
    if args.json:
        _say_json(st.as_json())
        return 0
    if st.role is None:
        print("not part of a sync (no unit enrolled here, no unit registered)")
        return 0
    if st.role == "central":
        print(f"central; feed position {st.cursor}; open conflicts {st.conflicts}")
        return 0
    last = st.last_sync_at.isoformat(timespec="seconds") if st.last_sync_at else "never"
    print(f"unit {st.unit} epoch {st.epoch}; server {st.server or '-'}; pending {st.pending}; last sync {last}"
          f" ({st.last_result or '-'}); open conflicts {st.conflicts}")
    return 0


def sync_export(args) -> int:
    from workstation.domain.canonical import canonical_json
    from workstation.sync.central import CentralSync
    from workstation.sync.unit import UnitSync, _write_atomically, status

    services = _services(args)
    out = Path(args.out)
    if status(services.ctx).role == "central" or args.unit:
        from workstation.domain.errors import ErrorCode
        from workstation.errors import InputError

        if not args.unit:
            raise InputError(field="unit", code=ErrorCode.REQUIRED)
        bundle = CentralSync(services.ctx).bundle_for(args.unit)
        _write_atomically(out, canonical_json(bundle))
        print(f"{out}: {len(bundle['payload']['changes'])} changes for unit {bundle['unit']}")
        return 0
    info = UnitSync(services.ctx).export_bundle(out)
    print(f"{out}: {info['changes']} changes, {info['audit']} audit entries")
    return 0


def sync_import(args) -> int:
    from workstation import inputs
    from workstation.sync import protocol
    from workstation.sync.central import CentralSync
    from workstation.sync.unit import UnitSync, status

    services = _services(args)
    data = inputs.read_file(args.file, inputs.short(args.file), kind="bundle")
    bundle = protocol.parse_json(data, inputs.short(args.file))
    if status(services.ctx).role == "central":
        result = CentralSync(services.ctx).import_bundle(bundle)
        out: dict[str, Any] = result.as_json()
    else:
        out = UnitSync(services.ctx).import_bundle(bundle).as_json()
    if args.json:
        _say_json(out)
    else:
        print(", ".join(f"{k} {v}" for k, v in out.items()))
    return 0


def _unused(_: argparse.Namespace) -> None:  # argparse is imported for annotations of handlers
    return None
