"""Listening to page events from Python: one proxy per listener, destroyed when the listener is removed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def listen(target: Any, event: str, handler: Callable[[Any], object]) -> Callable[[], None]:
    """Call ``handler(event)`` on each *event* of the JS *target*; return a function that stops listening.

    A plain Python function given to ``addEventListener`` would be a borrowed
    proxy, destroyed after the call (the handler would never run); this one
    lives until the returned function is called.
    """
    from pyodide.ffi import create_proxy

    proxy = create_proxy(handler)
    target.addEventListener(event, proxy)

    def stop() -> None:
        target.removeEventListener(event, proxy)
        proxy.destroy()

    return stop
