"""The smart gate: a container read (barcode/OCR reader, scanner record, or typed) is checked against the
releases; the barrier opens for that one truck on a match (and closes again after it passed, or after
`[gate] close_after_s`) and is closed at once on a refusal, with the reasons on screen. A supervisor may
override: with a second supervisor typing a password at this terminal, or by a request a supervisor elsewhere
decides in the approvals inbox (issue #15 item 2): the screen shows it waiting, polls for the answer and opens
the barrier when it is approved, if that container is still the one at the gate. The barrier line shows the
state the device reports, never the last command. The gate log shows what happened.

Keys: the container field has the focus (a reader or the officer types there), so every key shown works from
it: F-keys and Ctrl combinations only (issue #12 item 2)."""

from __future__ import annotations

import threading
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Label, Static

from screens.base import SectionScreen, retitle_columns
from screens.dialogs import PromptModal, SupervisorConfirmModal
from screens.widgets.table import DataTable
from screens.widgets.text import assemble, cells
from screens.widgets.words import word
from workstation.domain.codes import Role
from workstation.i18n import N_

REASON_TEXT = {
    "INVALID_CONTAINER_NUMBER": N_("check digit wrong (ISO 6346)"),
    "NO_RELEASE": N_("no SPPB or approved PLP for this gate"),
    "SCANNER_SUSPICION": N_("scanner flagged the container"),
}
# The gate log's decisions and a release's direction. TODO(lead): a "gate" group in screens/widgets/words.py.
DECISION_TEXT = {"OPEN": N_("OPEN"), "SHUT": N_("SHUT"), "OVERRIDE": N_("OVERRIDE")}
DIRECTION_TEXT = {"OUT": N_("Gate-out"), "IN": N_("Gate-in")}
APPROVAL_TEXT = {"PENDING": N_("waiting"), "APPROVED": N_("approved"), "REFUSED": N_("refused"),
                 "FAILED": N_("failed")}
# the reasons before the release: at 80 columns the last column is the one cut, and a refusal's reasons matter
LOG_COLUMNS = (N_("Time"), N_("Container"), N_("Decision"), N_("Reasons"), N_("Release"))
# Fixed widths: the log is refilled on every read and must not change its layout from one read to the next
# (time, container number, the longest decision word, a reason code, a release "PLP nnnnnn/PLP/…/yyyy Gate-out").
LOG_WIDTHS = (8, 11, 12, 24, 36)
POLL_S = 3.0  # how often a waiting override request is asked for its answer (one look-up by key)


