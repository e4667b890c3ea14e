"""Memory per session (issue #15: RSS per SSH session): a logged-in supervisor (the role that sees every
section) on the home screen has not imported what only an opened section, a printout, a key operation or
another command needs. Each module below costs a process megabytes (bench/sessions.py measures it); a top-level
import that brings one back at login fails here. The section screens are imported when first opened
(screens/app.py logged_in), Textual's help panel (Markdown, markdown-it, pygments) on the first F1."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from db import audit as chain
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]

# Not needed on the home screen. The office key is read as a seed (printing.signing.load_private_seed): the
# audit MAC needs no cryptography; only the first write of a day signs an anchor.
NOT_AT_HOME = (
    # the section screens and what they bring (services, rules, printing)
    "screens.passenger", "screens.hangar", "screens.examiner", "screens.warehouse", "screens.gate",
    "screens.supervisor", "screens.admin", "screens.approvals", "screens.risk", "screens.sync",
    "workstation.services.pib", "workstation.services.ecd", "workstation.services.plp", "workstation.rules.pib",
    "workstation.formats", "printing.documents", "reportlab", "pypdf",
    # the F1 panel
    "markdown_it", "textual.widgets._markdown",
    # other commands: migrations, the SSH server, the sync server and client, property tests
    "alembic", "asyncssh", "starlette", "uvicorn", "httpx", "hypothesis", "cryptography",
    # OpenSSL (workstation/footprint.py): hashlib, asyncio and psycopg would load it at import
    "ssl", "_ssl", "_hashlib",
)

CODE = """
import sys
from workstation.footprint import without_openssl
without_openssl()  # as `workstation tui` does first
import asyncio, contextlib, json, hashlib
from textual.worker import WorkerCancelled
from workstation.bootconfig import read_boot
from screens.app import WorkstationApp

async def settle(app, pilot):
    for _ in range(3):
        for worker in list(app.workers):
            with contextlib.suppress(WorkerCancelled):
                await worker.wait()
        await pilot.pause()

async def main():
    app = WorkstationApp(read_boot(None))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#login").value = LOGIN
        app.screen.query_one("#password").value = PASSWORD
        app.screen.query_one("#password").focus()
        await pilot.press("enter")
        await settle(app, pilot)
        home = (type(app.screen).__name__, sorted(m for m in NOT_AT_HOME if m in sys.modules))
        await pilot.press("f5")  # Examination: its screen is imported now
        await settle(app, pilot)
        opened = (type(app.screen).__name__, "screens.examiner" in sys.modules)
    print(json.dumps({"home": home, "opened": opened, "sha256": hashlib.sha256(b"abc").hexdigest()}))

asyncio.run(main())
"""


def test_a_logged_in_home_screen_holds_no_section_printing_or_help_modules(services, settings, tmp_path):
    services.issuance.ensure_office_key()  # as every office has one (db upgrade): the MAC of every append
    auth = services.auth
    auth.create_first_admin("admin", "Admin Kantor", PASSWORD)
    auth.create_user(auth.login("admin", PASSWORD), "agus", "Agus Wijaya", ["supervisor"], PASSWORD)
    with services.ctx.db.write() as s:  # today's anchor exists (the app runs on the real clock): no signing at login
        chain.anchor(s, services.ctx.office_key(), "daily", dt.datetime.now(dt.UTC))
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("WORKSTATION_")}
    env.update(WORKSTATION_DATABASE_URL=settings.effective_database_url, WORKSTATION_DATA_DIR=str(settings.data_dir),
               WORKSTATION_PASSWORD_HASHING="fast", WORKSTATION_OFFICE__CODE="040300",
               XDG_CONFIG_HOME=str(tmp_path / "xdg-config"), XDG_DATA_HOME=str(tmp_path / "xdg-data"),
               PYTHONPATH=str(ROOT))
    code = f"LOGIN, PASSWORD, NOT_AT_HOME = 'agus', {PASSWORD!r}, {NOT_AT_HOME!r}\n" + CODE
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["home"] == ["HomeScreen", []]
    assert result["opened"] == ["ExaminerScreen", True]  # the lazy import still opens the section
    # CPython's own SHA-256 (FIPS 180-4 test vector "abc") serves where OpenSSL's did
    assert result["sha256"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_the_tui_command_keeps_openssl_out_and_a_later_import_still_loads_it(tmp_path):
    """`workstation tui` marks OpenSSL absent only while hashlib and asyncio are imported: after its first
    paint neither OpenSSL module is loaded, hmac and hashlib answer, and `import ssl` works (an HTTPS sync)."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'data_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    code = f"""
import json, sys
from workstation.cli import main
code = main(["--config", {str(cfg)!r}, "tui", "--headless", "--exit-on", "first-paint"])
loaded = [m for m in ("ssl", "_ssl", "_hashlib") if m in sys.modules]
import hmac
mac = hmac.new(b"k", b"m", "sha256").hexdigest()
import ssl
print(json.dumps({{"code": code, "loaded": loaded, "mac": mac, "ssl": ssl.OPENSSL_VERSION_INFO[0]}}))
"""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("WORKSTATION_")}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "xdg-config"), XDG_DATA_HOME=str(tmp_path / "xdg-data"),
               PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    import hmac as real_hmac

    assert result == {"code": 0, "loaded": [], "ssl": 3,
                      "mac": real_hmac.new(b"k", b"m", "sha256").hexdigest()}


# -- the office key read as a seed, without cryptography --------------------------------------------------------
def test_the_seed_is_the_key_s_raw_private_bytes_and_the_chain_key_the_same(tmp_path):
    from cryptography.hazmat.primitives import serialization

    from db.audit import ChainKey
    from printing import signing
    from workstation.bootconfig import read_boot

    zone = read_boot(None).zone
    for i in range(5):
        key = signing.generate_key(tmp_path / f"k{i}")
        raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
        assert signing.load_private_seed(tmp_path / f"k{i}") == raw
        from_seed, from_key = ChainKey(raw, "040300", zone), ChainKey(key, "040300", zone)
        assert from_seed.mac_secret == from_key.mac_secret
        assert from_seed.mac("ab" * 32) == from_key.mac("ab" * 32)
        assert from_seed.public_b64 == from_key.public_b64 == signing.public_key_b64(key)
        assert raw.hex() not in repr(from_seed)
    # any other key goes through cryptography: refused with load_private_key's own message
    from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PrivateKey

    from workstation.errors import InputError

    path = tmp_path / "ed448"
    path.write_bytes(Ed448PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    path.chmod(0o600)
    for load in (signing.load_private_key, signing.load_private_seed):
        with pytest.raises(InputError, match="not an Ed25519 key"):
            load(path)


@pytest.mark.parametrize("mode", [0o640, 0o604])
def test_the_seed_reader_refuses_a_key_file_others_can_read(tmp_path, mode):
    from printing import signing
    from workstation.errors import InputError

    path = tmp_path / "k"
    signing.generate_key(path)
    path.chmod(mode)
    with pytest.raises(InputError, match="too open"):
        signing.load_private_seed(path)
