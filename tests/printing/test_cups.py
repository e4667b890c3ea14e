"""Printing through a real CUPS scheduler. The fixture starts a private cupsd (its own config, spool and
unix socket in a temp dir; no system queue or daemon is touched) with a raw queue whose backend copies each
job to a file, then `lp` submits through it. .ci/setup-cups.sh installs cupsd and lp from Debian packages."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from printing.output import PrinterError, send_to_cups
from printing.render import render_pdf


def _which(name: str) -> str | None:
    return shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.access(p, os.X_OK)), None
    )


def _scheduler_running(lpstat: str, sock: Path) -> bool:
    try:
        out = subprocess.run([lpstat, "-h", str(sock), "-r"], capture_output=True, check=False, timeout=5)
    except subprocess.TimeoutExpired:
        return False
    return out.stdout.startswith(b"scheduler is running")


CAPTURE_BACKEND = """\
#!/bin/sh
# Test capture backend: writes each job to <dir>/job-<id>.out (dir from the device URI capture:<dir>).
if [ $# -eq 0 ]; then echo 'direct capture "Unknown" "Test capture"'; exit 0; fi
dir="${DEVICE_URI#capture:}"
out="$dir/job-$1.out"
if [ -n "$6" ]; then cat "$6" > "$out.part"; else cat > "$out.part"; fi
mv "$out.part" "$out"
"""


@pytest.fixture(scope="module")
def cups():
    tools = {name: _which(name) for name in ("cupsd", "lp", "lpadmin", "lpstat")}
    missing = [name for name, path in tools.items() if path is None]
    if missing:
        pytest.skip(f"CUPS not installed ({', '.join(missing)} missing); .ci/setup-cups.sh installs it")
    if os.geteuid() != 0:
        pytest.skip("a private cupsd must start as root (it runs backends as user lp)")
    serverbin = Path("/usr/lib/cups")
    if not (serverbin / "daemon" / "cups-exec").exists():
        pytest.skip("cups-exec not found under /usr/lib/cups/daemon")

    root = Path(tempfile.mkdtemp(prefix="wscups."))  # short: a unix socket path is limited to ~100 bytes
    root.chmod(0o755)
    for sub in ("spool", "cache", "state", "log", "out", "bin/backend"):
        (root / sub).mkdir(parents=True)
    (root / "out").chmod(0o777)  # the backend runs as user lp
    (root / "bin").chmod(0o755)
    (root / "bin" / "backend").chmod(0o755)
    for sub in ("daemon", "filter"):
        (root / "bin" / sub).symlink_to(serverbin / sub)
    backend = root / "bin" / "backend" / "capture"
    backend.write_text(CAPTURE_BACKEND)
    backend.chmod(0o755)
    sock = root / "cups.sock"
    (root / "cupsd.conf").write_text(
        textwrap.dedent(
            f"""\
            Listen {sock}
            LogLevel info
            WebInterface No
            Browsing No
            <Location />
              Order allow,deny
              Allow all
            </Location>
            <Location /admin>
              Order allow,deny
              Allow all
            </Location>
            """
        )
    )
    (root / "cups-files.conf").write_text(
        textwrap.dedent(
            f"""\
            ServerRoot {root}
            ServerBin {root}/bin
            RequestRoot {root}/spool
            TempDir {root}/spool
            CacheDir {root}/cache
            StateDir {root}/state
            AccessLog {root}/log/access_log
            ErrorLog {root}/log/error_log
            PageLog {root}/log/page_log
            Printcap {root}/state/printcap
            """
        )
    )
    log = open(root / "log" / "stdout", "wb")  # noqa: SIM115 - closed in the teardown below
    proc = subprocess.Popen(
        [tools["cupsd"], "-f", "-c", str(root / "cupsd.conf"), "-s", str(root / "cups-files.conf")],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            ok = sock.exists() and _scheduler_running(tools["lpstat"], sock)
            if ok:
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                errors = (root / "log" / "error_log").read_text(errors="replace") if (root / "log" / "error_log").exists() else ""
                pytest.fail(f"private cupsd did not start (exit {proc.poll()}):\n{errors[-2000:]}")
            time.sleep(0.1)
        subprocess.run(
            [tools["lpadmin"], "-h", str(sock), "-p", "wscapture", "-E", "-v", f"capture:{root / 'out'}"],
            check=True,
            capture_output=True,
            timeout=30,
        )
        yield SimpleNamespace(server=str(sock), out=root / "out", queue="wscapture", lp=tools["lp"], root=root)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()
        shutil.rmtree(root, ignore_errors=True)


def _wait_for(path: Path, seconds: float = 15) -> bytes:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"the capture backend wrote no {path.name}")
        time.sleep(0.05)
    return path.read_bytes()


def test_pdf_reaches_the_printer_unchanged(cups, sppb):
    pdf = render_pdf(sppb.content, payload=sppb.sealed.payload, copy_number=1, invariant=True)
    job = send_to_cups(pdf, cups.queue, title=f"SPPB {sppb.content.number}", server=cups.server, lp=cups.lp)
    assert job.startswith(f"{cups.queue}-")
    captured = _wait_for(cups.out / f"job-{job.rsplit('-', 1)[1]}.out")
    assert captured == pdf


def test_cups_server_from_the_environment(cups, sppb, monkeypatch):
    # What a workstation configured with CUPS_SERVER (or /etc/cups/client.conf) does: no -h at all.
    monkeypatch.setenv("CUPS_SERVER", cups.server)
    pdf = render_pdf(sppb.content, payload=sppb.sealed.payload, invariant=True)
    job = send_to_cups(pdf, cups.queue, title="env", lp=cups.lp)
    assert _wait_for(cups.out / f"job-{job.rsplit('-', 1)[1]}.out") == pdf


def test_missing_queue_on_a_real_scheduler(cups):
    with pytest.raises(PrinterError) as err:
        send_to_cups(b"%PDF-1.4", "no-such-queue", title="t", server=cups.server, lp=cups.lp)
    assert "does not exist" in str(err.value)
    assert str(err.value).startswith("printer no-such-queue: ")


def test_scheduler_not_running(cups):
    with pytest.raises(PrinterError) as err:
        send_to_cups(b"%PDF-1.4", cups.queue, title="t", server=str(cups.root / "absent.sock"), lp=cups.lp)
    assert str(err.value).startswith(f"printer {cups.queue}: ")
