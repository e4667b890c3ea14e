"""The smart gate decides from the releases, the check digit and the scanner; it logs every container."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text

from db.models import Case, GateEvent
from tests.conftest import BACKEND, PASSWORD
from tests.services.test_pib_support import env_fixture as env  # noqa: F401  (fixture)
from tests.services.test_plp_workflow import _approved
from workstation.config import with_overrides
from workstation.domain.codes import Role
from workstation.errors import PermissionDenied


@pytest.fixture
def gate(services, users):
    services.issuance.ensure_office_key()
    sup = users[Role.SUPERVISOR]
    for code in ("KOJA", "MTI1", "JICT"):
        services.plp.save_tps(sup, code, code, f"PT {code}", "IDTPP", 1000)
    gate_cfg = services.settings.gate.model_copy(update={"barrier": "gate-1", "tps": "KOJA"})
    services.ctx.settings = with_overrides(services.ctx.settings, gate=gate_cfg)
    return services.gate


def _scan(container: str, suspicious: bool, at: dt.datetime, scan_id: str = "SC-1"):
    return SimpleNamespace(scan_id=scan_id, scanned_at=at, at=at, device="xray-1", container=container,
                           plate="B 1 AB", image_ref="img/1.png", verdict="ANOMALY" if suspicious else "CLEAR",
                           suspicious=suspicious)


def test_approved_plp_container_opens_and_moves(services, users, gate):
    d = _approved(services, users, services.plp)
    r = gate.check(users[Role.OFFICER], "CSQU 305438 3", plate="B 9044 UIO", read_by="gate-reader")
    assert r.open and r.reasons == () and r.release.kind == "PLP" and r.recorded
    assert services.plp.get(d.case.id).case.state == "MOVING"
    # the same container again at the origin gate: it has left, nothing releases it here
    again = gate.check(users[Role.OFFICER], "CSQU3054383")
    assert not again.open and again.reasons == ("NO_RELEASE",)


@pytest.mark.parametrize(("number", "reason"), [("CSQU3054384", "INVALID_CONTAINER_NUMBER"),
                                                 ("MSCU6639870", "NO_RELEASE")])
def test_bad_or_unknown_container_stays_shut(services, users, gate, number, reason):
    r = gate.check(users[Role.OFFICER], number)
    assert not r.open and r.reasons == (reason,)
    with services.ctx.db.read() as s:
        ev = s.scalars(select(GateEvent)).one()
    assert (ev.decision, ev.reasons, ev.actor_login) == ("SHUT", [reason], "siti")


def test_scanner_suspicion_keeps_it_shut_and_flags_the_case(services, users, gate, clock):
    d = _approved(services, users, services.plp)
    assert gate.record_scan_result(_scan("CSQU3054383", True, clock.now)) is not None
    assert gate.record_scan_result(_scan("CSQU3054383", True, clock.now)) is None  # idempotent by scan id
    r = gate.check(users[Role.OFFICER], "CSQU3054383")
    assert not r.open and r.reasons == ("SCANNER_SUSPICION",) and r.scan["verdict"] == "ANOMALY"
    assert services.plp.get(d.case.id).case.state == "APPROVED"  # nothing moved
    with services.ctx.db.read() as s:
        flags = s.get(Case, d.case.id).flags
    assert "SCANNER_SUSPICION" in flags and "GATE_REFUSED" in flags


def test_an_old_clear_scan_does_not_count_and_a_clear_one_lets_it_pass(services, users, gate, clock):
    _approved(services, users, services.plp)
    gate.record_scan_result(_scan("CSQU3054383", True, clock.now - dt.timedelta(hours=5), "OLD"))
    gate.record_scan_result(_scan("CSQU3054383", False, clock.now, "NEW"))
    assert gate.check(users[Role.OFFICER], "CSQU3054383").open


def test_override_needs_two_supervisors_and_is_logged(services, users, gate):
    services.auth.create_user(users[Role.ADMIN], "wati", "Wati", ["supervisor"], PASSWORD)
    wati = services.auth.login("wati", PASSWORD)
    with pytest.raises(PermissionDenied):
        gate.override(users[Role.OFFICER], "MSCU6639870", wati, "darurat")
    with pytest.raises(PermissionDenied):
        gate.override(users[Role.SUPERVISOR], "MSCU6639870", users[Role.SUPERVISOR], "darurat")
    r = gate.override(users[Role.SUPERVISOR], "MSCU6639870", wati, "kendaraan medis")
    assert r.open
    with services.ctx.db.read() as s:
        ev = s.scalars(select(GateEvent)).one()
    assert ev.decision == "OVERRIDE" and "CONFIRMED_BY:wati" in ev.reasons


def test_gate_log_is_append_only(services, users, gate):
    gate.check(users[Role.OFFICER], "MSCU6639870")
    with pytest.raises(Exception, match="append-only"), services.ctx.db.engine.begin() as c:
        c.execute(text("UPDATE gate_events SET decision = 'OPEN'"))
    assert BACKEND in ("sqlite", "postgresql")


def test_sppb_releases_its_containers_at_the_gate(services, users, clock, env):  # noqa: F811  (the imported fixture)
    """The PIB's BC 1.1 line carries CSQU3054383 and MSKU9070323: once the SPPB is issued, the gate lets
    either out and the PIB is released (gate-out recorded)."""
    from workstation.services import pib as P

    gate_cfg = services.settings.gate.model_copy(update={"barrier": "gate-1"})
    services.ctx.settings = with_overrides(services.ctx.settings, gate=gate_cfg)
    cid = env.in_research()
    assert not services.gate.check(users[Role.OFFICER], "MSKU9070323").open  # no SPPB yet
    env.determine(cid)
    r = services.gate.check(users[Role.OFFICER], "MSKU9070323", plate="B 7 XY")
    assert r.open and r.release.kind == "SPPB" and r.release.reference.endswith("/SPPB/040300/2026")
    assert env.detail(cid).state == P.RELEASED


def test_sppb_look_up_runs_once_per_truck_outside_the_write_lock(services, users, env, monkeypatch):  # noqa: F811
    """One indexed look-up per container read, never while the office-wide write lock is held; the write then
    re-checks only the released case's version and state. Once out, the container has no release left."""
    from contextlib import contextmanager

    from workstation.services import pib as P
    from workstation.services.pib import queries

    gate_cfg = services.settings.gate.model_copy(update={"barrier": "gate-1"})
    services.ctx.settings = with_overrides(services.ctx.settings, gate=gate_cfg)
    cid = env.in_research()
    env.determine(cid)
    db = services.ctx.db
    writing = []
    calls = []
    real_write, real_lookup = db.write, queries.release_for_container

    @contextmanager
    def write():
        writing.append(True)
        try:
            with real_write() as s:
                yield s
        finally:
            writing.pop()

    def lookup(s, number):
        calls.append(bool(writing))
        return real_lookup(s, number)

    monkeypatch.setattr(db, "write", write)
    monkeypatch.setattr(queries, "release_for_container", lookup)
    r = services.gate.check(users[Role.OFFICER], "CSQU3054383", plate="B 7 XY")
    assert r.open and r.recorded and env.detail(cid).state == P.RELEASED
    assert calls == [False]  # once, and not under the write lock
    again = services.gate.check(users[Role.OFFICER], "CSQU3054383")
    assert not again.open and again.reasons == ("NO_RELEASE",)


