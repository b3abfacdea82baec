"""Pausing the runner while the tab is hidden, after a grace period.

Kept free of browser imports so the timing rules are tested under CPython; the
browser binding (:mod:`pyqueue.browser.visibility`) only forwards the page's
``visibilitychange`` events to :meth:`VisibilityPauser.hidden` and
:meth:`VisibilityPauser.visible`.
"""

from __future__ import annotations

import asyncio

from .runner import PauseReason, QueueRunner

DEFAULT_HIDDEN_GRACE_MS = 5_000.0


class VisibilityPauser:
    """Pauses *runner* once the page has stayed hidden for *grace_ms*; resumes it as soon as it is visible.

    A short hide (switching tabs for a moment) does not pause. Browsers
    throttle timers in hidden tabs to about one per second, so the pause may
    come up to a second after the grace; that errs on the side of finishing work.
    """

    def __init__(self, runner: QueueRunner, *, grace_ms: float = DEFAULT_HIDDEN_GRACE_MS) -> None:
        self.runner = runner
        self.grace_ms = grace_ms
        self._timer: asyncio.Task[None] | None = None

    def hidden(self) -> None:
        """The page was hidden: pause after the grace unless it becomes visible first."""
        if self._timer is None or self._timer.done():
            self._timer = asyncio.ensure_future(self._pause_later())

    def visible(self) -> None:
        """The page is visible again: forget a pending pause, and resume if paused for being hidden."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.runner.resume(PauseReason.HIDDEN)

    async def _pause_later(self) -> None:
        await asyncio.sleep(self.grace_ms / 1000.0)
        self.runner.pause(PauseReason.HIDDEN)
