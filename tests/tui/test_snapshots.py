"""Screenshots of the main screens at fixed sizes (pytest-textual-snapshot).

Regenerate after a deliberate change: pytest tests/tui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

from assistant.conversation.session import Session
from assistant.tui.app import ChatApp

SIZE = (100, 30)


async def _settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _presses(*keys: str):
    async def run_before(pilot) -> None:
        await _settle(pilot)
        # A blinking cursor would make the screenshots depend on timing.
        pilot.app.chat_screen().query_one("#input").cursor_blink = False
        for k in keys:
            await pilot.press(k)
            await _settle(pilot)
        await pilot.pause(0.1)  # the "more" hint is measured after the choices are laid out
        await _settle(pilot)

    return run_before


def test_opening(snap_compare):
    assert snap_compare(ChatApp(Session(demo=True)), terminal_size=SIZE, run_before=_presses())


def test_opening_80x24(snap_compare):
    assert snap_compare(ChatApp(Session(demo=True)), terminal_size=(80, 24), run_before=_presses())


def test_demo_diagnosis(snap_compare):
    assert snap_compare(ChatApp(Session(demo=True)), terminal_size=SIZE, run_before=_presses("1"))


def test_finding_screen(snap_compare):
    assert snap_compare(
        ChatApp(Session(demo=True)), terminal_size=SIZE, run_before=_presses("1", "2")
    )


def test_question(snap_compare):
    assert snap_compare(ChatApp(Session()), terminal_size=SIZE, run_before=_presses("1", "2"))


def test_question_mode_result_light(snap_compare):
    assert snap_compare(
        ChatApp(Session()),
        terminal_size=SIZE,
        run_before=_presses("f2", "1", "2", "1", "1", "2", "3"),  # 3: stop the questions
    )


def test_help(snap_compare):
    assert snap_compare(ChatApp(Session(demo=True)), terminal_size=SIZE, run_before=_presses("f1"))


def test_path_question_answer(snap_compare):
    async def run_before(pilot) -> None:
        await _presses("1")(pilot)
        await pilot.press(*"can shop-app-b1 reach the internet?")
        await pilot.press("enter")
        await _settle(pilot)

    assert snap_compare(ChatApp(Session(demo=True)), terminal_size=SIZE, run_before=run_before)
