"""The undo steps of what a page attached: listeners, channels, timers, each removed on close.

The browser wiring, the worker's page side and the worker handle each attach
several things to the page and must remove every one of them when closed,
last attached first (a channel outlives the listeners that post on it). One
stack keeps that rule in one place.
"""

from __future__ import annotations

from collections.abc import Callable


class UndoStack:
    """Callables that undo something; :meth:`undo` runs them last-added first, once."""

    def __init__(self) -> None:
        self._steps: list[Callable[[], None]] = []

    def push(self, *steps: Callable[[], None]) -> None:
        """Keep *steps*, to run in reverse order by :meth:`undo`."""
        self._steps.extend(steps)

    def undo(self) -> None:
        """Run every step kept so far, last first; the stack is empty afterwards (a second call does nothing)."""
        steps, self._steps = self._steps, []
        for step in reversed(steps):
            step()
