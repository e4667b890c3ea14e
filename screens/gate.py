"""The smart gate: a container read (barcode/OCR reader, scanner record, or typed) is checked against the
releases; the barrier opens for that one truck on a match (and closes again after it passed, or after
`[gate] close_after_s`) and is closed at once on a refusal, with the reasons on screen. A supervisor may
override with a second supervisor's confirmation. The barrier line shows the state the device reports, never
the last command. The gate log shows what happened."""

from __future__ import annotations

import threading
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import DataTable, Input, Static

from screens.base import SectionScreen
from screens.dialogs import PromptModal, SupervisorConfirmModal
from workstation.i18n import N_

REASON_TEXT = {
    "INVALID_CONTAINER_NUMBER": N_("check digit wrong (ISO 6346)"),
    "NO_RELEASE": N_("no SPPB or approved PLP for this gate"),
    "SCANNER_SUSPICION": N_("scanner flagged the container"),
}

BARRIER_TEXT = {
    "open": N_("OPEN"),
    "closed": N_("closed"),
    "opening": N_("opening…"),
    "closing": N_("closing…"),
    "fault": N_("FAULT"),
    "unknown": N_("state unknown"),
}


class GateScreen(SectionScreen):
    TITLE_TEXT = N_("Smart gate")
    CSS_PATH = "gate.tcss"
    BINDINGS = [
        Binding("slash", "type_container", N_("Type"), id="gate.type"),
        # An F-key: a letter would type into the container field. F4 (hangar) is not an officer's section; a
        # supervisor reaches the hangar from any other screen. Remap with keymap = {"gate.close" = "…"}.
        Binding("f4", "close_barrier", N_("Close barrier"), id="gate.close"),
        Binding("v", "override", N_("Override"), id="gate.override"),
        Binding("r", "reload", N_("Refresh"), id="gate.reload"),
        Binding("f5", "demo_truck", N_("Demo: a truck arrives"), id="gate.demo_truck"),
    ]

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "demo_truck":
            return bool(self.wapp.settings.demo and self.wapp.demo_simulators.get("gate-ocr"))
        return True

    def action_demo_truck(self) -> None:
        """Demo: the simulated OCR reader at the gate reads the next sample container (through its pty)."""
        samples = ("CSQU3054383", "MSCU6639871", "TGHU8839415", "MSCU6639870")
        self._demo_index = (getattr(self, "_demo_index", -1) + 1) % len(samples)
        self.wapp.demo_simulators["gate-ocr"].scan(samples[self._demo_index])

    def __init__(self, section=None) -> None:
        super().__init__()
        self.last_container: str | None = None
        self.last_decision = None
        self.barrier_state = "-"  # as the device last reported it (BarrierStatus), never as last commanded
        self.barrier_confirmed = True  # False: a relay board without feedback (the state is the commanded one)
        self.loop_occupied: bool | None = None  # the vehicle detector, when the device has one
        self.dropped_bytes = 0
        # Barrier commands run on worker threads: they go to the device in the order they were asked, and one
        # overtaken by a newer request is not sent at all (an old "open" never follows a newer refusal's close).
        self._barrier_lock = threading.Lock()
        self._barrier_asked = 0
        self._barrier_sent = 0

    def compose_body(self) -> ComposeResult:
        yield Static(id="gate-decision")
        yield Static(id="gate-barrier")
        with Horizontal(id="gate-entry"):
            yield Input(id="gate-container", max_length=20, compact=True)
            yield Input(id="gate-plate", max_length=16, compact=True)
        yield DataTable(id="gate-log", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        tr = self.tr
        self.query_one("#gate-container", Input).placeholder = tr("container number")
        self.query_one("#gate-plate", Input).placeholder = tr("truck plate")
        self.query_one("#gate-log", DataTable).add_columns(tr("Time"), tr("Container"), tr("Gate"), tr("Release"),
                                                          tr("Reasons"))
        self.query_one("#gate-decision", Static).update(self.tr("Waiting for a container…"))
        self._barrier_from_health()
        self._barrier_line()
        self.action_reload()

    def _manager(self) -> Any:
        bridge = self.wapp.devices
        return bridge.manager if bridge is not None else None

    def _barrier_from_health(self) -> None:
        """The last state the device reported before this screen was shown (events only reach the screen shown)."""
        manager, name = self._manager(), self.wapp.settings.gate.barrier
        if manager is None or not name or name not in manager.specs:
            return
        health = manager.health(name)
        if health.state not in ("connected", "error"):
            self.barrier_state = "unknown"  # not connected: nothing is known of the arm
        elif health.detail:
            self.barrier_state = health.detail
            self.barrier_confirmed = health.confirmed
        self.dropped_bytes = health.dropped_bytes

    def barrier_text(self) -> str:
        """The barrier line, plain text: its state as the device reports it (tests read this)."""
        name = self.wapp.settings.gate.barrier
        if not name:
            return self.tr("Barrier: none configured (gate.barrier)")
        state = self.tr(BARRIER_TEXT.get(self.barrier_state, self.barrier_state))
        if not self.barrier_confirmed:
            state = self.tr("{state} (as commanded: the device reports nothing)", state=state)
        label = self.tr("Barrier")
        parts = [f"{label} {name}: {state}"]
        if self.loop_occupied:
            parts.append(self.tr("vehicle under the arm"))
        if self.dropped_bytes:
            parts.append(self.tr("{n} noise bytes dropped", n=self.dropped_bytes))
        return " · ".join(parts)

    def _barrier_line(self) -> None:
        self.query_one("#gate-barrier", Static).update(Content(self.barrier_text()))

    def action_reload(self) -> None:
        gate = self.services.gate
        self.call_service(gate.recent, 30, group="gate-log", on_result=self._show_log)

    def _show_log(self, events) -> None:
        zone = self.wapp.settings.zone
        t = self.query_one("#gate-log", DataTable)
        t.clear()
        for e in events:
            # stored text (a typed or read container) is shown as text, never as markup (#11 item 6)
            t.add_row(e.at.astimezone(zone).strftime("%H:%M:%S"), Text(e.container), e.decision,
                      Text(e.release or "-"), Text(",".join(e.reasons)[:30]))

    # -- reads ---------------------------------------------------------------------------------------------
    def on_device_event_message(self, message) -> None:
        from devices.events import BarcodeScanned, BarrierLoop, BarrierStatus, DeviceHealthChanged, ScanResult
        from workstation.domain.scan import decode_scan

        event = message.event
        barrier = self.wapp.settings.gate.barrier
        if isinstance(event, BarrierStatus) and event.device == barrier:
            self.barrier_state = event.state
            self.barrier_confirmed = event.confirmed
            self._barrier_line()
        elif isinstance(event, BarrierLoop) and event.device == barrier:
            self.loop_occupied = event.occupied
            self._barrier_line()
        elif isinstance(event, DeviceHealthChanged) and event.device == barrier:
            if event.health.state not in ("connected", "error"):
                self.barrier_state = "unknown"  # the port is gone: nothing is known of the arm
                self.loop_occupied = None
            self.dropped_bytes = event.health.dropped_bytes
            self._barrier_line()
        elif isinstance(event, BarcodeScanned):
            decoded = decode_scan(event.text)
            if decoded.kind == "container" or decoded.kind == "unknown":
                self._check(decoded.value if decoded.kind == "container" else event.text, None, event.device)
        elif isinstance(event, ScanResult):
            gate = self.services.gate
            container = event.container
            # every read is recorded (never cancelled by the next one); the check that follows shows the newest
            self.call_service(gate.record_scan_result, event, group="gate-scan", exclusive=False,
                              on_result=lambda _: container and self._check(container, event.plate, event.device))

    def action_type_container(self) -> None:
        self.query_one("#gate-container", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "gate-container":
            self.query_one("#gate-plate", Input).focus()
            return
        number = self.query_one("#gate-container", Input).value
        plate = self.query_one("#gate-plate", Input).value.strip() or None
        self.query_one("#gate-container", Input).value = ""
        self.query_one("#gate-plate", Input).value = ""
        if number.strip():
            self._check(number, plate, "manual-gate")

    def _check(self, number: str, plate: str | None, read_by: str) -> None:
        gate, actor = self.services.gate, self.actor
        self.last_container = number
        # each check runs and is logged; only the newest container's decision is shown and moves the barrier
        self.call_service(gate.check, actor, number, plate=plate, read_by=read_by, group="gate-check",
                          on_result=self._decided, on_error=self._check_failed, exclusive=False, latest_only=True)

    def _check_failed(self, exc: Exception) -> None:
        # no decision (e.g. the release changed meanwhile): this truck is not let through, the barrier closes
        self._barrier(self.services.gate.close_barrier, reason="check failed")
        self.show_error(exc)

    def _decided(self, d) -> None:
        self.last_decision = d
        # stored and read text (container, reference) goes in as text, never as markup (#11 item 6)
        if d.open:
            rel = d.release
            word = self.tr("OPEN")
            parts: list[Any] = [(f" {word} ", "b reverse green"), " ", (d.container, "b")]
            if rel:
                parts.append(f"\n{rel.kind} {rel.reference} ({rel.direction})")
        else:
            word = self.tr("SHUT")
            parts = [(f" {word} ", "b reverse red"), " ", (d.container, "b")]
            parts += [f"\n  {code}: {self.tr(REASON_TEXT.get(code, code))}" for code in d.reasons]
        text = Content.assemble(*parts)
        # open for this one truck, or closed at once: a refused truck never finds the barrier open
        self._barrier(self.services.gate.move_barrier, d)
        self.query_one("#gate-decision", Static).update(text)
        self.action_reload()

    def _barrier(self, fn: Any, *args: Any, **kwargs: Any) -> None:
        """Run a GateService barrier call (`fn(actor, manager, *args, **kwargs)`) off the UI thread, in request
        order."""
        manager = self._manager()
        if manager is None or not self.wapp.settings.gate.barrier:
            return  # no barrier on this workstation: the officer opens by hand
        self._barrier_asked += 1
        ticket, actor = self._barrier_asked, self.actor

        def run() -> Any:
            with self._barrier_lock:
                if ticket < self._barrier_sent:
                    return None  # a newer request already went out: this one is stale
                self._barrier_sent = ticket
                return fn(actor, manager, *args, **kwargs)

        self.call_service(run, group="gate-barrier", on_result=self._barrier_result, exclusive=False,
                          latest_only=False)

    def _barrier_result(self, result) -> None:
        # the state shown comes from the device's own status reports (BarrierStatus), not from this answer
        if result is not None and not result.ok:
            self.notify(self.tr("Barrier: {err}", err=result.error or "?"), severity="error", markup=False)

    def action_close_barrier(self) -> None:
        self._barrier(self.services.gate.close_barrier)

    def action_override(self) -> None:
        number = self.last_container
        if not number:
            self.notify(self.tr("Read or type a container first."))
            return

        def with_reason(reason: str | None) -> None:
            if not reason:
                return

            def confirmed(supervisor) -> None:
                if supervisor is None:
                    return
                gate, actor = self.services.gate, self.actor

                def done(d) -> None:
                    word = self.tr("OVERRIDE")
                    self.query_one("#gate-decision", Static).update(Content.assemble(
                        (f" {word} ", "b reverse yellow"), " ", (d.container, "b"), f" — {reason}"))
                    self._barrier(self.services.gate.move_barrier, d)
                    self.action_reload()

                self.call_service(gate.override, actor, number, supervisor, reason, group="gate-ovr", on_result=done)

            self.app.push_screen(SupervisorConfirmModal("gate_override", self.tr(
                "Let {number} through: {reason}", number=number, reason=reason)), confirmed)

        self.app.push_screen(PromptModal(self.tr("Override the gate"), self.tr("Reason")), with_reason)