def test_a_release_that_changed_since_the_look_up_is_not_recorded(services, users, env):  # noqa: F811
    """The look-up returned version v; the case moved on before the write: the gate-out is refused (version
    conflict) and the case keeps the state the other change gave it."""
    from workstation.errors import ConflictError
    from workstation.services import pib as P

    cid = env.in_research()
    env.determine(cid)
    release = services.gate._releases("MSKU9070323", None)[0]
    services.pib.release(users[Role.SUPERVISOR], cid, env.detail(cid).version, note="released by hand")
    with pytest.raises(ConflictError):
        services.gate._record_movement(users[Role.OFFICER], release, "MSKU9070323", "B 7 XY", "gate")
    assert env.detail(cid).state == P.RELEASED


# --- the barrier: one truck through, closed after it and at once on a refusal (#11 item 9) -------------------

@pytest.fixture
def barrier(services, users, gate, tmp_path):
    """A real device manager on the demo's barrier simulator (ASCII protocol on a pty), every command audited
    through DevicesService as the screens do it. Yields (manager, simulator)."""
    import os

    if os.name != "posix":
        pytest.skip("pseudo-terminals are POSIX only")
    from devices.config import parse_device_configs
    from devices.manager import DeviceManager
    from devices.sim.simulators import make_simulator

    link = str(tmp_path / "gate-1")
    sim = make_simulator("barrier", link=link, protocol="ascii", travel=0.05)
    spec = {"name": "gate-1", "kind": "barrier", "protocol": "ascii", "port": link, "poll_interval": 0.05,
            "read_timeout": 0.05, "reconnect_initial": 0.05}
    officer = users[Role.OFFICER]
    manager = DeviceManager(parse_device_configs([spec]), lambda e: None,
                            lambda d, c, r: services.devices.record_barrier_command(officer, d, c, r))
    manager.start()
    try:
        assert _until(lambda: manager.health("gate-1").detail == "closed")
        yield manager, sim
    finally:
        manager.stop()
        sim.close()


