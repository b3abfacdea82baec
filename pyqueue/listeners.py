"""Change listeners: the small observer list that the runner, the browser wiring and the worker handle share.

A listener is a page's render or a test's probe; one that raises must never
stop the runner or the other listeners, so its failure is logged and the rest
are still called.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger("pyqueue")


class Listeners:
    """Callables with no arguments, called in the order they were added; *what* names them in the log."""

    def __init__(self, what: str) -> None:
        self._what = what
        self._listeners: list[Callable[[], None]] = []

    def add(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call *listener* on every :meth:`notify`; returns the function that removes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def notify(self) -> None:
        """Call every listener; a failing one is logged, not raised."""
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                log.exception("pyqueue: a %s listener failed", self._what)
