"""The `workstation` command. Sub-commands live in workstation/commands/<name>.py, each exposing
`register(subparsers)` and handlers `fn(args) -> int`. Heavy imports stay inside handlers so that
`workstation --help` and the TUI start fast. Exit status: 0 ok, 1 domain refusal, 2 bad input (CONTRACTS.md)."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from workstation.errors import WorkstationError

# Each top-level command and the module in workstation/commands/ that registers it, in the order of
# `workstation --help`. A single command (and the TUI's start) loads only its own module;
# tests/unit/test_cli_foundation.py checks this against what the modules register.
COMMAND_NAMES = {
    "demo": "tui", "tui": "tui", "db": "db", "user": "user", "audit": "audit", "ecd": "ecd", "rates": "rates",
    "pib": "pib", "tariff": "tariff", "manifest": "manifest", "plp": "plp", "scan": "scan", "devices": "devices",
    "print": "documents", "verify": "documents", "report": "report", "serve-ssh": "ssh", "risk": "risk",
    "unit": "sync", "sync": "sync", "sync-server": "sync",
}
COMMAND_MODULES = tuple(dict.fromkeys(COMMAND_NAMES.values()))


class _Parser(argparse.ArgumentParser):
    """argparse prints usage plus a message; the contract wants one line naming the problem."""

    def error(self, message: str) -> NoReturn:
        say(f"{self.prog}: error: {message}")
        raise SystemExit(2)


def say(line: str) -> None:
    """One line on stderr, whatever the text holds: a bad value's line breaks, terminal escapes and lone
    surrogates are shown escaped (workstation.inputs.one_line), so the line can neither break nor fail."""
    from workstation.inputs import one_line

    sys.stderr.write(one_line(line, limit=1000) + "\n")


def internal_error_line(exc: BaseException) -> str:
    """The one line for a bug. A database error is named by its driver's first line only: SQLAlchemy's text
    carries the SQL statement and every parameter (names, passports, birth dates), never printed."""
    if hasattr(exc, "statement") and hasattr(exc, "orig"):  # sqlalchemy.exc.StatementError and subclasses
        orig = getattr(exc, "orig", None)
        first = (str(orig).strip().splitlines() or [""])[0] if orig is not None else ""
        detail = f"{type(exc).__name__} ({type(orig).__name__}: {first})" if orig is not None else type(exc).__name__
    else:
        detail = f"{type(exc).__name__}: {exc}"
    return f"workstation: internal error: {detail} (set WORKSTATION_DEBUG=1 for details)"


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with `only` the sub-commands of that one module."""
    parser = _Parser(prog="workstation", description="DJBC customs officer workstation: without a COMMAND, the "
                     "terminal UI on the configured database (it needs a terminal; the first run creates the "
                     "database and asks for the office and the first administrator).",
                     epilog="Exit status: 0 success, 1 a refusal (the rules or the state of a case), 2 bad input "
                     "or configuration (one line on stderr naming the field). `workstation COMMAND --help` says "
                     "what each command does.")
    parser.add_argument("--config", metavar="FILE", help="configuration TOML (else WORKSTATION_CONFIG, else user config dir)")
    parser.add_argument("--version", action="version", version="%(prog)s " + _version())
    parser.add_argument("--ssh-user", metavar="LOGIN",
                        help="run the TUI for an SSH session of LOGIN (docs/ssh.md; same as `tui --ssh-user`)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in (only,) if only else COMMAND_MODULES:
        importlib.import_module(f"workstation.commands.{name}").register(sub)
    _describe(parser)
    return parser


def _describe(parser: argparse.ArgumentParser) -> None:
    """Every `COMMAND --help` says what the command does: a sub-command registered with a one-line `help`
    and no `description` gets that line as its description (argparse shows `help` only in its parent's list)."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {a.dest: a.help for a in action._choices_actions}
        for name, child in action.choices.items():
            if not child.description and helps.get(name):
                text = str(helps[name])
                child.description = text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
            _describe(child)


def _version() -> str:
    from workstation import __version__

    return __version__


def _module_for(argv: Sequence[str]) -> str | None:
    """The one command module `argv` needs, or None for the whole parser (help, version, a typo)."""
    rest = list(argv)
    while rest:
        token = rest.pop(0)
        if token == "--config":
            if rest:
                rest.pop(0)
        elif token.startswith("--config="):
            continue
        elif token == "--ssh-user" or token.startswith("--ssh-user="):
            return "tui"  # an SSH session: the TUI (docs/ssh.md)
        elif token.startswith("-"):
            return None
        else:
            return COMMAND_NAMES.get(token)
    return "tui"  # bare `workstation`: the TUI


def _setup_logging(args: argparse.Namespace, *, tui: bool) -> None:
    """Log to data_dir/logs/workstation-<pid>.log (workstation/logs.py). The TUI gets nothing on the terminal
    Textual draws on; a one-shot command also shows warnings on stderr. A configuration the command will
    refuse anyway only loses the file here (the command says what is wrong)."""
    from workstation import logs

    try:
        # the boot values (tomllib and the environment): pydantic would cost the TUI's first paint ~0.15 s
        from workstation.bootconfig import read_boot

        boot = read_boot(getattr(args, "config", None))
        data_dir, level = boot.data_dir, boot.log_level
        if getattr(args, "command", None) == "demo" and getattr(args, "dir", None):
            data_dir = Path(args.dir)  # the demo keeps its log beside its database
    except Exception:  # e.g. an unreadable config file: the command itself reports it, in one line
        data_dir, level = None, "INFO"
    command = getattr(args, "command", None)
    # `db upgrade` creates the store; the servers run for days and need their log files (one per process)
    creates = (command == "db" and getattr(args, "db_command", None) == "upgrade") or command in (
        "serve-ssh", "sync-server")
    if not tui and not creates and data_dir is not None and not Path(data_dir).is_dir():
        # a one-shot command on an unconfigured machine creates nothing, not even a log directory (its
        # warnings still reach stderr); the TUI's first run and `db upgrade` create the data directory
        data_dir = None
    logs.setup(data_dir, level=level, console=not tui)


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    module = _module_for(argv)
    parser = build_parser(module)
    args = parser.parse_args(argv)
    _setup_logging(args, tui=module == "tui" and args.command in (None, "tui", "demo"))
    if not getattr(args, "handler", None):
        # Bare `workstation`: the TUI on the configured database.
        from workstation.commands.tui import run_tui

        handler = run_tui
    else:
        handler = args.handler
    try:
        code = handler(args)
    except WorkstationError as exc:
        say(f"workstation: {exc}")
        code = exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("workstation: interrupted\n")
        code = 130
    except Exception as exc:
        # A bug, not bad input: one line for the user, the traceback when asked for.
        if os.environ.get("WORKSTATION_DEBUG"):
            raise
        say(internal_error_line(exc))
        code = 70
    return int(code or 0)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
