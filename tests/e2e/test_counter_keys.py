"""The counter's keyboard (#12 item 2): no key the screen shows while the scan field has the focus types into it,
the queue takes arrows and Enter as soon as it opens, a case has a key back to the queue, and a wedge reader typing
faster than the focus moves loses nothing."""

from __future__ import annotations

from textual import events
from textual.binding import Binding

from screens.passenger import CounterScreen
from tests.e2e.conftest import settle
from tests.e2e.counter_support import GREEN_ID, RED_ID, open_counter, red_and_green, scan
from tests.services.passenger_support import counts


def shown_keys(screen: CounterScreen) -> list[str]:
    """The keys the key bar offers for the screen's own bindings now (app keys are F-keys by construction)."""
    keys = []
    for key, active in screen.active_bindings.items():
        if active.node is screen and active.binding.show and active.enabled and active.binding.description:
            keys.append(key)
    return keys


def actions_line(app) -> str:
    return str(app.screen.query_one("#ecd-actions").render())


async def back_to_the_scan_field(app, pilot, screen: CounterScreen) -> None:
    while app.screen is not screen:  # a form or dialog the key opened
        app.pop_screen()
        await pilot.pause()
    screen.query_one("#ecd-tabs").active = "tab-counter"
    await pilot.pause()
    field = screen.query_one("#ecd-scan")
    field.focus()
    field.value = "ABC"
    field.cursor_position = 3
    await pilot.pause()


async def test_every_key_shown_while_the_scan_field_has_focus_leaves_its_value(services, users, make_app):
    red_and_green(services, users)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_counter(app, pilot)
        await scan(app, pilot, RED_ID)  # a red case: the case's actions apply
        assert screen.view.ecd_id == RED_ID
        await back_to_the_scan_field(app, pilot, screen)
        keys = shown_keys(screen)
        assert "ctrl+t" in keys and "ctrl+n" in keys  # the queue and the oral declaration, from the field
        assert "slash" not in keys  # "/" would type itself: offered only when no field has the focus
        # the action letters are not listed while the field has the focus; the line says how to reach them
        line = actions_line(app)
        assert "Tab" in line and " f " not in f" {line} " and "pembayaran" not in line
        for key in keys:
            assert key.startswith(("ctrl+", "f")) and len(key) > 1, key
            await back_to_the_scan_field(app, pilot, screen)
            await pilot.press(key)
            await settle(app, pilot)
            assert screen.query_one("#ecd-scan").value == "ABC", key
        # the panel, reached with Tab, lists the letters again
        await back_to_the_scan_field(app, pilot, screen)
        await pilot.press("tab")
        await pilot.pause()
        assert screen.focused.id == "ecd-panel"
        assert "f temuan" in actions_line(app)
        assert "slash" in shown_keys(screen)


async def test_the_queue_takes_arrows_and_enter_at_once_and_a_case_goes_back_to_it(services, users, make_app):
    red_and_green(services, users)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_counter(app, pilot)
        assert screen.focused.id == "ecd-scan"
        await pilot.press("ctrl+t")  # from the scan field
        await settle(app, pilot)
        tabs = screen.query_one("#ecd-tabs")
        queue = screen.query_one("#ecd-queue")
        assert tabs.active == "tab-queue" and screen.focused is queue and queue.row_count == 2
        first = str(queue.get_row_at(0)[1])
        # Tab goes between the list and its search field (the hint line says which keys work where)
        hint = screen.query_one("#ecd-qhint")
        assert "Tab" in str(hint.render()) and "2 merah" in str(hint.render())
        await pilot.press("tab")
        assert screen.focused.id == "ecd-qsearch" and "2 merah" not in str(hint.render())
        await pilot.press("tab")
        assert screen.focused is queue
        await pilot.press("down", "enter")  # no Tab first
        await settle(app, pilot)
        assert tabs.active == "tab-counter" and screen.view is not None
        opened = screen.view.document.declarant.name
        assert screen.view.ecd_id in (RED_ID, GREEN_ID) and opened == str(queue.get_row_at(1)[1])
        assert screen.focused.id == "ecd-panel"
        # the case's key back to the queue: the same row under the cursor, arrows work at once
        await pilot.press("ctrl+t")
        await settle(app, pilot)
        assert tabs.active == "tab-queue" and screen.focused is queue and queue.cursor_row == 1
        await pilot.press("up")
        assert queue.cursor_row == 0 and str(queue.get_row_at(0)[1]) == first
        # the queue's detail line names every reason of the highlighted row in full, with its words
        await pilot.press("ctrl+t")  # and back to the counter with the same key
        await settle(app, pilot)
        assert tabs.active == "tab-counter"
        # the queue opened by its tab (mouse) focuses the list too
        await pilot.click("#ecd-tabs Tab#--content-tab-tab-queue")
        await settle(app, pilot)
        assert tabs.active == "tab-queue" and screen.focused is queue


async def test_a_wedge_scan_faster_than_the_focus_loses_no_character(services, users, make_app):
    red_and_green(services, users)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_counter(app, pilot)
        await scan(app, pilot, RED_ID)
        assert screen.focused.id == "ecd-panel"
        before = counts(services)
        # a reader's burst: every key is queued before the first one is handled (as a terminal delivers them)
        for ch in f"ECD:{GREEN_ID}":
            app.post_message(events.Key(_key_name(ch), ch))
        app.post_message(events.Key("enter", "\r"))
        await settle(app, pilot)
        await pilot.pause(0.2)
        await settle(app, pilot)
        assert isinstance(app.screen, CounterScreen) and screen.view.ecd_id == GREEN_ID
        assert counts(services) == before  # no action letter of the red case ran


def _key_name(ch: str) -> str:
    from textual.keys import _character_to_key

    return _character_to_key(ch)


def test_the_counter_bindings_keep_their_ids():
    """Keymaps (config `keymap`, posting-style) name bindings by id: the ids of before #12 stay."""
    ids = {b.id for b in CounterScreen.BINDINGS if isinstance(b, Binding)}
    assert {"counter.scan", "counter.queue", "counter.oral", "counter.documents", "counter.pay",
            "counter.release", "counter.demo_scan"} <= ids
