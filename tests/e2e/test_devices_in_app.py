"""A real serial device (a simulator on a pseudo-terminal) reaches the active screen through the app, its
health shows in the status bar, and barrier commands are audited."""

from __future__ import annotations

import sys

import pytest
from sqlalchemy import select
from textual.screen import Screen

from tests.e2e.conftest import login, settle, until

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="pseudo-terminals")


class _Probe(Screen):
    """Stands in for a workflow screen: records the device events it is given."""

    def __init__(self, seen: list) -> None:
        super().__init__()
        self.seen = seen

    def on_device_event_message(self, message) -> None:
        self.seen.append(message.event)


async def test_scan_reaches_the_screen_and_barrier_command_is_audited(services, users, clock, tmp_path):
    from db.models import AuditEntry
    from devices.sim.simulators import make_simulator
    from screens.app import WorkstationApp
    from workstation.config import with_overrides

    reader = make_simulator("barcode", link=str(tmp_path / "qr"))
    gate = make_simulator("barrier", link=str(tmp_path / "gate"), protocol="ascii", travel=0.05)
    devices = [
        {"name": "counter-qr", "kind": "barcode", "port": str(tmp_path / "qr"), "baud": 115200},
        {"name": "gate-1", "kind": "barrier", "protocol": "ascii", "port": str(tmp_path / "gate"), "baud": 9600},
    ]
    settings = with_overrides(services.settings, devices=devices)
    services.ctx.settings = settings
    received: list = []

    class CountingApp(WorkstationApp):
        def on_device_event_message(self, message) -> None:
            received.append(message.event)  # Textual then runs the base class handler too (MRO dispatch)

    app = CountingApp(settings, services=services, clock=clock)
    seen = []
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await login(app, pilot, "siti")
            await app.push_screen(_Probe(seen))
            assert await until(pilot, lambda: "counter-qr●" in app.device_summary and "gate-1●" in app.device_summary)
            reader.scan("ECD:ECD-20261121-000123")
            assert await until(pilot, lambda: any(getattr(e, "text", "") == "ECD:ECD-20261121-000123" for e in seen))
            await pilot.pause(0.2)
            # each event reaches the app once and the screen once: a forwarded message never comes back
            assert len(received) == len({id(e) for e in received})
            assert [e for e in seen if getattr(e, "text", None)] == [e for e in received if getattr(e, "text", None)]
            result = await pilot.app.run_worker(
                lambda: app.devices.manager.barrier_command("gate-1", "open"), thread=True).wait()
            assert result.ok
            await settle(app, pilot)
    finally:
        reader.close()
        gate.close()
    with services.ctx.db.read() as s:
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "device.barrier_command")))
    assert len(entries) == 1 and entries[0].actor_login == "siti" and '"command":"open"' in entries[0].payload
