from __future__ import annotations

import contextlib
import difflib
import html
import pickle
import re
import time

import pytest
from textual.worker import WorkerCancelled

from tests.conftest import PASSWORD

_SVG_TEXT = re.compile(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', re.S)


def svg_lines(svg: str) -> list[str]:
    """The screen's rows as plain text, read back from a Textual SVG screenshot (its text runs by position)."""
    rows: dict[float, list[tuple[float, str]]] = {}
    for x, y, run in _SVG_TEXT.findall(svg):
        rows.setdefault(float(y), []).append((float(x), html.unescape(run).replace("\xa0", " ")))
    return ["".join(t for _, t in sorted(runs)).rstrip() for _, runs in sorted(rows.items())]


@pytest.fixture
def snap_compare(snap_compare, request):
    """The plugin's snapshot comparison; on a mismatch the rows that differ are printed as text as well, since
    CI keeps only the log, not the plugin's HTML report."""
    from pytest_textual_snapshot import node_to_report_path

    def compare(*args, **kw) -> bool:
        same = snap_compare(*args, **kw)
        if not same:
            # the plugin's report: a tuple holding the expected then the actual SVG (found by content, not by
            # position, so that a change of its layout loses only this printout)
            try:
                data = pickle.loads(node_to_report_path(request.node).read_bytes())
            except (OSError, pickle.UnpicklingError, AttributeError, ImportError) as exc:
                data = ()
                print(f"snapshot report unreadable: {exc}")
            svgs = [x for x in data if isinstance(x, str) and "<svg" in x[:200]]
            if len(svgs) >= 2:
                print("snapshot rows, expected → actual:")
                print("\n".join(difflib.unified_diff(svg_lines(svgs[0]), svg_lines(svgs[1]), "expected", "actual",
                                                     lineterm="", n=1)))
        return same

    return compare


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
