"""The sync process killed (SIGKILL, as a power cut) at each failpoint and run again: nothing lost, nothing
doubled, and unit and central converge exactly as a run without the fault does. Real processes: the
`workstation sync-server` command in front of central's database and the `workstation sync` command on the
unit's SQLite file."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from sqlalchemy import func, select

from db import changes
from db.models import Case
from db.models_sync import SyncChange
from db.schema import metadata
from tests.conftest import PASSWORD
from tests.services.passenger_support import RATES, base_doc, green_doc, text
from workstation.domain.canonical import canonical_json
from workstation.domain.codes import Role
from workstation.sync.unit import FAILPOINTS

pytestmark = pytest.mark.slow


def _env(settings, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKSTATION_")}
    env.update(WORKSTATION_DATABASE_URL=settings.effective_database_url, WORKSTATION_DATA_DIR=str(settings.data_dir),
               WORKSTATION_PASSWORD_HASHING="fast", **extra)
    if settings.unit_code:
        env["WORKSTATION_UNIT_CODE"] = settings.unit_code
    return env


def _cli(args, env, timeout=120):
    return subprocess.run([sys.executable, "-m", "workstation.cli", *args], env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def server(central):
    # a free port is found by binding it and letting it go; another test's process may take it meanwhile, and
    # then a health answer would come from that one while ours failed to bind: checked, and tried anew
    for _attempt in range(3):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        proc = subprocess.Popen([sys.executable, "-m", "workstation.cli", "sync-server", "--listen",
                                 f"127.0.0.1:{port}"], env=_env(central.ctx.settings), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if httpx.get(url + "/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        time.sleep(0.2)  # (a process that lost the port exits just after the other one answered)
        if proc.poll() is None and time.monotonic() < deadline:
            break
        proc.kill()
        proc.wait(10)
    else:
        pytest.fail(f"sync-server did not start: {proc.stderr.read().decode()[:500] if proc.stderr else ''}")
    yield url
    proc.terminate()
    proc.wait(10)


def _rows(db, name):
    tbl = metadata.tables[name]
    with db.read() as s:
        return {canonical_json(changes.encode_row(tbl, dict(r))) for r in s.execute(select(tbl)).mappings()}


def _converged(central, unit) -> None:
    both = [t for t, f in changes.FLOWS.items() if f == changes.BOTH and t in metadata.tables]
    for name in both:
        assert _rows(unit.db, name) == _rows(central.db, name), f"{name} differs between unit and central"
    with unit.db.read() as s:
        outbox = s.scalar(select(func.count()).select_from(SyncChange))
        assert s.scalar(select(func.count()).select_from(SyncChange).where(SyncChange.acked_at.is_(None))) == 0
    with central.db.read() as s:
        at_central = s.scalar(select(func.count()).select_from(SyncChange).where(SyncChange.origin == "PLB01"))
        dup = s.execute(select(Case.kind, Case.reference, func.count()).group_by(Case.kind, Case.reference)
                        .having(func.count() > 1)).all()
    assert at_central == outbox, "every change of the unit is at central exactly once"
    assert dup == []
    assert [c[3] for c in central.sync.verify_unit_chains()] == [None]


@pytest.mark.parametrize("failpoint", [None, *FAILPOINTS])
def test_killed_at_a_failpoint_and_restarted_converges(central, make_unit, server, failpoint):
    central.services.reference.import_rates(central.users[Role.SUPERVISOR], RATES)
    token = central.sync.add_unit(central.users[Role.ADMIN], "PLB01", "Pos Entikong")
    unit = make_unit("PLB01")
    env = _env(unit.settings)
    done = _cli(["sync", "--server", server, "--enrol", token, "--json"], env)
    assert done.returncode == 0, done.stderr
    # work on both sides while apart: central opens cases (something to pull), the unit works offline
    officer_c = central.users[Role.OFFICER]
    for i in range(3):
        central.services.ecd.import_ecd(officer_c, text(green_doc(f"ECD-20261121-0009{i:02d}")))
    officer = unit.services.auth.login("siti", PASSWORD)
    v = unit.services.ecd.import_ecd(officer, text(base_doc("ECD-20261121-000801"))).view
    unit.services.ecd.record_finding(officer, v.case.id, v.version, item_no=1, status="FOUND", value="1300.00")
    for i in range(3):
        unit.services.ecd.import_ecd(officer, text(green_doc(f"ECD-20261121-0008{i + 10:02d}")))
    if failpoint:
        killed = _cli(["sync", "--json"], {**env, "WORKSTATION_SYNC_FAILPOINT": failpoint})
        assert killed.returncode == -9, (failpoint, killed.returncode, killed.stderr[-500:])
    done = _cli(["sync", "--json"], env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["pending"] == 0
    _converged(central, unit)


def test_an_unreachable_server_is_exit_1_and_nothing_is_lost(central, make_unit):
    unit = make_unit("PLB01")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here
    token = central.sync.add_unit(central.users[Role.ADMIN], "PLB01", "Pos Entikong")
    done = _cli(["sync", "--server", f"http://127.0.0.1:{port}", "--enrol", token], _env(unit.settings))
    assert done.returncode == 1 and "cannot reach the sync server" in done.stderr


def _self_signed(folder):
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "central.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_over_tls_a_unit_trusts_only_the_certificate_it_was_given(central, make_unit, tmp_path):
    cert, key = _self_signed(tmp_path)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "workstation.cli", "sync-server", "--listen", f"127.0.0.1:{port}",
                             "--tls-cert", str(cert), "--tls-key", str(key)], env=_env(central.ctx.settings),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                import ssl

                httpx.get(url + "/v1/health", timeout=1, verify=ssl.create_default_context(cafile=str(cert)))
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        token = central.sync.add_unit(central.users[Role.ADMIN], "PLB01", "Pos Entikong")
        unit = make_unit("PLB01")
        env = _env(unit.settings)
        untrusted = _cli(["sync", "--server", url, "--enrol", token], env)
        assert untrusted.returncode == 1 and "certificate" in untrusted.stderr.lower()
        trusted = _cli(["sync", "--server", url, "--enrol", token, "--ca", str(cert), "--json"], env)
        assert trusted.returncode == 0, trusted.stderr
        assert json.loads(trusted.stdout) == {"pushed": 0, "pulled": 0, "conflicts": 0, "pending": 0}
    finally:
        proc.terminate()
        proc.wait(10)
