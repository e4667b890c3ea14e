"""The smart gate: a container read (barcode/OCR reader, scanner record, or typed) is checked against the
releases; the barrier opens on a match and stays shut otherwise, with the reasons on screen. A supervisor may
override with a second supervisor's confirmation. The gate log shows what happened."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Static

from screens.base import SectionScreen
from screens.dialogs import PromptModal, SupervisorConfirmModal
from workstation.i18n import N_

REASON_TEXT = {
    "INVALID_CONTAINER_NUMBER": N_("check digit wrong (ISO 6346)"),
    "NO_RELEASE": N_("no SPPB or approved PLP for this gate"),
    "SCANNER_SUSPICION": N_("scanner flagged the container"),
}


class GateScreen(SectionScreen):
    TITLE_TEXT = N_("Smart gate")
    CSS_PATH = "gate.tcss"
    BINDINGS = [
        Binding("slash", "type_container", N_("Type"), id="gate.type"),
        Binding("k", "close_barrier", N_("Close barrier"), id="gate.close"),
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
        self.barrier_state = "-"

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
        self._barrier_line()
        self.action_reload()

    def _barrier_line(self) -> None:
        name = self.wapp.settings.gate.barrier
        if not name:
            self.query_one("#gate-barrier", Static).update(self.tr("Barrier: none configured (gate.barrier)"))
            return
        label = self.tr("Barrier")
        self.query_one("#gate-barrier", Static).update(f"{label} {name}: {self.barrier_state}")

    def action_reload(self) -> None:
        gate = self.services.gate
        self.call_service(gate.recent, 30, group="gate-log", on_result=self._show_log)

    def _show_log(self, events) -> None:
        zone = self.wapp.settings.zone
        t = self.query_one("#gate-log", DataTable)
        t.clear()
        for e in events:
            t.add_row(e.at.astimezone(zone).strftime("%H:%M:%S"), e.container, e.decision, e.release or "-",
                      ",".join(e.reasons)[:30])

    # -- reads ---------------------------------------------------------------------------------------------
    def on_device_event_message(self, message) -> None:
        from devices.events import BarcodeScanned, BarrierStatus, ScanResult
        from workstation.rules.scan import decode_scan

        event = message.event
        if isinstance(event, BarrierStatus) and event.device == self.wapp.settings.gate.barrier:
            self.barrier_state = event.state
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
                          on_result=self._decided, exclusive=False, latest_only=True)

    def _decided(self, d) -> None:
        self.last_decision = d
        if d.open:
            rel = d.release
            word = self.tr("OPEN")
            text = (f"[b reverse green] {word} [/] [b]{d.container}[/b]\n"
                    f"{rel.kind} {rel.reference} ({rel.direction})" if rel else d.container)
            self._barrier("open")
        else:
            word = self.tr("SHUT")
            lines = [f"[b reverse red] {word} [/] [b]{d.container}[/b]"]
            lines += [f"  {code}: {self.tr(REASON_TEXT.get(code, code))}" for code in d.reasons]
            text = "\n".join(lines)
        self.query_one("#gate-decision", Static).update(text)
        self.action_reload()

    def _barrier(self, command: str) -> None:
        bridge, name = self.wapp.devices, self.wapp.settings.gate.barrier
        if bridge is None or bridge.manager is None or not name:
            return  # no barrier on this workstation: the officer opens by hand
        self.call_service(bridge.manager.barrier_command, name, command, group="gate-barrier",
                          on_result=self._barrier_result, exclusive=False, latest_only=True)

    def _barrier_result(self, result) -> None:
        if not result.ok:
            self.notify(self.tr("Barrier: {err}", err=result.error), severity="error")
        elif result.state:
            self.barrier_state = result.state
            self._barrier_line()

    def action_close_barrier(self) -> None:
        self._barrier("close")

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
                    self.query_one("#gate-decision", Static).update(
                        f"[b reverse yellow] {word} [/] [b]{d.container}[/b] — {reason}")
                    self._barrier("open")
                    self.action_reload()

                self.call_service(gate.override, actor, number, supervisor, reason, group="gate-ovr", on_result=done)

            self.app.push_screen(SupervisorConfirmModal("gate_override", self.tr(
                "Let {number} through: {reason}", number=number, reason=reason)), confirmed)

        self.app.push_screen(PromptModal(self.tr("Override the gate"), self.tr("Reason")), with_reason)
