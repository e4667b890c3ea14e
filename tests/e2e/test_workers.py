"""The one worker pattern (screens/base.py `call_service`): results come back by message on the UI thread, a
superseded call's result or error is dropped, errors go to the one handler, translated from their code."""

from __future__ import annotations

import threading

from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from screens.base import AppAccess
from tests.e2e.conftest import settle
from workstation.domain.errors import ErrorCode
from workstation.errors import InputError
from workstation.i18n import Translator


class WorkScreen(AppAccess, Screen):
    def __init__(self) -> None:
        super().__init__()
        self.applied: list = []
        self.errors: list = []

    def compose(self) -> ComposeResult:
        yield Static(id="out")

    def show(self, value) -> None:
        self.applied.append(value)
        self.query_one("#out", Static).update(str(value))


class WorkApp(App):
    def __init__(self) -> None:
        super().__init__()
        self.translator = Translator("en")
        self.services = None
        self.actor = None
        self.notes: list[str] = []

    def tr(self, message: str, **kw) -> str:
        return self.translator(message, **kw)

    def notify(self, message, **kw) -> None:  # the one error handler ends here
        self.notes.append(message)

    def on_mount(self) -> None:
        self.push_screen(WorkScreen())


async def running(pilot, started: threading.Event) -> None:
    for _ in range(200):
        if started.is_set():
            return
        await pilot.pause(0.02)
    raise AssertionError("the worker never started")


def slow_then(gate: threading.Event, value, started: threading.Event | None = None):
    def fn():
        if started is not None:
            started.set()
        assert gate.wait(10)
        if isinstance(value, Exception):
            raise value
        return value

    return fn


async def test_a_late_result_of_a_superseded_call_is_dropped():
    app = WorkApp()
    async with app.run_test() as pilot:
        screen: WorkScreen = app.screen
        gate, started = threading.Event(), threading.Event()
        screen.call_service(slow_then(gate, "slow scan", started), group="scan", on_result=screen.show)
        await running(pilot, started)  # the slow call is really running (a thread cannot be stopped)
        screen.call_service(lambda: "fast scan", group="scan", on_result=screen.show)
        await pilot.pause()
        for _ in range(20):  # the fast answer arrives while the slow one still hangs
            if screen.applied:
                break
            await pilot.pause(0.05)
        assert screen.applied == ["fast scan"]
        gate.set()  # now the slow one finishes: too late, dropped
        await settle(app, pilot)
        assert screen.applied == ["fast scan"]
        assert str(screen.query_one("#out", Static).render()) == "fast scan"


async def test_a_late_error_of_a_superseded_call_is_dropped_too():
    app = WorkApp()
    async with app.run_test() as pilot:
        screen: WorkScreen = app.screen
        gate, started = threading.Event(), threading.Event()
        screen.call_service(slow_then(gate, InputError(code=ErrorCode.INVALID_SCAN, params={"reason": "bad"}),
                                      started), group="scan", on_result=screen.show)
        await running(pilot, started)
        screen.call_service(lambda: "fast", group="scan", on_result=screen.show)
        await pilot.pause(0.1)
        gate.set()
        await settle(app, pilot)
        assert screen.applied == ["fast"] and app.notes == []


async def test_other_groups_and_non_exclusive_calls_are_not_dropped():
    app = WorkApp()
    async with app.run_test() as pilot:
        screen: WorkScreen = app.screen
        gate = threading.Event()
        screen.call_service(slow_then(gate, "queue"), group="queue", on_result=screen.show)
        screen.call_service(lambda: "scan", group="scan", on_result=screen.show)
        screen.call_service(lambda: "log 1", group="log", on_result=screen.show, exclusive=False)
        screen.call_service(lambda: "log 2", group="log", on_result=screen.show, exclusive=False)
        await pilot.pause(0.1)
        gate.set()
        await settle(app, pilot)
        assert sorted(screen.applied) == ["log 1", "log 2", "queue", "scan"]


async def test_latest_only_runs_every_call_but_shows_the_newest():
    app = WorkApp()
    async with app.run_test() as pilot:
        screen: WorkScreen = app.screen
        gate, started = threading.Event(), threading.Event()
        ran: list[str] = []

        def record(name, wait=False):
            if wait:
                started.set()
                assert gate.wait(10)
            ran.append(name)
            return name

        screen.call_service(record, "first", wait=True, group="gate", on_result=screen.show, exclusive=False,
                            latest_only=True)
        await running(pilot, started)
        screen.call_service(record, "second", group="gate", on_result=screen.show, exclusive=False,
                            latest_only=True)
        screen.call_service(record, "third", group="gate", on_result=screen.show, exclusive=False,
                            latest_only=True)
        await pilot.pause(0.1)
        gate.set()
        await settle(app, pilot)
        assert sorted(ran) == ["first", "second", "third"]  # every read recorded
        assert screen.applied == ["third"]  # only the newest shown


async def test_cancelled_call_result_is_dropped():
    app = WorkApp()
    async with app.run_test() as pilot:
        screen: WorkScreen = app.screen
        gate, started = threading.Event(), threading.Event()
        screen.call_service(slow_then(gate, "stale", started), group="scan", on_result=screen.show)
        await running(pilot, started)
        screen.cancel_service("scan")
        gate.set()
        await settle(app, pilot)
        assert screen.applied == []


async def test_errors_go_to_the_one_handler_with_args_passed_through():
    app = WorkApp()
    async with app.run_test() as pilot:
        screen: WorkScreen = app.screen

        def check(number, *, plate):
            raise InputError(code=ErrorCode.TRUCK_PLATE, field="plate", params={"value": plate})

        screen.call_service(check, "MSKU1234565", plate="??", group="gate", on_result=screen.show)
        screen.call_service(lambda: 1 / 0, group="other")
        await settle(app, pilot)
        assert "plate: truck plate like 'B 1234 XYZ'" in app.notes
        assert any(n.startswith("Unexpected error: division by zero") for n in app.notes)
        assert screen.applied == []


async def test_background_keeps_its_old_signature():
    app = WorkApp()
    async with app.run_test() as pilot:
        screen: WorkScreen = app.screen
        failures: list[Exception] = []
        screen.background(lambda: "ok", screen.show, group="a")
        screen.background(lambda: 1 / 0, screen.show, failures.append, group="b")
        await settle(app, pilot)
        assert screen.applied == ["ok"] and isinstance(failures[0], ZeroDivisionError)
