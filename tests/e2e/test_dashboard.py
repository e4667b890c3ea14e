"""The dashboard at 80×24: from Supervision (b), the figures of the service on screen, Enter on a figure opens
the list behind it, a change committed by another session shows at the next poll, Escape comes back."""

from __future__ import annotations

from sqlalchemy import text
from textual.widgets import DataTable

from screens.dashboard import DashboardScreen, DetailModal
from screens.supervisor import SupervisorScreen
from tests.e2e.conftest import open_section, settle
from tests.services.test_dashboard import demo  # noqa: F401  (the fixture)


def _rows(table: DataTable) -> dict[str, list[str]]:
    """The figures' rows by key (a group's heading row, key "group|", left out): [label, count, bar]."""
    return {key.value: [str(c) for c in table.get_row(key)] for key in table.rows if not key.value.endswith("|")}


async def test_dashboard_figures_lists_and_polling(services, demo, make_app):  # noqa: F811
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(app, pilot, "agus", "f8", "demo12345")
        await pilot.press("b")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen) and screen.snapshot is not None
        table = screen.query_one("#dash-table", DataTable)
        rows = _rows(table)
        snap = screen.snapshot
        assert len(rows) == len(snap.figures) > 0
        for f in snap.figures:
            assert rows[f"{f.group}|{f.key}"][1] == str(f.count)
        assert table.region.right <= 80 and screen.query_one("#dash-status").region.bottom <= 24
        # a group's heading on a row of its own; the cursor starts on a figure, Enter on a heading opens nothing
        assert table.row_count == len(snap.figures) + len({f.group for f in snap.figures})
        first = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        assert first in rows and screen.focused is table
        # status words, not codes: no "ECD GREEN", no bare "green"
        labels = [v[0].strip() for v in rows.values()]
        assert not any(x in ("ECD GREEN", "ECD RED", "green", "red") for x in labels), labels
        from screens.widgets.words import word

        ecd_green = f"e-CD: {word(app.tr, 'ecd_state', 'GREEN')}"
        assert ecd_green[:52] in labels or ecd_green[:51] + "…" in labels

        # Enter on an open-queue figure: its list, one row per case
        queue = next(f for f in snap.figures if f.group == "queue")
        table.move_cursor(row=table.get_row_index(f"queue|{queue.key}"))
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, DetailModal)
        detail = app.screen.query_one("#detail-table", DataTable)
        assert detail.row_count == queue.count
        state = queue.key.partition(":")[2]
        assert all(f"[{state}]" in str(detail.get_row_at(i)[1]) for i in range(detail.row_count))
        await pilot.press("f3")  # F3 closes as Escape does
        await pilot.pause()
        assert app.screen is screen

        # another session releases an e-CD: the next poll shows one fewer open case
        before = sum(f.count for f in snap.group("queue"))
        (cid,), = services.ctx.db.engine.connect().execute(
            text("SELECT id FROM cases WHERE kind = 'ECD' AND state = 'GREEN' LIMIT 1")).all()
        with services.ctx.db.engine.begin() as c:
            c.execute(text("UPDATE cases SET state = 'RELEASED' WHERE id = :id"), {"id": cid})
        polls = screen.polls
        screen._poll()  # what the interval timer calls every REFRESH_SECONDS
        await settle(app, pilot)
        assert screen.polls == polls + 1
        assert sum(f.count for f in screen.snapshot.group("queue")) == before - 1
        assert _rows(table)[f"queue|{queue.key}"][1] == str(screen.snapshot.count("queue", queue.key))

        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, SupervisorScreen)


async def test_a_slow_poll_never_blocks_the_keys(services, demo, make_app):  # noqa: F811
    """A snapshot that hangs (a slow database) runs in its thread: the cursor still moves, a second poll is
    not stacked on the first, and the figures arrive when it answers."""
    import threading

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(app, pilot, "agus", "f8", "demo12345")
        await pilot.press("b")
        await settle(app, pilot)
        screen = app.screen
        table = screen.query_one("#dash-table", DataTable)
        release, calls = threading.Event(), []
        real = screen.dashboard.snapshot

        def slow(actor, health=None):
            calls.append(1)
            release.wait(30)
            return real(actor, health)

        screen.dashboard.snapshot = slow
        polls = screen.polls
        screen._poll()
        await pilot.pause()
        row = table.cursor_row
        await pilot.press("down", "down")
        await pilot.pause()
        assert table.cursor_row == row + 2  # input handled while the poll waits
        screen._poll()  # the timer fires again: still in flight, nothing stacked
        assert len(calls) == 1
        release.set()
        await settle(app, pilot)
        assert screen.polls == polls + 1 and table.cursor_row == row + 2  # the cursor stays on its figure
