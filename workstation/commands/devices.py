"""`workstation devices simulate KIND`: play a device on a pseudo-terminal (POSIX).

The first line on stdout is the path to open (the pty, or `--link`, a stable symlink to it; for
`scanner --folder` the drop folder), flushed at once; everything else the simulator says goes to stderr.
Without `--script` the simulator reads script lines from stdin until EOF (type `help`); with `--script FILE`
it plays the file and then keeps the device present (a barrier keeps answering) until SIGINT/SIGTERM or a
`quit` line. Script language: devices/sim/simulators.py.
"""

from __future__ import annotations

import argparse
import sys

KINDS = ("barcode", "mrz", "barrier", "scanner", "eseal")


def register(subparsers: argparse._SubParsersAction) -> None:
    devices = subparsers.add_parser("devices", help="serial devices: simulators")
    sub = devices.add_subparsers(dest="devices_command", metavar="ACTION", required=True)
    sim = sub.add_parser("simulate", help="play a device on a pseudo-terminal and print its path")
    sim.add_argument("kind", choices=KINDS, metavar="KIND", help=" | ".join(KINDS))
    sim.add_argument("--script", metavar="FILE", help="play this script instead of reading stdin")
    sim.add_argument("--baud", type=int, metavar="N", help="pace output like a line at N baud (8N1)")
    sim.add_argument("--framing", choices=("suffix", "etx", "length", "idle"), help="readers: how frames are sent")
    sim.add_argument("--aim", default="]Q1", metavar="ID", help='barcode: AIM identifier to send ("none" for none)')
    sim.add_argument("--protocol", choices=("ascii", "lcus", "modbus"), default="ascii", help="barrier protocol")
    sim.add_argument("--travel", type=float, default=1.0, metavar="S", help="barrier: seconds to open or close")
    sim.add_argument("--link", metavar="PATH", help="also create a symlink PATH to the pty (a stable port path)")
    sim.add_argument("--folder", metavar="DIR", help="scanner: drop result files into DIR instead of a pty")
    sim.set_defaults(handler=simulate_command)


def simulate_command(args: argparse.Namespace) -> int:
    import os
    import signal

    from workstation.errors import InputError

    if os.name != "posix":
        raise InputError("simulators need pseudo-terminals (POSIX)", field="KIND")
    if args.baud is not None and not 50 <= args.baud <= 4_000_000:
        raise InputError("must be 50..4000000", field="--baud")
    if args.travel < 0 or args.travel > 60:
        raise InputError("must be 0..60 seconds", field="--travel")
    if args.folder and args.kind != "scanner":
        raise InputError("only the scanner drops files", field="--folder")
    script = None
    if args.script:
        from workstation import inputs

        # bounded and UTF-8 (inputs.read_file); control characters are the script language's to refuse
        from workstation.domain.jsondoc import decode_utf8

        script = decode_utf8(inputs.read_file(args.script, "--script", kind="script"), source="--script").splitlines()

    from devices.sim.simulators import ScriptError, make_simulator, read_stdin_lines

    def out(message: str) -> None:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()

    try:
        sim = make_simulator(
            args.kind,
            out=out,
            link=args.link,
            framing=args.framing,
            protocol=args.protocol,
            travel=args.travel,
            folder=args.folder,
            baud=args.baud,
            aim=None if args.aim.lower() == "none" else args.aim,
        )
    except (OSError, RuntimeError, ValueError) as exc:
        raise InputError(f"cannot start the simulator: {exc}", field="KIND") from None

    stop = sim.stop
    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous[signum] = signal.signal(signum, lambda *_: stop.set())
    try:
        sys.stdout.write(sim.path + "\n")
        sys.stdout.flush()
        if script is not None:
            if sim.run_script(script):
                out(f"{args.kind} simulator: script done; Ctrl-C to stop")
                while not stop.wait(0.5):
                    pass
        else:
            out(f"{args.kind} simulator on {sim.path}: type help, Ctrl-D to stop")
            for line in read_stdin_lines(sys.stdin, stop):
                try:
                    if not sim.run_line(line):
                        break
                except ScriptError as exc:
                    out(str(exc))
    finally:
        sim.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0
