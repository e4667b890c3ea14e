from __future__ import annotations

import os
import stat
import textwrap

import pytest

from printing.output import PrinterError, lp_argv, send_to_cups, write_file
from workstation.errors import InputError, WorkstationError


def test_write_file_atomic_and_replaces(tmp_path):
    path = tmp_path / "doc.pdf"
    path.write_bytes(b"old")
    assert write_file(b"%PDF-new", path) == path
    assert path.read_bytes() == b"%PDF-new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.pdf"]  # no temp file left


def test_write_file_bad_places(tmp_path):
    with pytest.raises(InputError, match="directory does not exist"):
        write_file(b"x", tmp_path / "nope" / "doc.pdf")
    target = tmp_path / "a-directory"
    target.mkdir()
    with pytest.raises(InputError, match="cannot write file"):
        write_file(b"x", target)
    assert [p.name for p in target.iterdir()] == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-directory"]


@pytest.fixture
def fake_lp(tmp_path, monkeypatch):
    """An `lp` on PATH that records its argv and stdin, and fails like CUPS for the queue `nosuch`."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "lp-log"
    log.mkdir()
    script = bindir / "lp"
    script.write_text(
        textwrap.dedent(
            """\
            #!/bin/sh
            printf '%s\\n' "$@" > "$LP_LOG/argv"
            cat > "$LP_LOG/stdin"
            for a in "$@"; do
              if [ "$a" = nosuch ]; then
                echo "lp: Error - The printer or class does not exist." >&2
                exit 1
              fi
              if [ "$a" = slow ]; then exec sleep 5; fi
            done
            echo "request id is office-7 (0 file(s))"
            """
        )
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("LP_LOG", str(log))
    return log


def test_lp_gets_queue_title_and_pdf_on_stdin(fake_lp):
    pdf = b"%PDF-1.4 fake document\x00\xff"
    job = send_to_cups(pdf, "office", title="SPPB SPPB-040300-2026-000123", copies=2, options={"media": "A4"})
    assert job == "office-7"
    argv = (fake_lp / "argv").read_text().splitlines()
    assert argv == ["-d", "office", "-t", "SPPB SPPB-040300-2026-000123", "-n", "2", "-o", "media=A4"]
    assert (fake_lp / "stdin").read_bytes() == pdf


def test_lp_server_option(fake_lp):
    send_to_cups(b"%PDF", "office", title="t", server="/run/cups/cups.sock")
    assert (fake_lp / "argv").read_text().splitlines()[:2] == ["-h", "/run/cups/cups.sock"]


def test_missing_queue_is_a_printer_error_with_lps_message(fake_lp):
    with pytest.raises(PrinterError) as err:
        send_to_cups(b"%PDF", "nosuch", title="t")
    assert str(err.value) == "printer nosuch: The printer or class does not exist."
    assert isinstance(err.value, WorkstationError)
    assert err.value.exit_code == 2


def test_lp_not_installed(tmp_path):
    with pytest.raises(PrinterError, match="not found: install the CUPS client"):
        send_to_cups(b"%PDF", "office", title="t", lp=str(tmp_path / "no-lp"))


def test_lp_hanging_times_out(fake_lp):
    with pytest.raises(PrinterError, match="did not answer"):
        send_to_cups(b"%PDF", "slow", title="t", timeout=0.5)


@pytest.mark.parametrize("queue", ["", "two words", "a/b", "-", "x" * 128, "q#1"])
def test_invalid_queue_names(queue):
    if queue == "-":
        # A dash is a legal queue name for CUPS and stays one argv element after -d.
        assert lp_argv("-", title="t")[1:3] == ["-d", "-"]
        return
    with pytest.raises(InputError) as err:
        lp_argv(queue, title="t")
    assert err.value.field == "printer"


def test_title_is_one_printable_line():
    argv = lp_argv("office", title="SPPB\nline two\x1b[31m")
    title = argv[argv.index("-t") + 1]
    assert "\n" not in title and "\x1b" not in title


@pytest.mark.parametrize("options", [{"media": "A4 x"}, {"bad key": "1"}])
def test_bad_printer_options(options):
    with pytest.raises(InputError):
        lp_argv("office", title="t", options=options)
