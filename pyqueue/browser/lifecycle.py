"""Checking the runner's leases as soon as the page wakes up from a freeze or from timer throttling.

Chromium freezes background tabs (Page Lifecycle: no task of theirs runs at
all) and throttles timers in hidden ones, down to once a minute, so a runner
there misses its lease renewals and another tab may take its tasks over. The
store already refuses the outcome of a task the runner no longer holds; this
makes the runner learn it at once, so its handlers are told to stop
(``ctx.cancelled``) and no claimed task of another tab is started.

Only the wake-ups are listened for: ``resume`` after a freeze, and
``visibilitychange`` to visible after throttling. Nothing is done on
``freeze``: the page runs no further task once frozen, so a write begun then
could not finish, and a frozen runner needs no pause (it cannot claim).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..runner import QueueRunner

WAKE_EVENTS = ("resume", "visibilitychange")


def check_leases_on_wake(runner: QueueRunner) -> Callable[[], None]:
    """Call :meth:`QueueRunner.check_leases` whenever the page resumes or becomes visible; return a detach function."""
    import js
    from pyodide.ffi import create_proxy

    def on_wake(event: Any) -> None:
        if event.type == "resume" or js.document.visibilityState == "visible":
            runner.check_leases()

    proxy = create_proxy(on_wake)
    for name in WAKE_EVENTS:
        js.document.addEventListener(name, proxy)

    def detach() -> None:
        for name in WAKE_EVENTS:
            js.document.removeEventListener(name, proxy)
        proxy.destroy()

    return detach
