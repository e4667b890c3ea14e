"""`workstation` (the TUI on the configured database) and `workstation demo`.
Nothing of pydantic before the first paint: the app starts from the boot values (workstation/bootconfig.py)
and validates the full settings in the worker that opens the database; an invalid key then ends the command
with the same one line and exit status 2 as the other commands (tests/unit/test_startup.py)."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys


def register(sub) -> None:
    p = sub.add_parser("demo", help="the TUI on a fresh demo database (users of every role, sample cases)")
    p.add_argument("--dir", metavar="DIR", help="put the demo database here instead of a new temp dir")
    p.add_argument("--headless", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--exit-on", choices=("first-paint", "ready"), help=argparse.SUPPRESS)
    p.add_argument("--unit", action="store_true", help="also a field unit (PLB01) enrolled with the demo's "
                   "central database and synced once; the TUI opens on the unit's database")
    p.set_defaults(handler=run_demo)
    t = sub.add_parser("tui", help="the TUI on the configured database (same as plain `workstation`)")
    t.add_argument("--headless", action="store_true", help=argparse.SUPPRESS)
    t.add_argument("--exit-on", choices=("first-paint", "ready"), help=argparse.SUPPRESS)
    t.add_argument("--ssh-user", metavar="LOGIN", default=argparse.SUPPRESS,
                   help="an SSH session of LOGIN (the key was the first factor): the login screen asks only the "
                        "password; the session's client is ssh:<peer> (from SSH_CONNECTION)")
    t.set_defaults(handler=run_tui)


NO_TERMINAL = ("workstation: the TUI needs a terminal (standard input and output are not one); "
               "run it in a terminal, or see `workstation --help` for the one-shot commands")


def has_terminal(stdin=None, stdout=None) -> bool:
    """True when both standard input and output are terminals (the TUI reads keys and draws on them)."""
    streams = (stdin or sys.stdin, stdout or sys.stdout)
    try:
        return all(s is not None and s.isatty() for s in streams)
    except (AttributeError, ValueError):  # closed or replaced streams
        return False


def run_tui(args: argparse.Namespace) -> int:
    from workstation.bootconfig import read_boot

    if not getattr(args, "headless", False) and not has_terminal():
        sys.stderr.write(NO_TERMINAL + "\n")
        return 2
    ssh_user = getattr(args, "ssh_user", None)
    overrides = {}
    if ssh_user is not None:
        ssh_user = ssh_login(ssh_user)
        overrides = ssh_pool_overrides(getattr(args, "config", None))
        claim_terminal()
    boot = read_boot(getattr(args, "config", None), **overrides)
    from workstation.footprint import without_openssl

    without_openssl()  # ≈4.4 MB less per session (issue #15): before Textual imports asyncio
    from screens.app import WorkstationApp

    app = WorkstationApp(boot, exit_on=getattr(args, "exit_on", None))
    if ssh_user is not None:
        # read by screens/login.py: the login is fixed, the session row's client names the SSH peer
        app.ssh_user = ssh_user
        app.ssh_client = ssh_client_label()
        import logging

        # the first line of this process's log file: which session it serves
        logging.getLogger(__name__).info("SSH session of %s from %s", ssh_user, app.ssh_client)
    run_app(app, headless=getattr(args, "headless", False))
    return _app_exit(app)


# --- SSH sessions (issue #15 item 6): `workstation tui --ssh-user=LOGIN` --------------------------------------
SSH_LOGIN_RE = r"[a-z][a-z0-9._-]{2,31}"  # services.auth.LOGIN_RE (not imported: it would load SQLAlchemy)
# One SSH session is one process: a pool of 1 connection + 1 in a burst unless the configuration says otherwise
# (50 sessions then hold at most 100 PostgreSQL connections, not 250).
SSH_POOL_DEFAULTS = {"database_pool_size": 1, "database_max_overflow": 1}


def ssh_login(value: str) -> str:
    """The --ssh-user value, checked like a login (InputError LOGIN_FORMAT, field "--ssh-user")."""
    import re

    from workstation.domain.errors import ErrorCode
    from workstation.errors import InputError

    if not re.fullmatch(SSH_LOGIN_RE, value or ""):
        raise InputError(code=ErrorCode.LOGIN_FORMAT, field="--ssh-user", params={"value": value})
    return value


def ssh_pool_overrides(config_file: str | None) -> dict[str, int]:
    """SSH_POOL_DEFAULTS for the pool keys set neither in the configuration file nor by WORKSTATION_*
    variables (an unreadable file is left to the normal start to report)."""
    import os

    from workstation.bootconfig import ENV_PREFIX, config_path, read_config_file
    from workstation.errors import ConfigError

    try:
        configured = set(read_config_file(config_path(config_file)))
    except ConfigError:
        configured = set()
    configured |= {k.lower()[len(ENV_PREFIX):] for k in os.environ if k.lower().startswith(ENV_PREFIX)}
    return {k: v for k, v in SSH_POOL_DEFAULTS.items() if k not in configured}


def claim_terminal() -> None:
    """Make the terminal on stdin this process's controlling terminal when it has none (a session leader
    started by `workstation serve-ssh`): the terminal's hang-up then sends SIGHUP, and a resize SIGWINCH, to the
    app. Under sshd the terminal is already controlling; anything else (not a terminal, not a session leader)
    is left as it is."""
    import contextlib
    import fcntl
    import termios

    with contextlib.suppress(OSError):
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def ssh_client_label(environ=None) -> str:
    """"ssh:<ip>:<port>" of the client, from SSH_CONNECTION ("client-ip client-port server-ip server-port",
    set by sshd and by `workstation serve-ssh`); "ssh:unknown" without it."""
    import os

    parts = (environ if environ is not None else os.environ).get("SSH_CONNECTION", "").split()
    if len(parts) >= 2:
        return f"ssh:{parts[0]}:{parts[1]}"[:200]
    return "ssh:unknown"


def run_demo(args: argparse.Namespace) -> int:
    import tempfile
    from pathlib import Path

    if not args.headless and not has_terminal():
        sys.stderr.write(NO_TERMINAL + "\n")
        return 2
    # Without --dir the demo lives in a temporary directory removed when the demo ends (whatever the end).
    keep = bool(args.dir)
    demo_dir = Path(args.dir) if keep else Path(tempfile.mkdtemp(prefix="workstation-demo-"))
    demo_dir.mkdir(parents=True, exist_ok=True)
    try:
        return _run_demo(args, demo_dir, keep=keep)
    finally:
        if not keep:
            import shutil

            shutil.rmtree(demo_dir, ignore_errors=True)


def _run_demo(args: argparse.Namespace, demo_dir, *, keep: bool) -> int:
    from workstation.bootconfig import read_boot
    from workstation.demo import DEMO_ACCOUNTS, build_demo, start_demo_devices

    # Simulated devices on pseudo-terminals: a counter QR reader, a gate OCR reader and a barrier.
    simulators, devices, gate = ({}, [], {}) if args.exit_on == "first-paint" else start_demo_devices(demo_dir)
    overrides = dict(database_url=f"sqlite:///{demo_dir / 'demo.sqlite'}", data_dir=demo_dir, demo=True,
                     signing_key_file=demo_dir / "keys" / "office-demo.ed25519", devices=devices, **gate)
    factory, unit_demo = build_demo, None
    if getattr(args, "unit", False):
        from workstation.demo.sync import prepare_unit_demo

        unit_demo = prepare_unit_demo(demo_dir)
        overrides.update(unit_demo.overrides)
        factory = unit_demo.build
    boot = read_boot(getattr(args, "config", None), **overrides)
    from screens.app import WorkstationApp

    # The demo database is built behind the login screen, like any database connection.
    app = WorkstationApp(boot, services_factory=factory, demo_accounts=DEMO_ACCOUNTS, exit_on=args.exit_on)
    app.demo_simulators = simulators
    app.demo_note = unit_demo.note if unit_demo else None
    try:
        run_app(app, headless=args.headless)
    finally:
        for sim in simulators.values():
            sim.close()
        if unit_demo is not None:
            unit_demo.close()
    code = _app_exit(app)
    if services := getattr(app, "services", None):
        with contextlib.suppress(Exception):  # close the database before its directory goes
            services.ctx.db.dispose()
    if not args.exit_on:
        print(f"demo database kept in {demo_dir}" if keep else "demo database removed (--dir DIR keeps one)")
        if unit_demo is not None and keep:
            print(unit_demo.banner)
    return code


# SIGTERM (shutdown, kill) and SIGHUP (the terminal or the SSH connection closed) end the app like a quit.
EXIT_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def run_app(app, *, headless: bool = False) -> None:
    """Run the TUI so that every way it ends — quit, SIGTERM, SIGHUP, an unhandled error — ends the logged-in
    session row and audits it (`auth.logout` with reason "quit", "sigterm", "sighup" or "crash").

    A signal asks the running app to exit (on its event loop, never from inside the handler); the session is
    ended on this thread after the app has stopped, in a `finally`, so a crash of the app ends it too."""
    previous = {sig: signal.getsignal(sig) for sig in EXIT_SIGNALS}

    def on_signal(signum: int, _frame) -> None:
        name = signal.Signals(signum).name.lower()
        app.exit_reason = app.exit_reason or name
        loop = app._loop  # set while app.run() is running
        if loop is None or loop.is_closed():
            raise SystemExit(128 + signum)  # not running (yet/any more): the finally below still runs
        loop.call_soon_threadsafe(lambda: app.exit(return_code=128 + signum))

    for sig in EXIT_SIGNALS:
        signal.signal(sig, on_signal)
    try:
        app.run(headless=headless)
    except BaseException:
        app.exit_reason = app.exit_reason or "crash"
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if app.exit_reason is None and (app.return_code or getattr(app, "_exception", None) is not None):
            app.exit_reason = "crash"
        app.end_session_at_exit()


def _app_exit(app) -> int:
    if getattr(app, "config_error", None):
        # an invalid setting found after the first paint: the line and status a one-shot command gives
        sys.stderr.write(f"workstation: {app.config_error}\n")
        return 2
    if app.return_code and getattr(app, "services_error", None):
        sys.stderr.write(f"workstation: {app.services_error}\n")
    return app.return_code or 0