def _until(cond, seconds: float = 10.0) -> bool:
    import time

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return False


def _barrier_audit(services) -> list[tuple[str, str, str | None]]:
    import json

    from db.models import AuditEntry

    with services.ctx.db.read() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.action == "device.barrier_command")
                         .order_by(AuditEntry.seq)).all()
        return [(r.actor_login, json.loads(r.payload)["command"], json.loads(r.payload)["reason"]) for r in rows]


def _close_after(services, seconds: float) -> None:
    cfg = services.ctx.settings.gate.model_copy(update={"close_after_s": seconds})
    services.ctx.settings = with_overrides(services.ctx.settings, gate=cfg)


def test_the_barrier_lets_one_truck_through_and_closes_after_its_passage(services, users, gate, barrier):
    manager, sim = barrier
    sim.do_autopass("0.2")  # the truck drives through the loop once the arm is up
    _close_after(services, 60)
    _approved(services, users, services.plp)
    d = gate.check(users[Role.OFFICER], "CSQU3054383")
    result = gate.move_barrier(users[Role.OFFICER], manager, d)
    assert d.open and result.ok
    assert _until(lambda: len(_barrier_audit(services)) == 2)
    opened, closed = _barrier_audit(services)
    assert opened[:2] == ("siti", "open") and "CSQU3054383" in opened[2] and "PLP" in opened[2]
    assert closed == ("system", "close", "passage")  # the device closed it, not the officer
    assert _until(lambda: manager.health("gate-1").detail == "closed")
    assert sim.mechanism.commands == ["open", "close"]


def test_without_a_passage_the_barrier_closes_after_the_configured_time(services, users, gate, barrier):
    manager, sim = barrier
    _close_after(services, 0.3)
    _approved(services, users, services.plp)
    assert gate.move_barrier(users[Role.OFFICER], manager, gate.check(users[Role.OFFICER], "CSQU3054383")).ok
    assert _until(lambda: len(_barrier_audit(services)) == 2)
    assert _barrier_audit(services)[1] == ("system", "close", "timeout")
    assert sim.mechanism.commands == ["open", "close"]


def test_a_refusal_closes_the_barrier_at_once(services, users, gate, barrier):
    manager, sim = barrier
    _close_after(services, 60)
    _approved(services, users, services.plp)
    assert gate.move_barrier(users[Role.OFFICER], manager, gate.check(users[Role.OFFICER], "CSQU3054383")).ok
    assert _until(lambda: manager.health("gate-1").detail == "open")
    refused = gate.check(users[Role.OFFICER], "MSCU6639871")  # the next truck: bad check digit
    result = gate.move_barrier(users[Role.OFFICER], manager, refused)
    assert not refused.open and result.ok and result.command == "close"
    assert _barrier_audit(services)[-1] == ("siti", "close", "refused: MSCU6639871")
    assert _until(lambda: manager.health("gate-1").detail == "closed")
    assert sim.mechanism.commands == ["open", "close"]


def test_moving_the_barrier_needs_a_gate_role_and_a_barrier(services, users, gate):
    d = gate.check(users[Role.OFFICER], "MSCU6639871")
    assert gate.move_barrier(users[Role.OFFICER], None, d) is None  # no device manager on this workstation
    with pytest.raises(PermissionDenied):
        gate.move_barrier(users[Role.EXAMINER], None, d)
    with pytest.raises(PermissionDenied):
        gate.close_barrier(users[Role.EXAMINER], None)
