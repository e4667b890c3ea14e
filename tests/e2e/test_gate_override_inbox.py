"""#15 point 2 at the gate: with no second supervisor at this terminal, the supervisor sends the override to the
approvals inbox; the gate screen shows it waiting, learns the answer by itself and opens the barrier for that
truck when another supervisor approves it — never on their own approval, never on a refusal, never for a truck
that is no longer the one at the gate. And #12 point 2: every key shown works from the container field."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from screens.gate import GateScreen
from tests.conftest import PASSWORD
from tests.e2e.conftest import login, settle, until
from workstation.config import with_overrides
from workstation.domain.codes import Role

REFUSED = "MSKU9070323"  # a valid number with no release: the gate keeps it shut (NO_RELEASE)


class FakeBarrier:
    """The device manager as far as the gate uses it: records the commands sent to the barrier."""

    specs: dict = {}

    def __init__(self) -> None:
        self.sent: list[tuple[str, str | None]] = []

    def barrier_command(self, name, command, *, close_after=None, reason=None):
        from devices.events import CommandResult, utcnow

        self.sent.append((command, reason))
        return CommandResult(name, command, True, utcnow(), state=command, reason=reason)


@pytest.fixture
def gate_app(services, users, clock, monkeypatch):
    from screens.app import WorkstationApp

    monkeypatch.setattr("screens.gate.POLL_S", 0.1)
    gate_cfg = services.settings.gate.model_copy(update={"barrier": "gate-1"})
    services.ctx.settings = with_overrides(services.settings, gate=gate_cfg)
    services.auth.create_user(users[Role.ADMIN], "rina", "Rina Kartika", [Role.SUPERVISOR], PASSWORD)
    users["rina"] = services.auth.login("rina", PASSWORD)
    barrier = FakeBarrier()
    app = WorkstationApp(services.settings, services=services, clock=clock)
    return app, barrier


async def _at_the_gate(app, pilot, barrier, who="agus") -> GateScreen:
    await login(app, pilot, who)
    app.devices = SimpleNamespace(manager=barrier, stop=lambda: None, summary=lambda: "-")
    await pilot.press("f7")
    await settle(app, pilot)
    assert isinstance(app.screen, GateScreen)
    return app.screen


async def _refused_then_requested(app, pilot, screen) -> None:
    """A truck refused at the gate; the supervisor sends its override to the inbox, from the keyboard."""
    await pilot.press(*REFUSED, "enter", "enter")  # typed into the container field, plate left empty
    assert await until(pilot, lambda: screen.last_decision is not None)
    assert not screen.last_decision.open
    await pilot.press("ctrl+t")
    await pilot.pause()
    from screens.dialogs import PromptModal, SupervisorConfirmModal

    assert isinstance(app.screen, PromptModal)
    await pilot.press(*"sopir menunggu", "enter")
    await pilot.pause()
    assert isinstance(app.screen, SupervisorConfirmModal)
    await pilot.press("ctrl+o")  # no supervisor here: to the approvals inbox
    await settle(app, pilot)
    assert app.screen is screen
    assert await until(pilot, lambda: screen.override_request is not None)


def _request_line(screen) -> str:
    return str(screen.query_one("#gate-request").render())


async def test_an_approved_request_opens_the_barrier_for_that_truck(gate_app, services, users):
    app, barrier = gate_app
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _at_the_gate(app, pilot, barrier)
        await _refused_then_requested(app, pilot, screen)
        assert "menunggu supervisor di kotak persetujuan" in _request_line(screen)
        req = screen.override_request
        assert (req.kind, req.subject, req.state) == ("GATE_OVERRIDE", REFUSED, "PENDING")
        assert barrier.sent == [("close", f"refused: {REFUSED}")]
        # the requester never approves their own: not in his inbox, and the service refuses it
        await pilot.press("ctrl+o")
        await settle(app, pilot)
        from screens.approvals import ApprovalsScreen

        assert isinstance(app.screen, ApprovalsScreen)
        assert app.screen.query_one("#inbox").row_count == 0
        await pilot.press("a")
        await settle(app, pilot)
        from workstation.errors import PermissionDenied

        with pytest.raises(PermissionDenied) as own:
            services.approvals.approve(users[Role.SUPERVISOR], req.id, req.version)
        assert own.value.code == "SELF_APPROVAL"
        assert services.approvals.get(req.id).state == "PENDING"
        await pilot.press("f7")
        await settle(app, pilot)
        await pilot.pause(0.3)
        assert ("open", f"override: {REFUSED}") not in barrier.sent
        # another supervisor, elsewhere, approves: the gate learns it and opens for this truck
        services.approvals.approve(users["rina"], req.id, req.version)
        assert await until(pilot, lambda: ("open", f"override: {REFUSED}") in barrier.sent)
        assert "disetujui (rina)" in _request_line(screen)
        assert "LOLOS MANUAL" in str(screen.query_one("#gate-decision").render())
        await settle(app, pilot)
        log = [e for e in services.gate.recent(10) if e.decision == "OVERRIDE"]
        assert len(log) == 1 and "CONFIRMED_BY:rina" in log[0].reasons and log[0].actor_login == "agus"
        # opened once: the answer is not acted on again
        await pilot.pause(0.4)
        assert barrier.sent.count(("open", f"override: {REFUSED}")) == 1


async def test_a_refused_request_keeps_the_barrier_closed(gate_app, services, users):
    app, barrier = gate_app
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _at_the_gate(app, pilot, barrier)
        await _refused_then_requested(app, pilot, screen)
        req = screen.override_request
        services.approvals.refuse(users["rina"], req.id, req.version, "dokumen belum ada")
        assert await until(pilot, lambda: "ditolak" in _request_line(screen))
        assert "dokumen belum ada" in _request_line(screen)
        await pilot.pause(0.3)
        assert [c for c, _ in barrier.sent] == ["close"]


async def test_an_approval_for_a_truck_no_longer_at_the_gate_does_not_open(gate_app, services, users):
    app, barrier = gate_app
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _at_the_gate(app, pilot, barrier)
        await _refused_then_requested(app, pilot, screen)
        req = screen.override_request
        await pilot.press(*"TGHU8839415", "enter", "enter")  # the next truck is read meanwhile
        assert await until(pilot, lambda: screen.last_decision.container == "TGHU8839415")
        services.approvals.approve(users["rina"], req.id, req.version)
        assert await until(pilot, lambda: "disetujui" in _request_line(screen))
        await pilot.pause(0.3)
        assert [c for c, _ in barrier.sent] == ["close", "close"]
        assert any("palang tetap tertutup" in n.message for n in app._notifications)


async def test_every_key_shown_works_from_the_container_field(gate_app, services, users):
    """The container field has the focus when the gate opens; letters type into it, the keys the bar shows are
    F-keys or Ctrl keys, and an officer is not offered the override (a supervisor's decision)."""
    app, barrier = gate_app
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _at_the_gate(app, pilot, barrier, who="siti")
        field = screen.query_one("#gate-container")
        assert field.has_focus
        await pilot.press("k", "v", "r", "slash")
        assert field.value == "kvr/"
        shown = [b.binding.key for b in screen.active_bindings.values()
                 if b.node is screen and b.binding.show and b.enabled and screen.check_action(b.binding.action, ())]
        assert shown and all(k.startswith(("f", "ctrl+")) for k in shown), shown
        assert "ctrl+t" not in shown  # siti is an officer
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert app.screen is screen
        # the log in words: a refusal is TUTUP, not SHUT
        field.value = ""
        await pilot.press(*REFUSED, "enter", "enter")
        assert await until(pilot, lambda: screen.last_decision is not None)
        await settle(app, pilot)
        row = [str(c) for c in screen.query_one("#gate-log").get_row_at(0)]
        assert "TUTUP" in row and "SHUT" not in row
        assert field.has_focus  # ready for the next truck


async def test_f12_switches_the_gate_in_place(gate_app, services, users):
    app, barrier = gate_app
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _at_the_gate(app, pilot, barrier)
        await _refused_then_requested(app, pilot, screen)
        screen.query_one("#gate-container").value = "TGHU88"  # half typed: stays
        await pilot.press("f12")
        await settle(app, pilot)
        assert "SHUT" in str(screen.query_one("#gate-decision").render())
        assert "waiting for a supervisor in the approvals inbox" in _request_line(screen)
        assert str(screen.query_one("#gate-container-label").render()) == "Container"
        assert str(screen.query_one("#gate-log").ordered_columns[0].label) == "Time"
        assert "SHUT" in [str(c) for c in screen.query_one("#gate-log").get_row_at(0)]
        assert screen.query_one("#gate-container").value == "TGHU88"


async def test_a_request_filed_before_a_restart_is_still_waited_for_and_opens_nothing(gate_app, services, users):
    app, barrier = gate_app
    req = services.gate.request_override(users[Role.SUPERVISOR], REFUSED, "sopir menunggu", gate="gate-1")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _at_the_gate(app, pilot, barrier)
        assert await until(pilot, lambda: screen.override_request is not None)
        assert screen.override_request.id == req.id and "menunggu supervisor" in _request_line(screen)
        services.approvals.approve(users["rina"], req.id, req.version)
        assert await until(pilot, lambda: "disetujui (rina)" in _request_line(screen))
        await pilot.pause(0.3)
        assert not [c for c, _ in barrier.sent if c == "open"]  # no truck read at this gate since the restart
