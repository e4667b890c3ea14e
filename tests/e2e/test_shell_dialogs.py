"""No modal relies on a lone Escape (#12 item 2): F3 cancels every dialog too; the confirmation answers by key."""

from __future__ import annotations

import pytest

from screens.dialogs import ConfirmModal, PromptModal, SupervisorConfirmModal
from tests.e2e.test_form import FormApp


@pytest.mark.parametrize("key", ["escape", "f3"])
@pytest.mark.parametrize("make", [lambda: PromptModal("Reason", "Why?"),
                                  lambda: SupervisorConfirmModal("purpose", "Void the document")],
                         ids=["prompt", "supervisor"])
async def test_dialogs_cancel_with_escape_and_f3(make, key):
    app = FormApp()
    results: list = []
    async with app.run_test(size=(80, 24)) as pilot:
        modal = make()
        app.push_screen(modal, results.append)
        await pilot.pause()
        await pilot.press(*"abc")  # typed into the field: no letter is a key here
        await pilot.press(key)
        await pilot.pause()
        assert results == [None] and app.screen is not modal


@pytest.mark.parametrize(("keys", "answer"), [(["enter"], True), (["y"], True), (["n"], False),
                                              (["f3"], False), (["escape"], False)])
async def test_confirmation_answers_by_key(keys, answer):
    app = FormApp()
    results: list = []
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(ConfirmModal("Discard?"), results.append)
        await pilot.pause()
        await pilot.press(*keys)
        await pilot.pause()
        assert results == [answer]
