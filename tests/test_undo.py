"""The undo stack that the browser wiring, the worker's page side and its handle close with."""

from __future__ import annotations

from pyqueue.browser.undo import UndoStack


def test_undo_runs_the_steps_last_pushed_first_and_only_once() -> None:
    ran: list[str] = []
    stack = UndoStack()
    stack.push(lambda: ran.append("listener"), lambda: ran.append("channel"))
    stack.push(lambda: ran.append("timer"))
    stack.undo()
    stack.undo()
    assert ran == ["timer", "channel", "listener"]
