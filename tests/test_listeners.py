"""Change listeners: a failing one is logged and never stops the others, nor the runner that notifies."""

from __future__ import annotations

import logging

import pytest

from pyqueue import MemoryStore, Queue, QueueRunner, TaskRegistry
from pyqueue.listeners import Listeners


def test_a_failing_listener_is_logged_and_the_next_ones_are_still_called(caplog: pytest.LogCaptureFixture) -> None:
    # Given three listeners, the first of which raises
    calls: list[str] = []
    listeners = Listeners("probe")

    def broken() -> None:
        raise RuntimeError("render bug")

    listeners.add(broken)
    listeners.add(lambda: calls.append("second"))
    remove_third = listeners.add(lambda: calls.append("third"))

    # When they are notified, then once more after the third was removed
    with caplog.at_level(logging.ERROR, logger="pyqueue"):
        listeners.notify()
        remove_third()
        listeners.notify()

    # Then every working listener ran each time it was subscribed, and the failure was logged with its name
    assert calls == ["second", "third", "second"]
    assert [r.getMessage() for r in caplog.records] == ["pyqueue: a probe listener failed"] * 2


def test_a_runner_whose_listener_raises_still_pauses_and_tells_the_other_listeners() -> None:
    # Given a runner with a broken listener and a working one
    runner = QueueRunner(Queue(MemoryStore(), TaskRegistry()))
    seen: list[str] = []

    def broken() -> None:
        raise RuntimeError("render bug")

    runner.on_change(broken)
    runner.on_change(lambda: seen.append(runner.state.value))

    # When it is paused (before it starts), then resumed
    runner.pause()
    runner.resume()

    # Then neither call raised, and the working listener heard of both
    assert seen == ["idle", "idle"]
