"""`workstation serve-ssh --listen HOST:PORT --host-key FILE [--max-sessions N] [--max-per-user N]`: the
workstation over SSH for offices without a system sshd (workstation/sshserve.py; docs/ssh.md)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from workstation.domain.errors import ErrorCode
from workstation.errors import InputError


def _positive(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 10000:
        raise argparse.ArgumentTypeError(f"expected a whole number 1-10000, got {value[:20]!r}")
    return int(value)


def register(sub) -> None:
    p = sub.add_parser("serve-ssh", help="serve the workstation over SSH (public-key login, one process per "
                                         "session)")
    p.add_argument("--listen", required=True, metavar="HOST:PORT", help="address to listen on, e.g. 0.0.0.0:2222")
    p.add_argument("--host-key", required=True, metavar="FILE",
                   help="the server's private host key; created (Ed25519, mode 0600) when missing")
    p.add_argument("--max-sessions", type=_positive, default=50, metavar="N", help="sessions in all (50)")
    p.add_argument("--max-per-user", type=_positive, default=3, metavar="N", help="sessions per user (3)")
    p.set_defaults(handler=serve_ssh)


def serve_ssh(args) -> int:
    import asyncio
    import functools

    from workstation import inputs
    from workstation.commands.common import services_from
    from workstation.sshserve import ServeOptions, default_child_command, parse_listen, serve

    listen = inputs.argument(args.listen, "--listen", max_len=300)
    try:
        host, port = parse_listen(listen)
    except ValueError as exc:
        raise InputError(str(exc), code=ErrorCode.INVALID_VALUE, field="--listen") from None
    host_key = Path(inputs.argument(args.host_key, "--host-key", max_len=4096))
    services = services_from(args)  # the database is reachable and current before anyone connects
    from workstation.footprint import ensure_bytecode, prepare_session_bytecode

    log = logging.getLogger(__name__)
    # each session's process then loads bytecode, not source (≈3.5 MB less); done here too, not only by the
    # warm-up below, because the warm-up is another process that may fail or time out
    failed = ensure_bytecode()
    if failed:
        log.warning("could not write bytecode for %s (read-only install?): each session compiles them; run "
                    "`python -m compileall` on the installed packages as their owner", ", ".join(failed))
    optimize, missing = prepare_session_bytecode()  # and at -OO, ≈6 MB less each, where it can be written
    if missing:
        log.warning("sessions run without -OO: no optimised bytecode for %s; run `python -OO -m "
                    "workstation.footprint` as the owner of those files", ", ".join(missing[:5]))
    log.info("sessions' processes start at optimisation level %d", optimize)
    config = getattr(args, "config", None)
    config = str(Path(config).resolve()) if config else None  # the sessions' processes read the same file
    options = ServeOptions(host=host, port=port, host_key=host_key, max_sessions=args.max_sessions,
                           max_per_user=args.max_per_user,
                           child_command=functools.partial(default_child_command, config_file=config,
                                                         optimize=optimize))

    def ready(h: str, p: int) -> None:
        print(f"workstation serve-ssh: listening on {h}:{p}", flush=True)

    try:
        asyncio.run(serve(services, options, ready=ready))
    except ValueError as exc:  # the host key file
        raise InputError(str(exc), code=ErrorCode.INVALID_VALUE, field="--host-key") from None
    except OSError as exc:  # the address is taken, not ours
        raise InputError(template="cannot listen on {address}: {reason}", code=ErrorCode.INVALID_VALUE,
                         field="--listen", params={"address": listen, "reason": str(exc.strerror or exc)}) from None
    finally:
        services.ctx.db.dispose()
    return 0
