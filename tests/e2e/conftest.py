from __future__ import annotations

import contextlib

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
    await pilot.press("enter")  # on the password field? focus is on login: submit moves to password
    app.screen.query_one("#password").focus()
    await pilot.press("enter")
    await settle(app, pilot)