class GateScreen(SectionScreen):
    TITLE_TEXT = N_("Smart gate")
    CSS_PATH = "gate.tcss"
    BINDINGS = [
        # F-keys and Ctrl keys: a letter would type into the container field, which has the focus. F4 (hangar)
        # and F5 (examination) are not an officer's sections; a supervisor reaches them from any other screen.
        # Remap with keymap = {"gate.close" = "…"}.
        Binding("f4", "close_barrier", N_("Close barrier"), id="gate.close"),
        Binding("ctrl+t", "override", N_("Override"), id="gate.override"),
        Binding("ctrl+r", "reload", N_("Refresh"), id="gate.reload"),
        Binding("f5", "demo_truck", N_("Demo: a truck arrives"), id="gate.demo_truck"),
        # back to the field from the log (shown only there: in the field it would type a slash)
        Binding("slash", "type_container", N_("Type"), id="gate.type"),
    ]

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "demo_truck":
            return bool(self.wapp.settings.demo and self.wapp.demo_simulators.get("gate-ocr"))
        if action == "override":
            return self.actor is not None and self.actor.has(Role.SUPERVISOR)  # the service's rule, too
        if action == "type_container":
            return not isinstance(self.focused, Input)  # hidden in a field: there the key types
        return True

    def on_descendant_focus(self, _event) -> None:
        self.refresh_bindings()  # "/" is shown only outside the fields

    def action_demo_truck(self) -> None:
        """Demo: the simulated OCR reader at the gate reads the next sample container (through its pty)."""
        samples = ("CSQU3054383", "MSCU6639871", "TGHU8839415", "MSCU6639870")
        self._demo_index = (getattr(self, "_demo_index", -1) + 1) % len(samples)
        self.wapp.demo_simulators["gate-ocr"].scan(samples[self._demo_index])

    def __init__(self, section=None) -> None:
        super().__init__()
        self.last_container: str | None = None
        self.last_plate: str | None = None
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
        self.override_request = None  # the GATE_OVERRIDE request waiting in the inbox (ApprovalView), if any
        self._poll_timer = None

    def compose_body(self) -> ComposeResult:
        yield Static(id="gate-decision")
        yield Static(id="gate-barrier")
        with Horizontal(id="gate-entry"):
            yield Label(id="gate-container-label")
            yield Input(id="gate-container", max_length=20, compact=True)
            yield Label(id="gate-plate-label")
            yield Input(id="gate-plate", max_length=16, compact=True)
        yield Static(id="gate-request")
        yield DataTable(id="gate-log", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        log = self.query_one("#gate-log", DataTable)
        for label, width in zip(LOG_COLUMNS, LOG_WIDTHS, strict=True):
            log.add_column(self.tr(label), width=width)
        self._labels()
        self._show_decision()
        self.query_one("#gate-request", Static).display = False
        self._barrier_from_health()
        self._barrier_line()
        self.query_one("#gate-container", Input).focus()
        self.action_reload()
        if self.actor is not None and self.actor.has(Role.SUPERVISOR):
            # a request filed before a restart is still waited for (it opens nothing: no truck is read yet)
            self.call_service(self.services.approvals.mine, self.actor, 20, group="gate-mine",
                              on_result=self._resume_request, on_error=lambda _exc: None)

    def _resume_request(self, mine) -> None:
        waiting = next((r for r in mine if r.kind == "GATE_OVERRIDE" and r.state == "PENDING"), None)
        if waiting is not None and self.override_request is None:
            self.override_request = waiting
            self._show_request(waiting)
            self._poll_timer = self.set_interval(POLL_S, self._poll_override)

    def _labels(self) -> None:
        tr = self.tr
        self.query_one("#gate-container-label", Label).update(tr("Container"))
        self.query_one("#gate-plate-label", Label).update(tr("Truck"))
        # what to do, not a value: an empty field must never look filled (issue #12 item 3)
        self.query_one("#gate-container", Input).placeholder = tr("read or type, then Enter")
        self.query_one("#gate-plate", Input).placeholder = tr("plate (optional)")

    def refresh_language(self) -> None:
        """F12: everything in the new language in place (a half-typed container stays)."""
        super().refresh_language()
        self._labels()
        retitle_columns(self.query_one("#gate-log", DataTable), LOG_COLUMNS, self.tr)
        self._show_decision()
        self._barrier_line()
        if self.override_request is not None:
            self._show_request(self.override_request)
        self.action_reload()

    def _show_decision(self) -> None:
        """The decision box for the last decision (or the waiting line), in the current language."""
        d = self.last_decision
        box = self.query_one("#gate-decision", Static)
        if d is None:
            box.update(self.tr("Waiting for a container…"))
        elif d.open and d.release is None:
            word_ = self.tr("OVERRIDE")
            reason = d.notes[0] if d.notes else ""
            box.update(assemble((f" {word_} ", "b reverse yellow"), " ", (d.container, "b"), f" — {reason}"))
        else:
            box.update(assemble(*self._decision_parts(d)))

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
        state = word(self.tr, "barrier", self.barrier_state)
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
        style = "b green" if self.barrier_state == "open" else ""
        self.query_one("#gate-barrier", Static).update(assemble((self.barrier_text(), style)))

    def action_reload(self) -> None:
        gate = self.services.gate
        self.call_service(gate.recent, 30, group="gate-log", on_result=self._show_log)

    def _show_log(self, events) -> None:
        zone = self.wapp.settings.zone
        tr = self.tr
        t = self.query_one("#gate-log", DataTable)
        t.clear()
        for e in events:
            # stored text (a typed or read container) is shown as text, never as markup (#11 item 6)
            decision = tr(DECISION_TEXT[e.decision]) if e.decision in DECISION_TEXT else e.decision
            t.add_row(*cells(e.at.astimezone(zone).strftime("%H:%M:%S"), e.container, decision,
                             ",".join(e.reasons)[:30] or "-", self._release_text(e.release)))

    def _release_text(self, release: str | None) -> str:
        """A logged release ("PLP 000001/PLP/040300/2026 OUT") with its direction in words."""
        if not release:
            return "-"
        head, _, direction = release.rpartition(" ")
        if direction in DIRECTION_TEXT:
            return f"{head} {self.tr(DIRECTION_TEXT[direction])}"
        return release

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
        self.query_one("#gate-container", Input).focus()  # the next truck
        if number.strip():
            self._check(number, plate, "manual-gate")

    def _check(self, number: str, plate: str | None, read_by: str) -> None:
        gate, actor = self.services.gate, self.actor
        self.last_container = number
        self.last_plate = plate
        # each check runs and is logged; only the newest container's decision is shown and moves the barrier
        self.call_service(gate.check, actor, number, plate=plate, read_by=read_by, group="gate-check",
                          on_result=self._decided, on_error=self._check_failed, exclusive=False, latest_only=True)

    def _check_failed(self, exc: Exception) -> None:
        # no decision (e.g. the release changed meanwhile): this truck is not let through, the barrier closes
        self._barrier(self.services.gate.close_barrier, reason="check failed")
        self.show_error(exc)

    def _decided(self, d) -> None:
        self.last_decision = d
        self.last_container = d.container  # as the service normalised it (an override request names this)
        # open for this one truck, or closed at once: a refused truck never finds the barrier open
        self._barrier(self.services.gate.move_barrier, d)
        self._show_decision()
        self.action_reload()

    def _decision_parts(self, d) -> list[Any]:
        # stored and read text (container, reference) goes in as text, never as markup (#11 item 6)
        if d.open:
            rel = d.release
            word_ = self.tr("OPEN")
            parts: list[Any] = [(f" {word_} ", "b reverse green"), " ", (d.container, "b")]
            if rel:
                direction = self.tr(DIRECTION_TEXT.get(rel.direction, rel.direction))
                parts.append(f"\n{rel.kind} {rel.reference} ({direction})")
        else:
            word_ = self.tr("SHUT")
            parts = [(f" {word_} ", "b reverse red"), " ", (d.container, "b")]
            parts += [f"\n  {code}: {self.tr(REASON_TEXT.get(code, code))}" for code in d.reasons]
            if self.actor is not None and self.actor.has(Role.SUPERVISOR):
                parts.append(("\n  " + self.tr("Ctrl+T lets it through by a supervisor's override."), "dim"))
        return parts

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

    # -- overrides ---------------------------------------------------------------------------------------------
    def action_override(self) -> None:
        number, plate = self.last_container, self.last_plate
        if not number:
            self.notify(self.tr("Read or type a container first."))
            return
        if not self.actor.has(Role.SUPERVISOR):
            return

        def with_reason(reason: str | None) -> None:
            if not reason:
                return

            def confirmed(supervisor) -> None:
                if supervisor == SupervisorConfirmModal.INBOX:
                    self._request_override(number, plate, reason)
                elif supervisor is not None:
                    gate, actor = self.services.gate, self.actor
                    self.call_service(gate.override, actor, number, supervisor, reason, plate=plate,
                                      group="gate-ovr", on_result=lambda d: self._overridden(d, reason))

            self.app.push_screen(SupervisorConfirmModal("gate_override", self.tr(
                "Let {number} through: {reason}", number=number, reason=reason), inbox=True), confirmed)

        self.app.push_screen(PromptModal(self.tr("Override the gate"),
                                         self.tr("Reason (required) for {number}", number=number)), with_reason)

    def _overridden(self, d, reason: str) -> None:
        self.last_decision = d  # open without a release: an override (its notes carry the reason)
        self._show_decision()
        self._barrier(self.services.gate.move_barrier, d)
        self.action_reload()

    def _request_override(self, number: str, plate: str | None, reason: str) -> None:
        """No second supervisor here: the request goes to the approvals inbox and this screen waits for it."""
        gate, actor = self.services.gate, self.actor

        def filed(view) -> None:
            self.override_request = view
            self._show_request(view)
            if self._poll_timer is None:
                self._poll_timer = self.set_interval(POLL_S, self._poll_override)

        self.call_service(gate.request_override, actor, number, reason, plate=plate, group="gate-req",
                          on_result=filed)

    def _show_request(self, view) -> None:
        line = self.query_one("#gate-request", Static)
        line.display = True
        state = self.tr(APPROVAL_TEXT.get(view.state, view.state))
        what = self.tr("Override {number}", number=view.subject)
        if view.state == "PENDING":
            text = self.tr("{what}: waiting for a supervisor in the approvals inbox (Ctrl+O)", what=what)
            style = "b yellow"
        else:
            by = view.decided_by or "-"
            text = f"{what}: {state} ({by})" + (f" — {view.answer}" if view.answer else "")
            style = "b green" if view.state == "APPROVED" else "b red"
        line.update(assemble((text, style)))

    def _poll_override(self) -> None:
        view = self.override_request
        if view is None or view.state != "PENDING":
            return
        gate, actor = self.services.gate, self.actor
        self.call_service(gate.override_answer, actor, view.id, group="gate-poll", on_result=self._answered,
                          on_error=lambda _exc: None)  # a failed poll is tried again at the next tick

    def _answered(self, answer) -> None:
        view = answer.request
        if self.override_request is None or view.id != self.override_request.id or view.state == "PENDING":
            return
        self.override_request = view
        if self._poll_timer is not None:
            self._poll_timer.stop()
            self._poll_timer = None
        self._show_request(view)
        d = answer.decision
        if d is None:
            self.notify(self.tr("Override of {number} {state}.", number=view.subject,
                                state=self.tr(APPROVAL_TEXT.get(view.state, view.state))), severity="warning")
            return
        if d.container != self.last_container:
            # another truck is at the gate now: opening would let the wrong one through
            self.notify(self.tr("Override of {number} approved, but {other} is at the gate now: the barrier "
                                "stays closed.", number=d.container, other=self.last_container or "-"),
                        severity="warning", timeout=10)
            return
        self._overridden(d, view.reason)
