"""`workstation` (the TUI on the configured database) and `workstation demo`.
Nothing of pydantic before the first paint: the app starts from the boot values (workstation/bootconfig.py)
and validates the full settings in the worker that opens the database; an invalid key then ends the command
with the same one line and exit status 2 as the other commands (tests/unit/test_startup.py)."""

from __future__ import annotations

import argparse
import sys


def register(sub) -> None:
    p = sub.add_parser("demo", help="the TUI on a fresh demo database (users of every role, sample cases)")
    p.add_argument("--dir", metavar="DIR", help="put the demo database here instead of a new temp dir")
    p.add_argument("--headless", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--exit-on", choices=("first-paint", "ready"), help=argparse.SUPPRESS)
    p.set_defaults(handler=run_demo)
    t = sub.add_parser("tui", help="the TUI on the configured database (same as plain `workstation`)")
    t.add_argument("--headless", action="store_true", help=argparse.SUPPRESS)
    t.add_argument("--exit-on", choices=("first-paint", "ready"), help=argparse.SUPPRESS)
    t.set_defaults(handler=run_tui)


def run_tui(args: argparse.Namespace) -> int:
    from workstation.bootconfig import read_boot

    boot = read_boot(getattr(args, "config", None))
    from screens.app import WorkstationApp

    app = WorkstationApp(boot, exit_on=getattr(args, "exit_on", None))
    app.run(headless=getattr(args, "headless", False))
    return _app_exit(app)


def run_demo(args: argparse.Namespace) -> int:
    import tempfile
    from pathlib import Path

    from workstation.bootconfig import read_boot

    demo_dir = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="workstation-demo-"))
    demo_dir.mkdir(parents=True, exist_ok=True)
    from workstation.demo import DEMO_ACCOUNTS, build_demo, start_demo_devices

    # Simulated devices on pseudo-terminals: a counter QR reader, a gate OCR reader and a barrier.
    simulators, devices, gate = ({}, [], {}) if args.exit_on == "first-paint" else start_demo_devices(demo_dir)
    boot = read_boot(getattr(args, "config", None), database_url=f"sqlite:///{demo_dir / 'demo.sqlite'}",
                     data_dir=demo_dir, demo=True, signing_key_file=demo_dir / "keys" / "office-demo.ed25519",
                     devices=devices, **gate)
    from screens.app import WorkstationApp

    # The demo database is built behind the login screen, like any database connection.
    app = WorkstationApp(boot, services_factory=build_demo, demo_accounts=DEMO_ACCOUNTS,
                         exit_on=args.exit_on)
    app.demo_simulators = simulators
    try:
        app.run(headless=args.headless)
    finally:
        for sim in simulators.values():
            sim.close()
    code = _app_exit(app)
    if not args.exit_on:
        print(f"demo database kept in {demo_dir}")
    return code


def _app_exit(app) -> int:
    if getattr(app, "config_error", None):
        # an invalid setting found after the first paint: the line and status a one-shot command gives
        sys.stderr.write(f"workstation: {app.config_error}\n")
        return 2
    if app.return_code and getattr(app, "services_error", None):
        sys.stderr.write(f"workstation: {app.services_error}\n")
    return app.return_code or 0
