"""Exceptions a handler raises to steer what happens to its task."""

from __future__ import annotations


class Retry(Exception):
    """Raised by a handler to retry its task after *delay_ms* instead of the backoff policy's delay.

    The attempt still counts; past ``max_attempts`` the task fails.
    """

    def __init__(self, delay_ms: float = 0.0, reason: str = "retry requested by the handler") -> None:
        if delay_ms < 0:
            raise ValueError(f"delay_ms must be >= 0, got {delay_ms}")
        self.delay_ms = delay_ms
        self.reason = reason
        super().__init__(reason)


class Park(Exception):
    """Raised by a handler when something it needs (the network, say) is unavailable right now.

    The task waits, parked, without using an attempt and without an error,
    until :meth:`pyqueue.Queue.unpark` puts it back in line (for example on the
    browser's ``online`` event). Nothing fails or retries in a loop meanwhile.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class Fail(Exception):
    """Raised by a handler when retrying cannot help: the task fails at once, whatever attempts remain."""
