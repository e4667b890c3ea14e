"""Running `workstation` in-process for the bad-input fuzz tests, and what each run must hold (issue #11
item 8, CONTRACTS.md): exit 0, 1 or 2 only; a refusal or bad input says exactly ONE line on stderr, never a
traceback or an "internal error"; bad input (exit 2) writes nothing."""

from __future__ import annotations

import contextlib
import io
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from workstation.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DATA = Path(__file__).resolve().parents[2] / "workstation" / "data"


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


def run_cli(*argv: str, stdin: bytes = b"") -> Run:
    """`workstation ARGV` in this process; stdout and stderr captured, stdin given as bytes."""
    out, err = io.StringIO(), io.StringIO()
    fake_in = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8", errors="surrogateescape")
    old_in = sys.stdin
    sys.stdin = fake_in
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(argv))
            except SystemExit as exc:  # argparse usage errors
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        sys.stdin = old_in
    return Run(int(code), out.getvalue(), err.getvalue())


def assert_contract(run: Run, what: str) -> None:
    """The exit status and stderr contract; `what` names the input in the failure message."""
    assert run.code in (0, 1, 2), f"{what}: exit {run.code}: {run.err!r}"
    assert "Traceback" not in run.err and "internal error" not in run.err, f"{what}: {run.err!r}"
    lines = run.err.splitlines()
    if run.code == 2 or (run.code == 1 and run.err):
        # bad input says one line; a refusal either says one line or prints its outcome on stdout
        assert len(lines) == 1 and run.err.endswith("\n"), f"{what}: not one line: {run.err!r}"
        assert lines[0].startswith("workstation"), f"{what}: {run.err!r}"
    assert all(ch.isprintable() for line in lines for ch in line), f"{what}: unprintable: {run.err!r}"


class RowCounter:
    """Rows in every table of a database: the same before and after a refused command means nothing written."""

    def __init__(self, url: str):
        self.engine = create_engine(url)
        self.tables = sorted(inspect(self.engine).get_table_names())

    def __call__(self) -> dict[str, int]:
        with self.engine.connect() as c:
            return {t: c.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in self.tables}

    def close(self) -> None:
        self.engine.dispose()
