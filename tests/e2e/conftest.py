from __future__ import annotations

import contextlib
import time

import pytest
from textual.worker import WorkerCancelled

from tests.conftest import PASSWORD


@pytest.fixture
def make_app(services, clock):
    from screens.app import WorkstationApp

    def make(**kw):
        return WorkstationApp(services.settings, services=services, clock=clock, **kw)

    return make


async def settle(app, pilot) -> None:
    """Let thread workers finish and their results reach the UI.

    A worker whose result callback dismisses its own screen is cancelled with that screen while the callback
    runs; its work is done, so a cancellation is not a failure here (a WorkerFailed still is)."""
    for _ in range(3):
        for worker in list(app.workers):
            with contextlib.suppress(WorkerCancelled):
                await worker.wait()
        await pilot.pause()


async def login(app, pilot, login: str, password: str = PASSWORD) -> None:
    await settle(app, pilot)
    app.screen.query_one("#login").value = login
    app.screen.query_one("#password").value = password
    app.screen.query_one("#password").focus()  # wherever the focus was (after a failure: the password)
    await pilot.press("enter")
    await settle(app, pilot)


async def open_section(app, pilot, user: str, key: str, password: str = PASSWORD) -> None:
    """Log in as `user` and open the section on `key` (its F-key or shortcut), its first load shown."""
    await login(app, pilot, user, password)
    await pilot.press(key)
    await settle(app, pilot)


async def until(pilot, cond, seconds: float = 10.0) -> bool:
    """Pause until `cond()` holds (True) or `seconds` have passed (False): for what arrives by itself (a device
    frame, a poll). The bound only keeps a broken test from hanging; the caller asserts the result."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        await pilot.pause(0.05)
    return False
